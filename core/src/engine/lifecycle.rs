//! Where a session is in its life, as one value: each phase carries what only it has (the
//! failed attempts while trying to log in, the cause of a pause or a destroy), so nothing
//! derived can drift from the phase it belongs to. The public [`State`] is read from it.

use super::State;
use crate::error::Error;

/// The session's phase (see the module docs).
#[derive(Debug)]
pub(super) enum Phase {
    /// Created with `auto_connect = false`; waiting for `connect()`.
    Idle,
    /// Opening a socket and logging in, or waiting to try again. `first`: the session has
    /// never logged in (its calls wait only `first_connect_timeout`).
    Attempting { first: bool, attempts: Attempts },
    /// Logged in.
    Connected,
    /// Stopped until `connect()`: by the application (`cause: None`), or by the server or
    /// the configuration (the cause its calls fail with).
    Paused { cause: Option<Error>, ever_connected: bool },
    /// Finished for good; `cause` when the server or the configuration ended it.
    Destroyed { cause: Option<Error> },
}

/// The failed attempts in a row of one [`Phase::Attempting`], and the cause of the last one.
#[derive(Debug, Default)]
pub(super) struct Attempts {
    pub(super) failed: u32,
    pub(super) last_failure: Option<Error>,
}

impl Phase {
    pub(super) fn state(&self) -> State {
        match self {
            Phase::Idle => State::Idle,
            Phase::Attempting { first: true, .. } => State::Connecting,
            Phase::Attempting { first: false, .. } => State::Reconnecting,
            Phase::Connected => State::Connected,
            Phase::Paused { .. } => State::Paused,
            Phase::Destroyed { .. } => State::Destroyed,
        }
    }

    /// Whether the session has logged in at least once.
    pub(super) fn ever_connected(&self) -> bool {
        match self {
            Phase::Idle => false,
            Phase::Attempting { first, .. } => !first,
            Phase::Connected | Phase::Destroyed { .. } => true,
            Phase::Paused { ever_connected, .. } => *ever_connected,
        }
    }

    /// Why the server or the configuration stopped the session, if it did.
    pub(super) fn cause(&self) -> Option<&Error> {
        match self {
            Phase::Paused { cause, .. } | Phase::Destroyed { cause } => cause.as_ref(),
            _ => None,
        }
    }

    /// The attempts of the phase, a lost connection starting a new series: `None` when the
    /// session is not trying to connect (idle, paused, destroyed).
    pub(super) fn attempts_mut(&mut self) -> Option<&mut Attempts> {
        if matches!(self, Phase::Connected) {
            *self = Phase::reconnecting();
        }
        match self {
            Phase::Attempting { attempts, .. } => Some(attempts),
            _ => None,
        }
    }

    pub(super) fn attempts(&self) -> Option<&Attempts> {
        match self {
            Phase::Attempting { attempts, .. } => Some(attempts),
            _ => None,
        }
    }

    /// Trying again after having been logged in.
    pub(super) fn reconnecting() -> Phase {
        Phase::Attempting { first: false, attempts: Attempts::default() }
    }

    /// `connect()` from idle or paused; `None` in any other phase (already on its way).
    pub(super) fn resumed(&self) -> Option<Phase> {
        match self {
            Phase::Idle | Phase::Paused { .. } => {
                Some(Phase::Attempting { first: !self.ever_connected(), attempts: Attempts::default() })
            }
            _ => None,
        }
    }

    /// Paused with `cause` (`None`: by the application, keeping an earlier cause).
    pub(super) fn paused(&self, cause: Option<Error>) -> Phase {
        let cause = cause.or_else(|| self.cause().cloned());
        Phase::Paused { cause, ever_connected: self.ever_connected() }
    }

    /// Destroyed with `cause` (`None`: by the application, keeping an earlier cause).
    pub(super) fn destroyed(&self, cause: Option<Error>) -> Phase {
        Phase::Destroyed { cause: cause.or_else(|| self.cause().cloned()) }
    }
}
