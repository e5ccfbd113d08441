//! WebSocket protocol violations close the socket with a close code and a short reason
//! (RFC 6455 §7.4.1), not a bare TCP close.
//!
//! | violation | code | reason |
//! |---|---|---|
//! | message over the 1 MiB limit | 1009 | `message too big` |
//! | text frame that is not UTF-8 | 1007 | `invalid UTF-8` |
//! | binary frame (RTM is JSON text) | 1003 | `binary frames are not supported` |
//! | any other framing error (reserved bits or opcodes, unmasked client frames, bad fragments) | 1002 | `protocol error` |
//!
//! A well-framed text message that is not a JSON request is not a protocol violation: it gets
//! an RTM error response (`validation`) and the socket stays open, as before.

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use serde_json::Value;
use tungstenite::error::{Error as WsError, ProtocolError};

pub const BINARY_CLOSE: (u16, &str) = (1003, "binary frames are not supported");

/// The close code and reason for an error read from a WebSocket; `None` when the peer simply
/// went away (nothing to tell it).
pub fn close_for(e: &axum::Error) -> Option<(u16, &'static str)> {
    let inner = std::error::Error::source(e)?.downcast_ref::<WsError>()?;
    match inner {
        WsError::Capacity(_) => Some((1009, "message too big")),
        WsError::Utf8(_) => Some((1007, "invalid UTF-8")),
        WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => None,
        WsError::Protocol(_) => Some((1002, "protocol error")),
        _ => None,
    }
}

/// Sends the close (and SockJS's `c[code,"reason"]` first on SockJS sockets).
pub async fn close(ws: &mut WebSocket, sockjs: bool, code: u16, reason: &str) {
    if sockjs {
        let c = format!("c[{code},{}]", Value::String(reason.to_string()));
        let _ = ws.send(Message::Text(c.into())).await;
    }
    let _ = ws.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
}
