//! Deterministic scenario tests of the agent session: simulated time, scripted peer.

mod support;

use livechat_core::wire::Rejection;

use std::time::Duration;

use livechat_core::ErrorCode;
use livechat_core::agent::actions::{ListChats, ListChatsResponse, SetRoutingStatus, UpdateSession};
use livechat_core::agent::events::TYPED_PUSHES;
use livechat_core::agent::{
    AgentConfig, AgentCredentials, AgentEvent, AgentEventKind, AgentSession, AgentSide, Delay,
    DisconnectReason, Endpoint, Reaction, Recipients, RequestOptions, State,
};
use livechat_core::hub::Kinded;
use livechat_core::model::ChatEvent;
use livechat_core::request::decode_response;
use serde_json::json;
use support::{Peer, agent_config};

type AgentPeer = Peer<AgentSide>;

fn agent() -> AgentPeer {
    Peer::agent(agent_config())
}

fn ready_count(events: &[AgentEvent]) -> usize {
    events.iter().filter(|e| matches!(e, AgentEvent::Ready(_))).count()
}

fn disconnected(events: &[AgentEvent]) -> Vec<(String, bool, bool)> {
    events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::Disconnected(d) => {
                Some((d.reason.as_str().to_string(), d.will_reconnect, d.destroyed))
            }
            _ => None,
        })
        .collect()
}

// ---------------------------------------------------------------- connection, login, ready

#[test]
fn calls_made_before_ready_are_sent_after_login_in_call_order() {
    let mut p = agent();
    assert_eq!(p.s.state(), State::Connecting);
    let a = p.s.send_message(p.now, "CH1", "first", Recipients::All);
    let b = p.req("list_chats", json!({"limit": 5}));
    let c = p.req("get_chat", json!({"chat_id": "CH2"}));
    p.drain();
    assert!(p.sent.is_empty(), "nothing may go out before the socket is open");
    p.open();
    let sent: Vec<String> = p.sent.iter().map(|f| f["action"].as_str().unwrap().to_string()).collect();
    assert_eq!(sent, vec!["login"], "only the login goes out before it succeeds");
    assert_eq!(ready_count(&p.events), 0);
    let login = p.last_sent("login");
    p.respond(&login, support::agent_login_payload("agent@example.com"));
    let actions: Vec<&str> = p.sent.iter().map(|f| f["action"].as_str().unwrap()).collect();
    assert_eq!(actions, vec!["login", "send_event", "list_chats", "get_chat"]);
    assert_eq!(p.sent[1]["payload"]["event"]["text"], "first");
    // `ready` comes before any answer to the queued calls.
    assert_eq!(ready_count(&p.events), 1);
    assert!(p.completed.is_empty());
    let frames = p.sent[1..].to_vec();
    p.respond(&frames[2], json!({"id": "CH2", "users": [], "thread": null}));
    p.respond(&frames[0], json!({"event_id": "EV1"}));
    p.respond(&frames[1], json!({"chats_summary": [], "found_chats": 0}));
    assert_eq!(p.ok(a)["event_id"], "EV1");
    assert_eq!(p.ok(b)["found_chats"], 0);
    assert_eq!(p.ok(c)["id"], "CH2");
    assert!(p.token_requests.is_empty(), "agent credentials make their own token");
}

#[test]
fn login_payload_has_the_documented_fields_and_the_bearer_token() {
    let mut c = agent_config();
    c.timezone = Some("Europe/Warsaw".into());
    c.reconnect = Some(true);
    c.away = Some(false);
    c.customer_monitoring_level = Some("chatting".into());
    c.connection.pushes = Some([("3.6".to_string(), vec!["all".to_string()])].into_iter().collect());
    let mut p = Peer::agent(c);
    p.open();
    let login = p.last_sent("login");
    let payload = &login["payload"];
    assert_eq!(payload["token"], "Bearer dal:agent-token");
    assert_eq!(payload["timezone"], "Europe/Warsaw");
    assert_eq!(payload["reconnect"], true);
    assert_eq!(payload["away"], false);
    assert_eq!(payload["customer_monitoring_level"], "chatting");
    assert_eq!(payload["pushes"], json!({"3.6": ["all"]}));
    assert_eq!(payload["application"]["name"], "livechat-rs");
    for customer_only in ["customer", "customer_side_storage", "is_mobile", "group_id"] {
        assert!(payload.get(customer_only).is_none(), "{customer_only} is not an agent login field");
    }
    // Only the fields that were set are sent.
    let mut p = agent();
    p.open();
    let keys: Vec<String> = p.last_sent("login")["payload"].as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, vec!["application", "token"]);
}

#[test]
fn pat_is_sent_as_basic_base64_of_account_id_and_pat() {
    let login_token = |creds: AgentCredentials| {
        let mut c = agent_config();
        c.credentials = creds;
        let mut p = Peer::agent(c);
        p.open();
        p.last_sent("login")["payload"]["token"].as_str().unwrap().to_string()
    };
    let want = "Basic ZmFrZS1hY2NvdW50LWlkOmZha2UtcGF0LXNlY3JldA==";
    assert_eq!(
        login_token(AgentCredentials::personal_access_token("fake-account-id", "fake-pat-secret")),
        want
    );
    assert_eq!(
        login_token(AgentCredentials::encoded_pat("ZmFrZS1hY2NvdW50LWlkOmZha2UtcGF0LXNlY3JldA==")),
        want
    );
    assert_eq!(
        login_token(AgentCredentials::bearer("dal:test_1fgTbfXmgthj4cZSA")),
        "Bearer dal:test_1fgTbfXmgthj4cZSA"
    );
    let t = AgentCredentials::personal_access_token("fake-account-id", "fake-pat-secret")
        .token(std::time::Instant::now());
    assert_eq!(t.token_type, "Basic");
    assert_eq!(t.entity_id, "fake-account-id");
    assert!(!t.needs_refresh(std::time::Instant::now(), Duration::from_secs(3600)));
}

#[test]
fn ready_after_the_first_login_and_again_after_a_reconnect_with_a_new_login() {
    let mut p = agent();
    p.login();
    let events = p.take_events();
    assert_eq!(ready_count(&events), 1);
    let AgentEvent::Ready(ready) = &events[0] else { panic!("expected ready, got {events:?}") };
    let profile = ready.my_profile.as_ref().expect("typed my_profile");
    assert_eq!(profile.id, "agent@example.com");
    assert_eq!(profile.permission.as_deref(), Some("owner"));
    assert_eq!(ready.license.as_ref().unwrap().id.as_deref(), Some("104130623"));
    assert_eq!(ready.raw["timestamp"], 1700000001u64);
    assert_eq!(p.s.agent_details().unwrap()["my_profile"]["name"], "Agent One");

    // In flight when the socket drops: fails with CONNECTION_LOST; queued afterwards: sent
    // after the next login.
    let inflight = p.req("list_routing_statuses", json!({}));
    p.server_close();
    assert_eq!(p.err(inflight), &ErrorCode::ConnectionLost);
    assert_eq!(p.s.state(), State::Reconnecting);
    assert_eq!(disconnected(&p.take_events()), vec![("connection_lost".to_string(), true, false)]);
    let later = p.req("get_chat", json!({"chat_id": "CH9"}));
    p.take_sent();
    p.advance_until_open();
    p.open();
    let login = p.last_sent("login");
    assert_eq!(login["payload"]["token"], "Bearer dal:agent-token");
    let mut details = support::agent_login_payload("agent@example.com");
    details["my_profile"]["name"] = json!("Renamed");
    p.respond(&login, details);
    assert_eq!(ready_count(&p.take_events()), 1);
    assert_eq!(p.s.agent_details().unwrap()["my_profile"]["name"], "Renamed");
    let get = p.last_sent("get_chat");
    p.respond(&get, json!({"id": "CH9", "users": []}));
    assert_eq!(p.ok(later)["id"], "CH9");
}

#[test]
fn destroy_completes_queued_and_in_flight_calls_with_sdk_destroyed() {
    let mut p = agent();
    let queued = p.s.send_message(p.now, "CH1", "hello", Recipients::All);
    p.login();
    let inflight = p.req("list_chats", json!({}));
    p.s.destroy(p.now);
    p.drain();
    assert_eq!(p.s.state(), State::Destroyed);
    assert_eq!(p.err(queued), &ErrorCode::SdkDestroyed);
    assert_eq!(p.err(inflight), &ErrorCode::SdkDestroyed);
    let after = p.req("list_chats", json!({}));
    assert_eq!(p.err(after), &ErrorCode::SdkDestroyed);

    // Destroyed before ever logging in: the pre-login queue fails too.
    let mut p = agent();
    let a = p.req("get_chat", json!({"chat_id": "X"}));
    let b = p.s.send_message(p.now, "X", "y", Recipients::Agents);
    p.s.destroy(p.now);
    p.drain();
    assert_eq!(p.err(a), &ErrorCode::SdkDestroyed);
    assert_eq!(p.err(b), &ErrorCode::SdkDestroyed);
    assert_eq!(p.completion_order, vec![a, b]);
}

#[test]
fn queued_calls_fail_when_their_queue_deadline_passes() {
    let mut c = agent_config();
    c.connection.queue_timeout = Duration::from_secs(5);
    let mut p = Peer::agent(c);
    let id = p.req("list_chats", json!({}));
    p.advance(Duration::from_secs(6));
    assert_eq!(p.err(id), &ErrorCode::RequestTimeout);
}

// ---------------------------------------------------------------- URLs and config

#[test]
fn urls_carry_version_path_and_organization() {
    let url = |c: AgentConfig| Peer::agent(c).opened_urls[0].clone();
    let mut c = agent_config();
    c.connection.endpoint = Endpoint::Region("us".into());
    assert_eq!(url(c.clone()), "wss://api.livechatinc.com/v3.6/agent/rtm/ws?organization_id=org-1");
    let default = AgentConfig::new("org-1", AgentCredentials::bearer("t"));
    assert_eq!(url(default), "wss://api.livechatinc.com/v3.6/agent/rtm/ws?organization_id=org-1");
    assert_eq!(
        url(c.clone().with_endpoint(Endpoint::Region("europe".into()))),
        "wss://api-fra.livechatinc.com/v3.6/agent/rtm/ws?organization_id=org-1"
    );
    assert_eq!(
        url(c.clone().with_api_version("v3.5")),
        "wss://api.livechatinc.com/v3.5/agent/rtm/ws?organization_id=org-1"
    );
    assert_eq!(
        url(agent_config().with_api_version("3.7")),
        "ws://127.0.0.1:9/v3.7/agent/rtm/ws?organization_id=org-1"
    );
}

#[test]
fn bad_api_version_or_monitoring_level_is_a_config_error_naming_the_value() {
    let err =
        AgentSession::new(agent_config().with_api_version("3.4"), std::time::Instant::now()).unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidRequest);
    assert!(err.message.contains("\"3.4\""), "{err}");
    let mut c = agent_config();
    c.customer_monitoring_level = Some("everyone".into());
    let err = AgentSession::new(c, std::time::Instant::now()).unwrap_err();
    assert!(err.message.contains("\"everyone\""), "{err}");

    // The customer session cannot refuse at construction; it destroys itself on connect.
    let mut c = support::config();
    c.connection.api_version = "2.0".into();
    let p = Peer::new(c);
    assert_eq!(p.s.state(), State::Destroyed);
    assert!(p.opened_urls.is_empty());
    let reasons: Vec<String> = p
        .events
        .iter()
        .filter_map(|e| match e {
            livechat_core::customer::Event::Disconnected(d) => Some(d.reason.as_str().to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(reasons, vec!["unsupported_version"]);
}

// ---------------------------------------------------------------- agent_disconnected

#[test]
fn every_agent_disconnected_reason_has_its_documented_reaction() {
    use Reaction::*;
    let reconnect = |delay, fresh_token| Reconnect { delay, fresh_token };
    let table = [
        ("agent_disconnected_by_server", Pause),
        ("agent_logged_out_remotely", Pause),
        ("access_token_revoked", Pause),
        ("connection_evicted", Pause),
        ("access_token_expired", reconnect(Delay::Short, true)),
        ("connection_timeout", reconnect(Delay::Short, false)),
        ("internal_error", reconnect(Delay::Short, false)),
        ("license_expired", Pause),
        ("license_not_found", Destroy),
        ("misdirected_connection", SwitchRegion),
        ("unsupported_version", Destroy),
        ("too_many_connections", Pause),
        ("too_many_unauthorized_connections", reconnect(Delay::Backoff, false)),
        ("role_permissions_changed", reconnect(Delay::Short, false)),
        ("some_future_reason", reconnect(Delay::Backoff, false)),
    ];
    for (wire, want) in table {
        let reason = DisconnectReason::from_wire(wire);
        assert_eq!(reason.as_str(), wire);
        assert_eq!(reason.agent_reaction(), want, "{wire}");

        // And through the session: state and the `disconnected` event agree.
        let mut p = agent();
        p.login();
        p.take_events();
        let pending = p.req("list_chats", json!({}));
        p.push("agent_disconnected", json!({"reason": wire}));
        let events = p.take_events();
        let got = disconnected(&events);
        assert_eq!(got.len(), 1, "{wire}: {events:?}");
        let (name, will_reconnect, destroyed) = &got[0];
        assert_eq!(name, wire);
        match want {
            Pause => {
                assert_eq!(p.s.state(), State::Paused, "{wire}");
                assert!(!will_reconnect && !destroyed);
            }
            Destroy => {
                assert_eq!(p.s.state(), State::Destroyed, "{wire}");
                assert!(!will_reconnect && *destroyed);
                // As on the customer side: in flight when the server ended it → lost.
                assert_eq!(p.err(pending), &ErrorCode::ConnectionLost);
                // Later calls fail with the cause itself where it has a code of its own.
                let after = p.req("list_chats", json!({}));
                let cause = match ErrorCode::from_wire(wire) {
                    ErrorCode::Other(_) => ErrorCode::SdkDestroyed,
                    code => code,
                };
                assert_eq!(p.err(after), &cause, "{wire}");
            }
            Reconnect { .. } => {
                assert_eq!(p.s.state(), State::Reconnecting, "{wire}");
                assert!(*will_reconnect && !destroyed);
                assert_eq!(p.err(pending), &ErrorCode::ConnectionLost);
                p.advance_until_open();
                p.open();
                assert_eq!(p.last_sent("login")["payload"]["token"], "Bearer dal:agent-token");
            }
            // No `data.region` and a custom endpoint: nowhere known to go → paused.
            SwitchRegion => assert_eq!(p.s.state(), State::Paused, "{wire}"),
        }
    }
}

#[test]
fn misdirected_connection_switches_to_the_named_region() {
    let mut c = agent_config();
    c.connection.endpoint = Endpoint::Region("us".into());
    let mut p = Peer::agent(c);
    p.login();
    p.push("agent_disconnected", json!({"reason": "misdirected_connection", "data": {"region": "fra"}}));
    assert_eq!(p.s.state(), State::Reconnecting);
    p.advance_until_open();
    assert_eq!(
        p.opened_urls.last().unwrap(),
        "wss://api-fra.livechatinc.com/v3.6/agent/rtm/ws?organization_id=org-1"
    );
}

// ---------------------------------------------------------------- pushes

#[test]
fn typed_pushes_parse_and_unknown_ones_stay_raw() {
    let mut p = agent();
    p.login();
    p.take_events();
    p.push(
        "incoming_chat",
        json!({"requester_id": "agent@example.com",
            "chat": {"id": "CH1", "users": [{"id": "c1", "type": "customer"}],
                "thread": {"id": "T1", "active": true, "events": []}},
            "transferred_from": {"group_ids": [1], "agent_ids": ["a@b.c"]}}),
    );
    p.push(
        "queue_positions_updated",
        json!([{"chat_id": "CH1", "thread_id": "T1", "queue": {"position": 2, "wait_time": 30}},
               {"chat_id": "CH2", "thread_id": "T2", "queue": {"position": 1, "wait_time": 5}}]),
    );
    p.push("routing_status_set", json!({"agent_id": "a@b.c", "status": "not_accepting_chats"}));
    p.push(
        "incoming_typing_indicator",
        json!({"chat_id": "CH1", "thread_id": "T1",
            "typing_indicator": {"author_id": "c1", "visibility": "all", "timestamp": 1, "is_typing": true}}),
    );
    p.push(
        "incoming_event",
        json!({"chat_id": "CH1", "thread_id": "T1",
            "event": {"id": "E1", "type": "message", "text": "psst", "author_id": "a@b.c", "visibility": "agents"}}),
    );
    p.push("chat_access_updated", json!({"id": "CH1", "access": {"group_ids": [0, 2]}}));
    p.push(
        "incoming_sneak_peek",
        json!({"chat_id": "CH1", "thread_id": "T1", "sneak_peek": {"author_id": "c1", "text": "hel", "timestamp": 3}}),
    );
    p.push(
        "thread_summary_set",
        json!({"chat_id": "CH1", "thread_id": "T1", "summary": {"status": "ok", "text": "sum", "updated_at": "x"}}),
    );
    p.push("incoming_error", json!({"action": "set_thread_summary", "chat_id": "CH1", "thread_id": "T1"}));
    p.push("agent_updated", json!({"id": "a@b.c", "name": "New"}));
    p.push("routing_status_set", json!({"agent_id": 5}));
    let events = p.take_events();
    assert_eq!(events.len(), 11, "{events:?}");

    let AgentEvent::IncomingChat(chat) = &events[0] else { panic!("{:?}", events[0]) };
    assert_eq!(chat.chat.id, "CH1");
    assert_eq!(chat.transferred_from.as_ref().unwrap().agent_ids, vec!["a@b.c"]);
    assert_eq!(chat.requester_id.as_deref(), Some("agent@example.com"));
    let AgentEvent::QueuePositionsUpdated(q) = &events[1] else { panic!("{:?}", events[1]) };
    assert_eq!(q.len(), 2);
    assert_eq!((q[0].queue.position, q[1].chat_id.as_str()), (Some(2), "CH2"));
    let AgentEvent::RoutingStatusSet(r) = &events[2] else { panic!() };
    assert_eq!(r.status, livechat_core::agent::actions::RoutingStatus::NotAcceptingChats);
    let AgentEvent::IncomingTypingIndicator(t) = &events[3] else { panic!() };
    assert_eq!(t.typing_indicator.visibility, Some(Recipients::All));
    let AgentEvent::IncomingEvent(e) = &events[4] else { panic!() };
    assert_eq!(e.event.visibility(), Some(&Recipients::Agents));
    assert!(matches!(&e.event, ChatEvent::Message(m) if m.text == "psst"));
    assert!(matches!(&events[5], AgentEvent::ChatAccessUpdated(a) if a.access.group_ids == vec![0, 2]));
    assert!(matches!(&events[6], AgentEvent::IncomingSneakPeek(s) if s.sneak_peek.text == "hel"));
    assert!(
        matches!(&events[7], AgentEvent::ThreadSummarySet(s) if s.summary.text.as_deref() == Some("sum"))
    );
    assert!(
        matches!(&events[8], AgentEvent::IncomingError(e) if e.action.as_deref() == Some("set_thread_summary"))
    );
    match &events[9] {
        AgentEvent::Push { action, payload } => {
            assert_eq!(action, "agent_updated");
            assert_eq!(payload["name"], "New");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(events[9].push_action(), Some("agent_updated"));
    // A typed push with the wrong shape is reported, and the session goes on.
    assert!(
        matches!(&events[10], AgentEvent::FrameRejected { error: Rejection::Push(e) } if e.action == "routing_status_set")
    );
    assert_eq!(p.s.state(), State::Connected);
}

#[test]
fn event_kinds_have_push_names_and_implement_kinded() {
    for wire in TYPED_PUSHES {
        let kind = AgentEventKind::from_name(wire).unwrap_or_else(|| panic!("{wire}"));
        assert_eq!(kind.as_str(), *wire);
    }
    assert_eq!(AgentEventKind::from_name("ready"), Some(AgentEventKind::Ready));
    let e = AgentEvent::from_push("chat_deactivated", json!({"chat_id": "C", "thread_id": "T"})).unwrap();
    assert_eq!(Kinded::kind(&e), AgentEventKind::ChatDeactivated);
    assert_eq!(AgentEvent::from_push("brand_new", json!(1)).unwrap().kind(), AgentEventKind::Push);
}

// ---------------------------------------------------------------- requests

#[test]
fn send_message_frame_shape_and_completion_on_the_response() {
    let mut p = agent();
    p.login();
    let id = p.s.send_message(p.now, "CH-AGENT-1", "hello from rust", Recipients::Agents);
    p.drain();
    let frame = p.last_sent("send_event");
    let payload = &frame["payload"];
    assert_eq!(payload["chat_id"], "CH-AGENT-1");
    let event = payload["event"].as_object().unwrap();
    assert_eq!(event["type"], "message");
    assert_eq!(event["text"], "hello from rust");
    assert_eq!(event["visibility"], "agents");
    assert!(event["custom_id"].as_str().is_some_and(|c| !c.is_empty()), "exactly-once custom_id");
    let mut keys: Vec<&str> = event.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, vec!["custom_id", "text", "type", "visibility"]);
    assert!(frame["request_id"].is_string());
    p.respond(&frame, json!({"event_id": "EV-1"}));
    assert_eq!(p.ok(id), &json!({"event_id": "EV-1"}));
    // The requester's own push is just an event on the agent side.
    p.frame(json!({"action": "incoming_event", "type": "push", "request_id": frame["request_id"],
        "payload": {"chat_id": "CH-AGENT-1", "thread_id": "T", "event": {"id": "EV-1", "type": "message", "text": "hello from rust"}}}));
    assert!(p.take_events().iter().any(|e| matches!(e, AgentEvent::IncomingEvent(_))));
}

#[test]
fn send_message_and_agent_limits_are_checked_locally() {
    let mut p = agent();
    p.login();
    p.take_sent();
    let no_chat = p.s.send_message(p.now, "", "hi", Recipients::All);
    let no_text = p.s.send_message(p.now, "CH1", "  ", Recipients::All);
    let too_many = p.req("list_chats", json!({"limit": 101}));
    let preview_file =
        p.req("send_event_preview", json!({"chat_id": "CH1", "event": {"type": "file", "url": "u"}}));
    let remove_customer =
        p.req("remove_user_from_chat", json!({"chat_id": "CH1", "user_id": "c1", "user_type": "customer"}));
    let multicast_nobody = p.req("multicast", json!({"recipients": {}, "content": 1}));
    let customer_agents_only = p.req(
        "add_user_to_chat",
        json!({"chat_id": "CH1", "user_id": "c1", "user_type": "customer", "visibility": "agents"}),
    );
    p.drain();
    for id in
        [no_chat, no_text, too_many, preview_file, remove_customer, multicast_nobody, customer_agents_only]
    {
        assert_eq!(p.err(id), &ErrorCode::InvalidRequest);
    }
    assert!(p.sent.is_empty(), "nothing invalid goes on the wire: {:?}", p.sent);
    let ok = p.req("list_chats", json!({"limit": 100}));
    let frame = p.last_sent("list_chats");
    p.respond(&frame, json!({"chats_summary": [], "found_chats": 0}));
    assert!(p.ok(ok).is_object());
}

#[test]
fn typed_requests_serialise_to_their_payload_and_decode_their_response() {
    let mut p = agent();
    p.login();
    let req = ListChats { limit: Some(25), ..ListChats::new() };
    let id = p.s.send(p.now, &req, RequestOptions::default());
    p.drain();
    let frame = p.last_sent("list_chats");
    assert_eq!(frame["payload"], json!({"limit": 25}));
    p.respond(
        &frame,
        json!({"chats_summary": [{"id": "CH1", "users": [], "last_event_per_type": {}}],
            "found_chats": 1, "next_page_id": "P2"}),
    );
    let resp: ListChatsResponse = decode_response::<ListChats>(p.ok(id).clone()).unwrap();
    assert_eq!(resp.found_chats, 1);
    assert_eq!(resp.chats_summary[0].id, "CH1");
    assert_eq!(resp.next_page_id.as_deref(), Some("P2"));

    let id = p.s.send(
        p.now,
        &SetRoutingStatus::new(livechat_core::agent::actions::RoutingStatus::AcceptingChats),
        RequestOptions::default(),
    );
    p.drain();
    let frame = p.last_sent("set_routing_status");
    assert_eq!(frame["payload"], json!({"status": "accepting_chats"}));
    p.respond(&frame, json!({}));
    assert!(p.ok(id).is_object());
    assert!(livechat_core::agent::actions::ACTIONS.contains(&"send_event"));
    assert!(livechat_core::agent::actions::ACTIONS.contains(&"update_event_properties"));
}

#[test]
fn set_credentials_updates_the_session_and_the_next_login() {
    let mut p = agent();
    p.login();
    let id =
        p.s.set_credentials(p.now, AgentCredentials::bearer("dal:new-token")).expect("sent while connected");
    p.drain();
    let frame = p.last_sent("update_session");
    assert_eq!(frame["payload"], json!({"token": "Bearer dal:new-token"}));
    p.respond(&frame, json!({}));
    assert!(p.ok(id).is_object());
    p.server_close();
    p.advance_until_open();
    p.open();
    assert_eq!(p.last_sent("login")["payload"]["token"], "Bearer dal:new-token");
}

#[test]
fn credentials_never_show_in_debug_output() {
    let secrets = ["fake-pat-secret", "ZmFrZS1hY2NvdW50LWlkOmZha2UtcGF0LXNlY3JldA", "dal:agent-token"];
    let mut c = agent_config();
    c.credentials = AgentCredentials::personal_access_token("fake-account-id", "fake-pat-secret");
    let mut dumps = vec![
        format!("{c:?}"),
        format!("{:?}", AgentCredentials::bearer("dal:agent-token")),
        format!("{:?}", AgentCredentials::encoded_pat("ZmFrZS1hY2NvdW50LWlkOmZha2UtcGF0LXNlY3JldA==")),
        format!("{:?}", c.credentials.token(std::time::Instant::now())),
        format!("{:?}", UpdateSession { token: "Bearer dal:agent-token".into() }),
    ];
    let mut p = Peer::agent(c);
    p.open();
    dumps.push(format!("{:?}", p.s));
    dumps.push(format!("{:?}", p.s.side()));
    let login: livechat_core::agent::actions::Login =
        serde_json::from_value(p.last_sent("login")["payload"].clone()).unwrap();
    dumps.push(format!("{login:?}"));
    for d in &dumps {
        for s in secrets {
            assert!(!d.contains(s), "{s} leaked in {d}");
        }
    }
    assert!(dumps[0].contains("fake-account-id"), "the account id is not a secret: {}", dumps[0]);
}

#[test]
fn chat_customer_and_group_pushes_are_typed() {
    let e = AgentEvent::from_push("chat_unfollowed", json!({"chat_id": "C"})).unwrap();
    assert!(matches!(e, AgentEvent::ChatUnfollowed(ref u) if u.chat_id == "C"), "{e:?}");
    let e = AgentEvent::from_push("chat_deleted", json!({"chat_id": "C"})).unwrap();
    assert!(matches!(e, AgentEvent::ChatDeleted(ref d) if d.chat_id == "C"), "{e:?}");
    let e = AgentEvent::from_push("thread_deleted", json!({"chat_id": "C", "thread_id": "T"})).unwrap();
    assert!(matches!(e, AgentEvent::ThreadDeleted(ref d) if d.thread_id == "T"), "{e:?}");
    let e =
        AgentEvent::from_push("customer_banned", json!({"customer_id": "cu", "ban": {"days": 3}})).unwrap();
    assert!(
        matches!(e, AgentEvent::CustomerBanned(ref b) if b.customer_id == "cu" && b.ban.days == 3),
        "{e:?}"
    );
    let e = AgentEvent::from_push("customer_updated", json!({"id": "cu", "name": "New"})).unwrap();
    assert!(matches!(e, AgentEvent::CustomerUpdated(ref c) if c.name.as_deref() == Some("New")), "{e:?}");
    let e =
        AgentEvent::from_push("groups_status_updated", json!({"groups": [{"id": 0, "status": "online"}]}))
            .unwrap();
    assert!(matches!(e, AgentEvent::GroupsStatusUpdated(ref g) if g.groups.len() == 1), "{e:?}");
    // A documented push with the wrong shape is an error naming it, not a silent raw push.
    let err = AgentEvent::from_push("customer_banned", json!({"customer_id": "cu"})).unwrap_err();
    assert_eq!(err.action, "customer_banned");
}
