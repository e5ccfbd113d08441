//! Tokens (fetch, refresh, errors) and the keepalive.

use super::*;

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
