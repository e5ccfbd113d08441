//! Credentials renewed ahead of their expiry, while the session runs.
//!
//! The [`ClientCore`](crate::client::ClientCore) owns the decision (the transports only perform the
//! fetches it asks for and hand the results back):
//!
//! * **When.** A token (customer) or agent credentials with a lifetime are renewed at
//!   [`refresh_at`]: [`REFRESH_MARGIN`] (one hour) before they expire, or half-way through a
//!   lifetime shorter than two hours. The timer runs only while the session is connected:
//!   before a login the session asks for a token itself when the one it has is too old.
//! * **Customer.** The new token is fetched in the background and kept; the session goes on
//!   with the old one on its open socket. When the service ends that socket
//!   (`customer_disconnected{access_token_expired}`) or it drops, the next login takes the
//!   kept token at once, so the calls queued meanwhile go out without waiting for the
//!   accounts service. Uploads use the newest token.
//! * **Agent.** The application's credentials provider (given in the transport's agent
//!   options) is asked for new credentials, which are swapped in on the open socket with
//!   `update_session`: the socket outlives the old token. If the service refuses them the
//!   session keeps the old ones and reports `credentials_refresh_failed`.
//! * **Failures** of a background renewal are retried after 5 s, doubling up to 5 min; the
//!   session keeps working with what it has meanwhile.
//!
//! Sessions used without the driver (sans-IO) get the same pieces: [`refresh_at`] for the
//! timer, `AgentSession::update_session` / `AgentSession::finish_request` for the swap.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::engine::{Engine, RequestId, State};
use crate::error::Error;
use crate::token::{REFRESH_MARGIN, Token};

/// First retry of a failed background renewal; doubled per failure up to [`RETRY_MAX`].
pub const RETRY_MIN: Duration = Duration::from_secs(5);
/// Longest wait between background renewal attempts.
pub const RETRY_MAX: Duration = Duration::from_secs(300);

/// How long before the end of its lifetime `token` is renewed: [`REFRESH_MARGIN`], or half
/// the lifetime when that is shorter.
pub fn refresh_lead(token: &Token) -> Duration {
    REFRESH_MARGIN.min(token.expires_in / 2)
}

/// When to renew `token` in the background; `None` when it never expires.
pub fn refresh_at(token: &Token) -> Option<Instant> {
    if token.expires_in == Duration::MAX {
        return None;
    }
    token.issued_at.checked_add(token.expires_in - refresh_lead(token))
}

/// Whether a token fetched ahead of time is still good for a new login at `now`.
pub fn fresh_enough(token: &Token, now: Instant) -> bool {
    token.remaining(now) > refresh_lead(token)
}

/// What became of a token renewed in the background.
#[derive(Debug)]
pub enum Swapped {
    /// Sent with this request (`update_session`); settled by [`Renew::settle`].
    Sent(RequestId),
    /// Put to use at once (not connected: the next login uses it).
    Installed,
    /// Not for the open socket: keep it for the next login.
    Kept(Token),
}

/// How each session takes new credentials (implemented by both; the driver uses it).
pub trait Renew {
    /// Whether this session's credentials can be renewed at all.
    fn renewable(&self) -> bool;
    /// The session asked for a token (`Output::FetchToken`); here is the answer.
    fn give_token(&mut self, now: Instant, token: Result<Token, Error>);
    /// A token renewed in the background arrived.
    fn swap_in(&mut self, now: Instant, token: Token) -> Swapped;
    /// Every completion passes through here before it reaches its caller.
    fn settle(&mut self, now: Instant, id: RequestId, result: Result<Value, Error>) -> Result<Value, Error>;
    /// A background renewal failed (the session keeps what it has).
    fn renewal_failed(&mut self, now: Instant, error: &Error);
}

/// The driver's renewal state: at most one token fetch at a time, shared by the session's
/// own requests and the background renewal.
#[derive(Debug, Default)]
pub(crate) struct Renewal {
    /// The token source can renew (not a static token).
    pub(crate) enabled: bool,
    /// A fetch is on its way.
    pub(crate) fetching: bool,
    /// The session waits for the fetch in flight.
    pub(crate) session_waiting: bool,
    /// A token renewed in the background, kept for the next login (customer).
    pub(crate) kept: Option<Token>,
    /// The `update_session` of a background renewal (agent).
    pub(crate) swap: Option<RequestId>,
    failures: u32,
    retry_at: Option<Instant>,
}

impl Renewal {
    pub(crate) fn new(enabled: bool) -> Renewal {
        Renewal { enabled, ..Renewal::default() }
    }

    /// When the next background renewal is due, if one is.
    pub(crate) fn due<S>(&self, session: &Engine<S>) -> Option<Instant>
    where
        S: crate::engine::Side,
        Engine<S>: Renew,
    {
        if !self.enabled || self.fetching || self.swap.is_some() || !session.renewable() {
            return None;
        }
        if session.state() != State::Connected {
            return None;
        }
        if let Some(at) = self.retry_at {
            return Some(at);
        }
        self.kept.as_ref().or(session.token()).and_then(refresh_at)
    }

    /// A kept token the session can log in with now (taken: it is used once).
    pub(crate) fn take_kept(&mut self, now: Instant) -> Option<Token> {
        self.kept.take().filter(|t| fresh_enough(t, now))
    }

    pub(crate) fn succeeded(&mut self) {
        self.failures = 0;
        self.retry_at = None;
    }

    pub(crate) fn failed(&mut self, now: Instant) {
        self.failures = self.failures.saturating_add(1);
        let doubling = RETRY_MIN.saturating_mul(1u32 << self.failures.saturating_sub(1).min(16));
        self.retry_at = Some(now + doubling.min(RETRY_MAX));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::Secret;

    fn token(life: Duration, at: Instant) -> Token {
        Token {
            access_token: Secret::new("t"),
            entity_id: "c".into(),
            token_type: "Bearer".into(),
            expires_in: life,
            organization_id: None,
            issued_at: at,
        }
    }

    #[test]
    fn renewal_is_an_hour_ahead_or_half_way_and_never_for_endless_tokens() {
        let t0 = Instant::now();
        let eight_hours = token(Duration::from_secs(8 * 3600), t0);
        assert_eq!(refresh_at(&eight_hours), Some(t0 + Duration::from_secs(7 * 3600)));
        let short = token(Duration::from_secs(40), t0);
        assert_eq!(refresh_at(&short), Some(t0 + Duration::from_secs(20)));
        assert!(fresh_enough(&short, t0 + Duration::from_secs(19)));
        assert!(!fresh_enough(&short, t0 + Duration::from_secs(20)));
        assert_eq!(refresh_at(&token(Duration::MAX, t0)), None);

        let mut r = Renewal::default();
        r.failed(t0);
        assert_eq!(r.retry_at, Some(t0 + RETRY_MIN));
        for _ in 0..40 {
            r.failed(t0);
        }
        assert_eq!(r.retry_at, Some(t0 + RETRY_MAX));
        r.succeeded();
        assert_eq!(r.retry_at, None);
    }
}
