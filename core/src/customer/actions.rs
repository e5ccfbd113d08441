//! One typed request per Customer Chat API v3.6 RTM action (customer-api-3.6.md §3).
//!
//! Every struct serialises to the action's wire `payload` (optional fields are left out when
//! unset) and implements [`Request`] (action name + response type) and [`CustomerRequest`].
//! Requests also deserialise, so a simulator can parse what clients send.
//!
//! Actions whose documented response is empty resolve to [`Empty`]. The push-completed actions
//! (`start_chat`, `resume_chat`, `send_event`) resolve to the response payload merged with the
//! push payload carrying the same `request_id`, hence the `Option` push fields on
//! [`StartChatResponse`], [`ResumeChatResponse`] and [`SendEventResponse`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use crate::actions::{
    DeleteChatProperties, DeleteEventProperties, DeleteThreadProperties, Empty, GetChat, InitialThread,
    ListThreads, ListThreadsResponse, MarkEventsAsSeen, Ping, ResumeChatResponse, SendEvent,
    SendEventResponse, SendRichMessagePostback, StartChatResponse, UpdateChatProperties,
    UpdateEventProperties, UpdateThreadProperties,
};
use crate::model::{
    Access, Address, Agent, ChatEvent, ChatSummary, Customer, Form, FormType, GroupStatus, GroupStatusEntry,
    Properties, SortOrder,
};
use crate::request::{CustomerRequest, Request};

pub use super::login::{Application, CustomerPage, Login, LoginChat, LoginCustomer, LoginResponse};

// ---------------------------------------------------------------------------------------------
// chats
// ---------------------------------------------------------------------------------------------

/// `list_chats`. Send either `page_id` alone, or `limit` / `sort_order`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListChats {
    /// Default 10, max 25.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_order: Option<SortOrder>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_id: Option<String>,
}

impl ListChats {
    /// The first page (server defaults).
    pub fn new() -> ListChats {
        ListChats::default()
    }
    /// A follow-up page.
    pub fn page(page_id: impl Into<String>) -> ListChats {
        ListChats { page_id: Some(page_id.into()), ..ListChats::default() }
    }
}

/// Response of `list_chats`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ListChatsResponse {
    #[serde(default)]
    pub chats_summary: Vec<ChatSummary>,
    /// An estimate.
    #[serde(default)]
    pub total_chats: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_page_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_page_id: Option<String>,
}

/// `start_chat.chat`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StartChatData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<Properties>,
    /// Default: all agents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<Access>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<InitialThread>,
}

/// `start_chat`; completed by the `incoming_chat` push.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StartChat {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat: Option<StartChatData>,
    /// Default true; false starts an inactive thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Default false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continuous: Option<bool>,
    /// Not in the 3.6 API docs; the Customer SDK v5 sends it to include a welcome message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub welcome_message_id: Option<String>,
}

impl StartChat {
    pub fn new() -> StartChat {
        StartChat::default()
    }
    /// Start with these initial events.
    pub fn with_events(events: Vec<ChatEvent>) -> StartChat {
        StartChat {
            chat: Some(StartChatData {
                thread: Some(InitialThread { events, properties: None }),
                ..StartChatData::default()
            }),
            ..StartChat::default()
        }
    }
}

/// `resume_chat.chat`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResumeChatData {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<Access>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<Properties>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<InitialThread>,
}

/// `resume_chat`; completed by the `incoming_chat` push.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResumeChat {
    pub chat: ResumeChatData,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// true → continuous, false → not, unset → unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continuous: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub welcome_message_id: Option<String>,
}

impl ResumeChat {
    pub fn new(chat_id: impl Into<String>) -> ResumeChat {
        ResumeChat {
            chat: ResumeChatData { id: chat_id.into(), ..ResumeChatData::default() },
            ..ResumeChat::default()
        }
    }
}

/// `deactivate_chat` (`id` is the chat id).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeactivateChat {
    pub id: String,
}

impl DeactivateChat {
    pub fn new(chat_id: impl Into<String>) -> DeactivateChat {
        DeactivateChat { id: chat_id.into() }
    }
}

// ---------------------------------------------------------------------------------------------
// events
// ---------------------------------------------------------------------------------------------

/// `delete_event` (new in 3.6).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteEvent {
    pub chat_id: String,
    pub thread_id: String,
    pub event_id: String,
}

impl DeleteEvent {
    pub fn new(
        chat_id: impl Into<String>,
        thread_id: impl Into<String>,
        event_id: impl Into<String>,
    ) -> DeleteEvent {
        DeleteEvent { chat_id: chat_id.into(), thread_id: thread_id.into(), event_id: event_id.into() }
    }
}

/// `send_sneak_peek`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendSneakPeek {
    pub chat_id: String,
    pub sneak_peek_text: String,
}

impl SendSneakPeek {
    pub fn new(chat_id: impl Into<String>, sneak_peek_text: impl Into<String>) -> SendSneakPeek {
        SendSneakPeek { chat_id: chat_id.into(), sneak_peek_text: sneak_peek_text.into() }
    }
}

// ---------------------------------------------------------------------------------------------
// properties
// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------
// customers
// ---------------------------------------------------------------------------------------------

/// `update_customer`: set at least one field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UpdateCustomer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_fields: Option<Vec<Map<String, Value>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub omnichannel: Option<Omnichannel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// Undocumented (Python SDK only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_is_default: Option<bool>,
    /// Undocumented (Python SDK only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
}

/// `update_customer.omnichannel` (request shape; responses keep omnichannel raw).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Omnichannel {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fbmessenger: Option<FbMessenger>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub twilio: Option<Twilio>,
}

/// `update_customer.omnichannel.fbmessenger`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FbMessenger {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_pic: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_verified_user: Option<bool>,
}

/// `update_customer.omnichannel.twilio`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Twilio {
    pub phone_number: String,
}

/// `update_customer_page`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateCustomerPage {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

impl UpdateCustomerPage {
    pub fn new(url: impl Into<String>) -> UpdateCustomerPage {
        UpdateCustomerPage { url: url.into(), title: None }
    }
}

/// Response of `update_customer_page`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateCustomerPageResponse {
    /// Present only if the call changed the customer's group assignment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<GroupStatusEntry>>,
}

/// `set_customer_session_fields` (max 100 keys).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SetCustomerSessionFields {
    pub session_fields: Vec<Map<String, Value>>,
}

impl SetCustomerSessionFields {
    pub fn new(session_fields: Vec<Map<String, Value>>) -> SetCustomerSessionFields {
        SetCustomerSessionFields { session_fields }
    }

    /// From `(key, value)` pairs, in order: `[{k1: v1}, {k2: v2}, …]`.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> SetCustomerSessionFields {
        let session_fields = pairs
            .into_iter()
            .map(|(k, v)| {
                let mut m = Map::new();
                m.insert(k.into(), Value::String(v.into()));
                m
            })
            .collect();
        SetCustomerSessionFields { session_fields }
    }
}

/// `get_customer` (no parameters); responds with a [`Customer`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetCustomer {}

// ---------------------------------------------------------------------------------------------
// status
// ---------------------------------------------------------------------------------------------

/// `list_group_statuses`: give `all: true` or `group_ids`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListGroupStatuses {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_ids: Option<Vec<u64>>,
}

impl ListGroupStatuses {
    /// Every group.
    pub fn all() -> ListGroupStatuses {
        ListGroupStatuses { all: Some(true), group_ids: None }
    }
    /// These groups.
    pub fn groups(group_ids: Vec<u64>) -> ListGroupStatuses {
        ListGroupStatuses { all: None, group_ids: Some(group_ids) }
    }
}

/// Response of `list_group_statuses`: `{"groups_status": {"<group id>": status}}`. Ids of
/// groups that do not exist are simply absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListGroupStatusesResponse {
    #[serde(default)]
    pub groups_status: BTreeMap<u64, GroupStatus>,
}

// ---------------------------------------------------------------------------------------------
// other
// ---------------------------------------------------------------------------------------------

/// `get_form`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetForm {
    pub group_id: u64,
    #[serde(rename = "type")]
    pub kind: FormType,
}

impl GetForm {
    pub fn new(group_id: u64, kind: FormType) -> GetForm {
        GetForm { group_id, kind }
    }
}

/// Response of `get_form`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GetFormResponse {
    /// `false` → no `form` (the survey is disabled).
    #[serde(default)]
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<Form>,
}

/// `get_predicted_agent` (still in 3.6, removed in 3.7).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetPredictedAgent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<u64>,
}

/// Response of `get_predicted_agent`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetPredictedAgentResponse {
    pub agent: Agent,
    /// Whether a chat would be queued.
    #[serde(default)]
    pub queue: bool,
}

/// `get_url_info`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetUrlInfo {
    pub url: String,
}

impl GetUrlInfo {
    pub fn new(url: impl Into<String>) -> GetUrlInfo {
        GetUrlInfo { url: url.into() }
    }
}

/// Response of `get_url_info`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetUrlInfoResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A minified copy on the LiveChat CDN. The service sends it without a scheme; it is
    /// given `https://` here, as the Customer SDK does.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "with_https")]
    pub image_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_original_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_width: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_height: Option<u64>,
}

/// `//cdn…/a.png` and `cdn…/a.png` become `https://cdn…/a.png`; an address with a scheme
/// stays as it is.
fn with_https<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let url = Option::<String>::deserialize(d)?;
    Ok(url.map(|u| {
        if u.is_empty() || u.contains("://") {
            u
        } else if let Some(rest) = u.strip_prefix("//") {
            format!("https://{rest}")
        } else {
            format!("https://{u}")
        }
    }))
}

/// `accept_greeting`: the customer has seen the greeting.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcceptGreeting {
    /// The configured greeting ([`Greeting::id`]).
    pub greeting_id: u64,
    /// This showing ([`Greeting::unique_id`]).
    pub unique_id: String,
}

impl AcceptGreeting {
    pub fn new(greeting_id: u64, unique_id: impl Into<String>) -> AcceptGreeting {
        AcceptGreeting { greeting_id, unique_id: unique_id.into() }
    }
}

/// `cancel_greeting`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelGreeting {
    pub unique_id: String,
}

impl CancelGreeting {
    pub fn new(unique_id: impl Into<String>) -> CancelGreeting {
        CancelGreeting { unique_id: unique_id.into() }
    }
}

/// `request_welcome_message` (new in 3.6); the message arrives as `incoming_welcome_message`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestWelcomeMessage {
    /// Welcome-message id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<u64>,
}

/// Response of `request_welcome_message`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestWelcomeMessageResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predicted_agent: Option<Agent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<bool>,
}

/// `send_greeting_button_clicked` (new in 3.6).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendGreetingButtonClicked {
    pub greeting_unique_id: String,
    /// The button's `button_id`.
    pub button_id: String,
}

impl SendGreetingButtonClicked {
    pub fn new(
        greeting_unique_id: impl Into<String>,
        button_id: impl Into<String>,
    ) -> SendGreetingButtonClicked {
        SendGreetingButtonClicked {
            greeting_unique_id: greeting_unique_id.into(),
            button_id: button_id.into(),
        }
    }
}

/// `activate_customer_page` (undocumented; Python SDK): the customer's tab gained focus.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivateCustomerPage {}

/// `deactivate_customer_page` (undocumented; Python SDK): the customer's tab lost focus.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeactivateCustomerPage {}

// ---------------------------------------------------------------------------------------------
// Request impls
// ---------------------------------------------------------------------------------------------

crate::request::side_actions! {
    CustomerRequest;
    own {
        Login => "login": LoginResponse;
        ListChats => "list_chats": ListChatsResponse, check super::checks::list_chats;
        StartChat => "start_chat": StartChatResponse;
        ResumeChat => "resume_chat": ResumeChatResponse;
        DeactivateChat => "deactivate_chat": Empty;
        DeleteEvent => "delete_event": Empty;
        SendSneakPeek => "send_sneak_peek": Empty;
        UpdateCustomer => "update_customer": Empty, check super::checks::update_customer;
        UpdateCustomerPage => "update_customer_page": UpdateCustomerPageResponse;
        SetCustomerSessionFields => "set_customer_session_fields": Empty, check super::checks::set_customer_session_fields;
        GetCustomer => "get_customer": Customer;
        ListGroupStatuses => "list_group_statuses": ListGroupStatusesResponse;
        GetForm => "get_form": GetFormResponse;
        GetPredictedAgent => "get_predicted_agent": GetPredictedAgentResponse;
        GetUrlInfo => "get_url_info": GetUrlInfoResponse;
        AcceptGreeting => "accept_greeting": Empty;
        CancelGreeting => "cancel_greeting": Empty;
        RequestWelcomeMessage => "request_welcome_message": RequestWelcomeMessageResponse;
        SendGreetingButtonClicked => "send_greeting_button_clicked": Empty;
        ActivateCustomerPage => "activate_customer_page": Empty;
        DeactivateCustomerPage => "deactivate_customer_page": Empty;
    }
    shared {
        GetChat,
        SendEvent,
        SendRichMessagePostback,
        MarkEventsAsSeen,
        UpdateChatProperties,
        DeleteChatProperties,
        UpdateThreadProperties,
        DeleteThreadProperties,
        UpdateEventProperties,
        DeleteEventProperties,
        ListThreads,
        Ping,
    }
}
