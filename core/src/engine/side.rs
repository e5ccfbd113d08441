//! What differs between the customer and the agent API: the [`Side`] an engine is made for.

use std::fmt;
use std::time::Instant;

use serde_json::{Map, Value};

use super::{CommonEvent, Followup, TokenOwner};
use crate::disconnect::{DisconnectReason, Reaction};
use crate::error::Error;
use crate::model::Chat;
use crate::pushes::{ChatDeactivated, IncomingEvent};
use crate::token::Token;

/// What differs between the customer and the agent API.
pub trait Side {
    type Event: fmt::Debug + Clone + PartialEq;
    /// Path segment of the RTM URL: `customer` or `agent`.
    const PATH: &'static str;
    /// The push announcing a server-side disconnect.
    const DISCONNECT_PUSH: &'static str;

    /// What a two-step command of this side carries from its first request to its second
    /// (see [`Side::next_step`]); `Infallible` for a side without one.
    type Step: fmt::Debug + Clone + PartialEq + Send + 'static;

    fn common(event: CommonEvent) -> Self::Event;
    /// The first request of a two-step command succeeded with `payload`: the request to send
    /// next under the command's id, or the error the command ends with.
    fn next_step(&mut self, step: Self::Step, payload: &Value) -> Result<Followup, Error>;
    /// What to do after a disconnect for `reason`.
    fn reaction(reason: &DisconnectReason) -> Reaction;
    /// The id of the user this session acts as (the customer id, the agent's id), once
    /// known. Exactly-once confirmation only accepts events authored by this user.
    fn user_id(&self) -> Option<&str> {
        None
    }
    /// Whether this side has a type for the push `action` (others are kept raw, and only
    /// up to `wire::MAX_UNKNOWN_PAYLOAD`).
    fn knows_push(action: &str) -> bool;
    /// The checks before a call is sent: every action's, then its request type's
    /// ([`crate::Request::check`], found through the side's action table).
    fn validate(&self, action: &str, payload: &Value) -> Result<(), Error>;
    /// A token arrived: who does it name?
    fn token_identity(&mut self, token: &Token, out: &mut Vec<Self::Event>) -> TokenOwner;
    /// The `login` payload for this token (`"Bearer …"` / `"Basic …"`).
    fn login_payload(&mut self, token: &str) -> Map<String, Value>;
    /// A successful login response; `Err` names what did not match the documented shape.
    fn login_ok(&mut self, payload: Value, out: &mut Vec<Self::Event>) -> Result<(), String>;
    /// Fire-and-forget requests to send right after login, before queued calls.
    fn after_login(&mut self) -> Vec<(String, Value)>;
    /// A fire-and-forget request from `after_login` failed.
    fn internal_failed(&mut self, action: &str);
    /// A push that is not a push-response and not a disconnect.
    fn push(&mut self, action: &str, payload: crate::wire::Payload, out: &mut Vec<Self::Event>);
    /// A push-response (it completes a request and is not re-emitted).
    fn push_response(&mut self, action: &str, payload: &Value, out: &mut Vec<Self::Event>);
    /// A successful response to a caller's request.
    fn response(&mut self, action: &str, payload: &Value, out: &mut Vec<Self::Event>);

    /// Where `event` stands in a chat's timeline (for recovery and de-duplication,
    /// `engine::recovery`); `None` for every other event.
    fn timeline(event: &Self::Event) -> Option<Timeline<'_>>;
    /// Set `recovered` on an event the recovery found.
    fn mark_recovered(event: &mut Self::Event);
    /// This side's `list_chats` for the recovery: the newest chats, to find new ones.
    fn recent_chats() -> Followup;

    /// The push (carrying our `request_id`) that completes `action` together with its
    /// response. By default `start_chat` / `resume_chat` wait for `incoming_chat` and
    /// `send_event` for `incoming_event`, as the Customer SDK does; a side returning `None`
    /// completes on the response alone.
    fn completing_push(&self, action: &str) -> Option<&'static str> {
        completing_push(action)
    }

    /// A token this side can produce by itself (static credentials), used instead of asking
    /// the transport with [`Output::FetchToken`](super::Output::FetchToken). `fresh`: the server rejected or expired
    /// the previous one.
    fn provide_token(&mut self, now: Instant, fresh: bool) -> Option<Token> {
        let _ = (now, fresh);
        None
    }
}

/// A chat-timeline event, as the recovery sees it.
#[derive(Debug, Clone, Copy)]
pub enum Timeline<'a> {
    /// `incoming_event`.
    Event(&'a IncomingEvent),
    /// `incoming_chat`: a chat (or a new thread of one) with its events.
    Chat(&'a Chat),
    /// `chat_deactivated`.
    Deactivated(&'a ChatDeactivated),
}

/// Which push completes a push-response action.
fn completing_push(action: &str) -> Option<&'static str> {
    match action {
        "start_chat" | "resume_chat" => Some("incoming_chat"),
        "send_event" => Some("incoming_event"),
        _ => None,
    }
}
