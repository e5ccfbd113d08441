//! The session engine shared by the customer and the agent side: a sans-IO state machine
//! for one RTM connection with its login, keepalive, request table, reconnect policy,
//! exactly-once sends and history paging.
//!
//! Inputs carry `now`; nothing inside reads a clock, sleeps or touches a socket.
//! After every input call, drain [`Engine::poll_output`] until it returns `None`,
//! then sleep until [`Engine::poll_timeout`] and call [`Engine::handle_timeout`].
//! What differs between the customer and the agent API (login payload, what a login
//! response means, pushes, disconnect policy, limits) comes from a [`Side`].
//!
//! Choices where the docs and the official SDKs differ are written down where they are
//! made; the short version:
//! * calls made while connecting or reconnecting are queued and sent after login (the
//!   customer SDK fails them with `NO_CONNECTION`; the agent SDK's docs promise the queue
//!   but its code rejects); calls made while paused or before the first `connect()` still
//!   fail with `NO_CONNECTION`;
//! * every socket close leaves `connected`, and in-flight requests fail with
//!   `CONNECTION_LOST` on every close, pause or reconnect (the SDKs let some hang);
//! * at most 10 requests are in flight (the server's limit); every request has a deadline;
//! * `send_event` is exactly-once: a `custom_id` on every event, and after a drop the chat
//!   is checked for it before anything is re-sent;
//! * `ping` every 15 s after login (the customer SDK sends none; the docs require it).

pub mod config;
mod credentials;

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::fmt;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use crate::backoff::Backoff;
use crate::customer::disconnect::{Delay, DisconnectReason, Reaction};
use crate::error::{Error, ErrorCode};
use crate::timer::{Timer, TimerTable};
use crate::token::{REFRESH_MARGIN, Token};
use crate::wire::{self, Frame, RequestFrame};
use config::ConnectionConfig;

/// Identifies one request of a session; completions name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u64);

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Identifies one socket. Inputs about an older socket are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnectionId(pub u64);

/// Identifies one chat-history iterator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct HistoryId(pub u64);

/// Public connection state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Created with `auto_connect = false`; waiting for `connect()`.
    Idle,
    /// First connection: opening the socket and logging in.
    Connecting,
    /// Logged in.
    Connected,
    /// Lost the connection after having been connected; trying again on its own.
    Reconnecting,
    /// Disconnected on purpose (`disconnect()`, inactivity, users limit …); `connect()` resumes.
    Paused,
    /// Finished for good.
    Destroyed,
}

/// What the session asks its transport to do, or tells its application.
#[derive(Debug, Clone, PartialEq)]
pub enum Output<E> {
    /// Open a WebSocket to `url`; report with `handle_transport_open/closed(conn, ..)`.
    Open { conn: ConnectionId, url: String },
    /// Send one text frame on `conn`.
    Send { conn: ConnectionId, text: String },
    /// Close `conn`; no `handle_transport_closed` is needed for it.
    Close { conn: ConnectionId },
    /// Get a token (`fresh`: bypass any cache); answer with `handle_token`.
    FetchToken { fresh: bool },
    /// Deliver an event to the application.
    Event(E),
    /// Request `id` finished. `Ok` holds the response payload (for `start_chat`,
    /// `resume_chat`, `send_event`: merged with the push that carried our `request_id`).
    Completed { id: RequestId, result: Result<Value, Error> },
}

/// Per-call options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestOptions {
    /// In-flight deadline; `None` = the session's `request_timeout`.
    pub timeout: Option<Duration>,
    /// For `send_event`: confirm-or-resend across drops (default on).
    pub exactly_once: bool,
}

impl Default for RequestOptions {
    fn default() -> Self {
        RequestOptions { timeout: None, exactly_once: true }
    }
}

/// A page of chat history, as the history iterator completes it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HistoryPage {
    /// Threads of this page, oldest first.
    pub threads: Vec<crate::model::Thread>,
    /// This was the last page (it may still carry threads).
    pub done: bool,
}

/// Payload of a `disconnected` event.
#[derive(Debug, Clone, PartialEq)]
pub struct Disconnected {
    pub reason: DisconnectReason,
    /// Whether the session reconnects on its own. `false` means it is paused (call
    /// `connect()`) or destroyed (see [`Disconnected::destroyed`]).
    pub will_reconnect: bool,
    /// Whether the session destroyed itself; a destroyed session cannot be reused.
    pub destroyed: bool,
    /// The push's `data`, if any (e.g. `{"region":"fra"}`).
    pub data: Option<Value>,
}

/// Events the engine itself produces; each side maps them into its own event enum.
#[derive(Debug, Clone, PartialEq)]
pub enum CommonEvent {
    Disconnected(Disconnected),
    ConnectionUnstable,
    ConnectionRecovered,
    FrameRejected { error: String },
}

/// What a token says about who we are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    Same,
    /// Another user than before: calls made for the previous one are dropped.
    Changed,
}

/// What differs between the customer and the agent API.
pub trait Side {
    type Event: fmt::Debug + Clone + PartialEq;
    /// Path segment of the RTM URL: `customer` or `agent`.
    const PATH: &'static str;
    /// The push announcing a server-side disconnect.
    const DISCONNECT_PUSH: &'static str;

    fn common(event: CommonEvent) -> Self::Event;
    /// What to do after a disconnect for `reason`.
    fn reaction(reason: &DisconnectReason) -> Reaction;
    /// Side-specific checks before a call is sent (documented limits).
    fn validate(&self, action: &str, payload: &Value) -> Result<(), Error>;
    /// A token arrived: who does it name?
    fn token_identity(&mut self, token: &Token, out: &mut Vec<Self::Event>) -> Identity;
    /// The `login` payload for this token (`"Bearer …"` / `"Basic …"`).
    fn login_payload(&mut self, token: &str) -> Map<String, Value>;
    /// A successful login response; `Err` names what did not match the documented shape.
    fn login_ok(&mut self, payload: Value, out: &mut Vec<Self::Event>) -> Result<(), String>;
    /// Fire-and-forget requests to send right after login, before queued calls.
    fn after_login(&mut self) -> Vec<(String, Value)>;
    /// A fire-and-forget request from `after_login` failed.
    fn internal_failed(&mut self, action: &str);
    /// A push that is not a push-response and not a disconnect.
    fn push(&mut self, action: &str, payload: Value, out: &mut Vec<Self::Event>);
    /// A push-response (it completes a request and is not re-emitted).
    fn push_response(&mut self, action: &str, payload: &Value, out: &mut Vec<Self::Event>);
    /// A successful response to a caller's request.
    fn response(&mut self, action: &str, payload: &Value, out: &mut Vec<Self::Event>);

    /// The push (carrying our `request_id`) that completes `action` together with its
    /// response. By default `start_chat` / `resume_chat` wait for `incoming_chat` and
    /// `send_event` for `incoming_event`, as the Customer SDK does; a side returning `None`
    /// completes on the response alone.
    fn completing_push(&self, action: &str) -> Option<&'static str> {
        completing_push(action)
    }

    /// A token this side can produce by itself (static credentials), used instead of asking
    /// the transport with [`Output::FetchToken`]. `fresh`: the server rejected or expired
    /// the previous one.
    fn provide_token(&mut self, now: Instant, fresh: bool) -> Option<Token> {
        let _ = (now, fresh);
        None
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Origin {
    User,
    Login,
    Ping,
    /// Fire-and-forget from `Side::after_login`.
    Internal,
    Rate {
        op: RequestId,
        chat_id: String,
        properties: Value,
        cancel: bool,
    },
    History {
        op: RequestId,
        history: HistoryId,
    },
    Confirm {
        chat_id: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Queued,
    InFlight,
    /// A `send_event` whose connection dropped before it was confirmed.
    Unconfirmed,
}

#[derive(Debug)]
struct Pending {
    action: String,
    payload: Value,
    origin: Origin,
    status: Status,
    deadline: Option<Instant>,
    timeout: Duration,
    /// The push that completes a push-response action (`incoming_chat` / `incoming_event`).
    awaits_push: Option<&'static str>,
    response: Option<Value>,
    push: Option<Value>,
    /// `(chat_id, custom_id)` of an exactly-once `send_event`.
    exactly_once: Option<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HistoryStatus {
    Idle,
    Fetching,
    Done,
}

#[derive(Debug)]
struct History {
    chat_id: String,
    next_page_id: Option<String>,
    status: HistoryStatus,
    waiters: VecDeque<RequestId>,
}

#[derive(Debug)]
struct Conn {
    id: ConnectionId,
    open: bool,
    login_sent: bool,
    logged_in: bool,
}

/// Which push completes a push-response action.
fn completing_push(action: &str) -> Option<&'static str> {
    match action {
        "start_chat" | "resume_chat" => Some("incoming_chat"),
        "send_event" => Some("incoming_event"),
        _ => None,
    }
}

/// The session state machine, for one [`Side`].
pub struct Engine<S: Side> {
    config: ConnectionConfig,
    side: S,
    state: State,
    ever_connected: bool,
    conn: Option<Conn>,
    next_conn: u64,
    next_id: u64,
    pending: HashMap<u64, Pending>,
    queue: VecDeque<u64>,
    priority: VecDeque<u64>,
    in_flight: usize,
    deadlines: BTreeSet<(Instant, u64)>,
    timers: TimerTable,
    outputs: VecDeque<Output<S::Event>>,
    rng: fastrand::Rng,
    token: Option<Token>,
    token_pending: bool,
    token_fresh_needed: bool,
    region: Option<String>,
    socket_backoff: Backoff,
    login_backoff: Backoff,
    slow_backoff: Backoff,
    use_slow_backoff: bool,
    auth_failures: u32,
    last_rx: Option<Instant>,
    unstable: bool,
    histories: HashMap<u64, History>,
    next_history: u64,
    confirming: usize,
    resend: Vec<u64>,
    custom_id_prefix: String,
    custom_id_counter: u64,
    scratch: Vec<S::Event>,
}

impl<S: Side> fmt::Debug for Engine<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("side", &S::PATH)
            .field("state", &self.state)
            .field("in_flight", &self.in_flight)
            .field("queued", &self.queue.len())
            .finish_non_exhaustive()
    }
}

impl<S: Side> Engine<S> {
    /// Create a session. With `auto_connect` (the default) it starts connecting at once:
    /// drain the outputs.
    pub fn with_side(mut config: ConnectionConfig, side: S, now: Instant) -> Engine<S> {
        config.max_in_flight = config.max_in_flight.clamp(1, 10);
        let mut rng = fastrand::Rng::with_seed(config.seed);
        let custom_id_prefix = format!("lcrs-{:08x}", rng.u32(..));
        let mut s = Engine {
            state: State::Idle,
            ever_connected: false,
            conn: None,
            next_conn: 0,
            next_id: 0,
            pending: HashMap::new(),
            queue: VecDeque::new(),
            priority: VecDeque::new(),
            in_flight: 0,
            deadlines: BTreeSet::new(),
            timers: TimerTable::default(),
            outputs: VecDeque::new(),
            rng,
            token: None,
            token_pending: false,
            token_fresh_needed: false,
            region: None,
            socket_backoff: Backoff::new(config.socket_backoff),
            login_backoff: Backoff::new(config.login_backoff),
            slow_backoff: Backoff::new(config.slow_backoff),
            use_slow_backoff: false,
            auth_failures: 0,
            last_rx: None,
            unstable: false,
            histories: HashMap::new(),
            next_history: 0,
            confirming: 0,
            resend: Vec::new(),
            custom_id_prefix,
            custom_id_counter: 0,
            scratch: Vec::new(),
            side,
            config,
        };
        if s.config.auto_connect {
            s.connect(now);
        }
        s
    }

    // ------------------------------------------------------------------ getters

    pub fn state(&self) -> State {
        self.state
    }
    /// The token in use, if any.
    pub fn token(&self) -> Option<&Token> {
        self.token.as_ref()
    }
    /// Requests currently in flight on the socket (never more than 10).
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }
    /// Requests not yet finished (queued, in flight or awaiting confirmation).
    pub fn pending_requests(&self) -> usize {
        self.pending.values().filter(|p| !matches!(p.origin, Origin::Login | Origin::Ping)).count()
    }
    /// The region in use after a `misdirected_connection` switch.
    pub fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }
    pub fn config(&self) -> &ConnectionConfig {
        &self.config
    }
    pub fn side(&self) -> &S {
        &self.side
    }
    pub(crate) fn side_mut(&mut self) -> &mut S {
        &mut self.side
    }
    /// A login is on the wire and not answered yet.
    pub(crate) fn login_in_flight(&self) -> bool {
        self.conn.as_ref().is_some_and(|c| c.login_sent && !c.logged_in)
    }

    // ------------------------------------------------------------------ outputs

    /// Next action for the transport or the application.
    pub fn poll_output(&mut self) -> Option<Output<S::Event>> {
        self.outputs.pop_front()
    }

    /// When to call `handle_timeout` next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let req = self.deadlines.iter().next().map(|(at, _)| *at);
        match (self.timers.next(), req) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn emit(&mut self, event: S::Event) {
        self.outputs.push_back(Output::Event(event));
    }

    fn emit_common(&mut self, event: CommonEvent) {
        self.emit(S::common(event));
    }

    fn disconnected(
        &mut self,
        reason: DisconnectReason,
        will_reconnect: bool,
        destroyed: bool,
        data: Option<Value>,
    ) {
        self.emit_common(CommonEvent::Disconnected(Disconnected { reason, will_reconnect, destroyed, data }));
    }

    /// Run a side hook that may emit events, and emit them in order.
    fn with_side_events<R>(&mut self, f: impl FnOnce(&mut S, &mut Vec<S::Event>) -> R) -> R {
        let mut out = std::mem::take(&mut self.scratch);
        let r = f(&mut self.side, &mut out);
        for e in out.drain(..) {
            self.outputs.push_back(Output::Event(e));
        }
        self.scratch = out;
        r
    }

    // ------------------------------------------------------------------ commands

    /// Connect (or resume after `disconnect()` / a pause). A no-op while connecting or
    /// connected, or after destroy. While waiting to reconnect it reconnects at once.
    pub fn connect(&mut self, now: Instant) {
        match self.state {
            State::Destroyed | State::Connected => {}
            State::Connecting | State::Reconnecting => {
                if self.conn.is_none() {
                    self.timers.stop(Timer::Reconnect);
                    self.start_attempt(now);
                }
            }
            State::Idle | State::Paused => {
                self.state = if self.ever_connected { State::Reconnecting } else { State::Connecting };
                self.auth_failures = 0;
                self.start_attempt(now);
            }
        }
    }

    /// Pause: close the socket and stay disconnected until `connect()`. In-flight requests
    /// fail with `CONNECTION_LOST` (exactly-once sends wait for confirmation instead);
    /// queued requests keep waiting, bounded by their deadline.
    pub fn disconnect(&mut self, now: Instant) {
        if self.state == State::Destroyed {
            return;
        }
        self.close_connection(now, Error::connection_lost(), true);
        self.timers.stop_all();
        self.state = State::Paused;
    }

    /// Destroy: close everything; every unfinished request fails with `SDK_DESTROYED`.
    pub fn destroy(&mut self, now: Instant) {
        if self.state == State::Destroyed {
            return;
        }
        self.close_connection(now, Error::destroyed(), true);
        self.fail_all(Error::destroyed());
        self.timers.stop_all();
        self.state = State::Destroyed;
    }

    /// Send any RTM action with a raw JSON payload. Completes exactly once with
    /// [`Output::Completed`].
    pub fn request(&mut self, now: Instant, action: &str, payload: Value, opts: RequestOptions) -> RequestId {
        let id = self.alloc_id();
        self.submit(now, id, action, payload, Origin::User, opts);
        id
    }

    /// Send a typed request.
    pub fn send<R: crate::request::Request>(
        &mut self,
        now: Instant,
        req: &R,
        opts: RequestOptions,
    ) -> RequestId {
        match serde_json::to_value(req) {
            Ok(payload) => self.request(now, R::ACTION, payload, opts),
            Err(e) => {
                let id = self.alloc_id();
                self.complete(id, Err(Error::invalid(format!("`{}` payload: {e}", R::ACTION))));
                id
            }
        }
    }

    /// `rateChat`: rate the chat's latest thread (`rating` = `{"score": 0|1, "comment"?}`).
    pub fn rate_chat(&mut self, now: Instant, chat_id: &str, rating: Value) -> RequestId {
        self.rate_op(now, chat_id, rating, false)
    }

    /// `cancelRate`: delete rating properties (default `["score"]`) of the latest thread.
    pub fn cancel_rate(&mut self, now: Instant, chat_id: &str, properties: &[&str]) -> RequestId {
        let props: Vec<&str> = if properties.is_empty() { vec!["score"] } else { properties.to_vec() };
        self.rate_op(now, chat_id, json!(props), true)
    }

    fn rate_op(&mut self, now: Instant, chat_id: &str, properties: Value, cancel: bool) -> RequestId {
        let op = self.alloc_id();
        let step = self.alloc_id();
        let origin = Origin::Rate { op, chat_id: chat_id.to_string(), properties, cancel };
        self.submit(
            now,
            step,
            "list_threads",
            json!({ "chat_id": chat_id }),
            origin,
            RequestOptions::default(),
        );
        op
    }

    /// Start a chat-history iterator for `chat_id` (`getChatHistory`).
    pub fn history_open(&mut self, chat_id: &str) -> HistoryId {
        let id = HistoryId(self.next_history);
        self.next_history += 1;
        self.histories.insert(
            id.0,
            History {
                chat_id: chat_id.to_string(),
                next_page_id: None,
                status: HistoryStatus::Idle,
                waiters: VecDeque::new(),
            },
        );
        id
    }

    /// Ask for the next page; completes with a [`HistoryPage`] value. Calls are served one
    /// request at a time in call order; after the last page it completes at once with no
    /// threads and `done: true`.
    pub fn history_next(&mut self, now: Instant, history: HistoryId) -> RequestId {
        let op = self.alloc_id();
        let Some(h) = self.histories.get_mut(&history.0) else {
            self.complete(op, Err(Error::invalid("unknown or closed history iterator")));
            return op;
        };
        match h.status {
            HistoryStatus::Done => {
                self.complete(op, Ok(json!({"threads": [], "done": true})));
            }
            HistoryStatus::Fetching => h.waiters.push_back(op),
            HistoryStatus::Idle => self.history_fetch(now, history, op),
        }
        op
    }

    /// Drop a history iterator; its waiting calls fail with `INVALID_REQUEST`.
    pub fn history_close(&mut self, history: HistoryId) {
        if let Some(h) = self.histories.remove(&history.0) {
            for w in h.waiters {
                self.complete(w, Err(Error::invalid("history iterator closed")));
            }
        }
    }

    fn history_fetch(&mut self, now: Instant, history: HistoryId, op: RequestId) {
        let Some(h) = self.histories.get_mut(&history.0) else { return };
        h.status = HistoryStatus::Fetching;
        let payload = match &h.next_page_id {
            None => json!({"chat_id": h.chat_id, "min_events_count": 25}),
            Some(page) => json!({"chat_id": h.chat_id, "page_id": page}),
        };
        let step = self.alloc_id();
        self.submit(
            now,
            step,
            "list_threads",
            payload,
            Origin::History { op, history },
            RequestOptions::default(),
        );
    }

    // ------------------------------------------------------------------ inputs

    /// The socket `conn` is open.
    pub fn handle_transport_open(&mut self, now: Instant, conn: ConnectionId) {
        let Some(c) = self.conn.as_mut().filter(|c| c.id == conn) else { return };
        c.open = true;
        self.last_rx = Some(now);
        self.try_login(now);
    }

    /// The socket `conn` closed (or failed to open). `code`/`reason` from the close frame.
    pub fn handle_transport_closed(
        &mut self,
        now: Instant,
        conn: ConnectionId,
        code: Option<u16>,
        reason: &str,
    ) {
        if self.conn.as_ref().is_none_or(|c| c.id != conn) {
            return;
        }
        let _ = (code, reason);
        self.connection_lost(now, false);
    }

    /// A token arrived (or fetching one failed).
    pub fn handle_token(&mut self, now: Instant, result: Result<Token, Error>) {
        self.token_pending = false;
        if matches!(self.state, State::Destroyed) {
            return;
        }
        match result {
            Ok(token) => {
                self.token_fresh_needed = false;
                if self.with_side_events(|side, out| side.token_identity(&token, out)) == Identity::Changed {
                    self.drop_calls_of_previous_identity();
                }
                self.token = Some(token);
                self.try_login(now);
            }
            Err(err) => {
                if self.state == State::Paused || self.state == State::Idle {
                    return;
                }
                let retryable = match err.code {
                    ErrorCode::SsoIdentityException | ErrorCode::SsoOauthException => {
                        matches!(err.message.as_str(), "server_error" | "temporarily_unavailable")
                    }
                    _ => true,
                };
                if retryable {
                    self.close_connection(now, Error::connection_lost(), true);
                    let delay = self.login_delay();
                    self.schedule_reconnect(now, delay);
                } else {
                    // The accounts service refused this identity: as the SDK does, stop
                    // for good with the service's word as the reason data.
                    self.destroy_with(
                        now,
                        DisconnectReason::AuthenticationFailed,
                        Some(json!({"error": err.message})),
                    );
                }
            }
        }
    }

    /// One text frame from the socket `conn`.
    pub fn handle_frame(&mut self, now: Instant, conn: ConnectionId, text: &str) {
        if self.conn.as_ref().is_none_or(|c| c.id != conn) || self.state == State::Destroyed {
            return;
        }
        self.heard(now);
        let frame = match Frame::decode(text) {
            Ok(f) => f,
            Err(e) => {
                self.emit_common(CommonEvent::FrameRejected { error: e.to_string() });
                return;
            }
        };
        match frame {
            Frame::Response(r) => self.on_response(now, r),
            Frame::Push(p) => self.on_push(now, p),
        }
    }

    /// Time passed: fire whatever is due.
    pub fn handle_timeout(&mut self, now: Instant) {
        for timer in Timer::VALUES {
            if !self.timers.take_expired(timer, now) {
                continue;
            }
            match timer {
                Timer::Reconnect => {
                    if matches!(self.state, State::Connecting | State::Reconnecting) && self.conn.is_none() {
                        self.start_attempt(now);
                    }
                }
                Timer::Login => {
                    // Open + token + login did not finish in time: try again, silently.
                    self.close_connection(now, Error::connection_lost(), true);
                    let delay = self.login_delay();
                    self.schedule_reconnect(now, delay);
                }
                Timer::Ping => {
                    if self.logged_in() {
                        if self.in_flight < self.config.max_in_flight {
                            let id = self.alloc_id();
                            self.insert(id, "ping", json!({}), Origin::Ping, None, None);
                            self.transmit(now, id.0);
                        }
                        self.timers.set(Timer::Ping, now + self.config.keepalive.ping_interval);
                    }
                }
                Timer::Unstable => {
                    if self.logged_in() && !self.unstable {
                        self.unstable = true;
                        self.emit_common(CommonEvent::ConnectionUnstable);
                    }
                }
                Timer::Dead => {
                    if self.conn.is_some() {
                        self.connection_lost(now, true);
                    }
                }
            }
        }
        while let Some(&(at, id)) = self.deadlines.iter().next() {
            if at > now {
                break;
            }
            self.deadlines.remove(&(at, id));
            let Some(p) = self.pending.get(&id) else { continue };
            if p.deadline != Some(at) {
                continue;
            }
            let err = match p.status {
                Status::InFlight => Error::timeout(p.timeout),
                Status::Queued | Status::Unconfirmed => Error::new(
                    ErrorCode::RequestTimeout,
                    format!(
                        "Request timed out waiting {} ms for a connection.",
                        self.config.queue_timeout.as_millis()
                    ),
                ),
            };
            if let Some(p) = self.finish(id) {
                self.fail_origin(now, RequestId(id), p, err);
            }
        }
        self.pump(now);
    }

    // ------------------------------------------------------------------ connection

    fn logged_in(&self) -> bool {
        self.conn.as_ref().is_some_and(|c| c.logged_in)
    }

    fn url(&self) -> Option<String> {
        let base = self.config.endpoint.base_for(self.region.as_deref())?;
        let version = self.config.api_version_normalized().ok()?;
        Some(format!(
            "{base}/v{version}/{}/rtm/ws?organization_id={}",
            S::PATH,
            crate::http::encode_query_component(&self.config.organization_id)
        ))
    }

    fn start_attempt(&mut self, now: Instant) {
        if let Err(e) = self.config.validate() {
            // Nothing to connect to: a version the service does not speak.
            let data = json!({ "error": e.message });
            return self.destroy_with(now, DisconnectReason::UnsupportedVersion, Some(data));
        }
        let Some(url) = self.url() else {
            let region = self.region.clone();
            self.pause(now, DisconnectReason::MisdirectedConnection, region.map(|r| json!({ "region": r })));
            return;
        };
        let id = ConnectionId(self.next_conn);
        self.next_conn += 1;
        self.conn = Some(Conn { id, open: false, login_sent: false, logged_in: false });
        self.outputs.push_back(Output::Open { conn: id, url });
        self.timers.set(Timer::Login, now + self.config.login_timeout);
        self.ensure_token(now);
    }

    fn ensure_token(&mut self, now: Instant) {
        if self.token_pending {
            return;
        }
        let fresh = match &self.token {
            None => self.token_fresh_needed,
            // Refresh before login when under an hour is left (as the official SDK does).
            Some(t) => self.token_fresh_needed || t.needs_refresh(now, REFRESH_MARGIN),
        };
        if self.token.is_none() || fresh {
            if let Some(token) = self.side.provide_token(now, fresh) {
                self.handle_token(now, Ok(token));
                return;
            }
            self.token_pending = true;
            self.outputs.push_back(Output::FetchToken { fresh });
        }
    }

    /// The token names someone else: calls made for the previous user are not sent as the
    /// new one; they fail with `IDENTITY_CHANGED`.
    fn drop_calls_of_previous_identity(&mut self) {
        let err = Error::new(ErrorCode::IdentityChanged, "The customer identity changed.");
        for (_, h) in std::mem::take(&mut self.histories) {
            for w in h.waiters {
                self.complete(w, Err(err.clone()));
            }
        }
        let mut ids: Vec<u64> = self
            .pending
            .iter()
            .filter(|(_, p)| !matches!(p.origin, Origin::Login | Origin::Ping))
            .map(|(id, _)| *id)
            .collect();
        ids.sort_unstable();
        for id in ids {
            if let Some(p) = self.finish(id) {
                self.fail_origin_quiet(RequestId(id), p, err.clone());
            }
        }
        self.resend.clear();
        self.confirming = 0;
    }

    fn try_login(&mut self, now: Instant) {
        let ready = self.conn.as_ref().is_some_and(|c| c.open && !c.login_sent);
        let Some(token) = self.token.as_ref().filter(|_| ready && !self.token_pending) else { return };
        let token = token.authorization_value();
        let mut payload = self.side.login_payload(&token);
        payload.insert(
            "application".into(),
            serde_json::to_value(&self.config.application).unwrap_or(Value::Null),
        );
        if let Some(p) = &self.config.pushes {
            payload.insert("pushes".into(), serde_json::to_value(p).unwrap_or(Value::Null));
        }
        if let Some(c) = self.conn.as_mut() {
            c.login_sent = true;
        }
        let id = self.alloc_id();
        self.insert(id, "login", Value::Object(payload), Origin::Login, None, None);
        self.transmit(now, id.0);
    }

    fn on_login_ok(&mut self, now: Instant, payload: Value) {
        if let Err(e) = self.with_side_events(|side, out| side.login_ok(payload, out)) {
            self.emit_common(CommonEvent::FrameRejected { error: format!("login response: {e}") });
            self.close_connection(now, Error::connection_lost(), true);
            let delay = self.login_delay();
            self.schedule_reconnect(now, delay);
            return;
        }
        if let Some(c) = self.conn.as_mut() {
            c.logged_in = true;
        }
        self.state = State::Connected;
        self.ever_connected = true;
        self.socket_backoff.reset();
        self.login_backoff.reset();
        self.slow_backoff.reset();
        self.use_slow_backoff = false;
        self.auth_failures = 0;
        self.timers.stop(Timer::Login);
        self.timers.stop(Timer::Reconnect);
        self.timers.set(Timer::Ping, now + self.config.keepalive.ping_interval);
        self.arm_quality_timers(now);
        for (action, payload) in self.side.after_login() {
            let id = self.alloc_id();
            self.insert(id, &action, payload, Origin::Internal, None, None);
            self.priority.push_back(id.0);
        }
        self.start_confirmations();
        self.pump(now);
    }

    fn on_login_err(&mut self, now: Instant, err: Error) {
        let region =
            err.data.as_ref().and_then(|d| d.get("region")).and_then(Value::as_str).map(str::to_string);
        match err.code {
            ErrorCode::Authentication => {
                self.auth_failures += 1;
                if self.auth_failures >= self.config.max_auth_failures {
                    let data = json!({"error": err.message});
                    self.pause(now, DisconnectReason::AuthenticationFailed, Some(data));
                    return;
                }
                // Fetch a fresh token and try again (as the official SDK does).
                self.token_fresh_needed = true;
            }
            ErrorCode::UsersLimitReached => {
                return self.pause(now, DisconnectReason::UsersLimitReached, None);
            }
            ErrorCode::LicenseExpired => return self.pause(now, DisconnectReason::LicenseExpired, None),
            ErrorCode::CustomerBanned => {
                return self.destroy_with(now, DisconnectReason::CustomerBanned, None);
            }
            ErrorCode::WrongProductVersion => {
                return self.destroy_with(now, DisconnectReason::WrongProductVersion, None);
            }
            ErrorCode::LicenseNotFound => {
                return self.destroy_with(now, DisconnectReason::LicenseNotFound, None);
            }
            ErrorCode::UnsupportedVersion => {
                return self.destroy_with(now, DisconnectReason::UnsupportedVersion, None);
            }
            ErrorCode::MisdirectedRequest if region.is_some() => {
                return self.switch_region(now, region, err.data);
            }
            ErrorCode::ServiceUnavailable | ErrorCode::ServiceTemporarilyUnavailable => {
                self.use_slow_backoff = true;
            }
            _ => {}
        }
        self.close_connection(now, Error::connection_lost(), true);
        let delay = self.login_delay();
        self.schedule_reconnect(now, delay);
    }

    fn login_delay(&mut self) -> Duration {
        if self.use_slow_backoff {
            self.slow_backoff.next(&mut self.rng)
        } else {
            self.login_backoff.next(&mut self.rng)
        }
    }

    fn heard(&mut self, now: Instant) {
        self.last_rx = Some(now);
        if self.unstable {
            self.unstable = false;
            self.emit_common(CommonEvent::ConnectionRecovered);
        }
        if self.logged_in() {
            self.arm_quality_timers(now);
        }
    }

    fn arm_quality_timers(&mut self, now: Instant) {
        let last = self.last_rx.unwrap_or(now);
        self.timers.set(Timer::Unstable, last + self.config.keepalive.unstable_after);
        self.timers.set(Timer::Dead, last + self.config.keepalive.dead_after);
    }

    /// The socket went away without the server saying why (closed, or judged dead).
    fn connection_lost(&mut self, now: Instant, we_close: bool) {
        let was_connected = self.state == State::Connected;
        self.close_connection(now, Error::connection_lost(), we_close);
        if was_connected {
            self.state = State::Reconnecting;
            self.disconnected(DisconnectReason::ConnectionLost, true, false, None);
            let delay = self.socket_backoff.next(&mut self.rng);
            self.schedule_reconnect(now, delay);
        } else if matches!(self.state, State::Connecting | State::Reconnecting) {
            let delay = self.login_delay();
            self.schedule_reconnect(now, delay);
        }
    }

    /// Forget the current socket (asking the transport to close it when `we_close`), stop
    /// its timers and settle what was in flight on it.
    fn close_connection(&mut self, now: Instant, err: Error, we_close: bool) {
        let Some(conn) = self.conn.take() else { return };
        if we_close {
            self.outputs.push_back(Output::Close { conn: conn.id });
        }
        for t in [Timer::Login, Timer::Ping, Timer::Unstable, Timer::Dead] {
            self.timers.stop(t);
        }
        self.unstable = false;
        self.in_flight = 0;
        self.confirming = 0;
        // Resends chosen by an unfinished confirmation go back to awaiting confirmation.
        for id in std::mem::take(&mut self.resend) {
            if let Some(p) = self.pending.get_mut(&id) {
                p.status = Status::Unconfirmed;
            }
        }
        let mut ids: Vec<u64> = self
            .pending
            .iter()
            .filter(|(_, p)| p.status == Status::InFlight || matches!(p.origin, Origin::Confirm { .. }))
            .map(|(id, _)| *id)
            .collect();
        ids.sort_unstable();
        for id in ids {
            let Some(p) = self.pending.get_mut(&id) else { continue };
            if p.exactly_once.is_some() && p.status == Status::InFlight {
                // Maybe delivered, maybe not: confirm after the next login.
                p.status = Status::Unconfirmed;
                p.response = None;
                p.push = None;
                if let Some(old) = p.deadline {
                    self.deadlines.remove(&(old, id));
                }
                let at = now + self.config.queue_timeout;
                p.deadline = Some(at);
                self.deadlines.insert((at, id));
                continue;
            }
            if let Some(p) = self.finish(id) {
                self.fail_origin(now, RequestId(id), p, err.clone());
            }
        }
        self.priority.retain(|id| self.pending.contains_key(id));
    }

    fn schedule_reconnect(&mut self, now: Instant, delay: Duration) {
        if self.state == State::Connected {
            self.state = State::Reconnecting;
        }
        self.timers.set(Timer::Reconnect, now + delay);
    }

    fn pause(&mut self, now: Instant, reason: DisconnectReason, data: Option<Value>) {
        self.close_connection(now, Error::connection_lost(), true);
        self.timers.stop_all();
        self.state = State::Paused;
        self.disconnected(reason, false, false, data);
    }

    fn destroy_with(&mut self, now: Instant, reason: DisconnectReason, data: Option<Value>) {
        self.close_connection(now, Error::connection_lost(), true);
        self.fail_all(Error::destroyed());
        self.timers.stop_all();
        self.state = State::Destroyed;
        self.disconnected(reason, false, true, data);
    }

    fn switch_region(&mut self, now: Instant, region: Option<String>, data: Option<Value>) {
        let known = region.as_deref().and_then(|r| self.config.endpoint.base_for(Some(r))).is_some();
        if !known {
            return self.pause(now, DisconnectReason::MisdirectedConnection, data);
        }
        self.region = region;
        self.close_connection(
            now,
            Error::new(ErrorCode::MisdirectedConnection, "Connected to wrong region."),
            true,
        );
        self.disconnected(DisconnectReason::MisdirectedConnection, true, false, data);
        self.schedule_reconnect(now, Duration::ZERO);
    }

    fn on_server_disconnect(&mut self, now: Instant, reason: DisconnectReason, data: Option<Value>) {
        match S::reaction(&reason) {
            Reaction::Reconnect { delay, fresh_token } => {
                if fresh_token {
                    self.token_fresh_needed = true;
                }
                let logged_in = self.logged_in();
                self.close_connection(now, Error::connection_lost(), true);
                self.disconnected(reason, true, false, data);
                let delay = match delay {
                    Delay::Immediate => Duration::ZERO,
                    Delay::Short => self.config.short_reconnect_delay,
                    Delay::Backoff if logged_in => self.socket_backoff.next(&mut self.rng),
                    Delay::Backoff => self.login_delay(),
                    Delay::SlowBackoff => {
                        self.use_slow_backoff = true;
                        self.slow_backoff.next(&mut self.rng)
                    }
                };
                self.schedule_reconnect(now, delay);
            }
            Reaction::SwitchRegion => {
                let region =
                    data.as_ref().and_then(|d| d.get("region")).and_then(Value::as_str).map(str::to_string);
                self.switch_region(now, region, data);
            }
            Reaction::Pause => self.pause(now, reason, data),
            Reaction::Destroy => self.destroy_with(now, reason, data),
        }
    }
    // ------------------------------------------------------------------ requests

    fn alloc_id(&mut self) -> RequestId {
        self.next_id += 1;
        RequestId(self.next_id)
    }

    fn insert(
        &mut self,
        id: RequestId,
        action: &str,
        payload: Value,
        origin: Origin,
        timeout: Option<Duration>,
        exactly_once: Option<(String, String)>,
    ) {
        self.pending.insert(
            id.0,
            Pending {
                action: action.to_string(),
                payload,
                origin,
                status: Status::Queued,
                deadline: None,
                timeout: timeout.unwrap_or(self.config.request_timeout),
                awaits_push: self.side.completing_push(action),
                response: None,
                push: None,
                exactly_once,
            },
        );
    }

    fn submit(
        &mut self,
        now: Instant,
        id: RequestId,
        action: &str,
        mut payload: Value,
        origin: Origin,
        opts: RequestOptions,
    ) {
        let gate = match self.state {
            State::Destroyed => Err(Error::destroyed()),
            State::Idle | State::Paused => Err(Error::new(ErrorCode::NoConnection, "No connection.")),
            _ if self.queue.len() >= self.config.queue_limit => Err(Error::new(
                ErrorCode::QueueFull,
                format!(
                    "{} calls are already waiting; the queue limit is {}.",
                    self.queue.len(),
                    self.config.queue_limit
                ),
            )),
            _ => validate(action, &payload).and_then(|()| self.side.validate(action, &payload)),
        };
        if let Err(e) = gate {
            let p = Pending {
                action: action.to_string(),
                payload: Value::Null,
                origin,
                status: Status::Queued,
                deadline: None,
                timeout: Duration::ZERO,
                awaits_push: None,
                response: None,
                push: None,
                exactly_once: None,
            };
            self.fail_origin(now, id, p, e);
            return;
        }
        let exactly_once = if action == "send_event" && opts.exactly_once {
            self.prepare_exactly_once(&mut payload)
        } else {
            None
        };
        self.insert(id, action, payload, origin, opts.timeout, exactly_once);
        let at = now + self.config.queue_timeout;
        if let Some(p) = self.pending.get_mut(&id.0) {
            p.deadline = Some(at);
        }
        self.deadlines.insert((at, id.0));
        self.queue.push_back(id.0);
        self.pump(now);
    }

    /// Give the event a `custom_id` (keeping the caller's) and remember it.
    fn prepare_exactly_once(&mut self, payload: &mut Value) -> Option<(String, String)> {
        let chat_id = payload.get("chat_id")?.as_str()?.to_string();
        let event = payload.get_mut("event")?.as_object_mut()?;
        let custom_id = match event.get("custom_id").and_then(Value::as_str) {
            Some(c) => c.to_string(),
            None => {
                self.custom_id_counter += 1;
                let c = format!("{}-{}", self.custom_id_prefix, self.custom_id_counter);
                event.insert("custom_id".into(), Value::String(c.clone()));
                c
            }
        };
        Some((chat_id, custom_id))
    }

    /// Send queued requests while logged in and under the in-flight limit. During a
    /// confirmation phase only the confirmations go out, so re-sent events keep their order.
    fn pump(&mut self, now: Instant) {
        if !self.logged_in() {
            return;
        }
        while self.in_flight < self.config.max_in_flight {
            let next = if let Some(id) = self.priority.pop_front() {
                id
            } else if self.confirming > 0 {
                break;
            } else if let Some(id) = self.queue.pop_front() {
                id
            } else {
                break;
            };
            if self.pending.get(&next).is_some_and(|p| p.status == Status::Queued) {
                self.transmit(now, next);
            }
        }
    }

    fn transmit(&mut self, now: Instant, id: u64) {
        let Some(conn) = self.conn.as_ref().map(|c| c.id) else { return };
        let Some(p) = self.pending.get_mut(&id) else { return };
        let rid = id.to_string();
        let text =
            RequestFrame { request_id: &rid, action: &p.action, payload: &p.payload, version: None }.encode();
        p.status = Status::InFlight;
        if let Some(old) = p.deadline.take() {
            self.deadlines.remove(&(old, id));
        }
        // Login is bounded by the login timer, pings by the dead-socket timer.
        if !matches!(p.origin, Origin::Login | Origin::Ping) {
            let at = now + p.timeout;
            p.deadline = Some(at);
            self.deadlines.insert((at, id));
        }
        self.in_flight += 1;
        self.outputs.push_back(Output::Send { conn, text });
    }

    /// Remove a request from every table; returns it if it was there.
    fn finish(&mut self, id: u64) -> Option<Pending> {
        let p = self.pending.remove(&id)?;
        if let Some(at) = p.deadline {
            self.deadlines.remove(&(at, id));
        }
        match p.status {
            Status::InFlight => self.in_flight = self.in_flight.saturating_sub(1),
            Status::Queued => {
                self.queue.retain(|q| *q != id);
                self.priority.retain(|q| *q != id);
            }
            Status::Unconfirmed => {}
        }
        Some(p)
    }

    fn complete(&mut self, id: RequestId, result: Result<Value, Error>) {
        self.outputs.push_back(Output::Completed { id, result });
    }

    fn fail_all(&mut self, err: Error) {
        let mut ids: Vec<u64> = self.pending.keys().copied().collect();
        ids.sort_unstable();
        for id in ids {
            if let Some(p) = self.finish(id) {
                self.fail_origin_quiet(RequestId(id), p, err.clone());
            }
        }
        for (_, h) in std::mem::take(&mut self.histories) {
            for w in h.waiters {
                self.complete(w, Err(err.clone()));
            }
        }
    }

    /// Settle a failed request according to who asked for it.
    fn fail_origin(&mut self, now: Instant, id: RequestId, p: Pending, err: Error) {
        match p.origin {
            Origin::Confirm { chat_id } => match err.code {
                // The check itself was cut off with its socket: the sends stay unconfirmed
                // and are checked again after the next login. Re-sending them blindly here
                // would store twice an event the server already has.
                ErrorCode::ConnectionLost | ErrorCode::MisdirectedConnection | ErrorCode::SdkDestroyed => {}
                // No answer in time: ask again rather than guess (the sends' own deadlines
                // bound this).
                ErrorCode::RequestTimeout if self.has_unconfirmed(&chat_id) => {
                    self.confirming = self.confirming.saturating_sub(1);
                    self.queue_confirmation(chat_id);
                }
                // The server refused to show the chat, so the events cannot be in it:
                // re-send, and the server's answer to the send decides.
                _ => self.confirm_done(now, &chat_id, None),
            },
            Origin::History { op, history } => {
                self.complete(op, Err(err.clone()));
                if let Some(h) = self.histories.get_mut(&history.0) {
                    h.status = HistoryStatus::Idle;
                    let waiters: Vec<RequestId> = h.waiters.drain(..).collect();
                    for w in waiters {
                        self.complete(w, Err(err.clone()));
                    }
                }
            }
            _ => self.fail_origin_quiet(id, p, err),
        }
    }

    fn fail_origin_quiet(&mut self, id: RequestId, p: Pending, err: Error) {
        match p.origin {
            Origin::User => self.complete(id, Err(err)),
            Origin::Rate { op, .. } | Origin::History { op, .. } => self.complete(op, Err(err)),
            Origin::Internal => self.side.internal_failed(&p.action),
            Origin::Login | Origin::Ping | Origin::Confirm { .. } => {}
        }
    }

    fn on_response(&mut self, now: Instant, r: wire::Response) {
        // Our ids are decimal; anything else is not ours (ignored, as a stray response).
        let Some(id) = r.request_id.as_deref().and_then(|s| s.parse::<u64>().ok()) else { return };
        let Some(p) = self.pending.get_mut(&id) else { return };
        if p.status != Status::InFlight {
            return;
        }
        match (&p.origin, r.result) {
            (Origin::Login, result) => {
                self.finish(id);
                match result {
                    Ok(payload) => self.on_login_ok(now, payload),
                    Err(err) => self.on_login_err(now, err),
                }
            }
            (Origin::Ping, _) => {
                self.finish(id);
            }
            (_, Ok(payload)) if p.awaits_push.is_some() => {
                p.response = Some(payload);
                if p.push.is_some() {
                    self.complete_push_response(now, id);
                }
            }
            (_, result) => {
                if let Some(p) = self.finish(id) {
                    match result {
                        Ok(payload) => self.on_success(now, RequestId(id), p, payload),
                        Err(err) => self.fail_origin(now, RequestId(id), p, err),
                    }
                }
            }
        }
        self.pump(now);
    }

    fn complete_push_response(&mut self, now: Instant, id: u64) {
        let Some(mut p) = self.finish(id) else { return };
        let mut merged = match p.response.take() {
            Some(Value::Object(m)) => m,
            _ => Map::new(),
        };
        if let Some(Value::Object(push)) = p.push.take() {
            merged.extend(push);
        }
        self.on_success(now, RequestId(id), p, Value::Object(merged));
    }

    fn on_success(&mut self, now: Instant, id: RequestId, p: Pending, payload: Value) {
        match p.origin {
            Origin::User => {
                self.with_side_events(|side, out| side.response(&p.action, &payload, out));
                self.complete(id, Ok(payload));
            }
            Origin::Rate { op, chat_id, properties, cancel } => {
                let thread = payload.pointer("/threads/0/id").and_then(Value::as_str).map(str::to_string);
                let Some(thread_id) = thread else {
                    let err = Error::new(
                        ErrorCode::MissingChatThread,
                        format!("There is no thread in \"{chat_id}\"."),
                    );
                    return self.complete(op, Err(err));
                };
                let (action, payload) = if cancel {
                    (
                        "delete_thread_properties",
                        json!({"chat_id": chat_id, "thread_id": thread_id, "properties": {"rating": properties}}),
                    )
                } else {
                    (
                        "update_thread_properties",
                        json!({"chat_id": chat_id, "thread_id": thread_id, "properties": {"rating": properties}}),
                    )
                };
                self.submit(now, op, action, payload, Origin::User, RequestOptions::default());
            }
            Origin::History { op, history } => self.history_page(now, op, history, payload),
            Origin::Confirm { chat_id } => self.confirm_done(now, &chat_id, Some(&payload)),
            Origin::Internal | Origin::Login | Origin::Ping => {}
        }
    }

    fn history_page(&mut self, now: Instant, op: RequestId, history: HistoryId, payload: Value) {
        let next =
            payload.get("next_page_id").and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
        let mut threads: Vec<Value> =
            payload.get("threads").and_then(Value::as_array).cloned().unwrap_or_default();
        threads.reverse();
        let done = next.is_none();
        self.complete(op, Ok(json!({"threads": threads, "done": done})));
        let Some(h) = self.histories.get_mut(&history.0) else { return };
        h.next_page_id = next;
        h.status = if done { HistoryStatus::Done } else { HistoryStatus::Idle };
        if let Some(w) = h.waiters.pop_front() {
            if done {
                let rest: Vec<RequestId> = std::iter::once(w).chain(h.waiters.drain(..)).collect();
                for w in rest {
                    self.complete(w, Ok(json!({"threads": [], "done": true})));
                }
            } else {
                self.history_fetch(now, history, w);
            }
        }
    }

    // ------------------------------------------------------------------ exactly-once

    fn start_confirmations(&mut self) {
        let mut chats: Vec<String> = self
            .pending
            .values()
            .filter(|p| p.status == Status::Unconfirmed)
            .filter_map(|p| p.exactly_once.as_ref().map(|(c, _)| c.clone()))
            .collect();
        chats.sort();
        chats.dedup();
        for chat_id in chats {
            self.queue_confirmation(chat_id);
        }
    }

    fn has_unconfirmed(&self, chat_id: &str) -> bool {
        self.pending.values().any(|p| {
            p.status == Status::Unconfirmed && p.exactly_once.as_ref().is_some_and(|(c, _)| c == chat_id)
        })
    }

    /// Check `chat_id` for the unconfirmed sends: the latest threads holding at least 100
    /// events (the unconfirmed events are among the newest of the chat).
    fn queue_confirmation(&mut self, chat_id: String) {
        let id = self.alloc_id();
        let payload = json!({"chat_id": chat_id, "min_events_count": 100});
        self.insert(id, "list_threads", payload, Origin::Confirm { chat_id }, None, None);
        self.priority.push_back(id.0);
        self.confirming += 1;
    }

    /// A confirmation for `chat_id` finished: complete the sends found in the chat, and
    /// queue the rest for re-sending, ahead of everything else and in their original order.
    fn confirm_done(&mut self, now: Instant, chat_id: &str, threads: Option<&Value>) {
        let mut found: HashMap<String, (String, Value)> = HashMap::new();
        for t in threads.and_then(|v| v.get("threads")).and_then(Value::as_array).into_iter().flatten() {
            let thread_id = t.get("id").and_then(Value::as_str).unwrap_or_default();
            for e in t.get("events").and_then(Value::as_array).into_iter().flatten() {
                if let Some(c) = e.get("custom_id").and_then(Value::as_str) {
                    found.insert(c.to_string(), (thread_id.to_string(), e.clone()));
                }
            }
        }
        let mut ids: Vec<u64> = self
            .pending
            .iter()
            .filter(|(_, p)| p.status == Status::Unconfirmed)
            .filter(|(_, p)| p.exactly_once.as_ref().is_some_and(|(c, _)| c == chat_id))
            .map(|(id, _)| *id)
            .collect();
        ids.sort_unstable();
        for id in ids {
            let custom = self.pending.get(&id).and_then(|p| p.exactly_once.as_ref()).map(|(_, c)| c.clone());
            match custom.and_then(|c| found.remove(&c)) {
                Some((thread_id, event)) => {
                    if let Some(p) = self.finish(id) {
                        let event_id = event.get("id").cloned().unwrap_or(Value::Null);
                        let value = json!({"event_id": event_id, "chat_id": chat_id, "thread_id": thread_id, "event": event});
                        self.on_success(now, RequestId(id), p, value);
                    }
                }
                None => {
                    if let Some(p) = self.pending.get_mut(&id) {
                        p.status = Status::Queued;
                        self.resend.push(id);
                    }
                }
            }
        }
        self.confirming = self.confirming.saturating_sub(1);
        if self.confirming == 0 {
            let mut resend = std::mem::take(&mut self.resend);
            resend.sort_unstable();
            for id in resend.into_iter().rev() {
                self.queue.push_front(id);
            }
        }
    }

    // ------------------------------------------------------------------ pushes

    fn on_push(&mut self, now: Instant, push: wire::Push) {
        // A push-response: completes the request that carries this id, not re-emitted.
        if let Some(id) = push.request_id.as_deref().and_then(|s| s.parse::<u64>().ok())
            && let Some(p) = self.pending.get(&id)
            && p.status == Status::InFlight
            && p.awaits_push == Some(push_action_static(&push.action))
        {
            self.with_side_events(|side, out| side.push_response(&push.action, &push.payload, out));
            let Some(p) = self.pending.get_mut(&id) else { return };
            p.push = Some(push.payload);
            if p.response.is_some() {
                self.complete_push_response(now, id);
                self.pump(now);
            }
            return;
        }
        if push.action == S::DISCONNECT_PUSH {
            let reason = push.payload.get("reason").and_then(Value::as_str).unwrap_or("").to_string();
            let data = push.payload.get("data").filter(|d| !d.is_null()).cloned();
            return self.on_server_disconnect(now, DisconnectReason::from_wire(&reason), data);
        }
        self.with_side_events(|side, out| side.push(&push.action, push.payload, out));
    }
}

fn push_action_static(action: &str) -> &'static str {
    match action {
        "incoming_chat" => "incoming_chat",
        "incoming_event" => "incoming_event",
        _ => "",
    }
}

/// Checks every side shares, done before sending.
fn validate(action: &str, payload: &Value) -> Result<(), Error> {
    match action {
        "login" | "ping" => Err(Error::invalid(format!("`{action}` is sent by the session itself"))),
        _ if !payload.is_object() => Err(Error::invalid(format!("`{action}` payload must be a JSON object"))),
        "list_threads" if payload.get("limit").and_then(Value::as_u64).is_some_and(|l| l > 100) => {
            Err(Error::invalid("list_threads: `limit` is too high (max 100)."))
        }
        "list_threads"
            if payload
                .get("min_events_count")
                .and_then(Value::as_u64)
                .is_some_and(|l| !(1..=100).contains(&l)) =>
        {
            Err(Error::invalid("list_threads: `min_events_count` must be 1..100."))
        }
        "list_threads" if payload.get("limit").is_some() && payload.get("min_events_count").is_some() => {
            Err(Error::invalid("list_threads: `limit` and `min_events_count` cannot be used together."))
        }
        "send_event" if payload.get("chat_id").and_then(Value::as_str).is_none() => {
            Err(Error::invalid("send_event: `chat_id` is required"))
        }
        "send_event" if !payload.get("event").is_some_and(Value::is_object) => {
            Err(Error::invalid("send_event: `event` must be an object"))
        }
        _ => Ok(()),
    }
}
