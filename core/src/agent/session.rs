//! The agent session: the [`Engine`] with the agent side of the protocol.
//!
//! What is agent-specific lives here: credentials that produce their own token (no token
//! fetch round trip), the login payload (`token`, `timezone`, `reconnect`, `away`,
//! `customer_monitoring_level`; the engine adds `application` and `pushes`), the stored login
//! response (`agent_details`, the Node SDK's `getAgentDetails()`), the `ready` event after
//! every login, the `agent_disconnected` policy, agent limits checked before sending, and
//! `send_message`.
//!
//! Choices:
//! * calls made before `ready` are queued and sent after login in call order (what the Node
//!   SDK's docs promise and its code does not); they fail with `SDK_DESTROYED` on destroy and
//!   with `REQUEST_TIMEOUT` when their queue deadline passes;
//! * `start_chat`, `resume_chat` and `send_event` complete on their response (which carries
//!   the ids), not on the `request_id`-bearing push the customer side waits for: the agent
//!   docs do not promise that push and the Node SDK does not wait for it;
//! * the identity never "changes": credentials are chosen by the application, so calls
//!   queued before `set_credentials` are sent with the new credentials (no
//!   `IDENTITY_CHANGED`).

use std::time::Instant;

use serde_json::{Map, Value, json};

use super::actions::{SendEvent, UpdateSession};
use super::config::AgentConfig;
use super::credentials::AgentCredentials;
use super::disconnect::{DisconnectReason, Reaction};
use super::events::{AgentEvent, Ready};
use crate::engine::{CommonEvent, Engine, Followup, Side, Timeline, TokenOwner};
use crate::error::Error;
use crate::model::{ChatEvent, Recipients};
use crate::token::Token;

pub use crate::engine::{ConnectionId, RequestId, RequestOptions, State};

/// Outputs of an agent session.
pub type Output = crate::engine::Output<AgentEvent>;

/// The agent session state machine.
pub type AgentSession = Engine<AgentSide>;

/// Max `list_chats` / `list_threads` page size on the agent side.
pub const MAX_LIST_LIMIT: u64 = 100;

/// The agent half of the protocol (see the module docs).
pub struct AgentSide {
    pub(crate) credentials: AgentCredentials,
    /// When `credentials` expire, if they do.
    pub(crate) expires_at: Option<Instant>,
    /// Ask for new credentials rather than retry refused or expiring ones.
    pub(crate) renewable: bool,
    /// `update_session`s waiting for their answer.
    pub(crate) swaps: Vec<super::renew::Swap>,
    timezone: Option<String>,
    reconnect: Option<bool>,
    away: Option<bool>,
    customer_monitoring_level: Option<String>,
    details: Option<Value>,
}

impl std::fmt::Debug for AgentSide {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentSide")
            .field("credentials", &self.credentials)
            .field("logged_in_before", &self.details.is_some())
            .finish_non_exhaustive()
    }
}

impl Side for AgentSide {
    type Event = AgentEvent;
    /// The agent has no two-step command.
    type Step = std::convert::Infallible;
    const PATH: &'static str = "agent";
    const DISCONNECT_PUSH: &'static str = "agent_disconnected";

    fn next_step(&mut self, step: Self::Step, _: &Value) -> Result<Followup, Error> {
        match step {}
    }

    fn common(event: CommonEvent) -> AgentEvent {
        match event {
            CommonEvent::Disconnected(d) => AgentEvent::Disconnected(d),
            CommonEvent::ConnectionUnstable => AgentEvent::ConnectionUnstable,
            CommonEvent::ConnectionRecovered => AgentEvent::ConnectionRecovered,
            CommonEvent::FrameRejected { error } => AgentEvent::FrameRejected { error },
            CommonEvent::ConnectFailed(f) => AgentEvent::ConnectFailed(f),
            CommonEvent::Resynced(r) => AgentEvent::Resynced(r),
        }
    }

    fn reaction(reason: &DisconnectReason) -> Reaction {
        reason.agent_reaction()
    }

    fn knows_push(action: &str) -> bool {
        crate::wire::is_agent_push(action)
    }

    fn user_id(&self) -> Option<&str> {
        self.details.as_ref()?.pointer("/my_profile/id")?.as_str()
    }

    /// Documented agent limits (agent-api-3.6.md §3), checked before anything is sent.
    fn validate(&self, action: &str, payload: &Value) -> Result<(), Error> {
        super::actions::check(action, payload)
    }

    fn token_identity(&mut self, _token: &Token, _out: &mut Vec<AgentEvent>) -> TokenOwner {
        TokenOwner::Same
    }

    fn login_payload(&mut self, token: &str) -> Map<String, Value> {
        let mut payload = Map::new();
        payload.insert("token".into(), Value::String(token.to_string()));
        if let Some(tz) = &self.timezone {
            payload.insert("timezone".into(), json!(tz));
        }
        if let Some(r) = self.reconnect {
            payload.insert("reconnect".into(), json!(r));
        }
        if let Some(a) = self.away {
            payload.insert("away".into(), json!(a));
        }
        if let Some(l) = &self.customer_monitoring_level {
            payload.insert("customer_monitoring_level".into(), json!(l));
        }
        payload
    }

    fn login_ok(&mut self, payload: Value, out: &mut Vec<AgentEvent>) -> Result<(), String> {
        if !payload.is_object() {
            return Err("the login response payload is not an object".into());
        }
        self.details = Some(payload.clone());
        out.push(AgentEvent::Ready(Box::new(Ready::from_login(payload))));
        Ok(())
    }

    fn after_login(&mut self) -> Vec<(String, Value)> {
        vec![]
    }

    fn internal_failed(&mut self, _action: &str) {}

    fn push(&mut self, action: &str, payload: crate::wire::Payload, out: &mut Vec<AgentEvent>) {
        match AgentEvent::from_push(action, payload) {
            Ok(e) => out.push(e),
            Err(e) => out.push(AgentEvent::FrameRejected { error: e.into() }),
        }
    }

    fn push_response(&mut self, _action: &str, _payload: &Value, _out: &mut Vec<AgentEvent>) {}

    fn response(&mut self, _action: &str, _payload: &Value, _out: &mut Vec<AgentEvent>) {}

    fn timeline(event: &AgentEvent) -> Option<Timeline<'_>> {
        match event {
            AgentEvent::IncomingEvent(e) => Some(Timeline::Event(e)),
            AgentEvent::IncomingChat(c) => Some(Timeline::Chat(&c.chat)),
            AgentEvent::ChatDeactivated(d) => Some(Timeline::Deactivated(d)),
            _ => None,
        }
    }

    fn mark_recovered(event: &mut AgentEvent) {
        match event {
            AgentEvent::IncomingEvent(e) => e.recovered = true,
            AgentEvent::IncomingChat(c) => c.recovered = true,
            AgentEvent::ChatDeactivated(d) => d.recovered = true,
            _ => {}
        }
    }

    fn recent_chats() -> Followup {
        Followup::of(&super::actions::ListChats { limit: Some(25), ..Default::default() })
    }

    fn completing_push(&self, _action: &str) -> Option<&'static str> {
        None
    }

    /// `fresh`: the service refused the credentials or they are about to expire. With a
    /// provider (`renewable`) the engine then asks for new ones (`Output::FetchToken`);
    /// without one the same credentials are tried again.
    fn provide_token(&mut self, now: Instant, fresh: bool) -> Option<Token> {
        if fresh && self.renewable {
            return None;
        }
        Some(self.current_token(now))
    }
}

impl Engine<AgentSide> {
    /// Create an agent session; an unsupported API version or monitoring level is an error
    /// naming the value. With `auto_connect` (the default) it starts connecting at once:
    /// drain the outputs. The session makes its token from the credentials itself, so it
    /// never emits `Output::FetchToken`.
    pub fn new(config: AgentConfig, now: Instant) -> Result<AgentSession, Error> {
        config.validate()?;
        let side = AgentSide {
            credentials: config.credentials,
            expires_at: config.credentials_expire_in.and_then(|d| now.checked_add(d)),
            renewable: config.renew_credentials,
            swaps: Vec::new(),
            timezone: config.timezone,
            reconnect: config.reconnect,
            away: config.away,
            customer_monitoring_level: config.customer_monitoring_level,
            details: None,
        };
        Ok(Engine::with_side(config.connection, side, now))
    }

    /// The latest login response (`license`, `my_profile`, `chats_summary`, …), as the Node
    /// SDK's `getAgentDetails()` returns it; `None` before the first login.
    pub fn agent_details(&self) -> Option<&Value> {
        self.side().details.as_ref()
    }

    /// The credentials in use.
    pub fn credentials(&self) -> &AgentCredentials {
        &self.side().credentials
    }

    /// Replace the credentials (e.g. a new OAuth token before the old one expires). Used by
    /// every later login; when connected, also sent now with `update_session` (whose id is
    /// returned) so the open socket outlives the old token. Unlike
    /// [`AgentSession::update_session`] the new credentials are in use at once, whatever
    /// the service answers.
    pub fn set_credentials(
        &mut self,
        now: Instant,
        credentials: impl Into<super::renew::ExpiringCredentials>,
    ) -> Option<RequestId> {
        let c = credentials.into();
        let value = c.credentials.authorization_value();
        self.install_credentials(now, c, None);
        (self.state() == State::Connected)
            .then(|| self.send(now, &UpdateSession { token: value }, RequestOptions::default()))
    }

    /// `sendMessage`: a `message` event with `text` to `chat_id`, seen by `all` or only
    /// `agents` (sent as the agent API's `visibility`). Completes with `{event_id}`. An empty
    /// `chat_id` or `text` completes at once with `INVALID_REQUEST` (the Node SDK throws).
    /// Sent exactly once across reconnects (a `custom_id` is added).
    pub fn send_message(
        &mut self,
        now: Instant,
        chat_id: &str,
        text: &str,
        recipients: Recipients,
    ) -> RequestId {
        let event = ChatEvent::message(text).with_visibility(recipients);
        self.send(now, &SendEvent::new(chat_id, event), RequestOptions::default())
    }
}
