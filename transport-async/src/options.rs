//! What a client is started with: where tokens or credentials come from, and the transport
//! options (the same fields for customer and agent clients).

use std::sync::Arc;
use std::time::Duration;

use livechat_core::Error;
use livechat_core::agent::ExpiringCredentials;
use livechat_core::identity::{CookieJar, Grant};
use livechat_core::token::{AccountsConfig, Secret, Token};
use livechat_core::wire;

use crate::driver::DriverOptions;
use crate::runtime::BoxFuture;

/// The application's own token service (the JS SDK's `identityProvider`).
pub trait IdentityProvider: Send + Sync + 'static {
    /// `getToken` (`fresh = false`, a cached token is fine) or `getFreshToken` (`true`).
    fn token(&self, fresh: bool) -> BoxFuture<Result<Token, Error>>;
}

/// Where customer tokens come from.
#[derive(Clone)]
pub enum Identity {
    /// Built in: a static token, the `agent_token` grant or the `cookie` grant.
    Grant(Grant),
    /// Your own provider.
    Provider(Arc<dyn IdentityProvider>),
}

impl Identity {
    /// A token you already have. It cannot be refreshed.
    pub fn token(token: Token) -> Identity {
        Identity::Grant(Grant::Static(token))
    }

    /// Backend integrations: act for customers with an agent token (`customers:own`).
    /// `entity_id: None` creates a new customer.
    pub fn agent_token(accounts: AccountsConfig, agent_token: Secret, entity_id: Option<String>) -> Identity {
        Identity::Grant(Grant::AgentToken { accounts, agent_token, entity_id })
    }

    /// The `cookie` grant with an in-memory cookie jar (pass a saved jar to resume).
    pub fn cookie(accounts: AccountsConfig, jar: CookieJar) -> Identity {
        Identity::Grant(Grant::Cookie { accounts, jar })
    }
}

/// Options of a customer client.
#[derive(Clone)]
pub struct ClientOptions {
    pub identity: Identity,
    /// Capacity of each event stream; when a subscriber lags behind this much, newer
    /// events are dropped for it (and counted, see [`crate::EventStream::dropped`]).
    pub event_buffer: usize,
    /// Log every frame at `debug` level through `tracing` (target `livechat_async`,
    /// tokens redacted).
    pub debug_frames: bool,
    /// Largest WebSocket message (and frame) accepted.
    pub max_message_size: usize,
    /// Your own rustls configuration (custom roots, client certificates). Certificate
    /// verification is on unless this config turns it off. Without it, `wss://` uses the
    /// transport's default roots (see its `webpki-roots` / `native-roots` features).
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// Calls waiting to reach the driver task; more fail at once with `QUEUE_FULL`.
    pub command_buffer: usize,
    /// How long one socket write may wait for the server to take our bytes; past it the
    /// socket is judged dead, closed and reconnected ([`livechat_core::wire::WRITE_TIMEOUT`]
    /// by default). Connects are bounded by the session's `login_timeout`.
    pub write_timeout: Duration,
}

impl ClientOptions {
    pub fn new(identity: Identity) -> ClientOptions {
        let t = Transport::default();
        ClientOptions {
            identity,
            event_buffer: t.event_buffer,
            debug_frames: t.debug_frames,
            max_message_size: t.max_message_size,
            tls: t.tls,
            command_buffer: t.command_buffer,
            write_timeout: t.write_timeout,
        }
    }
}

/// Options of an [`crate::AgentClient`] (agents bring their own credentials in
/// `AgentConfig`, so there is no identity here). The fields mean what they mean in
/// [`ClientOptions`].
#[derive(Clone)]
pub struct AgentOptions {
    pub event_buffer: usize,
    pub debug_frames: bool,
    pub max_message_size: usize,
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// Where new credentials come from before the old ones expire (see
    /// [`AgentOptions::credentials_provider`]).
    pub credentials_provider: Option<Arc<dyn CredentialsProvider>>,
    pub command_buffer: usize,
    pub write_timeout: Duration,
}

impl Default for AgentOptions {
    fn default() -> AgentOptions {
        let t = Transport::default();
        AgentOptions {
            event_buffer: t.event_buffer,
            debug_frames: t.debug_frames,
            max_message_size: t.max_message_size,
            tls: t.tls,
            command_buffer: t.command_buffer,
            credentials_provider: None,
            write_timeout: t.write_timeout,
        }
    }
}

impl AgentOptions {
    pub fn new() -> AgentOptions {
        AgentOptions::default()
    }

    /// Builder: log frames through `tracing` (the Node SDK's `debug: true`).
    pub fn debug(mut self, on: bool) -> AgentOptions {
        self.debug_frames = on;
        self
    }

    /// Builder: renew the credentials while the client runs. The provider is asked for new
    /// ones an hour before the current ones expire (give their lifetime with
    /// `AgentConfig::with_credentials_expiry` and in each [`ExpiringCredentials`]) and
    /// after the service refused them; they are swapped in on the open socket with
    /// `update_session`. A failure is reported as `credentials_refresh_failed` and tried
    /// again later; the session keeps the old credentials meanwhile.
    pub fn credentials_provider(mut self, provider: impl CredentialsProvider) -> AgentOptions {
        self.credentials_provider = Some(Arc::new(provider));
        self
    }
}

/// The transport fields both option types carry, with their defaults in one place.
struct Transport {
    event_buffer: usize,
    debug_frames: bool,
    max_message_size: usize,
    tls: Option<Arc<rustls::ClientConfig>>,
    command_buffer: usize,
    write_timeout: Duration,
}

impl Default for Transport {
    fn default() -> Transport {
        Transport {
            event_buffer: 1024,
            debug_frames: false,
            max_message_size: wire::MAX_FRAME_LEN,
            tls: None,
            command_buffer: 1024,
            write_timeout: wire::WRITE_TIMEOUT,
        }
    }
}

impl From<&ClientOptions> for DriverOptions {
    fn from(o: &ClientOptions) -> DriverOptions {
        DriverOptions {
            debug_frames: o.debug_frames,
            max_message_size: o.max_message_size,
            tls: o.tls.clone(),
            command_buffer: o.command_buffer,
            write_timeout: o.write_timeout,
        }
    }
}

impl From<&AgentOptions> for DriverOptions {
    fn from(o: &AgentOptions) -> DriverOptions {
        DriverOptions {
            debug_frames: o.debug_frames,
            max_message_size: o.max_message_size,
            tls: o.tls.clone(),
            command_buffer: o.command_buffer,
            write_timeout: o.write_timeout,
        }
    }
}

/// The application's source of new agent credentials (an OAuth refresh, a secret store).
/// Any `Fn() -> impl Future<Output = Result<ExpiringCredentials, Error>>` is one.
pub trait CredentialsProvider: Send + Sync + 'static {
    fn credentials(&self) -> BoxFuture<Result<ExpiringCredentials, Error>>;
}

impl<F, Fut> CredentialsProvider for F
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<ExpiringCredentials, Error>> + Send + 'static,
{
    fn credentials(&self) -> BoxFuture<Result<ExpiringCredentials, Error>> {
        Box::pin(self())
    }
}

/// The provider as the driver's token source: credentials travel as the session's token.
pub(crate) struct Renewer(pub(crate) Arc<dyn CredentialsProvider>);

impl IdentityProvider for Renewer {
    fn token(&self, _fresh: bool) -> BoxFuture<Result<Token, Error>> {
        let asked = self.0.credentials();
        Box::pin(async move { asked.await.map(|c| c.token(std::time::Instant::now())) })
    }
}
