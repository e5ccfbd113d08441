//! Scenarios for a hostile or broken server (issue #10, findings 2 and 6) and for
//! `destroy()` (finding 11).

use std::time::Duration;

use livechat_core::ErrorCode;
use livechat_core::customer::actions::ListChats;
use livechat_core::customer::{CustomerApi, DisconnectReason, Endpoint, Event};
use livechat_core::engine::CloseInfo;
use livechat_core::hub::Listen;
use serde_json::json;

use crate::servers::{FreezingProxy, StallServer};
use crate::{Env, Next, Transport, join, later};

/// Generous bound for anything that must happen "soon" (never a measured time).
const GUARD: Duration = Duration::from_secs(20);

fn quick_retries(config: &mut livechat_core::customer::CustomerConfig) {
    config.connection.socket_backoff.min = Duration::from_millis(150);
    config.connection.socket_backoff.max = Duration::from_millis(300);
    config.connection.login_backoff.min = Duration::from_millis(150);
    config.connection.login_backoff.max = Duration::from_millis(300);
}

/// A server that accepts TCP and never completes the handshake: every attempt is given up
/// at the session's deadline and its socket closed, so repeated attempts do not pile up
/// open sockets; `destroy()` and dropping the client close an attempt still running, under
/// `ws://` and under `wss://` (a TLS handshake that never completes).
pub fn stalled_connects_are_cancelled_and_their_sockets_closed<T: Transport>() {
    let env = Env::new("stall");
    let stall = StallServer::start();

    // Attempts abandoned at the login deadline, one after another.
    let mut config = env.config();
    config.connection.endpoint = Endpoint::url(stall.url("ws"));
    config.connection.login_timeout = Duration::from_millis(600);
    quick_retries(&mut config);
    let client = T::start(config, env.cookie_grant());
    let mut most_open = 0;
    let tried = stall.wait_until(Duration::from_secs(40), |s| {
        most_open = most_open.max(s.open());
        s.accepted() >= 5
    });
    assert!(tried, "the client kept trying: {} attempts", stall.accepted());
    // One attempt in progress, perhaps one more being closed as the next begins.
    assert!(most_open <= 2, "abandoned attempts left sockets open: {most_open} at once");
    T::wait(client.destroy()).expect("destroy");
    assert!(
        stall.wait_until(GUARD, |s| s.open() == 0),
        "{} of {} stalled sockets still open after destroy",
        stall.open(),
        stall.accepted()
    );

    // An attempt far from its deadline, ended by destroy (TLS) and by dropping the client.
    for (scheme, destroy) in [("wss", true), ("ws", false)] {
        let before = stall.accepted();
        let mut config = env.config();
        config.connection.endpoint = Endpoint::url(stall.url(scheme));
        config.connection.login_timeout = Duration::from_secs(120);
        let client = T::start(config, env.cookie_grant());
        assert!(stall.wait_until(GUARD, |s| s.accepted() > before), "{scheme}: the client connects");
        assert!(stall.open() >= 1);
        if destroy {
            T::wait(client.destroy()).expect("destroy");
        }
        drop(client);
        assert!(
            stall.wait_until(GUARD, |s| s.open() == 0),
            "{scheme}: a stalled connect kept its socket open after {}",
            if destroy { "destroy" } else { "the client was dropped" }
        );
    }
}

/// A server that stops reading (its receive window full): the client's writes time out,
/// the socket is given up with a disconnect event, and calls made meanwhile complete or
/// fail instead of hanging with a frozen client. The session then reconnects.
pub fn a_server_that_stops_reading_cannot_freeze_the_client<T: Transport>() {
    let env = Env::new("frozen");
    let proxy = FreezingProxy::start(env.sim.addr());
    let (client, mut events) = env.customer_with::<T>(|c| {
        c.connection.endpoint = Endpoint::url(proxy.url());
        c.connection.max_in_flight = 64;
        c.connection.request_timeout = Duration::from_secs(60);
        quick_retries(c);
    });
    T::wait(client.get_customer()).expect("a call through the proxy");
    proxy.freeze();

    // Enough bytes to fill every buffer between us and the frozen reader.
    let blob = "x".repeat(256 * 1024);
    let big: Vec<_> = (0..40)
        .map(|_| {
            let blob = blob.clone();
            later::<T, _>(&client, move |c| c.call_raw("lcrs_probe", json!({ "blob": blob })))
        })
        .collect();
    let small = later::<T, _>(&client, |c| c.get_customer());

    events.wait_for_within(
        "disconnected after the write deadline",
        Duration::from_secs(40),
        |e| matches!(e, Event::Disconnected(d) if d.will_reconnect),
    );
    // Nothing hangs: every call completes one way or the other (the blocking transport
    // bounds its calls itself, the async ones get their answer from the session).
    let (results, waiter) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let small = join(small).map(|_| ());
        let big: Vec<_> = big.into_iter().map(|h| join(h).map(|_| ())).collect();
        let _ = results.send((small, big));
    });
    let (small, big) = waiter.recv_timeout(Duration::from_secs(60)).expect("every call completed");
    assert!(big.iter().any(|r| r.is_err()), "the calls caught on the dead socket failed");
    // `small` completed (with its result or an error): it did not wait for a frozen client.
    drop(small);
    events.wait_for_within("connected again", GUARD, |e| matches!(e, Event::Connected(_)));
    assert!(proxy.connections() >= 2, "the session reconnected");
    T::wait(client.get_customer()).expect("calls work again after the reconnect");
    T::wait(client.destroy()).expect("destroy");
}

/// A server Close frame (4001 "closed by test") with no `customer_disconnected` push first:
/// the client reports `connection_lost` with the close code and reason, answers the Close
/// with its own (the simulator counts the closing handshake), reconnects on its own and
/// calls work again.
pub fn a_server_close_frame_is_answered_and_the_session_reconnects<T: Transport>() {
    let env = Env::new("close");
    let control = env.sim.control();
    let (client, mut events) = env.customer::<T>();
    let customer = T::wait(client.get_customer()).expect("get_customer");
    let sockets = control.stats().connections_total;

    assert_eq!(control.close_customer(Some(&customer.id), 4001, "closed by test"), 1, "one socket");
    // The first `disconnected` after the Close is the one checked, whatever its fields.
    let Event::Disconnected(d) = events.wait_for("disconnected", |e| matches!(e, Event::Disconnected(_)))
    else {
        unreachable!()
    };
    assert_eq!(d.reason, DisconnectReason::ConnectionLost, "{d:?}");
    assert_eq!(d.close, Some(CloseInfo { code: Some(4001), reason: "closed by test".into() }), "{d:?}");
    assert!(d.will_reconnect && !d.destroyed, "{d:?}");
    assert_eq!(d.data, None, "{d:?}");

    // The simulator settles the handshake (answered, or not within its bound) once.
    let settled = poll_until(|| {
        let s = control.stats();
        s.closes_answered + s.closes_unanswered >= 1
    });
    let s = control.stats();
    assert!(settled, "the simulator never settled the closing handshake: {s:?}");
    assert_eq!(
        (s.closes_sent, s.closes_answered, s.closes_unanswered),
        (1, 1, 0),
        "the client answered the Close"
    );

    events.wait_for("connected again, without connect()", |e| matches!(e, Event::Connected(_)));
    assert!(control.stats().connections_total > sockets, "a new socket");
    let chats = T::wait(client.list_chats(ListChats::default())).expect("list_chats after the reconnect");
    assert!(chats.chats_summary.is_empty(), "{chats:?}");
    let again = T::wait(client.get_customer()).expect("get_customer after the reconnect");
    assert_eq!(again.id, customer.id, "the same customer");
    T::wait(client.destroy()).expect("destroy");
}

/// Poll `f` every 20 ms until it holds or [`GUARD`] passes; whether it held.
fn poll_until(f: impl Fn() -> bool) -> bool {
    let end = std::time::Instant::now() + GUARD;
    while !f() {
        if std::time::Instant::now() >= end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

/// `destroy()` removes every listener and ends every event stream, those taken before it
/// and those taken after; later listeners are dropped and later calls fail with
/// `SDK_DESTROYED`.
pub fn destroy_ends_every_stream_and_removes_listeners<T: Transport>() {
    let env = Env::new("destroy");
    let (client, _events) = env.customer::<T>();
    let mut before = T::events(&client);
    client.on(livechat_core::customer::EventKind::Connected, |_| {});
    T::wait(client.destroy()).expect("destroy");
    assert_ended(&mut before, "a stream taken before destroy");
    assert_ended(&mut T::events(&client), "a stream taken after destroy");
    client.on_any(|_| {});
    assert_eq!(lock_count(&client), (0, 0), "no listener or subscriber is left");
    let err = T::wait(client.get_customer()).expect_err("a destroyed client refuses calls");
    assert_eq!(err.code, ErrorCode::SdkDestroyed, "{err}");
}

/// Drain `source` (events already queued may come first): it must end within [`GUARD`].
pub(crate) fn assert_ended(source: &mut Box<dyn crate::EventSource>, what: &str) {
    loop {
        match source.next_within(GUARD) {
            Next::Event(_) => {}
            Next::Ended => return,
            Next::TimedOut => panic!("{what} did not end"),
        }
    }
}

/// (listeners, subscribers) registered in the client's hub.
pub(crate) fn lock_count(client: &impl CustomerApi) -> (usize, usize) {
    let hub = client.hub().lock().unwrap_or_else(|p| p.into_inner());
    (hub.listener_count(), hub.subscriber_count())
}
