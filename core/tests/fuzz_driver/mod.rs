//! The one copy of the fuzz entry points.
//!
//! Used by the cargo-fuzz targets (`fuzz/fuzz_targets/{frame,session}.rs` include this file
//! with `#[path]`) and by the ordinary `cargo test` that replays the seed corpus and the
//! minimized crashes (`core/tests/corpus.rs`). Both call [`frame`] and [`session`]; a panic
//! in either is a finding.
//!
//! [`session`] turns bytes into a whole session run: the first two bytes pick a
//! configuration, then each op is one opcode byte plus parameter bytes (see [`Op`]), so seeds
//! can be written by hand with [`Op::encode`]. After every input the harness drains the
//! outputs and checks the invariants listed on [`Harness`].

// Each consumer uses a different subset of this module.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::time::{Duration, Instant};

use arbitrary::Unstructured;
use livechat_core::customer::{
    ConnectionId, CustomerPage, CustomerSession, Endpoint, Event, EventKind, HistoryId, Output, RequestId,
    RequestOptions, SessionConfig, State,
};
use livechat_core::token::{Secret, Token};
use livechat_core::wire::{self, Frame, FrameError, MAX_FRAME_LEN};
use livechat_core::{Error, ErrorCode};
use serde_json::{Value, json};

// ====================================================================== frame target

/// What [`frame`] made of its input.
#[derive(Debug)]
pub enum FrameOutcome {
    NotUtf8,
    Rejected(FrameError),
    Response {
        action: String,
        ok: bool,
    },
    /// A push; `event` is `Event::from_push`'s verdict (its kind, or the error text).
    Push {
        action: String,
        event: Result<EventKind, String>,
    },
}

/// Fuzz entry point `frame`: bytes → UTF-8 → [`Frame::decode`] → for pushes
/// [`Event::from_push`]. Never panics unless the core does, or an invariant breaks:
/// * decoding is deterministic and agrees with `Frame::from_value` of the parsed JSON;
/// * a typed event's kind has the push's action as its wire name;
/// * errors and redaction format without panicking.
pub fn frame(data: &[u8]) -> FrameOutcome {
    let Ok(text) = std::str::from_utf8(data) else {
        return FrameOutcome::NotUtf8;
    };
    let decoded = Frame::decode(text);
    // `decode` may refuse more than `from_value` (an unknown push over the size cap is
    // refused before its payload is parsed; a duplicate envelope key is an error), but
    // what it accepts, `from_value` of the same JSON accepts identically.
    if text.len() <= MAX_FRAME_LEN
        && let Ok(d) = &decoded
        && let Ok(value) = serde_json::from_str::<Value>(text)
    {
        assert_eq!(Frame::from_value(value).as_ref(), Ok(d), "decode and from_value disagree");
    }
    let _ = wire::redact(text);
    match decoded {
        Err(e) => {
            let _ = e.to_string();
            FrameOutcome::Rejected(e)
        }
        Ok(Frame::Response(r)) => {
            if let Err(e) = &r.result {
                let _ = (e.to_string(), e.code());
            }
            FrameOutcome::Response { action: r.action, ok: r.result.is_ok() }
        }
        Ok(Frame::Push(p)) => {
            let event = match Event::from_push(&p.action, p.payload) {
                Ok(ev) => {
                    let kind = ev.kind();
                    if kind != EventKind::UnknownPush {
                        assert_eq!(kind.as_str(), p.action, "push decoded to another event kind");
                    }
                    Ok(kind)
                }
                Err(e) => Err(e.to_string()),
            };
            FrameOutcome::Push { action: p.action, event }
        }
    }
}

// ====================================================================== session target

const CHATS: [&str; 3] = ["CH1", "CH2", "CH3"];
const CUSTOMERS: [&str; 2] = ["cust-a", "cust-b"];

/// Error `type`s the server may answer with (plus an unknown one and odd casing).
const ERROR_TYPES: [&str; 16] = [
    "authentication",
    "users_limit_reached",
    "license_expired",
    "customer_banned",
    "wrong_product_version",
    "license_not_found",
    "unsupported_version",
    "misdirected_request",
    "service_unavailable",
    "service_temporarily_unavailable",
    "internal",
    "validation",
    "pending_requests_limit_reached",
    "request_timeout",
    "brand_new_error",
    "GROUPS_OFFLINE",
];

/// `customer_disconnected` reasons: current, legacy, client-side names and an unknown one.
const REASONS: [&str; 20] = [
    "access_token_revoked",
    "access_token_expired",
    "connection_evicted",
    "connection_timeout",
    "internal_error",
    "license_not_found",
    "license_expired",
    "misdirected_connection",
    "unsupported_version",
    "service_temporarily_unavailable",
    "too_many_connections",
    "too_many_unauthorized_connections",
    "logged_out_remotely",
    "customer_banned",
    "customer_temporarily_blocked",
    "inactivity_timeout",
    "product_version_changed",
    "connection_lost",
    "shiny_new_reason",
    "",
];

/// Regions named in `misdirected_*` data: one the endpoint knows, one it does not.
const REGIONS: [&str; 3] = ["fra", "mars", ""];

/// Actions for `request()`, including ones the session must refuse itself.
const ACTIONS: [&str; 14] = [
    "get_customer",
    "list_chats",
    "get_chat",
    "start_chat",
    "resume_chat",
    "deactivate_chat",
    "list_threads",
    "mark_events_as_seen",
    "update_customer",
    "list_group_statuses",
    "send_sneak_peek",
    "login",
    "ping",
    "send_event",
];

/// One input to the session. Encoded as an opcode byte plus parameter bytes.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// The current socket opened.
    Open,
    /// The current socket closed (code picked by the byte).
    TransportClosed(u8),
    /// Answer an outstanding `FetchToken` with a token (customer, lifetime).
    TokenOk {
        customer: u8,
        lifetime: u8,
    },
    /// Answer an outstanding `FetchToken` with an error.
    TokenErr(u8),
    /// Let time pass: `secs` (0..=60) plus `quarter_ms * 4` ms, firing timers on the way.
    Advance {
        secs: u8,
        quarter_ms: u8,
    },
    /// A realistic frame from the dictionary, with fuzzed ids and fields.
    Dict {
        template: u8,
        pick: u8,
        variant: u8,
    },
    /// A raw text frame (lossy UTF-8).
    Raw(Vec<u8>),
    /// Answer the `pick`-th outstanding request properly (response and push-response).
    Serve {
        pick: u8,
        variant: u8,
    },
    /// `request(action, payload, opts)`.
    Request {
        action: u8,
        payload: u8,
        timeout: u8,
    },
    /// `request("send_event", …)` with exactly-once on or off.
    SendEvent {
        chat: u8,
        flags: u8,
    },
    /// `history_open` / `history_next` / `history_close`.
    History {
        op: u8,
        which: u8,
    },
    /// `rate_chat` / `cancel_rate`.
    Rate {
        chat: u8,
        cancel: bool,
    },
    Connect,
    Disconnect,
    Destroy,
    /// `set_sneak_peek` / `update_customer_page`.
    Misc {
        op: u8,
        chat: u8,
    },
    /// A frame for a socket that is no longer current: must be ignored.
    Stale {
        template: u8,
    },
}

const N_OPS: u8 = 17;

impl Op {
    fn read(u: &mut Unstructured<'_>) -> Option<Op> {
        if u.is_empty() {
            return None;
        }
        let b = |u: &mut Unstructured<'_>| u.arbitrary::<u8>().unwrap_or(0);
        let op = match b(u) % N_OPS {
            0 => Op::Open,
            1 => Op::TransportClosed(b(u)),
            2 => Op::TokenOk { customer: b(u), lifetime: b(u) },
            3 => Op::TokenErr(b(u)),
            4 => Op::Advance { secs: b(u), quarter_ms: b(u) },
            5 => Op::Dict { template: b(u), pick: b(u), variant: b(u) },
            6 => {
                let len = b(u) as usize;
                Op::Raw(u.bytes(len.min(u.len())).unwrap_or_default().to_vec())
            }
            7 => Op::Serve { pick: b(u), variant: b(u) },
            8 => Op::Request { action: b(u), payload: b(u), timeout: b(u) },
            9 => Op::SendEvent { chat: b(u), flags: b(u) },
            10 => Op::History { op: b(u), which: b(u) },
            11 => {
                let x = b(u);
                Op::Rate { chat: x >> 1, cancel: x & 1 == 1 }
            }
            12 => Op::Connect,
            13 => Op::Disconnect,
            14 => Op::Destroy,
            15 => Op::Misc { op: b(u), chat: b(u) },
            _ => Op::Stale { template: b(u) },
        };
        Some(op)
    }

    /// The bytes [`Op::read`] turns back into this op (for writing seeds by hand).
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Op::Open => out.push(0),
            Op::TransportClosed(c) => out.extend([1, *c]),
            Op::TokenOk { customer, lifetime } => out.extend([2, *customer, *lifetime]),
            Op::TokenErr(e) => out.extend([3, *e]),
            Op::Advance { secs, quarter_ms } => out.extend([4, *secs, *quarter_ms]),
            Op::Dict { template, pick, variant } => out.extend([5, *template, *pick, *variant]),
            Op::Raw(bytes) => {
                let len = bytes.len().min(255);
                out.extend([6, len as u8]);
                out.extend(&bytes[..len]);
            }
            Op::Serve { pick, variant } => out.extend([7, *pick, *variant]),
            Op::Request { action, payload, timeout } => out.extend([8, *action, *payload, *timeout]),
            Op::SendEvent { chat, flags } => out.extend([9, *chat, *flags]),
            Op::History { op, which } => out.extend([10, *op, *which]),
            Op::Rate { chat, cancel } => out.extend([11, (chat << 1) | u8::from(*cancel)]),
            Op::Connect => out.push(12),
            Op::Disconnect => out.push(13),
            Op::Destroy => out.push(14),
            Op::Misc { op, chat } => out.extend([15, *op, *chat]),
            Op::Stale { template } => out.extend([16, *template]),
        }
    }
}

/// Encode a whole script: the two configuration bytes, then the ops.
pub fn script(config: [u8; 2], ops: &[Op]) -> Vec<u8> {
    let mut out = config.to_vec();
    for op in ops {
        op.encode(&mut out);
    }
    out
}

/// What a run did, for tests that check a seed goes where it should.
#[derive(Debug, Default)]
pub struct Stats {
    pub ops: usize,
    pub logins: usize,
    pub sends: usize,
    pub ok: usize,
    pub failed: BTreeMap<String, usize>,
    pub events: BTreeMap<&'static str, usize>,
    pub max_in_flight: usize,
}

#[derive(Debug)]
struct Sent {
    rid: String,
    action: String,
    payload: Value,
}

#[derive(Debug)]
struct ConnTrack {
    id: ConnectionId,
    /// `handle_transport_open` was called.
    opened: bool,
    /// Closed by the session (`Output::Close`) or by the transport.
    closed: bool,
    login_rid: Option<String>,
    logged_in: bool,
    frames_sent: usize,
    rids: HashSet<String>,
    /// Requests sent on this socket and not yet answered by the peer.
    outstanding: Vec<Sent>,
}

/// Drives one [`CustomerSession`] as a transport and a server would, and checks after every
/// input (outputs drained) that:
/// * nothing panics;
/// * every [`RequestId`] the application got back completes at most once, and no
///   completion names an id the application never got; after `destroy` every one of them
///   has completed exactly once, and the session asks for no more timeouts;
/// * at most one socket is live; `Send` goes only to the live, opened socket; the first
///   frame on a socket is its only `login`; no frame other than `login`/`ping` is sent on a
///   socket before the session emitted `Connected` for it, and `Connected` follows only a
///   successful response to that socket's `login`;
/// * every `Send` is a well-formed request frame with a request id unique on its socket;
/// * at most one `FetchToken` is outstanding;
/// * `in_flight()` never exceeds 10;
/// * a frame for an old socket produces no output at all;
/// * timers do not fire forever at one instant.
pub struct Harness {
    pub session: CustomerSession,
    now: Instant,
    conns: Vec<ConnTrack>,
    live: Option<usize>,
    token_wanted: bool,
    issued: BTreeSet<RequestId>,
    completed: BTreeSet<RequestId>,
    histories: Vec<HistoryId>,
    /// `(chat_id, custom_id)` of every `send_event` that went out.
    custom_ids: Vec<(String, String)>,
    /// The input being processed fed a successful `login` response to the live socket.
    fed_login_ok: bool,
    pub stats: Stats,
}

fn pick<T: Copy>(list: &[T], b: u8) -> T {
    list[b as usize % list.len()]
}

impl Harness {
    pub fn new(config_bytes: [u8; 2]) -> Harness {
        let [a, b] = config_bytes;
        let mut regions = BTreeMap::new();
        regions.insert("fra".to_string(), "ws://fra.sim".to_string());
        let endpoint = Endpoint::Custom { default: "ws://dal.sim/".to_string(), regions };
        let mut config = SessionConfig::new("org-fuzz", endpoint);
        config.connection.auto_connect = a & 1 == 0;
        config.connection.max_in_flight = pick(&[10, 1, 3, 12], a >> 1);
        config.connection.queue_limit = pick(&[1024, 4, 1, 0], a >> 3);
        config.connection.request_timeout = pick(&[Duration::from_secs(20), Duration::from_secs(1)], a >> 5);
        if a & 0x40 != 0 {
            config.page = Some(CustomerPage { url: "https://shop.example/".into(), title: None });
        }
        config.group_id = if a & 0x80 != 0 { Some(0) } else { None };
        config.connection.seed = Some(u64::from(b));
        let now = Instant::now();
        let mut h = Harness {
            session: CustomerSession::new(config, now),
            now,
            conns: Vec::new(),
            live: None,
            token_wanted: false,
            issued: BTreeSet::new(),
            completed: BTreeSet::new(),
            histories: Vec::new(),
            custom_ids: Vec::new(),
            fed_login_ok: false,
            stats: Stats::default(),
        };
        h.drain();
        h
    }

    fn live_conn(&self) -> Option<&ConnTrack> {
        self.live.map(|i| &self.conns[i])
    }

    fn issue(&mut self, id: RequestId) {
        assert!(self.issued.insert(id), "request id {id} handed out twice");
    }

    /// Drain every output, checking each.
    fn drain(&mut self) {
        while let Some(out) = self.session.poll_output() {
            match out {
                Output::Open { conn, url } => {
                    if let Some(prev) = self.live_conn() {
                        assert!(prev.closed, "Open {conn:?} while {:?} is still live", prev.id);
                    }
                    assert!(self.conns.iter().all(|c| c.id != conn), "connection id {conn:?} reused");
                    assert!(url.starts_with("ws://") || url.starts_with("wss://"), "bad url {url}");
                    self.conns.push(ConnTrack {
                        id: conn,
                        opened: false,
                        closed: false,
                        login_rid: None,
                        logged_in: false,
                        frames_sent: 0,
                        rids: HashSet::new(),
                        outstanding: Vec::new(),
                    });
                    self.live = Some(self.conns.len() - 1);
                }
                Output::Send { conn, text } => self.on_send(conn, &text),
                Output::Close { conn } => {
                    let c =
                        self.conns.iter_mut().find(|c| c.id == conn).expect("Close for an unknown socket");
                    assert!(!c.closed, "Close for {conn:?}, which is already closed");
                    c.closed = true;
                }
                Output::FetchToken { .. } => {
                    assert!(!self.token_wanted, "second FetchToken while one is outstanding");
                    self.token_wanted = true;
                }
                Output::Event(ev) => {
                    if let Event::Connected(_) = ev {
                        let fed = self.fed_login_ok;
                        let c = self.live.map(|i| &mut self.conns[i]).expect("Connected without a socket");
                        assert!(fed, "Connected without a successful login response on {:?}", c.id);
                        assert!(!c.logged_in, "Connected twice on {:?}", c.id);
                        c.logged_in = true;
                        self.stats.logins += 1;
                    }
                    *self.stats.events.entry(ev.kind().as_str()).or_default() += 1;
                }
                Output::Completed { id, result } => {
                    assert!(self.issued.contains(&id), "Completed {id}, an id never handed out");
                    assert!(self.completed.insert(id), "request {id} completed twice");
                    match result {
                        Ok(_) => self.stats.ok += 1,
                        Err(e) => *self.stats.failed.entry(e.code()).or_default() += 1,
                    }
                }
            }
        }
        let in_flight = self.session.in_flight();
        assert!(in_flight <= 10, "{in_flight} requests in flight");
        self.stats.max_in_flight = self.stats.max_in_flight.max(in_flight);
    }

    fn on_send(&mut self, conn: ConnectionId, text: &str) {
        let idx = self.live.filter(|i| self.conns[*i].id == conn).expect("Send on a socket that is not live");
        let v: Value = serde_json::from_str(text).expect("Send of a frame that is not JSON");
        let action = v.get("action").and_then(Value::as_str).expect("request without action").to_string();
        let rid =
            v.get("request_id").and_then(Value::as_str).expect("request without request_id").to_string();
        let payload = v.get("payload").cloned().unwrap_or(Value::Null);
        assert!(payload.is_object(), "{action}: payload is not an object");
        let c = &mut self.conns[idx];
        assert!(c.opened && !c.closed, "Send on {conn:?} before open or after close");
        assert!(c.rids.insert(rid.clone()), "request_id {rid} sent twice on {conn:?}");
        match action.as_str() {
            "login" => {
                assert_eq!(c.frames_sent, 0, "login is not the first frame on {conn:?}");
                assert!(payload.get("token").and_then(Value::as_str).is_some(), "login without token");
                c.login_rid = Some(rid.clone());
            }
            "ping" => {}
            other => assert!(c.logged_in, "`{other}` sent on {conn:?} before a successful login"),
        }
        if action == "send_event"
            && let (Some(chat), Some(custom)) = (
                payload.get("chat_id").and_then(Value::as_str),
                payload.pointer("/event/custom_id").and_then(Value::as_str),
            )
        {
            self.custom_ids.push((chat.to_string(), custom.to_string()));
        }
        c.frames_sent += 1;
        c.outstanding.push(Sent { rid, action, payload });
        self.stats.sends += 1;
    }

    /// Feed a text frame to the live, opened socket (if any) and drain.
    fn feed(&mut self, text: &str) {
        let Some(idx) = self.live.filter(|i| self.conns[*i].opened && !self.conns[*i].closed) else { return };
        let c = &mut self.conns[idx];
        if let Ok(Frame::Response(r)) = Frame::decode(text)
            && r.request_id.is_some()
        {
            if r.request_id == c.login_rid && r.result.is_ok() {
                self.fed_login_ok = true;
            }
            c.outstanding.retain(|s| Some(&s.rid) != r.request_id.as_ref());
        }
        let id = c.id;
        self.session.handle_frame(self.now, id, text);
        self.drain();
        self.fed_login_ok = false;
    }

    /// The request id a dictionary frame answers: an outstanding one, the login's, or junk.
    fn pick_rid(&self, b: u8) -> (Value, Option<String>) {
        let c = self.live_conn();
        let out = c.map(|c| c.outstanding.as_slice()).unwrap_or_default();
        match b % 8 {
            0..=4 if !out.is_empty() => {
                let s = &out[b as usize / 8 % out.len()];
                (json!(s.rid), Some(s.action.clone()))
            }
            5 if c.and_then(|c| c.login_rid.as_ref()).is_some() => {
                (json!(c.and_then(|c| c.login_rid.clone())), Some("login".into()))
            }
            6 => (json!(u64::from(b) * 7919), None),
            7 => (Value::Null, None),
            _ => (json!(format!("r-{b}")), None),
        }
    }

    pub fn step(&mut self, op: Op) {
        self.stats.ops += 1;
        let now = self.now;
        match op {
            Op::Open => {
                if let Some(idx) = self.live.filter(|i| !self.conns[*i].opened && !self.conns[*i].closed) {
                    self.conns[idx].opened = true;
                    let id = self.conns[idx].id;
                    self.session.handle_transport_open(now, id);
                }
            }
            Op::TransportClosed(code) => {
                if let Some(idx) = self.live.filter(|i| !self.conns[*i].closed) {
                    self.conns[idx].closed = true;
                    let id = self.conns[idx].id;
                    let code = pick(&[None, Some(1000), Some(1006), Some(4000)], code);
                    self.session.handle_transport_closed(now, id, code, "bye");
                }
            }
            Op::TokenOk { customer, lifetime } => {
                if self.token_wanted {
                    self.token_wanted = false;
                    let entity = if customer % 8 == 7 { CUSTOMERS[1] } else { CUSTOMERS[0] };
                    let secs = pick(&[28_800, 3_600, 30, 0, u64::MAX], lifetime);
                    let token = Token {
                        access_token: Secret::new("dal:fuzz-token"),
                        entity_id: entity.to_string(),
                        token_type: "Bearer".into(),
                        expires_in: Duration::from_secs(secs),
                        organization_id: None,
                        issued_at: now,
                    };
                    self.session.handle_token(now, Ok(token));
                }
            }
            Op::TokenErr(e) => {
                if self.token_wanted {
                    self.token_wanted = false;
                    let err = match e % 5 {
                        0 => Error::new(ErrorCode::TokenFetchFailed, "connection reset"),
                        1 => Error::new(ErrorCode::SsoIdentityException, "server_error"),
                        2 => Error::new(ErrorCode::SsoIdentityException, "identity_lost"),
                        3 => Error::new(ErrorCode::SsoOauthException, "invalid_client"),
                        _ => Error::new(ErrorCode::SsoOauthException, "temporarily_unavailable"),
                    };
                    self.session.handle_token(now, Err(err));
                }
            }
            Op::Advance { secs, quarter_ms } => {
                let target = now
                    + Duration::from_secs(u64::from(secs % 61))
                    + Duration::from_millis(u64::from(quarter_ms) * 4);
                self.advance_to(target);
                return;
            }
            Op::Dict { template, pick, variant } => {
                let text = self.dict_frame(template, pick, variant);
                self.feed(&text);
                return;
            }
            Op::Raw(bytes) => {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                self.feed(&text);
                return;
            }
            Op::Serve { pick, variant } => {
                self.serve(pick, variant);
                return;
            }
            Op::Request { action, payload, timeout } => {
                let action = pick_str(&ACTIONS, action);
                let payload = request_payload(action, payload);
                let opts = RequestOptions {
                    timeout: (timeout % 4 == 3).then(|| Duration::from_secs(u64::from(timeout >> 2))),
                    exactly_once: timeout & 0x80 == 0,
                };
                let id = self.session.request(now, action, payload, opts);
                self.issue(id);
            }
            Op::SendEvent { chat, flags } => {
                let chat = pick(&CHATS, chat);
                let mut event = json!({"type": "message", "text": "hello", "recipients": "all"});
                if flags & 2 != 0 {
                    event["custom_id"] = json!(format!("mine-{}", flags >> 2));
                }
                let opts = RequestOptions { timeout: None, exactly_once: flags & 1 == 0 };
                let id =
                    self.session.request(now, "send_event", json!({"chat_id": chat, "event": event}), opts);
                self.issue(id);
            }
            Op::History { op, which } => match op % 4 {
                0 => {
                    let h = self.session.history_open(pick(&CHATS, which));
                    self.histories.push(h);
                }
                1 | 2 => {
                    if let Some(&h) = self.histories.get(which as usize % self.histories.len().max(1)) {
                        let id = self.session.history_next(now, h);
                        self.issue(id);
                    }
                }
                _ => {
                    if let Some(&h) = self.histories.get(which as usize % self.histories.len().max(1)) {
                        self.session.history_close(h);
                    }
                }
            },
            Op::Rate { chat, cancel } => {
                let chat = pick(&CHATS, chat);
                let id = if cancel {
                    self.session.cancel_rate(now, chat, &[])
                } else {
                    self.session.rate_chat(now, chat, json!({"score": 1, "comment": "good"}))
                };
                self.issue(id);
            }
            Op::Connect => self.session.connect(now),
            Op::Disconnect => self.session.disconnect(now),
            Op::Destroy => self.session.destroy(now),
            Op::Misc { op, chat } => {
                let id = if op & 1 == 0 {
                    self.session.set_sneak_peek(now, pick(&CHATS, chat), "typing…")
                } else {
                    let url = (op & 2 != 0).then_some("https://shop.example/cart");
                    self.session.update_customer_page(now, url, Some("Cart"))
                };
                if let Some(id) = id {
                    self.issue(id);
                }
            }
            Op::Stale { template } => {
                let stale = self.conns.iter().filter(|c| c.closed).map(|c| c.id).next_back();
                if let Some(id) = stale {
                    let text = self.dict_frame(template, 0, template);
                    self.session.handle_frame(now, id, &text);
                    assert!(
                        self.session.poll_output().is_none(),
                        "a frame for old socket {id:?} had effects"
                    );
                }
            }
        }
        self.drain();
    }

    /// Let time pass, firing due timers the way a transport's sleep loop would.
    fn advance_to(&mut self, target: Instant) {
        let mut same_instant = 0;
        while let Some(at) = self.session.poll_timeout().filter(|at| *at <= target) {
            if at <= self.now {
                same_instant += 1;
                assert!(same_instant < 64, "timers keep firing at one instant");
            } else {
                same_instant = 0;
                self.now = at;
            }
            self.session.handle_timeout(self.now);
            self.drain();
        }
        self.now = self.now.max(target);
    }

    /// Answer an outstanding request the way the server does.
    fn serve(&mut self, pick_b: u8, variant: u8) {
        let Some(c) = self.live_conn() else { return };
        if c.outstanding.is_empty() {
            return;
        }
        let s = &c.outstanding[pick_b as usize % c.outstanding.len()];
        let (rid, action, payload) = (s.rid.clone(), s.action.clone(), s.payload.clone());
        let response = json!({
            "request_id": rid, "action": action, "type": "response", "success": true,
            "payload": self.ok_payload(&action, &payload, variant),
        });
        let push = match action.as_str() {
            "start_chat" | "resume_chat" => Some(json!({
                "request_id": rid, "action": "incoming_chat", "type": "push", "version": "3.6",
                "payload": {"chat": chat_json(payload.pointer("/chat/id").and_then(Value::as_str).unwrap_or("CH1"), variant)},
            })),
            "send_event" => {
                let chat = payload.get("chat_id").and_then(Value::as_str).unwrap_or("CH1");
                let mut event = payload.get("event").cloned().unwrap_or(json!({}));
                event["id"] = json!(format!("TH1_{variant}"));
                event["created_at"] = json!("2026-01-01T00:00:00.000000Z");
                event["author_id"] = json!("cust-a");
                Some(json!({
                    "request_id": rid, "action": "incoming_event", "type": "push", "version": "3.6",
                    "payload": {"chat_id": chat, "thread_id": "TH1", "event": event},
                }))
            }
            _ => None,
        };
        // The server sends the response first; a fuzzed variant swaps them or drops the push.
        match (push, variant % 4) {
            (Some(p), 0) => {
                self.feed(&p.to_string());
                self.feed(&response.to_string());
            }
            (Some(_), 1) => self.feed(&response.to_string()),
            (Some(p), _) => {
                self.feed(&response.to_string());
                self.feed(&p.to_string());
            }
            (None, _) => self.feed(&response.to_string()),
        }
    }

    fn ok_payload(&self, action: &str, request: &Value, variant: u8) -> Value {
        match action {
            "login" => login_ok(variant),
            "start_chat" => json!({"chat_id": "CH1", "thread_id": "TH1"}),
            "resume_chat" => json!({"thread_id": "TH2"}),
            "send_event" => json!({"event_id": format!("TH1_{variant}")}),
            "list_threads" => {
                let chat = request.get("chat_id").and_then(Value::as_str).unwrap_or("CH1");
                self.threads_page(chat, variant)
            }
            "list_chats" => json!({
                "chats_summary": [
                    {"id": "CH1", "active": variant & 1 == 0, "users": [customer_user(), agent_user()]},
                    {"id": "CH2", "active": false, "users": [agent_user()]},
                ],
                "total_chats": 2,
            }),
            "get_chat" => {
                let chat = request.get("chat_id").and_then(Value::as_str).unwrap_or("CH1");
                chat_json(chat, variant)
            }
            "get_customer" => customer_user(),
            _ => json!({}),
        }
    }

    /// A `list_threads` page: some of the events carry `custom_id`s this session sent.
    fn threads_page(&self, chat: &str, variant: u8) -> Value {
        let events: Vec<Value> = self
            .custom_ids
            .iter()
            .filter(|(c, _)| c == chat)
            .enumerate()
            .filter(|(i, _)| variant >> (i % 8) & 1 == 1)
            .map(|(i, (_, custom))| {
                json!({"id": format!("TH1_{i}"), "custom_id": custom, "type": "message", "text": "hello",
                       "author_id": "cust-a", "created_at": "2026-01-01T00:00:00.000000Z"})
            })
            .collect();
        let mut page = json!({
            "threads": if variant % 5 == 4 { json!([]) } else {
                json!([{"id": "TH1", "active": true, "created_at": "2026-01-01T00:00:00.000000Z",
                        "user_ids": ["cust-a"], "events": events, "properties": {}}])
            },
            "found_threads": 1,
        });
        match variant % 3 {
            0 => page["next_page_id"] = json!(format!("page-{variant}")),
            1 => page["next_page_id"] = json!(""),
            _ => {}
        }
        page
    }

    /// The dictionary of realistic frames, with fuzzed ids and fields.
    fn dict_frame(&self, template: u8, p: u8, v: u8) -> String {
        let (rid, answered) = self.pick_rid(p);
        let chat = pick(&CHATS, v);
        let push = |action: &str, payload: Value| {
            json!({"action": action, "type": "push", "version": "3.6", "payload": payload}).to_string()
        };
        match template % 17 {
            0 => json!({"request_id": rid, "action": "login", "type": "response", "success": true,
                        "payload": login_ok(v)})
            .to_string(),
            1 => {
                let kind = pick_str(&ERROR_TYPES, v);
                let mut error = json!({"type": kind, "message": "nope"});
                if v & 0x10 != 0 {
                    error["data"] = json!({"region": pick_str(&REGIONS, v >> 5)});
                }
                json!({"request_id": rid, "action": answered.as_deref().unwrap_or("login"),
                       "type": "response", "success": false, "payload": {"error": error}})
                .to_string()
            }
            2 => {
                let action = answered.unwrap_or_else(|| "get_customer".into());
                let request = self
                    .live_conn()
                    .and_then(|c| c.outstanding.iter().find(|s| json!(s.rid) == rid))
                    .map(|s| s.payload.clone())
                    .unwrap_or(Value::Null);
                json!({"request_id": rid, "action": action, "type": "response", "success": true,
                       "payload": self.ok_payload(&action, &request, v)})
                .to_string()
            }
            3 => json!({"request_id": rid, "action": "incoming_chat", "type": "push", "version": "3.6",
                        "payload": {"chat": chat_json(chat, v)}})
            .to_string(),
            4 => json!({"request_id": rid, "action": "incoming_event", "type": "push", "version": "3.6",
                        "payload": {"chat_id": chat, "thread_id": "TH1", "event": message_event(v)}})
            .to_string(),
            5 => push("incoming_event", json!({"chat_id": chat, "thread_id": "TH1", "event": message_event(v)})),
            6 => push("incoming_chat", json!({"chat": chat_json(chat, v)})),
            7 => push("chat_deactivated", json!({"chat_id": chat, "thread_id": "TH1", "user_id": "agent-1"})),
            8 => {
                let mut payload = json!({"reason": pick_str(&REASONS, v)});
                if p & 1 == 1 {
                    payload["data"] = json!({"region": pick_str(&REGIONS, p >> 1)});
                }
                push("customer_disconnected", payload)
            }
            9 => push("customer_side_storage_updated", json!({"customer_side_storage": {"k": format!("v{v}")}})),
            10 => push(
                "groups_status_updated",
                json!({"groups": [{"id": u64::from(v % 3), "status": pick(&["online", "offline", "online_for_queue"], p)}]}),
            ),
            11 => push(
                "thread_properties_updated",
                json!({"chat_id": chat, "thread_id": "TH1",
                       "properties": {"lc2": {"queue_pos": v, "queue_waiting_time": p}}}),
            ),
            12 => push(
                "user_added_to_chat",
                json!({"chat_id": chat, "thread_id": "TH1", "user": agent_user(), "reason": "manual"}),
            ),
            13 => match v % 6 {
                0 => push("incoming_typing_indicator", json!({"chat_id": chat, "thread_id": "TH1",
                    "typing_indicator": {"author_id": "agent-1", "recipients": "all", "timestamp": 1, "is_typing": true}})),
                1 => push("incoming_multicast", json!({"author_id": "agent-1", "content": {"x": v}})),
                2 => push("events_marked_as_seen", json!({"user_id": "agent-1", "chat_id": chat,
                    "seen_up_to": "2026-01-01T00:00:00.000000Z"})),
                3 => push("queue_position_updated", json!({"chat_id": chat, "thread_id": "TH1",
                    "queue": {"position": p, "wait_time": v}})),
                4 => push("incoming_greeting", json!({"id": 1, "unique_id": format!("g-{p}"),
                    "displayed_first_time": true, "event": message_event(v), "agent": agent_user()})),
                _ => push("shiny_new_push", json!({"x": p})),
            },
            14 => json!({"request_id": rid, "action": "list_threads", "type": "response", "success": true,
                         "payload": self.threads_page(chat, v)})
            .to_string(),
            15 => match v % 8 {
                // Known push, payload of the wrong shape.
                0 => push("incoming_event", json!({"chat_id": 5})),
                1 => push("incoming_chat", json!("not an object")),
                2 => json!({"request_id": rid, "action": "login", "type": "response", "success": true,
                            "payload": {"customer": "not an object"}})
                .to_string(),
                3 => json!({"request_id": rid, "action": "x", "type": "response"}).to_string(),
                4 => json!({"request_id": rid, "action": "x", "type": "pong", "success": true}).to_string(),
                5 => json!({"request_id": rid, "action": "x", "type": "response", "success": false,
                            "payload": {"error": "flat string"}})
                .to_string(),
                6 => json!([rid]).to_string(),
                _ => json!({"request_id": rid, "action": "ping", "type": "response", "success": true}).to_string(),
            },
            _ => json!({"request_id": rid, "action": "ping", "type": "response", "success": true, "payload": {}})
                .to_string(),
        }
    }

    /// Destroy, drain, and check that every request the application got back completed
    /// exactly once and nothing is left to wake up for.
    pub fn finish(mut self) -> Stats {
        self.session.destroy(self.now);
        self.drain();
        assert_eq!(self.session.state(), State::Destroyed);
        let missing: Vec<_> = self.issued.difference(&self.completed).collect();
        assert!(missing.is_empty(), "requests never completed after destroy: {missing:?}");
        assert_eq!(self.session.pending_requests(), 0, "requests still pending after destroy");
        assert_eq!(self.session.poll_timeout(), None, "a destroyed session still wants a timeout");
        self.stats
    }
}

fn pick_str(list: &[&'static str], b: u8) -> &'static str {
    list[b as usize % list.len()]
}

fn customer_user() -> Value {
    json!({"id": "cust-a", "type": "customer", "name": "Ann", "present": true,
           "events_seen_up_to": "2026-01-01T00:00:00.000000Z"})
}

fn agent_user() -> Value {
    json!({"id": "agent-1", "type": "agent", "name": "Bob", "avatar": "https://cdn.example/a.png",
           "present": true})
}

fn message_event(v: u8) -> Value {
    let mut e = json!({"id": format!("TH1_{v}"), "created_at": "2026-01-01T00:00:00.000000Z",
                       "type": "message", "text": "hi", "author_id": "agent-1",
                       "properties": {"lc2": {"welcome_message": false}}});
    if v & 1 == 1 {
        e["custom_id"] = json!(format!("mine-{}", v >> 2));
    }
    e
}

fn chat_json(chat: &str, v: u8) -> Value {
    json!({
        "id": chat,
        "users": [customer_user(), agent_user()],
        "access": {"group_ids": [0]},
        "properties": {},
        "thread": {"id": "TH1", "active": v & 2 == 0, "created_at": "2026-01-01T00:00:00.000000Z",
                   "user_ids": ["cust-a", "agent-1"], "events": [message_event(v)], "properties": {}},
    })
}

fn login_ok(v: u8) -> Value {
    json!({
        "customer": {"id": pick(&CUSTOMERS, v >> 7), "type": "customer",
                     "statistics": {"chats_count": 1, "threads_count": 1, "visits_count": 1,
                                    "page_views_count": 1, "greetings_shown_count": 0,
                                    "greetings_accepted_count": 0}},
        "has_active_thread": v & 1 == 1,
        "chats": [{"chat_id": "CH1", "has_unread_events": false}],
        "__priv_dynamic_config": {
            "online_groups_ids": if v & 2 == 0 { json!([0]) } else { json!([]) },
            "customer_groups": {"monitoring": {"id": 0, "static_config_url": "/x", "language_config_url": "/y"}},
        },
    })
}

fn request_payload(action: &str, b: u8) -> Value {
    let chat = pick(&CHATS, b);
    match (action, b % 4) {
        (_, 3) => json!("not an object"),
        ("list_chats", 2) => json!({"limit": 26}),
        ("list_threads", 2) => json!({"chat_id": chat, "limit": 5, "min_events_count": 5}),
        ("list_threads", _) => json!({"chat_id": chat, "min_events_count": b >> 2}),
        ("start_chat", _) => json!({"chat": {"thread": {"events": [{"type": "message", "text": "hi"}]}}}),
        ("resume_chat", _) => json!({"chat": {"id": chat}}),
        ("deactivate_chat", _) => json!({"id": chat}),
        ("send_event", 2) => json!({"chat_id": chat}),
        ("send_event", _) => json!({"chat_id": chat, "event": {"type": "message", "text": "x"}}),
        ("mark_events_as_seen", _) => json!({"chat_id": chat, "seen_up_to": "2026-01-01T00:00:00Z"}),
        ("list_group_statuses", _) => json!({"all": true}),
        ("send_sneak_peek", _) => json!({"chat_id": chat, "sneak_peek_text": "hel"}),
        ("get_chat", _) => json!({"chat_id": chat}),
        _ => json!({}),
    }
}

/// Fuzz entry point `session`: run the whole script, then destroy and check the end state.
pub fn session(data: &[u8]) -> Stats {
    let mut u = Unstructured::new(data);
    let a = u.arbitrary::<u8>().unwrap_or(0);
    let b = u.arbitrary::<u8>().unwrap_or(0);
    let mut h = Harness::new([a, b]);
    let mut budget = 400;
    while budget > 0
        && let Some(op) = Op::read(&mut u)
    {
        h.step(op);
        budget -= 1;
    }
    h.finish()
}
