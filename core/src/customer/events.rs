//! Everything a customer session emits, as one enum.
//!
//! Push-backed variants carry the typed push payload from [`super::pushes`]; client-only
//! variants (`connected`, `disconnected`, `customer_id`, `identity_changed`,
//! `connection_unstable`, `connection_recovered`, `availability_updated`, `user_data`) are
//! produced by the session. Unknown push actions arrive as [`Event::UnknownPush`] with the raw
//! JSON, so a newer server never breaks an older client.

use serde_json::Value;

use super::pushes::*;
use crate::model::{Customer, Greeting, User};

pub use super::disconnect::DisconnectReason;
pub use crate::pushes::PushError;
pub use crate::wire::Rejection;

/// `online` or `offline`, as the Customer SDK reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    Online,
    Offline,
}

/// Payload of [`Event::Connected`], emitted after every successful login.
#[derive(Debug, Clone, PartialEq)]
pub struct Connected {
    pub customer: Customer,
    pub availability: Availability,
    pub greeting: Option<Greeting>,
    /// The login response's `chats` (`chat_id`, `has_unread_events`, `has_active_thread`).
    pub chats: Vec<crate::customer::actions::LoginChat>,
    pub has_active_thread: bool,
    /// The login response's private `__priv_dynamic_config`, as sent.
    pub dynamic_config: Option<Value>,
}

pub use crate::engine::Disconnected;

macro_rules! customer_events {
    ( $( $(#[$doc:meta])* $variant:ident($payload:ty) = $wire:literal, )* ) => {
        /// One event of a customer session.
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum Event {
            /// Logged in (first time and after every reconnect).
            Connected(Box<Connected>),
            /// The connection ended; see [`Disconnected::will_reconnect`].
            Disconnected(Disconnected),
            /// The customer id, emitted once, before the first `Connected`.
            CustomerId(String),
            /// A later token named another customer. Per-customer state was cleared.
            IdentityChanged { previous_id: String, new_id: String },
            /// The login response named another customer than the token (`token_customer_id`
            /// is the token's `entity_id`, `login_customer_id` what the server logged in).
            /// The login was not accepted: nothing was sent as that customer, and the
            /// session tries again after a backoff (see `CustomerSide::login_ok`).
            IdentityMismatch { token_customer_id: String, login_customer_id: String },
            /// Nothing has been heard from the server for a while.
            ConnectionUnstable,
            /// Traffic resumed after [`Event::ConnectionUnstable`].
            ConnectionRecovered,
            /// Derived from `groups_status_updated` (and the login response).
            AvailabilityUpdated(Availability),
            /// A user seen in a chat (get_chat, list_chats, incoming_chat, user_added_to_chat).
            UserData(Box<User>),
            /// A frame that could not be understood was skipped; the session goes on.
            FrameRejected { error: Rejection },
            /// One connection attempt failed (refused, DNS, TLS, handshake, a login error);
            /// the session tries again after `retry_in`.
            ConnectFailed(crate::engine::ConnectFailed),
            /// After a re-login, the chats were checked for what the drop hid: the events
            /// found came before this one, as ordinary events with `recovered` set.
            Resynced(crate::engine::Resynced),
            $( $(#[$doc])* $variant($payload), )*
            /// A push this version does not know, kept raw.
            UnknownPush { action: String, payload: Value },
        }

        /// The kind of an [`Event`], for `on` / `once` / `off` registration.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum EventKind {
            Connected,
            Disconnected,
            CustomerId,
            IdentityChanged,
            IdentityMismatch,
            ConnectionUnstable,
            ConnectionRecovered,
            AvailabilityUpdated,
            UserData,
            FrameRejected,
            ConnectFailed,
            Resynced,
            $( $variant, )*
            UnknownPush,
        }

        impl EventKind {
            /// The Customer SDK's event name (`incoming_event`, `connected`, …).
            pub fn as_str(self) -> &'static str {
                match self {
                    EventKind::Connected => "connected",
                    EventKind::Disconnected => "disconnected",
                    EventKind::CustomerId => "customer_id",
                    EventKind::IdentityChanged => "identity_changed",
                    EventKind::IdentityMismatch => "identity_mismatch",
                    EventKind::ConnectionUnstable => "connection_unstable",
                    EventKind::ConnectionRecovered => "connection_recovered",
                    EventKind::AvailabilityUpdated => "availability_updated",
                    EventKind::UserData => "user_data",
                    EventKind::FrameRejected => "frame_rejected",
                    EventKind::ConnectFailed => "connect_failed",
                    EventKind::Resynced => "resynced",
                    $( EventKind::$variant => $wire, )*
                    EventKind::UnknownPush => "unknown_push",
                }
            }

            /// Every kind, in declaration order.
            pub const ALL: &'static [EventKind] = &[
                EventKind::Connected, EventKind::Disconnected, EventKind::CustomerId,
                EventKind::IdentityChanged, EventKind::IdentityMismatch, EventKind::ConnectionUnstable,
                EventKind::ConnectionRecovered, EventKind::AvailabilityUpdated,
                EventKind::UserData, EventKind::FrameRejected, EventKind::ConnectFailed, EventKind::Resynced,
                $( EventKind::$variant, )*
                EventKind::UnknownPush,
            ];

            /// Look a kind up by its SDK name.
            pub fn from_name(name: &str) -> Option<EventKind> {
                EventKind::ALL.iter().copied().find(|k| k.as_str() == name)
            }
        }

        impl Event {
            pub fn kind(&self) -> EventKind {
                match self {
                    Event::Connected(_) => EventKind::Connected,
                    Event::Disconnected(_) => EventKind::Disconnected,
                    Event::CustomerId(_) => EventKind::CustomerId,
                    Event::IdentityChanged { .. } => EventKind::IdentityChanged,
                    Event::IdentityMismatch { .. } => EventKind::IdentityMismatch,
                    Event::ConnectionUnstable => EventKind::ConnectionUnstable,
                    Event::ConnectionRecovered => EventKind::ConnectionRecovered,
                    Event::AvailabilityUpdated(_) => EventKind::AvailabilityUpdated,
                    Event::UserData(_) => EventKind::UserData,
                    Event::FrameRejected { .. } => EventKind::FrameRejected,
                    Event::ConnectFailed(_) => EventKind::ConnectFailed,
                    Event::Resynced(_) => EventKind::Resynced,
                    $( Event::$variant(_) => EventKind::$variant, )*
                    Event::UnknownPush { .. } => EventKind::UnknownPush,
                }
            }

            /// Parse a push into its event. Unknown actions give [`Event::UnknownPush`];
            /// a known action whose payload does not match the documented shape is an error
            /// that names the push and the field.
            pub fn from_push(action: &str, payload: impl Into<crate::wire::Payload>) -> Result<Event, PushError> {
                let payload = payload.into();
                match action {
                    $( $wire => payload.typed::<$payload>()
                        .map(Event::$variant)
                        .map_err(|e| PushError { action: $wire, message: e.to_string() }), )*
                    _ => Ok(Event::UnknownPush { action: action.to_string(), payload: payload.into_value() }),
                }
            }
        }
    };
}

customer_events! {
    /// A chat was started or resumed (`incoming_chat`).
    IncomingChat(Box<IncomingChat>) = "incoming_chat",
    ChatDeactivated(ChatDeactivated) = "chat_deactivated",
    ChatTransferred(Box<ChatTransferred>) = "chat_transferred",
    UserAddedToChat(Box<UserAddedToChat>) = "user_added_to_chat",
    UserRemovedFromChat(Box<UserRemovedFromChat>) = "user_removed_from_chat",
    IncomingEventPreview(Box<IncomingEventPreview>) = "incoming_event_preview",
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
    CustomerUpdated(Box<CustomerUpdated>) = "customer_updated",
    CustomerSideStorageUpdated(CustomerSideStorageUpdated) = "customer_side_storage_updated",
    /// Raw push; the session turns it into [`Event::Disconnected`] and never emits this.
    CustomerDisconnected(CustomerDisconnected) = "customer_disconnected",
    GroupsStatusUpdated(GroupsStatusUpdated) = "groups_status_updated",
    IncomingThinkingIndicator(Box<IncomingThinkingIndicator>) = "incoming_thinking_indicator",
    IncomingTypingIndicator(Box<IncomingTypingIndicator>) = "incoming_typing_indicator",
    IncomingMulticast(IncomingMulticast) = "incoming_multicast",
    EventsMarkedAsSeen(EventsMarkedAsSeen) = "events_marked_as_seen",
    IncomingGreeting(Box<IncomingGreeting>) = "incoming_greeting",
    GreetingAccepted(GreetingAccepted) = "greeting_accepted",
    GreetingCanceled(GreetingCanceled) = "greeting_canceled",
    IncomingWelcomeMessage(Box<IncomingWelcomeMessage>) = "incoming_welcome_message",
    /// Also emitted by the session, synthetically, from `lc2.queue_pos` thread properties.
    QueuePositionUpdated(QueuePositionUpdated) = "queue_position_updated",
}

impl crate::hub::Kinded for Event {
    type Kind = EventKind;
    fn kind(&self) -> EventKind {
        Event::kind(self)
    }
}
