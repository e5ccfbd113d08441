//! The promises of issue #10, each shown with simulated time against a scripted peer:
//! exactly-once that survives other clients and timeouts, failing fast with the cause,
//! liveness from the protocol, checked regions, backoff that grows, bounded state.

mod support;

use std::time::Duration;

use livechat_core::ErrorCode;
use livechat_core::customer::{
    CustomerConfig, CustomerSession, DisconnectReason, Endpoint, Event, RequestId, State,
};
use livechat_core::wire::{FrameError, Rejection};
use serde_json::{Value, json};
use support::{Peer, agent_config, config};

fn send(p: &mut Peer, text: &str) -> RequestId {
    p.req("send_event", json!({"chat_id": "CH1", "event": {"type": "message", "text": text}}))
}

fn custom_id_of(frame: &Value) -> String {
    frame["payload"]["event"]["custom_id"].as_str().expect("custom_id").to_string()
}

fn stored(custom: &str, author: &str) -> Value {
    json!({"threads": [{"id": "T1", "active": true, "events": [
        {"id": "T1_9", "type": "message", "text": "hello", "custom_id": custom, "author_id": author}]}]})
}

/// The connection attempt in progress fails the way a transport reports a refused connect.
fn refuse_connect(p: &mut Peer) {
    let conn = p.conn.take().expect("a connection attempt");
    p.s.handle_transport_closed(p.now, conn, None, "IO error: Connection refused (os error 111)");
    p.drain();
}

fn disconnects(p: &Peer) -> Vec<livechat_core::customer::Disconnected> {
    p.events
        .iter()
        .filter_map(|e| match e {
            Event::Disconnected(d) => Some(d.clone()),
            _ => None,
        })
        .collect()
}

// ------------------------------------------------------------------ finding 1: unique ids

#[test]
fn clients_without_a_seed_never_share_custom_ids() {
    let mut seen = std::collections::HashSet::new();
    for _ in 0..50 {
        let mut c = config();
        c.connection.seed = None;
        let mut p = Peer::new(c);
        p.login();
        send(&mut p, "x");
        let custom = custom_id_of(&p.last_sent("send_event"));
        // `lcrs-` + 32 hex digits of entropy + `-N`.
        let prefix = custom.rsplit_once('-').unwrap().0.to_string();
        assert_eq!(prefix.len(), "lcrs-".len() + 32, "{custom}");
        assert!(seen.insert(prefix), "two clients drew the same custom_id prefix");
    }
}

#[test]
fn a_fixed_seed_replays_the_same_ids() {
    let id = || {
        let mut c = config();
        c.connection.seed = Some(42);
        let mut p = Peer::new(c);
        p.login();
        send(&mut p, "x");
        custom_id_of(&p.last_sent("send_event"))
    };
    assert_eq!(id(), id());
}

#[test]
fn another_users_event_with_our_custom_id_does_not_confirm_our_send() {
    let mut p = Peer::new(config());
    p.login();
    let id = send(&mut p, "hello");
    let custom = custom_id_of(&p.last_sent("send_event"));
    p.server_close();
    p.take_sent();
    p.login();
    let check = p.last_sent("list_threads");
    // A bot agent in the same chat happened to use the same custom_id.
    p.respond(&check, stored(&custom, "bot-agent"));
    assert!(!p.completed.contains_key(&id), "completed with someone else's event");
    let resent = p.last_sent("send_event");
    assert_eq!(custom_id_of(&resent), custom, "re-sent with its own custom_id");
    p.respond(&resent, json!({"event_id": "T1_10"}));
    p.push_response(&resent, "incoming_event", json!({"chat_id": "CH1", "thread_id": "T1",
        "event": {"id": "T1_10", "type": "message", "text": "hello", "custom_id": custom, "author_id": "cust-1"}}));
    assert_eq!(p.ok(id)["event_id"], "T1_10");
}

// ------------------------------------------------------------------ finding 2: timeouts

#[test]
fn a_send_without_an_answer_is_confirmed_in_the_chat_instead_of_timing_out() {
    let mut p = Peer::new(config());
    p.login();
    let id = send(&mut p, "hello");
    let custom = custom_id_of(&p.last_sent("send_event"));
    p.take_sent();
    p.advance(Duration::from_secs(21)); // past request_timeout (20 s)
    assert!(!p.completed.contains_key(&id), "a send of unknown fate must not fail with a timeout");
    let check = p.last_sent("list_threads");
    assert_eq!(check["payload"]["chat_id"], "CH1");
    // The server was only slow: the check (answered after the send) finds it.
    p.respond(&check, stored(&custom, "cust-1"));
    assert_eq!(p.ok(id)["event_id"], "T1_9");
    assert!(p.sent_with("send_event").is_empty(), "found: not sent again");
}

#[test]
fn a_timed_out_send_missing_from_the_chat_is_sent_again() {
    let mut p = Peer::new(config());
    p.login();
    let id = send(&mut p, "hello");
    let custom = custom_id_of(&p.last_sent("send_event"));
    p.take_sent();
    p.advance(Duration::from_secs(21));
    let check = p.last_sent("list_threads");
    p.respond(&check, json!({"threads": []}));
    let resent = p.last_sent("send_event");
    assert_eq!(custom_id_of(&resent), custom);
    p.respond(&resent, json!({"event_id": "T1_2"}));
    p.push_response(&resent, "incoming_event", json!({"chat_id": "CH1",
        "event": {"id": "T1_2", "type": "message", "text": "hello", "custom_id": custom, "author_id": "cust-1"}}));
    assert_eq!(p.ok(id)["event_id"], "T1_2");
}

#[test]
fn a_late_answer_completes_a_timed_out_send() {
    let mut p = Peer::new(config());
    p.login();
    let id = send(&mut p, "hello");
    let original = p.last_sent("send_event");
    p.advance(Duration::from_secs(21));
    // The answer to the original request arrives after its deadline.
    p.respond(&original, json!({"event_id": "T1_3"}));
    assert_eq!(p.ok(id)["event_id"], "T1_3");
    let check = p.last_sent("list_threads");
    p.take_sent();
    p.respond(&check, json!({"threads": []}));
    assert!(p.sent_with("send_event").is_empty(), "stored already: never re-sent");
}

#[test]
fn a_send_whose_fate_cannot_be_learnt_says_so_with_its_custom_id() {
    let mut c = config();
    c.connection.queue_timeout = Duration::from_secs(30);
    let mut p = Peer::new(c);
    p.login();
    let id = send(&mut p, "hello");
    let custom = custom_id_of(&p.last_sent("send_event"));
    // The server never answers anything again; reconnects never get through.
    for _ in 0..200 {
        if p.completed.contains_key(&id) {
            break;
        }
        p.advance(Duration::from_secs(1));
        if p.conn.is_some() && p.s.state() != State::Connected {
            refuse_connect(&mut p);
        }
    }
    let err = p.result(id).as_ref().unwrap_err();
    assert_eq!(err.code, ErrorCode::RequestTimeout);
    assert!(err.message.contains("may or may not be stored"), "{err}");
    assert_eq!(err.data.as_ref().unwrap()["custom_id"], custom.as_str());
}

// ------------------------------------------------------------------ finding 3: fail fast

#[test]
fn calls_on_a_session_that_cannot_connect_fail_with_the_cause_after_a_few_seconds() {
    let mut p = Peer::new(config());
    let id = p.req("list_chats", json!({}));
    let start = p.now;
    while !p.completed.contains_key(&id) && p.now - start < Duration::from_secs(60) {
        if p.conn.is_some() {
            refuse_connect(&mut p);
        }
        p.advance(Duration::from_millis(100));
    }
    let err = p.result(id).as_ref().unwrap_err();
    assert_eq!(err.code, ErrorCode::ConnectionFailed, "{err}");
    assert!(err.message.contains("Connection refused"), "{err}");
    assert!(err.message.contains("ws://127.0.0.1:9"), "names the endpoint: {err}");
    let waited = p.now - start;
    assert!(waited <= Duration::from_secs(11), "failed after {waited:?}, not after first_connect_timeout");
    let failures: Vec<_> = p
        .events
        .iter()
        .filter_map(|e| match e {
            Event::ConnectFailed(f) => Some(f.clone()),
            _ => None,
        })
        .collect();
    assert!(failures.len() >= 3, "one event per failed attempt: {failures:?}");
    assert_eq!(failures[0].attempt, 1);
    assert_eq!(failures[2].attempt, 3);
    assert!(failures[2].retry_in > failures[0].retry_in, "the delay grows: {failures:?}");
    assert!(failures[0].error.message.contains("Connection refused"));
    // The session keeps trying; calls made now wait for it again.
    assert_eq!(p.s.state(), State::Connecting);
}

#[test]
fn an_invalid_endpoint_fails_at_once_and_names_the_url() {
    for bad in ["htp:/127.0.0.1", "http://127.0.0.1:8080"] {
        let c = CustomerConfig::new("org-1", Endpoint::url(bad));
        let mut p = Peer::new(c);
        assert!(p.opened_urls.is_empty(), "nothing to open for {bad}");
        assert_eq!(p.s.state(), State::Destroyed);
        let d = disconnects(&p);
        assert_eq!(d[0].reason, DisconnectReason::InvalidEndpoint);
        let id = p.req("list_chats", json!({}));
        let err = p.result(id).as_ref().unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidRequest);
        assert!(err.message.contains(bad), "{err}");
    }
}

#[test]
fn a_refused_login_fails_waiting_and_later_calls_with_authentication() {
    let mut p = Peer::agent(agent_config());
    let queued = p.req("list_chats", json!({}));
    for _ in 0..5 {
        p.advance_until_open();
        p.open();
        let login = p.last_sent("login");
        p.respond_err(&login, "authentication", None);
    }
    assert_eq!(p.s.state(), State::Paused);
    assert_eq!(p.err(queued), &ErrorCode::Authentication, "queued call fails with the cause, now");
    let later = p.req("list_chats", json!({}));
    assert_eq!(p.err(later), &ErrorCode::Authentication);
    // connect() is the application trying again: calls queue again.
    p.s.connect(p.now);
    p.drain();
    let again = p.req("list_chats", json!({}));
    assert!(!p.completed.contains_key(&again));
}

#[test]
fn a_ban_fails_queued_calls_with_customer_banned() {
    let mut p = Peer::new(config());
    p.login();
    p.server_close();
    let queued = p.req("list_chats", json!({}));
    p.advance_until_open();
    p.open();
    let login = p.last_sent("login");
    p.respond_err(&login, "customer_banned", None);
    assert_eq!(p.s.state(), State::Destroyed);
    assert_eq!(p.err(queued), &ErrorCode::CustomerBanned);
}

#[test]
fn close_code_and_reason_reach_the_disconnected_event() {
    let mut p = Peer::new(config());
    p.login();
    let conn = p.conn.take().unwrap();
    p.s.handle_transport_closed(p.now, conn, Some(1009), "message too big");
    p.drain();
    let d = disconnects(&p).pop().unwrap();
    assert_eq!(d.reason, DisconnectReason::ConnectionLost);
    let close = d.close.expect("close info");
    assert_eq!(close.code, Some(1009));
    assert_eq!(close.reason, "message too big");
}

// ------------------------------------------------------------------ finding 5: liveness

#[test]
fn unanswered_pings_end_the_socket_even_while_pushes_keep_arriving() {
    let mut p = Peer::new(config());
    p.login();
    let conn = p.conn.unwrap();
    for _ in 0..40 {
        p.advance(Duration::from_secs(1));
        if p.conn != Some(conn) {
            break;
        }
        // The server keeps pushing but never answers the ping.
        p.push("brand_new_push", json!({"n": 1}));
    }
    assert!(!p.sent_with("ping").is_empty(), "a ping went out");
    assert!(p.closed.contains(&conn), "the socket whose pings go unanswered is closed");
    let d = disconnects(&p).pop().expect("disconnected");
    assert!(d.will_reconnect);
    assert!(d.close.unwrap().reason.contains("ping unanswered"));
    assert_eq!(p.s.state(), State::Reconnecting);
}

#[test]
fn a_ping_never_takes_a_slot_a_caller_needs() {
    let mut p = Peer::new(config());
    p.login();
    let calls: Vec<RequestId> = (0..10).map(|_| p.req("list_chats", json!({}))).collect();
    assert_eq!(p.s.in_flight(), 10);
    p.advance(Duration::from_secs(15));
    assert_eq!(p.sent_with("ping").len(), 1, "the ping goes out beside 10 calls in flight");
    assert_eq!(p.s.in_flight(), 10, "and is not counted as one of them");
    let ping = p.last_sent("ping");
    p.respond(&ping, json!({}));
    for c in &calls {
        let req = p.sent.iter().find(|f| f["request_id"] == c.to_string()).cloned().unwrap();
        p.respond(&req, json!({"chats_summary": [], "total_chats": 0}));
    }
    assert_eq!(p.s.state(), State::Connected);
}

// ------------------------------------------------------------------ finding 7: regions

#[test]
fn a_hostile_region_is_refused_and_no_socket_goes_there() {
    for region in ["evil.example/", "x@127.0.0.1:19070/"] {
        let mut c = config();
        c.connection.endpoint = Endpoint::Region("dal".into());
        let mut p = Peer::new(c);
        p.login();
        p.push(
            "customer_disconnected",
            json!({"reason": "misdirected_connection", "data": {"region": region}}),
        );
        p.advance(Duration::from_secs(5));
        assert_eq!(p.opened_urls.len(), 1, "no new socket: {:?}", p.opened_urls);
        assert!(p.opened_urls.iter().all(|u| !u.contains("evil") && !u.contains('@')));
        assert_eq!(p.s.state(), State::Paused);
        assert!(
            p.events
                .iter()
                .any(|e| matches!(e, Event::FrameRejected { error: Rejection::Region(r) } if r.contains("invalid region")))
        );
    }
}

#[test]
fn a_hostile_region_in_a_login_error_is_refused_too() {
    let mut c = config();
    c.connection.endpoint = Endpoint::Region("dal".into());
    let mut p = Peer::new(c);
    p.open();
    p.give_token("cust-1");
    let login = p.last_sent("login");
    p.respond_err(&login, "misdirected_request", Some(json!({"region": "x@127.0.0.1:19070/"})));
    p.advance(Duration::from_secs(5));
    assert_eq!(p.opened_urls.len(), 1, "{:?}", p.opened_urls);
    assert_eq!(p.s.state(), State::Paused);
}

// ------------------------------------------------------------------ finding 8: storms

#[test]
fn a_server_that_drops_every_login_is_not_hammered() {
    let mut p = Peer::new(config());
    let start = p.now;
    let mut logins = 0;
    while p.now - start < Duration::from_secs(10) {
        if p.conn.is_some() && p.s.state() != State::Connected {
            p.login();
            logins += 1;
            p.push("customer_disconnected", json!({"reason": "internal_error"}));
        }
        p.advance(Duration::from_millis(10));
    }
    // 100 ms fixed (the official SDK) would be ~98 logins in 10 s.
    assert!(logins <= 10, "{logins} logins in 10 s");
    assert!(logins >= 4, "still reconnects: {logins}");
}

#[test]
fn backoff_starts_over_once_a_connection_has_lasted() {
    let mut p = Peer::new(config());
    for _ in 0..6 {
        if p.conn.is_none() {
            p.advance_until_open();
        }
        p.login();
        p.push("customer_disconnected", json!({"reason": "internal_error"}));
    }
    p.advance_until_open();
    p.login();
    p.advance(Duration::from_secs(11)); // stable_after (10 s)
    let ping = p.sent_with("ping");
    if let Some(ping) = ping.last() {
        p.respond(ping, json!({}));
    }
    p.push("customer_disconnected", json!({"reason": "internal_error"}));
    let before = p.now;
    p.advance_until_open();
    assert!(p.now - before <= Duration::from_millis(200), "back to the short delay: {:?}", p.now - before);
}

// ------------------------------------------------------------------ finding 4: bounds

#[test]
fn a_huge_unknown_push_is_refused_and_the_session_goes_on() {
    let mut p = Peer::new(config());
    p.login();
    let zeros = vec!["0"; 600_000].join(",");
    p.raw_frame(&format!(r#"{{"action":"brand_new_push","type":"push","payload":{{"x":[{zeros}]}}}}"#));
    assert!(
        p.events
            .iter()
            .any(|e| matches!(e, Event::FrameRejected { error: Rejection::Frame(FrameError::UnknownPushTooLarge { action, .. }) } if action == "brand_new_push"))
    );
    assert!(!p.events.iter().any(|e| matches!(e, Event::UnknownPush { .. })));
    let id = p.req("list_chats", json!({}));
    let req = p.last_sent("list_chats");
    p.respond(&req, json!({"chats_summary": [], "total_chats": 0}));
    assert!(p.result(id).is_ok());
    // A small unknown push is still handed over raw.
    p.push("brand_new_push", json!({"x": [0, 0]}));
    assert!(p.events.iter().any(|e| matches!(e, Event::UnknownPush { .. })));
}

#[test]
fn the_active_chat_set_is_bounded_and_forgets_ended_chats() {
    let mut p = Peer::new(config());
    p.login();
    let chat = |id: String| {
        json!({"chat": {"id": id, "users": [], "thread": {"id": "T", "active": true, "events": [],
            "created_at": "2026-01-01T00:00:00.000000Z", "properties": {}, "user_ids": []}}})
    };
    for i in 0..1_200 {
        p.push("incoming_chat", chat(format!("C{i}")));
    }
    let s: &CustomerSession = &p.s;
    assert!(s.is_chat_active("C0"));
    assert!(!s.is_chat_active("C1199"), "beyond the cap a hostile server's chats are not kept");
    p.push("chat_deactivated", json!({"chat_id": "C0", "thread_id": "T"}));
    assert!(!p.s.is_chat_active("C0"));
    p.push("incoming_chat", chat("C-new".into()));
    assert!(p.s.is_chat_active("C-new"), "a forgotten chat frees room");
}

#[test]
fn a_valid_region_switch_still_goes_to_that_region() {
    let mut c = config();
    c.connection.endpoint = Endpoint::Region("dal".into());
    let mut p = Peer::new(c);
    p.login();
    p.push("customer_disconnected", json!({"reason": "misdirected_connection", "data": {"region": "FRA"}}));
    p.advance_until_open();
    assert!(
        p.opened_urls.last().unwrap().starts_with("wss://api-fra.livechatinc.com/"),
        "{:?}",
        p.opened_urls
    );
}

// ------------------------------------------------------------------ found by fuzzing

#[test]
fn a_resend_goes_out_under_its_own_request_id_and_a_stale_error_does_not_fail_it() {
    let mut p = Peer::new(config());
    p.login();
    let id = send(&mut p, "hello");
    let first = p.last_sent("send_event");
    p.take_sent();
    p.advance(Duration::from_secs(21));
    let check = p.last_sent("list_threads");
    p.respond(&check, json!({"threads": []}));
    let resent = p.last_sent("send_event");
    assert_ne!(resent["request_id"], first["request_id"], "a re-send is told apart from the first attempt");
    // A late error for the first attempt must not settle the re-send.
    p.respond_err(&first, "internal", None);
    assert!(!p.completed.contains_key(&id));
    p.respond(&resent, json!({"event_id": "T1_4"}));
    let custom = custom_id_of(&resent);
    p.push_response(&resent, "incoming_event", json!({"chat_id": "CH1",
        "event": {"id": "T1_4", "type": "message", "text": "hello", "custom_id": custom, "author_id": "cust-1"}}));
    assert_eq!(p.ok(id)["event_id"], "T1_4");
}

#[test]
fn an_answered_send_whose_push_never_comes_completes_with_its_answer() {
    let mut p = Peer::new(config());
    p.login();
    let id = send(&mut p, "hello");
    let req = p.last_sent("send_event");
    p.respond(&req, json!({"event_id": "T1_8"})); // no incoming_event push follows
    p.take_sent();
    p.advance(Duration::from_secs(21));
    assert_eq!(p.ok(id)["event_id"], "T1_8");
    assert!(p.sent_with("send_event").is_empty(), "stored: never re-sent");
    assert!(p.sent_with("list_threads").is_empty(), "nothing to confirm");
}

#[test]
fn a_push_only_the_other_side_knows_is_capped_like_an_unknown_one() {
    let mut p = Peer::new(config());
    p.login();
    let big = "x".repeat(100_000);
    // `routing_status_set` is an agent push: a customer keeps it raw, so it is capped.
    p.push("routing_status_set", json!({"agent_id": "a", "status": big}));
    assert!(
        p.events
            .iter()
            .any(|e| matches!(e, Event::FrameRejected { error: Rejection::Frame(FrameError::UnknownPushTooLarge { action, .. }) } if action == "routing_status_set"))
    );
    assert!(!p.events.iter().any(|e| matches!(e, Event::UnknownPush { .. })));
}
