//! Who sees what: agents-only events never reach customers, each side sees every event in
//! its own API's shape, pushes follow the connection's version, agents list the chats they
//! can open.

mod common;

use std::time::Duration;

use common::*;
use livechat_sim::DEFAULT_AGENT_TOKEN;
use serde_json::{Value, json};

async fn agent(sim: &livechat_sim::Sim) -> Client {
    let mut a = Client::connect(&format!("{}/v3.6/agent/rtm/ws", sim.url())).await;
    a.ok("login", json!({"token": format!("Bearer {DEFAULT_AGENT_TOKEN}")})).await;
    a
}

fn texts(chat: &Value) -> Vec<String> {
    chat["thread"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["text"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn an_agents_only_event_never_reaches_the_customer() {
    let sim = sim_with(|c| c.bot = false).await;
    let mut a = agent(&sim).await;
    let (mut c, _) = Client::login(&sim, ORG).await;
    let (chat_id, _) = start_chat(&mut c, "hello").await;
    a.push("incoming_chat").await;

    a.ok("send_event", json!({"chat_id": chat_id, "event": {"type": "message", "text": "internal note", "visibility": "agents"}}))
        .await;
    a.ok(
        "send_event",
        json!({"chat_id": chat_id, "event": {"type": "message", "text": "for you", "visibility": "all"}}),
    )
    .await;
    // The customer's next event is the public one: the note was not pushed to it.
    let got = c.push("incoming_event").await;
    assert_eq!(got["payload"]["event"]["text"], "for you", "{got}");
    c.quiet(Duration::from_millis(200)).await;
    let seen = c.ok("get_chat", json!({"chat_id": chat_id})).await;
    assert_eq!(texts(&seen), ["hello", "for you"], "the customer's get_chat hides the note");
    let threads = c.ok("list_threads", json!({"chat_id": chat_id})).await;
    assert!(!threads.to_string().contains("internal note"), "nor does list_threads: {threads}");
    let summary = c.ok("list_chats", json!({})).await;
    assert!(!summary.to_string().contains("internal note"), "nor list_chats: {summary}");
    // The agent sees both.
    let all = a.ok("get_chat", json!({"chat_id": chat_id})).await;
    assert_eq!(texts(&all), ["hello", "internal note", "for you"]);
}

#[tokio::test]
async fn each_side_sees_every_event_in_its_own_apis_shape() {
    let sim = sim_with(|c| c.bot = false).await;
    let mut a = agent(&sim).await;
    let (mut c, _) = Client::login(&sim, ORG).await;
    let (chat_id, _) = start_chat(&mut c, "from the customer").await;
    a.push("incoming_chat").await;
    a.ok("send_event", json!({"chat_id": chat_id, "event": {"type": "message", "text": "from the agent"}}))
        .await;
    let pushed = c.push("incoming_event").await;
    assert_eq!(pushed["payload"]["event"]["recipients"], "all", "{pushed}");
    assert!(pushed["payload"]["event"].get("visibility").is_none(), "{pushed}");

    for e in a.ok("get_chat", json!({"chat_id": chat_id})).await["thread"]["events"].as_array().unwrap() {
        assert_eq!(e["visibility"], "all", "agent view: {e}");
        assert!(e.get("recipients").is_none(), "agent view: {e}");
    }
    for e in c.ok("get_chat", json!({"chat_id": chat_id})).await["thread"]["events"].as_array().unwrap() {
        assert_eq!(e["recipients"], "all", "customer view: {e}");
        assert!(e.get("visibility").is_none(), "customer view: {e}");
    }
}

#[tokio::test]
async fn a_35_socket_without_a_push_list_gets_only_35_pushes() {
    let sim = sim_with(|c| c.bot = false).await;
    let mut a = agent(&sim).await;
    let (token, _) = sim.issue_customer_token(ORG);
    let mut old = Client::connect(&format!("{}/v3.5/customer/rtm/ws?organization_id={ORG}", sim.url())).await;
    old.ok("login", json!({"token": format!("Bearer {token}")})).await;
    let (chat_id, _) = start_chat(&mut old, "on 3.5").await;
    a.push("incoming_chat").await;
    // 3.6 added incoming_thinking_indicator: not for this socket; a 3.5 push still comes.
    a.ok("send_thinking_indicator", json!({"chat_id": chat_id, "title": "thinking"})).await;
    a.ok("send_typing_indicator", json!({"chat_id": chat_id, "is_typing": true})).await;
    let (typing, before) =
        old.recv_until(|f| f["type"] == "push" && f["action"] == "incoming_typing_indicator").await;
    assert_eq!(typing["version"], "3.5");
    assert!(before.iter().all(|f| f["action"] != "incoming_thinking_indicator"), "{before:?}");

    // The same on 3.6 does get it.
    let (mut new, _) = Client::login(&sim, ORG).await;
    let (chat_id, _) = start_chat(&mut new, "on 3.6").await;
    a.push("incoming_chat").await;
    a.ok("send_thinking_indicator", json!({"chat_id": chat_id, "title": "thinking"})).await;
    assert_eq!(new.push("incoming_thinking_indicator").await["version"], "3.6");
}

#[tokio::test]
async fn an_agent_lists_every_chat_it_can_open() {
    // The bot serves the chat; the human agent logs in afterwards.
    let sim = sim().await;
    let (mut c, _) = Client::login(&sim, ORG).await;
    let (chat_id, _) = start_chat(&mut c, "served by the bot").await;
    let mut a = agent(&sim).await;
    a.ok("get_chat", json!({"chat_id": chat_id})).await;
    let list = a.ok("list_chats", json!({})).await;
    let ids: Vec<&str> =
        list["chats_summary"].as_array().unwrap().iter().filter_map(|s| s["id"].as_str()).collect();
    assert!(ids.contains(&chat_id.as_str()), "{list}");
}
