//! The lifecycle (idle, connect, pause, destroy) and the login.

use super::*;

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
