//! Swapping an agent's credentials on a running session (`update_session`, agent-api-3.6.md
//! §3.5), by hand or from the application's credentials provider before they expire.
//!
//! Choices:
//! * connected: the new credentials are sent with `update_session` and take effect only
//!   when the service accepts them; if it refuses (or the socket drops first) the session
//!   keeps the old ones and the call fails with the service's error, so a typo in a new
//!   token never costs a working session;
//! * not connected: there is no socket to ask, so they replace the old ones at once and the
//!   next login is their test;
//! * a raw `update_session` call (`call_raw` / `call(&UpdateSession)`) goes the same way, so
//!   the next login always uses the token the socket was last given;
//! * with a provider (`renews_credentials`), a session that must log in again with
//!   credentials that were refused or are about to expire asks for new ones
//!   (`Output::FetchToken { fresh: true }`, answered with credentials turned into a
//!   [`Token`] by [`ExpiringCredentials::token`]) instead of retrying the old ones.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::actions::UpdateSession;
use super::credentials::AgentCredentials;
use super::events::AgentEvent;
use super::session::{AgentSession, RequestId, RequestOptions, State};
use crate::error::Error;
use crate::refresh::{Renew, Swapped};
use crate::token::Token;

/// Swaps sent and not answered yet, kept at most (older ones are forgotten: their answer
/// then changes nothing).
const MAX_SWAPS: usize = 16;

/// Agent credentials with the lifetime their issuer gave them (OAuth `expires_in`, 8 hours
/// by default for agent tokens); `None`: they do not expire (a PAT) or it is unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiringCredentials {
    pub credentials: AgentCredentials,
    pub expires_in: Option<Duration>,
}

impl ExpiringCredentials {
    pub fn new(credentials: AgentCredentials, expires_in: Duration) -> ExpiringCredentials {
        ExpiringCredentials { credentials, expires_in: Some(expires_in) }
    }

    /// As the session's token, issued at `now` (how a provider's answer travels to the
    /// session: `Output::FetchToken` is answered with a [`Token`]).
    pub fn token(&self, now: Instant) -> Token {
        let mut t = self.credentials.token(now);
        if let Some(d) = self.expires_in {
            t.expires_in = d;
        }
        t
    }

    /// Back from a token made by [`ExpiringCredentials::token`] (a `Basic` token is the
    /// encoded PAT, anything else a bearer token).
    pub fn from_token(token: &Token) -> ExpiringCredentials {
        let credentials = if token.token_type.eq_ignore_ascii_case("basic") {
            AgentCredentials::EncodedPat(token.access_token.clone())
        } else {
            AgentCredentials::Bearer(token.access_token.clone())
        };
        let expires_in = (token.expires_in != Duration::MAX).then_some(token.expires_in);
        ExpiringCredentials { credentials, expires_in }
    }

    /// From a `login.token` / `update_session.token` value (`"Bearer …"` / `"Basic …"`).
    pub fn from_authorization(value: &str) -> Result<ExpiringCredentials, Error> {
        let credentials = if let Some(t) = value.strip_prefix("Bearer ") {
            AgentCredentials::bearer(t.trim())
        } else if let Some(t) = value.strip_prefix("Basic ") {
            AgentCredentials::encoded_pat(t.trim())
        } else {
            return Err(Error::invalid("update_session: `token` must start with \"Bearer \" or \"Basic \""));
        };
        Ok(credentials.into())
    }
}

impl From<AgentCredentials> for ExpiringCredentials {
    fn from(credentials: AgentCredentials) -> ExpiringCredentials {
        ExpiringCredentials { credentials, expires_in: None }
    }
}

/// An `update_session` on its way.
#[derive(Debug)]
pub(crate) struct Swap {
    id: RequestId,
    credentials: AgentCredentials,
    expires_at: Option<Instant>,
}

impl AgentSession {
    /// Whether the session asks for new credentials (`Output::FetchToken`) rather than
    /// retrying ones that were refused or are about to expire (`AgentConfig::renew_credentials`).
    pub fn renews_credentials(&self) -> bool {
        self.side().renewable
    }

    /// When the credentials in use expire, if they do.
    pub fn credentials_expire_at(&self) -> Option<Instant> {
        self.side().expires_at
    }

    /// Swap the credentials on the running session (see the module docs): connected, they
    /// are sent with `update_session`, whose id is returned; pass its completion through
    /// [`AgentSession::finish_request`] to put them in use (or keep the old ones). Not
    /// connected, they replace the old ones at once (`None`).
    pub fn update_session(
        &mut self,
        now: Instant,
        credentials: impl Into<ExpiringCredentials>,
    ) -> Option<RequestId> {
        let c = credentials.into();
        let at = c.expires_in.and_then(|d| now.checked_add(d));
        self.update_session_until(now, c, at)
    }

    pub(crate) fn update_session_until(
        &mut self,
        now: Instant,
        c: ExpiringCredentials,
        expires_at: Option<Instant>,
    ) -> Option<RequestId> {
        if self.state() != State::Connected {
            self.install_credentials(now, c, expires_at);
            return None;
        }
        let request = UpdateSession { token: c.credentials.authorization_value() };
        let id = self.send(now, &request, RequestOptions::default());
        let swaps = &mut self.side_mut().swaps;
        if swaps.len() >= MAX_SWAPS {
            swaps.remove(0);
        }
        swaps.push(Swap { id, credentials: c.credentials, expires_at });
        Some(id)
    }

    /// Hand every `Output::Completed` through this before giving it to its caller: the
    /// completion of an `update_session` puts its credentials in use (success) or drops
    /// them (failure, whose error then says the old credentials stay). Other completions
    /// pass unchanged.
    pub fn finish_request(
        &mut self,
        now: Instant,
        id: RequestId,
        result: Result<Value, Error>,
    ) -> Result<Value, Error> {
        let swaps = &mut self.side_mut().swaps;
        let Some(pos) = swaps.iter().position(|s| s.id == id) else { return result };
        let swap = swaps.remove(pos);
        match result {
            Ok(v) => {
                let c = ExpiringCredentials { credentials: swap.credentials, expires_in: None };
                self.install_credentials(now, c, swap.expires_at);
                Ok(v)
            }
            Err(e) => Err(Error {
                message: format!(
                    "update_session did not take the new credentials ({}: {}); the session keeps the old ones",
                    e.code.as_wire(),
                    e.message
                ),
                ..e
            }),
        }
    }

    /// Put credentials in use without asking the service (not connected, or accepted).
    pub(crate) fn install_credentials(&mut self, now: Instant, c: ExpiringCredentials, at: Option<Instant>) {
        let side = self.side_mut();
        side.credentials = c.credentials;
        side.expires_at = at.or_else(|| c.expires_in.and_then(|d| now.checked_add(d)));
        let token = self.side().current_token(now);
        self.handle_token(now, Ok(token));
    }

    /// A background renewal failed: tell the application (the old credentials stay).
    pub(crate) fn report_refresh_failure(&mut self, _now: Instant, error: &Error) {
        self.emit_event(AgentEvent::CredentialsRefreshFailed { error: error.clone() });
    }
}

impl super::session::AgentSide {
    /// The engine token for the credentials in use, with the time they have left.
    pub(crate) fn current_token(&self, now: Instant) -> Token {
        let mut t = self.credentials.token(now);
        if let Some(at) = self.expires_at {
            t.expires_in = at.saturating_duration_since(now);
        }
        t
    }
}

/// An agent's credentials renewed ahead of expiry are swapped in on the open socket with
/// `update_session` (see `crate::refresh`).
impl Renew for crate::engine::Engine<super::AgentSide> {
    fn renewable(&self) -> bool {
        self.renews_credentials()
    }
    fn give_token(&mut self, now: Instant, token: Result<Token, Error>) {
        match token {
            Ok(t) => self.install_credentials(now, ExpiringCredentials::from_token(&t), t.expires_at()),
            Err(e) => self.handle_token(now, Err(e)),
        }
    }
    fn swap_in(&mut self, now: Instant, token: Token) -> Swapped {
        let at = token.expires_at();
        match self.update_session_until(now, ExpiringCredentials::from_token(&token), at) {
            Some(id) => Swapped::Sent(id),
            None => Swapped::Installed,
        }
    }
    fn settle(&mut self, now: Instant, id: RequestId, result: Result<Value, Error>) -> Result<Value, Error> {
        self.finish_request(now, id, result)
    }
    fn renewal_failed(&mut self, now: Instant, error: &Error) {
        self.report_refresh_failure(now, error);
    }
}
