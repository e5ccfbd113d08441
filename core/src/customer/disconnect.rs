//! Disconnect reasons and what the customer session does about each (the agent policy is
//! `DisconnectReason::agent_reaction`, in `crate::agent::disconnect`).
//!
//! Sources: the `customer_disconnected` table of the RTM pushes page (customer-api-3.6.md §6),
//! the v5 Customer SDK docs ("Disconnection reasons"), and what the 4.0.2 SDK does
//! (customer-sdk-behaviour.md §9). Where they disagree the choice is written next to the reason.

use std::fmt;

macro_rules! reasons {
    ($( $(#[$doc:meta])* $variant:ident = $wire:literal, )*) => {
        /// Why a session disconnected: the server's `customer_disconnected` reasons (current
        /// and legacy) and the client-side ones (`connection_lost`, `users_limit_reached`, …).
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum DisconnectReason {
            $( $(#[$doc])* $variant, )*
            /// A reason this version does not know, as sent.
            Other(String),
        }

        impl DisconnectReason {
            pub fn from_wire(s: &str) -> DisconnectReason {
                match s {
                    $( $wire => DisconnectReason::$variant, )*
                    other => DisconnectReason::Other(other.to_string()),
                }
            }

            pub fn as_str(&self) -> &str {
                match self {
                    $( DisconnectReason::$variant => $wire, )*
                    DisconnectReason::Other(s) => s,
                }
            }
        }
    };
}

reasons! {
    AccessTokenRevoked = "access_token_revoked",
    AccessTokenExpired = "access_token_expired",
    ConnectionEvicted = "connection_evicted",
    ConnectionTimeout = "connection_timeout",
    InternalError = "internal_error",
    LicenseNotFound = "license_not_found",
    LicenseExpired = "license_expired",
    MisdirectedConnection = "misdirected_connection",
    UnsupportedVersion = "unsupported_version",
    ServiceTemporarilyUnavailable = "service_temporarily_unavailable",
    TooManyConnections = "too_many_connections",
    TooManyUnauthorizedConnections = "too_many_unauthorized_connections",
    LoggedOutRemotely = "logged_out_remotely",
    // agent-only reasons (`agent_disconnected`, agent-api-3.6.md §6)
    /// The server disconnected the agent.
    AgentDisconnectedByServer = "agent_disconnected_by_server",
    /// The agent was logged out remotely.
    AgentLoggedOutRemotely = "agent_logged_out_remotely",
    /// The agent's role permissions changed (3.6).
    RolePermissionsChanged = "role_permissions_changed",
    // legacy reasons, still handled by the official SDK
    CustomerBanned = "customer_banned",
    CustomerTemporarilyBlocked = "customer_temporarily_blocked",
    InactivityTimeout = "inactivity_timeout",
    ProductVersionChanged = "product_version_changed",
    // client-side reasons
    /// The socket closed (or was judged dead) without the server saying why.
    ConnectionLost = "connection_lost",
    /// Login refused with `users_limit_reached`.
    UsersLimitReached = "users_limit_reached",
    /// Login refused because the token was rejected and a fresh one was rejected too, or
    /// the accounts service refused the identity.
    AuthenticationFailed = "authentication_failed",
    /// Login refused with `wrong_product_version`.
    WrongProductVersion = "wrong_product_version",
    /// The configured endpoint is not a valid URL or region: nothing to connect to.
    InvalidEndpoint = "invalid_endpoint",
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How long to wait before the next connection attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delay {
    /// Right away (region switch).
    Immediate,
    /// The fixed short delay (100 ms) the official SDK uses after server-initiated drops.
    Short,
    /// The default exponential backoff.
    Backoff,
    /// The slower backoff (service temporarily unavailable).
    SlowBackoff,
}

/// What the session does after a disconnect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reaction {
    /// Reconnect on its own.
    Reconnect { delay: Delay, fresh_token: bool },
    /// Reconnect to the region named in `data.region`.
    SwitchRegion,
    /// Stay disconnected until the application calls `connect()`.
    Pause,
    /// Destroy the session: it cannot be reused.
    Destroy,
}

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
