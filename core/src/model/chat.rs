//! Chats, threads and chat summaries (customer-api-3.6.md §5.5–5.7).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Access, ChatEvent, Properties, User};

/// A chat with (at most) one thread: `get_chat`, `incoming_chat`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Chat {
    pub id: String,
    #[serde(default)]
    pub users: Vec<User>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: Properties,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<Access>,
    /// `None` when the chat has no thread (threads can be removed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<Thread>,
    /// `incoming_chat` after a transfer (the customer page documents it inside `chat`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transferred_from: Option<Transfer>,
    /// Fields this version does not model (`is_followed`, …), kept as sent.
    #[serde(flatten)]
    pub extra: super::Extra,
}

impl Chat {
    /// The user with this id, if present.
    pub fn user(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.id() == id)
    }
}

/// Agents and groups a chat was transferred from / to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group_ids: Vec<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agent_ids: Vec<String>,
}

/// One thread of a chat.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Thread {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default)]
    pub active: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user_ids: Vec<String>,
    #[serde(default)]
    pub events: Vec<ChatEvent>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: Properties,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<Access>,
    /// Only while the thread is queued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<Queue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_thread_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_thread_id: Option<String>,
    /// Fields this version does not model (`tags`, `summary`, `customer_visit`, …), kept as sent.
    #[serde(flatten)]
    pub extra: super::Extra,
}

/// A thread's place in the queue (`thread.queue`, `chat_transferred.queue`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Queue {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<u64>,
    /// Seconds, approximate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_time: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queued_at: Option<String>,
}

/// One entry of `list_chats`' `chats_summary`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatSummary {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_thread_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_thread_created_at: Option<String>,
    #[serde(default)]
    pub users: Vec<User>,
    /// Keyed by event type (`message`, `file`, …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub last_event_per_type: BTreeMap<String, LastEvent>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: Properties,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<Access>,
    #[serde(default)]
    pub active: bool,
}

impl ChatSummary {
    /// The most recent entry of `last_event_per_type`: greatest `thread_created_at`, then
    /// greatest event `created_at` (RFC 3339 strings of one format compare as text), the rule
    /// the Customer SDK uses for `lastEvent`.
    pub fn last_event(&self) -> Option<&LastEvent> {
        self.last_event_per_type.values().max_by(|a, b| {
            (a.thread_created_at.as_deref(), a.event.created_at())
                .cmp(&(b.thread_created_at.as_deref(), b.event.created_at()))
        })
    }
}

/// A value of `last_event_per_type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LastEvent {
    pub thread_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_order: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_created_at: Option<String>,
    pub event: ChatEvent,
}
