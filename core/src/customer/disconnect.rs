//! What the customer session does about each disconnect reason (the reasons themselves are
//! in `crate::disconnect`; the agent policy is `DisconnectReason::agent_reaction`, in
//! `crate::agent::disconnect`).
//!
//! Sources: the `customer_disconnected` table of the RTM pushes page (customer-api-3.6.md §6),
//! the v5 Customer SDK docs ("Disconnection reasons"), and what the 4.0.2 SDK does
//! (customer-sdk-behaviour.md §9). Where they disagree the choice is written next to the reason.

pub use crate::disconnect::{Delay, DisconnectReason, Reaction};

impl DisconnectReason {
    /// The customer-side policy for this reason.
    pub fn reaction(&self) -> Reaction {
        use DisconnectReason::*;
        match self {
            // Docs: "reconnect with a new token".
            AccessTokenRevoked | AccessTokenExpired => {
                Reaction::Reconnect { delay: Delay::Short, fresh_token: true }
            }
            ConnectionEvicted | ConnectionTimeout | InternalError => {
                Reaction::Reconnect { delay: Delay::Short, fresh_token: false }
            }
            ServiceTemporarilyUnavailable => {
                Reaction::Reconnect { delay: Delay::SlowBackoff, fresh_token: false }
            }
            // Agent-only reasons never reach a customer session; if one does, it is treated
            // like an unknown reason.
            TooManyUnauthorizedConnections
            | ConnectionLost
            | AgentDisconnectedByServer
            | AgentLoggedOutRemotely
            | RolePermissionsChanged => Reaction::Reconnect { delay: Delay::Backoff, fresh_token: false },
            // Docs say "don't reconnect" to this host; the v5 SDK docs say the SDK reconnects
            // to the right region on its own. We switch to `data.region`, or pause when the
            // push names no region (reconnecting to the same host would loop).
            MisdirectedConnection => Reaction::SwitchRegion,
            // v5 docs: the SDK "won't" reconnect; the app calls connect() on user intent.
            // (4.0.2 reconnected after 100 ms; we follow the docs.)
            InactivityTimeout | UsersLimitReached => Reaction::Pause,
            // Docs: "don't reconnect". 4.0.2 reconnected (its destroy branch is dead code).
            // A renewed licence makes connect() useful again, so we pause rather than destroy.
            LicenseExpired => Reaction::Pause,
            LicenseNotFound
            | UnsupportedVersion
            | TooManyConnections
            | CustomerBanned
            | CustomerTemporarilyBlocked
            | ProductVersionChanged
            | LoggedOutRemotely
            | WrongProductVersion
            | InvalidEndpoint
            | AuthenticationFailed => Reaction::Destroy,
            // Unknown reasons: the service adds new ones; reconnecting with backoff is safe
            // (bounded by the backoff) and keeps the app working.
            Other(_) => Reaction::Reconnect { delay: Delay::Backoff, fresh_token: false },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip_and_unknown_reasons_are_kept() {
        for r in ["access_token_expired", "misdirected_connection", "customer_banned", "inactivity_timeout"] {
            assert_eq!(DisconnectReason::from_wire(r).as_str(), r);
        }
        let r = DisconnectReason::from_wire("shiny_new_reason");
        assert_eq!(r, DisconnectReason::Other("shiny_new_reason".into()));
        assert!(matches!(r.reaction(), Reaction::Reconnect { delay: Delay::Backoff, .. }));
    }
}
