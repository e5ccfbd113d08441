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
    pub payload: Value,
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

/// Whether either side of the API knows this push (unknown ones are size-capped).
pub fn is_known_push(action: &str) -> bool {
    crate::customer::EventKind::from_name(action).is_some()
        || crate::agent::AgentEventKind::from_name(action).is_some()
        || action == "customer_disconnected"
        || action == "agent_disconnected"
}

/// The envelope read straight from the text; the payload stays unparsed until the frame
/// is known to be worth it.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(default)]
    request_id: Option<Value>,
    #[serde(default)]
    action: Option<Value>,
    #[serde(default, rename = "type")]
    kind: Option<Value>,
    #[serde(default)]
    success: Option<Value>,
    #[serde(default, borrow)]
    payload: Option<&'a serde_json::value::RawValue>,
    #[serde(default)]
    version: Option<Value>,
}

#[derive(Deserialize)]
struct RawFrame {
    #[serde(default)]
    request_id: Option<Value>,
    #[serde(default)]
    action: Option<Value>,
    #[serde(default, rename = "type")]
    kind: Option<Value>,
    #[serde(default)]
    success: Option<Value>,
    #[serde(default)]
    payload: Option<Value>,
    #[serde(default)]
    version: Option<Value>,
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
    /// Decode one text frame.
    pub fn decode(text: &str) -> Result<Frame, FrameError> {
        if text.len() > MAX_FRAME_LEN {
            return Err(FrameError::TooLarge { len: text.len(), max: MAX_FRAME_LEN });
        }
        let trimmed = text.trim_start();
        if !trimmed.starts_with('{') {
            // Not an object: say what it is (a syntax error, or some other JSON value).
            let value: Value = serde_json::from_str(text).map_err(|e| FrameError::Json(e.to_string()))?;
            return Self::from_value(value);
        }
        let env: Envelope<'_> = serde_json::from_str(text).map_err(|e| FrameError::Json(e.to_string()))?;
        let payload_raw = env.payload;
        if let (Some(raw), Some(Value::String(action)), Some(Value::String(kind))) =
            (payload_raw, env.action.as_ref(), env.kind.as_ref())
            && kind == "push"
            && raw.get().len() > MAX_UNKNOWN_PAYLOAD
            && !is_known_push(action)
        {
            return Err(FrameError::UnknownPushTooLarge {
                action: action.chars().take(64).collect(),
                len: raw.get().len(),
                max: MAX_UNKNOWN_PAYLOAD,
            });
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
            Some("push") => Ok(Frame::Push(Push { action, request_id, version, payload })),
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

/// A frame as it may be logged: the value of any `token` field replaced by `<redacted>`.
/// Frames without a token are returned unchanged.
pub fn redact(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("\"token\"") {
        return std::borrow::Cow::Borrowed(text);
    }
    fn scrub(v: &mut Value) {
        match v {
            Value::Object(m) => {
                for (k, v) in m.iter_mut() {
                    if k == "token" || k == "access_token" {
                        *v = Value::String("<redacted>".into());
                    } else {
                        scrub(v);
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(scrub),
            _ => {}
        }
    }
    match serde_json::from_str::<Value>(text) {
        Ok(mut v) => {
            scrub(&mut v);
            std::borrow::Cow::Owned(v.to_string())
        }
        Err(_) => std::borrow::Cow::Borrowed("<unparsable frame containing a token, redacted>"),
    }
}
