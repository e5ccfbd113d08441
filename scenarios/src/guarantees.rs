//! Issue #10 over a real socket: the README's promises against a misbehaving server.
//! Each scenario fails on the code before the fix (the finding it names).

use std::time::{Duration, Instant};

use livechat_core::ErrorCode;
use livechat_core::customer::{CustomerApi, CustomerConfig, DisconnectReason, Endpoint, Event};
use livechat_core::identity::Grant;
use livechat_core::token::{Secret, Token};
use livechat_core::wire::{FrameError, Rejection};
use serde_json::json;

use crate::{Env, Events, Transport, join, later, server_messages};

/// A token for a new customer of `env`'s organization, as a backend would hold it.
fn static_token(env: &Env) -> (Token, String) {
    let (token, id) = env.sim.control().issue_customer_token(&env.org);
    let token = Token {
        access_token: Secret::new(token),
        entity_id: id.clone(),
        token_type: "Bearer".into(),
        expires_in: Duration::from_secs(3600),
        organization_id: Some(env.org.clone()),
        issued_at: Instant::now(),
    };
    (token, id)
}

fn start_with<T: Transport>(config: CustomerConfig, grant: Grant) -> (T::Client, Events) {
    let mut config = config;
    let auto = std::mem::replace(&mut config.connection.auto_connect, false);
    let client = T::start(config, grant);
    let mut events = Events::attach(&client);
    if auto {
        T::wait(client.connect()).expect("connect");
        events.wait_for("connected", |e| matches!(e, Event::Connected(_)));
    }
    (client, events)
}

/// Send `text` so that the socket is cut while the send is on the server's side of the
/// wire and before it is processed: the fate of the send is unknown to the client.
fn send_caught_in_a_drop<T: Transport>(
    env: &Env,
    client: &T::Client,
    chat_id: &str,
    customer_id: &str,
    text: &str,
) {
    let control = env.sim.control();
    control.set_response_delay(Duration::from_secs(3));
    let frames = control.stats().frames_in;
    let chat = chat_id.to_string();
    let text = text.to_string();
    let call = later::<T, _>(client, move |c| c.send_message(&chat, &text));
    let end = Instant::now() + Duration::from_secs(5);
    while control.stats().frames_in == frames && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(control.drop_customer(Some(customer_id)) > 0, "a socket was cut");
    control.clear_faults();
    join(call).expect("the send completes Ok after the reconnect");
}

/// Finding 1: a backend that restarts and acts for the same customer again. Every client
/// used to number its `custom_id`s from one constant seed, so the restarted client's first
/// send carried the `custom_id` of the earlier process's first send; caught in a drop, the
/// check found the old message and the new one was never stored.
pub fn restarted_backend_keeps_a_send_caught_in_a_drop<T: Transport>() {
    let env = Env::new("restart");
    let (token, id) = static_token(&env);
    let (first, _) = start_with::<T>(env.config(), Grant::Static(token.clone()));
    let chat = T::wait(first.start_chat(Default::default())).expect("start_chat");
    T::wait(first.send_message(&chat.chat_id, "before the restart")).expect("send");
    T::wait(first.destroy()).expect("destroy");

    // The "restarted process": a new client for the same customer, default (random) seed.
    let (second, _) = start_with::<T>(env.config(), Grant::Static(token));
    send_caught_in_a_drop::<T>(&env, &second, &chat.chat_id, &id, "after the restart");
    let texts: Vec<String> = server_messages(&env, &chat.chat_id, &id).into_iter().map(|(_, t)| t).collect();
    assert_eq!(texts, ["before the restart", "after the restart"]);
}

/// Finding 1: another author in the chat (an agent bot) used the very `custom_id` our next
/// send gets. The check after the drop must not take their event for ours.
pub fn another_authors_custom_id_does_not_swallow_a_send<T: Transport>() {
    let env = Env::new("foreign-custom-id");
    let (client, _) = env.customer_with::<T>(|c| c.connection.seed = Some(7));
    let customer = T::wait(client.get_customer()).expect("get_customer");
    let chat = T::wait(client.start_chat(Default::default())).expect("start_chat");
    let first = T::wait(client.send_message(&chat.chat_id, "one")).expect("send");
    let dump = env.sim.control().chat(&chat.chat_id).expect("chat");
    let mut stored = dump["threads"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|t| t["events"].as_array().cloned().unwrap_or_default());
    let mine = stored.find(|e| e["id"] == first.event_id.as_str()).expect("the stored event");
    let custom = mine["custom_id"].as_str().expect("the send carried a custom_id").to_string();
    // Our next custom_id: the same prefix, the next number.
    let (prefix, n) = custom.rsplit_once('-').expect("prefix-number");
    let next = format!("{prefix}-{}", n.parse::<u64>().expect("number") + 1);
    let agent_event = json!({"type": "message", "text": "the bot's reply", "custom_id": next});
    env.sim.control().agent_event(&chat.chat_id, &agent_event, None).expect("agent event");

    send_caught_in_a_drop::<T>(&env, &client, &chat.chat_id, &customer.id, "two");
    let texts: Vec<String> =
        server_messages(&env, &chat.chat_id, &customer.id).into_iter().map(|(_, t)| t).collect();
    assert_eq!(texts, ["one", "two"], "our second message is stored, once");
}

/// Finding 2: a server that answers late. The send's deadline passes while the server
/// still holds it; the call must not end in REQUEST_TIMEOUT for a message that is stored.
pub fn a_late_server_does_not_turn_a_stored_send_into_a_timeout<T: Transport>() {
    let env = Env::new("late");
    let (client, _) = env.customer_with::<T>(|c| c.connection.request_timeout = Duration::from_millis(500));
    let customer = T::wait(client.get_customer()).expect("get_customer");
    let chat = T::wait(client.start_chat(Default::default())).expect("start_chat");
    let control = env.sim.control();
    control.set_response_delay(Duration::from_millis(1500));
    let sent = T::wait(client.send_message(&chat.chat_id, "slow but stored"));
    control.clear_faults();
    let sent = sent.expect("Ok: the message is stored");
    let stored = server_messages(&env, &chat.chat_id, &customer.id);
    assert_eq!(stored.len(), 1, "stored once: {stored:?}");
    assert_eq!(stored[0].0, sent.event_id);
}

/// Finding 3: nothing listening. Calls fail within seconds with the transport's reason,
/// and every failed attempt is an event.
pub fn nothing_listening_fails_calls_with_the_cause<T: Transport>() {
    let env = Env::new("refused");
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    }; // closed again: connecting is refused
    let mut config = env.config();
    config.connection.endpoint = Endpoint::url(format!("ws://127.0.0.1:{port}"));
    config.connection.first_connect_timeout = Duration::from_secs(2);
    let client = T::start(config, env.cookie_grant());
    let mut events = Events::attach(&client);
    // The cause (not REQUEST_TIMEOUT after 120 s) is what shows it failed fast.
    let err = T::wait(client.get_customer()).expect_err("nothing listens there");
    assert_eq!(err.code, ErrorCode::ConnectionFailed, "{err}");
    assert!(err.message.contains(&port.to_string()), "names the endpoint: {err}");
    let failed = events.wait_for("connect_failed", |e| matches!(e, Event::ConnectFailed(_)));
    let Event::ConnectFailed(f) = failed else { unreachable!() };
    assert!(f.attempt >= 1);
    assert_eq!(f.error.code, ErrorCode::ConnectionFailed);
    let _ = T::wait(client.destroy());
}

/// Finding 3: a malformed endpoint fails at once, naming the URL, and opens nothing.
pub fn a_bad_endpoint_fails_at_once<T: Transport>() {
    let env = Env::new("bad-endpoint");
    for bad in ["htp:/127.0.0.1", "http://127.0.0.1:1"] {
        let mut config = env.config();
        config.connection.endpoint = Endpoint::url(bad);
        let client = T::start(config, env.cookie_grant());
        let err = T::wait(client.get_customer()).expect_err("invalid endpoint");
        assert_eq!(err.code, ErrorCode::InvalidRequest, "{err}");
        assert!(err.message.contains(bad), "{err}");
    }
}

/// Finding 3: a token the server refuses. Calls fail with AUTHENTICATION, not a timeout.
pub fn a_refused_token_fails_calls_with_authentication<T: Transport>() {
    let env = Env::new("bad-token");
    let (mut token, _) = static_token(&env);
    token.access_token = Secret::new("dal:not-a-valid-token");
    let client = T::start(env.config(), Grant::Static(token));
    let err = T::wait(client.get_customer()).expect_err("refused");
    assert_eq!(err.code, ErrorCode::Authentication, "{err}");
    let again = T::wait(client.get_customer()).expect_err("still refused");
    assert_eq!(again.code, ErrorCode::Authentication, "later calls get the cause too: {again}");
}

/// Finding 5: a server that stops answering pings (but answers everything else) is dead.
pub fn unanswered_pings_replace_the_socket<T: Transport>() {
    let env = Env::new("pings");
    let (client, mut events) = env.customer_with::<T>(|c| {
        c.connection.keepalive.ping_interval = Duration::from_millis(200);
        c.connection.keepalive.ping_timeout = Duration::from_millis(600);
    });
    let control = env.sim.control();
    control.set_ignore_pings(true);
    // Pushes keep coming and other requests keep being answered meanwhile: traffic alone
    // is no proof of life.
    control.set_keep_pushing(Some(Duration::from_millis(50)));
    let end = Instant::now() + Duration::from_secs(10);
    let mut replaced = false;
    while Instant::now() < end && !replaced {
        let _ = T::wait(client.get_customer());
        replaced = events.drain().iter().any(|e| {
            matches!(e, Event::Disconnected(d) if d.reason == DisconnectReason::ConnectionLost
                && d.close.as_ref().is_some_and(|c| c.reason.contains("ping unanswered")))
        });
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(replaced, "the socket whose pings go unanswered was replaced");
    control.clear_faults();
    T::wait(client.get_customer()).expect("calls work on the new socket");
}

/// Finding 7: a hostile `region` never becomes a host; the client pauses and says why.
pub fn a_hostile_region_is_refused<T: Transport>() {
    let env = Env::new("hostile-region");
    let (client, mut events) = env.customer::<T>();
    let customer = T::wait(client.get_customer()).expect("get_customer");
    let control = env.sim.control();
    let opened = control.stats().connections_total;
    let hostile = format!("x@{}/", env.sim.addr());
    control.disconnect_customer(
        Some(&customer.id),
        "misdirected_connection",
        Some(json!({"region": hostile})),
    );
    events.wait_for(
        "the refusal",
        |e| matches!(e, Event::FrameRejected { error: Rejection::Region(r) } if r.contains("invalid region")),
    );
    events.wait_for("paused", |e| matches!(e, Event::Disconnected(d) if !d.will_reconnect));
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(control.stats().connections_total, opened, "no new connection anywhere");
    let err = T::wait(client.get_customer()).expect_err("paused");
    assert_eq!(err.code, ErrorCode::MisdirectedConnection, "{err}");
}

/// Finding 8: a server that drops every login with `internal_error` is not hammered.
pub fn a_server_dropping_every_login_is_not_hammered<T: Transport>() {
    let env = Env::new("storm");
    let (client, _events) = env.customer::<T>();
    let customer = T::wait(client.get_customer()).expect("get_customer");
    let control = env.sim.control();
    let before = control.stats().logins;
    control.set_internal_error_after_login(true);
    control.disconnect_customer(Some(&customer.id), "internal_error", None);
    std::thread::sleep(Duration::from_secs(4));
    control.clear_faults();
    let logins = control.stats().logins - before;
    // A fixed 100 ms delay gives ~40 logins in 4 s; a growing one ~5 (0.1+0.2+0.4+0.8+1.6 s).
    assert!(logins <= 12, "{logins} logins in 4 s");
    assert!(logins >= 2, "it still reconnects: {logins}");
    T::wait(client.get_customer()).expect("works again once the server does");
    let _ = T::wait(client.destroy());
}

/// Finding 7, the login-error path: `misdirected_request` naming a hostile region.
pub fn a_hostile_region_in_a_login_error_is_refused<T: Transport>() {
    let env = Env::new("hostile-login-region");
    let control = env.sim.control();
    let hostile = format!("x@{}/", env.sim.addr());
    control.reject_next_logins_with(1, "misdirected_request", Some(json!({"region": hostile})));
    let client = T::start(env.config(), env.cookie_grant());
    let err = T::wait(client.get_customer()).expect_err("refused");
    assert_eq!(err.code, ErrorCode::MisdirectedConnection, "{err}");
    assert_eq!(control.stats().connections_total, 1, "no second connection anywhere");
}

/// Finding 4: frames over the limit and huge unknown pushes cost a rejected frame (or a
/// new socket), not the process; the session goes on.
pub fn oversized_frames_are_refused_and_the_session_goes_on<T: Transport>() {
    let env = Env::new("oversized");
    let (client, mut events) = env.customer::<T>();
    let customer = T::wait(client.get_customer()).expect("get_customer");
    let control = env.sim.control();
    // Over the frame limit (4 MiB): the WebSocket layer refuses it and the socket is replaced.
    for _ in 0..3 {
        assert!(
            control.send_oversized_customer(Some(&customer.id), 8 << 20, livechat_sim::OversizedKind::Array)
                > 0
        );
        events.wait_for_within("a new socket after the oversized frame", Duration::from_secs(20), |e| {
            matches!(e, Event::Disconnected(d) if d.will_reconnect && d.close.as_ref().is_some_and(|c| !c.reason.is_empty()))
        });
        T::wait(client.get_customer()).expect("works on the new socket");
    }
    // Under the frame limit but an unknown push over 64 KiB: rejected, the socket stays.
    let opened = control.stats().connections_total;
    for kind in [livechat_sim::OversizedKind::Array, livechat_sim::OversizedKind::String] {
        assert!(control.send_oversized_customer(Some(&customer.id), 1 << 20, kind) > 0);
        events.wait_for("the rejected push", |e| {
            matches!(
                e,
                Event::FrameRejected { error: Rejection::Frame(FrameError::UnknownPushTooLarge { .. }) }
            )
        });
    }
    T::wait(client.get_customer()).expect("the session goes on");
    assert_eq!(control.stats().connections_total, opened, "the same socket");
    assert!(!events.drain().iter().any(|e| matches!(e, Event::UnknownPush { .. })));
}

/// Finding 4: a reader that stops reading holds a bounded number of bytes, not a bounded
/// number of (arbitrarily large) events; the session and other listeners go on.
pub fn a_stalled_reader_holds_bounded_bytes<T: Transport>() {
    let env = Env::new("byte-budget");
    let (client, mut events) = env.customer::<T>();
    let customer = T::wait(client.get_customer()).expect("get_customer");
    let chat = T::wait(client.start_chat(Default::default())).expect("start_chat");
    let mut stalled = T::events(&client); // never read until the end
    let text = "x".repeat(1 << 20);
    const PUSHES: usize = 40;
    for i in 0..PUSHES {
        let frame = json!({"action": "incoming_event", "type": "push", "payload": {
            "chat_id": chat.chat_id, "thread_id": "T-big",
            "event": {"id": format!("big-{i}"), "type": "message", "text": text, "author_id": "bot",
                      "created_at": "2026-01-01T00:00:00.000000Z"}}});
        assert!(env.sim.control().push_raw_customer(Some(&customer.id), &frame.to_string()) > 0);
    }
    // A listener that keeps up sees all of them.
    for i in 0..PUSHES {
        let id = format!("big-{i}");
        events.wait_for_within(
            &id,
            Duration::from_secs(30),
            |e| matches!(e, Event::IncomingEvent(ev) if ev.event.id() == Some(id.as_str())),
        );
    }
    let mut held = 0;
    while let crate::Next::Event(e) = stalled.next_within(Duration::from_millis(200)) {
        if matches!(&e, Event::IncomingEvent(ev) if ev.event.id().is_some_and(|id| id.starts_with("big-"))) {
            held += 1;
        }
    }
    // 16 MiB of estimated memory per queue: about 8 of these 1 MiB messages.
    assert!(held >= 1, "the stalled stream kept some");
    assert!(held <= 16, "a stalled stream held {held} events of 1 MiB");
    T::wait(client.get_customer()).expect("the session goes on");
}
