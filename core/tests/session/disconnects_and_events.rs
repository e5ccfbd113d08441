//! The disconnect policy per reason, and the events.

use super::*;

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
