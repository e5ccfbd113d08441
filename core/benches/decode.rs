//! Decode and session benchmarks (criterion, `harness = false`).
//!
//! `cargo bench -p livechat-core --bench decode` (add `-- --quick` for a short run).
//!
//! Groups:
//! * `incoming_event`: one typical `incoming_event` push (a message with properties)
//!   - `serde_json_value`: plain `serde_json::from_str::<Value>`, the floor;
//!   - `frame_and_event`: our path, `Frame::decode` + `Event::from_push`;
//!   - `session_dispatch`: a logged-in `CustomerSession` taking the frame
//!     (`handle_frame` + draining the outputs).
//! * `session`: 100 request/response round trips through a logged-in session with a
//!   scripted peer (no sockets); 10 pages of `history_next`.
//!
//! After the criterion groups a short `Instant`-timed loop prints the ratios of the two
//! decode paths to the `serde_json` floor (criterion itself prints absolute times only).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use livechat_core::customer::{
    ConnectionId, CustomerConfig, CustomerSession, Endpoint, Event, Output, RequestOptions,
};
use livechat_core::token::{Secret, Token};
use livechat_core::wire::Frame;
use serde_json::{Value, json};

/// A typical `incoming_event` push: an agent's message with properties.
const INCOMING_EVENT: &str = r#"{"action":"incoming_event","type":"push","version":"3.6","payload":{"chat_id":"PW94SJTGW6","thread_id":"Q20163UAHO","event":{"id":"Q20163UAHO_2","custom_id":"31.0c5b2f2e","created_at":"2026-01-01T10:00:00.123456Z","type":"message","text":"Hello! How can I help you today? Our summer sale ends on Sunday.","author_id":"75a90b82-e6a4-4ded-b3eb-cb531741ee0d","recipients":"all","properties":{"lc2":{"welcome_message":false,"form_type":"prechat"},"rating":{"score":1,"comment":"quick and helpful"},"routing":{"idle":false,"unassigned":false}}}}}"#;

/// The request id of a request frame the session sent (a scripted peer's only parsing).
fn request_id(text: &str) -> &str {
    let start = text.find("\"request_id\":\"").map(|i| i + 14).unwrap_or(0);
    let len = text[start..].find('"').unwrap_or(0);
    &text[start..start + len]
}

/// A session logged in on socket 0, its outputs drained.
fn logged_in_session() -> (CustomerSession, ConnectionId, Instant) {
    let now = Instant::now();
    let mut s =
        CustomerSession::new(CustomerConfig::new("org-bench", Endpoint::url("ws://127.0.0.1:1")), now);
    let mut conn = None;
    while let Some(out) = s.poll_output() {
        if let Output::Open { conn: c, .. } = out {
            conn = Some(c);
        }
    }
    let conn = conn.expect("the session opens a socket");
    s.handle_transport_open(now, conn);
    let token = Token {
        access_token: Secret::new("dal:bench"),
        entity_id: "cust-a".into(),
        token_type: "Bearer".into(),
        expires_in: Duration::from_secs(28_800),
        organization_id: None,
        issued_at: now,
    };
    s.handle_token(now, Ok(token));
    let mut login = None;
    while let Some(out) = s.poll_output() {
        if let Output::Send { text, .. } = out {
            login = Some(request_id(&text).to_string());
        }
    }
    let response = json!({
        "request_id": login.expect("the session logs in"), "action": "login", "type": "response",
        "success": true,
        "payload": {"customer": {"id": "cust-a", "type": "customer"}, "has_active_thread": true,
                    "chats": [{"chat_id": "PW94SJTGW6", "has_unread_events": false}],
                    "__priv_dynamic_config": {"online_groups_ids": [0],
                                              "customer_groups": {"monitoring": {"id": 0}}}},
    });
    s.handle_frame(now, conn, &response.to_string());
    let mut connected = false;
    while let Some(out) = s.poll_output() {
        connected |= matches!(out, Output::Event(Event::Connected(_)));
    }
    assert!(connected, "login failed");
    (s, conn, now)
}

fn decode_value() -> Value {
    serde_json::from_str::<Value>(black_box(INCOMING_EVENT)).unwrap()
}

fn decode_frame_and_event() -> Event {
    match Frame::decode(black_box(INCOMING_EVENT)).unwrap() {
        Frame::Push(p) => Event::from_push(&p.action, p.payload).unwrap(),
        Frame::Response(_) => unreachable!(),
    }
}

fn dispatch(s: &mut CustomerSession, conn: ConnectionId, now: Instant) -> usize {
    s.handle_frame(now, conn, black_box(INCOMING_EVENT));
    let mut n = 0;
    while let Some(out) = s.poll_output() {
        black_box(&out);
        n += 1;
    }
    n
}

/// `n` request/response round trips with a scripted peer answering each at once.
fn round_trips(s: &mut CustomerSession, conn: ConnectionId, now: Instant, n: usize) {
    let mut done = 0;
    for _ in 0..n {
        s.request(now, "get_customer", json!({}), RequestOptions::default());
        while let Some(out) = s.poll_output() {
            match out {
                Output::Send { text, .. } => {
                    let reply = format!(
                        r#"{{"request_id":"{}","action":"get_customer","type":"response","success":true,"payload":{{"id":"cust-a","type":"customer","name":"Ann"}}}}"#,
                        request_id(&text)
                    );
                    s.handle_frame(now, conn, &reply);
                }
                Output::Completed { result, .. } => {
                    result.unwrap();
                    done += 1;
                }
                _ => {}
            }
        }
    }
    assert_eq!(done, n);
}

/// A `list_threads` page with three threads of five messages.
fn threads_page(rid: &str, page: usize, last: bool) -> String {
    let threads: Vec<Value> = (0..3)
        .map(|t| {
            let id = format!("T{page}x{t}");
            let events: Vec<Value> = (0..5)
                .map(|e| {
                    json!({"id": format!("{id}_{e}"), "created_at": "2026-01-01T10:00:00.000000Z",
                                "type": "message", "text": "some history text", "author_id": "agent-1"})
                })
                .collect();
            json!({"id": id, "active": false, "created_at": "2026-01-01T10:00:00.000000Z",
                   "user_ids": ["cust-a", "agent-1"], "events": events, "properties": {}})
        })
        .collect();
    let mut payload = json!({"threads": threads, "found_threads": 30});
    if !last {
        payload["next_page_id"] = json!(format!("page-{}", page + 1));
    }
    json!({"request_id": rid, "action": "list_threads", "type": "response", "success": true, "payload": payload})
        .to_string()
}

/// Open a history iterator and read `pages` pages, the peer answering each `list_threads`.
fn history_pages(s: &mut CustomerSession, conn: ConnectionId, now: Instant, pages: usize) {
    let h = s.history_open("PW94SJTGW6");
    let mut got = 0;
    for page in 0..pages {
        s.history_next(now, h);
        while let Some(out) = s.poll_output() {
            match out {
                Output::Send { text, .. } => {
                    let reply = threads_page(request_id(&text), page, page + 1 == pages);
                    s.handle_frame(now, conn, &reply);
                }
                Output::Completed { result, .. } => {
                    black_box(result.unwrap());
                    got += 1;
                }
                _ => {}
            }
        }
    }
    s.history_close(h);
    assert_eq!(got, pages);
}

fn bench_incoming_event(c: &mut Criterion) {
    let mut g = c.benchmark_group("incoming_event");
    g.throughput(Throughput::Bytes(INCOMING_EVENT.len() as u64));
    g.bench_function("serde_json_value", |b| b.iter(decode_value));
    g.bench_function("frame_and_event", |b| b.iter(decode_frame_and_event));
    let (mut s, conn, now) = logged_in_session();
    g.bench_function("session_dispatch", |b| b.iter(|| dispatch(&mut s, conn, now)));
    g.finish();
}

fn bench_session(c: &mut Criterion) {
    let mut g = c.benchmark_group("session");
    let (mut s, conn, now) = logged_in_session();
    g.throughput(Throughput::Elements(100));
    g.bench_function("round_trips_100", |b| b.iter(|| round_trips(&mut s, conn, now, 100)));
    g.throughput(Throughput::Elements(10));
    g.bench_function("history_10_pages", |b| b.iter(|| history_pages(&mut s, conn, now, 10)));
    g.finish();
}

/// Time `f` over `n` calls, after a warm-up; nanoseconds per call.
fn ns_per_call(n: u32, mut f: impl FnMut()) -> f64 {
    for _ in 0..n / 10 {
        f();
    }
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    start.elapsed().as_nanos() as f64 / f64::from(n)
}

/// The same three decode paths timed back to back, as ratios to the `serde_json` floor.
fn ratio_summary() {
    let n = 50_000;
    let value = ns_per_call(n, || {
        black_box(decode_value());
    });
    let ours = ns_per_call(n, || {
        black_box(decode_frame_and_event());
    });
    let (mut s, conn, now) = logged_in_session();
    let session = ns_per_call(n, || {
        black_box(dispatch(&mut s, conn, now));
    });
    println!("\nincoming_event ratios ({n} calls each, Instant-timed):");
    println!("  (i)   serde_json::from_str::<Value>         {value:>9.0} ns  1.00x");
    println!("  (ii)  Frame::decode + Event::from_push      {ours:>9.0} ns  {:.2}x", ours / value);
    println!("  (iii) CustomerSession::handle_frame + drain {session:>9.0} ns  {:.2}x", session / value);
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench_incoming_event(&mut c);
    bench_session(&mut c);
    c.final_summary();
    // `cargo test --benches` runs each benchmark once in test mode; skip the timing loop.
    if !std::env::args().any(|a| a == "--test" || a == "--list") {
        ratio_summary();
    }
}
