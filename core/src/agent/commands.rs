//! The agent's own commands (the Node chat SDK's methods that are not one RTM action with
//! the caller's payload), and how an agent session carries out every [`Op`].

use std::time::Instant;

use serde_json::Value;

use super::renew::ExpiringCredentials;
use super::session::AgentSide;
use crate::client::{Applied, Op, Ops};
use crate::engine::Engine;
use crate::error::{Error, ErrorCode};
use crate::model::Recipients;

/// What only an agent client can ask (a customer client cannot even name these).
#[derive(Debug, Clone, PartialEq)]
pub enum AgentCommand {
    /// `sendMessage`: `send_event` with a `message`.
    SendMessage { chat_id: String, text: String, recipients: Recipients },
    /// `getAgentDetails()`: the stored login response; no network.
    AgentDetails,
    /// Swap the credentials on the running session (`update_session`; see `super::renew`).
    UpdateSession { credentials: ExpiringCredentials },
}

impl Ops for Engine<AgentSide> {
    type Command = AgentCommand;

    fn apply(&mut self, now: Instant, op: Op<AgentCommand>) -> Applied {
        let command = match op {
            // A raw `update_session` is a swap too: the next login uses what the socket got.
            Op::Call { action, payload, .. } if action == "update_session" => {
                let token = payload.get("token").and_then(Value::as_str).unwrap_or_default();
                match ExpiringCredentials::from_authorization(token) {
                    Ok(credentials) => AgentCommand::UpdateSession { credentials },
                    Err(e) => return Applied::Done(Err(e)),
                }
            }
            op => match self.apply_common(now, op) {
                Ok(applied) => return applied,
                Err(command) => command,
            },
        };
        match command {
            AgentCommand::SendMessage { chat_id, text, recipients } => {
                Applied::Pending(self.send_message(now, &chat_id, &text, recipients))
            }
            AgentCommand::UpdateSession { credentials } => {
                Applied::sent_or_done(self.update_session(now, credentials))
            }
            AgentCommand::AgentDetails => Applied::Done(match self.agent_details() {
                Some(details) => Ok(details.clone()),
                None => Err(Error::new(
                    ErrorCode::NoConnection,
                    "the agent is not logged in yet: wait for `ready`",
                )),
            }),
        }
    }
}
