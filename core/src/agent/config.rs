//! Configuration of an agent session.

use std::fmt;

pub use crate::engine::config::{
    API_VERSION, Application, ConnectionConfig, Endpoint, Keepalive, SUPPORTED_API_VERSIONS,
};

use super::credentials::AgentCredentials;
use crate::error::Error;

/// `login.customer_monitoring_level` values (agent-api-3.6.md §3.1).
pub const CUSTOMER_MONITORING_LEVELS: &[&str] = &["my", "chatting", "invited", "online", "highest_available"];

/// Everything an agent session needs to know up front.
///
/// Region and API version live in [`ConnectionConfig`]: `endpoint` (`Endpoint::Region("us")`
/// by default — `"dal"`/`"us"` is `api.livechatinc.com`, `"europe"`/`"fra"` is
/// `api-fra.livechatinc.com` — or an explicit server for a simulator) and `api_version`
/// (`"3.6"` by default; `"3.5"`, `"3.7"`, with or without `v`). `application` and `pushes`
/// are sent with every login by the engine.
#[derive(Clone)]
pub struct AgentConfig {
    /// Organization, endpoint, API version, timeouts, limits, keepalive, backoff.
    pub connection: ConnectionConfig,
    pub credentials: AgentCredentials,
    /// How long `credentials` stay valid from the session's start (an OAuth token's
    /// `expires_in`); `None`: they do not expire (a PAT) or it is unknown. With a lifetime
    /// and [`AgentConfig::renew_credentials`], new credentials are asked for ahead of it.
    pub credentials_expire_in: Option<std::time::Duration>,
    /// Ask for new credentials (`Output::FetchToken`) ahead of their expiry and after the
    /// service refused them, instead of retrying the old ones. The transports set it when
    /// the application gives a credentials provider in the agent options.
    pub renew_credentials: bool,
    /// `login.timezone`.
    pub timezone: Option<String>,
    /// `login.reconnect`: restore the last known routing status instead of the default.
    pub reconnect: Option<bool>,
    /// `login.away`: start this connection in the away state.
    pub away: Option<bool>,
    /// `login.customer_monitoring_level`: one of [`CUSTOMER_MONITORING_LEVELS`].
    pub customer_monitoring_level: Option<String>,
}

impl AgentConfig {
    /// Defaults: US region, API 3.6, no optional login fields.
    pub fn new(organization_id: impl Into<String>, credentials: AgentCredentials) -> AgentConfig {
        AgentConfig {
            connection: ConnectionConfig::new(organization_id, Endpoint::Region("us".into())),
            credentials,
            credentials_expire_in: None,
            renew_credentials: false,
            timezone: None,
            reconnect: None,
            away: None,
            customer_monitoring_level: None,
        }
    }

    /// Builder: another endpoint (`Endpoint::Region("europe".into())`, `Endpoint::url(..)`).
    pub fn with_endpoint(mut self, endpoint: Endpoint) -> AgentConfig {
        self.connection.endpoint = endpoint;
        self
    }

    /// Builder: another API version (`"3.5"`, `"v3.7"`, …); checked by [`AgentConfig::validate`].
    pub fn with_api_version(mut self, version: impl Into<String>) -> AgentConfig {
        self.connection.api_version = version.into();
        self
    }

    /// Builder: the credentials' lifetime (see [`AgentConfig::credentials_expire_in`]).
    pub fn with_credentials_expiry(mut self, expires_in: std::time::Duration) -> AgentConfig {
        self.credentials_expire_in = Some(expires_in);
        self
    }

    /// Check the API version and the customer monitoring level; the error names the value.
    pub fn validate(&self) -> Result<(), Error> {
        self.connection.validate()?;
        if let Some(level) = &self.customer_monitoring_level
            && !CUSTOMER_MONITORING_LEVELS.contains(&level.as_str())
        {
            return Err(Error::invalid(format!(
                "unknown customer_monitoring_level {level:?}: expected one of {}",
                CUSTOMER_MONITORING_LEVELS.join(", ")
            )));
        }
        Ok(())
    }
}

impl fmt::Debug for AgentConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgentConfig")
            .field("connection", &self.connection)
            .field("credentials", &self.credentials)
            .field("credentials_expire_in", &self.credentials_expire_in)
            .field("renew_credentials", &self.renew_credentials)
            .field("timezone", &self.timezone)
            .field("reconnect", &self.reconnect)
            .field("away", &self.away)
            .field("customer_monitoring_level", &self.customer_monitoring_level)
            .finish()
    }
}
