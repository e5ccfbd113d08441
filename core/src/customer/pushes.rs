//! Typed payloads of the 29 customer pushes of API v3.6 (customer-api-3.6.md §4).
//!
//! STUB: minimal shapes; the full payload structs replace this file.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::model::{Chat, ChatEvent, GroupStatus, Properties, User};

macro_rules! raw_push {
    ($($name:ident),* $(,)?) => {$(
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        pub struct $name {
            #[serde(flatten)]
            pub raw: Map<String, Value>,
        }
    )*};
}

raw_push!(
    ChatTransferred,
    UserRemovedFromChat,
    IncomingEventPreview,
    EventDeleted,
    EventUpdated,
    IncomingRichMessagePostback,
    ChatPropertiesUpdated,
    ChatPropertiesDeleted,
    ThreadPropertiesDeleted,
    EventPropertiesUpdated,
    EventPropertiesDeleted,
    CustomerUpdated,
    IncomingThinkingIndicator,
    IncomingTypingIndicator,
    IncomingMulticast,
    EventsMarkedAsSeen,
    IncomingGreeting,
    GreetingAccepted,
    GreetingCanceled,
    IncomingWelcomeMessage,
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncomingChat {
    pub chat: Chat,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatDeactivated {
    pub chat_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserAddedToChat {
    pub chat_id: String,
    pub user: User,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncomingEvent {
    pub chat_id: String,
    pub thread_id: String,
    pub event: ChatEvent,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreadPropertiesUpdated {
    pub chat_id: String,
    pub thread_id: String,
    pub properties: Properties,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerSideStorageUpdated {
    pub customer_side_storage: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerDisconnected {
    pub reason: String,
    #[serde(default)]
    pub data: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupStatusEntry {
    pub id: u64,
    pub status: GroupStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupsStatusUpdated {
    pub groups: Vec<GroupStatusEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueuePosition {
    #[serde(default)]
    pub position: Option<u64>,
    #[serde(default)]
    pub wait_time: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueuePositionUpdated {
    pub chat_id: String,
    pub thread_id: String,
    pub queue: QueuePosition,
}
