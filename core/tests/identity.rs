//! The lifetime of identities, with simulated time: a login naming another customer,
//! agent credentials swapped on a running session (by hand and before they expire), and
//! customer tokens renewed ahead of expiry so the reconnect at `access_token_expired`
//! needs no token round trip. The session-level tests use the scripted peer; the renewal
//! lives in the driver, so those tests play the transport around a `ClientCore`.

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use livechat_core::agent::{AgentCommand, AgentCredentials, AgentEvent, AgentSide, ExpiringCredentials};
use livechat_core::client::{ClientCore, IoAction, Op, Tokens};
use livechat_core::customer::{CustomerSession, CustomerSide, Event, State};
use livechat_core::engine::{ConnectionId, Engine, Side};
use livechat_core::error::ErrorCode;
use livechat_core::http::HttpResponse;
use livechat_core::hub::{Delivery, Kinded};
use livechat_core::identity::{CookieJar, Grant, TokenSource};
use livechat_core::token::AccountsConfig;
use livechat_core::{Error, client::Ops};
use serde_json::{Value, json};
use support::{Peer, agent_config, agent_login_payload, config, login_payload};

const HOUR: Duration = Duration::from_secs(3600);

// ------------------------------------------------------------------ login names another customer

#[test]
fn a_login_naming_another_customer_is_reported_and_nothing_is_sent_as_them() {
    let mut p = Peer::new(config());
    p.advance_until_open();
    p.open();
    p.give_token("cust-1");
    // Made while logging in: for cust-1, never to be sent as anybody else.
    let queued = p.req("get_customer", json!({}));
    let login = p.last_sent("login");
    p.respond(&login, login_payload("cust-2", true));

    let events = p.take_events();
    assert!(
        events.contains(&Event::IdentityMismatch {
            token_customer_id: "cust-1".into(),
            login_customer_id: "cust-2".into()
        }),
        "{events:?}"
    );
    assert_ne!(p.s.state(), State::Connected);
    assert!(!events.iter().any(|e| matches!(e, Event::Connected(_))), "not connected as cust-2: {events:?}");
    assert!(p.sent_with("get_customer").is_empty(), "nothing was sent as cust-2");
    assert!(!p.completed.contains_key(&queued), "the queued call waits, bounded by its deadline");
    assert_eq!(p.conn, None, "the socket of the refused login is closed");

    // A later login that names the right customer goes on, and the queued call goes out.
    p.login_as("cust-1");
    let sent = p.last_sent("get_customer");
    p.respond(&sent, json!({"id": "cust-1", "type": "customer"}));
    assert!(p.ok(queued).is_object());
    assert_eq!(p.s.customer_id(), Some("cust-1"));
}

#[test]
fn a_login_whose_customer_id_field_disagrees_is_refused_too() {
    let mut p = Peer::new(config());
    p.advance_until_open();
    p.open();
    p.give_token("cust-1");
    let mut payload = login_payload("cust-1", true);
    payload["customer_id"] = json!("cust-9");
    let login = p.last_sent("login");
    p.respond(&login, payload);
    let events = p.take_events();
    assert!(
        events.iter().any(|e| matches!(e, Event::IdentityMismatch { login_customer_id, .. } if login_customer_id == "cust-9")),
        "{events:?}"
    );
    assert_ne!(p.s.state(), State::Connected);
}

// ------------------------------------------------------------------ agent: update_session by hand

#[test]
fn update_session_takes_credentials_the_service_accepts_and_keeps_the_old_ones_otherwise() {
    let mut p = Peer::agent(agent_config());
    p.login();

    let id = p.s.update_session(p.now, AgentCredentials::bearer("dal:bad")).expect("sent while connected");
    p.drain();
    let frame = p.last_sent("update_session");
    assert_eq!(frame["payload"], json!({"token": "Bearer dal:bad"}));
    p.respond_err(&frame, "authentication", None);
    let result = p.completed.remove(&id).expect("completed");
    let err = p.s.finish_request(p.now, id, result).expect_err("refused");
    assert_eq!(err.code, ErrorCode::Authentication);
    assert!(err.message.contains("keeps the old ones"), "{err}");
    assert_eq!(p.s.credentials(), &AgentCredentials::bearer("dal:agent-token"));
    assert_eq!(p.s.state(), State::Connected, "a refused swap costs nothing");

    let id =
        p.s.update_session(p.now, ExpiringCredentials::new(AgentCredentials::bearer("dal:good"), 8 * HOUR));
    let id = id.expect("sent");
    p.drain();
    let frame = p.last_sent("update_session");
    p.respond(&frame, json!({}));
    let result = p.completed.remove(&id).expect("completed");
    p.s.finish_request(p.now, id, result).expect("accepted");
    assert_eq!(p.s.credentials(), &AgentCredentials::bearer("dal:good"));
    assert_eq!(p.s.credentials_expire_at(), Some(p.now + 8 * HOUR));

    p.server_close();
    p.advance_until_open();
    p.open();
    assert_eq!(p.last_sent("login")["payload"]["token"], "Bearer dal:good", "the next login uses them");
}

#[test]
fn update_session_while_not_connected_replaces_the_credentials_for_the_next_login() {
    let mut cfg = agent_config();
    cfg.connection.auto_connect = false;
    let mut p = Peer::agent(cfg);
    assert_eq!(p.s.update_session(p.now, AgentCredentials::bearer("dal:later")), None);
    p.s.connect(p.now);
    p.drain();
    p.open();
    assert_eq!(p.last_sent("login")["payload"]["token"], "Bearer dal:later");
}

// ------------------------------------------------------------------ a driver with a scripted transport

/// Plays the transport and the server around a [`ClientCore`]: answers pings, records frames,
/// token fetches and events, and moves simulated time.
struct Harness<S: Side>
where
    S::Event: Kinded,
{
    d: ClientCore<S>,
    now: Instant,
    conn: Option<ConnectionId>,
    open: bool,
    sent: Vec<Value>,
    http: Vec<(u64, livechat_core::http::HttpRequest)>,
    fetches: Vec<bool>,
    events: Arc<Mutex<Vec<S::Event>>>,
}

impl<S: Side + 'static> Harness<S>
where
    S::Event: Kinded + Send + 'static,
    Engine<S>: Ops,
{
    fn new(session: Engine<S>, tokens: Tokens, now: Instant) -> Harness<S> {
        let d = ClientCore::new(session, tokens, now);
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = events.clone();
        d.hub().lock().unwrap().subscribe(move |e: S::Event, _| {
            sink.lock().unwrap().push(e);
            Delivery::Delivered
        });
        let mut h =
            Harness { d, now, conn: None, open: false, sent: vec![], http: vec![], fetches: vec![], events };
        h.io();
        h
    }

    /// Take up what the driver asks for; pings are answered at once.
    fn io(&mut self) {
        while let Some(a) = self.d.poll_io() {
            match a {
                IoAction::Open { conn, .. } => {
                    self.conn = Some(conn);
                    self.open = false;
                }
                IoAction::Send { text, .. } => {
                    let v: Value = serde_json::from_str(&text).unwrap();
                    if v["action"] == "ping" {
                        self.respond(&v, json!({}));
                    } else {
                        self.sent.push(v);
                    }
                }
                IoAction::Close { conn } => {
                    if self.conn == Some(conn) {
                        self.conn = None;
                    }
                }
                IoAction::Http { id, request } => self.http.push((id, request)),
                IoAction::FetchToken { fresh } => self.fetches.push(fresh),
            }
        }
    }

    fn open(&mut self) {
        let conn = self.conn.expect("a socket was asked for");
        self.open = true;
        self.d.handle_open(self.now, conn);
        self.io();
    }

    fn frame(&mut self, v: Value) {
        let conn = self.conn.expect("a socket");
        self.d.handle_frame(self.now, conn, &v.to_string());
        self.io();
    }

    fn respond(&mut self, req: &Value, payload: Value) {
        self.frame(json!({"request_id": req["request_id"], "action": req["action"], "type": "response",
            "success": true, "payload": payload}));
    }

    fn respond_err(&mut self, req: &Value, kind: &str) {
        self.frame(json!({"request_id": req["request_id"], "action": req["action"], "type": "response",
            "success": false, "payload": {"error": {"type": kind, "message": format!("{kind} happened")}}}));
    }

    fn last_sent(&self, action: &str) -> Value {
        self.sent
            .iter()
            .rev()
            .find(|f| f["action"] == action)
            .cloned()
            .unwrap_or_else(|| panic!("no {action}"))
    }

    fn count(&self, action: &str) -> usize {
        self.sent.iter().filter(|f| f["action"] == action).count()
    }

    /// Move time forward to `end`, firing every timer on the way.
    fn advance_to(&mut self, end: Instant) {
        while let Some(t) = self.d.poll_timeout().filter(|t| *t <= end) {
            self.now = self.now.max(t);
            self.d.handle_timeout(self.now);
            self.io();
        }
        self.now = end;
    }

    fn advance(&mut self, d: Duration) {
        let end = self.now + d;
        self.advance_to(end);
    }

    fn submit(
        &mut self,
        op: Op<livechat_core::client::CommandOf<S>>,
    ) -> Arc<Mutex<Option<Result<Value, Error>>>> {
        let slot = Arc::new(Mutex::new(None));
        let s = slot.clone();
        self.d.submit(self.now, op, Box::new(move |r| *s.lock().unwrap() = Some(r)));
        self.io();
        slot
    }

    fn events(&self) -> Vec<S::Event> {
        self.events.lock().unwrap().clone()
    }
}

fn token_response(n: u32, lifetime: Duration) -> HttpResponse {
    HttpResponse::new(
        200,
        format!(
            r#"{{"access_token":"dal:tok-{n}","entity_id":"cust-1","expires_in":{},"token_type":"Bearer"}}"#,
            lifetime.as_secs()
        ),
    )
    .with_header("Set-Cookie", "__lc_cid=cust-1; Path=/v2/customer")
}

fn cookie_driver(now: Instant) -> (Harness<CustomerSide>, livechat_core::identity::SharedJar) {
    let accounts = AccountsConfig::new("org-1", "client").with_base_url("http://127.0.0.1:1");
    let mut src = TokenSource::new(Grant::Cookie { accounts, jar: CookieJar::default() });
    let jar = src.shared_jar().expect("the cookie grant has a jar");
    let session = CustomerSession::new(config(), now);
    (Harness::new(session, Tokens::Source(Box::new(src)), now), jar)
}

impl Harness<CustomerSide> {
    fn answer_token(&mut self, n: u32, lifetime: Duration) {
        let (id, _) = self.http.remove(0);
        self.d.handle_http(self.now, id, Ok(token_response(n, lifetime)));
        self.io();
    }

    fn login(&mut self) {
        self.open();
        let login = self.last_sent("login");
        self.respond(&login, login_payload("cust-1", true));
        assert_eq!(self.d.session().state(), State::Connected);
    }
}

#[test]
fn a_customer_token_is_renewed_in_the_background_and_the_expiry_reconnect_needs_no_fetch() {
    let t0 = Instant::now();
    let (mut h, jar) = cookie_driver(t0);
    assert_eq!(h.http.len(), 1, "the first token is fetched");
    h.answer_token(1, 8 * HOUR);
    h.login();
    assert_eq!(jar.get().header().as_deref(), Some("__lc_cid=cust-1"), "the client handle sees the jar");

    // Nothing is fetched until an hour before the expiry; pings keep the socket up meanwhile.
    h.advance_to(t0 + 7 * HOUR - Duration::from_secs(1));
    assert!(h.http.is_empty(), "renewed too early");
    h.advance(Duration::from_secs(2));
    assert_eq!(h.http.len(), 1, "renewed an hour ahead");
    assert_eq!(h.http[0].1.header("cookie"), Some("__lc_cid=cust-1"), "the same customer's cookie");
    h.answer_token(2, 8 * HOUR);
    assert_eq!(h.d.session().state(), State::Connected, "the socket stays");
    assert_eq!(h.count("login"), 1, "no new login for a renewal");
    let newest = h.d.current_token().lock().unwrap().clone().unwrap();
    assert_eq!(newest.access_token.expose(), "dal:tok-2", "uploads use the newest token");

    // The service ends the socket at the old token's expiry; a call made meanwhile waits.
    h.advance_to(t0 + 8 * HOUR);
    h.frame(json!({"action": "customer_disconnected", "type": "push",
        "payload": {"reason": "access_token_expired"}}));
    let call = h.submit(Op::raw("get_customer", json!({})));
    h.advance(Duration::from_millis(200));
    assert!(h.http.is_empty(), "the reconnect takes the renewed token: no fetch");
    h.login();
    assert_eq!(h.last_sent("login")["payload"]["token"], "Bearer dal:tok-2");
    let sent = h.last_sent("get_customer");
    h.respond(&sent, json!({"id": "cust-1", "type": "customer"}));
    assert!(call.lock().unwrap().as_ref().expect("completed").is_ok());

    // The renewed token is renewed in its turn, an hour before its own expiry.
    h.advance_to(t0 + 7 * HOUR + 7 * HOUR - Duration::from_secs(1));
    assert!(h.http.is_empty());
    h.advance(Duration::from_secs(2));
    assert_eq!(h.http.len(), 1);
}

#[test]
fn a_failed_background_renewal_is_retried_and_a_static_token_is_never_renewed() {
    let t0 = Instant::now();
    let (mut h, _) = cookie_driver(t0);
    h.answer_token(1, 2 * HOUR);
    h.login();
    h.advance_to(t0 + HOUR + Duration::from_secs(1));
    let (id, _) = h.http.remove(0);
    h.d.handle_http(h.now, id, Err(Error::new(ErrorCode::TokenFetchFailed, "down")));
    h.io();
    assert_eq!(h.d.session().state(), State::Connected, "the session goes on with what it has");
    h.advance(livechat_core::refresh::RETRY_MIN - Duration::from_millis(10));
    assert!(h.http.is_empty(), "not before the retry delay");
    h.advance(Duration::from_millis(20));
    assert_eq!(h.http.len(), 1, "retried");

    let t = support::token("cust-1", t0);
    let session = CustomerSession::new(config(), t0);
    let mut h = Harness::new(session, Tokens::Source(Box::new(TokenSource::new(Grant::Static(t)))), t0);
    h.login();
    h.advance_to(t0 + 9 * HOUR);
    assert!(h.http.is_empty() && h.fetches.is_empty(), "a static token cannot be renewed");
}

// ------------------------------------------------------------------ agent: renewed by a provider

fn provider_agent(now: Instant, lifetime: Duration) -> Harness<AgentSide> {
    let mut cfg = agent_config().with_credentials_expiry(lifetime);
    cfg.renew_credentials = true;
    let session = livechat_core::agent::AgentSession::new(cfg, now).unwrap();
    let mut h = Harness::new(session, Tokens::External, now);
    h.open();
    let login = h.last_sent("login");
    assert_eq!(login["payload"]["token"], "Bearer dal:agent-token");
    h.respond(&login, agent_login_payload("agent@example.com"));
    assert_eq!(h.d.session().state(), State::Connected);
    h
}

fn provided(token: &str, lifetime: Duration, now: Instant) -> livechat_core::token::Token {
    ExpiringCredentials::new(AgentCredentials::bearer(token), lifetime).token(now)
}

#[test]
fn agent_credentials_are_swapped_with_update_session_before_they_expire() {
    let t0 = Instant::now();
    let mut h = provider_agent(t0, 8 * HOUR);
    h.advance_to(t0 + 7 * HOUR - Duration::from_secs(1));
    assert!(h.fetches.is_empty(), "asked too early");
    h.advance(Duration::from_secs(2));
    assert_eq!(h.fetches, [true], "the provider is asked an hour ahead");
    h.d.handle_token(h.now, Ok(provided("dal:agent-token-2", 8 * HOUR, h.now)));
    h.io();
    let swap = h.last_sent("update_session");
    assert_eq!(swap["payload"]["token"], "Bearer dal:agent-token-2");
    assert_eq!(
        h.d.session().credentials(),
        &AgentCredentials::bearer("dal:agent-token"),
        "not before the answer"
    );
    h.respond(&swap, json!({}));
    assert_eq!(h.d.session().credentials(), &AgentCredentials::bearer("dal:agent-token-2"));
    assert_eq!(h.count("login"), 1, "the socket outlived the old token");

    // Calls go on; the next login uses the new credentials.
    let call = h.submit(Op::raw("list_chats", json!({})));
    let sent = h.last_sent("list_chats");
    h.respond(&sent, json!({"chats_summary": [], "total_chats": 0}));
    assert!(call.lock().unwrap().as_ref().unwrap().is_ok());
    let conn = h.conn.unwrap();
    h.d.handle_closed(h.now, conn, Some(1006), "");
    h.io();
    h.advance(Duration::from_secs(5));
    h.open();
    assert_eq!(h.last_sent("login")["payload"]["token"], "Bearer dal:agent-token-2");
}

#[test]
fn a_refused_agent_renewal_is_reported_keeps_the_old_credentials_and_is_retried() {
    let t0 = Instant::now();
    let mut h = provider_agent(t0, 2 * HOUR);
    h.advance_to(t0 + HOUR + Duration::from_secs(1));
    assert_eq!(h.fetches, [true]);
    h.d.handle_token(h.now, Ok(provided("dal:revoked", 2 * HOUR, h.now)));
    h.io();
    let swap = h.last_sent("update_session");
    h.respond_err(&swap, "authentication");
    assert_eq!(h.d.session().credentials(), &AgentCredentials::bearer("dal:agent-token"));
    assert_eq!(h.d.session().state(), State::Connected);
    let failed: Vec<_> = h
        .events()
        .into_iter()
        .filter_map(|e| match e {
            AgentEvent::CredentialsRefreshFailed { error } => Some(error),
            _ => None,
        })
        .collect();
    assert_eq!(failed.len(), 1, "reported once");
    assert_eq!(failed[0].code, ErrorCode::Authentication);
    assert!(!format!("{:?}", h.events()).contains("dal:revoked"), "no token in events");

    // A provider that fails is reported too, and asked again later.
    h.advance(livechat_core::refresh::RETRY_MIN + Duration::from_millis(1));
    assert_eq!(h.fetches, [true, true], "retried after the delay");
    h.d.handle_token(h.now, Err(Error::new(ErrorCode::TokenFetchFailed, "provider down")));
    h.io();
    assert_eq!(
        h.events().iter().filter(|e| matches!(e, AgentEvent::CredentialsRefreshFailed { .. })).count(),
        2
    );
}

#[test]
fn update_session_through_the_driver_answers_the_caller_and_a_raw_call_swaps_too() {
    let t0 = Instant::now();
    let mut h = provider_agent(t0, 8 * HOUR);
    let bad = h.submit(Op::Side(AgentCommand::UpdateSession {
        credentials: AgentCredentials::bearer("dal:typo").into(),
    }));
    let frame = h.last_sent("update_session");
    h.respond_err(&frame, "authentication");
    let err = bad.lock().unwrap().clone().unwrap().expect_err("refused");
    assert!(err.message.contains("keeps the old ones"), "{err}");
    assert_eq!(h.d.session().credentials(), &AgentCredentials::bearer("dal:agent-token"));

    let raw = h.submit(Op::raw("update_session", json!({"token": "Bearer dal:raw"})));
    let frame = h.last_sent("update_session");
    h.respond(&frame, json!({}));
    assert!(raw.lock().unwrap().clone().unwrap().is_ok());
    assert_eq!(h.d.session().credentials(), &AgentCredentials::bearer("dal:raw"), "a raw swap is a swap");
    let junk = h.submit(Op::raw("update_session", json!({"token": "dal:no-scheme"})));
    assert_eq!(junk.lock().unwrap().clone().unwrap().unwrap_err().code, ErrorCode::InvalidRequest);
}

#[test]
fn refused_agent_login_asks_the_provider_for_new_credentials() {
    let t0 = Instant::now();
    let mut cfg = agent_config();
    cfg.renew_credentials = true;
    let session = livechat_core::agent::AgentSession::new(cfg, t0).unwrap();
    let mut h = Harness::new(session, Tokens::External, t0);
    h.open();
    let login = h.last_sent("login");
    h.respond_err(&login, "authentication");
    h.advance(Duration::from_secs(10));
    assert_eq!(h.fetches, [true], "new credentials are asked for, not the refused ones retried");
    h.d.handle_token(h.now, Ok(provided("dal:fixed", HOUR, h.now)));
    h.io();
    h.advance(Duration::from_secs(10));
    if !h.open {
        h.open();
    }
    assert_eq!(h.last_sent("login")["payload"]["token"], "Bearer dal:fixed");
}
