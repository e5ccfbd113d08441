//! `livechat load`: N concurrent customers against a simulator (embedded, or `--sim URL`),
//! each logging in, starting a chat and exchanging M messages with the bot. Reports
//! throughput, round-trip percentiles against a raw WebSocket echo floor measured in the same
//! run, memory per session, errors, and lost / duplicated messages (from the chat as stored).

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use livechat_core::customer::actions::StartChat;
use livechat_core::customer::{Endpoint, Event, SessionConfig};
use livechat_core::model::ChatEvent;
use livechat_core::token::AccountsConfig;
use livechat_sim::{Sim, SimConfig};
use livechat_tokio::{ClientOptions, CustomerApi, CustomerClient, Identity};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Tokio,
}

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
    /// Client transport.
    #[arg(long, value_enum, default_value_t = Transport::Tokio)]
    transport: Transport,
    /// Use a running simulator (`http://127.0.0.1:PORT`) instead of an embedded one.
    #[arg(long)]
    sim: Option<String>,
    /// Write the results as JSON to this file.
    #[arg(long)]
    json: Option<std::path::PathBuf>,
}

const ORG: &str = "load-org";
const WAIT: Duration = Duration::from_secs(30);

#[derive(Default)]
struct SessionResult {
    rtts: Vec<Duration>,
    errors: Vec<String>,
    lost: usize,
    duplicated: usize,
    first_send: Option<Instant>,
    last_reply: Option<Instant>,
}

/// Resident memory of this process, KiB (Linux; 0 elsewhere).
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
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

async fn session(i: usize, ws_url: String, http_url: String, messages: usize, debug: bool) -> SessionResult {
    let mut r = SessionResult::default();
    let accounts = AccountsConfig::new(ORG, "load-client").with_base_url(http_url);
    let mut options = ClientOptions::new(Identity::cookie(accounts, Default::default()));
    options.debug_frames = debug;
    let client = CustomerClient::start(SessionConfig::new(ORG, Endpoint::url(ws_url)), options);
    let mut events = client.events();
    let outcome = async {
        let me = tokio::time::timeout(WAIT, async {
            loop {
                match events.next().await {
                    Some(Event::Connected(c)) => return Ok(c.customer.id.clone()),
                    Some(Event::Disconnected(d)) if !d.will_reconnect => {
                        return Err(format!("login: {}", d.reason));
                    }
                    Some(_) => {}
                    None => return Err("event stream ended".to_string()),
                }
            }
        })
        .await
        .map_err(|_| "login timed out".to_string())??;
        let chat = tokio::time::timeout(WAIT, client.start_chat(StartChat::new()))
            .await
            .map_err(|_| "start_chat timed out".to_string())?
            .map_err(|e| format!("start_chat: {e}"))?;
        for k in 0..messages {
            let text = format!("load {i} {k}");
            let want = format!("You said: {text}");
            let t = Instant::now();
            r.first_send.get_or_insert(t);
            tokio::time::timeout(WAIT, client.send_message(&chat.chat_id, &text))
                .await
                .map_err(|_| format!("send {k} timed out"))?
                .map_err(|e| format!("send {k}: {e}"))?;
            tokio::time::timeout(WAIT, async {
                loop {
                    match events.next().await {
                        Some(Event::IncomingEvent(ie))
                            if ie.event.author_id() != Some(me.as_str())
                                && matches!(&ie.event, ChatEvent::Message(m) if m.text == want) =>
                        {
                            return Ok(());
                        }
                        Some(_) => {}
                        None => return Err("event stream ended".to_string()),
                    }
                }
            })
            .await
            .map_err(|_| format!("no bot reply to message {k}"))??;
            let now = Instant::now();
            r.rtts.push(now - t);
            r.last_reply = Some(now);
        }
        // Exactly once, as stored: each message must be in the chat once.
        let stored = tokio::time::timeout(WAIT, client.get_chat(&chat.chat_id, None))
            .await
            .map_err(|_| "get_chat timed out".to_string())?
            .map_err(|e| format!("get_chat: {e}"))?;
        let events = stored.thread.map(|t| t.events).unwrap_or_default();
        for k in 0..messages {
            let text = format!("load {i} {k}");
            let copies = events
                .iter()
                .filter(|e| e.author_id() == Some(me.as_str()))
                .filter(|e| matches!(e, ChatEvent::Message(m) if m.text == text))
                .count();
            match copies {
                0 => r.lost += 1,
                1 => {}
                n => r.duplicated += n - 1,
            }
        }
        Ok::<(), String>(())
    }
    .await;
    if let Err(e) = outcome {
        r.errors.push(e);
    }
    let _ = tokio::time::timeout(Duration::from_secs(2), client.destroy()).await;
    r
}

pub async fn run(args: Args, debug: bool) -> i32 {
    let Transport::Tokio = args.transport;
    let n = args.sessions.max(1);
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
        "livechat load: {n} sessions × {} messages, tokio transport, simulator {}",
        args.messages,
        if sim.is_some() { "embedded (in this process)" } else { http_url.as_str() }
    );
    let rss_before = rss_kib();
    let peak = Arc::new(std::sync::atomic::AtomicU64::new(rss_before));
    let done = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        let delay = Duration::from_millis(args.ramp_ms) * i as u32 / n as u32;
        let (ws, http, m, done, peak) =
            (ws_url.clone(), http_url.clone(), args.messages, done.clone(), peak.clone());
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let r = session(i, ws, http, m, debug).await;
            peak.fetch_max(rss_kib(), Ordering::Relaxed);
            done.fetch_add(1, Ordering::Relaxed);
            r
        }));
    }
    let progress = {
        let done = done.clone();
        let tty = std::io::stderr().is_terminal();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(if tty { 100 } else { 1000 })).await;
                let d = done.load(Ordering::Relaxed);
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
    let mut results = Vec::with_capacity(n);
    for t in tasks {
        match t.await {
            Ok(r) => results.push(r),
            Err(e) => results
                .push(SessionResult { errors: vec![format!("task failed: {e}")], ..Default::default() }),
        }
    }
    progress.abort();
    if std::io::stderr().is_terminal() {
        eprintln!();
    }
    let wall = started.elapsed();
    let peak_rss = peak.load(Ordering::Relaxed).max(rss_kib());

    let mut rtts: Vec<Duration> = results.iter().flat_map(|r| r.rtts.iter().copied()).collect();
    rtts.sort();
    let messages = rtts.len();
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
        "transport": "tokio",
        "sessions": n,
        "messages": messages,
        "messages_per_sec": messages as f64 / phase,
        "rtt_p50_ms": percentile(&rtts, 0.50),
        "rtt_p95_ms": percentile(&rtts, 0.95),
        "rtt_p99_ms": percentile(&rtts, 0.99),
        "echo_rtt_p50_ms": percentile(&echo, 0.50),
        "rss_per_session_kib": peak_rss.saturating_sub(rss_before) as f64 / n as f64,
        "errors": errors.len(),
        "lost": lost,
        "duplicated": duplicated,
        "wall_secs": wall.as_secs_f64(),
    });
    println!("sessions            {n}");
    println!("messages            {messages} (round trips: send + bot reply)");
    println!("messages/s          {:.0}", report["messages_per_sec"].as_f64().unwrap_or(0.0));
    println!(
        "round trip p50/p95/p99  {:.2} / {:.2} / {:.2} ms (raw WebSocket echo p50 {:.3} ms)",
        report["rtt_p50_ms"].as_f64().unwrap_or(0.0),
        report["rtt_p95_ms"].as_f64().unwrap_or(0.0),
        report["rtt_p99_ms"].as_f64().unwrap_or(0.0),
        report["echo_rtt_p50_ms"].as_f64().unwrap_or(0.0)
    );
    println!(
        "memory              {:.1} KiB per session (peak RSS delta; includes the in-process simulator)",
        report["rss_per_session_kib"].as_f64().unwrap_or(0.0)
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
            eprintln!("livechat load: cannot write {}: {e}", path.display());
            return 1;
        }
    }
    if let Some(s) = sim {
        s.shutdown().await;
    }
    if errors.is_empty() && lost == 0 && duplicated == 0 { 0 } else { 1 }
}
