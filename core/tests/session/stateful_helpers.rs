//! The helpers with state: sneak peeks, page updates, history, rating.

use super::*;
use crate::requests::started_chat;

// ---------------------------------------------------------------- 9. helpers with state

fn thread(id: &str, n: usize) -> Value {
    let events: Vec<Value> = (0..n)
        .map(|i| json!({"id": format!("{id}_{i}"), "type": "message", "text": format!("{id}-{i}")}))
        .collect();
    json!({"id": id, "active": false, "created_at": "2026-01-01T00:00:00.000000Z", "events": events})
}

#[test]
fn history_pages_back_one_request_at_a_time_oldest_first_until_done() {
    let mut p = Peer::new(config());
    p.login();
    p.take_sent();
    let h = p.s.history_open("CH1");
    let a = p.s.history_next(p.now, h);
    let b = p.s.history_next(p.now, h); // queued behind a
    p.drain();
    assert_eq!(p.sent.len(), 1, "one request at a time");
    assert_eq!(p.sent[0]["payload"], json!({"chat_id": "CH1", "min_events_count": 25}));
    let r = p.sent[0].clone();
    p.respond(
        &r,
        json!({"threads": [thread("T3", 2), thread("T2", 2)], "found_threads": 3, "next_page_id": "P2"}),
    );
    let page = p.ok(a);
    assert_eq!(page["done"], false);
    assert_eq!(page["threads"][0]["id"], "T2", "oldest first within a page");
    assert_eq!(p.sent.len(), 2);
    assert_eq!(p.sent[1]["payload"], json!({"chat_id": "CH1", "page_id": "P2"}));
    let r = p.sent[1].clone();
    p.respond(&r, json!({"threads": [thread("T1", 1)], "found_threads": 3}));
    assert_eq!(p.ok(b)["done"], true);
    assert_eq!(p.ok(b)["threads"][0]["id"], "T1", "the last page carries data and done");
    let c = p.s.history_next(p.now, h);
    p.drain();
    assert_eq!(p.ok(c), &json!({"threads": [], "done": true}));
    assert_eq!(p.sent.len(), 2);
    let typed: livechat_core::customer::HistoryPage = serde_json::from_value(p.ok(a).clone()).unwrap();
    assert_eq!(typed.threads.len(), 2);
}

#[test]
fn history_failure_fails_the_waiters_and_allows_a_retry() {
    let mut p = Peer::new(config());
    p.login();
    p.take_sent();
    let h = p.s.history_open("CH1");
    let a = p.s.history_next(p.now, h);
    let b = p.s.history_next(p.now, h);
    p.drain();
    let r = p.sent[0].clone();
    p.respond_err(&r, "not_found", None);
    assert_eq!(p.err(a), &ErrorCode::NotFound);
    assert_eq!(p.err(b), &ErrorCode::NotFound);
    let c = p.s.history_next(p.now, h);
    p.drain();
    assert_eq!(p.sent.len(), 2);
    assert_eq!(p.sent[1]["payload"]["min_events_count"], 25, "retry from the same page");
    assert!(!p.completed.contains_key(&c));
}

#[test]
fn rate_chat_sets_rating_on_the_latest_thread_and_cancel_rate_deletes_it() {
    let mut p = Peer::new(config());
    p.login();
    p.take_sent();
    let id = p.s.rate_chat(p.now, "CH1", json!({"score": 1, "comment": "great"}));
    p.drain();
    let lt = p.last_sent("list_threads");
    assert_eq!(lt["payload"], json!({"chat_id": "CH1"}));
    p.respond(&lt, json!({"threads": [thread("T9", 1), thread("T8", 1)], "found_threads": 2}));
    let up = p.last_sent("update_thread_properties");
    assert_eq!(
        up["payload"],
        json!({"chat_id": "CH1", "thread_id": "T9", "properties": {"rating": {"score": 1, "comment": "great"}}})
    );
    p.respond(&up, json!({}));
    assert!(p.result(id).is_ok());

    let id = p.s.cancel_rate(p.now, "CH1", &[]);
    p.drain();
    let lt = p.last_sent("list_threads");
    p.respond(&lt, json!({"threads": [thread("T9", 1)]}));
    let del = p.last_sent("delete_thread_properties");
    assert_eq!(del["payload"]["properties"], json!({"rating": ["score"]}));
    p.respond(&del, json!({}));
    assert!(p.result(id).is_ok());

    let id = p.s.rate_chat(p.now, "EMPTY", json!({"score": 0}));
    p.drain();
    let lt = p.last_sent("list_threads");
    p.respond(&lt, json!({"threads": []}));
    assert_eq!(p.err(id), &ErrorCode::MissingChatThread);
}

#[test]
fn sneak_peek_goes_only_to_active_chats_while_connected() {
    let mut p = Peer::new(config());
    p.login();
    assert!(p.s.set_sneak_peek(p.now, "CH1", "typing…").is_none());
    p.push("incoming_chat", started_chat());
    assert!(p.s.set_sneak_peek(p.now, "CH1", "typing…").is_some());
    p.drain();
    assert_eq!(
        p.last_sent("send_sneak_peek")["payload"],
        json!({"chat_id": "CH1", "sneak_peek_text": "typing…"})
    );
    p.push("chat_deactivated", json!({"chat_id": "CH1", "thread_id": "T1"}));
    assert!(p.s.set_sneak_peek(p.now, "CH1", "x").is_none());
}

#[test]
fn active_chats_are_seeded_from_the_login_response() {
    let mut p = Peer::new(config());
    p.open();
    p.give_token("c");
    let login = p.last_sent("login");
    let mut payload = login_payload("c", true);
    payload["chats"] = json!([{"chat_id": "CH7", "has_unread_events": false, "has_active_thread": true}]);
    p.respond(&login, payload);
    assert!(p.s.is_chat_active("CH7"), "fixes the 4.0.2 quirk of dropping sneak peeks after reconnect");
}

#[test]
fn page_updates_merge_and_are_resent_after_a_login_that_carried_the_old_page() {
    let mut p = Peer::new(config());
    p.open();
    p.give_token("c");
    // login in flight: the page changes
    assert!(p.s.update_customer_page(p.now, Some("https://a/2"), Some("Two")).is_none());
    let login = p.last_sent("login");
    p.respond(&login, login_payload("c", true));
    assert_eq!(p.last_sent("update_customer_page")["payload"], json!({"url": "https://a/2", "title": "Two"}));
    // connected: sent at once, title kept when only the url changes
    let id = p.s.update_customer_page(p.now, Some("https://a/3"), None);
    p.drain();
    assert!(id.is_some());
    assert_eq!(p.last_sent("update_customer_page")["payload"], json!({"url": "https://a/3", "title": "Two"}));
    p.server_close();
    p.login();
    assert_eq!(p.last_sent("login")["payload"]["customer_page"]["url"], "https://a/3");
}
