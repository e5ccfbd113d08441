//! Typed requests for the Agent Chat API v3.6 RTM actions (agent-api-3.6.md §3,
//! agent-sdk-behaviour.md §6).
//!
//! Every struct serialises to the action's wire `payload` (optional fields left out when
//! unset) and implements [`Request`] and [`AgentRequest`]; requests also deserialise so a
//! simulator can parse what clients send. Requests whose payload is the same as on the
//! customer side are re-exported from [`crate::actions`] (they implement both markers). Empty documented responses resolve to [`Empty`].
//!
//! The agent session completes `start_chat`, `resume_chat` and `send_event` on their
//! response (`{chat_id, thread_id, event_ids?}`, `{thread_id, event_ids?}`, `{event_id}`),
//! as the Node chat SDK does, so the push fields of those response types stay `None`.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use super::customer_actions::*;
pub use crate::actions::{
    DeleteChatProperties, DeleteEventProperties, DeleteThreadProperties, Empty, GetChat, InitialThread,
    ListThreadsResponse, MarkEventsAsSeen, ResumeChatResponse, SendEvent, SendEventResponse,
    SendRichMessagePostback, StartChatResponse, UpdateChatProperties, UpdateEventProperties,
    UpdateThreadProperties,
};
use crate::model::{Access, Chat, ChatEvent, ChatSummary, Customer, Properties, Recipients, SortOrder};
use crate::request::{AgentRequest, Request};

/// An agent's routing status. Values this version does not know are kept in `Other`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoutingStatus {
    AcceptingChats,
    NotAcceptingChats,
    /// Bots only.
    Offline,
    #[serde(untagged)]
    Other(String),
}

// ---------------------------------------------------------------------------------------------
// login / session
// ---------------------------------------------------------------------------------------------

/// `login`, sent by the session itself (this type is for simulators that parse it). Its
/// `Debug` never shows the token.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Login {
    /// `"Bearer <token>"` or `"Basic <base64(account_id:pat)>"`.
    pub token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconnect: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub away: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_monitoring_level: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pushes: Option<BTreeMap<String, Vec<String>>>,
}

impl fmt::Debug for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Login")
            .field("token", &"<redacted>")
            .field("timezone", &self.timezone)
            .field("reconnect", &self.reconnect)
            .field("away", &self.away)
            .field("customer_monitoring_level", &self.customer_monitoring_level)
            .field("application", &self.application)
            .field("pushes", &self.pushes)
            .finish()
    }
}

/// `update_session` (3.6): replace the login token on the open connection. Its `Debug`
/// never shows the token. `AgentSession::set_credentials` sends it for you.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateSession {
    /// Same form as `login.token`.
    pub token: String,
}

impl fmt::Debug for UpdateSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpdateSession").field("token", &"<redacted>").finish()
    }
}

/// `logout`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Logout {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
}

/// `set_routing_status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetRoutingStatus {
    pub status: RoutingStatus,
    /// Default: the requester.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
}

impl SetRoutingStatus {
    pub fn new(status: RoutingStatus) -> SetRoutingStatus {
        SetRoutingStatus { status, agent_id: None }
    }
}

/// `set_away_status` (per connection).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetAwayStatus {
    pub away: bool,
}

/// `list_routing_statuses`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListRoutingStatuses {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<GroupFilter>,
}

/// `{group_ids: [..]}` filter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupFilter {
    #[serde(default)]
    pub group_ids: Vec<u64>,
}

/// An entry of the `list_routing_statuses` response (an array).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentRoutingStatus {
    pub agent_id: String,
    pub status: RoutingStatus,
}

// ---------------------------------------------------------------------------------------------
// chats
// ---------------------------------------------------------------------------------------------

/// `list_chats`. Send either `page_id` alone, or `filters` / `sort_order` / `limit`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ListChats {
    /// `{active, include_chats_without_threads, group_ids (≤200), properties}`; raw JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_order: Option<SortOrder>,
    /// Default 10, max 100 (checked before sending).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_id: Option<String>,
}

impl ListChats {
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
    pub found_chats: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_page_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_page_id: Option<String>,
}

/// `list_threads` (agent view: adds `filters` {`from`, `to`}).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ListThreads {
    pub chat_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_order: Option<SortOrder>,
    /// Default 3, max 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_id: Option<String>,
    /// 1..=100; not with `limit` or `filters`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_events_count: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<Value>,
}

impl ListThreads {
    pub fn new(chat_id: impl Into<String>) -> ListThreads {
        ListThreads { chat_id: chat_id.into(), ..ListThreads::default() }
    }
}

/// A user to put in a started/resumed chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatUserRef {
    pub id: String,
    /// `agent` or `customer`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// `start_chat.chat` / `resume_chat.chat` (agent view: may list `users`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentChatData {
    /// Required for `resume_chat`, absent for `start_chat`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<Properties>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<Access>,
    /// At most 4 extra agents and 1 customer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<ChatUserRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<InitialThread>,
}

/// `start_chat`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StartChat {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat: Option<AgentChatData>,
    /// Default true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Default false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continuous: Option<bool>,
}

/// `resume_chat`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResumeChat {
    pub chat: AgentChatData,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continuous: Option<bool>,
}

impl ResumeChat {
    pub fn new(chat_id: impl Into<String>) -> ResumeChat {
        ResumeChat {
            chat: AgentChatData { id: Some(chat_id.into()), ..AgentChatData::default() },
            ..ResumeChat::default()
        }
    }
}

/// `deactivate_chat` (`id` is the chat id).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeactivateChat {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_requester_presence: Option<bool>,
}

impl DeactivateChat {
    pub fn new(chat_id: impl Into<String>) -> DeactivateChat {
        DeactivateChat { id: chat_id.into(), ignore_requester_presence: None }
    }
}

/// `follow_chat`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowChat {
    pub id: String,
}

/// `unfollow_chat`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnfollowChat {
    pub id: String,
}

/// `transfer_chat`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TransferChat {
    pub id: String,
    /// Missing: within the current group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<TransferTarget>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_agents_availability: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_requester_presence: Option<bool>,
}

/// `transfer_chat.target`: `{type: "agent"|"group", ids}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransferTarget {
    #[serde(rename = "type")]
    pub kind: String,
    /// Agent ids (strings) or group ids (numbers).
    pub ids: Vec<Value>,
}

impl TransferTarget {
    pub fn agents<I: IntoIterator<Item = S>, S: Into<String>>(ids: I) -> TransferTarget {
        TransferTarget {
            kind: "agent".into(),
            ids: ids.into_iter().map(|i| Value::String(i.into())).collect(),
        }
    }
    pub fn groups(ids: impl IntoIterator<Item = u64>) -> TransferTarget {
        TransferTarget { kind: "group".into(), ids: ids.into_iter().map(Value::from).collect() }
    }
}

/// `add_user_to_chat`. A customer must be added with `visibility: all`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddUserToChat {
    pub chat_id: String,
    pub user_id: String,
    /// `agent` or `customer`.
    pub user_type: String,
    pub visibility: Recipients,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_requester_presence: Option<bool>,
}

/// `remove_user_from_chat` (agents only; customers cannot be removed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoveUserFromChat {
    pub chat_id: String,
    pub user_id: String,
    /// `agent`.
    pub user_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_requester_presence: Option<bool>,
}

// ---------------------------------------------------------------------------------------------
// events and indicators
// ---------------------------------------------------------------------------------------------

/// `send_event_preview` (3.6): a `message` not saved in the chat, for streaming a long answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendEventPreview {
    pub chat_id: String,
    pub event: ChatEvent,
}

/// `send_typing_indicator`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendTypingIndicator {
    pub chat_id: String,
    pub is_typing: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Recipients>,
}

impl SendTypingIndicator {
    pub fn new(chat_id: impl Into<String>, is_typing: bool) -> SendTypingIndicator {
        SendTypingIndicator { chat_id: chat_id.into(), is_typing, visibility: None }
    }
}

/// `send_thinking_indicator` (3.6).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendThinkingIndicator {
    pub chat_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Recipients>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_id: Option<String>,
}

/// `multicast`: `content` to agents (at least one of `all`, `ids`, `groups`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Multicast {
    pub recipients: MulticastRecipients,
    pub content: Value,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// `multicast.recipients`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MulticastRecipients {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agents: Option<MulticastAgents>,
}

/// `multicast.recipients.agents`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MulticastAgents {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ids: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<u64>>,
}

/// `list_agents_for_transfer`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListAgentsForTransfer {
    pub chat_id: String,
}

/// An entry of the `list_agents_for_transfer` response (an array, fewest chats first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentForTransfer {
    pub agent_id: String,
    #[serde(default)]
    pub active_chats: u64,
}

/// `request_thread_summary` (3.6); the summary arrives as `thread_summary_set`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestThreadSummary {
    pub chat_id: String,
    pub thread_id: String,
}

/// `tag_thread`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagThread {
    pub chat_id: String,
    pub thread_id: String,
    pub tag: String,
}

/// `untag_thread`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UntagThread {
    pub chat_id: String,
    pub thread_id: String,
    pub tag: String,
}

// ---------------------------------------------------------------------------------------------
// Request impls
// ---------------------------------------------------------------------------------------------

crate::request::side_actions! {
    AgentRequest;
    own {
        Login => "login": Value;
        UpdateSession => "update_session": Empty;
        Logout => "logout": Empty;
        SetRoutingStatus => "set_routing_status": Empty, check super::checks::set_routing_status;
        SetAwayStatus => "set_away_status": Empty;
        ListRoutingStatuses => "list_routing_statuses": Vec<AgentRoutingStatus>;
        ListChats => "list_chats": ListChatsResponse, check super::checks::list_chats;
        ListThreads => "list_threads": ListThreadsResponse, check super::checks::list_threads;
        StartChat => "start_chat": StartChatResponse;
        ResumeChat => "resume_chat": ResumeChatResponse;
        DeactivateChat => "deactivate_chat": Empty, check super::checks::deactivate_chat;
        FollowChat => "follow_chat": Empty, check super::checks::follow_chat;
        UnfollowChat => "unfollow_chat": Empty, check super::checks::unfollow_chat;
        TransferChat => "transfer_chat": Empty, check super::checks::transfer_chat;
        AddUserToChat => "add_user_to_chat": Empty, check super::checks::add_user_to_chat;
        RemoveUserFromChat => "remove_user_from_chat": Empty, check super::checks::remove_user_from_chat;
        SendEventPreview => "send_event_preview": Empty, check super::checks::send_event_preview;
        SendTypingIndicator => "send_typing_indicator": Empty, check super::checks::send_typing_indicator;
        SendThinkingIndicator => "send_thinking_indicator": Empty, check super::checks::send_thinking_indicator;
        Multicast => "multicast": Empty, check super::checks::multicast;
        ListAgentsForTransfer => "list_agents_for_transfer": Vec<AgentForTransfer>, check super::checks::list_agents_for_transfer;
        RequestThreadSummary => "request_thread_summary": Empty;
        TagThread => "tag_thread": Empty;
        UntagThread => "untag_thread": Empty;
        ListArchives => "list_archives": ListArchivesResponse, check super::checks::list_archives;
        GetCustomer => "get_customer": Customer;
        UpdateCustomer => "update_customer": Customer, check super::checks::update_customer;
        BanCustomer => "ban_customer": Empty;
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
    }
}

/// `get_chat` responds with a [`Chat`] (plus `is_followed`, ignored).
pub type GetChatResponse = Chat;

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn wire<R: Request>(r: &R) -> Value {
        serde_json::to_value(r).unwrap()
    }

    #[test]
    fn agent_requests_have_the_documented_wire_shape() {
        let t = TransferChat {
            id: "CH1".into(),
            target: Some(TransferTarget::groups([2])),
            ..TransferChat::default()
        };
        assert_eq!(wire(&t), json!({"id": "CH1", "target": {"type": "group", "ids": [2]}}));
        let t = TransferTarget::agents(["a@b.c"]);
        assert_eq!(serde_json::to_value(t).unwrap(), json!({"type": "agent", "ids": ["a@b.c"]}));
        let m = Multicast {
            recipients: MulticastRecipients {
                agents: Some(MulticastAgents { all: Some(true), ..Default::default() }),
            },
            content: json!({"x": 1}),
            kind: Some("note".into()),
        };
        assert_eq!(
            wire(&m),
            json!({"recipients": {"agents": {"all": true}}, "content": {"x": 1}, "type": "note"})
        );
        let r = ResumeChat::new("CH1");
        assert_eq!(wire(&r), json!({"chat": {"id": "CH1"}}));
        let s = SendTypingIndicator {
            visibility: Some(Recipients::Agents),
            ..SendTypingIndicator::new("CH1", true)
        };
        assert_eq!(wire(&s), json!({"chat_id": "CH1", "is_typing": true, "visibility": "agents"}));
        let a = AddUserToChat {
            chat_id: "CH1".into(),
            user_id: "c1".into(),
            user_type: "customer".into(),
            visibility: Recipients::All,
            ignore_requester_presence: None,
        };
        assert_eq!(
            wire(&a),
            json!({"chat_id": "CH1", "user_id": "c1", "user_type": "customer", "visibility": "all"})
        );
        let statuses: Vec<AgentRoutingStatus> =
            serde_json::from_value(json!([{"agent_id": "a", "status": "busy_elsewhere"}])).unwrap();
        assert_eq!(statuses[0].status, RoutingStatus::Other("busy_elsewhere".into()));
        assert_eq!(serde_json::to_value(&statuses[0].status).unwrap(), json!("busy_elsewhere"));
        assert_eq!(
            serde_json::to_value(RoutingStatus::NotAcceptingChats).unwrap(),
            json!("not_accepting_chats")
        );
        let mut sorted = ACTIONS.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), ACTIONS.len(), "no action is listed twice");
    }
}
