//! The `frame` target: one text frame through the codec and the event parsers.

use livechat_core::agent::{AgentEvent, AgentEventKind};
use livechat_core::customer::{Event, EventKind};
use livechat_core::wire::{self, Frame, FrameError, MAX_FRAME_LEN, MAX_UNKNOWN_PAYLOAD};
use std::collections::BTreeMap;

use serde_json::Value;
use serde_json::value::RawValue;

/// What [`frame`] made of its input.
#[derive(Debug)]
pub enum FrameOutcome {
    NotUtf8,
    Rejected(FrameError),
    Response {
        action: String,
        ok: bool,
    },
    /// A push; `event` is `Event::from_push`'s verdict (its kind, or the error text),
    /// `agent_event` is `AgentEvent::from_push`'s.
    Push {
        action: String,
        event: Result<EventKind, String>,
        agent_event: Result<AgentEventKind, String>,
    },
}

/// Fuzz entry point `frame`: bytes → UTF-8 → [`Frame::decode`] → for pushes
/// [`Event::from_push`]. Never panics unless the core does, or an invariant breaks:
/// * decoding is deterministic and agrees with `Frame::from_value` of the parsed JSON;
/// * a typed event's kind has the push's action as its wire name (on both sides);
/// * a push no side knows was accepted only with a payload within the unknown-push cap;
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
            if !wire::is_known_push(&p.action) {
                let len = payload_len(text).unwrap_or(0);
                assert!(
                    len <= MAX_UNKNOWN_PAYLOAD,
                    "unknown push `{}` accepted with {len} payload bytes",
                    p.action
                );
            }
            let agent_event = match AgentEvent::from_push(&p.action, p.payload.clone()) {
                Ok(ev) => {
                    if let Some(action) = ev.push_action() {
                        assert_eq!(action, p.action, "agent push decoded to another action");
                    }
                    Ok(ev.kind())
                }
                Err(e) => Err(e.to_string()),
            };
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
            FrameOutcome::Push { action: p.action, event, agent_event }
        }
    }
}

/// The length of a frame's `payload` as JSON text, as the codec measures it for the
/// unknown-push cap (`None` if the text has no readable envelope). Cheap for short frames.
pub fn payload_len(text: &str) -> Option<usize> {
    if text.len() <= MAX_UNKNOWN_PAYLOAD {
        return Some(text.len());
    }
    let fields: BTreeMap<String, &RawValue> = serde_json::from_str(text).ok()?;
    Some(fields.get("payload").map_or(0, |p| p.get().len()))
}
