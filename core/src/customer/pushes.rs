//! Typed payloads of the 29 customer pushes of API v3.6 (customer-api-3.6.md §4).
//!
//! Fields the docs mark as conditional ("only for active chats", "if added by an agent") are
//! `Option`; unknown fields are ignored. A push whose payload does not match is reported by
//! [`super::events::Event::from_push`] as a `PushError`; events inside pushes never cause that
//! (an odd event becomes [`ChatEvent::Unknown`]).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use crate::model::GroupStatusEntry;
use crate::model::{
    Address, Chat, ChatEvent, DeletedProperties, Greeting, GroupStatus, Properties, Queue, Recipients,
    RichMessagePostback, Transfer, User,
};

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
}

/// `chat_deactivated`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatDeactivated {
    pub chat_id: String,
    pub thread_id: String,
    /// Absent when the router closed the thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
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

/// `incoming_event_preview` (new in 3.6): a message without `id` that is still being written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncomingEventPreview {
    pub chat_id: String,
    pub thread_id: String,
    pub event: ChatEvent,
}

/// `incoming_event`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncomingEvent {
    pub chat_id: String,
    pub thread_id: String,
    pub event: ChatEvent,
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

/// `customer_updated`: the Customer with **only the changed fields** (not nested under
/// `customer` since 3.3), so every field but `id` is optional here.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomerUpdated {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_fields: Option<Vec<Map<String, Value>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub omnichannel: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
}

/// `customer_side_storage_updated`: keep it and send it back at the next `login`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerSideStorageUpdated {
    #[serde(default)]
    pub customer_side_storage: Map<String, Value>,
}

/// `customer_disconnected`; the server closes the socket after it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerDisconnected {
    pub reason: String,
    /// E.g. `{"region": "fra"}` for `misdirected_connection`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

/// `groups_status_updated`: only the groups whose status changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupsStatusUpdated {
    #[serde(default)]
    pub groups: Vec<GroupStatusEntry>,
}

impl GroupsStatusUpdated {
    /// The status of group `id`, if it is in this update.
    pub fn status_of(&self, id: u64) -> Option<&GroupStatus> {
        self.groups.iter().find(|g| g.id == id).map(|g| &g.status)
    }
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

/// `incoming_typing_indicator`.
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
    pub recipients: Option<Recipients>,
    /// Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<u64>,
    #[serde(default)]
    pub is_typing: bool,
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

/// `incoming_greeting`: the payload is a [`Greeting`].
pub type IncomingGreeting = Greeting;

/// `greeting_accepted`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GreetingAccepted {
    pub unique_id: String,
}

/// `greeting_canceled` (also sent when a new greeting replaces the shown one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GreetingCanceled {
    pub unique_id: String,
}

/// `incoming_welcome_message` (new in 3.6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncomingWelcomeMessage {
    /// The welcome-message id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// A message (or rich message); the sample has no `id`.
    pub event: ChatEvent,
}

/// `queue_position_updated`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuePositionUpdated {
    pub chat_id: String,
    pub thread_id: String,
    pub queue: QueuePosition,
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
