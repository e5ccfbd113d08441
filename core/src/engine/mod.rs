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
mod connection;
mod credentials;
mod delivered;
mod exactly_once;
mod failure;
mod history;
mod keepalive;
mod lifecycle;
mod recovery;
mod requests;
mod side;
mod types;

pub use side::{Side, Timeline};
pub use types::*;

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::fmt;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::backoff::Backoff;
use crate::disconnect::DisconnectReason;
use crate::error::{Error, ErrorCode};
use crate::timer::{Timer, TimerTable};
use crate::token::Token;
use crate::wire::Frame;
use config::ConnectionConfig;
use lifecycle::Phase;

/// Who asked for a request, and what its result is for. `T` is the side's [`Side::Step`].
#[derive(Debug, Clone, PartialEq)]
enum Origin<T> {
    User,
    Login,
    Ping,
    /// Fire-and-forget from `Side::after_login`.
    Internal,
    /// The first request of a side's two-step command (`rateChat`: the chat's latest thread
    /// first); on success [`Side::next_step`] names the second, sent under `op`.
    Step {
        op: RequestId,
        step: T,
    },
    History {
        op: RequestId,
        history: HistoryId,
    },
    Confirm {
        chat_id: String,
        /// Covers the sends that became unconfirmed up to this mark (see `Pending::mark`).
        covers: u64,
    },
    /// What a drop hid (`recovery`).
    Recover(recovery::Step),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Queued,
    InFlight,
    /// A `send_event` whose connection dropped before it was confirmed.
    Unconfirmed,
}

#[derive(Debug)]
struct Pending<T> {
    action: String,
    payload: Value,
    origin: Origin<T>,
    status: Status,
    deadline: Option<Instant>,
    timeout: Duration,
    /// The push that completes a push-response action (`incoming_chat` / `incoming_event`).
    awaits_push: Option<&'static str>,
    response: Option<Value>,
    push: Option<Value>,
    /// `(chat_id, custom_id)` of an exactly-once `send_event`.
    exactly_once: Option<(String, String)>,
    /// Times it was put on the wire. A re-send goes out as `"<id>.<attempt>"`, so a late
    /// answer to an earlier attempt is never taken for the answer to this one.
    attempt: u32,
    /// When it became unconfirmed (a session-wide counter): a confirmation covers only the
    /// sends marked before it was queued, so a send that times out while a check is already
    /// on the wire waits for a check of its own instead of being re-sent on the old answer.
    mark: u64,
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

/// Where one socket is in its life: each step happens once, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ConnPhase {
    /// Asked the transport to open it.
    Opening,
    /// Open; the login goes out as soon as a token is there.
    Open,
    /// The login is on the wire.
    LoginSent,
    /// Logged in: calls may go out.
    LoggedIn,
}

#[derive(Debug)]
struct Conn {
    id: ConnectionId,
    url: String,
    phase: ConnPhase,
}

/// The session state machine, for one [`Side`].
pub struct Engine<S: Side> {
    config: ConnectionConfig,
    side: S,
    phase: Phase,
    conn: Option<Conn>,
    next_conn: u64,
    next_id: u64,
    pending: HashMap<u64, Pending<S::Step>>,
    queue: VecDeque<u64>,
    priority: VecDeque<u64>,
    /// Requests on the wire (the login included, pings not): the in-flight limit counts these.
    in_flight: BTreeSet<u64>,
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
    short_backoff: Backoff,
    use_slow_backoff: bool,
    /// The keepalive `ping` on the wire, if any (at most one).
    ping_out: Option<u64>,
    unconfirmed_mark: u64,
    auth_failures: u32,
    last_rx: Option<Instant>,
    unstable: bool,
    histories: HashMap<u64, History>,
    next_history: u64,
    /// Exactly-once checks not finished yet; queued calls wait until there are none.
    confirming: BTreeSet<u64>,
    resend: Vec<u64>,
    custom_id_prefix: String,
    custom_id_counter: u64,
    scratch: Vec<S::Event>,
    /// What the application was given of each chat (de-duplication, `delivered`).
    delivered: delivered::Delivered,
    recovery: recovery::Recovery<S::Event>,
}

impl<S: Side> fmt::Debug for Engine<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("side", &S::PATH)
            .field("state", &self.phase.state())
            .field("in_flight", &self.in_flight.len())
            .field("queued", &self.queue.len())
            .finish_non_exhaustive()
    }
}

impl<S: Side> Engine<S> {
    /// Create a session. With `auto_connect` (the default) it starts connecting at once:
    /// drain the outputs.
    pub fn with_side(mut config: ConnectionConfig, side: S, now: Instant) -> Engine<S> {
        config.max_in_flight = config.max_in_flight.clamp(1, 10);
        // `custom_id`s must never collide with another client's (exactly-once trusts them):
        // 128 bits from the OS unless a test fixed the seed.
        let (rng, custom_id_prefix) = match config.seed {
            Some(seed) => {
                let mut rng = fastrand::Rng::with_seed(seed);
                let prefix = format!("lcrs-{:016x}{:016x}", rng.u64(..), rng.u64(..));
                (rng, prefix)
            }
            None => (
                fastrand::Rng::with_seed(crate::entropy::random_u64()),
                format!("lcrs-{}", crate::entropy::random_hex_128()),
            ),
        };
        let mut s = Engine {
            phase: Phase::Idle,
            conn: None,
            next_conn: 0,
            next_id: 0,
            pending: HashMap::new(),
            queue: VecDeque::new(),
            priority: VecDeque::new(),
            in_flight: BTreeSet::new(),
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
            short_backoff: Backoff::new(config.short_backoff),
            use_slow_backoff: false,
            ping_out: None,
            unconfirmed_mark: 0,
            auth_failures: 0,
            last_rx: None,
            unstable: false,
            histories: HashMap::new(),
            next_history: 0,
            confirming: BTreeSet::new(),
            resend: Vec::new(),
            custom_id_prefix,
            custom_id_counter: 0,
            scratch: Vec::new(),
            delivered: delivered::Delivered::default(),
            recovery: recovery::Recovery::default(),
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
        self.phase.state()
    }
    /// The token in use, if any.
    pub fn token(&self) -> Option<&Token> {
        self.token.as_ref()
    }
    /// Requests currently in flight on the socket (never more than 10).
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }
    /// Requests not yet finished (queued, in flight or awaiting confirmation).
    pub fn pending_requests(&self) -> usize {
        self.pending.values().filter(|p| !matches!(p.origin, Origin::Login | Origin::Ping)).count()
    }
    /// Why the session stopped, when the server or the configuration stopped it (a ban, a
    /// refused login, an invalid endpoint …): the error its calls fail with.
    pub fn fatal(&self) -> Option<&Error> {
        self.phase.cause()
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
        self.conn.as_ref().is_some_and(|c| c.phase == ConnPhase::LoginSent)
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
        self.emit_common(CommonEvent::Disconnected(Disconnected {
            reason,
            will_reconnect,
            destroyed,
            data,
            close: None,
        }));
    }

    /// Run a side hook that may emit events, and emit them in order.
    fn with_side_events<R>(&mut self, f: impl FnOnce(&mut S, &mut Vec<S::Event>) -> R) -> R {
        let mut out = std::mem::take(&mut self.scratch);
        let r = f(&mut self.side, &mut out);
        // `deliver` may replay through here again; it then finds an empty scratch.
        for e in out.drain(..) {
            self.deliver(e);
        }
        self.scratch = out;
        r
    }

    // ------------------------------------------------------------------ commands

    /// Connect (or resume after `disconnect()` / a pause). A no-op while connecting or
    /// connected, or after destroy. While waiting to reconnect it reconnects at once.
    pub fn connect(&mut self, now: Instant) {
        if let Some(attempting) = self.phase.resumed() {
            // The application asks again: whatever stopped the session may be fixed.
            self.phase = attempting;
            self.auth_failures = 0;
            self.start_attempt(now);
        } else if matches!(self.phase, Phase::Attempting { .. }) && self.conn.is_none() {
            self.timers.stop(Timer::Reconnect);
            self.start_attempt(now);
        }
    }

    /// Pause: close the socket and stay disconnected until `connect()`. In-flight requests
    /// fail with `CONNECTION_LOST` (exactly-once sends wait for confirmation instead);
    /// queued requests keep waiting, bounded by their deadline.
    pub fn disconnect(&mut self, now: Instant) {
        if self.state() == State::Destroyed {
            return;
        }
        self.close_connection(now, Error::connection_lost(), true);
        self.timers.stop_all();
        self.phase = self.phase.paused(None);
    }

    /// Destroy: close everything; every unfinished request fails with `SDK_DESTROYED`.
    pub fn destroy(&mut self, now: Instant) {
        if self.state() == State::Destroyed {
            return;
        }
        self.close_connection(now, Error::destroyed(), true);
        self.fail_all(Error::destroyed());
        self.timers.stop_all();
        self.phase = self.phase.destroyed(None);
    }

    /// Send any RTM action with a raw JSON payload. Completes exactly once with
    /// [`Output::Completed`].
    pub fn request(&mut self, now: Instant, action: &str, payload: Value, opts: RequestOptions) -> RequestId {
        let id = self.alloc_id();
        self.submit(now, id, action, payload, Origin::User, opts);
        id
    }

    /// A side's two-step command: `first` now, then what [`Side::next_step`] makes of its
    /// answer, both under the returned id (which completes with the second's result).
    pub(crate) fn two_step<R: crate::request::Request>(
        &mut self,
        now: Instant,
        first: &R,
        step: S::Step,
    ) -> RequestId {
        let op = self.alloc_id();
        let id = self.alloc_id();
        let origin = Origin::Step { op, step };
        self.submit(now, id, R::ACTION, payload_of(first), origin, RequestOptions::default());
        op
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

    // ------------------------------------------------------------------ inputs

    /// The socket `conn` is open.
    pub fn handle_transport_open(&mut self, now: Instant, conn: ConnectionId) {
        let Some(c) = self.conn.as_mut().filter(|c| c.id == conn) else { return };
        if c.phase == ConnPhase::Opening {
            c.phase = ConnPhase::Open;
        }
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
        self.connection_lost(now, false, CloseInfo { code, reason: reason.to_string() });
    }

    /// A token arrived (or fetching one failed).
    pub fn handle_token(&mut self, now: Instant, result: Result<Token, Error>) {
        self.token_pending = false;
        if self.state() == State::Destroyed {
            return;
        }
        match result {
            Ok(token) => {
                self.token_fresh_needed = false;
                if self.with_side_events(|side, out| side.token_identity(&token, out)) == TokenOwner::Changed
                {
                    self.drop_calls_of_previous_identity();
                }
                self.token = Some(token);
                self.try_login(now);
            }
            Err(err) => {
                if matches!(self.state(), State::Paused | State::Idle) {
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
                    self.attempt_failed(now, err);
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
        if self.conn.as_ref().is_none_or(|c| c.id != conn) || self.state() == State::Destroyed {
            return;
        }
        self.heard(now);
        let frame = match Frame::decode_with(text, S::knows_push) {
            Ok(f) => f,
            Err(e) => {
                self.emit_common(CommonEvent::FrameRejected { error: e.into() });
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
                Timer::Reconnect | Timer::Login => self.on_connection_timer(now, timer),
                Timer::Ping | Timer::PingDeadline | Timer::Stable | Timer::Unstable | Timer::Dead => {
                    self.on_keepalive_timer(now, timer)
                }
            }
        }
        self.expire_requests(now);
        self.pump(now);
    }
}
