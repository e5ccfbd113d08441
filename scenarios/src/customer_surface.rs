//! The rest of the Customer SDK v5 surface over a real socket, on every transport: the
//! methods and events no other scenario reaches, and every documented disconnect reason
//! with the reaction the docs give it.

use std::sync::atomic::{AtomicUsize, Ordering};

use livechat_core::customer::actions::{ListThreads, RequestWelcomeMessage, UpdateCustomer};
use livechat_core::customer::{EventKind, Rating};
use livechat_core::disconnect::{Delay, Reaction};
use livechat_core::hub::Listen;
use serde_json::Map;

use super::*;

fn kinds_seen(events: &Events) -> Vec<&'static str> {
    events.seen.iter().map(|e| e.kind().as_str()).collect()
}

/// Methods: session fields, customer update, predicted agent, welcome message, seen marks,
/// threads, delete event, rate and cancel, page, deactivate, disconnect/connect, once/off.
/// Events: customer_id, customer_updated, incoming_welcome_message, events_marked_as_seen,
/// event_updated, event_deleted, customer_side_storage_updated, thread properties, user_data,
/// chat_deactivated.
pub fn the_rest_of_the_customer_surface<T: Transport>() {
    let env = Env::new("surface");
    let control = env.sim.control();
    let (client, mut events) = env.customer::<T>();
    assert!(events.seen.iter().any(|e| matches!(e, Event::CustomerId(_))), "{:?}", kinds_seen(&events));
    let me = T::wait(client.get_customer()).expect("get_customer");

    T::wait(client.set_customer_session_fields(&[("plan", "pro")])).expect("set_customer_session_fields");
    events.wait_for("customer_updated (session fields)", |e| matches!(e, Event::CustomerUpdated(_)));
    let update = UpdateCustomer { name: Some("Surface".into()), ..UpdateCustomer::default() };
    T::wait(client.update_customer(update)).expect("update_customer");
    events.wait_for(
        "customer_updated (name)",
        |e| matches!(e, Event::CustomerUpdated(u) if u.name.as_deref() == Some("Surface")),
    );
    T::wait(client.get_predicted_agent()).expect("get_predicted_agent");
    T::wait(client.request_welcome_message(RequestWelcomeMessage::default()))
        .expect("request_welcome_message");
    events.wait_for("incoming_welcome_message", |e| matches!(e, Event::IncomingWelcomeMessage(_)));

    // once / off / off_all, on the first chat's messages.
    let once = Arc::new(AtomicUsize::new(0));
    let o = once.clone();
    client.once(EventKind::IncomingEvent, move |_| {
        o.fetch_add(1, Ordering::SeqCst);
    });
    let on = Arc::new(AtomicUsize::new(0));
    let n = on.clone();
    let id = client.on(EventKind::IncomingEvent, move |_| {
        n.fetch_add(1, Ordering::SeqCst);
    });

    let chat = T::wait(client.start_chat(Default::default())).expect("start_chat");
    let sent = T::wait(client.send_message(&chat.chat_id, "first")).expect("send");
    events.wait_for("the bot's reply", |e| message_text(e) == Some("You said: first"));
    assert!(client.off(id), "the callback was registered");
    T::wait(client.send_message(&chat.chat_id, "second")).expect("send");
    let reply = events.wait_for("the second reply", |e| message_text(e) == Some("You said: second"));
    assert_eq!(once.load(Ordering::SeqCst), 1, "once runs one time");
    assert_eq!(on.load(Ordering::SeqCst), 1, "off stopped it: only the first reply");

    let got = T::wait(client.get_chat(&chat.chat_id, None)).expect("get_chat");
    events.wait_for("user_data", |e| matches!(e, Event::UserData(_)));
    let thread_id = got.thread.as_ref().expect("thread").id.clone();
    let seen_up_to =
        got.thread.as_ref().and_then(|t| t.events.last()).and_then(|e| e.created_at()).unwrap().to_string();
    T::wait(client.mark_events_as_seen(&chat.chat_id, &seen_up_to)).expect("mark_events_as_seen");
    events.wait_for("events_marked_as_seen", |e| matches!(e, Event::EventsMarkedAsSeen(_)));
    let threads = T::wait(client.list_threads(ListThreads::new(chat.chat_id.clone()))).expect("list_threads");
    assert!(threads.threads.iter().any(|t| t.id == thread_id));

    // Service-side pushes: an edited reply, the side storage.
    let Event::IncomingEvent(reply) = reply else { unreachable!() };
    let reply_id = reply.event.id().expect("reply id").to_string();
    control.update_event(&chat.chat_id, &reply_id, "edited").expect("update_event");
    events.wait_for("event_updated", |e| {
        matches!(e, Event::EventUpdated(u) if matches!(&u.event, livechat_core::model::ChatEvent::Message(m) if m.text == "edited"))
    });
    let mut storage = Map::new();
    storage.insert("k".into(), json!("v"));
    assert_eq!(control.set_customer_side_storage(&me.id, storage), 1);
    events.wait_for("customer_side_storage_updated", |e| matches!(e, Event::CustomerSideStorageUpdated(_)));

    T::wait(client.delete_event(&chat.chat_id, &thread_id, &sent.event_id)).expect("delete_event");
    events.wait_for("event_deleted", |e| matches!(e, Event::EventDeleted(d) if d.event_id == sent.event_id));
    T::wait(client.rate_chat(&chat.chat_id, Rating::good().with_comment("thanks"))).expect("rate_chat");
    events.wait_for("thread_properties_updated (rating)", |e| matches!(e, Event::ThreadPropertiesUpdated(_)));
    T::wait(client.cancel_rate(&chat.chat_id, &["score"])).expect("cancel_rate");
    events.wait_for("thread_properties_deleted (rating)", |e| matches!(e, Event::ThreadPropertiesDeleted(_)));
    T::wait(client.update_customer_page(Some("https://example.com/pricing"), Some("Pricing")))
        .expect("update_customer_page");
    T::wait(client.deactivate_chat(&chat.chat_id)).expect("deactivate_chat");
    events.wait_for(
        "chat_deactivated",
        |e| matches!(e, Event::ChatDeactivated(d) if d.chat_id == chat.chat_id),
    );

    // off_all removes every callback (the recorder above is one too); a stream keeps going.
    let n = on.clone();
    client.on_any(move |_| {
        n.fetch_add(100, Ordering::SeqCst);
    });
    client.off_all();
    let mut stream = T::events(&client);
    // disconnect() pauses: nothing reconnects until connect().
    T::wait(client.disconnect()).expect("disconnect");
    let next = |stream: &mut Box<dyn EventSource>, what: &str, f: &dyn Fn(&Event) -> bool| loop {
        match stream.next_within(Duration::from_secs(10)) {
            Next::Event(e) if f(&e) => return,
            Next::Event(_) => {}
            other => panic!("{what}: {other:?}"),
        }
    };
    // Paused: no `disconnected` event (the SDK never emits reason `manual`), calls fail
    // with NO_CONNECTION at once instead of waiting.
    let err = T::wait(client.get_customer()).expect_err("a call while paused");
    assert_eq!(err.code, ErrorCode::NoConnection, "{err}");
    T::wait(client.connect()).expect("connect");
    next(&mut stream, "connected again", &|e| matches!(e, Event::Connected(_)));
    assert_eq!(on.load(Ordering::SeqCst), 1, "off_all removed the on_any callback");
}

/// Every documented customer disconnect reason, pushed by the simulator, gets the
/// reaction its docs give (`customer/disconnect.rs`): reconnect, pause until `connect()`,
/// or destroy; plus a reason the docs do not know yet.
pub fn every_disconnect_reason_gets_its_documented_reaction<T: Transport>() {
    let reasons = [
        "access_token_revoked",
        "access_token_expired",
        "connection_evicted",
        "connection_timeout",
        "internal_error",
        "service_temporarily_unavailable",
        "too_many_unauthorized_connections",
        "inactivity_timeout",
        "users_limit_reached",
        "license_expired",
        "license_not_found",
        "unsupported_version",
        "too_many_connections",
        "customer_banned",
        "customer_temporarily_blocked",
        "product_version_changed",
        "logged_out_remotely",
        "a_reason_from_the_future",
    ];
    let env = Env::new("reasons");
    let control = env.sim.control();
    for wire in reasons {
        let reason = DisconnectReason::from_wire(wire);
        let (client, mut events) = env.customer::<T>();
        let me = T::wait(client.get_customer()).expect("get_customer");
        assert_eq!(control.disconnect_customer(Some(&me.id), wire, None), 1, "{wire}: one socket");
        let got = events.wait_for(wire, |e| matches!(e, Event::Disconnected(_)));
        let Event::Disconnected(d) = got else { unreachable!() };
        assert_eq!(d.reason, reason, "{wire}");
        match reason.reaction() {
            Reaction::Reconnect { delay, .. } => {
                assert!(d.will_reconnect && !d.destroyed, "{wire}: {d:?}");
                // The slow backoff waits seconds by design; the others come back at once.
                if !matches!(delay, Delay::SlowBackoff) {
                    events
                        .wait_for(&format!("{wire}: connected again"), |e| matches!(e, Event::Connected(_)));
                }
            }
            Reaction::Pause => {
                assert!(!d.will_reconnect && !d.destroyed, "{wire}: {d:?}");
                T::wait(client.connect()).expect("connect after a pause");
                events.wait_for(&format!("{wire}: connected after connect()"), |e| {
                    matches!(e, Event::Connected(_))
                });
            }
            Reaction::Destroy => {
                assert!(!d.will_reconnect && d.destroyed, "{wire}: {d:?}");
                let err = T::wait(client.get_customer()).expect_err("a destroyed client fails its calls");
                assert_ne!(
                    err.code,
                    ErrorCode::RequestTimeout,
                    "{wire}: fails at once with the cause: {err}"
                );
            }
            Reaction::SwitchRegion => unreachable!("not in this list"),
        }
        let _ = T::wait(client.destroy());
    }
}

/// Silence past `unstable_after` gives `connection_unstable`; the next frame heard gives
/// `connection_recovered`, on the same socket.
pub fn connection_quality_events_follow_silence_and_traffic<T: Transport>() {
    let env = Env::new("quality");
    let (client, mut events) = env.customer_with::<T>(|c| {
        c.connection.keepalive.ping_interval = Duration::from_secs(20);
        c.connection.keepalive.ping_timeout = Duration::from_secs(20);
        c.connection.keepalive.unstable_after = Duration::from_millis(300);
        c.connection.keepalive.dead_after = Duration::from_secs(20);
    });
    events.wait_for("connection_unstable after silence", |e| matches!(e, Event::ConnectionUnstable));
    T::wait(client.get_customer()).expect("a call on the quiet socket");
    events.wait_for("connection_recovered", |e| matches!(e, Event::ConnectionRecovered));
    assert!(
        !events.seen.iter().any(|e| matches!(e, Event::Disconnected(_))),
        "the same socket: {:?}",
        kinds_seen(&events)
    );
}
