//! Identities that change while a client runs: more than one valid agent token (so a
//! client can swap to a second one with `update_session`, agent-api-3.6.md §3.5), the
//! `update_session` action itself, and a token endpoint that can be taken down (to show a
//! client that renewed its customer token ahead of time needs no fetch to reconnect).

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::Control;
use crate::state::State;
use crate::util::{ApiError, ApiResult, req_str};

/// What this module keeps in the simulator's state.
#[derive(Debug, Default)]
pub struct Lifetimes {
    /// Bearer tokens accepted for the default agent besides `SimConfig::agent_token`.
    pub agent_tokens: HashSet<String>,
    /// `update_session` calls accepted / refused.
    pub sessions_updated: u64,
    pub sessions_refused: u64,
    /// Customer token grants issued.
    pub token_grants: u64,
    /// The token endpoint answers 503 `temporarily_unavailable` while set.
    pub token_endpoint_down: bool,
}

impl State {
    /// `update_session`: the new token must be valid and name the same agent; the
    /// connection is not touched either way.
    pub fn agent_update_session(&mut self, me: &str, p: &Value) -> ApiResult<Value> {
        let token = req_str(p, "token", "token")?;
        if self.agent_for_token(token).as_deref() == Some(me) {
            self.lifetimes.sessions_updated += 1;
            Ok(json!({}))
        } else {
            self.lifetimes.sessions_refused += 1;
            Err(ApiError::of("authentication"))
        }
    }
}

impl Control {
    fn lifetimes<T>(&self, f: impl FnOnce(&mut Lifetimes) -> T) -> T {
        let mut st = self.shared.state.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut st.lifetimes)
    }

    /// Accept `token` (without `Bearer `) as another valid token of the default agent.
    pub fn add_agent_token(&self, token: &str) {
        self.lifetimes(|l| l.agent_tokens.insert(token.to_string()));
    }

    /// `(accepted, refused)` `update_session` calls so far.
    pub fn session_updates(&self) -> (u64, u64) {
        self.lifetimes(|l| (l.sessions_updated, l.sessions_refused))
    }

    /// Customer tokens issued by the token endpoint so far.
    pub fn token_grants(&self) -> u64 {
        self.lifetimes(|l| l.token_grants)
    }

    /// Make the token endpoint answer 503 `temporarily_unavailable` (or serve again).
    pub fn set_token_endpoint_down(&self, down: bool) {
        self.lifetimes(|l| l.token_endpoint_down = down)
    }
}
