//! The harness: drives one session (either side) as a transport and a server would, and
//! checks the invariants after every input.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::time::{Duration, Instant};

use livechat_core::Error;
use livechat_core::customer::{ConnectionId, Endpoint, HistoryId, RequestId, State};
use livechat_core::engine::config::ConnectionConfig;
use livechat_core::engine::{Engine, Output};
use livechat_core::wire::{Frame, FrameError, MAX_UNKNOWN_PAYLOAD};
use serde_json::Value;

use super::checks::{CallBook, CallKind, check_open_url};
use super::frame::payload_len;
use super::ops::{EndpointKind, Header};
use super::side::{FuzzSide, Seen};

/// What a run did, for tests that check a seed goes where it should.
#[derive(Debug, Default)]
pub struct Stats {
    pub agent: bool,
    pub ops: usize,
    pub logins: usize,
    pub sends: usize,
    /// `send_event`s that went out again with a `custom_id` already sent.
    pub resends: usize,
    pub pings: usize,
    /// Sockets the session closed while their ping was unanswered.
    pub ping_closes: usize,
    pub ok: usize,
    pub failed: BTreeMap<String, usize>,
    pub events: BTreeMap<&'static str, usize>,
    pub max_in_flight: usize,
    /// Frames the harness fed that the codec refuses as an oversized unknown push.
    pub too_large: usize,
    /// Frames the harness fed that the codec refuses as over `MAX_FRAME_LEN`.
    pub over_max: usize,
    pub opened_urls: Vec<String>,
    /// The state before the final `destroy`.
    pub end_state: Option<State>,
}

#[derive(Debug)]
pub(super) struct Sent {
    pub rid: String,
    pub action: String,
    pub payload: Value,
}

#[derive(Debug)]
pub(super) struct ConnTrack {
    pub id: ConnectionId,
    /// `handle_transport_open` was called.
    pub opened: bool,
    /// Closed by the session (`Output::Close`) or by the transport.
    pub closed: bool,
    pub login_rid: Option<String>,
    pub logged_in: bool,
    pub frames_sent: usize,
    pub rids: HashSet<String>,
    /// Requests sent on this socket and not yet answered by the peer.
    pub outstanding: Vec<Sent>,
    /// The unanswered `ping` on this socket: its request id and when it went out.
    pub ping: Option<(String, Instant)>,
}

impl ConnTrack {
    pub fn usable(&self) -> bool {
        self.opened && !self.closed
    }
}

/// What the outputs of the current input were.
#[derive(Debug, Default)]
pub(super) struct InputLog {
    pub rejected: usize,
    /// Outputs other than `frame_rejected` / `connection_recovered` events.
    pub effects: usize,
    /// Request ids (as the engine reads them) of the responses and pushes fed.
    pub fed_rids: HashSet<u64>,
    /// A successful response to the live socket's `login` was fed.
    pub fed_login_ok: bool,
    /// The `payload` text length of the frame being fed (an upper bound for short frames).
    pub payload_len: usize,
}

/// Request ids are decimal: `"05"` and `"+5"` name request 5 as `"5"` does.
fn rid_num(rid: &str) -> Option<u64> {
    rid.parse().ok()
}

fn same_rid(a: &str, b: &str) -> bool {
    a == b || rid_num(a).is_some_and(|n| rid_num(b) == Some(n))
}

/// Drives one `Engine<S>` and checks after every input (outputs drained) that:
/// * nothing panics;
/// * every [`RequestId`] the application got back completes at most once, and no
///   completion names an id the application never got; after `destroy` every one of them
///   has completed exactly once, and the session asks for no more timeouts;
/// * **no call outlives its bound** (see [`CallBook`]), and while one is open (and the
///   session not destroyed) `poll_timeout()` asks to be woken by that bound;
/// * **pings**: at most one unanswered `ping` per socket; a socket whose ping is
///   unanswered `ping_timeout` after it went out is closed by then, pushes or not, and
///   `poll_timeout()` asks to be woken by then;
/// * **sockets go only to configured servers** ([`check_open_url`]); a `misdirected_*`
///   redirect to a region that is not `[a-z0-9-]{1,32}` pauses the session with a
///   `frame_rejected` event;
/// * **exactly-once**: a send completed from the chat history (not from an answer to its
///   own request) completes with its own `custom_id`, authored by the session's user;
/// * a frame the codec rejects emits one `frame_rejected` and changes nothing else; a
///   push kept raw carries at most the unknown-push cap;
/// * at most one socket is live; `Send` goes only to the live, opened socket; the first
///   frame on a socket is its only `login`; no frame other than `login`/`ping` is sent on a
///   socket before the session logged in on it (`connected` / `ready`), which follows only a
///   successful response to that socket's `login`;
/// * every `Send` is a well-formed request frame with a request id unique on its socket;
/// * at most one `FetchToken` is outstanding; `in_flight()` never exceeds the limit;
/// * a frame for an old socket produces no output at all;
/// * timers do not fire forever at one instant.
pub struct Harness<S: FuzzSide> {
    pub session: Engine<S>,
    pub(super) start: Instant,
    pub(super) now: Instant,
    pub(super) endpoint: Endpoint,
    pub(super) max_in_flight: usize,
    pub(super) ping_timeout: Duration,
    pub(super) request_timeout: Duration,
    pub(super) conns: Vec<ConnTrack>,
    pub(super) live: Option<usize>,
    pub(super) token_wanted: bool,
    pub(super) issued: BTreeSet<RequestId>,
    pub(super) calls: CallBook,
    pub(super) histories: Vec<HistoryId>,
    /// `(chat_id, custom_id)` of every `send_event` that went out.
    pub(super) custom_ids: Vec<(String, String)>,
    /// The session's user, as its events named it.
    pub(super) me: Option<String>,
    pub(super) input: InputLog,
    /// Calls some fed frame (a response or push-response) carried the id of: their
    /// completion may come from that answer, not from the chat history.
    pub(super) answered: HashSet<u64>,
    /// Bytes the `Large` ops may still synthesize in this run (keeps runs fast; a frame over `MAX_FRAME_LEN` counts 1 MiB).
    pub(super) large_budget: usize,
    pub stats: Stats,
}

impl<S: FuzzSide> Harness<S> {
    pub fn new(header: Header) -> Harness<S> {
        let endpoint = match header.endpoint() {
            EndpointKind::Custom => {
                let mut regions = BTreeMap::new();
                regions.insert("fra".to_string(), "ws://fra.sim".to_string());
                Endpoint::Custom { default: "ws://dal.sim/".to_string(), regions }
            }
            EndpointKind::Region(name) => Endpoint::Region(name.to_string()),
        };
        let mut config = ConnectionConfig::new("org-fuzz", endpoint.clone());
        config.auto_connect = header.auto_connect();
        config.max_in_flight = header.max_in_flight();
        config.queue_limit = header.queue_limit();
        config.request_timeout = header.request_timeout();
        config.seed = Some(header.seed());
        let now = Instant::now();
        let mut h = Harness {
            endpoint,
            max_in_flight: config.max_in_flight.clamp(1, 10),
            ping_timeout: config.keepalive.ping_timeout,
            request_timeout: config.request_timeout,
            calls: CallBook::new(config.queue_timeout),
            session: S::session(config, header, now),
            start: now,
            now,
            conns: Vec::new(),
            live: None,
            token_wanted: false,
            issued: BTreeSet::new(),
            histories: Vec::new(),
            custom_ids: Vec::new(),
            me: None,
            input: InputLog::default(),
            answered: HashSet::new(),
            large_budget: 3 << 20,
            stats: Stats { agent: header.agent(), ..Stats::default() },
        };
        h.drain();
        h
    }

    pub(super) fn live_conn(&self) -> Option<&ConnTrack> {
        self.live.map(|i| &self.conns[i])
    }

    pub(super) fn issue(&mut self, id: RequestId, kind: CallKind, timeout: Option<Duration>) {
        assert!(self.issued.insert(id), "request id {id} handed out twice");
        self.calls.issue(id, kind, timeout.unwrap_or(self.request_timeout), self.now);
    }

    /// Drain every output, checking each, then the state-wide invariants.
    pub(super) fn drain(&mut self) {
        while let Some(out) = self.session.poll_output() {
            match out {
                Output::Open { conn, url } => self.on_open(conn, url),
                Output::Send { conn, text } => {
                    self.input.effects += 1;
                    self.on_send(conn, &text);
                }
                Output::Close { conn } => {
                    self.input.effects += 1;
                    let c =
                        self.conns.iter_mut().find(|c| c.id == conn).expect("Close for an unknown socket");
                    assert!(!c.closed, "Close for {conn:?}, which is already closed");
                    c.closed = true;
                    if c.ping.is_some() {
                        self.stats.ping_closes += 1;
                    }
                }
                Output::FetchToken { .. } => {
                    self.input.effects += 1;
                    assert!(!self.token_wanted, "second FetchToken while one is outstanding");
                    self.token_wanted = true;
                }
                Output::Event(ev) => self.on_event(&ev),
                Output::Completed { id, result } => {
                    self.input.effects += 1;
                    self.on_completed(id, result);
                }
            }
        }
        let in_flight = self.session.in_flight();
        assert!(
            in_flight <= self.max_in_flight,
            "{in_flight} requests in flight, limit {}",
            self.max_in_flight
        );
        self.stats.max_in_flight = self.stats.max_in_flight.max(in_flight);
        self.check_time();
    }

    /// The liveness invariants at `now`: no call past its bound, no unanswered ping past
    /// its deadline on a socket still open, and a wake-up asked for by the nearest of them.
    fn check_time(&self) {
        self.calls.check(self.now, self.start);
        let wake = self.session.poll_timeout();
        if self.session.state() != State::Destroyed
            && let Some((id, bound)) = self.calls.next_bound()
        {
            assert!(
                wake.is_some_and(|w| w <= bound),
                "request {id} must complete by +{:?}, but the session asks to be woken at {:?}",
                bound - self.start,
                wake.map(|w| w - self.start)
            );
        }
        if let Some(c) = self.live_conn().filter(|c| c.usable())
            && let Some((rid, sent)) = &c.ping
        {
            let deadline = *sent + self.ping_timeout;
            assert!(
                self.now <= deadline,
                "ping {rid} on {:?} unanswered since +{:?}, socket still open at +{:?}",
                c.id,
                *sent - self.start,
                self.now - self.start
            );
            assert!(
                wake.is_some_and(|w| w <= deadline),
                "ping {rid} is due by +{:?}, but the session asks to be woken at {:?}",
                deadline - self.start,
                wake.map(|w| w - self.start)
            );
        }
    }

    fn on_open(&mut self, conn: ConnectionId, url: String) {
        self.input.effects += 1;
        if let Some(prev) = self.live_conn() {
            assert!(prev.closed, "Open {conn:?} while {:?} is still live", prev.id);
        }
        assert!(self.conns.iter().all(|c| c.id != conn), "connection id {conn:?} reused");
        check_open_url(&self.endpoint, S::PATH, &url);
        self.stats.opened_urls.push(url);
        self.conns.push(ConnTrack {
            id: conn,
            opened: false,
            closed: false,
            login_rid: None,
            logged_in: false,
            frames_sent: 0,
            rids: HashSet::new(),
            outstanding: Vec::new(),
            ping: None,
        });
        self.live = Some(self.conns.len() - 1);
    }

    fn on_event(&mut self, ev: &S::Event) {
        match S::seen(ev) {
            Seen::LoggedIn { me } => {
                self.input.effects += 1;
                let fed = self.input.fed_login_ok;
                let c = self.live.map(|i| &mut self.conns[i]).expect("logged in without a socket");
                assert!(fed, "logged in without a successful login response on {:?}", c.id);
                assert!(!c.logged_in, "logged in twice on {:?}", c.id);
                c.logged_in = true;
                self.stats.logins += 1;
                if S::LOGIN_NAMES_USER {
                    self.me = me;
                }
            }
            Seen::User(id) => {
                self.input.effects += 1;
                self.me = Some(id);
            }
            Seen::Rejected => self.input.rejected += 1,
            Seen::Raw { action, .. } => {
                self.input.effects += 1;
                // Every push this side keeps raw (unknown, or only the other side's) is
                // within the cap (`fuzz/regressions/session/*-foreign-push-raw-over-cap.bin`).
                assert!(
                    self.input.payload_len <= MAX_UNKNOWN_PAYLOAD,
                    "push `{action}` kept raw with a payload over the unknown-push cap"
                );
            }
            Seen::Other => {
                if S::kind(ev) != "connection_recovered" {
                    self.input.effects += 1;
                }
            }
        }
        *self.stats.events.entry(S::kind(ev)).or_default() += 1;
    }

    fn on_completed(&mut self, id: RequestId, result: Result<Value, Error>) {
        assert!(self.issued.contains(&id), "Completed {id}, an id never handed out");
        let call = self.calls.open.remove(&id).unwrap_or_else(|| panic!("request {id} completed twice"));
        match result {
            Ok(value) => {
                self.stats.ok += 1;
                // Completed from the chat history: it must be our own event.
                if call.kind == CallKind::ExactlyOnce && !self.answered.contains(&id.0) {
                    let event = value.get("event");
                    let author = event.and_then(|e| e.get("author_id")).and_then(Value::as_str);
                    if let Some(me) = &self.me {
                        assert_eq!(author, Some(me.as_str()), "send {id} confirmed by someone else's event");
                    }
                    if let Some(custom) = &call.custom_id {
                        let found = event.and_then(|e| e.get("custom_id")).and_then(Value::as_str);
                        assert_eq!(found, Some(custom.as_str()), "send {id} confirmed by another event");
                    }
                }
            }
            Err(e) => *self.stats.failed.entry(e.code()).or_default() += 1,
        }
    }

    fn on_send(&mut self, conn: ConnectionId, text: &str) {
        let idx = self.live.filter(|i| self.conns[*i].id == conn).expect("Send on a socket that is not live");
        let v: Value = serde_json::from_str(text).expect("Send of a frame that is not JSON");
        let action = v.get("action").and_then(Value::as_str).expect("request without action").to_string();
        let rid =
            v.get("request_id").and_then(Value::as_str).expect("request without request_id").to_string();
        let payload = v.get("payload").cloned().unwrap_or(Value::Null);
        assert!(payload.is_object(), "{action}: payload is not an object");
        let now = self.now;
        let c = &mut self.conns[idx];
        assert!(c.usable(), "Send on {conn:?} before open or after close");
        assert!(c.rids.insert(rid.clone()), "request_id {rid} sent twice on {conn:?}, now as {text}");
        match action.as_str() {
            "login" => {
                assert_eq!(c.frames_sent, 0, "login is not the first frame on {conn:?}");
                assert!(payload.get("token").and_then(Value::as_str).is_some(), "login without token");
                c.login_rid = Some(rid.clone());
            }
            "ping" => {
                assert!(c.logged_in, "ping on {conn:?} before login");
                if let Some((old, _)) = &c.ping {
                    panic!("ping {rid} sent on {conn:?} while ping {old} is unanswered");
                }
                c.ping = Some((rid.clone(), now));
                self.stats.pings += 1;
            }
            other => assert!(c.logged_in, "`{other}` sent on {conn:?} before a successful login"),
        }
        c.frames_sent += 1;
        c.outstanding.push(Sent { rid: rid.clone(), action: action.clone(), payload: payload.clone() });
        self.stats.sends += 1;
        let custom = payload.pointer("/event/custom_id").and_then(Value::as_str);
        if action == "send_event"
            && let (Some(chat), Some(custom)) = (payload.get("chat_id").and_then(Value::as_str), custom)
        {
            let pair = (chat.to_string(), custom.to_string());
            if self.custom_ids.contains(&pair) {
                self.stats.resends += 1;
            } else {
                self.custom_ids.push(pair);
            }
        }
        if let Some(n) = rid_num(&rid) {
            self.calls.sent(RequestId(n), custom, now);
        }
    }

    /// Feed a text frame to the live, opened socket (if any) and drain. A frame the codec
    /// refuses must emit one `frame_rejected` and change nothing else.
    pub(super) fn feed(&mut self, text: &str) {
        let Some(idx) = self.live.filter(|i| self.conns[*i].usable()) else { return };
        let decoded = Frame::decode(text);
        let c = &mut self.conns[idx];
        let rid = match &decoded {
            Ok(Frame::Response(r)) => {
                if let Some(rid) = &r.request_id {
                    if r.result.is_ok() && c.login_rid.as_ref().is_some_and(|l| same_rid(l, rid)) {
                        self.input.fed_login_ok = true;
                    }
                    if c.ping.as_ref().is_some_and(|(p, _)| same_rid(p, rid)) {
                        c.ping = None;
                    }
                    c.outstanding.retain(|s| !same_rid(&s.rid, rid));
                }
                r.request_id.as_deref()
            }
            Ok(Frame::Push(p)) => p.request_id.as_deref(),
            Err(e) => {
                match e {
                    FrameError::UnknownPushTooLarge { .. } => self.stats.too_large += 1,
                    FrameError::TooLarge { .. } => self.stats.over_max += 1,
                    _ => {}
                }
                None
            }
        };
        if let Some(n) = rid.and_then(rid_num) {
            self.input.fed_rids.insert(n);
        }
        // A re-send goes out as `<id>.<attempt>`: its answers answer call `<id>`.
        if let Some(n) = rid.and_then(|r| r.split('.').next()).and_then(rid_num) {
            self.answered.insert(n);
        }
        let id = c.id;
        self.input.payload_len = payload_len(text).unwrap_or(0);
        let before = self.session.state();
        let (rejected, effects) = (self.input.rejected, self.input.effects);
        self.session.handle_frame(self.now, id, text);
        self.drain();
        self.input.fed_login_ok = false;
        self.input.payload_len = 0;
        if decoded.is_err() && before != State::Destroyed {
            assert_eq!(self.input.rejected - rejected, 1, "a rejected frame gave no single frame_rejected");
            assert_eq!(self.input.effects, effects, "a rejected frame had effects");
            assert_eq!(self.session.state(), before, "a rejected frame changed the state");
        }
    }
}
