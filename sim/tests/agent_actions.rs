//! The agent actions beyond the chat basics, each with its documented pushes and errors.

mod common;

use common::*;
use livechat_sim::{DEFAULT_AGENT_ID, DEFAULT_AGENT_TOKEN};
use serde_json::{Value, json};

async fn agent(sim: &livechat_sim::Sim) -> Client {
    let mut a = Client::connect(&format!("{}/v3.6/agent/rtm/ws", sim.url())).await;
    a.ok("login", json!({"token": format!("Bearer {DEFAULT_AGENT_TOKEN}")})).await;
    a
}

#[tokio::test]
async fn an_agent_starts_tags_archives_and_resumes_a_chat() {
    let sim = sim_with(|c| c.bot = false).await;
    let mut a = agent(&sim).await;
    let (mut c, cid) = Client::login(&sim, ORG).await;

    let err = a.err("start_chat", json!({"chat": {"users": []}})).await;
    assert_eq!(err["type"], "validation", "{err}");
    let started = a
        .ok(
            "start_chat",
            json!({"chat": {"users": [{"id": cid, "type": "customer"}],
            "thread": {"events": [{"type": "message", "text": "hello from the agent"}]}}}),
        )
        .await;
    let chat_id = started["chat_id"].as_str().unwrap().to_string();
    let thread_id = started["thread_id"].as_str().unwrap().to_string();
    assert_eq!(started["event_ids"].as_array().map(Vec::len), Some(1), "{started}");
    let pushed = c.push("incoming_chat").await;
    assert_eq!(pushed["payload"]["chat"]["id"], chat_id.as_str());
    assert_eq!(pushed["payload"]["chat"]["thread"]["events"][0]["text"], "hello from the agent");
    assert!(pushed["payload"]["chat"]["thread"].get("tags").is_none(), "tags are for agents only");

    a.ok("tag_thread", json!({"chat_id": chat_id, "thread_id": thread_id, "tag": "vip"})).await;
    let tagged = a.push("thread_tagged").await;
    assert_eq!(tagged["payload"]["tag"], "vip");
    assert_eq!(a.ok("get_chat", json!({"chat_id": chat_id})).await["thread"]["tags"], json!(["vip"]));
    a.ok("untag_thread", json!({"chat_id": chat_id, "thread_id": thread_id, "tag": "vip"})).await;
    a.push("thread_untagged").await;
    let err = a.err("tag_thread", json!({"chat_id": chat_id, "thread_id": "nope", "tag": "x"})).await;
    assert_eq!(err["type"], "not_found", "{err}");

    a.ok("deactivate_chat", json!({"id": chat_id})).await;
    let archives = a.ok("list_archives", json!({})).await;
    assert!(
        archives["chats"].as_array().unwrap().iter().any(|ch| ch["id"] == chat_id.as_str()),
        "{archives}"
    );
    let resumed = a.ok("resume_chat", json!({"chat": {"id": chat_id}})).await;
    assert_ne!(resumed["thread_id"], thread_id.as_str());
    let err = a.err("resume_chat", json!({"chat": {"id": chat_id}})).await;
    assert_eq!(err["type"], "chat_already_active", "{err}");
}

#[tokio::test]
async fn an_agent_follows_multicasts_and_manages_customers() {
    let sim = sim().await;
    let (mut c, cid) = Client::login(&sim, ORG).await;
    let (chat_id, _) = start_chat(&mut c, "served by the bot").await;
    let mut a = agent(&sim).await;

    a.ok("follow_chat", json!({"id": chat_id})).await;
    assert_eq!(a.push("incoming_chat").await["payload"]["chat"]["id"], chat_id.as_str());
    a.ok("unfollow_chat", json!({"id": chat_id})).await;
    assert_eq!(a.push("chat_unfollowed").await["payload"]["chat_id"], chat_id.as_str());

    let err = a.err("multicast", json!({"recipients": {"agents": {}}, "content": "x"})).await;
    assert_eq!(err["type"], "validation", "{err}");
    a.ok(
        "multicast",
        json!({"recipients": {"agents": {"ids": [DEFAULT_AGENT_ID]}}, "content": {"hi": 1}, "type": "note"}),
    )
    .await;
    let m = a.push("incoming_multicast").await;
    assert_eq!(
        (m["payload"]["content"].clone(), m["payload"]["author_id"].clone()),
        (json!({"hi": 1}), json!(DEFAULT_AGENT_ID))
    );

    let candidates = a.ok("list_agents_for_transfer", json!({"chat_id": chat_id})).await;
    let ids: Vec<&str> =
        candidates.as_array().unwrap().iter().filter_map(|x| x["agent_id"].as_str()).collect();
    assert!(ids.contains(&DEFAULT_AGENT_ID), "{candidates}");
    assert_eq!(a.err("set_away_status", json!({})).await["type"], "validation");
    a.ok("set_away_status", json!({"away": true})).await;

    a.ok("update_customer", json!({"id": cid, "name": "Renamed"})).await;
    let updated = c.push("customer_updated").await;
    assert_eq!(updated["payload"]["name"], "Renamed");
    assert_eq!(a.ok("get_customer", json!({"id": cid})).await["name"], "Renamed");

    a.ok("ban_customer", json!({"id": cid, "ban": {"days": 3}})).await;
    let banned = a.push("customer_banned").await;
    assert_eq!(banned["payload"]["customer_id"], cid.as_str());
    let gone = c.push("customer_disconnected").await;
    assert_eq!(gone["payload"]["reason"], "customer_banned");
    let err: Value = a.err("ban_customer", json!({"id": cid, "ban": {}})).await;
    assert_eq!(err["type"], "validation", "{err}");
}

#[tokio::test]
async fn an_agent_adds_and_removes_users_sets_properties_and_asks_for_a_summary() {
    let sim = sim().await;
    let (mut c, _) = Client::login(&sim, ORG).await;
    let (chat_id, thread_id) = start_chat(&mut c, "hello").await;
    let mut a = agent(&sim).await;

    a.ok(
        "add_user_to_chat",
        json!({"chat_id": chat_id, "user_id": DEFAULT_AGENT_ID, "user_type": "agent", "visibility": "all"}),
    )
    .await;
    let added = c.push("user_added_to_chat").await;
    assert_eq!(added["payload"]["user"]["id"], DEFAULT_AGENT_ID);
    let err = a
        .err("add_user_to_chat", json!({"chat_id": chat_id, "user_id": "someone-else", "user_type": "customer", "visibility": "all"}))
        .await;
    assert_eq!(err["type"], "validation", "{err}");

    // Properties through the agent API, the same pushes as the customer's.
    let event_id = a.ok("get_chat", json!({"chat_id": chat_id})).await["thread"]["events"][0]["id"].clone();
    a.ok(
        "update_event_properties",
        json!({"chat_id": chat_id, "thread_id": thread_id, "event_id": event_id,
        "properties": {"ns": {"flag": true}}}),
    )
    .await;
    assert_eq!(c.push("event_properties_updated").await["payload"]["properties"]["ns"]["flag"], true);
    a.ok("delete_chat_properties", json!({"id": chat_id, "properties": {"ns": ["missing"]}})).await;
    c.push("chat_properties_deleted").await;

    a.ok("request_thread_summary", json!({"chat_id": chat_id, "thread_id": thread_id})).await;
    assert_eq!(a.push("thread_summary_set").await["payload"]["summary"]["status"], "ok");

    a.ok(
        "remove_user_from_chat",
        json!({"chat_id": chat_id, "user_id": DEFAULT_AGENT_ID, "user_type": "agent"}),
    )
    .await;
    assert_eq!(c.push("user_removed_from_chat").await["payload"]["user_id"], DEFAULT_AGENT_ID);
    let err = a
        .err("remove_user_from_chat", json!({"chat_id": chat_id, "user_id": "cu", "user_type": "customer"}))
        .await;
    assert_eq!(err["type"], "validation", "{err}");
}
