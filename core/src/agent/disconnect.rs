//! What an agent session does after a disconnect, per `agent_disconnected` reason.
//!
//! Source: the reasons table of the RTM pushes page (agent-api-3.6.md §6), whose suggestions
//! are "reconnect", "reconnect with a new token" or "don't reconnect". A "don't reconnect"
//! becomes either [`Reaction::Pause`] (the application can fix the cause and call
//! `connect()`; the session and its queued calls stay) or [`Reaction::Destroy`] (nothing the
//! application does to this session helps). Each choice is written next to its reason.

pub use crate::disconnect::{Delay, DisconnectReason, Reaction};

impl DisconnectReason {
    /// The agent-side policy for this reason.
    pub fn agent_reaction(&self) -> Reaction {
        use DisconnectReason::*;
        const SHORT: Reaction = Reaction::Reconnect { delay: Delay::Short, fresh_token: false };
        const BACKOFF: Reaction = Reaction::Reconnect { delay: Delay::Backoff, fresh_token: false };
        match self {
            // Docs: "don't reconnect". The server (or the agent elsewhere) ended this session
            // on purpose; coming back is the application's decision → pause.
            AgentDisconnectedByServer | AgentLoggedOutRemotely | LoggedOutRemotely => Reaction::Pause,
            // Docs: "don't reconnect". The token is dead: the application can supply another
            // one (`set_credentials`) and `connect()` → pause.
            AccessTokenRevoked => Reaction::Pause,
            // Docs: "don't reconnect". A newer connection of this agent replaced us;
            // reconnecting would evict that one in turn (ping-pong) → pause.
            ConnectionEvicted => Reaction::Pause,
            // Docs: "don't reconnect". The agent has too many connections; closing others
            // makes `connect()` useful again → pause.
            TooManyConnections => Reaction::Pause,
            // Docs: "don't reconnect". A renewed licence makes `connect()` useful again → pause
            // (as on the customer side).
            LicenseExpired => Reaction::Pause,
            // Docs: "don't reconnect". No licence, or an API version the service no longer
            // speaks: no retry of this session can succeed → destroy.
            LicenseNotFound | UnsupportedVersion | WrongProductVersion | InvalidEndpoint => Reaction::Destroy,
            // Docs: "reconnect with a new token". The session asks its credentials again
            // (static credentials give the same token: repeated authentication failures at
            // login then pause with `authentication_failed` after `max_auth_failures`).
            AccessTokenExpired => Reaction::Reconnect { delay: Delay::Short, fresh_token: true },
            // Docs: "reconnect".
            ConnectionTimeout | InternalError => SHORT,
            // Docs (3.6): "reconnect"; the new login picks up the new permissions.
            RolePermissionsChanged => SHORT,
            // Docs: "reconnect"; with backoff, since hurrying is what caused it.
            TooManyUnauthorizedConnections => BACKOFF,
            // Docs: "don't reconnect (to this host)"; `data.region` names the right one, so we
            // switch to it (or pause when it names none / an unknown one).
            MisdirectedConnection => Reaction::SwitchRegion,
            ServiceTemporarilyUnavailable => {
                Reaction::Reconnect { delay: Delay::SlowBackoff, fresh_token: false }
            }
            // Client-side: the socket dropped without a word.
            ConnectionLost => BACKOFF,
            // Client-side: credentials refused repeatedly; the application can fix them.
            AuthenticationFailed | UsersLimitReached | InactivityTimeout => Reaction::Pause,
            // Customer-only reasons; never sent to agents. Kept consistent with the customer
            // policy where it is fatal, otherwise treated as unknown.
            CustomerBanned | CustomerTemporarilyBlocked => Reaction::Destroy,
            ProductVersionChanged => BACKOFF,
            // Unknown reasons: the service adds new ones; reconnecting with backoff is safe.
            Other(_) => BACKOFF,
        }
    }
}
