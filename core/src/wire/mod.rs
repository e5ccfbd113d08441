//! The RTM frame codec: requests out, responses and pushes in.
//!
//! Wire shapes (customer-api-3.6.md §2, agent-api-3.6.md §2):
//! * request  `{request_id?, action, payload?, version?}`
//! * response `{request_id?, action, type:"response", success, payload}`; errors in
//!   `payload.error {type, message, data?}`
//! * push     `{action, type:"push", payload?, request_id?, version?}`
//!
//! Decoding never panics: anything that is not one of the two incoming shapes is a
//! [`FrameError`] naming what was wrong, and the session reports and skips it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, ErrorCode};

/// Largest text frame the codec accepts (bytes). The transports also configure their
/// WebSocket with this limit so a hostile peer cannot make us buffer more.
///
/// The service documents no frame limit. The largest documented answers are `list_threads`
/// pages (up to 100 threads, `min_events_count` up to 100 events of at most 16 KB of text
/// each: about 1.6 MB before JSON escaping) and `get_chat`; 4 MiB holds those with room to
/// spare. (The simulator accepts 1 MiB from clients.) A parsed JSON tree can be about 16×
/// its text (`[0,0,…]`), so this also bounds what one frame can cost while it is decoded.
pub const MAX_FRAME_LEN: usize = 4 * 1024 * 1024;

/// Largest payload kept for a push this crate does not know (bytes of JSON text). Unknown
/// pushes are handed to the application raw; a larger one is rejected (reported as a
/// rejected frame) before it is parsed, so a hostile server cannot fill event queues with
/// huge trees.
pub const MAX_UNKNOWN_PAYLOAD: usize = 64 * 1024;

/// The WebSocket read buffer the transports configure (tungstenite's `read_buffer_size`).
/// tungstenite's 128 KiB default is zero-filled before every read, so each socket keeps
/// 128 KiB resident; RTM frames are mostly well under 8 KiB, and larger ones just take a
/// few more reads. (`livechat load`, 1,000 live tokio sessions: 172 KiB each with the
/// default, 52 KiB with this.)
pub const SOCKET_READ_BUFFER: usize = 8 * 1024;

/// How long opening a socket (DNS, TCP, TLS and the WebSocket handshake) may take when a
/// transport has no session deadline at hand; the transports use the session's
/// `login_timeout` (25 s by default). A connect past its deadline fails, and its socket is
/// closed.
pub const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(25);

/// How long one socket write may wait for the peer to take our bytes (its receive window
/// full: a peer that stopped reading) before the socket is judged dead and closed. Every
/// transport bounds every write by this (configurable per client as `write_timeout`).
pub const WRITE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// How long the closing handshake of a socket we give up on may take.
pub const CLOSE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// The `reason` a transport gives `handle_transport_closed` when a write ran past
/// [`WRITE_TIMEOUT`].
pub fn write_timed_out(after: std::time::Duration) -> String {
    format!("write timed out after {} ms: the server stopped reading", after.as_millis())
}

/// The `reason` a transport gives when a connect ran past its deadline.
pub fn connect_timed_out(after: std::time::Duration) -> String {
    format!("connect timed out after {} ms (TCP, TLS and WebSocket handshake)", after.as_millis())
}

/// A request frame, client → server.
#[derive(Debug, Clone, Serialize)]
pub struct RequestFrame<'a> {
    pub request_id: &'a str,
    pub action: &'a str,
    pub payload: &'a Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<&'a str>,
}

impl RequestFrame<'_> {
    pub fn encode(&self) -> String {
        // Serialising a struct of strings and a `Value` cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// A decoded frame, server → client.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    Response(Response),
    Push(Push),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub request_id: Option<String>,
    pub action: String,
    /// `Ok(payload)` for `success:true`, `Err(error)` for `success:false`.
    pub result: Result<Value, Error>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Push {
    pub action: String,
    /// Present only on the connection whose request caused the push ("push-response").
    pub request_id: Option<String>,
    pub version: Option<String>,
    pub payload: Payload,
}

/// A push's payload as it came: its JSON text, kept unparsed until the session knows what
/// to decode it into, so a typed push is parsed once, straight into its type
/// ([`Payload::typed`]), without building a generic tree first.
#[derive(Debug, Clone)]
pub enum Payload {
    /// The payload's text, as it stood in the frame.
    Text(Box<serde_json::value::RawValue>),
    /// An already parsed payload ([`Frame::from_value`], tests).
    Value(Value),
}

impl Payload {
    /// The payload as its type `T`, parsed from its text in one pass.
    pub fn typed<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        match self {
            // Straight from the text; should that fail, through a parsed tree as before, so
            // nothing that was accepted is refused now (a duplicate field, for example, is an
            // error for a struct read from text but not through a `Value`, which keeps the
            // last) and the error names the same field.
            Payload::Text(raw) => serde_json::from_str(raw.get()).or_else(|_| {
                let v: Value = serde_json::from_str(raw.get())?;
                T::deserialize(&v)
            }),
            Payload::Value(v) => T::deserialize(v),
        }
    }

    /// The payload as a generic JSON value (for pushes without a type, and for the
    /// session's own look at a few fields).
    pub fn into_value(self) -> Value {
        match self {
            // The text was validated when the frame was read.
            Payload::Text(raw) => serde_json::from_str(raw.get()).unwrap_or(Value::Null),
            Payload::Value(v) => v,
        }
    }
}

impl From<Value> for Payload {
    fn from(v: Value) -> Payload {
        Payload::Value(v)
    }
}

/// Equal when they hold the same JSON, whichever form each is in.
impl PartialEq for Payload {
    fn eq(&self, other: &Payload) -> bool {
        match (self, other) {
            (Payload::Value(a), Payload::Value(b)) => a == b,
            _ => self.clone().into_value() == other.clone().into_value(),
        }
    }
}

/// Why an incoming text frame was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("frame of {len} bytes exceeds the {max} byte limit")]
    TooLarge { len: usize, max: usize },
    #[error("frame is not valid JSON: {0}")]
    Json(String),
    #[error("frame is not a JSON object")]
    NotAnObject,
    #[error("frame has no `action` string")]
    MissingAction,
    #[error("frame field `{field}` has the wrong type")]
    WrongType { field: &'static str },
    #[error("frame `type` is {0:?}, expected \"response\" or \"push\"")]
    UnknownType(String),
    #[error("response frame has no `success` boolean")]
    MissingSuccess,
    #[error(
        "unknown push `{action}` with a {len} byte payload exceeds the {max} byte limit for unknown pushes"
    )]
    UnknownPushTooLarge { action: String, len: usize, max: usize },
}

/// Why the session set an incoming frame aside: the payload of a `frame_rejected` event. The
/// session goes on after every one of them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// The frame could not be decoded.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// A push this version knows arrived with a payload that does not match its documented
    /// shape.
    #[error(transparent)]
    Push(#[from] crate::pushes::PushError),
    /// The login response does not match its documented shape (the attempt fails and the
    /// session tries again).
    #[error("login response: {0}")]
    LoginResponse(String),
    /// A `misdirected_connection` named a region that is not a plain region name, so the
    /// session did not send its token there (it pauses instead).
    #[error("refused to switch region: {0}")]
    Region(String),
}

/// Whether either side of the API knows this push (unknown ones are size-capped).
pub fn is_known_push(action: &str) -> bool {
    is_customer_push(action) || is_agent_push(action)
}

/// A push the customer side has a type for.
pub fn is_customer_push(action: &str) -> bool {
    action == "customer_disconnected" || crate::customer::EventKind::from_name(action).is_some()
}

/// A push the agent side has a type for.
pub fn is_agent_push(action: &str) -> bool {
    action == "agent_disconnected" || crate::agent::AgentEventKind::from_name(action).is_some()
}

/// A frame's envelope. Read straight from the text with the payload left unparsed
/// (`P = &RawValue`) until the frame is known to be worth it, or from a parsed `Value`.
#[derive(Deserialize)]
struct Envelope<P> {
    #[serde(default)]
    request_id: Option<Value>,
    #[serde(default)]
    action: Option<Value>,
    #[serde(default, rename = "type")]
    kind: Option<Value>,
    #[serde(default)]
    success: Option<Value>,
    #[serde(default = "absent")]
    payload: Option<P>,
    #[serde(default)]
    version: Option<Value>,
}

type RawFrame = Envelope<Value>;

/// A missing field (without asking `P` for a `Default`).
fn absent<P>() -> Option<P> {
    None
}

fn opt_string(v: Option<Value>, field: &'static str) -> Result<Option<String>, FrameError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        // Other official clients use numeric ids; accept them as their decimal text.
        Some(Value::Number(n)) if field == "request_id" => Ok(Some(n.to_string())),
        Some(_) => Err(FrameError::WrongType { field }),
    }
}

impl Frame {
    /// Decode one text frame (pushes either side knows are parsed in full).
    pub fn decode(text: &str) -> Result<Frame, FrameError> {
        Frame::decode_with(text, is_known_push)
    }

    /// Decode one text frame for a session that knows the pushes `knows` accepts: any other
    /// push is capped at [`MAX_UNKNOWN_PAYLOAD`] (a customer session keeps an agent-only
    /// push raw, so it is capped like an unknown one).
    pub fn decode_with(text: &str, knows: impl Fn(&str) -> bool) -> Result<Frame, FrameError> {
        if text.len() > MAX_FRAME_LEN {
            return Err(FrameError::TooLarge { len: text.len(), max: MAX_FRAME_LEN });
        }
        let trimmed = text.trim_start();
        if !trimmed.starts_with('{') {
            // Not an object: say what it is (a syntax error, or some other JSON value).
            let value: Value = serde_json::from_str(text).map_err(|e| FrameError::Json(e.to_string()))?;
            return Self::from_value(value);
        }
        let env: Envelope<&serde_json::value::RawValue> =
            serde_json::from_str(text).map_err(|e| FrameError::Json(e.to_string()))?;
        let payload_raw = env.payload;
        if let (Some(raw), Some(Value::String(action)), Some(Value::String(kind))) =
            (payload_raw, env.action.as_ref(), env.kind.as_ref())
            && kind == "push"
            && raw.get().len() > MAX_UNKNOWN_PAYLOAD
            && !knows(action)
        {
            return Err(FrameError::UnknownPushTooLarge {
                action: action.chars().take(64).collect(),
                len: raw.get().len(),
                max: MAX_UNKNOWN_PAYLOAD,
            });
        }
        // A push this session has a type for stays text until the session decodes it into
        // that type. Others are parsed now, as before, so a payload a tree cannot hold (too
        // deep) is refused here: unknown pushes (kept as trees), push-responses (merged with
        // their response) and the disconnect pushes (read by the session).
        let typed_push = matches!(
            (env.kind.as_ref(), env.action.as_ref(), env.request_id.as_ref()),
            (Some(Value::String(kind)), Some(Value::String(action)), None | Some(Value::Null))
                if kind == "push" && knows(action) && !action.ends_with("_disconnected")
        );
        if typed_push {
            let payload = match payload_raw {
                Some(raw) => Payload::Text(raw.to_owned()),
                None => Payload::Value(Value::Object(Default::default())),
            };
            let action = opt_string(env.action, "action")?.ok_or(FrameError::MissingAction)?;
            let request_id = opt_string(env.request_id, "request_id")?;
            let version = opt_string(env.version, "version")?;
            return Ok(Frame::Push(Push { action, request_id, version, payload }));
        }
        let payload = match payload_raw {
            Some(raw) => {
                Some(serde_json::from_str::<Value>(raw.get()).map_err(|e| FrameError::Json(e.to_string()))?)
            }
            None => None,
        };
        let raw = RawFrame {
            request_id: env.request_id,
            action: env.action,
            kind: env.kind,
            success: env.success,
            payload,
            version: env.version,
        };
        Self::from_raw(raw)
    }

    /// Decode an already parsed JSON value.
    pub fn from_value(value: Value) -> Result<Frame, FrameError> {
        if !value.is_object() {
            return Err(FrameError::NotAnObject);
        }
        let raw: RawFrame = serde_json::from_value(value).map_err(|e| FrameError::Json(e.to_string()))?;
        Self::from_raw(raw)
    }

    fn from_raw(raw: RawFrame) -> Result<Frame, FrameError> {
        let action = opt_string(raw.action, "action")?.ok_or(FrameError::MissingAction)?;
        let request_id = opt_string(raw.request_id, "request_id")?;
        let version = opt_string(raw.version, "version")?;
        let kind = opt_string(raw.kind, "type")?;
        let payload = raw.payload.unwrap_or(Value::Object(Default::default()));
        match kind.as_deref() {
            Some("response") => {
                let success = match raw.success {
                    Some(Value::Bool(b)) => b,
                    None | Some(Value::Null) => return Err(FrameError::MissingSuccess),
                    Some(_) => return Err(FrameError::WrongType { field: "success" }),
                };
                let result = if success { Ok(payload) } else { Err(Error::from_error_payload(&payload)) };
                Ok(Frame::Response(Response { request_id, action, result }))
            }
            Some("push") => {
                Ok(Frame::Push(Push { action, request_id, version, payload: Payload::Value(payload) }))
            }
            Some(other) => Err(FrameError::UnknownType(other.to_string())),
            None => Err(FrameError::UnknownType(String::new())),
        }
    }
}

impl Error {
    /// Build an error from a response payload `{"error": {"type", "message", "data"?}}`.
    /// A payload without that shape still yields an error (code `INTERNAL`) that says so.
    pub fn from_error_payload(payload: &Value) -> Error {
        let err = payload.get("error");
        let kind = err.and_then(|e| e.get("type")).and_then(Value::as_str);
        let message = err.and_then(|e| e.get("message")).and_then(Value::as_str);
        let data = err.and_then(|e| e.get("data")).filter(|d| !d.is_null()).cloned();
        match kind {
            Some(kind) => Error {
                code: ErrorCode::from_wire(kind),
                message: message.unwrap_or_default().to_string(),
                data,
            },
            None => Error {
                code: ErrorCode::Internal,
                message: format!("error response without `error.type`: {payload}"),
                data: None,
            },
        }
    }
}

/// A frame as it may be logged: the value of every key that may hold a credential
/// replaced by `"<redacted>"`, whatever the key's case and however it is written (JSON
/// escapes such as `tok\u0065n` are decoded before keys are compared); see
/// [`is_secret_key`]. String values that are themselves JSON are scrubbed too. A frame that
/// is not JSON is replaced as a whole if it mentions anything secret-looking (or holds an
/// escape that could hide it). Frames with nothing to redact are returned unchanged.
pub fn redact(text: &str) -> std::borrow::Cow<'_, str> {
    match serde_json::from_str::<Value>(text) {
        Ok(mut v) => {
            if scrub(&mut v) {
                std::borrow::Cow::Owned(v.to_string())
            } else {
                std::borrow::Cow::Borrowed(text)
            }
        }
        Err(_) if looks_secret(text) => std::borrow::Cow::Owned(format!(
            "<unparsable frame of {} bytes that may hold a credential, redacted>",
            text.len()
        )),
        Err(_) => std::borrow::Cow::Borrowed(text),
    }
}

/// Keys whose values are never logged (compared case-insensitively, `-` and `_` ignored):
/// anything with `token`, `secret`, `password` or `cookie` in it, `authorization`, `code`
/// (an OAuth authorisation code) and `assertion`.
pub fn is_secret_key(key: &str) -> bool {
    let k: String = key.chars().filter(|c| *c != '_' && *c != '-').flat_map(char::to_lowercase).collect();
    ["token", "secret", "password", "cookie"].iter().any(|w| k.contains(w))
        || ["authorization", "code", "assertion"].contains(&k.as_str())
}

/// Redact in place; whether anything was.
fn scrub(v: &mut Value) -> bool {
    match v {
        Value::Object(m) => {
            let mut hit = false;
            for (k, v) in m.iter_mut() {
                if is_secret_key(k) {
                    if !matches!(v, Value::Null) {
                        *v = Value::String("<redacted>".into());
                        hit = true;
                    }
                } else {
                    hit |= scrub(v);
                }
            }
            hit
        }
        Value::Array(a) => a.iter_mut().fold(false, |hit, v| scrub(v) | hit),
        Value::String(s) if s.trim_start().starts_with(['{', '[']) => {
            // JSON carried as a string (a form answer, a rich message's payload).
            match serde_json::from_str::<Value>(s) {
                Ok(mut inner) => {
                    let hit = scrub(&mut inner);
                    if hit {
                        *s = inner.to_string();
                    }
                    hit
                }
                Err(_) if looks_secret(s) => {
                    *s = "<redacted>".into();
                    true
                }
                Err(_) => false,
            }
        }
        _ => false,
    }
}

/// Text that is not JSON but might carry a credential: a secret-looking word in any case,
/// or a backslash (an escape could spell one).
fn looks_secret(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    text.contains('\\')
        || ["token", "secret", "password", "cookie", "authorization", "bearer", "code"]
            .iter()
            .any(|w| lower.contains(w))
}

#[cfg(test)]
mod redact_tests {
    use super::*;

    const SECRET: &str = "dal:sim-agent-token";

    fn redacted(frame: &str) -> String {
        let out = redact(frame).into_owned();
        assert!(!out.contains(SECRET), "{frame} -> {out}");
        out
    }

    #[test]
    fn every_token_key_is_redacted() {
        for key in [
            "token",
            "access_token",
            "refresh_token",
            "authorization",
            "Authorization",
            "AUTHORIZATION",
            "secret",
            "client_secret",
            "code",
            "accessToken",
            "Set-Cookie",
            "password",
        ] {
            let frame = format!(r#"{{"action":"login","payload":{{"{key}":"{SECRET}"}}}}"#);
            let out = redacted(&frame);
            assert!(out.contains("<redacted>"), "{key}: {out}");
            // The rest of the frame is kept.
            assert!(out.contains(r#""action":"login""#), "{out}");
        }
    }

    #[test]
    fn a_frame_whose_only_token_key_is_access_token_is_redacted() {
        let out = redacted(&format!(r#"{{"access_token":"{SECRET}","expires_in":3600}}"#));
        assert!(out.contains("3600"));
    }

    #[test]
    fn keys_written_with_json_escapes_are_decoded_first() {
        redacted(&format!(r#"{{"payload":{{"tok\u0065n":"{SECRET}"}}}}"#));
        redacted(&format!(r#"{{"payload":{{"\u0074\u006f\u006b\u0065\u006e":"{SECRET}"}}}}"#));
        redacted(&format!(r#"{{"A\u0055THORIZATION":"Bearer {SECRET}"}}"#));
    }

    #[test]
    fn nested_arrays_and_json_in_strings_are_scrubbed() {
        redacted(&format!(r#"{{"payload":{{"list":[{{"x":1}},{{"refresh_token":"{SECRET}"}}]}}}}"#));
        let inner = format!(r#"{{\"token\":\"{SECRET}\"}}"#);
        let out = redacted(&format!(r#"{{"payload":{{"value":"{inner}"}}}}"#));
        assert!(out.contains("<redacted>") && out.contains("value"), "{out}");
    }

    #[test]
    fn unparsable_frames_that_may_hold_a_token_are_replaced_whole() {
        let out = redacted(&format!(r#"{{"payload":{{"tok\u0065n":"{SECRET}""#));
        assert!(out.contains("redacted"), "{out}");
        redacted(&format!("Authorization: Bearer {SECRET}"));
        assert_eq!(redact("not json at all"), "not json at all");
    }

    #[test]
    fn frames_without_secrets_are_unchanged() {
        let frame =
            r#"{"action":"send_event","payload":{"chat_id":"C1","event":{"type":"message","text":"hi"}}}"#;
        assert!(matches!(redact(frame), std::borrow::Cow::Borrowed(f) if f == frame));
    }
}
