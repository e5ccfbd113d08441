//! The simulator survives hostile clients: idle connections, odd file names, protocol
//! violations, unbounded state (issue 10, finding 12).

mod common;

use common::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::{Frame, FrameHeader};

/// Generous guard: the header timeout is 5 s.
const CLOSED_WITHIN: Duration = Duration::from_secs(15);

/// Reads until EOF; true if the server closed the connection within `CLOSED_WITHIN`.
async fn closed_by_server(s: &mut TcpStream) -> bool {
    let mut buf = Vec::new();
    matches!(tokio::time::timeout(CLOSED_WITHIN, s.read_to_end(&mut buf)).await, Ok(Ok(_)))
}

#[tokio::test]
async fn idle_and_slow_http_connections_are_closed_by_the_header_timeout() {
    let sim = sim().await;
    // Many connections that never send a byte.
    let mut idle = Vec::new();
    for _ in 0..50 {
        idle.push(TcpStream::connect(sim.addr()).await.unwrap());
    }
    // One that sends half a request head and stops.
    let mut partial = TcpStream::connect(sim.addr()).await.unwrap();
    partial.write_all(b"GET /_sim/stats HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    // One keep-alive connection that goes quiet after a response.
    let mut kept = TcpStream::connect(sim.addr()).await.unwrap();
    kept.write_all(b"GET /_sim/stats HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let mut first = [0u8; 12];
    kept.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");

    let all = futures_util::future::join_all(
        idle.iter_mut().chain([&mut partial, &mut kept]).map(closed_by_server),
    )
    .await;
    assert!(all.iter().all(|c| *c), "{} of {} still open", all.iter().filter(|c| !**c).count(), all.len());
    // The server still serves.
    let (s, _, _) = http(&sim, "GET", "/_sim/stats", &[], b"").await;
    assert_eq!(s, 200);
}

fn multipart(name: &str, content_type: &str, data: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----simboundaryHardening42";
    let mut b = Vec::new();
    b.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {content_type}\r\n\r\n").as_bytes());
    b.extend_from_slice(data);
    b.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), b)
}

/// Uploads; returns (status, response JSON).
async fn upload(sim: &livechat_sim::Sim, token: &str, name: &str, ct: &str, data: &[u8]) -> (u16, Value) {
    let auth = format!("Bearer {token}");
    let path = format!("/v3.6/customer/action/upload_file?organization_id={ORG}");
    let (mct, body) = multipart(name, ct, data);
    let (s, _, resp) =
        http(sim, "POST", &path, &[("Authorization", &auth), ("Content-Type", &mct)], &body).await;
    (s, serde_json::from_slice(&resp).unwrap_or(Value::Null))
}

/// GETs an uploaded file by its URL; returns (status, head lower-cased, body).
async fn fetch(sim: &livechat_sim::Sim, url: &str) -> (u16, String, Vec<u8>) {
    let path = url.strip_prefix(&sim.http_url()).expect("a URL of this simulator");
    let (s, head, body) = http(sim, "GET", path, &[], b"").await;
    (s, head.to_ascii_lowercase(), body)
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| l.strip_prefix(&format!("{name}: ")))
}

#[tokio::test]
async fn upload_urls_are_percent_encoded_and_serve_the_bytes_back() {
    let sim = sim().await;
    let (token, _) = sim.issue_customer_token(ORG);
    let (mut c, _) = Client::login(&sim, ORG).await;
    let (chat_id, _) = start_chat(&mut c, "files").await;
    for (i, name) in
        ["a b.txt", "x#1?.txt", "ünï cødé 文件.png", "100%.txt", "semi;colon&amp=.pdf"].iter().enumerate()
    {
        let data: Vec<u8> = (0..1000u32).map(|b| (b as u8).wrapping_add(i as u8)).collect();
        let (s, v) = upload(&sim, &token, name, "application/octet-stream", &data).await;
        assert_eq!(s, 200, "{name}: {v}");
        let url = v["url"].as_str().unwrap().to_string();
        let path = &url[sim.http_url().len()..];
        assert!(path.bytes().all(|b| b.is_ascii_graphic() && !b"#? ".contains(&b)), "{name} → {url}");
        let (s, _, served) = fetch(&sim, &url).await;
        assert_eq!(s, 200, "{name} → {url}");
        assert_eq!(served, data, "{name}");
        // The file event keeps the original name.
        c.ok("send_event", json!({"chat_id": chat_id, "event": {"type": "file", "url": url}})).await;
        let ev = c
            .recv_until(|f| f["action"] == "incoming_event" && f["payload"]["event"]["type"] == "file")
            .await
            .0;
        assert_eq!(ev["payload"]["event"]["name"], *name);
    }
}

#[tokio::test]
async fn served_files_never_echo_the_uploaded_content_type() {
    let sim = sim().await;
    let (token, _) = sim.issue_customer_token(ORG);
    let cases = [
        ("evil.html", "text/html", "application/octet-stream", false),
        ("evil.svg", "image/svg+xml", "application/octet-stream", false),
        ("pic.png", "text/html", "image/png", true),
        ("photo.JPG", "text/html", "image/jpeg", true),
        ("notes.txt", "text/html", "text/plain", false),
        ("doc.pdf", "text/html; charset=utf-8", "application/pdf", false),
        ("noext", "text/html", "application/octet-stream", false),
    ];
    for (name, sent_ct, want_ct, image) in cases {
        let (s, v) = upload(&sim, &token, name, sent_ct, b"<script>alert(1)</script>").await;
        assert_eq!(s, 200, "{name}: {v}");
        let (s, head, _) = fetch(&sim, v["url"].as_str().unwrap()).await;
        assert_eq!(s, 200);
        assert_eq!(header(&head, "content-type"), Some(want_ct), "{name}: {head}");
        assert_eq!(header(&head, "x-content-type-options"), Some("nosniff"), "{name}");
        let disp = header(&head, "content-disposition").unwrap_or("");
        assert_eq!(disp.starts_with("attachment"), !image, "{name}: {disp}");
    }
}

#[tokio::test]
async fn executables_are_refused_however_the_name_is_spelled() {
    let sim = sim().await;
    let (token, _) = sim.issue_customer_token(ORG);
    for name in
        ["x.exe", "x.EXE.", "x.exe ", "X.Exe", "x.exe::$DATA", "x.exe. .", "setup.MSI..", "run.bat:stream"]
    {
        let (s, v) = upload(&sim, &token, name, "application/octet-stream", b"MZ").await;
        assert_eq!(s, 400, "{name} was accepted: {v}");
        assert_eq!(v["error"]["type"], "validation", "{name}");
    }
    for name in ["x.exe.txt", "exe.png", "x.txt"] {
        let (s, v) = upload(&sim, &token, name, "application/octet-stream", b"ok").await;
        assert_eq!(s, 200, "{name}: {v}");
    }
}

/// Reads until the close frame; its code and reason (None: closed without one).
async fn close_of(c: &mut Client) -> Option<(u16, String)> {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), c.ws.next()).await {
            Ok(Some(Ok(Message::Close(f)))) => return f.map(|f| (u16::from(f.code), f.reason.to_string())),
            Ok(Some(Ok(_))) => continue,
            Ok(None) | Ok(Some(Err(_))) => return None,
            Err(_) => panic!("socket neither closed nor sent a close frame"),
        }
    }
}

fn raw_frame(opcode: OpCode, payload: &[u8]) -> Message {
    let header = FrameHeader { opcode, ..FrameHeader::default() };
    Message::Frame(Frame::from_payload(header, payload.to_vec().into()))
}

#[tokio::test]
async fn protocol_violations_close_with_a_code_and_a_reason() {
    let sim = sim().await;
    // Too large (the limit is 1 MiB).
    let (mut c, _) = Client::login(&sim, ORG).await;
    c.send_raw(&format!("{{\"action\":\"ping\",\"payload\":{{\"x\":\"{}\"}}}}", "a".repeat(1024 * 1024)))
        .await;
    let (code, reason) = close_of(&mut c).await.expect("a close frame");
    assert_eq!((code, reason.as_str()), (1009, "message too big"));
    // Binary.
    let (mut c, _) = Client::login(&sim, ORG).await;
    c.ws.send(Message::Binary(br#"{"action":"ping","payload":{}}"#.to_vec().into())).await.unwrap();
    assert_eq!(close_of(&mut c).await.map(|c| c.0), Some(1003));
    // A text frame that is not UTF-8.
    let (mut c, _) = Client::login(&sim, ORG).await;
    c.ws.send(raw_frame(OpCode::Data(Data::Text), b"{\"action\":\"\xff\xfe\"}")).await.unwrap();
    assert_eq!(close_of(&mut c).await, Some((1007, "invalid UTF-8".to_string())));
    // A reserved opcode.
    let (mut c, _) = Client::login(&sim, ORG).await;
    c.ws.send(raw_frame(OpCode::Data(Data::Reserved(3)), b"x")).await.unwrap();
    assert_eq!(close_of(&mut c).await, Some((1002, "protocol error".to_string())));
    // The same on the agent side.
    let mut a = Client::connect(&format!("{}/v3.6/agent/rtm/ws", sim.url())).await;
    a.ws.send(Message::Binary(vec![1, 2, 3].into())).await.unwrap();
    assert_eq!(close_of(&mut a).await.map(|c| c.0), Some(1003));
    // Well-framed text that is not a JSON request still gets an error response (documented
    // in the README; tests/customer_rtm.rs has the cases), and the socket stays.
    let (mut c, _) = Client::login(&sim, ORG).await;
    c.send_raw("{not json").await;
    assert_eq!(c.recv().await["success"], false);
    c.ok("ping", json!({})).await;
    // Closed sockets leave no bookkeeping behind.
    drop(c);
    let ctl = sim.control();
    let mut open = ctl.stats().connections_open;
    for _ in 0..100 {
        if open == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        open = ctl.stats().connections_open;
    }
    assert_eq!(open, 0);
}

#[tokio::test]
async fn idle_customers_their_chats_and_tokens_are_forgotten() {
    let sim = sim_with(|c| c.evict_after = Duration::from_millis(300)).await;
    let ctl = sim.control();
    // Never connects.
    let (unused_token, _) = sim.issue_customer_token(ORG);
    // Had a chat, closed it, left.
    let (mut gone, gone_id) = Client::login(&sim, ORG).await;
    let (chat_id, _) = start_chat(&mut gone, "bye").await;
    gone.ok("deactivate_chat", json!({"id": chat_id})).await;
    drop(gone);
    // Left with an active chat: kept.
    let (mut waiting, waiting_id) = Client::login(&sim, ORG).await;
    let (active_chat, _) = start_chat(&mut waiting, "still here?").await;
    drop(waiting);
    // Online: kept.
    let (mut online, online_id) = Client::login(&sim, ORG).await;

    let mut st = ctl.stats();
    for _ in 0..200 {
        if st.customers == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        st = ctl.stats();
    }
    assert_eq!(st.customers, 2, "{st:?}");
    assert_eq!(st.chats, 1, "{st:?}");
    assert!(ctl.customer_chats(&gone_id).is_empty());
    assert!(ctl.chat(&chat_id).is_none());
    assert!(ctl.chat(&active_chat).is_some());
    assert_eq!(ctl.customer_chats(&waiting_id), vec![active_chat]);
    // The forgotten customers' tokens no longer log in; the online one still works.
    let mut c = Client::customer(&sim, ORG).await;
    assert_eq!(
        c.err("login", json!({"token": format!("Bearer {unused_token}")})).await["type"],
        "authentication"
    );
    let p = online.ok("list_chats", json!({})).await;
    assert_eq!(p["total_chats"], 0);
    let _ = online_id;
}
