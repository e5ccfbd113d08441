//! Agent RTM (raw WebSocket and SockJS) chatting with a customer.

mod common;

use base64::Engine;
use common::*;
use futures_util::SinkExt;
use livechat_sim::{DEFAULT_AGENT_ACCOUNT_ID, DEFAULT_AGENT_ID, DEFAULT_AGENT_PAT, DEFAULT_AGENT_TOKEN};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn agent_logs_in_with_bearer_or_basic_and_chats_with_a_customer() {
    let sim = sim().await;
    let mut bad = Client::connect(&format!("{}/v3.6/agent/rtm/ws", sim.url())).await;
    assert_eq!(bad.err("login", json!({"token": "Bearer wrong"})).await["type"], "authentication");
    let pat = base64::engine::general_purpose::STANDARD
        .encode(format!("{DEFAULT_AGENT_ACCOUNT_ID}:{DEFAULT_AGENT_PAT}"));
    let p = bad.ok("login", json!({"token": format!("Basic {pat}")})).await;
    assert_eq!(p["my_profile"]["id"], DEFAULT_AGENT_ID);
    drop(bad);

    let mut agent = Client::connect(&format!("{}/v3.6/agent/rtm/ws", sim.url())).await;
    let p = agent.ok("login", json!({"token": format!("Bearer {DEFAULT_AGENT_TOKEN}")})).await;
    assert_eq!(p["my_profile"]["routing_status"], "accepting_chats");
    assert!(p["license"]["id"].is_string());

    // A logged-in human agent gets the new chat instead of the bot.
    let (mut c, cid) = Client::login(&sim, ORG).await;
    let (chat_id, thread_id) = start_chat(&mut c, "is a human there?").await;
    let incoming = agent.push("incoming_chat").await;
    assert_eq!(incoming["payload"]["chat"]["id"], chat_id.as_str());
    assert_eq!(incoming["payload"]["chat"]["thread"]["events"][0]["text"], "is a human there?");
    let users: Vec<Value> = incoming["payload"]["chat"]["users"].as_array().unwrap().clone();
    assert!(users.iter().any(|u| u["id"] == cid.as_str()));
    assert!(users.iter().any(|u| u["id"] == DEFAULT_AGENT_ID));

    // Agent → customer.
    agent.send(json!({"request_id": "a1", "action": "send_event",
        "payload": {"chat_id": chat_id, "event": {"type": "message", "text": "yes, hello", "visibility": "all"}}}))
        .await;
    let r = agent.recv().await;
    assert_eq!((r["type"].as_str(), r["request_id"].as_str()), (Some("response"), Some("a1")));
    let got = c.recv_until(|f| f["action"] == "incoming_event").await.0;
    assert_eq!(got["payload"]["event"]["author_id"], DEFAULT_AGENT_ID);
    assert_eq!(got["payload"]["event"]["text"], "yes, hello");
    // Customer → agent; no bot reply in a human's chat.
    c.ok("send_event", json!({"chat_id": chat_id, "event": {"type": "message", "text": "great"}})).await;
    let e = agent
        .recv_until(|f| f["action"] == "incoming_event" && f["payload"]["event"]["text"] == "great")
        .await
        .0;
    assert_eq!(e["payload"]["event"]["author_id"], cid.as_str());
    c.ok("send_sneak_peek", json!({"chat_id": chat_id, "sneak_peek_text": "typing..."})).await;
    assert_eq!(agent.push("incoming_sneak_peek").await["payload"]["sneak_peek"]["text"], "typing...");
    agent.ok("send_typing_indicator", json!({"chat_id": chat_id, "is_typing": true})).await;
    assert_eq!(
        c.push("incoming_typing_indicator").await["payload"]["typing_indicator"]["author_id"],
        DEFAULT_AGENT_ID
    );
    let list = agent.ok("list_chats", json!({})).await;
    assert_eq!(list["chats_summary"][0]["id"], chat_id.as_str());
    let chat = agent.ok("get_chat", json!({"chat_id": chat_id})).await;
    let texts: Vec<&str> =
        chat["thread"]["events"].as_array().unwrap().iter().filter_map(|e| e["text"].as_str()).collect();
    assert_eq!(texts, vec!["is a human there?", "yes, hello", "great"]);

    // Agent closes the chat: the customer gets the system message and chat_deactivated.
    agent.ok("deactivate_chat", json!({"id": chat_id})).await;
    let d = c.push("chat_deactivated").await;
    assert_eq!(
        d["payload"],
        json!({"chat_id": chat_id, "thread_id": thread_id, "user_id": DEFAULT_AGENT_ID})
    );
    assert_eq!(
        c.err("send_event", json!({"chat_id": chat_id, "event": {"type": "message", "text": "x"}})).await["type"],
        "chat_inactive"
    );

    // Routing status and transfer back to the bot's queue.
    agent.ok("set_routing_status", json!({"status": "not_accepting_chats"})).await;
    c.ok("resume_chat", json!({"chat": {"id": chat_id}})).await;
    let inc = c.push("incoming_chat").await;
    let ids: Vec<&str> = inc["payload"]["chat"]["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&livechat_sim::BOT_AGENT_ID) && !ids.contains(&DEFAULT_AGENT_ID), "{ids:?}");
    let e = agent.err("frobnicate", json!({})).await;
    assert_eq!(e["type"], "validation");
}

#[tokio::test]
async fn agent_disconnect_reason_from_control() {
    let sim = sim().await;
    let mut agent = Client::connect(&format!("{}/v3.5/agent/rtm/ws", sim.url())).await;
    agent.ok("login", json!({"token": format!("Bearer {DEFAULT_AGENT_TOKEN}")})).await;
    assert_eq!(sim.control().disconnect_agent(None, "license_expired", None), 1);
    let f = agent.recv().await;
    assert_eq!(
        (f["action"].as_str(), f["payload"]["reason"].as_str()),
        (Some("agent_disconnected"), Some("license_expired"))
    );
    assert_eq!(f["version"], "3.5");
}

#[tokio::test]
async fn sockjs_framing_carries_the_same_protocol() {
    let sim = sim_with(|c| c.sockjs_heartbeat = std::time::Duration::from_millis(200)).await;
    let (s, _, body) = http(&sim, "GET", "/v3.4/agent/rtm/sjs/info?bh=abc", &[], b"").await;
    assert_eq!(s, 200);
    let info: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(info["websocket"], true);
    use futures_util::StreamExt;
    let url = format!("{}/v3.4/agent/rtm/sjs/124/abcdefgi/websocket?bh=abc", sim.url());
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let first = ws.next().await.unwrap().unwrap();
    assert_eq!(first, Message::Text("o".into()));
    let mut frames = Vec::new();
    let login = json!({"request_id": "l1", "action": "login", "payload": {"token": format!("Bearer {DEFAULT_AGENT_TOKEN}")}}).to_string();
    ws.send(Message::Text(json!([login]).to_string().into())).await.unwrap();
    let mut saw_heartbeat = false;
    while frames.is_empty() || !saw_heartbeat {
        let Message::Text(t) = ws.next().await.unwrap().unwrap() else { continue };
        let t = t.to_string();
        match t.as_str() {
            "h" => saw_heartbeat = true,
            _ => {
                let inner: Vec<String> = serde_json::from_str(t.strip_prefix('a').expect("a-frame")).unwrap();
                frames.extend(inner.into_iter().map(|s| serde_json::from_str::<Value>(&s).unwrap()));
            }
        }
    }
    assert_eq!(frames[0]["request_id"], "l1");
    assert_eq!(frames[0]["success"], true);
    sim.control().disconnect_agent(None, "connection_evicted", None);
    let mut closed = false;
    while let Some(Ok(m)) = ws.next().await {
        if let Message::Text(t) = m
            && t.starts_with("c[")
        {
            assert!(t.contains("connection_evicted"));
            closed = true;
        }
    }
    assert!(closed, "expected a SockJS close frame");
}

#[tokio::test]
async fn transfer_by_the_agent_pushes_chat_transferred_to_both_sides() {
    let sim = sim().await;
    let mut agent = Client::connect(&format!("{}/v3.6/agent/rtm/ws", sim.url())).await;
    agent.ok("login", json!({"token": format!("Bearer {DEFAULT_AGENT_TOKEN}")})).await;
    let (mut c, _cid) = Client::login(&sim, ORG).await;
    let (chat_id, _thread_id) = start_chat(&mut c, "transfer me").await;
    agent.push("incoming_chat").await;
    agent
        .ok(
            "transfer_chat",
            json!({"id": chat_id, "target": {"type": "agent", "ids": [livechat_sim::BOT_AGENT_ID]}}),
        )
        .await;
    let to_customer = c.push("chat_transferred").await;
    assert_eq!(to_customer["payload"]["transferred_to"]["agent_ids"][0], livechat_sim::BOT_AGENT_ID);
    let to_agent = agent.push("chat_transferred").await;
    assert_eq!(to_agent["payload"]["chat_id"], chat_id.as_str());
    assert_eq!(to_agent["payload"]["reason"], "manual");
    assert_eq!(to_agent["payload"]["requester_id"], DEFAULT_AGENT_ID);
}
