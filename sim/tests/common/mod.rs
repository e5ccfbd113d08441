#![allow(dead_code)]
//! A raw WebSocket RTM client for the integration tests.

use futures_util::{SinkExt, StreamExt};
use livechat_sim::{Sim, SimConfig};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

pub const ORG: &str = "org-test";

pub struct Client {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next: u64,
}

/// Outcome of reading the next frame.
#[derive(Debug)]
pub enum Next {
    Frame(Value),
    Closed(Option<String>),
    Timeout,
}

impl Client {
    pub async fn connect(url: &str) -> Client {
        let (ws, _) = connect_async(url).await.expect("connect");
        Client { ws, next: 0 }
    }

    pub async fn customer(sim: &Sim, org: &str) -> Client {
        Client::connect(&format!("{}/v3.6/customer/rtm/ws?organization_id={org}", sim.url())).await
    }

    /// Connects and logs in a new customer; returns the client and the customer id.
    pub async fn login(sim: &Sim, org: &str) -> (Client, String) {
        let (token, id) = sim.issue_customer_token(org);
        let mut c = Client::customer(sim, org).await;
        let r = c.request("login", json!({"token": format!("Bearer {token}")})).await;
        assert_eq!(r["success"], true, "login failed: {r}");
        (c, id)
    }

    pub async fn send_raw(&mut self, text: &str) {
        self.ws.send(Message::Text(text.into())).await.expect("send");
    }

    pub async fn send(&mut self, v: Value) {
        self.send_raw(&v.to_string()).await;
    }

    pub async fn next_within(&mut self, d: Duration) -> Next {
        loop {
            match tokio::time::timeout(d, self.ws.next()).await {
                Err(_) => return Next::Timeout,
                Ok(None) => return Next::Closed(None),
                Ok(Some(Err(_))) => return Next::Closed(None),
                Ok(Some(Ok(Message::Text(t)))) => {
                    return Next::Frame(serde_json::from_str(&t).expect("server sent invalid JSON"));
                }
                Ok(Some(Ok(Message::Close(f)))) => return Next::Closed(f.map(|f| f.reason.to_string())),
                Ok(Some(Ok(_))) => continue,
            }
        }
    }

    pub async fn recv(&mut self) -> Value {
        match self.next_within(Duration::from_secs(5)).await {
            Next::Frame(v) => v,
            other => panic!("expected a frame, got {other:?}"),
        }
    }

    /// Reads frames until `pred` matches; returns the match and everything before it.
    pub async fn recv_until(&mut self, pred: impl Fn(&Value) -> bool) -> (Value, Vec<Value>) {
        let mut before = Vec::new();
        loop {
            let f = self.recv().await;
            if pred(&f) {
                return (f, before);
            }
            before.push(f);
        }
    }

    pub async fn push(&mut self, action: &str) -> Value {
        self.recv_until(|f| f["type"] == "push" && f["action"] == action).await.0
    }

    pub fn next_id(&mut self) -> String {
        self.next += 1;
        format!("req-{}", self.next)
    }

    /// Sends a request and returns its response frame (pushes before it are skipped).
    pub async fn request(&mut self, action: &str, payload: Value) -> Value {
        let id = self.next_id();
        self.send(json!({"request_id": id, "action": action, "payload": payload})).await;
        self.recv_until(|f| f["type"] == "response" && f["request_id"] == id.as_str()).await.0
    }

    pub async fn ok(&mut self, action: &str, payload: Value) -> Value {
        let r = self.request(action, payload).await;
        assert_eq!(r["success"], true, "{action} failed: {r}");
        r["payload"].clone()
    }

    pub async fn err(&mut self, action: &str, payload: Value) -> Value {
        let r = self.request(action, payload).await;
        assert_eq!(r["success"], false, "{action} unexpectedly succeeded: {r}");
        r["payload"]["error"].clone()
    }

    /// Asserts no frame arrives within `d`.
    pub async fn quiet(&mut self, d: Duration) {
        if let Next::Frame(f) = self.next_within(d).await {
            panic!("unexpected frame {f}");
        }
    }
}

pub async fn sim() -> Sim {
    Sim::start(SimConfig::default()).await.expect("start sim")
}

pub async fn sim_with(f: impl FnOnce(&mut SimConfig)) -> Sim {
    let mut cfg = SimConfig::default();
    f(&mut cfg);
    Sim::start(cfg).await.expect("start sim")
}

/// Starts a chat with one message; returns (chat_id, thread_id).
pub async fn start_chat(c: &mut Client, text: &str) -> (String, String) {
    let p = c
        .ok("start_chat", json!({"chat": {"thread": {"events": [{"type": "message", "text": text}]}}}))
        .await;
    (p["chat_id"].as_str().unwrap().to_string(), p["thread_id"].as_str().unwrap().to_string())
}

/// A minimal HTTP/1.1 client (Connection: close). Returns (status, raw headers, body).
pub async fn http(
    sim: &Sim,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String, Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = TcpStream::connect(sim.addr()).await.expect("http connect");
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
        sim.addr(),
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut buf)).await;
    let split = buf.windows(4).position(|w| w == b"\r\n\r\n").expect("http response head");
    let head = String::from_utf8_lossy(&buf[..split]).to_string();
    let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
    let mut body = buf[split + 4..].to_vec();
    if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        body = dechunk(&body);
    }
    (status, head, body)
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = b.windows(2).position(|w| w == b"\r\n") else { return out };
        let n = usize::from_str_radix(std::str::from_utf8(&b[..eol]).unwrap().trim(), 16).unwrap_or(0);
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + n]);
        b = &b[eol + 2 + n + 2..];
    }
}

pub async fn post_json(sim: &Sim, path: &str, headers: &[(&str, &str)], body: Value) -> (u16, String, Value) {
    let mut h = vec![("Content-Type", "application/json")];
    h.extend_from_slice(headers);
    let (s, head, b) = http(sim, "POST", path, &h, body.to_string().as_bytes()).await;
    (s, head, serde_json::from_slice(&b).unwrap_or(Value::Null))
}
