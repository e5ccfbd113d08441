//! How the driver thread waits, measured: the round trip of sequential calls on one idle
//! connected client, then how often N idle connected clients' driver threads wake up (their
//! voluntary context switches and CPU time, read from `/proc/self/task`, so the simulator's
//! own threads are not counted). Linux only for the second part.
//!
//! ```sh
//! cargo run --release -p livechat-blocking --example blocking_wakeups                    # 200 calls, 1,000 clients, 5 s
//! cargo run --release -p livechat-blocking --example blocking_wakeups -- 200 1000 5 ws://127.0.0.1:8080
//! ```

use std::time::{Duration, Instant};

use livechat_blocking::customer::{CustomerConfig, Endpoint, Event};
use livechat_blocking::{AccountsConfig, CookieJar, CustomerApi, CustomerClient, CustomerOptions, Identity};
use livechat_sim::{SimConfig, SimThread};

const ORG: &str = "org-wakeups";

fn start(
    url: &str,
) -> Result<(CustomerClient, livechat_blocking::EventReceiver), Box<dyn std::error::Error>> {
    let endpoint = Endpoint::url(url);
    let http = endpoint.http_base(None).ok_or("no HTTP base for the endpoint")?;
    let accounts = AccountsConfig::new(ORG, "client-wakeups").with_base_url(http);
    let mut config = CustomerConfig::new(ORG, endpoint);
    config.connection.auto_connect = false;
    let client =
        CustomerClient::start(config, CustomerOptions::new(Identity::cookie(accounts, CookieJar::default())));
    let events = client.events();
    client.connect()?;
    Ok((client, events))
}

fn wait_connected(events: &livechat_blocking::EventReceiver) -> Result<(), Box<dyn std::error::Error>> {
    loop {
        if let Event::Connected(_) = events.recv_timeout(Duration::from_secs(60))? {
            return Ok(());
        }
    }
}

/// Voluntary context switches and CPU time (ns) summed over this process's
/// threads named `livechat-blocking` (the driver threads), and how many there are.
fn driver_threads() -> (usize, u64, u64) {
    let mut n = 0;
    let (mut switches, mut nanos) = (0, 0);
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return (0, 0, 0) };
    for task in tasks.flatten() {
        let path = task.path();
        // `comm` holds the first 15 bytes of the thread's name.
        if std::fs::read_to_string(path.join("comm")).map_or(true, |c| c.trim() != "livechat-blocki") {
            continue;
        }
        n += 1;
        if let Ok(status) = std::fs::read_to_string(path.join("status")) {
            switches += status
                .lines()
                .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or(0);
        }
        // Time on the CPU, ns, as the scheduler counts it (`stat`'s utime and stime are
        // sampled at each tick and miss short wakeups).
        if let Ok(stat) = std::fs::read_to_string(path.join("schedstat")) {
            nanos += stat.split_whitespace().next().and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        }
    }
    (n, switches, nanos)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Dependencies capped at `info` whatever RUST_LOG says: below it they log tokens.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(livechat_blocking::log::env_directives("warn")))
        .with_writer(std::io::stderr)
        .try_init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let calls: usize = args.first().map_or(Ok(200), |a| a.parse())?;
    let clients: usize = args.get(1).map_or(Ok(1000), |a| a.parse())?;
    let seconds: u64 = args.get(2).map_or(Ok(5), |a| a.parse())?;
    let (_sim, url) = match args.get(3) {
        Some(url) => (None, url.clone()),
        None => {
            let sim = SimThread::start(SimConfig::default())?;
            let url = sim.url();
            (Some(sim), url)
        }
    };

    // One client, sequential calls on an otherwise idle connection.
    let (client, events) = start(&url)?;
    wait_connected(&events)?;
    client.get_customer()?;
    let mut rtts = Vec::with_capacity(calls);
    for _ in 0..calls {
        let t = Instant::now();
        client.get_customer()?;
        rtts.push(t.elapsed());
    }
    rtts.sort();
    let mean = rtts.iter().sum::<Duration>() / calls.max(1) as u32;
    let pick = |p: f64| rtts.get(((rtts.len().saturating_sub(1)) as f64 * p).round() as usize).copied();
    println!(
        "{calls} sequential get_customer calls: mean {:.3} ms, p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        ms(mean),
        pick(0.5).map_or(0.0, ms),
        pick(0.99).map_or(0.0, ms),
        pick(1.0).map_or(0.0, ms),
    );
    drop((client, events));

    // N idle connected clients.
    let mut all = Vec::with_capacity(clients);
    for _ in 0..clients {
        all.push(start(&url)?);
    }
    for (_, events) in &all {
        wait_connected(events)?;
    }
    // Let the logins' traffic settle.
    std::thread::sleep(Duration::from_secs(1));
    let (n0, s0, t0) = driver_threads();
    let started = Instant::now();
    std::thread::sleep(Duration::from_secs(seconds));
    let (n1, s1, t1) = driver_threads();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{clients} idle connected clients ({n0}→{n1} driver threads) over {secs:.1} s: \
         {:.0} voluntary context switches/s in all ({:.2} per client per s), \
         driver CPU {:.1}% of one core",
        (s1.saturating_sub(s0)) as f64 / secs,
        (s1.saturating_sub(s0)) as f64 / secs / clients.max(1) as f64,
        (t1.saturating_sub(t0)) as f64 / 1e9 / secs * 100.0,
    );
    Ok(())
}
