//! The agent's own checks before sending ([`crate::Request::check`]), from the documented
//! limits and the Node chat SDK's argument checks; the shared ones are in `crate::checks`.

use serde_json::Value;

use super::session::MAX_LIST_LIMIT;
use crate::checks::{at_most, message_text, require, str_field};
use crate::error::Error;

pub(super) fn list_chats(payload: &Value) -> Result<(), Error> {
    if payload.get("limit").and_then(Value::as_u64).is_some_and(|l| l > MAX_LIST_LIMIT) {
        return Err(Error::invalid("list_chats: `limit` is too high (max 100)."));
    }
    if !at_most(payload, "/filters/group_ids", 200) {
        return Err(Error::invalid("list_chats: at most 200 `filters.group_ids`."));
    }
    Ok(())
}

/// The shared `list_threads` limits, and `filters` only without `min_events_count`.
pub(super) fn list_threads(payload: &Value) -> Result<(), Error> {
    crate::checks::list_threads(payload)?;
    if payload.get("min_events_count").is_some() && payload.get("filters").is_some() {
        return Err(Error::invalid("list_threads: `min_events_count` cannot be used with `filters`."));
    }
    require("list_threads", payload, "chat_id")
}

pub(super) fn send_event_preview(payload: &Value) -> Result<(), Error> {
    require("send_event_preview", payload, "chat_id")?;
    message_text("send_event_preview", payload)?;
    if payload.get("event").and_then(|e| str_field(e, "type")) != Some("message") {
        return Err(Error::invalid("send_event_preview: only `message` events can be previewed"));
    }
    Ok(())
}

pub(super) fn send_typing_indicator(payload: &Value) -> Result<(), Error> {
    require("send_typing_indicator", payload, "chat_id")
}

pub(super) fn send_thinking_indicator(payload: &Value) -> Result<(), Error> {
    require("send_thinking_indicator", payload, "chat_id")
}

pub(super) fn list_agents_for_transfer(payload: &Value) -> Result<(), Error> {
    require("list_agents_for_transfer", payload, "chat_id")
}

pub(super) fn deactivate_chat(payload: &Value) -> Result<(), Error> {
    require("deactivate_chat", payload, "id")
}

pub(super) fn transfer_chat(payload: &Value) -> Result<(), Error> {
    require("transfer_chat", payload, "id")
}

pub(super) fn follow_chat(payload: &Value) -> Result<(), Error> {
    require("follow_chat", payload, "id")
}

pub(super) fn unfollow_chat(payload: &Value) -> Result<(), Error> {
    require("unfollow_chat", payload, "id")
}

pub(super) fn add_user_to_chat(payload: &Value) -> Result<(), Error> {
    require("add_user_to_chat", payload, "chat_id")?;
    require("add_user_to_chat", payload, "user_id")?;
    if str_field(payload, "user_type") == Some("customer") && str_field(payload, "visibility") != Some("all")
    {
        return Err(Error::invalid("add_user_to_chat: a customer must be added with `visibility: all`"));
    }
    Ok(())
}

pub(super) fn remove_user_from_chat(payload: &Value) -> Result<(), Error> {
    if str_field(payload, "user_type") != Some("agent") {
        return Err(Error::invalid("remove_user_from_chat: only agents can be removed (`user_type: agent`)"));
    }
    Ok(())
}

pub(super) fn multicast(payload: &Value) -> Result<(), Error> {
    let agents = payload.pointer("/recipients/agents");
    if !["all", "ids", "groups"].iter().any(|k| agents.and_then(|a| a.get(k)).is_some()) {
        return Err(Error::invalid("multicast: `recipients.agents` needs `all`, `ids` or `groups`"));
    }
    if payload.get("content").is_none() {
        return Err(Error::invalid("multicast: `content` is required"));
    }
    Ok(())
}

pub(super) fn set_routing_status(payload: &Value) -> Result<(), Error> {
    require("set_routing_status", payload, "status")
}

/// `list_archives`: `limit` 1..=100.
pub(super) fn list_archives(payload: &Value) -> Result<(), Error> {
    match payload.get("limit").and_then(Value::as_u64) {
        Some(0) => Err(Error::invalid("list_archives: `limit` must be at least 1.")),
        Some(l) if l > MAX_LIST_LIMIT => Err(Error::invalid("list_archives: `limit` is too high (max 100).")),
        _ => Ok(()),
    }
}

/// `update_customer`: something to update besides `id`.
pub(super) fn update_customer(payload: &Value) -> Result<(), Error> {
    let any = ["name", "email", "avatar", "session_fields"]
        .iter()
        .any(|f| payload.get(*f).is_some_and(|v| !v.is_null()));
    if !any {
        return Err(Error::invalid(
            "update_customer: give at least one of `name`, `email`, `avatar`, `session_fields`.",
        ));
    }
    Ok(())
}
