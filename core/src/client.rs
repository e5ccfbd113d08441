//! What every transport does between its socket and its callers, written once.
//!
//! A transport owns a [`Driver`] on its driver task or thread. Callers send it [`Op`]s with
//! a [`Waiter`]; the transport feeds socket events, HTTP results and time into the driver
//! and performs the [`IoAction`]s it hands out. The driver runs the session, answers token
//! requests from a [`TokenSource`] (or asks the application's own provider), completes
//! waiters and fans events out through the shared [`EventHub`].

use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::agent::AgentSide;
use crate::customer::CustomerSide;
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
    /// What a call returns: a future (async transports) or the result itself (blocking).
    type Out<T: Send + 'static>;
    /// Run `op`; `what` names it in errors.
    fn exec<T: DeserializeOwned + Send + 'static>(&self, what: &'static str, op: Op) -> Self::Out<T>;
}

/// Called once with the result of an [`Op`].
pub type Waiter = Box<dyn FnOnce(Result<Value, Error>) + Send>;

/// An operation a caller asks of the session.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Any RTM action.
    Call {
        action: String,
        payload: Value,
        opts: RequestOptions,
    },
    Connect,
    Disconnect,
    Destroy,
    RateChat {
        chat_id: String,
        rating: Value,
    },
    CancelRate {
        chat_id: String,
        properties: Vec<String>,
    },
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
    /// Customer only.
    SneakPeek {
        chat_id: String,
        text: String,
    },
    /// Customer only.
    UpdatePage {
        url: Option<String>,
        title: Option<String>,
    },
    /// Agent only: `send_event` with a `message` (the Node chat SDK's `sendMessage`).
    SendMessage {
        chat_id: String,
        text: String,
        recipients: crate::model::Recipients,
    },
    /// Agent only: the stored login response (`getAgentDetails()`); no network.
    AgentDetails,
    /// Agent only: swap the credentials on the running session (`update_session`; see
    /// `crate::agent::renew`).
    UpdateSession {
        credentials: crate::agent::ExpiringCredentials,
    },
}

impl Op {
    /// A typed request as an op (a payload that cannot be serialised becomes a call that
    /// fails locally with `INVALID_REQUEST`).
    pub fn call<R: Request>(req: &R) -> Op {
        Op::call_with(req, RequestOptions::default())
    }

    pub fn call_with<R: Request>(req: &R, opts: RequestOptions) -> Op {
        let payload = serde_json::to_value(req).unwrap_or(Value::Null);
        Op::Call { action: R::ACTION.to_string(), payload, opts }
    }

    pub fn raw(action: impl Into<String>, payload: Value) -> Op {
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

/// Sessions that can carry out [`Op`]s (and renew their credentials, [`Renew`]).
pub trait Ops: Renew {
    fn apply(&mut self, now: Instant, op: Op) -> Applied;
}

impl<S: Side> Engine<S> {
    /// The ops every side supports; `None` for side-specific ones.
    pub fn apply_common(&mut self, now: Instant, op: Op) -> Result<Applied, Op> {
        let done = Applied::Done(Ok(Value::Null));
        Ok(match op {
            Op::Call { action, payload, .. } if action == "update_session" && S::PATH == "agent" => {
                return Err(Op::Call { action, payload, opts: RequestOptions::default() });
            }
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
            Op::RateChat { chat_id, rating } => Applied::Pending(self.rate_chat(now, &chat_id, rating)),
            Op::CancelRate { chat_id, properties } => {
                let props: Vec<&str> = properties.iter().map(String::as_str).collect();
                Applied::Pending(self.cancel_rate(now, &chat_id, &props))
            }
            Op::HistoryOpen { chat_id } => Applied::Done(Ok(Value::from(self.history_open(&chat_id).0))),
            Op::HistoryNext { history } => Applied::Pending(self.history_next(now, history)),
            Op::HistoryClose { history } => {
                self.history_close(history);
                done
            }
            other => return Err(other),
        })
    }
}

impl Ops for Engine<CustomerSide> {
    fn apply(&mut self, now: Instant, op: Op) -> Applied {
        match self.apply_common(now, op) {
            Ok(applied) => applied,
            Err(Op::SneakPeek { chat_id, text }) => match self.set_sneak_peek(now, &chat_id, &text) {
                Some(id) => Applied::Pending(id),
                // Not sent (chat not active or not connected): as the SDK, not an error.
                None => Applied::Done(Ok(Value::Null)),
            },
            Err(Op::UpdatePage { url, title }) => {
                match self.update_customer_page(now, url.as_deref(), title.as_deref()) {
                    Some(id) => Applied::Pending(id),
                    None => Applied::Done(Ok(Value::Null)),
                }
            }
            Err(other) => Applied::Done(Err(Error::invalid(format!("{other:?} is not available here")))),
        }
    }
}

impl Ops for Engine<AgentSide> {
    fn apply(&mut self, now: Instant, op: Op) -> Applied {
        match self.apply_common(now, op) {
            Ok(applied) => applied,
            Err(Op::SendMessage { chat_id, text, recipients }) => {
                Applied::Pending(self.send_message(now, &chat_id, &text, recipients))
            }
            Err(Op::UpdateSession { credentials }) => match self.update_session(now, credentials) {
                Some(id) => Applied::Pending(id),
                None => Applied::Done(Ok(Value::Null)),
            },
            // A raw `update_session` is a swap too: the next login uses what the socket got.
            Err(Op::Call { action, payload, .. }) if action == "update_session" => {
                let token = payload.get("token").and_then(Value::as_str).unwrap_or_default();
                match crate::agent::ExpiringCredentials::from_authorization(token) {
                    Ok(credentials) => self.apply(now, Op::UpdateSession { credentials }),
                    Err(e) => Applied::Done(Err(e)),
                }
            }
            Err(Op::AgentDetails) => Applied::Done(match self.agent_details() {
                Some(details) => Ok(details.clone()),
                None => Err(Error::new(
                    ErrorCode::NoConnection,
                    "the agent is not logged in yet: wait for `ready`",
                )),
            }),
            Err(other) => Applied::Done(Err(Error::invalid(format!("{other:?} is a customer-only call")))),
        }
    }
}

/// Where the driver gets tokens.
pub enum Tokens {
    /// Built-in: static token or an accounts-service grant, performed as [`IoAction::Http`].
    Source(Box<TokenSource>),
    /// The application's own identity provider: [`IoAction::FetchToken`], answered with
    /// [`Driver::handle_token`].
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
    /// Perform this request; answer with [`Driver::handle_http`].
    Http {
        id: u64,
        request: HttpRequest,
    },
    /// Ask the application's identity provider; answer with [`Driver::handle_token`].
    FetchToken {
        fresh: bool,
    },
}

/// The runtime-agnostic half of a client.
pub struct Driver<S: Side>
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
    io: std::collections::VecDeque<IoAction>,
    /// Token fetches, and renewal ahead of expiry (`crate::refresh`).
    renewal: Renewal,
    /// Length of the frame being handled: the weight of the events it yields.
    frame_len: usize,
}

impl<S: Side> Driver<S>
where
    S::Event: Kinded,
    Engine<S>: Ops,
{
    /// Wrap a session; outputs it already produced (an auto-connect) are taken up at once.
    pub fn new(session: Engine<S>, tokens: Tokens, now: Instant) -> Driver<S> {
        let enabled = match &tokens {
            Tokens::Source(src) => src.can_refresh(),
            Tokens::External => true,
        };
        let mut driver = Driver {
            renewal: Renewal::new(enabled),
            frame_len: 0,
            session,
            hub: Arc::new(Mutex::new(EventHub::default())),
            completions: Completions::default(),
            tokens,
            next_http: 0,
            token_http: None,
            current_token: Arc::new(Mutex::new(None)),
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

    pub fn session(&self) -> &Engine<S> {
        &self.session
    }

    /// When to call [`Driver::handle_timeout`] next (the session's timers and the renewal
    /// of credentials ahead of their expiry).
    pub fn poll_timeout(&self) -> Option<Instant> {
        match (self.session.poll_timeout(), self.renewal.due(&self.session)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Carry out a caller's op; `done` is called exactly once.
    pub fn submit(&mut self, now: Instant, op: Op, done: Waiter) {
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
    /// its task or thread then, with [`Driver::shutdown`].
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
            *t = self.renewal.kept.as_ref().or(self.session.token()).cloned();
        }
        let weight = crate::hub::event_weight::<S::Event>(self.frame_len);
        for event in events {
            // Run callbacks outside the lock: a callback may call into the client.
            let callbacks = match self.hub.lock() {
                Ok(mut hub) => {
                    hub.deliver(&event, weight);
                    hub.callbacks_for(&event)
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
