//! Typed payloads of the pushes both APIs send with the same payload (customer-api-3.6.md §4,
//! agent-api-3.6.md §4). `customer::pushes` and `agent::pushes` re-export them next to their
//! own.
//!
//! Fields the docs mark as conditional are `Option`; unknown fields are ignored. An odd event
//! inside a push becomes [`ChatEvent::Unknown`] and never fails the push.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{
    Chat, ChatEvent, DeletedProperties, Properties, Queue, RichMessagePostback, Transfer, User,
};

/// A known push whose payload did not match its documented shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("push `{action}` has an unexpected payload: {message}")]
pub struct PushError {
    pub action: &'static str,
    pub message: String,
}

/// `incoming_chat`: a chat was started or resumed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncomingChat {
    pub chat: Chat,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requester_id: Option<String>,
    /// The agent page puts `transferred_from` beside `chat`; the customer page inside it
    /// ([`Chat::transferred_from`]); this is the former, the latter lives on the chat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transferred_from: Option<Transfer>,
    /// Not on the wire: set when the session found this after a drop (recovery, see
    /// `engine::recovery`) rather than receiving it as a push.
    #[serde(skip)]
    pub recovered: bool,
}

/// `chat_deactivated`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatDeactivated {
    pub chat_id: String,
    pub thread_id: String,
    /// Absent when the router closed the thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Not on the wire: set when the session found this after a drop (recovery, see
    /// `engine::recovery`) rather than receiving it as a push.
    #[serde(skip)]
    pub recovered: bool,
}

/// `chat_transferred`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatTransferred {
    pub chat_id: String,
    /// Only if the chat is active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requester_id: Option<String>,
    /// `manual`, `routing.inactive`, `routing.assigned`, … (not on the 3.6 customer page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default)]
    pub transferred_to: Transfer,
    /// Only if the chat was queued after the transfer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<Queue>,
}

/// `user_added_to_chat`. May arrive with `user.present: false` when a user writes without
/// joining.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserAddedToChat {
    pub chat_id: String,
    /// Only for active chats.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<String>,
    pub user: User,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// If an agent added the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requester_id: Option<String>,
}

/// `user_removed_from_chat`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRemovedFromChat {
    pub chat_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<String>,
    pub user_id: String,
    /// `manual`, `disconnected`, `signed_out`, `remotely_signed_out`, `deleted`,
    /// `chat_deactivated`, `inactive`, `other`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requester_id: Option<String>,
}

/// `incoming_event`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncomingEvent {
    pub chat_id: String,
    pub thread_id: String,
    pub event: ChatEvent,
    /// Not on the wire: set when the session found this after a drop (recovery, see
    /// `engine::recovery`) rather than receiving it as a push.
    #[serde(skip)]
    pub recovered: bool,
}

/// `event_deleted` (new in 3.6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventDeleted {
    pub chat_id: String,
    pub thread_id: String,
    pub event_id: String,
}

/// `event_updated`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventUpdated {
    pub chat_id: String,
    pub thread_id: String,
    pub event: ChatEvent,
}

/// `incoming_rich_message_postback`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncomingRichMessagePostback {
    pub user_id: String,
    pub chat_id: String,
    pub thread_id: String,
    pub event_id: String,
    pub postback: RichMessagePostback,
}

/// `chat_properties_updated`: only the changed part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatPropertiesUpdated {
    pub chat_id: String,
    #[serde(default)]
    pub properties: Properties,
}

/// `chat_properties_deleted`: `{namespace: [names]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatPropertiesDeleted {
    pub chat_id: String,
    #[serde(default)]
    pub properties: DeletedProperties,
}

/// `thread_properties_updated`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreadPropertiesUpdated {
    pub chat_id: String,
    pub thread_id: String,
    #[serde(default)]
    pub properties: Properties,
}

/// `thread_properties_deleted`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadPropertiesDeleted {
    pub chat_id: String,
    pub thread_id: String,
    #[serde(default)]
    pub properties: DeletedProperties,
}

/// `event_properties_updated`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventPropertiesUpdated {
    pub chat_id: String,
    pub thread_id: String,
    pub event_id: String,
    #[serde(default)]
    pub properties: Properties,
}

/// `event_properties_deleted`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventPropertiesDeleted {
    pub chat_id: String,
    pub thread_id: String,
    pub event_id: String,
    #[serde(default)]
    pub properties: DeletedProperties,
}

/// `incoming_thinking_indicator` (new in 3.6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncomingThinkingIndicator {
    pub chat_id: String,
    pub thread_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author_id: Option<String>,
    /// RFC 3339, microseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<String>,
    /// E.g. `Thinking...`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_id: Option<String>,
}

/// `incoming_multicast`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncomingMulticast {
    /// Only when sent with the Multicast method; absent when the server sent it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author_id: Option<String>,
    /// Optional `type` (documented on the agent page).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Any JSON.
    #[serde(default)]
    pub content: Value,
}

/// `events_marked_as_seen`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventsMarkedAsSeen {
    pub user_id: String,
    pub chat_id: String,
    pub seen_up_to: String,
}

/// `queue_position_updated.queue`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuePosition {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<u64>,
    /// Seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_time: Option<u64>,
}
