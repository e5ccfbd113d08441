//! Deterministic scenario tests of the customer session: simulated time, scripted peer.

mod support;

use std::time::Duration;

use livechat_core::ErrorCode;
use livechat_core::customer::{
    Availability, DisconnectReason, Endpoint, Event, LoginCustomer, RequestOptions, State,
};
use serde_json::{Value, json};
use support::{Peer, config, login_payload};

fn disconnected(events: &[Event]) -> Vec<(String, bool, bool)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Disconnected(d) => Some((d.reason.as_str().to_string(), d.will_reconnect, d.destroyed)),
            _ => None,
        })
        .collect()
}

// ---------------------------------------------------------------- 1. lifecycle

#[test]
fn auto_connect_off_waits_for_connect_and_fails_calls_with_no_connection() {
    let mut c = config();
    c.connection.auto_connect = false;
    let mut p = Peer::new(c);
    assert_eq!(p.s.state(), State::Idle);
    assert!(p.opened_urls.is_empty());
    let id = p.req("get_customer", json!({}));
    assert_eq!(p.err(id), &ErrorCode::NoConnection);
    p.s.connect(p.now);
    p.drain();
    assert_eq!(p.s.state(), State::Connecting);
    assert_eq!(p.opened_urls, vec!["ws://127.0.0.1:9/v3.6/customer/rtm/ws?organization_id=org-1"]);
}

#[test]
fn region_urls_follow_the_documented_hosts() {
    let mut c = config();
    c.connection.endpoint = Endpoint::Region("dal".into());
    c.connection.organization_id = "390e44e6 f1e6".into();
    let p = Peer::new(c);
    assert_eq!(
        p.opened_urls[0],
        "wss://api.livechatinc.com/v3.6/customer/rtm/ws?organization_id=390e44e6%20f1e6"
    );
    let mut c = config();
    c.connection.endpoint = Endpoint::Region("fra".into());
    let p = Peer::new(c);
    assert!(p.opened_urls[0].starts_with("wss://api-fra.livechatinc.com/v3.6/customer/rtm/ws?"));
}

#[test]
fn disconnect_pauses_and_connect_resumes_with_a_new_login() {
    let mut p = Peer::new(config());
    p.login();
    p.s.disconnect(p.now);
    p.drain();
    assert_eq!(p.s.state(), State::Paused);
    assert_eq!(p.closed.len(), 1);
    p.advance(Duration::from_secs(120));
    assert_eq!(p.opened_urls.len(), 1, "a paused session must not reconnect on its own");
    p.s.connect(p.now);
    p.drain();
    p.login();
    assert_eq!(p.sent_with("login").len(), 2);
}

#[test]
fn destroy_fails_everything_with_sdk_destroyed_and_later_calls_too() {
    let mut p = Peer::new(config());
    p.login();
    let a = p.req("get_customer", json!({}));
    p.s.destroy(p.now);
    p.drain();
    assert_eq!(p.err(a), &ErrorCode::SdkDestroyed);
    let b = p.req("get_customer", json!({}));
    assert_eq!(p.err(b), &ErrorCode::SdkDestroyed);
    assert_eq!(p.s.state(), State::Destroyed);
    p.s.connect(p.now);
    p.drain();
    assert_eq!(p.opened_urls.len(), 1);
}

// ---------------------------------------------------------------- 2. login

#[test]
fn login_payload_carries_token_customer_page_storage_and_options() {
    let mut c = config();
    c.group_id = Some(3);
    c.referrer = Some("https://ref.example".into());
    c.tab_id = Some("tab-7".into());
    c.page = Some(livechat_core::customer::CustomerPage {
        url: "https://shop/".into(),
        title: Some("Shop".into()),
    });
    c.customer_side_storage.insert("k".into(), json!("v"));
    let mut calls = 0;
    c.customer_data_provider = Some(Box::new(move || {
        calls += 1;
        LoginCustomer {
            name: Some(format!("Jane {calls}")),
            session_fields: Some(vec![json!({"plan": "pro"}).as_object().unwrap().clone()]),
            ..Default::default()
        }
    }));
    let mut p = Peer::new(c);
    p.login();
    let login = p.last_sent("login");
    let pl = &login["payload"];
    assert_eq!(pl["token"], "Bearer tok-cust-1");
    assert_eq!(pl["customer"]["name"], "Jane 1");
    assert_eq!(pl["customer"]["session_fields"], json!([{"plan": "pro"}]));
    assert_eq!(pl["customer_page"], json!({"url": "https://shop/", "title": "Shop"}));
    assert_eq!(pl["customer_side_storage"], json!({"k": "v"}));
    assert_eq!(pl["group_id"], 3);
    assert_eq!(pl["referrer"], "https://ref.example");
    assert_eq!(pl["tab_id"], "tab-7");
    assert_eq!(pl["is_mobile"], false);
    assert_eq!(pl["application"]["name"], "livechat-rs");
    // The provider is called again at the next login.
    p.server_close();
    p.login();
    assert_eq!(p.last_sent("login")["payload"]["customer"]["name"], "Jane 2");
}

#[test]
fn nothing_but_login_is_sent_before_the_token_and_the_socket_are_both_ready() {
    let mut p = Peer::new(config());
    let id = p.req("get_customer", json!({}));
    p.open();
    assert!(p.sent.is_empty(), "nothing may be sent before a token is known");
    p.give_token("cust-1");
    assert_eq!(p.sent.len(), 1);
    assert_eq!(p.sent[0]["action"], "login");
    let login = p.sent[0].clone();
    p.respond(&login, login_payload("cust-1", true));
    assert_eq!(p.last_sent("get_customer")["action"], "get_customer", "queued call goes out after login");
    assert!(!p.completed.contains_key(&id));
}

#[test]
fn connected_carries_customer_and_availability_and_customer_id_comes_once_first() {
    let mut p = Peer::new(config());
    p.login();
    let ev = p.take_events();
    assert!(matches!(&ev[0], Event::CustomerId(id) if id == "cust-1"), "{ev:?}");
    let Event::Connected(c) = &ev[1] else { panic!("{ev:?}") };
    assert_eq!(c.customer.id, "cust-1");
    assert_eq!(c.availability, Availability::Online);
    p.server_close();
    p.login_as("cust-1");
    let ev = p.take_events();
    assert!(!ev.iter().any(|e| matches!(e, Event::CustomerId(_))), "customer_id only once: {ev:?}");
    assert!(ev.iter().any(|e| matches!(e, Event::Connected(_))));
}

#[test]
fn availability_is_offline_when_the_monitoring_group_is_not_online() {
    let mut p = Peer::new(config());
    p.open();
    p.give_token("c");
    let login = p.last_sent("login");
    p.respond(&login, login_payload("c", false));
    assert!(
        p.events.iter().any(|e| matches!(e, Event::Connected(c) if c.availability == Availability::Offline))
    );
}

#[test]
fn identity_change_clears_customer_state_and_keeps_working() {
    let mut p = Peer::new(config());
    p.login_as("alice");
    p.push(
        "incoming_chat",
        json!({"chat": {"id": "CH1", "users": [], "thread": {"id": "T1", "active": true}}}),
    );
    assert!(p.s.is_chat_active("CH1"));
    p.server_close();
    let queued = p.req("get_customer", json!({}));
    p.advance_until_open();
    p.open();
    p.give_token("bob");
    assert!(p.events.iter().any(
        |e| matches!(e, Event::IdentityChanged { previous_id, new_id } if previous_id == "alice" && new_id == "bob")
    ));
    assert_eq!(p.err(queued), &ErrorCode::IdentityChanged, "calls for alice must not be sent as bob");
    assert!(!p.s.is_chat_active("CH1"));
    let login = p.last_sent("login");
    p.respond(&login, login_payload("bob", true));
    assert_eq!(p.s.state(), State::Connected);
    assert_eq!(p.s.customer_id(), Some("bob"));
}

#[test]
fn login_that_never_answers_is_retried_with_backoff() {
    let mut p = Peer::new(config());
    p.open();
    p.give_token("c");
    assert_eq!(p.sent_with("login").len(), 1);
    p.advance(Duration::from_secs(26));
    assert_eq!(p.closed.len(), 1, "the stuck socket is closed");
    p.advance_until_open();
    assert_eq!(p.opened_urls.len(), 2);
    assert_eq!(p.s.state(), State::Connecting);
    assert!(disconnected(&p.events).is_empty(), "retries before the first login are silent");
}

// ---------------------------------------------------------------- 3. tokens

#[test]
fn a_token_close_to_expiry_is_refreshed_before_login() {
    let mut c = config();
    // keep the socket alive through the long wait without scripting pings
    c.connection.keepalive.ping_interval = Duration::from_secs(100_000);
    c.connection.keepalive.unstable_after = Duration::from_secs(100_000);
    c.connection.keepalive.dead_after = Duration::from_secs(100_000);
    let mut p = Peer::new(c);
    p.open();
    let mut t = support::token("c", p.now);
    t.expires_in = Duration::from_secs(7200);
    p.s.handle_token(p.now, Ok(t));
    p.drain();
    let login = p.last_sent("login");
    p.respond(&login, login_payload("c", true));
    // 90 minutes later the connection drops: under an hour is left, so a fresh one is asked for.
    p.advance(Duration::from_secs(5400));
    p.server_close();
    p.token_requests.clear();
    p.advance_until_open();
    assert_eq!(p.token_requests, vec![true]);
}

#[test]
fn authentication_error_at_login_asks_for_a_fresh_token_and_retries() {
    let mut p = Peer::new(config());
    p.open();
    p.give_token("c");
    let login = p.last_sent("login");
    p.respond_err(&login, "authentication", None);
    assert_eq!(p.closed.len(), 1);
    p.token_requests.clear();
    p.advance_until_open();
    assert_eq!(p.token_requests, vec![true], "the next attempt must fetch a fresh token");
}

#[test]
fn repeated_authentication_errors_pause_instead_of_looping_forever() {
    let mut p = Peer::new(config());
    for _ in 0..5 {
        p.advance_until_open();
        p.open();
        p.give_token("c");
        let login = p.last_sent("login");
        p.respond_err(&login, "authentication", None);
    }
    assert_eq!(p.s.state(), State::Paused);
    assert_eq!(disconnected(&p.events), vec![("authentication_failed".into(), false, false)]);
}

#[test]
fn access_token_expired_reconnects_with_a_fresh_token() {
    let mut p = Peer::new(config());
    p.login();
    p.token_requests.clear();
    p.push("customer_disconnected", json!({"reason": "access_token_expired"}));
    assert_eq!(disconnected(&p.events), vec![("access_token_expired".into(), true, false)]);
    p.advance(Duration::from_millis(100));
    assert_eq!(p.opened_urls.len(), 2, "reconnects after the short 100 ms delay");
    assert_eq!(p.token_requests, vec![true]);
}

#[test]
fn fatal_token_errors_destroy_and_transient_ones_retry() {
    use livechat_core::Error;
    let mut p = Peer::new(config());
    p.s.handle_token(p.now, Err(Error::new(ErrorCode::SsoIdentityException, "server_error")));
    p.drain();
    assert_ne!(p.s.state(), State::Destroyed);
    p.advance_until_open();
    p.s.handle_token(p.now, Err(Error::new(ErrorCode::SsoIdentityException, "access_denied")));
    p.drain();
    assert_eq!(p.s.state(), State::Destroyed);
    assert_eq!(disconnected(&p.events), vec![("authentication_failed".into(), false, true)]);
}

// ---------------------------------------------------------------- 4. keepalive

#[test]
fn pings_every_15_seconds_and_reports_unstable_then_recovered() {
    let mut p = Peer::new(config());
    p.login();
    p.take_sent();
    p.advance(Duration::from_secs(15));
    let pings = p.sent_with("ping");
    assert_eq!(pings.len(), 1);
    assert_eq!(pings[0]["payload"], json!({}));
    p.respond(&pings[0].clone(), json!({}));
    p.take_events();
    // silence: unstable after 20 s without any frame
    p.advance(Duration::from_secs(21));
    assert_eq!(p.take_events(), vec![Event::ConnectionUnstable]);
    p.push("incoming_multicast", json!({"content": {}}));
    assert_eq!(p.events[0], Event::ConnectionRecovered);
}

#[test]
fn a_silent_socket_is_judged_dead_and_replaced() {
    let mut p = Peer::new(config());
    p.login();
    p.advance(Duration::from_secs(41));
    assert_eq!(p.closed.len(), 1);
    assert_eq!(p.s.state(), State::Reconnecting);
    assert!(disconnected(&p.events).contains(&("connection_lost".into(), true, false)));
    p.advance_until_open();
    assert_eq!(p.opened_urls.len(), 2);
}

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

fn started_chat() -> Value {
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

// ---------------------------------------------------------------- 7. disconnect policy

#[test]
fn every_disconnect_reason_gets_its_documented_reaction() {
    // (reason, expected state after, will_reconnect, destroyed)
    let table = [
        ("access_token_revoked", State::Reconnecting, true, false),
        ("access_token_expired", State::Reconnecting, true, false),
        ("connection_evicted", State::Reconnecting, true, false),
        ("connection_timeout", State::Reconnecting, true, false),
        ("internal_error", State::Reconnecting, true, false),
        ("service_temporarily_unavailable", State::Reconnecting, true, false),
        ("too_many_unauthorized_connections", State::Reconnecting, true, false),
        ("some_future_reason", State::Reconnecting, true, false),
        ("misdirected_connection", State::Paused, false, false), // no region known → pause
        ("inactivity_timeout", State::Paused, false, false),
        ("license_expired", State::Paused, false, false),
        ("license_not_found", State::Destroyed, false, true),
        ("unsupported_version", State::Destroyed, false, true),
        ("too_many_connections", State::Destroyed, false, true),
        ("logged_out_remotely", State::Destroyed, false, true),
        ("customer_banned", State::Destroyed, false, true),
        ("customer_temporarily_blocked", State::Destroyed, false, true),
        ("product_version_changed", State::Destroyed, false, true),
    ];
    for (reason, state, will, destroyed) in table {
        let mut p = Peer::new(config());
        p.login();
        let inflight = p.req("get_customer", json!({}));
        p.push("customer_disconnected", json!({"reason": reason}));
        assert_eq!(p.s.state(), state, "{reason}");
        assert_eq!(disconnected(&p.events), vec![(reason.to_string(), will, destroyed)], "{reason}");
        assert_eq!(p.closed.len(), 1, "{reason}: the session closes the socket itself");
        assert_eq!(p.err(inflight), &ErrorCode::ConnectionLost, "{reason}");
        p.advance(Duration::from_secs(120));
        if will {
            assert!(p.opened_urls.len() >= 2, "{reason}: must reconnect");
        } else {
            assert_eq!(p.opened_urls.len(), 1, "{reason}: must not reconnect");
        }
    }
}

#[test]
fn paused_by_inactivity_resumes_on_connect() {
    let mut p = Peer::new(config());
    p.login();
    p.push("customer_disconnected", json!({"reason": "inactivity_timeout"}));
    let waiting = p.req("get_customer", json!({}));
    assert_eq!(p.err(waiting), &ErrorCode::NoConnection);
    p.s.connect(p.now);
    p.drain();
    p.login();
    assert_eq!(p.s.state(), State::Connected);
}

#[test]
fn misdirected_connection_switches_to_the_named_region() {
    let mut c = config();
    c.connection.endpoint = Endpoint::Custom {
        default: "ws://127.0.0.1:1".into(),
        regions: [("fra".to_string(), "ws://127.0.0.1:2".to_string())].into(),
    };
    let mut p = Peer::new(c);
    p.login();
    let inflight = p.req("get_customer", json!({}));
    p.push("customer_disconnected", json!({"reason": "misdirected_connection", "data": {"region": "fra"}}));
    assert_eq!(p.err(inflight), &ErrorCode::MisdirectedConnection);
    assert_eq!(disconnected(&p.events), vec![("misdirected_connection".into(), true, false)]);
    p.advance(Duration::ZERO);
    assert_eq!(p.opened_urls.last().unwrap(), "ws://127.0.0.1:2/v3.6/customer/rtm/ws?organization_id=org-1");
    assert_eq!(p.s.region(), Some("fra"));
    p.login();
}

#[test]
fn misdirected_region_on_the_real_service_changes_host_immediately() {
    let mut c = config();
    c.connection.endpoint = Endpoint::Region("dal".into());
    let mut p = Peer::new(c);
    p.login();
    p.push("customer_disconnected", json!({"reason": "misdirected_connection", "data": {"region": "fra"}}));
    p.advance(Duration::ZERO);
    assert!(p.opened_urls[1].starts_with("wss://api-fra.livechatinc.com/"));
}

#[test]
fn login_errors_users_limit_pauses_and_banned_destroys() {
    let mut p = Peer::new(config());
    p.open();
    p.give_token("c");
    let login = p.last_sent("login");
    p.respond_err(&login, "users_limit_reached", None);
    assert_eq!(p.s.state(), State::Paused);
    assert_eq!(disconnected(&p.events), vec![("users_limit_reached".into(), false, false)]);

    let mut p = Peer::new(config());
    p.open();
    p.give_token("c");
    let login = p.last_sent("login");
    p.respond_err(&login, "customer_banned", None);
    assert_eq!(p.s.state(), State::Destroyed);
}

#[test]
fn backoff_delays_are_replayable_from_the_seed() {
    let run = || {
        let mut p = Peer::new(config());
        let mut opens = vec![];
        for _ in 0..6 {
            p.advance_until_open();
            opens.push(p.now);
            p.server_close();
        }
        let start = opens[0];
        opens.iter().map(|t| t.duration_since(start)).collect::<Vec<_>>()
    };
    assert_eq!(run(), run());
}

#[test]
fn unknown_disconnect_reason_is_kept_verbatim() {
    assert_eq!(DisconnectReason::from_wire("x_y").as_str(), "x_y");
}

// ---------------------------------------------------------------- 8. events

#[test]
fn groups_status_updated_becomes_availability_updated() {
    let mut p = Peer::new(config());
    p.login();
    p.take_events();
    p.push(
        "groups_status_updated",
        json!({"groups": [{"id": 5, "status": "online"}, {"id": 0, "status": "offline"}]}),
    );
    let ev = p.take_events();
    assert_eq!(ev[0], Event::AvailabilityUpdated(Availability::Offline), "our monitoring group is 0: {ev:?}");
    assert!(matches!(ev[1], Event::GroupsStatusUpdated(_)));
}

#[test]
fn lc2_queue_pos_thread_property_yields_a_synthetic_queue_position_first() {
    let mut p = Peer::new(config());
    p.login();
    p.take_events();
    p.push(
        "thread_properties_updated",
        json!({"chat_id": "CH1", "thread_id": "T1",
        "properties": {"lc2": {"queue_pos": 3, "queue_waiting_time": 120}}}),
    );
    let ev = p.take_events();
    let Event::QueuePositionUpdated(q) = &ev[0] else { panic!("{ev:?}") };
    assert_eq!(q.queue.position, Some(3));
    assert_eq!(q.queue.wait_time, Some(120));
    assert!(matches!(ev[1], Event::ThreadPropertiesUpdated(_)));
}

#[test]
fn unknown_pushes_are_kept_raw() {
    let mut p = Peer::new(config());
    p.login();
    p.take_events();
    p.push("brand_new_push", json!({"x": 1}));
    assert_eq!(
        p.take_events(),
        vec![Event::UnknownPush { action: "brand_new_push".into(), payload: json!({"x": 1}) }]
    );
}

#[test]
fn side_storage_updates_are_kept_and_sent_at_the_next_login() {
    let mut p = Peer::new(config());
    p.login();
    p.push("customer_side_storage_updated", json!({"customer_side_storage": {"a": "b"}}));
    p.server_close();
    p.login();
    assert_eq!(p.last_sent("login")["payload"]["customer_side_storage"], json!({"a": "b"}));
}

#[test]
fn get_chat_and_list_chats_emit_user_data() {
    let mut p = Peer::new(config());
    p.login();
    p.take_events();
    let id = p.req("list_chats", json!({}));
    let req = p.last_sent("list_chats");
    let u = json!({"id": "agent-1", "type": "agent", "name": "A"});
    p.respond(&req, json!({"chats_summary": [
        {"id": "C1", "active": true, "users": [u]}, {"id": "C2", "active": false, "users": [u]}], "total_chats": 2}));
    assert!(p.result(id).is_ok());
    let users = p.take_events().into_iter().filter(|e| matches!(e, Event::UserData(_))).count();
    assert_eq!(users, 1, "users are de-duplicated");
    assert!(p.s.is_chat_active("C1"));
    assert!(!p.s.is_chat_active("C2"));
}

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
