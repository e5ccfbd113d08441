//! Typed payloads of the agent pushes whose payload agent-api-3.6.md §4 documents (plus the
//! thread-tag and customer-session-field pushes whose fields the Python SDK's v3.7 webhook
//! classes list, §6 of agent-sdk-behaviour.md: "pushes and webhooks have similar payloads").
//!
//! Payloads identical to the customer side are re-exported from [`crate::pushes`];
//! agent-specific ones are defined here. Same tolerance rules as the customer pushes:
//! conditional fields are `Option`, unknown fields are ignored, odd events become
//! [`crate::model::ChatEvent::Unknown`].

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::model::{Access, Recipients};
pub use crate::pushes::{
    ChatDeactivated, ChatPropertiesDeleted, ChatPropertiesUpdated, ChatTransferred, EventDeleted,
    EventPropertiesDeleted, EventPropertiesUpdated, EventUpdated, EventsMarkedAsSeen, IncomingChat,
    IncomingEvent, IncomingMulticast, IncomingRichMessagePostback, IncomingThinkingIndicator, QueuePosition,
    ThreadPropertiesDeleted, ThreadPropertiesUpdated, UserAddedToChat, UserRemovedFromChat,
};

use super::actions::RoutingStatus;
pub use crate::customer::pushes::{CustomerUpdated, GroupsStatusUpdated};

/// `chat_unfollowed`: this agent no longer follows the chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatUnfollowed {
    pub chat_id: String,
}

/// `chat_deleted`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatDeleted {
    pub chat_id: String,
}

/// `thread_deleted`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadDeleted {
    pub chat_id: String,
    pub thread_id: String,
}

/// `customer_banned`: the customer was banned for `ban.days` days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerBanned {
    pub customer_id: String,
    pub ban: super::actions::Ban,
}

/// `chat_access_updated`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatAccessUpdated {
    /// The chat id.
    pub id: String,
    #[serde(default)]
    pub access: Access,
}

/// `incoming_sneak_peek`: what the customer is typing (from their `send_sneak_peek`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncomingSneakPeek {
    pub chat_id: String,
    pub thread_id: String,
    pub sneak_peek: SneakPeek,
}

/// `incoming_sneak_peek.sneak_peek`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SneakPeek {
    /// The customer.
    pub author_id: String,
    #[serde(default)]
    pub text: String,
    /// Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<u64>,
}

/// `incoming_typing_indicator` (agent view: `visibility` instead of `recipients`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncomingTypingIndicator {
    pub chat_id: String,
    pub thread_id: String,
    pub typing_indicator: TypingIndicator,
}

/// `incoming_typing_indicator.typing_indicator`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypingIndicator {
    pub author_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Recipients>,
    /// Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<u64>,
    #[serde(default)]
    pub is_typing: bool,
}

/// `routing_status_set`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingStatusSet {
    pub agent_id: String,
    pub status: RoutingStatus,
}

/// `queue_positions_updated`: the payload is an **array** of these.
pub type QueuePositionsUpdated = Vec<QueuedThread>;

/// One entry of `queue_positions_updated`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedThread {
    pub chat_id: String,
    pub thread_id: String,
    #[serde(default)]
    pub queue: QueuePosition,
}

/// `thread_summary_set` (after `request_thread_summary`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadSummarySet {
    pub chat_id: String,
    pub thread_id: String,
    pub summary: ThreadSummary,
}

/// `thread_summary_set.summary`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadSummary {
    /// `ok` or `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

/// `incoming_error`: an asynchronous request failed. Only a sample is documented
/// (`{action: "set_thread_summary", chat_id, thread_id}`), so the known fields are optional
/// and everything else is kept in `other`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IncomingError {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<String>,
    /// `{type, message}` when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Value>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// `thread_tagged` / `thread_untagged`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadTag {
    pub chat_id: String,
    pub thread_id: String,
    pub tag: String,
}

/// `customer_session_fields_updated`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerSessionFieldsUpdated {
    /// The customer id.
    pub id: String,
    #[serde(default)]
    pub session_fields: Vec<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_chat: Option<Value>,
}
