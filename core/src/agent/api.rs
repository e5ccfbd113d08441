//! The Node.js chat SDK's method list (`@livechat/chat-sdk`), written once for every
//! transport.
//!
//! A transport implements [`Exec`] (carry an [`Op`] to its driver, give back the decoded
//! result as a future or a value) and [`Listen::hub`], and gets every method below. Names
//! follow the Node SDK in Rust spelling (`sendMessage` → [`AgentApi::send_message`],
//! `getAgentDetails` → [`AgentApi::agent_details`], `methodFactory` → [`AgentApi::call`] /
//! [`AgentApi::call_raw`]), plus typed wrappers for the agent actions a bot needs.
//!
//! Calls made before `ready` are queued by the session and sent in call order after login;
//! `destroy` fails every pending call with `SDK_DESTROYED`.

use serde_json::Value;

use super::actions::*;
use super::commands::AgentCommand;
use super::events::AgentEvent;
use crate::client::Op;
pub use crate::hub::Listen;
use crate::model::{Chat, ChatEvent, Recipients};
use crate::request::AgentRequest;

pub use crate::client::Exec;

/// The agent methods, for any transport.
pub trait AgentApi: Exec<Command = AgentCommand> + Listen<Event = AgentEvent> {
    crate::client::shared_calls!(AgentRequest);

    /// `getAgentDetails()`: the latest login response (`license`, `my_profile`,
    /// `chats_summary`, …), no network. `NO_CONNECTION` before the first `ready`.
    fn agent_details(&self) -> Self::Out<Value> {
        self.exec("agent_details", Op::Side(AgentCommand::AgentDetails))
    }

    /// `sendMessage`: a text message seen by `all` or only `agents`; resolves with
    /// `{event_id}`. Empty `chat_id` or `text` fails with `INVALID_REQUEST` before sending.
    fn send_message(
        &self,
        chat_id: &str,
        text: &str,
        recipients: Recipients,
    ) -> Self::Out<SendEventResponse> {
        self.exec(
            "send_message",
            Op::Side(AgentCommand::SendMessage {
                chat_id: chat_id.to_string(),
                text: text.to_string(),
                recipients,
            }),
        )
    }

    /// `send_event` of any event type; resolves with `{event_id}`.
    fn send_event(&self, chat_id: &str, event: ChatEvent) -> Self::Out<SendEventResponse> {
        self.call(&SendEvent::new(chat_id, event))
    }

    /// At most 100 per page (checked before sending).
    fn list_chats(&self, req: ListChats) -> Self::Out<ListChatsResponse> {
        self.call(&req)
    }

    fn list_threads(&self, req: ListThreads) -> Self::Out<ListThreadsResponse> {
        self.call(&req)
    }

    /// The chat with its latest thread (or `thread_id`).
    fn get_chat(&self, chat_id: &str, thread_id: Option<&str>) -> Self::Out<Chat> {
        match thread_id {
            Some(t) => self.call(&GetChat::thread(chat_id, t)),
            None => self.call(&GetChat::new(chat_id)),
        }
    }

    fn start_chat(&self, req: StartChat) -> Self::Out<StartChatResponse> {
        self.call(&req)
    }

    fn resume_chat(&self, req: ResumeChat) -> Self::Out<ResumeChatResponse> {
        self.call(&req)
    }

    fn deactivate_chat(&self, chat_id: &str) -> Self::Out<Empty> {
        self.call(&DeactivateChat::new(chat_id))
    }

    /// Transfer a chat to agents or groups (`TransferChat { id, target: Some(TransferTarget::agents([..])), .. }`).
    fn transfer_chat(&self, req: TransferChat) -> Self::Out<Empty> {
        self.call(&req)
    }

    /// This agent's routing status (`accepting_chats`, `not_accepting_chats`).
    fn set_routing_status(&self, status: RoutingStatus) -> Self::Out<Empty> {
        self.call(&SetRoutingStatus::new(status))
    }

    /// Show (`true`) or hide the typing indicator to the chat's customer.
    fn send_typing_indicator(&self, chat_id: &str, is_typing: bool) -> Self::Out<Empty> {
        self.call(&SendTypingIndicator::new(chat_id, is_typing))
    }

    /// The "thinking" indicator (3.6), e.g. while a bot prepares an answer.
    fn send_thinking_indicator(&self, req: SendThinkingIndicator) -> Self::Out<Empty> {
        self.call(&req)
    }

    /// A preview of a message being written (3.6; not saved in the chat).
    fn send_event_preview(&self, chat_id: &str, text: &str) -> Self::Out<Empty> {
        self.call(&SendEventPreview { chat_id: chat_id.to_string(), event: ChatEvent::message(text) })
    }

    /// `seen_up_to`: RFC 3339 timestamp.
    fn mark_events_as_seen(&self, chat_id: &str, seen_up_to: &str) -> Self::Out<Empty> {
        self.call(&MarkEventsAsSeen::new(chat_id, seen_up_to))
    }

    /// Inactive chats, each with a thread (`ListArchives::new()` for the newest page).
    fn list_archives(&self, req: ListArchives) -> Self::Out<ListArchivesResponse> {
        self.call(&req)
    }

    /// Follow a chat the agent is not a member of: its pushes come too (`incoming_chat` first).
    fn follow_chat(&self, chat_id: &str) -> Self::Out<Empty> {
        self.call(&FollowChat { id: chat_id.to_string() })
    }

    /// Stop following (`chat_unfollowed` follows).
    fn unfollow_chat(&self, chat_id: &str) -> Self::Out<Empty> {
        self.call(&UnfollowChat { id: chat_id.to_string() })
    }

    /// Add an agent or the customer (`visibility: all` for a customer; checked before sending).
    fn add_user_to_chat(&self, req: AddUserToChat) -> Self::Out<Empty> {
        self.call(&req)
    }

    /// Remove an agent (customers cannot be removed).
    fn remove_user_from_chat(&self, req: RemoveUserFromChat) -> Self::Out<Empty> {
        self.call(&req)
    }

    fn tag_thread(&self, chat_id: &str, thread_id: &str, tag: &str) -> Self::Out<Empty> {
        self.call(&TagThread { chat_id: chat_id.into(), thread_id: thread_id.into(), tag: tag.into() })
    }

    fn untag_thread(&self, chat_id: &str, thread_id: &str, tag: &str) -> Self::Out<Empty> {
        self.call(&UntagThread { chat_id: chat_id.into(), thread_id: thread_id.into(), tag: tag.into() })
    }

    /// A customer, in the agent's view.
    fn get_customer(&self, customer_id: &str) -> Self::Out<crate::model::Customer> {
        self.call(&GetCustomer::new(customer_id))
    }

    /// Resolves with the updated customer.
    fn update_customer(&self, req: UpdateCustomer) -> Self::Out<crate::model::Customer> {
        self.call(&req)
    }

    /// Ban a customer for `days` days; the customer is disconnected with `customer_banned`.
    fn ban_customer(&self, customer_id: &str, days: u32) -> Self::Out<Empty> {
        self.call(&BanCustomer::new(customer_id, days))
    }

    /// `content` (any JSON) to agents; not saved; arrives as `incoming_multicast`.
    fn multicast(&self, req: Multicast) -> Self::Out<Empty> {
        self.call(&req)
    }

    /// Online agents a chat could go to, fewest chats first.
    fn list_agents_for_transfer(&self, chat_id: &str) -> Self::Out<Vec<AgentForTransfer>> {
        self.call(&ListAgentsForTransfer { chat_id: chat_id.to_string() })
    }

    /// This connection away (`true`) or back; all connections away means `not_accepting_chats`.
    fn set_away_status(&self, away: bool) -> Self::Out<Empty> {
        self.call(&SetAwayStatus { away })
    }

    fn list_routing_statuses(&self, req: ListRoutingStatuses) -> Self::Out<Vec<AgentRoutingStatus>> {
        self.call(&req)
    }

    /// A summary of the thread (3.6); it arrives as `thread_summary_set`.
    fn request_thread_summary(&self, chat_id: &str, thread_id: &str) -> Self::Out<Empty> {
        self.call(&RequestThreadSummary { chat_id: chat_id.into(), thread_id: thread_id.into() })
    }

    /// End this agent's session on the service (the socket stays until `disconnect`/`destroy`).
    fn logout(&self) -> Self::Out<Empty> {
        self.call(&Logout::default())
    }

    /// `update_session`: swap the credentials on the running session (a new OAuth token
    /// before the old one expires). Connected, they are in use once the service accepts
    /// them; if it refuses, the call fails with its error and the session keeps the old
    /// ones. Not connected, they replace the old ones for the next login. Give an
    /// [`ExpiringCredentials`](super::ExpiringCredentials) (or plain [`AgentCredentials`](super::AgentCredentials)).
    /// To have this done for you before expiry, give a credentials provider in the
    /// transport's agent options.
    fn update_session(&self, credentials: impl Into<super::ExpiringCredentials>) -> Self::Out<Empty> {
        self.exec("update_session", Op::Side(AgentCommand::UpdateSession { credentials: credentials.into() }))
    }
}
