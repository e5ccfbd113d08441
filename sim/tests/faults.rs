//! Hostile-server fault injections (issue 10): each one as a client test would use it.

mod common;

use common::*;
use futures_util::StreamExt;
use livechat_sim::OversizedKind;
use serde_json::{Value, json};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

/// Polls `f` until it returns true (guard: 10 s).
async fn eventually(mut f: impl FnMut() -> bool) -> bool {
    for _ in 0..200 {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    f()
}

async fn agent(sim: &livechat_sim::Sim) -> Client {
    let mut a = Client::connect(&format!("{}/v3.6/agent/rtm/ws", sim.url())).await;
    a.ok("login", json!({"token": format!("Bearer {}", livechat_sim::DEFAULT_AGENT_TOKEN)})).await;
    a
}

/// The next text frame, raw (no JSON parse).
async fn next_text(c: &mut Client) -> String {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), c.ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => return t.to_string(),
            Ok(Some(Ok(_))) => continue,
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn ignored_pings_get_no_answer_while_requests_and_pushes_flow_and_keep_pushing_pushes() {
    let sim = sim().await;
    let (mut c, _) = Client::login(&sim, ORG).await;
    let (chat_id, _) = start_chat(&mut c, "hi").await;
    let (s, _, _) =
        post_json(&sim, "/_sim/faults", &[], json!({"ignore_pings": true, "keep_pushing_ms": 40})).await;
    assert_eq!(s, 200);
    c.send(json!({"request_id": "p1", "action": "ping", "payload": {}})).await;
    // Another request is answered, the ping is not.
    let id = c.next_id();
    c.send(json!({"request_id": id, "action": "get_chat", "payload": {"chat_id": chat_id}})).await;
    let (resp, before) = c.recv_until(|f| f["type"] == "response" && f["request_id"] == id.as_str()).await;
    assert_eq!(resp["success"], true);
    assert!(before.iter().all(|f| f["request_id"] != "p1"));
    sim.control().agent_message(&chat_id, "still pushing", None).unwrap();
    let mut multicasts = 0;
    let mut agent_msg = false;
    let mut ping_answered = false;
    for _ in 0..200 {
        if multicasts >= 5 && agent_msg {
            break;
        }
        let f = c.recv().await;
        ping_answered |= f["request_id"] == "p1";
        if f["action"] == "incoming_multicast" {
            assert_eq!(f["type"], "push");
            assert_eq!(f["payload"]["content"]["livechat_sim"], "keep_pushing");
            assert!(f["payload"].get("author_id").is_none());
            multicasts += 1;
        }
        agent_msg |= f["action"] == "incoming_event" && f["payload"]["event"]["text"] == "still pushing";
    }
    assert!(multicasts >= 5 && agent_msg, "multicasts {multicasts}, agent message {agent_msg}");
    let list = c.ok("list_chats", json!({})).await;
    assert_eq!(list["total_chats"], 1);
    assert!(!ping_answered, "an ignored ping was answered");
    // Pings answered again once the fault is cleared; the keep-alive pushes stop with it.
    sim.control().set_ignore_pings(false);
    let r = c.request("ping", json!({})).await;
    assert_eq!(r["success"], true);
    let mut later = 0;
    while let Next::Frame(f) = c.next_within(Duration::from_millis(400)).await {
        assert_ne!(f["request_id"], "p1", "the ignored ping was answered late");
        later += 1;
        assert!(later < 5, "keep_pushing went on after ignore_pings was cleared");
    }
}

/// An RTM upgrade request written by hand, so the test holds the TCP stream itself.
async fn raw_upgrade(sim: &livechat_sim::Sim, path: &str) -> TcpStream {
    let mut s = TcpStream::connect(sim.addr()).await.unwrap();
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        sim.addr()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    s
}

#[tokio::test]
async fn stalled_handshakes_stay_open_until_the_client_closes_them_and_are_counted() {
    let sim = sim().await;
    let ctl = sim.control();
    let (s, _, _) = post_json(&sim, "/_sim/faults", &[], json!({"stall_handshake": true})).await;
    assert_eq!(s, 200);
    let customer = format!("/v3.6/customer/rtm/ws?organization_id={ORG}");
    let mut held = vec![
        raw_upgrade(&sim, &customer).await,
        raw_upgrade(&sim, &customer).await,
        raw_upgrade(&sim, "/v3.6/agent/rtm/ws").await,
        raw_upgrade(&sim, "/v3.4/agent/rtm/sjs/123/abcdefgh/websocket").await,
    ];
    assert!(eventually(|| ctl.stalled_open() == 4).await, "stalled_open {}", ctl.stalled_open());
    // No answer at all, past the header timeout (5 s) too: the connection is held, not closed.
    let mut buf = [0u8; 64];
    let r = tokio::time::timeout(Duration::from_secs(7), held[0].read(&mut buf)).await;
    assert!(r.is_err(), "the server answered or closed a stalled handshake: {r:?}");
    // A client's own connect deadline fires.
    let url = format!("{}{customer}", sim.url());
    assert!(
        tokio::time::timeout(Duration::from_millis(500), tokio_tungstenite::connect_async(&url))
            .await
            .is_err()
    );
    // Closing them is seen.
    held.truncate(1);
    assert!(eventually(|| ctl.stalled_open() == 1).await, "stalled_open {}", ctl.stalled_open());
    let (_, _, body) = http(&sim, "GET", "/_sim/stats", &[], b"").await;
    let stats: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(stats["stalled_open"], 1);
    assert!(stats["stalled_total"].as_u64().unwrap() >= 5);
    // Other HTTP routes are unaffected, and handshakes complete again once cleared.
    ctl.set_stall_handshake(false);
    let (mut c, _) = Client::login(&sim, ORG).await;
    c.ok("ping", json!({})).await;
    drop(held);
    assert!(eventually(|| ctl.stalled_open() == 0).await);
    // Stopping the simulator does not wait for stalled connections.
    ctl.set_stall_handshake(true);
    let _stuck = raw_upgrade(&sim, &customer).await;
    assert!(eventually(|| ctl.stalled_open() == 1).await);
    assert!(tokio::time::timeout(Duration::from_secs(10), sim.shutdown()).await.is_ok());
}

#[tokio::test]
async fn oversized_pushes_on_request_and_before_the_next_push() {
    let sim = sim().await;
    let ctl = sim.control();
    let (mut c, id) = Client::login(&sim, ORG).await;
    let (chat_id, _) = start_chat(&mut c, "hi").await;
    c.push("incoming_event").await; // the bot's reply
    // On request over HTTP: `[0,0,…]` of exactly 3 MiB.
    let n = 3 * 1024 * 1024;
    let (s, _, r) =
        post_json(&sim, "/_sim/oversized", &[], json!({"customer_id": id, "bytes": n, "kind": "array"}))
            .await;
    assert_eq!((s, r["sent"].as_u64()), (200, Some(1)));
    let f = next_text(&mut c).await;
    assert_eq!(f.len(), n);
    let v: Value = serde_json::from_str(&f).unwrap();
    assert_eq!((v["action"].as_str(), v["type"].as_str()), (Some("sim_oversized"), Some("push")));
    let data = v["payload"]["data"].as_array().unwrap();
    assert!(data.len() > n / 2 - 100 && data.iter().all(|x| x == 0));
    // A huge string, from the library.
    assert_eq!(ctl.send_oversized_customer(Some(&id), 2_000_000, OversizedKind::String), 1);
    let f = next_text(&mut c).await;
    assert_eq!(f.len(), 2_000_000);
    let v: Value = serde_json::from_str(&f).unwrap();
    assert!(v["payload"]["data"].as_str().unwrap().len() > 1_999_000);
    // The next push is preceded by one.
    let (s, _, _) = post_json(
        &sim,
        "/_sim/faults",
        &[],
        json!({"oversized_push_bytes": 1_500_000, "oversized_push_kind": "string"}),
    )
    .await;
    assert_eq!(s, 200);
    ctl.agent_message(&chat_id, "after the big one", None).unwrap();
    let f = next_text(&mut c).await;
    assert_eq!(f.len(), 1_500_000);
    let next: Value = serde_json::from_str(&next_text(&mut c).await).unwrap();
    assert_eq!(next["payload"]["event"]["text"], "after the big one");
    // Only once.
    ctl.agent_message(&chat_id, "normal again", None).unwrap();
    assert_eq!(c.push("incoming_event").await["payload"]["event"]["text"], "normal again");
    // The agent side gets them as well.
    let mut a = agent(&sim).await;
    assert_eq!(
        ctl.send_oversized_agent(Some(livechat_sim::DEFAULT_AGENT_ID), 100_000, OversizedKind::Array),
        1
    );
    assert_eq!(next_text(&mut a).await.len(), 100_000);
}

#[tokio::test]
async fn push_raw_sends_any_text_to_a_users_sockets() {
    let sim = sim().await;
    let (mut c, id) = Client::login(&sim, ORG).await;
    let (mut other, _) = Client::login(&sim, ORG).await;
    let mut a = agent(&sim).await;
    let (s, _, r) =
        post_json(&sim, "/_sim/push_raw", &[], json!({"customer_id": id, "text": "{not json"})).await;
    assert_eq!((s, r["sent"].as_u64()), (200, Some(1)));
    assert_eq!(next_text(&mut c).await, "{not json");
    let unknown = r#"{"action":"from_the_future","type":"push","payload":{"x":[1,2,3]}}"#;
    let (_, _, r) = post_json(
        &sim,
        "/_sim/push_raw",
        &[],
        json!({"agent_id": livechat_sim::DEFAULT_AGENT_ID, "text": unknown}),
    )
    .await;
    assert_eq!(r["sent"], 1);
    assert_eq!(next_text(&mut a).await, unknown);
    // Only the addressed user got them.
    other.quiet(Duration::from_millis(300)).await;
    // No id: every socket, logged in or not.
    let mut fresh = Client::customer(&sim, ORG).await;
    assert_eq!(sim.control().push_raw_customer(None, "[]"), 3);
    assert_eq!(next_text(&mut fresh).await, "[]");
    let (_, _, r) = post_json(&sim, "/_sim/push_raw", &[], json!({})).await;
    assert!(r.is_object());
}

#[tokio::test]
async fn hostile_regions_in_disconnects_and_login_errors() {
    let sim = sim().await;
    let (mut c, id) = Client::login(&sim, ORG).await;
    let mut a = agent(&sim).await;
    for (body, client) in [
        (
            json!({"customer_id": id, "reason": "misdirected_connection", "data": {"region": "evil.example/"}}),
            &mut c,
        ),
        (
            json!({"agent_id": livechat_sim::DEFAULT_AGENT_ID, "reason": "misdirected_connection",
                   "data": {"region": "x@127.0.0.1:19070/"}}),
            &mut a,
        ),
    ] {
        let (s, _, r) = post_json(&sim, "/_sim/disconnect", &[], body.clone()).await;
        assert_eq!((s, r["disconnected"].as_u64()), (200, Some(1)));
        let f = client.recv().await;
        assert!(f["action"] == "customer_disconnected" || f["action"] == "agent_disconnected", "{f}");
        assert_eq!(f["payload"]["reason"], "misdirected_connection");
        assert_eq!(f["payload"]["data"], body["data"]);
        assert!(matches!(client.next_within(Duration::from_secs(5)).await, Next::Closed(_)));
    }
    // Login refused with `misdirected_request` and a region.
    let (s, _, _) = post_json(
        &sim,
        "/_sim/reject_logins",
        &[],
        json!({"count": 2, "error": "misdirected_request", "data": {"region": "evil.example/"}}),
    )
    .await;
    assert_eq!(s, 200);
    let (token, _) = sim.issue_customer_token(ORG);
    let mut c = Client::customer(&sim, ORG).await;
    let e = c.err("login", json!({"token": format!("Bearer {token}")})).await;
    assert_eq!(
        e,
        json!({"type": "misdirected_request", "message": "Wrong region", "data": {"region": "evil.example/"}})
    );
    let mut a = Client::connect(&format!("{}/v3.6/agent/rtm/ws", sim.url())).await;
    let e = a.err("login", json!({"token": format!("Bearer {}", livechat_sim::DEFAULT_AGENT_TOKEN)})).await;
    assert_eq!(e["data"]["region"], "evil.example/");
    // Count used up; the plain form carries no data.
    c.ok("login", json!({"token": format!("Bearer {token}")})).await;
    sim.control().reject_next_logins(1, "customer_banned");
    let mut d = Client::customer(&sim, ORG).await;
    let e = d.err("login", json!({"token": format!("Bearer {token}")})).await;
    assert_eq!(e["type"], "customer_banned");
    assert!(e.get("data").is_none());
}

#[tokio::test]
async fn internal_error_after_every_login() {
    let sim = sim().await;
    let (s, _, _) = post_json(&sim, "/_sim/faults", &[], json!({"internal_error_after_login": true})).await;
    assert_eq!(s, 200);
    let (token, _) = sim.issue_customer_token(ORG);
    for _ in 0..3 {
        let mut c = Client::customer(&sim, ORG).await;
        let r = c.request("login", json!({"token": format!("Bearer {token}")})).await;
        assert_eq!(r["success"], true);
        let f = c.recv().await;
        assert_eq!(f["action"], "customer_disconnected");
        assert_eq!(f["payload"], json!({"reason": "internal_error"}));
        assert!(matches!(c.next_within(Duration::from_secs(5)).await, Next::Closed(_)));
    }
    let mut a = Client::connect(&format!("{}/v3.6/agent/rtm/ws", sim.url())).await;
    a.ok("login", json!({"token": format!("Bearer {}", livechat_sim::DEFAULT_AGENT_TOKEN)})).await;
    assert_eq!(a.recv().await["payload"]["reason"], "internal_error");
    // A failed login is not followed by a disconnect.
    let mut bad = Client::customer(&sim, ORG).await;
    assert_eq!(bad.err("login", json!({"token": "Bearer nope"})).await["type"], "authentication");
    bad.ok("ping", json!({})).await;
    assert!(sim.control().stats().logins >= 4);
    // Cleared: logins stay.
    let (s, _, _) = post_json(&sim, "/_sim/faults", &[], json!({"clear": true})).await;
    assert_eq!(s, 200);
    let (mut c, _) = Client::login(&sim, ORG).await;
    c.ok("ping", json!({})).await;
    c.quiet(Duration::from_millis(300)).await;
}
