//! Exactly-once sending across drops.

use super::*;

// ---------------------------------------------------------------- 10. exactly-once

fn send(p: &mut Peer, text: &str) -> livechat_core::customer::RequestId {
    p.req("send_event", json!({"chat_id": "CH1", "event": {"type": "message", "text": text}}))
}

#[test]
fn a_send_lost_in_a_drop_is_found_in_the_chat_and_not_resent() {
    let mut p = Peer::new(config());
    p.login();
    let id = send(&mut p, "hello");
    let req = p.last_sent("send_event");
    let custom = req["payload"]["event"]["custom_id"].as_str().unwrap().to_string();
    p.server_close();
    assert!(!p.completed.contains_key(&id), "an unconfirmed send does not fail with CONNECTION_LOST");
    p.take_sent();
    p.login();
    let check = p.last_sent("list_threads");
    assert_eq!(check["payload"], json!({"chat_id": "CH1", "min_events_count": 100}));
    p.respond(
        &check,
        json!({"threads": [{"id": "T1", "active": true, "events": [
        {"id": "T1_5", "type": "message", "text": "hello", "custom_id": custom, "author_id": "cust-1"}]}]}),
    );
    assert_eq!(p.ok(id)["event_id"], "T1_5");
    assert_eq!(p.ok(id)["thread_id"], "T1");
    assert!(p.sent_with("send_event").is_empty(), "found: must not be sent again");
}

#[test]
fn sends_missing_after_a_drop_are_resent_in_order_before_newer_calls() {
    let mut p = Peer::new(config());
    p.login();
    let a = send(&mut p, "one");
    let b = send(&mut p, "two");
    let sent: Vec<Value> = p.sent_with("send_event");
    let customs: Vec<String> =
        sent.iter().map(|f| f["payload"]["event"]["custom_id"].as_str().unwrap().to_string()).collect();
    p.server_close();
    let c = send(&mut p, "three"); // made while reconnecting
    p.take_sent();
    p.login();
    assert!(p.sent_with("send_event").is_empty(), "nothing is sent before the check answers");
    let check = p.last_sent("list_threads");
    p.respond(&check, json!({"threads": [{"id": "T1", "active": true, "events": []}]}));
    let resent = p.sent_with("send_event");
    let texts: Vec<&str> = resent.iter().map(|f| f["payload"]["event"]["text"].as_str().unwrap()).collect();
    assert_eq!(texts, vec!["one", "two", "three"]);
    assert_eq!(resent[0]["payload"]["event"]["custom_id"], customs[0], "same custom_id on the re-send");
    assert_eq!(resent[1]["payload"]["event"]["custom_id"], customs[1]);
    for (i, f) in resent.iter().enumerate() {
        p.respond(f, json!({"event_id": format!("T1_{i}")}));
        p.push_response(f, "incoming_event", json!({"chat_id": "CH1", "thread_id": "T1", "event": {"id": format!("T1_{i}"), "type": "message"}}));
    }
    assert_eq!(p.ok(a)["event_id"], "T1_0");
    assert_eq!(p.ok(b)["event_id"], "T1_1");
    assert_eq!(p.ok(c)["event_id"], "T1_2");
}

#[test]
fn exactly_once_can_be_turned_off_per_call() {
    let mut p = Peer::new(config());
    p.login();
    let id = p.s.request(
        p.now,
        "send_event",
        json!({"chat_id": "CH1", "event": {"type": "message", "text": "x"}}),
        RequestOptions { timeout: None, exactly_once: false },
    );
    p.drain();
    assert!(p.last_sent("send_event")["payload"]["event"].get("custom_id").is_none());
    p.server_close();
    assert_eq!(p.err(id), &ErrorCode::ConnectionLost);
}

#[test]
fn caller_custom_ids_are_kept() {
    let mut p = Peer::new(config());
    p.login();
    p.req(
        "send_event",
        json!({"chat_id": "CH1", "event": {"type": "message", "text": "x", "custom_id": "mine"}}),
    );
    assert_eq!(p.last_sent("send_event")["payload"]["event"]["custom_id"], "mine");
}

#[test]
fn tokens_never_appear_in_debug_output() {
    let mut p = Peer::new(config());
    p.login();
    let dbg = format!("{:?} {:?}", p.s, p.s.token());
    assert!(!dbg.contains("tok-cust-1"), "{dbg}");
    let login = p.last_sent("login").to_string();
    assert!(!livechat_core::wire::redact(&login).contains("tok-cust-1"));
}

#[test]
fn a_drop_during_the_exactly_once_check_checks_again_instead_of_resending() {
    let mut p = Peer::new(config());
    p.login();
    let id = send(&mut p, "hello");
    let custom = p.last_sent("send_event")["payload"]["event"]["custom_id"].as_str().unwrap().to_string();
    // The server stored the event, but the socket died before its response.
    p.server_close();
    p.take_sent();
    p.login();
    p.last_sent("list_threads"); // the check is in flight ...
    p.server_close(); // ... and this socket dies too
    p.take_sent();
    p.login();
    assert!(p.sent_with("send_event").is_empty(), "re-sent without checking the chat");
    let check = p.last_sent("list_threads");
    p.respond(
        &check,
        json!({"threads": [{"id": "T1", "active": true, "events": [
            {"id": "T1_5", "type": "message", "text": "hello", "custom_id": custom, "author_id": "cust-1"}]}]}),
    );
    assert_eq!(p.ok(id)["event_id"], "T1_5");
    assert!(p.sent_with("send_event").is_empty());
}

#[test]
fn an_unanswered_exactly_once_check_is_asked_again_and_a_refused_one_resends() {
    let mut p = Peer::new(config());
    p.login();
    let id = send(&mut p, "hello");
    p.server_close();
    p.take_sent();
    p.login();
    let first = p.last_sent("list_threads");
    // No answer within the request timeout: a second check, still no re-send.
    p.advance(Duration::from_secs(21));
    let checks = p.sent_with("list_threads");
    assert_eq!(checks.len(), 2, "the check is asked again");
    assert_ne!(checks[1]["request_id"], first["request_id"]);
    assert!(p.sent_with("send_event").is_empty());
    // The server refuses the check (the chat is gone): the send goes out again and its own
    // answer decides.
    p.respond_err(&checks[1].clone(), "not_found", None);
    let resent = p.last_sent("send_event");
    p.respond_err(&resent, "not_found", None);
    assert_eq!(p.err(id), &ErrorCode::NotFound);
}
