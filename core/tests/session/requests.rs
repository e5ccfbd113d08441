//! The request table: queue, limits, deadlines, and push-responses.

use super::*;

// ---------------------------------------------------------------- 5. requests

#[test]
fn at_most_ten_in_flight_with_a_fifo_queue_behind() {
    let mut p = Peer::new(config());
    p.login();
    p.take_sent();
    let ids: Vec<_> =
        (0..15).map(|i| p.req("get_url_info", json!({"url": format!("https://x/{i}")}))).collect();
    assert_eq!(p.sent.len(), 10);
    assert_eq!(p.s.in_flight(), 10);
    let first = p.sent[0].clone();
    p.respond(&first, json!({"url": "https://x/0"}));
    assert_eq!(p.sent.len(), 11);
    assert_eq!(p.sent[10]["payload"]["url"], "https://x/10", "FIFO order");
    assert_eq!(p.ok(ids[0])["url"], "https://x/0");
}

#[test]
fn in_flight_requests_time_out_with_request_timeout() {
    let mut p = Peer::new(config());
    p.login();
    let id = p.s.request(
        p.now,
        "get_customer",
        json!({}),
        RequestOptions { timeout: Some(Duration::from_secs(3)), exactly_once: true },
    );
    p.drain();
    p.advance(Duration::from_secs(2));
    assert!(!p.completed.contains_key(&id));
    p.advance(Duration::from_secs(2));
    assert_eq!(p.err(id), &ErrorCode::RequestTimeout);
    // a late answer is ignored
    let req = p.last_sent("get_customer");
    p.respond(&req, json!({"id": "c"}));
    assert_eq!(p.err(id), &ErrorCode::RequestTimeout);
}

#[test]
fn calls_made_while_reconnecting_are_queued_and_sent_after_login() {
    let mut p = Peer::new(config());
    p.login();
    let lost = p.req("get_customer", json!({}));
    p.server_close();
    assert_eq!(p.err(lost), &ErrorCode::ConnectionLost);
    let queued = p.req("list_group_statuses", json!({"all": true}));
    assert!(!p.completed.contains_key(&queued));
    p.login();
    let req = p.last_sent("list_group_statuses");
    p.respond(&req, json!({"groups_status": {"0": "online"}}));
    assert_eq!(p.ok(queued)["groups_status"]["0"], "online");
}

#[test]
fn the_queue_is_bounded() {
    let mut c = config();
    c.connection.queue_limit = 3;
    let mut p = Peer::new(c);
    let ids: Vec<_> = (0..4).map(|_| p.req("get_customer", json!({}))).collect();
    assert_eq!(p.err(ids[3]), &ErrorCode::QueueFull);
    assert!(!p.completed.contains_key(&ids[2]));
}

#[test]
fn queued_calls_give_up_after_the_queue_timeout() {
    let mut c = config();
    c.connection.queue_timeout = Duration::from_secs(10);
    let mut p = Peer::new(c);
    let id = p.req("get_customer", json!({}));
    p.advance(Duration::from_secs(11));
    assert_eq!(p.err(id), &ErrorCode::RequestTimeout);
}

#[test]
fn server_errors_keep_their_code_and_data() {
    let mut p = Peer::new(config());
    p.login();
    let id = p.req("start_chat", json!({}));
    let req = p.last_sent("start_chat");
    p.respond_err(&req, "chat_limit_reached", Some(json!({"limit": 1})));
    let Err(e) = p.result(id) else { panic!() };
    assert_eq!(e.code, ErrorCode::ChatLimitReached);
    assert_eq!(e.code(), "CHAT_LIMIT_REACHED");
    assert_eq!(e.data, Some(json!({"limit": 1})));
}

#[test]
fn local_validation_rejects_before_sending() {
    let mut p = Peer::new(config());
    p.login();
    p.take_sent();
    let a = p.req("list_chats", json!({"limit": 26}));
    let b = p.req("list_threads", json!({"chat_id": "c", "limit": 5, "min_events_count": 5}));
    let c = p.req("login", json!({}));
    let d = p.req("send_event", json!({"chat_id": "c"}));
    for id in [a, b, c, d] {
        assert_eq!(p.err(id), &ErrorCode::InvalidRequest);
    }
    assert!(p.sent.is_empty());
    let ok = p.req("list_chats", json!({"limit": 25}));
    assert_eq!(p.sent.len(), 1);
    assert!(!p.completed.contains_key(&ok));
}

#[test]
fn garbage_frames_are_reported_and_the_session_goes_on() {
    let mut p = Peer::new(config());
    p.login();
    p.take_events();
    for bad in
        ["", "nul", "[1,2]", "{\"type\":\"push\"}", "{\"action\":\"x\",\"type\":\"weird\"}", "{\"action\":5}"]
    {
        p.raw_frame(bad);
    }
    let rejected = p.take_events().iter().filter(|e| matches!(e, Event::FrameRejected { .. })).count();
    assert_eq!(rejected, 6);
    // a known push whose payload lacks required fields
    p.push("incoming_event", json!({"chat_id": 5}));
    assert!(matches!(p.take_events()[..], [Event::FrameRejected { .. }]));
    assert_eq!(p.s.state(), State::Connected);
    let id = p.req("get_customer", json!({}));
    let req = p.last_sent("get_customer");
    p.respond(&req, json!({"id": "cust-1"}));
    assert!(p.result(id).is_ok());
}

#[test]
fn responses_with_unknown_ids_are_ignored() {
    let mut p = Peer::new(config());
    p.login();
    p.frame(json!({"request_id": "nope", "action": "get_customer", "type": "response", "success": true, "payload": {}}));
    p.frame(json!({"request_id": "99999", "action": "get_customer", "type": "response", "success": true, "payload": {}}));
    assert_eq!(p.s.state(), State::Connected);
    assert!(p.completed.is_empty());
}

// ---------------------------------------------------------------- 6. push-responses

pub(crate) fn started_chat() -> Value {
    json!({"chat": {"id": "CH1", "users": [
        {"id": "cust-1", "type": "customer", "present": true},
        {"id": "agent-1", "type": "agent", "name": "Bot", "present": true}],
        "thread": {"id": "T1", "active": true, "events": []}}})
}

#[test]
fn start_chat_completes_from_response_then_push_and_the_push_is_not_emitted() {
    let mut p = Peer::new(config());
    p.login();
    p.take_events();
    let id = p.req("start_chat", json!({"chat": {}}));
    let req = p.last_sent("start_chat");
    p.respond(&req, json!({"chat_id": "CH1", "thread_id": "T1"}));
    assert!(!p.completed.contains_key(&id), "waits for the push");
    p.push_response(&req, "incoming_chat", started_chat());
    let v = p.ok(id);
    assert_eq!(v["chat_id"], "CH1");
    assert_eq!(v["chat"]["thread"]["id"], "T1");
    assert!(p.s.is_chat_active("CH1"));
    let ev = p.take_events();
    assert!(!ev.iter().any(|e| matches!(e, Event::IncomingChat(_))), "push-response re-emitted: {ev:?}");
    assert_eq!(ev.iter().filter(|e| matches!(e, Event::UserData(_))).count(), 2);
}

#[test]
fn send_event_completes_in_either_order() {
    let mut p = Peer::new(config());
    p.login();
    p.take_events();
    let id = p.req("send_event", json!({"chat_id": "CH1", "event": {"type": "message", "text": "hi"}}));
    let req = p.last_sent("send_event");
    let custom = req["payload"]["event"]["custom_id"].as_str().expect("custom_id added").to_string();
    p.push_response(
        &req,
        "incoming_event",
        json!({"chat_id": "CH1", "thread_id": "T1",
        "event": {"id": "T1_1", "type": "message", "text": "hi", "custom_id": custom}}),
    );
    assert!(!p.completed.contains_key(&id));
    p.respond(&req, json!({"event_id": "T1_1"}));
    assert_eq!(p.ok(id)["event_id"], "T1_1");
    assert_eq!(p.ok(id)["event"]["text"], "hi");
    assert!(!p.events.iter().any(|e| matches!(e, Event::IncomingEvent(_))));
    // The same push without our id is a normal event.
    p.push("incoming_event", json!({"chat_id": "CH1", "thread_id": "T1", "event": {"id": "T1_2", "type": "message", "text": "yo"}}));
    assert!(p.events.iter().any(|e| matches!(e, Event::IncomingEvent(_))));
}

#[test]
fn push_completed_request_fails_from_an_error_response() {
    let mut p = Peer::new(config());
    p.login();
    let id = p.req("resume_chat", json!({"chat": {"id": "CH1"}}));
    let req = p.last_sent("resume_chat");
    p.respond_err(&req, "chat_already_active", None);
    assert_eq!(p.err(id), &ErrorCode::ChatAlreadyActive);
}
