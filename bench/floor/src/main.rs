//! `livechat-floor`: the exchange of one `livechat load` session, written by hand, for N
//! sessions × M messages against a running `livechat-sim`. It is the floor the SDK is
//! measured against (`bench/floor/run`): the same frames on the same runtime, without the
//! SDK's machinery — one tokio task owns each socket, frames are raw `serde_json::Value`s,
//! and there are no reconnects, no request queue, no deadlines per request, no exactly-once.
//!
//!   livechat-floor --sim http://127.0.0.1:PORT [-n N] [-m M] [--ramp-ms R] [--json FILE]
//!
//! It prints and writes the keys of `livechat load --json` (see `bench/README.md`), measured
//! the same way (`cli/src/load/`).

mod session;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

use session::{Plan, SessionResult};

struct Args {
    sim: String,
    sessions: usize,
    messages: usize,
    ramp_ms: u64,
    json: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args { sim: String::new(), sessions: 100, messages: 5, ramp_ms: 500, json: None };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--sim" => a.sim = value()?,
            "-n" | "--sessions" => a.sessions = value()?.parse().map_err(|e| format!("-n: {e}"))?,
            "-m" | "--messages" => a.messages = value()?.parse().map_err(|e| format!("-m: {e}"))?,
            "--ramp-ms" => a.ramp_ms = value()?.parse().map_err(|e| format!("--ramp-ms: {e}"))?,
            "--json" => a.json = Some(value()?),
            "-h" | "--help" => {
                println!(
                    "livechat-floor --sim http://127.0.0.1:PORT [-n N] [-m M] [--ramp-ms R] [--json FILE]"
                );
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if a.sim.is_empty() {
        return Err("--sim http://127.0.0.1:PORT is required (start `livechat-sim --port 0`)".into());
    }
    a.sessions = a.sessions.max(1);
    Ok(a)
}

/// A line of `/proc/self/status` in KiB (as `livechat load` reads it; 0 elsewhere).
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

/// The same nearest-rank percentile as `livechat load`.
fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("livechat-floor: {e}");
            std::process::exit(2);
        }
    };
    // The runtime `livechat` builds: multi-threaded, one worker per CPU.
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("livechat-floor: cannot start the tokio runtime: {e}");
            std::process::exit(1);
        }
    };
    let code = runtime.block_on(run(args));
    runtime.shutdown_timeout(Duration::from_millis(200));
    std::process::exit(code);
}

async fn run(args: Args) -> i32 {
    let n = args.sessions;
    let http = args.sim.trim_end_matches('/').to_string();
    let Some(authority) = http.strip_prefix("http://").map(str::to_string) else {
        eprintln!("livechat-floor: --sim must be http://HOST:PORT");
        return 2;
    };
    println!("livechat-floor: {n} sessions × {} messages, simulator {http}", args.messages);
    let live_rss = Arc::new(AtomicU64::new(0));
    let plan = Arc::new(Plan {
        authority,
        messages: args.messages,
        barrier: tokio::sync::Barrier::new(n),
        live_rss: live_rss.clone(),
    });
    let ramp = Duration::from_millis(args.ramp_ms);
    let rss_before = status_kib("VmRSS:");
    let started = Instant::now();
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let plan = plan.clone();
            let delay = ramp.mul_f64(i as f64 / n as f64);
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                session::run(i, &plan).await
            })
        })
        .collect();
    let mut results = Vec::with_capacity(n);
    for t in tasks {
        results.push(t.await.unwrap_or_else(|e| SessionResult::failed(format!("session task failed: {e}"))));
    }
    let wall = started.elapsed();
    let peak_rss = status_kib("VmHWM:").max(status_kib("VmRSS:"));
    let live = live_rss.load(Ordering::Relaxed);

    let mut rtts: Vec<Duration> = results.iter().flat_map(|r| r.rtts.iter().copied()).collect();
    rtts.sort();
    let messages: usize = results.iter().map(|r| r.sent).sum();
    let first = results.iter().filter_map(|r| r.first_send).min();
    let last = results.iter().filter_map(|r| r.last_reply).max();
    let phase = match (first, last) {
        (Some(a), Some(b)) if b > a => (b - a).as_secs_f64(),
        _ => wall.as_secs_f64(),
    };
    let errors: Vec<&String> = results.iter().flat_map(|r| r.errors.iter()).collect();
    let lost: usize = results.iter().map(|r| r.lost).sum();
    let duplicated: usize = results.iter().map(|r| r.duplicated).sum();
    let report = json!({
        "client": "floor",
        "sessions": n,
        "messages": messages,
        "replies_seen": rtts.len(),
        "messages_per_sec": messages as f64 / phase,
        "rtt_p50_ms": percentile(&rtts, 0.50),
        "rtt_p95_ms": percentile(&rtts, 0.95),
        "rtt_p99_ms": percentile(&rtts, 0.99),
        "rss_per_session_kib": peak_rss.saturating_sub(rss_before) as f64 / n as f64,
        "live_rss_per_session_kib": live.saturating_sub(rss_before) as f64 / n as f64,
        "errors": errors.len(),
        "lost": lost,
        "duplicated": duplicated,
        "wall_secs": wall.as_secs_f64(),
    });
    let f = |k: &str| report[k].as_f64().unwrap_or(0.0);
    println!("sessions            {n}");
    println!("messages            {messages} sent, {} bot replies timed (send → reply)", rtts.len());
    println!("messages/s          {:.0}", f("messages_per_sec"));
    println!(
        "round trip p50/p95/p99  {:.2} / {:.2} / {:.2} ms",
        f("rtt_p50_ms"),
        f("rtt_p95_ms"),
        f("rtt_p99_ms")
    );
    println!(
        "memory              {:.1} KiB per session at the peak, {:.1} KiB with all sessions live",
        f("rss_per_session_kib"),
        f("live_rss_per_session_kib")
    );
    println!("errors              {}", errors.len());
    println!("lost / duplicated   {lost} / {duplicated}");
    println!("wall time           {:.2} s", wall.as_secs_f64());
    for e in errors.iter().take(5) {
        eprintln!("  error: {e}");
    }
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report).unwrap_or_default();
        if let Err(e) = std::fs::write(path, text + "\n") {
            eprintln!("livechat-floor: cannot write {path}: {e}");
            return 1;
        }
    }
    if errors.is_empty() && lost == 0 && duplicated == 0 { 0 } else { 1 }
}
