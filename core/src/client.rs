//! What every transport does between its socket and its callers, written once.
//!
//! A transport owns a [`ClientCore`] on its driver task or thread. Callers send it [`Op`]s with
//! a [`Waiter`]; the transport feeds socket events, HTTP results and time into the driver
//! and performs the [`IoAction`]s it hands out. The driver runs the session, answers token
//! requests from a [`TokenSource`] (or asks the application's own provider), completes
//! waiters and fans events out through the shared [`EventHub`].

use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::engine::{ConnectionId, Engine, HistoryId, Output, RequestId, RequestOptions, Side, State};
use crate::error::{Error, ErrorCode};
use crate::http::{HttpRequest, HttpResponse};
use crate::hub::{Completions, EventHub, Kinded};
use crate::identity::{TokenSource, TokenStep};
use crate::refresh::{Renew, Renewal, Swapped};
use crate::request::Request;
use crate::token::Token;

/// How a transport runs an [`Op`]: the one call trait both sides' method lists
/// (`CustomerApi`, `AgentApi`) are written on.
pub trait Exec {
    /// The side's own commands ([`Op::Side`]): `customer::CustomerCommand` or
    /// `agent::AgentCommand`. A call only the other side has does not compile.
    type Command: Send + 'static;
    /// What a call returns: a future (async transports) or the result itself (blocking).
    type Out<T: Send + 'static>;
    /// Run `op`; `what` names it in errors.
    fn exec<T: DeserializeOwned + Send + 'static>(
        &self,
        what: &'static str,
        op: Op<Self::Command>,
    ) -> Self::Out<T>;
}

/// The calls both sides' method lists share, written once: `CustomerApi` and `AgentApi`
/// expand this with their request marker (a customer request on an agent client, or the
/// reverse, does not compile).
macro_rules! shared_calls {
    ($marker:path) => {
        /// Any typed action of this side.
        fn call<R: $marker>(&self, req: &R) -> Self::Out<R::Response>
        where
            R::Response: Send + 'static,
        {
            self.exec(R::ACTION, $crate::client::Op::call(req))
        }

        /// Any typed action of this side, with per-call options (timeout, exactly-once).
        fn call_with<R: $marker>(
            &self,
            req: &R,
            opts: $crate::engine::RequestOptions,
        ) -> Self::Out<R::Response>
        where
            R::Response: Send + 'static,
        {
            self.exec(R::ACTION, $crate::client::Op::call_with(req, opts))
        }

        /// Any action, raw JSON in and out (for actions this version does not wrap);
        /// resolves with the response `payload`.
        fn call_raw(&self, action: &str, payload: serde_json::Value) -> Self::Out<serde_json::Value> {
            self.exec("call_raw", $crate::client::Op::raw(action, payload))
        }

        /// Connect, or resume after `disconnect()` or a pause.
        fn connect(&self) -> Self::Out<()> {
            self.exec("connect", $crate::client::Op::Connect)
        }

        /// Pause until `connect()`; queued calls stay queued, bounded by their deadline.
        fn disconnect(&self) -> Self::Out<()> {
            self.exec("disconnect", $crate::client::Op::Disconnect)
        }

        /// End the session for good: the socket is closed, pending and queued calls fail with
        /// `SDK_DESTROYED` at once, every callback is removed and every event stream ends,
        /// including streams taken later. Later calls fail with `SDK_DESTROYED`. As in the
        /// JS SDKs, the listeners go before the socket is closed, so `destroy()` itself emits
        /// no `disconnected` event.
        fn destroy(&self) -> Self::Out<()> {
            // `exec` hands the op to the driver before it returns (async transports) or runs
            // it (blocking ones), so the hub closes after the destroy is on its way.
            let out = self.exec("destroy", $crate::client::Op::Destroy);
            $crate::hub::lock(self.hub()).close();
            out
        }
    };
}
pub(crate) use shared_calls;

/// Called once with the result of an [`Op`].
pub type Waiter = Box<dyn FnOnce(Result<Value, Error>) + Send>;

/// An operation a caller asks of the session: what both sides share, or one of the side's
/// own commands `C`.
///
/// A session takes only its own side's commands ([`CommandOf`]), so a customer-only call
/// on an agent session does not compile:
///
/// ```compile_fail
/// use livechat_core::agent::AgentCommand;
/// use livechat_core::client::Op;
/// use livechat_core::customer::CustomerCommand;
///
/// let sneak_peek = CustomerCommand::SneakPeek { chat_id: "CH1".into(), text: "hi".into() };
/// let op: Op<AgentCommand> = Op::Side(sneak_peek);
/// ```
///
/// while the same command for a customer session, or a shared op for either, does:
///
/// ```
/// use livechat_core::agent::AgentCommand;
/// use livechat_core::client::Op;
/// use livechat_core::customer::CustomerCommand;
///
/// let sneak_peek = CustomerCommand::SneakPeek { chat_id: "CH1".into(), text: "hi".into() };
/// let _customer: Op<CustomerCommand> = Op::Side(sneak_peek);
/// let _agent: Op<AgentCommand> = Op::Connect;
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Op<C> {
    /// Any RTM action.
    Call {
        action: String,
        payload: Value,
        opts: RequestOptions,
    },
    Connect,
    Disconnect,
    Destroy,
    /// Completes with the new iterator's id (a number).
    HistoryOpen {
        chat_id: String,
    },
    HistoryNext {
        history: HistoryId,
    },
    HistoryClose {
        history: HistoryId,
    },
    /// Fetch a fresh token now (bypassing any cache), keep it for the next login (and for
    /// uploads: `token()` returns it), and complete once it came; the Customer SDK's
    /// `auth.getFreshToken()`. Handled by [`ClientCore`], which owns the token fetches.
    FreshToken,
    /// A command only this side has.
    Side(C),
}

impl<C> Op<C> {
    /// A typed request as an op (a payload that cannot be serialised becomes a call that
    /// fails locally with `INVALID_REQUEST`).
    pub fn call<R: Request>(req: &R) -> Op<C> {
        Op::call_with(req, RequestOptions::default())
    }

    pub fn call_with<R: Request>(req: &R, opts: RequestOptions) -> Op<C> {
        let payload = serde_json::to_value(req).unwrap_or(Value::Null);
        Op::Call { action: R::ACTION.to_string(), payload, opts }
    }

    pub fn raw(action: impl Into<String>, payload: Value) -> Op<C> {
        Op::Call { action: action.into(), payload, opts: RequestOptions::default() }
    }
}

/// How an op was taken up by the session.
#[derive(Debug)]
pub enum Applied {
    /// Completes later as this request.
    Pending(RequestId),
    /// Already done.
    Done(Result<Value, Error>),
}

impl Applied {
    /// A command that sends a request when it can: pending on it, or done at once (`null`)
    /// when there was nothing to send.
    pub fn sent_or_done(id: Option<RequestId>) -> Applied {
        match id {
            Some(id) => Applied::Pending(id),
            None => Applied::Done(Ok(Value::Null)),
        }
    }
}

/// The own commands of side `S`'s sessions.
pub type CommandOf<S> = <Engine<S> as Ops>::Command;

/// Sessions that can carry out [`Op`]s (and renew their credentials, [`Renew`]).
pub trait Ops: Renew {
    /// The side's own commands.
    type Command;
    fn apply(&mut self, now: Instant, op: Op<Self::Command>) -> Applied;
}

impl<S: Side> Engine<S> {
    /// The ops every side supports; the side's own commands come back as `Err`.
    pub fn apply_common<C>(&mut self, now: Instant, op: Op<C>) -> Result<Applied, C> {
        let done = Applied::Done(Ok(Value::Null));
        Ok(match op {
            Op::Call { action, payload, opts } => {
                if payload.is_null() {
                    Applied::Done(Err(Error::invalid(format!("`{action}` payload could not be serialised"))))
                } else {
                    Applied::Pending(self.request(now, &action, payload, opts))
                }
            }
            Op::Connect => {
                self.connect(now);
                done
            }
            Op::Disconnect => {
                self.disconnect(now);
                done
            }
            Op::Destroy => {
                self.destroy(now);
                done
            }
            Op::HistoryOpen { chat_id } => Applied::Done(Ok(Value::from(self.history_open(&chat_id).0))),
            Op::HistoryNext { history } => Applied::Pending(self.history_next(now, history)),
            Op::HistoryClose { history } => {
                self.history_close(history);
                done
            }
            // Only the client core fetches tokens (`ClientCore::submit` answers it first); an
            // engine driven without one has no way to.
            Op::FreshToken => Applied::Done(Err(Error::new(
                ErrorCode::TokenFetchFailed,
                "fresh tokens are fetched by the client core, not the bare engine",
            ))),
            Op::Side(command) => return Err(command),
        })
    }
}

/// Where the driver gets tokens.
pub enum Tokens {
    /// Built-in: static token or an accounts-service grant, performed as [`IoAction::Http`].
    Source(Box<TokenSource>),
    /// The application's own identity provider: [`IoAction::FetchToken`], answered with
    /// [`ClientCore::handle_token`].
    External,
}

/// Something for the transport to do.
#[derive(Debug, Clone, PartialEq)]
pub enum IoAction {
    Open {
        conn: ConnectionId,
        url: String,
    },
    Send {
        conn: ConnectionId,
        text: String,
    },
    Close {
        conn: ConnectionId,
    },
    /// Perform this request; answer with [`ClientCore::handle_http`].
    Http {
        id: u64,
        request: HttpRequest,
    },
    /// Ask the application's identity provider; answer with [`ClientCore::handle_token`].
    FetchToken {
        fresh: bool,
    },
}

/// The token and region a [`ClientCore`] keeps up to date for its client handles
/// ([`crate::handle::CustomerState::with_links`]).
#[derive(Clone, Default)]
pub struct SessionLinks {
    pub token: Arc<Mutex<Option<Token>>>,
    pub region: Arc<Mutex<Option<String>>>,
}

/// The runtime-agnostic half of a client.
pub struct ClientCore<S: Side>
where
    S::Event: Kinded,
{
    session: Engine<S>,
    hub: Arc<Mutex<EventHub<S::Event>>>,
    completions: Completions,
    tokens: Tokens,
    next_http: u64,
    token_http: Option<u64>,
    current_token: Arc<Mutex<Option<Token>>>,
    current_region: Arc<Mutex<Option<String>>>,
    /// Callers of [`Op::FreshToken`] waiting for the fetch under way.
    fresh_waiters: Vec<Waiter>,
    io: std::collections::VecDeque<IoAction>,
    /// Token fetches, and renewal ahead of expiry (`crate::refresh`).
    renewal: Renewal,
    /// Length of the frame being handled: the weight of the events it yields.
    frame_len: usize,
}

impl<S: Side> ClientCore<S>
where
    S::Event: Kinded,
    Engine<S>: Ops,
{
    /// Wrap a session; outputs it already produced (an auto-connect) are taken up at once.
    pub fn new(session: Engine<S>, tokens: Tokens, now: Instant) -> ClientCore<S> {
        let enabled = match &tokens {
            Tokens::Source(src) => src.can_refresh(),
            Tokens::External => true,
        };
        let mut driver = ClientCore {
            renewal: Renewal::new(enabled),
            frame_len: 0,
            session,
            hub: Arc::new(Mutex::new(EventHub::default())),
            completions: Completions::default(),
            tokens,
            next_http: 0,
            token_http: None,
            current_token: Arc::new(Mutex::new(None)),
            current_region: Arc::new(Mutex::new(None)),
            fresh_waiters: Vec::new(),
            io: Default::default(),
        };
        driver.pump(now);
        driver
    }

    /// The event hub, shared with the client handles (`on` / `once` / `off` / streams).
    pub fn hub(&self) -> Arc<Mutex<EventHub<S::Event>>> {
        self.hub.clone()
    }

    /// The token in use, shared with the client handles (uploads, `token()`).
    pub fn current_token(&self) -> Arc<Mutex<Option<Token>>> {
        self.current_token.clone()
    }

    /// The region the session uses after a `misdirected_connection` switch, kept up to date
    /// (uploads go there too).
    pub fn current_region(&self) -> Arc<Mutex<Option<String>>> {
        self.current_region.clone()
    }

    /// What a client handle follows of the running session: the token and the region.
    pub fn links(&self) -> SessionLinks {
        SessionLinks { token: self.current_token(), region: self.current_region() }
    }

    pub fn session(&self) -> &Engine<S> {
        &self.session
    }

    /// When to call [`ClientCore::handle_timeout`] next (the session's timers and the renewal
    /// of credentials ahead of their expiry).
    pub fn poll_timeout(&self) -> Option<Instant> {
        match (self.session.poll_timeout(), self.renewal.due(&self.session)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Carry out a caller's op; `done` is called exactly once.
    pub fn submit(&mut self, now: Instant, op: Op<CommandOf<S>>, done: Waiter) {
        if let Op::FreshToken = op {
            if self.is_destroyed() {
                return done(Err(self.end_error()));
            }
            self.fresh_waiters.push(done);
            // One fetch at a time: a fetch under way answers this waiter too (it may come
            // from a cache if it was not asked fresh; the next call then fetches anew).
            if !self.renewal.fetching {
                self.start_fetch(now, true);
            }
            return self.pump(now);
        }
        match self.session.apply(now, op) {
            Applied::Pending(id) => self.completions.wait(id, done),
            Applied::Done(result) => done(result),
        }
        self.pump(now);
    }

    pub fn handle_open(&mut self, now: Instant, conn: ConnectionId) {
        self.session.handle_transport_open(now, conn);
        self.pump(now);
    }

    pub fn handle_frame(&mut self, now: Instant, conn: ConnectionId, text: &str) {
        self.session.handle_frame(now, conn, text);
        self.frame_len = text.len();
        self.pump(now);
        self.frame_len = 0;
    }

    pub fn handle_closed(&mut self, now: Instant, conn: ConnectionId, code: Option<u16>, reason: &str) {
        self.session.handle_transport_closed(now, conn, code, reason);
        self.pump(now);
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        self.session.handle_timeout(now);
        if self.renewal.due(&self.session).is_some_and(|at| at <= now) {
            // Renew in the background: the session goes on with what it has meanwhile.
            self.start_fetch(now, true);
        }
        self.pump(now);
    }

    /// The application's identity provider answered.
    pub fn handle_token(&mut self, now: Instant, token: Result<Token, Error>) {
        self.fetched(now, token);
        self.pump(now);
    }

    /// An [`IoAction::Http`] finished.
    pub fn handle_http(&mut self, now: Instant, id: u64, response: Result<HttpResponse, Error>) {
        if self.token_http == Some(id) {
            self.token_http = None;
            let token = match (&mut self.tokens, response) {
                (Tokens::Source(src), Ok(resp)) => src.handle_response(now, &resp),
                (_, Err(e)) => Err(Error::new(ErrorCode::TokenFetchFailed, e.message)),
                (Tokens::External, Ok(_)) => return,
            };
            self.fetched(now, token);
        }
        self.pump(now);
    }

    /// Next thing for the transport to do.
    pub fn poll_io(&mut self) -> Option<IoAction> {
        self.io.pop_front()
    }

    /// The transport is going away: every waiting caller gets `err`, and the event hub is
    /// closed (every stream ends, see [`EventHub::close`]).
    pub fn shutdown(&mut self, now: Instant, err: &Error) {
        for done in std::mem::take(&mut self.fresh_waiters) {
            done(Err(err.clone()));
        }
        self.session.destroy(now);
        self.pump(now);
        self.completions.fail_all(err);
        crate::hub::lock(&self.hub).close_with(self.end_error());
    }

    /// What calls get once this session is gone: the cause it ended for, or `SDK_DESTROYED`.
    pub fn end_error(&self) -> Error {
        self.session.fatal().cloned().unwrap_or_else(Error::destroyed)
    }

    /// Whether the session is destroyed (by `destroy()` or by itself): a transport may end
    /// its task or thread then, with [`ClientCore::shutdown`].
    pub fn is_destroyed(&self) -> bool {
        self.session.state() == State::Destroyed
    }

    /// Ask for a token: from the token source (an HTTP request, or a cached token at once)
    /// or from the application's provider. One fetch at a time.
    fn start_fetch(&mut self, now: Instant, fresh: bool) {
        self.renewal.fetching = true;
        match &mut self.tokens {
            Tokens::External => self.io.push_back(IoAction::FetchToken { fresh }),
            Tokens::Source(src) => match src.token(now, fresh) {
                TokenStep::Ready(t) => self.fetched(now, Ok(t)),
                TokenStep::Fetch(request) => {
                    self.next_http += 1;
                    self.token_http = Some(self.next_http);
                    self.io.push_back(IoAction::Http { id: self.next_http, request });
                }
            },
        }
    }

    /// A fetch finished: the session gets it if it waits for one, otherwise it is a renewal
    /// ahead of expiry, swapped in (agent) or kept for the next login (customer).
    fn fetched(&mut self, now: Instant, token: Result<Token, Error>) {
        let answer = token.as_ref().map(|_| Value::Null).map_err(Clone::clone);
        for done in std::mem::take(&mut self.fresh_waiters) {
            done(answer.clone());
        }
        // A token nobody asked for (a transport answering twice) goes to the session, as before.
        let background = self.renewal.fetching && !self.renewal.session_waiting;
        self.renewal.fetching = false;
        self.renewal.session_waiting = false;
        if !background {
            if token.is_ok() {
                self.renewal.kept = None;
                self.renewal.succeeded();
            }
            return self.session.give_token(now, token);
        }
        match token {
            Ok(t) => match self.session.swap_in(now, t) {
                Swapped::Sent(id) => self.renewal.swap = Some(id),
                Swapped::Installed => self.renewal.succeeded(),
                Swapped::Kept(t) => {
                    self.renewal.kept = Some(t);
                    self.renewal.succeeded();
                }
            },
            Err(e) => {
                self.renewal.failed(now);
                self.session.renewal_failed(now, &e);
            }
        }
    }

    /// Drain the session: answer token requests, complete waiters, emit events, and queue
    /// what the transport must do.
    fn pump(&mut self, now: Instant) {
        let mut events = Vec::new();
        while let Some(out) = self.session.poll_output() {
            match out {
                Output::Open { conn, url } => self.io.push_back(IoAction::Open { conn, url }),
                Output::Send { conn, text } => self.io.push_back(IoAction::Send { conn, text }),
                Output::Close { conn } => self.io.push_back(IoAction::Close { conn }),
                Output::FetchToken { fresh } => {
                    if let Some(t) = self.renewal.take_kept(now) {
                        // Renewed ahead of time: the login needs no round trip.
                        self.session.give_token(now, Ok(t));
                    } else {
                        self.renewal.session_waiting = true;
                        if !self.renewal.fetching {
                            self.start_fetch(now, fresh);
                        }
                    }
                }
                Output::Event(e) => events.push(e),
                Output::Completed { id, result } => {
                    let result = self.session.settle(now, id, result);
                    if self.renewal.swap == Some(id) {
                        self.renewal.swap = None;
                        match &result {
                            Ok(_) => self.renewal.succeeded(),
                            Err(e) => {
                                self.renewal.failed(now);
                                self.session.renewal_failed(now, e);
                            }
                        }
                    }
                    self.completions.complete(id, result);
                }
            }
        }
        if let Ok(mut t) = self.current_token.lock() {
            // The newest token: one renewed ahead of time is good for uploads already.
            // Compared before it is cloned: this runs on every input, a new token is rare.
            let newest = self.renewal.kept.as_ref().or(self.session.token());
            if t.as_ref() != newest {
                *t = newest.cloned();
            }
        }
        if let Ok(mut r) = self.current_region.lock()
            && r.as_deref() != self.session.region()
        {
            *r = self.session.region().map(str::to_string);
        }
        let weight = crate::hub::event_weight::<S::Event>(self.frame_len);
        for event in events {
            // Run callbacks outside the lock: a callback may call into the client.
            let (callbacks, event) = match self.hub.lock() {
                Ok(mut hub) => {
                    let callbacks = hub.callbacks_for(&event);
                    if callbacks.is_empty() {
                        // Streams only: the event moves into the last one, no clone.
                        hub.deliver_owned(event, weight);
                        continue;
                    }
                    hub.deliver(&event, weight);
                    (callbacks, event)
                }
                Err(_) => continue,
            };
            for cb in callbacks {
                cb(&event);
            }
        }
        if self.is_destroyed() {
            // After the last events were delivered: streams end, listeners go, and streams
            // or listeners added later are dropped at once (a destroyed session emits nothing).
            crate::hub::lock(&self.hub).close_with(self.end_error());
        }
    }
}

/// Decode a completed op's JSON into `T`, naming the op on failure.
pub fn decode<T: DeserializeOwned>(what: &str, value: Value) -> Result<T, Error> {
    serde_json::from_value(value).map_err(|e| {
        Error::new(
            ErrorCode::InvalidResponse,
            format!("`{what}` result does not match the documented shape: {e}"),
        )
    })
}
