//! Typed payloads of the 29 customer pushes of API v3.6 (customer-api-3.6.md §4).
//!
//! Fields the docs mark as conditional ("only for active chats", "if added by an agent") are
//! `Option`; unknown fields are ignored. A push whose payload does not match is reported by
//! [`super::events::Event::from_push`] as a `PushError`; events inside pushes never cause that
//! (an odd event becomes [`ChatEvent::Unknown`]).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use crate::model::GroupStatusEntry;
use crate::model::{Address, ChatEvent, Greeting, GroupStatus, Recipients};
pub use crate::pushes::{
    ChatDeactivated, ChatPropertiesDeleted, ChatPropertiesUpdated, ChatTransferred, EventDeleted,
    EventPropertiesDeleted, EventPropertiesUpdated, EventUpdated, EventsMarkedAsSeen, IncomingChat,
    IncomingEvent, IncomingMulticast, IncomingRichMessagePostback, IncomingThinkingIndicator, QueuePosition,
    ThreadPropertiesDeleted, ThreadPropertiesUpdated, UserAddedToChat, UserRemovedFromChat,
};

/// `incoming_event_preview` (new in 3.6): a message without `id` that is still being written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncomingEventPreview {
    pub chat_id: String,
    pub thread_id: String,
    pub event: ChatEvent,
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
