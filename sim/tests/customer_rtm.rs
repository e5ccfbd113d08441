//! Customer RTM over real sockets.

mod common;

use common::*;
use serde_json::{Value, json};
use std::time::Duration;

#[tokio::test]
async fn login_ok_returns_what_the_official_sdk_reads() {
    let sim = sim().await;
    let (token, id) = sim.issue_customer_token(ORG);
    let mut c = Client::customer(&sim, ORG).await;
    let p = c
        .ok("login", json!({"token": format!("Bearer {token}"), "customer": {"name": "Ann", "session_fields": [{"plan": "gold"}]},
            "pushes": {"3.6": ["incoming_chat", "incoming_event"]}}))
        .await;
    assert_eq!(p["customer"]["id"], id.as_str());
    assert_eq!(p["customer"]["name"], "Ann");
    assert_eq!(p["customer"]["session_fields"], json!([{"plan": "gold"}]));
    for k in [
        "chats_count",
        "threads_count",
        "visits_count",
        "page_views_count",
        "greetings_shown_count",
        "greetings_accepted_count",
    ] {
        assert!(p["customer"]["statistics"][k].is_u64(), "missing statistics.{k}");
    }
    assert_eq!(p["customer"]["statistics"]["visits_count"], 1);
    assert_eq!(p["has_active_thread"], false);
    assert_eq!(p["chats"], json!([]));
    let cfg = &p["__priv_dynamic_config"];
    assert_eq!(cfg["customer_groups"]["monitoring"]["id"], 0);
    assert_eq!(cfg["online_groups_ids"], json!([0]));
    // A second login on the same socket is refused.
    assert_eq!(c.err("login", json!({"token": format!("Bearer {token}")})).await["type"], "validation");
}

#[tokio::test]
async fn bad_tokens_and_actions_before_login_are_authentication_errors() {
    let sim = sim().await;
    let mut c = Client::customer(&sim, ORG).await;
    assert_eq!(c.err("login", json!({"token": "Bearer nope"})).await["type"], "authentication");
    assert_eq!(c.err("login", json!({"token": "nope"})).await["type"], "authentication");
    let e = c.err("login", json!({})).await;
    assert_eq!(e["type"], "validation");
    assert!(e["message"].as_str().unwrap().contains("token"));
    assert_eq!(c.err("list_chats", json!({})).await["type"], "authentication");
    // A token of another organization does not log in here.
    let (other, _) = sim.issue_customer_token("other-org");
    assert_eq!(c.err("login", json!({"token": format!("Bearer {other}")})).await["type"], "authentication");
    // Ping works before login.
    c.ok("ping", json!({})).await;
}

#[tokio::test]
async fn start_chat_response_comes_before_the_push_response_with_the_same_request_id() {
    let sim = sim().await;
    let (mut c, id) = Client::login(&sim, ORG).await;
    c.send(json!({"request_id": "αβ-\u{1F600}-1", "action": "start_chat",
        "payload": {"chat": {"thread": {"events": [{"type": "message", "text": "hello", "custom_id": "c-1"}]}}}}))
        .await;
    let r = c.recv().await;
    assert_eq!(r["type"], "response", "first frame must be the response: {r}");
    assert_eq!(r["request_id"], "αβ-\u{1F600}-1");
    assert_eq!(r["success"], true);
    let chat_id = r["payload"]["chat_id"].as_str().unwrap().to_string();
    let thread_id = r["payload"]["thread_id"].as_str().unwrap().to_string();
    let event_id = r["payload"]["event_ids"][0].as_str().unwrap().to_string();
    assert_eq!(event_id, format!("{thread_id}_1"));
    let p = c.recv().await;
    assert_eq!(p["type"], "push");
    assert_eq!(p["action"], "incoming_chat");
    assert_eq!(p["request_id"], "αβ-\u{1F600}-1");
    let chat = &p["payload"]["chat"];
    assert_eq!(chat["id"], chat_id.as_str());
    assert_eq!(chat["thread"]["events"][0]["custom_id"], "c-1");
    assert_eq!(chat["thread"]["events"][0]["author_id"], id.as_str());
    let created = chat["thread"]["events"][0]["created_at"].as_str().unwrap();
    assert_eq!(created.len(), "2017-10-12T15:19:21.010200Z".len(), "µs timestamp: {created}");
    let users: Vec<&str> =
        chat["users"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap()).collect();
    assert!(users.contains(&livechat_sim::BOT_AGENT_ID), "bot joined: {users:?}");
    // The bot answers the initial message after the push-response.
    let reply = c.push("incoming_event").await;
    assert_eq!(reply["payload"]["event"]["author_id"], livechat_sim::BOT_AGENT_ID);
    assert_eq!(reply["payload"]["event"]["text"], "You said: hello");
    assert!(reply.get("request_id").is_none());
    // One chat per customer.
    assert_eq!(c.err("start_chat", json!({})).await["type"], "chat_limit_reached");
}

#[tokio::test]
async fn send_event_push_response_then_bot_reply_and_only_requester_gets_request_id() {
    let sim = sim().await;
    let (token, _) = sim.issue_customer_token(ORG);
    let mut a = Client::customer(&sim, ORG).await;
    a.ok("login", json!({"token": format!("Bearer {token}")})).await;
    let mut b = Client::customer(&sim, ORG).await; // second tab of the same customer
    b.ok("login", json!({"token": format!("Bearer {token}")})).await;
    let (chat_id, thread_id) = start_chat(&mut a, "first").await;
    a.push("incoming_chat").await;
    a.push("incoming_event").await; // bot reply to "first"
    b.push("incoming_chat").await;
    b.push("incoming_event").await;
    a.send(json!({"request_id": "s1", "action": "send_event",
        "payload": {"chat_id": chat_id, "event": {"type": "message", "text": "ping?", "custom_id": "x"}}}))
        .await;
    let r = a.recv().await;
    assert_eq!((r["type"].as_str(), r["request_id"].as_str()), (Some("response"), Some("s1")));
    assert_eq!(r["payload"]["event_id"], format!("{thread_id}_3"));
    let own = a.recv().await;
    assert_eq!((own["action"].as_str(), own["request_id"].as_str()), (Some("incoming_event"), Some("s1")));
    assert_eq!(own["payload"]["event"]["custom_id"], "x");
    let bot = a.recv().await;
    assert_eq!(bot["action"], "incoming_event");
    assert_eq!(bot["payload"]["event"]["text"], "You said: ping?");
    assert_eq!(bot["payload"]["event"]["id"], format!("{thread_id}_4"));
    let other = b.push("incoming_event").await;
    assert!(other.get("request_id").is_none(), "other tab must not get the request id: {other}");
    assert_eq!(other["payload"]["event"]["text"], "ping?");
    // Validation errors name the field.
    let e = a.err("send_event", json!({"chat_id": chat_id, "event": {"type": "message"}})).await;
    assert_eq!(e["type"], "validation");
    assert!(e["message"].as_str().unwrap().contains("event.text"), "{e}");
    let e = a.err("send_event", json!({"event": {"type": "message", "text": "x"}})).await;
    assert!(e["message"].as_str().unwrap().contains("chat_id"), "{e}");
}

#[tokio::test]
async fn history_pages_through_all_threads_with_page_ids() {
    let sim = sim().await;
    let (mut c, _) = Client::login(&sim, ORG).await;
    let (chat_id, _) = start_chat(&mut c, "t1").await;
    let mut thread_ids = Vec::new();
    for i in 0..7 {
        if i > 0 {
            let p = c
                .ok("resume_chat", json!({"chat": {"id": chat_id, "thread": {"events": [{"type": "message", "text": format!("t{}", i + 1)}]}}}))
                .await;
            thread_ids.push(p["thread_id"].as_str().unwrap().to_string());
        } else {
            let chat = c.ok("get_chat", json!({"chat_id": chat_id})).await;
            thread_ids.push(chat["thread"]["id"].as_str().unwrap().to_string());
        }
        c.ok("deactivate_chat", json!({"id": chat_id})).await;
    }
    assert_eq!(c.err("deactivate_chat", json!({"id": chat_id})).await["type"], "chat_inactive");
    // desc pages of 3: 3 + 3 + 1, newest first, ending without next_page_id.
    let mut got = Vec::new();
    let mut page = c.ok("list_threads", json!({"chat_id": chat_id, "limit": 3})).await;
    assert!(page.get("previous_page_id").is_none());
    loop {
        for t in page["threads"].as_array().unwrap() {
            got.push(t["id"].as_str().unwrap().to_string());
        }
        assert_eq!(page["found_threads"], 7);
        match page.get("next_page_id").and_then(Value::as_str) {
            Some(next) => {
                let next = next.to_string();
                page = c.ok("list_threads", json!({"chat_id": chat_id, "page_id": next})).await;
                assert!(page.get("previous_page_id").is_some());
            }
            None => break,
        }
    }
    let mut expected = thread_ids.clone();
    expected.reverse();
    assert_eq!(got, expected);
    // min_events_count: each thread has 3 events (message, bot reply, system message).
    let p =
        c.ok("list_threads", json!({"chat_id": chat_id, "min_events_count": 5, "sort_order": "asc"})).await;
    assert_eq!(p["threads"].as_array().unwrap().len(), 2);
    assert_eq!(p["threads"][0]["id"], thread_ids[0].as_str());
    // Limits and exclusivity are validated with the field named.
    for (payload, field) in [
        (json!({"chat_id": chat_id, "limit": 101}), "limit"),
        (json!({"chat_id": chat_id, "min_events_count": 0}), "min_events_count"),
        (json!({"chat_id": chat_id, "min_events_count": 5, "limit": 2}), "min_events_count"),
        (json!({"chat_id": chat_id, "page_id": "garbage"}), "page_id"),
        (json!({"chat_id": chat_id, "sort_order": "up"}), "sort_order"),
    ] {
        let e = c.err("list_threads", payload).await;
        assert_eq!(e["type"], "validation");
        assert!(e["message"].as_str().unwrap().contains(field), "{e} should name {field}");
    }
}

#[tokio::test]
async fn list_chats_limit_is_validated_and_summaries_are_complete() {
    let sim = sim().await;
    let (mut c, id) = Client::login(&sim, ORG).await;
    for bad in [json!(26), json!(0), json!("ten")] {
        let e = c.err("list_chats", json!({ "limit": bad })).await;
        assert_eq!(e["type"], "validation");
        assert!(e["message"].as_str().unwrap().contains("limit"));
    }
    let p = c.ok("list_chats", json!({})).await;
    assert_eq!(p["total_chats"], 0);
    let (chat_id, thread_id) = start_chat(&mut c, "hi").await;
    let p = c.ok("list_chats", json!({"limit": 25})).await;
    let s = &p["chats_summary"][0];
    assert_eq!(s["id"], chat_id.as_str());
    assert_eq!(s["last_thread_id"], thread_id.as_str());
    assert_eq!(s["active"], true);
    assert_eq!(s["last_event_per_type"]["message"]["event"]["author_id"], livechat_sim::BOT_AGENT_ID);
    assert!(s["users"].as_array().unwrap().iter().any(|u| u["id"] == id.as_str()));
    assert!(p.get("next_page_id").is_none());
    // Another customer's chat is not reachable.
    let (mut other, _) = Client::login(&sim, ORG).await;
    assert_eq!(other.err("get_chat", json!({"chat_id": chat_id})).await["type"], "authorization");
    assert_eq!(other.err("get_chat", json!({"chat_id": "NOPE"})).await["type"], "not_found");
}

#[tokio::test]
async fn more_than_ten_pending_requests_are_refused() {
    let sim = sim().await;
    let (mut c, _) = Client::login(&sim, ORG).await;
    sim.control().set_response_delay(Duration::from_millis(400));
    for i in 0..12 {
        c.send(json!({"request_id": format!("p{i}"), "action": "ping", "payload": {}})).await;
    }
    let mut limited = Vec::new();
    let mut ok = Vec::new();
    for _ in 0..12 {
        let f = c.recv().await;
        let id = f["request_id"].as_str().unwrap().to_string();
        if f["success"] == true {
            ok.push(id);
        } else {
            assert_eq!(f["payload"]["error"]["type"], "pending_requests_limit_reached");
            limited.push(id);
        }
    }
    assert_eq!(limited, vec!["p10", "p11"]);
    assert_eq!(ok.len(), 10);
    sim.control().clear_faults();
    c.ok("ping", json!({})).await;
}

#[tokio::test]
async fn idle_socket_gets_connection_timeout_then_close() {
    let sim = sim_with(|c| c.idle_timeout = Duration::from_millis(600)).await;
    let (mut c, _) = Client::login(&sim, ORG).await;
    // Pings keep it alive past the idle limit.
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        c.ok("ping", json!({})).await;
    }
    let f = c.recv().await;
    assert_eq!(f["action"], "customer_disconnected");
    assert_eq!(f["payload"]["reason"], "connection_timeout");
    assert!(matches!(c.next_within(Duration::from_secs(2)).await, Next::Closed(_)));
}

#[tokio::test]
async fn login_deadline_closes_unauthenticated_sockets() {
    let sim = sim_with(|c| c.login_timeout = Duration::from_millis(300)).await;
    let mut c = Client::customer(&sim, ORG).await;
    let f = c.recv().await;
    assert_eq!(f["payload"]["reason"], "connection_timeout");
    assert!(matches!(c.next_within(Duration::from_secs(2)).await, Next::Closed(_)));
}

#[tokio::test]
async fn unknown_actions_and_malformed_frames_get_errors_and_the_socket_survives() {
    let sim = sim().await;
    let (mut c, _) = Client::login(&sim, ORG).await;
    let e = c.err("frobnicate", json!({})).await;
    assert_eq!(e["type"], "validation");
    assert!(e["message"].as_str().unwrap().contains("frobnicate"));
    for junk in
        ["{not json", "[1,2]", "\"str\"", "", "{\"action\": 5}", "{\"action\":\"ping\",\"payload\":[]}"]
    {
        c.send_raw(junk).await;
        let f = c.recv().await;
        assert_eq!(f["success"], false, "junk {junk:?} got {f}");
    }
    // (Binary frames are a protocol violation: see tests/hardening.rs.)
    // Version lower than the connection's is refused; higher is fine.
    let r = {
        c.send(json!({"request_id": "v", "action": "ping", "version": "3.5"})).await;
        c.recv().await
    };
    assert_eq!(r["payload"]["error"]["type"], "unsupported_version");
    c.send(json!({"request_id": "v2", "action": "ping", "version": "3.7"})).await;
    assert_eq!(c.recv().await["success"], true);
    c.ok("ping", json!({})).await;
}
