//! `livechat load`: N concurrent customers against a simulator (embedded, or `--sim URL`),
//! each logging in, starting a chat and exchanging M messages with the bot, on the tokio,
//! smol or blocking transport. Reports throughput, round-trip percentiles against a raw
//! WebSocket echo floor measured in the same run, memory per session, errors, and lost /
//! duplicated messages (from the chat as stored), optionally under random drops (`--chaos`).

mod chaos;
mod script;
mod transports;

use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use livechat_sim::{Sim, SimConfig};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use script::WAIT;
pub use transports::Transport;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Concurrent customer sessions.
    #[arg(long, short = 'n', default_value_t = 100)]
    sessions: usize,
    /// Messages each customer exchanges with the bot.
    #[arg(long, short = 'm', default_value_t = 5)]
    messages: usize,
    /// Spread the session starts evenly over this many milliseconds.
    #[arg(long, default_value_t = 500)]
    ramp_ms: u64,
    /// Client transport. smol runs on its global executor: set `SMOL_THREADS` for more than
    /// one thread. blocking runs a thread per session (plus each client's driver thread).
    #[arg(long, value_enum, default_value_t = Transport::Tokio)]
    transport: Transport,
    /// Use a running simulator (`http://127.0.0.1:PORT`) instead of an embedded one.
    #[arg(long)]
    sim: Option<String>,
    /// Cut a random customer's socket every `--chaos-interval-ms` while the sessions run;
    /// every message must still be stored exactly once.
    #[arg(long)]
    chaos: bool,
    /// Time between two `--chaos` drops.
    #[arg(long, default_value_t = 100)]
    chaos_interval_ms: u64,
    /// Write the results as JSON to this file.
    #[arg(long)]
    json: Option<std::path::PathBuf>,
}

const ORG: &str = "load-org";

/// What every session of a run shares: the plan, and the progress it reports.
pub struct Shared {
    sessions: usize,
    messages: usize,
    ramp: Duration,
    ws_url: String,
    http_url: String,
    debug: bool,
    done: AtomicUsize,
    /// Sessions wait here once logged in with a chat (runtime-agnostic: async-lock's).
    all_live: smol::lock::Barrier,
    /// Resident memory (KiB) and threads when every session was live (the barrier's leader).
    live: Mutex<Option<(u64, u64)>>,
    /// Customers logged in and not finished (what `--chaos` picks from).
    customers: Mutex<Vec<String>>,
}

impl Shared {
    /// When session `i` starts, after the run's start.
    fn delay(&self, i: usize) -> Duration {
        self.ramp.mul_f64(i as f64 / self.sessions as f64)
    }
    fn connected(&self, customer_id: &str) {
        self.customers.lock().unwrap_or_else(|p| p.into_inner()).push(customer_id.to_string());
    }
    fn sample_live(&self) {
        *self.live.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((status_kib("VmRSS:"), status_kib("Threads:")));
    }
    fn left(&self, customer_id: &str) {
        let mut ids = self.customers.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(at) = ids.iter().position(|x| x == customer_id) {
            ids.swap_remove(at);
        }
    }
    fn customers(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        self.customers.lock().unwrap_or_else(|p| p.into_inner())
    }
    fn finished(&self) {
        self.done.fetch_add(1, Ordering::Relaxed);
    }
    fn all_finished(&self) -> bool {
        self.done.load(Ordering::Relaxed) >= self.sessions
    }
}

/// A line of `/proc/self/status` in KiB (Linux; 0 elsewhere): `VmRSS` now, `VmHWM` the peak.
fn status_kib(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

/// Round trips of a raw WebSocket echo on loopback (tokio-tungstenite on both ends).
async fn echo_floor(samples: usize) -> Result<Vec<Duration>, String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let server = tokio::spawn(async move {
        if let Ok((tcp, _)) = listener.accept().await {
            let _ = tcp.set_nodelay(true);
            if let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await {
                while let Some(Ok(m)) = ws.next().await {
                    if m.is_text() && ws.send(m).await.is_err() {
                        break;
                    }
                }
            }
        }
    });
    let (mut ws, _) = tokio_tungstenite::connect_async_with_config(format!("ws://{addr}"), None, true)
        .await
        .map_err(|e| e.to_string())?;
    let frame = json!({"request_id": "1", "action": "send_event", "payload": {"chat_id": "X", "event": {"type": "message", "text": "load 0 0"}}}).to_string();
    let mut rtts = Vec::with_capacity(samples);
    for _ in 0..samples {
        let t = Instant::now();
        ws.send(Message::text(frame.clone())).await.map_err(|e| e.to_string())?;
        match tokio::time::timeout(WAIT, ws.next()).await {
            Ok(Some(Ok(_))) => rtts.push(t.elapsed()),
            _ => return Err("the echo server did not answer".into()),
        }
    }
    let _ = ws.close(None).await;
    server.abort();
    Ok(rtts)
}

pub async fn run(args: Args, debug: bool) -> i32 {
    let n = args.sessions.max(1);
    let transport = args.transport;
    let echo = match echo_floor(200).await {
        Ok(mut v) => {
            v.sort();
            v
        }
        Err(e) => {
            eprintln!("livechat load: echo floor failed: {e}");
            return 1;
        }
    };
    let mut sim = None;
    let (ws_url, http_url) = match &args.sim {
        Some(url) => {
            let http = url.trim_end_matches('/').to_string();
            (http.replacen("http://", "ws://", 1), http)
        }
        None => match Sim::start(SimConfig { max_pending_requests: 10, ..SimConfig::default() }).await {
            Ok(s) => {
                let urls = (s.url(), s.http_url());
                sim = Some(s);
                urls
            }
            Err(e) => {
                eprintln!("livechat load: cannot start the simulator: {e}");
                return 1;
            }
        },
    };
    println!(
        "livechat load: {n} sessions × {} messages, {} transport, simulator {}{}",
        args.messages,
        transport.name(),
        if sim.is_some() { "embedded (in this process)" } else { http_url.as_str() },
        if args.chaos {
            format!(", a socket cut every {} ms", args.chaos_interval_ms)
        } else {
            String::new()
        }
    );
    let shared = Arc::new(Shared {
        sessions: n,
        messages: args.messages,
        ramp: Duration::from_millis(args.ramp_ms),
        ws_url,
        http_url: http_url.clone(),
        debug,
        done: AtomicUsize::new(0),
        all_live: smol::lock::Barrier::new(n),
        live: Mutex::new(None),
        customers: Mutex::new(Vec::with_capacity(n)),
    });
    let rss_before = status_kib("VmRSS:");
    let started = Instant::now();
    let chaos = args.chaos.then(|| {
        let dropper = match &sim {
            Some(s) => chaos::Dropper::Embedded(s.control()),
            None => chaos::Dropper::Remote(http_url.clone()),
        };
        tokio::spawn(chaos::run(
            dropper,
            Duration::from_millis(args.chaos_interval_ms.max(1)),
            shared.clone(),
        ))
    });
    let progress = {
        let shared = shared.clone();
        let tty = std::io::stderr().is_terminal();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(if tty { 100 } else { 1000 })).await;
                let d = shared.done.load(Ordering::Relaxed);
                let width = 30;
                let filled = d * width / n;
                let bar = format!("[{}{}] {d}/{n} sessions", "#".repeat(filled), " ".repeat(width - filled));
                if tty {
                    eprint!("\r{bar}");
                } else {
                    eprintln!("{bar}");
                }
            }
        })
    };
    let results = transport.run(shared.clone()).await;
    progress.abort();
    if std::io::stderr().is_terminal() {
        eprintln!();
    }
    let wall = started.elapsed();
    let peak_rss = status_kib("VmHWM:").max(status_kib("VmRSS:"));
    let (live_rss, live_threads) = shared.live.lock().unwrap_or_else(|p| p.into_inner()).unwrap_or((0, 0));
    let drops = match chaos {
        None => None,
        Some(task) => match task.await {
            Ok(Ok(d)) => Some(Ok(d)),
            Ok(Err(e)) => Some(Err(e)),
            Err(e) => Some(Err(e.to_string())),
        },
    };

    let mut rtts: Vec<Duration> = results.iter().flat_map(|r| r.rtts.iter().copied()).collect();
    rtts.sort();
    let messages: usize = results.iter().map(|r| r.sent).sum();
    let first = results.iter().filter_map(|r| r.first_send).min();
    let last = results.iter().filter_map(|r| r.last_reply).max();
    let phase = match (first, last) {
        (Some(a), Some(b)) if b > a => (b - a).as_secs_f64(),
        _ => wall.as_secs_f64(),
    };
    let mut errors: Vec<String> = results.iter().flat_map(|r| r.errors.iter().cloned()).collect();
    if let Some(Err(e)) = &drops {
        errors.push(format!("chaos: {e}"));
    }
    let lost: usize = results.iter().map(|r| r.lost).sum();
    let duplicated: usize = results.iter().map(|r| r.duplicated).sum();
    let recovered: usize = results.iter().map(|r| r.replies_recovered).sum();
    let replies_duplicated: usize = results.iter().map(|r| r.replies_duplicated).sum();
    // Every confirmed message has one bot reply: seen live, or recovered after a drop.
    let missed = messages.saturating_sub(rtts.len() + recovered);
    let mut report = json!({
        "transport": transport.name(),
        "sessions": n,
        "messages": messages,
        "replies_seen": rtts.len(),
        "replies_recovered": recovered,
        "replies_missed": missed,
        "replies_duplicated": replies_duplicated,
        "messages_per_sec": messages as f64 / phase,
        "rtt_p50_ms": percentile(&rtts, 0.50),
        "rtt_p95_ms": percentile(&rtts, 0.95),
        "rtt_p99_ms": percentile(&rtts, 0.99),
        "echo_rtt_p50_ms": percentile(&echo, 0.50),
        "rss_per_session_kib": peak_rss.saturating_sub(rss_before) as f64 / n as f64,
        "live_rss_per_session_kib": live_rss.saturating_sub(rss_before) as f64 / n as f64,
        "threads_when_live": live_threads,
        "errors": errors.len(),
        "lost": lost,
        "duplicated": duplicated,
        "wall_secs": wall.as_secs_f64(),
        "embedded_sim": sim.is_some(),
    });
    if let Some(Ok(d)) = drops {
        report["chaos_drops"] = json!(d);
    }
    println!("sessions            {n}");
    println!("messages            {messages} sent, {} bot replies timed (send → reply)", rtts.len());
    println!(
        "bot replies         {} seen ({recovered} recovered after a drop), {missed} missed, {replies_duplicated} duplicated",
        rtts.len() + recovered
    );
    println!("messages/s          {:.0}", report["messages_per_sec"].as_f64().unwrap_or(0.0));
    println!(
        "round trip p50/p95/p99  {:.2} / {:.2} / {:.2} ms (raw WebSocket echo p50 {:.3} ms)",
        report["rtt_p50_ms"].as_f64().unwrap_or(0.0),
        report["rtt_p95_ms"].as_f64().unwrap_or(0.0),
        report["rtt_p99_ms"].as_f64().unwrap_or(0.0),
        report["echo_rtt_p50_ms"].as_f64().unwrap_or(0.0)
    );
    println!(
        "memory              {:.1} KiB per session at the peak, {:.1} KiB with all sessions live ({live_threads} threads){}",
        report["rss_per_session_kib"].as_f64().unwrap_or(0.0),
        report["live_rss_per_session_kib"].as_f64().unwrap_or(0.0),
        if sim.is_some() { "; RSS deltas include the in-process simulator" } else { "" }
    );
    if let Some(d) = report.get("chaos_drops") {
        println!("socket cuts         {d}");
    }
    println!("errors              {}", errors.len());
    println!("lost / duplicated   {lost} / {duplicated}");
    println!("wall time           {:.2} s", wall.as_secs_f64());
    for e in errors.iter().take(5) {
        eprintln!("  error: {e}");
    }
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report).unwrap_or_default();
        if let Err(e) = std::fs::write(path, text + "\n") {
            eprintln!("livechat load: cannot write {}: {e}", path.display());
            return 1;
        }
    }
    if let Some(s) = sim {
        s.shutdown().await;
    }
    if errors.is_empty() && lost == 0 && duplicated == 0 && missed == 0 && replies_duplicated == 0 {
        0
    } else {
        1
    }
}
