//! Typed requests for the RTM actions both APIs share, with the same payload on the customer
//! and the agent side (customer-api-3.6.md §3, agent-api-3.6.md §3), and the ones the engine
//! sends itself (`ping`, the `list_threads` pages of the history iterator and of the
//! exactly-once checks, the rating steps).
//!
//! `customer::actions` and `agent::actions` re-export them, so each side's module lists every
//! request of that side. [`ListThreads`] here is the customer's shape; the agent's adds
//! `filters` and has its own type.

use crate::model::{Chat, ChatEvent, DeletedProperties, Properties, RichMessagePostback, SortOrder, Thread};
use crate::request::{AgentRequest, CustomerRequest, Request};
use serde::{Deserialize, Deserializer, Serialize};

/// The response of actions documented with "no response payload". Accepts any JSON.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Empty {}

impl<'de> Deserialize<'de> for Empty {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Empty, D::Error> {
        serde::de::IgnoredAny::deserialize(d)?;
        Ok(Empty {})
    }
}

/// `list_threads`. `limit` and `min_events_count` are mutually exclusive; `page_id` goes alone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListThreads {
    pub chat_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_order: Option<SortOrder>,
    /// Default 3, max 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_id: Option<String>,
    /// 1..=100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_events_count: Option<u32>,
}

impl ListThreads {
    pub fn new(chat_id: impl Into<String>) -> ListThreads {
        ListThreads { chat_id: chat_id.into(), ..ListThreads::default() }
    }
    /// A follow-up page.
    pub fn page(chat_id: impl Into<String>, page_id: impl Into<String>) -> ListThreads {
        ListThreads { page_id: Some(page_id.into()), ..ListThreads::new(chat_id) }
    }
}

/// Response of `list_threads`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ListThreadsResponse {
    #[serde(default)]
    pub threads: Vec<Thread>,
    #[serde(default)]
    pub found_threads: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_page_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_page_id: Option<String>,
}

/// `get_chat`; responds with the [`Chat`] and one thread (the latest unless `thread_id`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetChat {
    pub chat_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<String>,
}

impl GetChat {
    pub fn new(chat_id: impl Into<String>) -> GetChat {
        GetChat { chat_id: chat_id.into(), thread_id: None }
    }
    pub fn thread(chat_id: impl Into<String>, thread_id: impl Into<String>) -> GetChat {
        GetChat { chat_id: chat_id.into(), thread_id: Some(thread_id.into()) }
    }
}

/// The initial thread of `start_chat` / `resume_chat`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InitialThread {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<ChatEvent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<Properties>,
}

/// Response of `start_chat` merged with its `incoming_chat` push.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartChatResponse {
    pub chat_id: String,
    pub thread_id: String,
    /// Only when initial events were given (user-made ones only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_ids: Option<Vec<String>>,
    /// From the `incoming_chat` push.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat: Option<Chat>,
}

/// Response of `resume_chat` merged with its `incoming_chat` push.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResumeChatResponse {
    pub thread_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_ids: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat: Option<Chat>,
}

/// `send_event`; completed by the `incoming_event` push.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendEvent {
    pub chat_id: String,
    pub event: ChatEvent,
    /// Inactive chats only: append to the last thread instead of failing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attach_to_last_thread: Option<bool>,
}

impl SendEvent {
    pub fn new(chat_id: impl Into<String>, event: ChatEvent) -> SendEvent {
        SendEvent { chat_id: chat_id.into(), event, attach_to_last_thread: None }
    }
    /// Builder: set `attach_to_last_thread: true`.
    pub fn attach_to_last_thread(mut self) -> SendEvent {
        self.attach_to_last_thread = Some(true);
        self
    }
}

/// Response of `send_event` merged with its `incoming_event` push.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendEventResponse {
    pub event_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<String>,
    /// The event as stored, from the push.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<ChatEvent>,
}

/// `send_rich_message_postback`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendRichMessagePostback {
    pub chat_id: String,
    pub thread_id: String,
    pub event_id: String,
    pub postback: RichMessagePostback,
}

impl SendRichMessagePostback {
    pub fn new(
        chat_id: impl Into<String>,
        thread_id: impl Into<String>,
        event_id: impl Into<String>,
        postback: RichMessagePostback,
    ) -> SendRichMessagePostback {
        SendRichMessagePostback {
            chat_id: chat_id.into(),
            thread_id: thread_id.into(),
            event_id: event_id.into(),
            postback,
        }
    }
}

/// `update_chat_properties` (`id` is the chat id).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UpdateChatProperties {
    pub id: String,
    pub properties: Properties,
}

impl UpdateChatProperties {
    pub fn new(chat_id: impl Into<String>, properties: Properties) -> UpdateChatProperties {
        UpdateChatProperties { id: chat_id.into(), properties }
    }
}

/// `delete_chat_properties`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteChatProperties {
    pub id: String,
    pub properties: DeletedProperties,
}

impl DeleteChatProperties {
    pub fn new(chat_id: impl Into<String>, properties: DeletedProperties) -> DeleteChatProperties {
        DeleteChatProperties { id: chat_id.into(), properties }
    }
}

/// `update_thread_properties`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UpdateThreadProperties {
    pub chat_id: String,
    pub thread_id: String,
    pub properties: Properties,
}

impl UpdateThreadProperties {
    pub fn new(
        chat_id: impl Into<String>,
        thread_id: impl Into<String>,
        properties: Properties,
    ) -> UpdateThreadProperties {
        UpdateThreadProperties { chat_id: chat_id.into(), thread_id: thread_id.into(), properties }
    }
}

/// `delete_thread_properties`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteThreadProperties {
    pub chat_id: String,
    pub thread_id: String,
    pub properties: DeletedProperties,
}

impl DeleteThreadProperties {
    pub fn new(
        chat_id: impl Into<String>,
        thread_id: impl Into<String>,
        properties: DeletedProperties,
    ) -> DeleteThreadProperties {
        DeleteThreadProperties { chat_id: chat_id.into(), thread_id: thread_id.into(), properties }
    }
}

/// `update_event_properties`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UpdateEventProperties {
    pub chat_id: String,
    pub thread_id: String,
    pub event_id: String,
    pub properties: Properties,
}

impl UpdateEventProperties {
    pub fn new(
        chat_id: impl Into<String>,
        thread_id: impl Into<String>,
        event_id: impl Into<String>,
        properties: Properties,
    ) -> UpdateEventProperties {
        UpdateEventProperties {
            chat_id: chat_id.into(),
            thread_id: thread_id.into(),
            event_id: event_id.into(),
            properties,
        }
    }
}

/// `delete_event_properties`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteEventProperties {
    pub chat_id: String,
    pub thread_id: String,
    pub event_id: String,
    pub properties: DeletedProperties,
}

impl DeleteEventProperties {
    pub fn new(
        chat_id: impl Into<String>,
        thread_id: impl Into<String>,
        event_id: impl Into<String>,
        properties: DeletedProperties,
    ) -> DeleteEventProperties {
        DeleteEventProperties {
            chat_id: chat_id.into(),
            thread_id: thread_id.into(),
            event_id: event_id.into(),
            properties,
        }
    }
}

/// `mark_events_as_seen`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkEventsAsSeen {
    pub chat_id: String,
    /// RFC 3339.
    pub seen_up_to: String,
}

impl MarkEventsAsSeen {
    pub fn new(chat_id: impl Into<String>, seen_up_to: impl Into<String>) -> MarkEventsAsSeen {
        MarkEventsAsSeen { chat_id: chat_id.into(), seen_up_to: seen_up_to.into() }
    }
}

/// `ping`: keepalive, every 15 s after login.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ping {}

macro_rules! shared_actions {
    (
        both { $( $ty:ident => $wire:literal : $resp:ty $(, check $check:path)?; )* }
        customer { $( $cty:ident => $cwire:literal : $cresp:ty $(, check $ccheck:path)?; )* }
    ) => {
        $(
            impl Request for $ty {
                const ACTION: &'static str = $wire;
                type Response = $resp;
                $( fn check(payload: &serde_json::Value) -> Result<(), crate::Error> { $check(payload) } )?
            }
            impl CustomerRequest for $ty {}
            impl AgentRequest for $ty {}
        )*
        $(
            impl Request for $cty {
                const ACTION: &'static str = $cwire;
                type Response = $cresp;
                $( fn check(payload: &serde_json::Value) -> Result<(), crate::Error> { $ccheck(payload) } )?
            }
            impl CustomerRequest for $cty {}
        )*

        /// The shared actions both sides type with the structs above.
        pub const SHARED: &[&str] = &[ $( $wire, )* ];
    };
}

shared_actions! {
    both {
        GetChat => "get_chat": crate::model::Chat, check crate::checks::get_chat;
        SendEvent => "send_event": SendEventResponse, check crate::checks::send_event;
        SendRichMessagePostback => "send_rich_message_postback": Empty;
        MarkEventsAsSeen => "mark_events_as_seen": Empty, check crate::checks::mark_events_as_seen;
        UpdateChatProperties => "update_chat_properties": Empty;
        DeleteChatProperties => "delete_chat_properties": Empty;
        UpdateThreadProperties => "update_thread_properties": Empty;
        DeleteThreadProperties => "delete_thread_properties": Empty;
        UpdateEventProperties => "update_event_properties": Empty;
        DeleteEventProperties => "delete_event_properties": Empty;
    }
    // The agent's `list_threads` has `filters` and its own type; the agent sends no `ping`
    // request type of its own either (the session pings).
    customer {
        ListThreads => "list_threads": ListThreadsResponse, check crate::checks::list_threads;
        Ping => "ping": Empty;
    }
}
