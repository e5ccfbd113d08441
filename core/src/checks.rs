//! The checks a request gets before it is sent ([`crate::Request::check`]): documented
//! limits and required fields, so a mistake fails at once with an error naming it instead
//! of a round trip (or a silent truncation) at the server. Here: the helpers, the checks
//! every action gets, and the checks of the actions both sides share
//! ([`crate::actions`]); each side's own are in its `checks.rs`.
//!
//! Choice: the shared actions get one set of rules on both sides. The agent SDK checked
//! `chat_id` and a message's text before sending; a customer sending the same mistake gets
//! the same clear error now, where it used to get the server's.

use serde_json::Value;

use crate::error::Error;

/// Checks for every action, typed or not: what the session sends itself cannot be sent by
/// hand, and a payload is an object.
pub fn any_action(action: &str, payload: &Value) -> Result<(), Error> {
    match action {
        "login" | "ping" => Err(Error::invalid(format!("`{action}` is sent by the session itself"))),
        _ if !payload.is_object() => Err(Error::invalid(format!("`{action}` payload must be a JSON object"))),
        _ => Ok(()),
    }
}

pub(crate) fn str_field<'a>(payload: &'a Value, key: &str) -> Option<&'a str> {
    payload.get(key).and_then(Value::as_str)
}

/// `key` is a non-empty string.
pub(crate) fn require(action: &str, payload: &Value, key: &str) -> Result<(), Error> {
    match str_field(payload, key) {
        Some(s) if !s.trim().is_empty() => Ok(()),
        _ => Err(Error::invalid(format!("{action}: `{key}` is required and must not be empty"))),
    }
}

/// The array at `pointer`, if any, has at most `max` items.
pub(crate) fn at_most(payload: &Value, pointer: &str, max: usize) -> bool {
    payload.pointer(pointer).and_then(Value::as_array).is_none_or(|a| a.len() <= max)
}

/// `list_threads` (both sides' shapes): `limit` ≤ 100, `min_events_count` 1..=100, not both.
/// `session_fields`: at most 100 pairs (customer `update_customer` and
/// `set_customer_session_fields`, agent `update_customer`).
pub(crate) fn session_fields(action: &str, payload: &Value) -> Result<(), Error> {
    if !at_most(payload, "/session_fields", 100) {
        return Err(Error::invalid(format!("{action}: at most 100 session fields")));
    }
    Ok(())
}

pub(crate) fn list_threads(payload: &Value) -> Result<(), Error> {
    let number = |key| payload.get(key).and_then(Value::as_u64);
    if number("limit").is_some_and(|l| l > 100) {
        return Err(Error::invalid("list_threads: `limit` is too high (max 100)."));
    }
    if number("min_events_count").is_some_and(|l| !(1..=100).contains(&l)) {
        return Err(Error::invalid("list_threads: `min_events_count` must be 1..100."));
    }
    if payload.get("limit").is_some() && payload.get("min_events_count").is_some() {
        return Err(Error::invalid("list_threads: `limit` and `min_events_count` cannot be used together."));
    }
    Ok(())
}

/// A `message` event has a non-empty `text` (`send_event`, `send_event_preview`).
pub(crate) fn message_text(action: &str, payload: &Value) -> Result<(), Error> {
    let event = payload.get("event");
    let text = event.and_then(|e| str_field(e, "text"));
    if event.and_then(|e| str_field(e, "type")) == Some("message") && text.is_none_or(|t| t.trim().is_empty())
    {
        return Err(Error::invalid(format!("{action}: a message needs a non-empty `text`")));
    }
    Ok(())
}

/// `send_event`: a chat and an event object; a message has text.
pub(crate) fn send_event(payload: &Value) -> Result<(), Error> {
    if str_field(payload, "chat_id").is_none() {
        return Err(Error::invalid("send_event: `chat_id` is required"));
    }
    if !payload.get("event").is_some_and(Value::is_object) {
        return Err(Error::invalid("send_event: `event` must be an object"));
    }
    require("send_event", payload, "chat_id")?;
    message_text("send_event", payload)
}

pub(crate) fn get_chat(payload: &Value) -> Result<(), Error> {
    require("get_chat", payload, "chat_id")
}

pub(crate) fn mark_events_as_seen(payload: &Value) -> Result<(), Error> {
    require("mark_events_as_seen", payload, "chat_id")
}
