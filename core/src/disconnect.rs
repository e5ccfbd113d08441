//! Why a session disconnects and what a session can do about it: the reasons of both
//! sides (`customer_disconnected`, `agent_disconnected`, client-side ones) and the possible
//! reactions. Each side's policy lives with it: `customer::disconnect`, `agent::disconnect`.

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
