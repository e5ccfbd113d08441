//! Everything an agent session emits, as one enum.
//!
//! `Ready` and the connection events are produced by the session; every agent push whose
//! payload is documented has a typed variant (payloads in [`super::pushes`]); any other push
//! arrives as [`AgentEvent::Push`] with the raw JSON, so a newer server never breaks an older
//! client. `agent_disconnected` is handled by the session and arrives as
//! [`AgentEvent::Disconnected`].

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::actions::RoutingStatus;
use super::pushes::*;
use crate::model::ChatSummary;

pub use crate::engine::Disconnected;
pub use crate::pushes::PushError;
pub use crate::wire::Rejection;

/// The login response's `my_profile` (agent-api-3.6.md §3.1, §5).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyProfile {
    /// The agent's id (an e-mail address).
    pub id: String,
    /// `agent`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub present: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events_seen_up_to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing_status: Option<RoutingStatus>,
    /// E.g. `administrator`, `normal`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission: Option<String>,
}

/// The login response's `license`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct License {
    /// Sent as a number by the service; kept as text (a string id is accepted too).
    #[serde(default, deserialize_with = "string_or_number", skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    /// Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_timestamp: Option<u64>,
    /// Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_timestamp: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_trial: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website_last_activity: Option<String>,
}

fn string_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// Payload of [`AgentEvent::Ready`], emitted after every successful login (the first and
/// each one after a reconnect). The typed fields are best-effort views of `raw`: a part that
/// does not match its documented shape is `None` / empty there and still in `raw`.
#[derive(Debug, Clone, PartialEq)]
pub struct Ready {
    pub my_profile: Option<MyProfile>,
    pub license: Option<License>,
    /// `chats_summary` (3.6; 3.7 calls it `chats_info`, read that from `raw`).
    pub chats_summary: Vec<ChatSummary>,
    /// The whole login response, as `getAgentDetails()` returns it.
    pub raw: Value,
}

impl Ready {
    /// Build from a login response payload.
    pub fn from_login(payload: Value) -> Ready {
        let part = |key: &str| payload.get(key).cloned();
        Ready {
            my_profile: part("my_profile").and_then(|v| serde_json::from_value(v).ok()),
            license: part("license").and_then(|v| serde_json::from_value(v).ok()),
            chats_summary: part("chats_summary")
                .and_then(|v| serde_json::from_value(v).ok())
                .unwrap_or_default(),
            raw: payload,
        }
    }
}

macro_rules! agent_events {
    ( $( $(#[$doc:meta])* $variant:ident($payload:ty) = $wire:literal, )* ) => {
        /// One event of an agent session.
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum AgentEvent {
            /// Logged in (first time and after every reconnect): the Node SDK's `ready`.
            Ready(Box<Ready>),
            /// The connection ended; see [`Disconnected::will_reconnect`].
            Disconnected(Disconnected),
            /// Nothing has been heard from the server for a while.
            ConnectionUnstable,
            /// Traffic resumed after [`AgentEvent::ConnectionUnstable`].
            ConnectionRecovered,
            /// A frame that could not be understood was skipped; the session goes on.
            FrameRejected { error: Rejection },
            /// One connection attempt failed (refused, DNS, TLS, handshake, a login error);
            /// the session tries again after `retry_in`.
            ConnectFailed(crate::engine::ConnectFailed),
            /// Renewing the credentials ahead of their expiry failed (the provider failed,
            /// or the service refused what it gave); the session keeps the old ones and
            /// tries again later (`crate::refresh`).
            CredentialsRefreshFailed { error: crate::error::Error },
            /// After a re-login, the agent's chats were checked for what the drop hid: the
            /// events found came before this one, as ordinary events with `recovered` set.
            Resynced(crate::engine::Resynced),
            $( $(#[$doc])* $variant($payload), )*
            /// A push without a typed variant (undocumented payload or unknown action), raw.
            Push { action: String, payload: Value },
        }

        /// The kind of an [`AgentEvent`], for `on` / `once` / `off` registration.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum AgentEventKind {
            Ready,
            Disconnected,
            ConnectionUnstable,
            ConnectionRecovered,
            FrameRejected,
            ConnectFailed,
            CredentialsRefreshFailed,
            Resynced,
            $( $variant, )*
            Push,
        }

        impl AgentEventKind {
            /// The event name (`ready`, the push action, …; raw pushes are `push`).
            pub fn as_str(self) -> &'static str {
                match self {
                    AgentEventKind::Ready => "ready",
                    AgentEventKind::Disconnected => "disconnected",
                    AgentEventKind::ConnectionUnstable => "connection_unstable",
                    AgentEventKind::ConnectionRecovered => "connection_recovered",
                    AgentEventKind::FrameRejected => "frame_rejected",
                    AgentEventKind::ConnectFailed => "connect_failed",
                    AgentEventKind::Resynced => "resynced",
                    AgentEventKind::CredentialsRefreshFailed => "credentials_refresh_failed",
                    $( AgentEventKind::$variant => $wire, )*
                    AgentEventKind::Push => "push",
                }
            }

            /// Every kind, in declaration order.
            pub const ALL: &'static [AgentEventKind] = &[
                AgentEventKind::Ready, AgentEventKind::Disconnected,
                AgentEventKind::ConnectionUnstable, AgentEventKind::ConnectionRecovered,
                AgentEventKind::FrameRejected, AgentEventKind::ConnectFailed, AgentEventKind::Resynced,
                AgentEventKind::CredentialsRefreshFailed,
                $( AgentEventKind::$variant, )*
                AgentEventKind::Push,
            ];

            /// Look a kind up by its name.
            pub fn from_name(name: &str) -> Option<AgentEventKind> {
                AgentEventKind::ALL.iter().copied().find(|k| k.as_str() == name)
            }
        }

        /// Push actions with a typed [`AgentEvent`] variant.
        pub const TYPED_PUSHES: &[&str] = &[ $( $wire, )* ];

        impl AgentEvent {
            pub fn kind(&self) -> AgentEventKind {
                match self {
                    AgentEvent::Ready(_) => AgentEventKind::Ready,
                    AgentEvent::Disconnected(_) => AgentEventKind::Disconnected,
                    AgentEvent::ConnectionUnstable => AgentEventKind::ConnectionUnstable,
                    AgentEvent::ConnectionRecovered => AgentEventKind::ConnectionRecovered,
                    AgentEvent::FrameRejected { .. } => AgentEventKind::FrameRejected,
                    AgentEvent::ConnectFailed(_) => AgentEventKind::ConnectFailed,
                    AgentEvent::Resynced(_) => AgentEventKind::Resynced,
                    AgentEvent::CredentialsRefreshFailed { .. } => AgentEventKind::CredentialsRefreshFailed,
                    $( AgentEvent::$variant(_) => AgentEventKind::$variant, )*
                    AgentEvent::Push { .. } => AgentEventKind::Push,
                }
            }

            /// The push action of a push-backed event (typed or raw), `None` for the
            /// session's own events.
            pub fn push_action(&self) -> Option<&str> {
                match self {
                    AgentEvent::Push { action, .. } => Some(action),
                    $( AgentEvent::$variant(_) => Some($wire), )*
                    _ => None,
                }
            }

            /// Parse a push into its event. Actions without a typed variant give
            /// [`AgentEvent::Push`]; a typed action whose payload does not match the
            /// documented shape is an error that names the push and the field.
            pub fn from_push(action: &str, payload: impl Into<crate::wire::Payload>) -> Result<AgentEvent, PushError> {
                let payload = payload.into();
                match action {
                    $( $wire => payload.typed::<$payload>()
                        .map(AgentEvent::$variant)
                        .map_err(|e| PushError { action: $wire, message: e.to_string() }), )*
                    _ => Ok(AgentEvent::Push { action: action.to_string(), payload: payload.into_value() }),
                }
            }
        }
    };
}

agent_events! {
    /// A chat was started, resumed, transferred to us or followed (`incoming_chat`);
    /// `transferred_from` is beside `chat` on the agent side.
    IncomingChat(Box<IncomingChat>) = "incoming_chat",
    ChatDeactivated(ChatDeactivated) = "chat_deactivated",
    ChatAccessUpdated(Box<ChatAccessUpdated>) = "chat_access_updated",
    ChatTransferred(Box<ChatTransferred>) = "chat_transferred",
    UserAddedToChat(Box<UserAddedToChat>) = "user_added_to_chat",
    UserRemovedFromChat(Box<UserRemovedFromChat>) = "user_removed_from_chat",
    IncomingEvent(Box<IncomingEvent>) = "incoming_event",
    EventDeleted(EventDeleted) = "event_deleted",
    EventUpdated(Box<EventUpdated>) = "event_updated",
    IncomingRichMessagePostback(Box<IncomingRichMessagePostback>) = "incoming_rich_message_postback",
    ChatPropertiesUpdated(ChatPropertiesUpdated) = "chat_properties_updated",
    ChatPropertiesDeleted(ChatPropertiesDeleted) = "chat_properties_deleted",
    ThreadPropertiesUpdated(ThreadPropertiesUpdated) = "thread_properties_updated",
    ThreadPropertiesDeleted(ThreadPropertiesDeleted) = "thread_properties_deleted",
    EventPropertiesUpdated(EventPropertiesUpdated) = "event_properties_updated",
    EventPropertiesDeleted(EventPropertiesDeleted) = "event_properties_deleted",
    ThreadTagged(ThreadTag) = "thread_tagged",
    ThreadUntagged(ThreadTag) = "thread_untagged",
    CustomerSessionFieldsUpdated(Box<CustomerSessionFieldsUpdated>) = "customer_session_fields_updated",
    RoutingStatusSet(Box<RoutingStatusSet>) = "routing_status_set",
    EventsMarkedAsSeen(EventsMarkedAsSeen) = "events_marked_as_seen",
    IncomingSneakPeek(Box<IncomingSneakPeek>) = "incoming_sneak_peek",
    IncomingThinkingIndicator(Box<IncomingThinkingIndicator>) = "incoming_thinking_indicator",
    IncomingTypingIndicator(Box<IncomingTypingIndicator>) = "incoming_typing_indicator",
    IncomingMulticast(IncomingMulticast) = "incoming_multicast",
    /// The payload is an array, one entry per queued thread.
    QueuePositionsUpdated(Box<QueuePositionsUpdated>) = "queue_positions_updated",
    ThreadSummarySet(Box<ThreadSummarySet>) = "thread_summary_set",
    IncomingError(Box<IncomingError>) = "incoming_error",
    ChatUnfollowed(ChatUnfollowed) = "chat_unfollowed",
    ChatDeleted(ChatDeleted) = "chat_deleted",
    ThreadDeleted(ThreadDeleted) = "thread_deleted",
    CustomerBanned(CustomerBanned) = "customer_banned",
    CustomerUpdated(Box<CustomerUpdated>) = "customer_updated",
    GroupsStatusUpdated(GroupsStatusUpdated) = "groups_status_updated",
}

impl crate::hub::Kinded for AgentEvent {
    type Kind = AgentEventKind;
    fn kind(&self) -> AgentEventKind {
        AgentEvent::kind(self)
    }
}
