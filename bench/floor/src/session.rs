//! One session, by hand: the cookie-grant token over a plain HTTP/1.1 request, the RTM
//! socket, `login`, `start_chat`, the barrier, M timed `send_event`s, then `get_chat` to
//! count lost and duplicated messages — the steps of `cli/src/load/script.rs`, in order.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The organization and client id `livechat load` uses.
const ORG: &str = "load-org";
const CLIENT_ID: &str = "load-client";
/// How long a session waits for any frame (`livechat load` bounds each event wait at 30 s).
const WAIT: Duration = Duration::from_secs(30);
/// The read buffer and frame limit the SDK's transports configure (`core/src/wire/mod.rs`),
/// so that memory per session compares client state, not a different socket buffer.
const READ_BUFFER: usize = 8 * 1024;
const MAX_FRAME: usize = 4 * 1024 * 1024;

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// What every session shares.
pub struct Plan {
    /// `127.0.0.1:PORT` of the simulator.
    pub authority: String,
    pub messages: usize,
    pub barrier: tokio::sync::Barrier,
    /// `VmRSS` (KiB) when every session was live, sampled by the barrier's leader.
    pub live_rss: std::sync::Arc<AtomicU64>,
}

/// The fields of `livechat load`'s `SessionResult`, with the same meaning.
#[derive(Default)]
pub struct SessionResult {
    pub rtts: Vec<Duration>,
    pub sent: usize,
    pub errors: Vec<String>,
    pub lost: usize,
    pub duplicated: usize,
    pub first_send: Option<Instant>,
    pub last_reply: Option<Instant>,
}

impl SessionResult {
    pub fn failed(what: String) -> SessionResult {
        SessionResult { errors: vec![what], ..Default::default() }
    }
}

pub async fn run(i: usize, plan: &Plan) -> SessionResult {
    let mut r = SessionResult::default();
    let mut arrived = false;
    let mut ws = None;
    if let Err(e) = script(i, plan, &mut r, &mut arrived, &mut ws).await {
        r.errors.push(e);
    }
    if !arrived {
        // As in `livechat load`: a session that failed early still counts at the barrier.
        plan.barrier.wait().await;
    }
    if let Some(mut ws) = ws {
        let _ = ws.close(None).await;
    }
    r
}

async fn script(
    i: usize,
    plan: &Plan,
    r: &mut SessionResult,
    arrived: &mut bool,
    slot: &mut Option<Ws>,
) -> Result<(), String> {
    let token = cookie_grant(&plan.authority).await.map_err(|e| format!("token: {e}"))?;
    let url = format!("ws://{}/v3.6/customer/rtm/ws?organization_id={ORG}", plan.authority);
    let config = WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .max_message_size(Some(MAX_FRAME))
        .max_frame_size(Some(MAX_FRAME));
    // `true`: TCP_NODELAY, as the tokio transport connects.
    let (ws, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), true)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let ws = slot.insert(ws);
    let mut ids = 0u64;

    // The SDK's login payload for a cookie identity with no customer data set.
    let login = json!({
        "token": format!("Bearer {token}"), "customer_side_storage": {}, "is_mobile": false,
        "application": {"name": "livechat-rs", "version": "0.1.0"},
    });
    let login = call(ws, &mut ids, "login", login).await.map_err(|e| format!("login: {e}"))?;
    let me = login["customer_id"]
        .as_str()
        .or_else(|| login["customer"]["id"].as_str())
        .ok_or("login: no customer id in the response")?
        .to_string();
    let started =
        call(ws, &mut ids, "start_chat", json!({})).await.map_err(|e| format!("start_chat: {e}"))?;
    let chat_id = started["chat_id"].as_str().ok_or("start_chat: no chat_id")?.to_string();

    // The SDK tags each message with a `custom_id` (its exactly-once key): the floor sends one
    // of the same shape, so that the simulator stores and echoes the same bytes. Nothing here
    // uses it.
    let tag = format!("{:016x}{:016x}", i, t0_nanos());
    *arrived = true;
    if plan.barrier.wait().await.is_leader() {
        plan.live_rss.store(crate::status_kib("VmRSS:"), Ordering::Relaxed);
    }

    for k in 0..plan.messages {
        let text = format!("load {i} {k}");
        let want = format!("You said: {text}");
        let t = Instant::now();
        r.first_send.get_or_insert(t);
        ids += 1;
        let id = ids.to_string();
        let frame = json!({
            "request_id": id,
            "action": "send_event",
            "payload": {"chat_id": chat_id, "event": {
                "type": "message", "text": text, "custom_id": format!("lcrs-{tag}-{}", k + 1),
            }},
        });
        send(ws, &frame).await.map_err(|e| format!("send {k}: {e}"))?;
        // The response and the bot's reply, in either order; the round trip ends when both
        // are in, as `livechat load` sees the reply only once `send_message` returned.
        let (mut confirmed, mut replied) = (false, false);
        while !(confirmed && replied) {
            let f = next_frame(ws).await.map_err(|e| format!("send {k}: {e}"))?;
            if f["type"] == "response" && f["request_id"] == id.as_str() {
                ok_payload(f).map_err(|e| format!("send {k}: {e}"))?;
                confirmed = true;
                r.sent += 1;
            } else if f["action"] == "incoming_event" {
                let ev = &f["payload"]["event"];
                replied |=
                    ev["type"] == "message" && ev["author_id"] != me.as_str() && ev["text"] == want.as_str();
            }
        }
        let now = Instant::now();
        r.rtts.push(now - t);
        r.last_reply = Some(now);
    }

    // Exactly once, as stored: each message must be in the chat once.
    let stored = call(ws, &mut ids, "get_chat", json!({"chat_id": chat_id}))
        .await
        .map_err(|e| format!("get_chat: {e}"))?;
    // Count each own message text once, as `script.rs` does (linear in the events).
    let mut copies: HashMap<&str, usize> = HashMap::new();
    for e in stored["thread"]["events"].as_array().map(Vec::as_slice).unwrap_or_default() {
        if e["type"] == "message"
            && e["author_id"].as_str() == Some(me.as_str())
            && let Some(text) = e["text"].as_str()
        {
            *copies.entry(text).or_default() += 1;
        }
    }
    for k in 0..plan.messages {
        match copies.get(format!("load {i} {k}").as_str()).copied().unwrap_or(0) {
            0 => r.lost += 1,
            1 => {}
            n => r.duplicated += n - 1,
        }
    }
    Ok(())
}

/// Some bits that differ between runs, for the `custom_id`s (no random-number crate).
fn t0_nanos() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64)
}

async fn send(ws: &mut Ws, frame: &Value) -> Result<(), String> {
    ws.send(Message::text(frame.to_string())).await.map_err(|e| e.to_string())
}

/// The next text frame, parsed; pings are answered by tungstenite itself.
async fn next_frame(ws: &mut Ws) -> Result<Value, String> {
    loop {
        match tokio::time::timeout(WAIT, ws.next()).await {
            Err(_) => return Err("no frame within 30 s".into()),
            Ok(None) => return Err("the socket closed".into()),
            Ok(Some(Err(e))) => return Err(e.to_string()),
            Ok(Some(Ok(Message::Text(t)))) => {
                return serde_json::from_str(t.as_str()).map_err(|e| format!("bad frame: {e}"));
            }
            Ok(Some(Ok(Message::Close(c)))) => return Err(format!("closed by the server: {c:?}")),
            Ok(Some(Ok(_))) => {}
        }
    }
}

/// A request and its response's payload; pushes that come in between are not needed here.
async fn call(ws: &mut Ws, ids: &mut u64, action: &str, payload: Value) -> Result<Value, String> {
    *ids += 1;
    let id = ids.to_string();
    send(ws, &json!({"request_id": id, "action": action, "payload": payload})).await?;
    loop {
        let f = next_frame(ws).await?;
        if f["type"] == "response" && f["request_id"] == id.as_str() {
            return ok_payload(f);
        }
    }
}

fn ok_payload(mut f: Value) -> Result<Value, String> {
    if f["success"] == true {
        Ok(f["payload"].take())
    } else {
        Err(format!("failed: {}", f["payload"]["error"]))
    }
}

/// `POST /v2/customer/token` (cookie grant) over one plain HTTP/1.1 connection, closed after
/// the answer — the SDK's HTTP client also opens a connection per token request. Returns
/// the access token.
async fn cookie_grant(authority: &str) -> Result<String, String> {
    let body = json!({
        "response_type": "token", "grant_type": "cookie",
        "client_id": CLIENT_ID, "organization_id": ORG,
    })
    .to_string();
    let request = format!(
        "POST /v2/customer/token HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let exchange = async {
        let mut tcp = TcpStream::connect(authority).await?;
        tcp.set_nodelay(true)?;
        tcp.write_all(request.as_bytes()).await?;
        let mut answer = Vec::with_capacity(1024);
        tcp.read_to_end(&mut answer).await?;
        Ok::<_, std::io::Error>(answer)
    };
    let answer = tokio::time::timeout(WAIT, exchange)
        .await
        .map_err(|_| "no answer within 30 s".to_string())?
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&answer);
    let (head, body) = text.split_once("\r\n\r\n").ok_or("no end of headers")?;
    let status = head.split(' ').nth(1).unwrap_or("");
    if status != "200" {
        return Err(format!("status {status}: {body}"));
    }
    let chunked = head.lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    let body = if chunked { dechunk(body)? } else { body.to_string() };
    let v: Value = serde_json::from_str(&body).map_err(|e| format!("bad body: {e}"))?;
    v["access_token"].as_str().map(str::to_string).ok_or_else(|| format!("no access_token in {body}"))
}

/// A `Transfer-Encoding: chunked` body, joined (hyper sends one when it cannot size a body).
fn dechunk(mut rest: &str) -> Result<String, String> {
    let mut out = String::new();
    loop {
        let (size, after) = rest.split_once("\r\n").ok_or("bad chunk")?;
        let size = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|e| e.to_string())?;
        if size == 0 {
            return Ok(out);
        }
        out.push_str(after.get(..size).ok_or("short chunk")?);
        rest = after.get(size + 2..).ok_or("short chunk")?;
    }
}
