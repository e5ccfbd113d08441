//! `close_customer` / `close_agent` (`POST /_sim/close`): a bare Close frame, no disconnect
//! push first, and the closing handshake counted.

mod common;

use common::*;
use futures_util::StreamExt;
use serde_json::json;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// The next message must be the Close (no push before it); returns its code and reason.
async fn expect_close(c: &mut Client) -> (u16, String) {
    match tokio::time::timeout(Duration::from_secs(10), c.ws.next()).await {
        Ok(Some(Ok(Message::Close(Some(f))))) => (u16::from(f.code), f.reason.to_string()),
        other => panic!("expected a Close frame first, got {other:?}"),
    }
}

/// Reads on (which sends tungstenite's queued Close reply) until the server ends the socket.
async fn read_to_end(c: &mut Client) {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), c.ws.next()).await {
            Ok(None | Some(Err(_))) => return,
            Ok(Some(Ok(_))) => {}
            Err(_) => panic!("the server kept the socket open after the closing handshake"),
        }
    }
}

#[tokio::test]
async fn a_bare_close_is_sent_and_the_clients_answer_is_counted() {
    let sim = sim().await;
    let ctl = sim.control();
    let (mut c, id) = Client::login(&sim, ORG).await;
    let (mut other, _) = Client::login(&sim, ORG).await;
    let mut a = Client::connect(&format!("{}/v3.6/agent/rtm/ws", sim.url())).await;
    a.ok("login", json!({"token": format!("Bearer {}", livechat_sim::DEFAULT_AGENT_TOKEN)})).await;

    let (s, _, r) = post_json(
        &sim,
        "/_sim/close",
        &[],
        json!({"customer_id": id, "code": 4001, "reason": "closed by test"}),
    )
    .await;
    assert_eq!((s, r["sent"].as_u64()), (200, Some(1)));
    assert_eq!(expect_close(&mut c).await, (4001, "closed by test".to_string()));
    read_to_end(&mut c).await;
    // Counted before the server let the socket go.
    let st = ctl.stats();
    assert_eq!((st.closes_sent, st.closes_answered, st.closes_unanswered), (1, 1, 0));
    // Only the addressed customer's socket.
    other.ok("ping", json!({})).await;

    assert_eq!(ctl.close_agent(Some(livechat_sim::DEFAULT_AGENT_ID), 4002, "agent too"), 1);
    assert_eq!(expect_close(&mut a).await, (4002, "agent too".to_string()));
    read_to_end(&mut a).await;
    let st = ctl.stats();
    assert_eq!((st.closes_sent, st.closes_answered, st.closes_unanswered), (2, 2, 0));

    // A reason too long for a control frame is refused over HTTP, cut on `Control`.
    let long = "r".repeat(124);
    let (s, _, _) = post_json(&sim, "/_sim/close", &[], json!({"code": 4001, "reason": long})).await;
    assert_eq!(s, 400);
    let (s, _, _) = post_json(&sim, "/_sim/close", &[], json!({"reason": "no code"})).await;
    assert_eq!(s, 400);
    let (s, _, _) = post_json(&sim, "/_sim/close", &[], json!({"code": 70000})).await;
    assert_eq!(s, 400);
    assert_eq!(ctl.close_customer(None, CloseCode::Away.into(), &long), 1);
    let (code, reason) = expect_close(&mut other).await;
    assert_eq!((code, reason.len()), (1001, 123));
}

#[tokio::test]
async fn a_client_that_never_answers_the_close_is_dropped_and_counted() {
    let sim = sim().await;
    let ctl = sim.control();
    let mut s = TcpStream::connect(sim.addr()).await.unwrap();
    let req = format!(
        "GET /v3.6/customer/rtm/ws?organization_id={ORG} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        sim.addr()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 512];
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = s.read(&mut buf).await.unwrap();
        assert!(n > 0, "no upgrade response");
        seen.extend_from_slice(&buf[..n]);
    }
    assert!(seen.starts_with(b"HTTP/1.1 101"), "{}", String::from_utf8_lossy(&seen));
    assert_eq!(ctl.close_customer(None, 4003, "say goodbye"), 1);
    // Read, never write, until the server gives up on the handshake and closes TCP.
    let mut frames = Vec::new();
    loop {
        match tokio::time::timeout(Duration::from_secs(20), s.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => break,
            Ok(Ok(n)) => frames.extend_from_slice(&buf[..n]),
            Err(_) => panic!("the server waited for the Close reply without bound"),
        }
    }
    // One unmasked Close frame: FIN + opcode 8, payload = code (big-endian) + reason.
    let mut want = vec![0x88, 13, 0x0f, 0xa3];
    want.extend_from_slice(b"say goodbye");
    assert_eq!(frames, want);
    let st = ctl.stats();
    assert_eq!((st.closes_sent, st.closes_answered, st.closes_unanswered), (1, 0, 1));
}
