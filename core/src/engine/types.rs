//! The engine's public vocabulary: ids, the state, its outputs, per-call options and the
//! payloads of the events it produces itself.

use std::fmt;
use std::time::Duration;

use serde_json::Value;

use crate::disconnect::DisconnectReason;
use crate::error::Error;

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

/// How the socket ended, as the transport (or the session's own liveness check) said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseInfo {
    /// The WebSocket close code, when the peer sent a close frame (`1009` message too big,
    /// `1007` invalid UTF-8, `1001` going away …).
    pub code: Option<u16>,
    /// The close frame's reason, or what the transport or the session saw
    /// (`connection reset`, `ping unanswered for 10000 ms`, …).
    pub reason: String,
}

/// Payload of a `connect_failed` event: one connection attempt failed.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectFailed {
    /// Why (`CONNECTION_FAILED` with the transport's reason, or the login error).
    pub error: Error,
    /// Consecutive failed attempts, this one included.
    pub attempt: u32,
    /// When the session tries again.
    pub retry_in: Duration,
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
    /// For `connection_lost`: how the socket ended (close code and reason).
    pub close: Option<CloseInfo>,
}

/// Payload of a `resynced` event: the recovery after a re-login is finished.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resynced {
    /// Chats whose events were fetched (`get_chat`), new ones included.
    pub chats_checked: usize,
    /// Events emitted as recovered (`incoming_event`, `chat_deactivated`, `incoming_chat`).
    pub events_recovered: usize,
    /// Chats that appeared while the socket was down, emitted as `incoming_chat`.
    pub new_chats: usize,
    /// Chats whose check failed (an error other than a new drop); what they missed is not
    /// known. A new drop does not count: those chats are checked after the next login.
    pub chats_failed: usize,
}

/// Events the engine itself produces; each side maps them into its own event enum.
#[derive(Debug, Clone, PartialEq)]
pub enum CommonEvent {
    Disconnected(Disconnected),
    ConnectionUnstable,
    ConnectionRecovered,
    FrameRejected { error: crate::wire::Rejection },
    ConnectFailed(ConnectFailed),
    Resynced(Resynced),
}

/// A request for the engine to send, built from a typed request ([`Followup::of`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Followup {
    pub action: &'static str,
    pub payload: Value,
}

impl Followup {
    pub fn of<R: crate::request::Request>(req: &R) -> Followup {
        Followup { action: R::ACTION, payload: payload_of(req) }
    }
}

/// The wire payload of one of the engine's own typed requests. These are plain structs that
/// always serialise; were one ever not to, the `null` would be refused as "not an object"
/// before it is sent.
pub(crate) fn payload_of<R: crate::request::Request>(req: &R) -> Value {
    serde_json::to_value(req).unwrap_or(Value::Null)
}

/// What a token says about who we are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenOwner {
    Same,
    /// Another user than before: calls made for the previous one are dropped.
    Changed,
}
