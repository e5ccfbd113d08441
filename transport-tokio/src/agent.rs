//! The agent client: the Node.js chat SDK's capabilities on tokio, driven by the same
//! driver task as the customer client.

use std::sync::{Arc, Mutex};

use livechat_core::Error;
use livechat_core::agent::{AgentApi, AgentConfig, AgentEvent, AgentSession, Exec, ExpiringCredentials};
use livechat_core::client::{Op, Tokens};
use livechat_core::hub::EventHub;
use tokio::sync::mpsc;

use crate::driver::{self, DriverOptions};
use crate::events::{self, EventStream};
use crate::{BoxFuture, Command, exec_on};

/// A stream of agent events.
pub type AgentEventStream = EventStream<AgentEvent>;

/// Transport options of an [`AgentClient`] (agents bring their own credentials in
/// [`AgentConfig`], so there is no identity here).
#[derive(Clone)]
pub struct AgentOptions {
    /// Capacity of each event stream; a subscriber this far behind loses newer events
    /// (counted in [`EventStream::dropped`]).
    pub event_buffer: usize,
    /// Log every frame at `debug` level through `tracing` (tokens redacted).
    pub debug_frames: bool,
    /// Largest WebSocket message accepted.
    pub max_message_size: usize,
    /// Your own rustls configuration; certificate verification is on unless it turns it off.
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// Where new credentials come from before the old ones expire (see
    /// [`AgentOptions::credentials_provider`]).
    pub credentials_provider: Option<Arc<dyn CredentialsProvider>>,
    /// Calls waiting to reach the driver task.
    pub command_buffer: usize,
    /// How long one socket write may wait for the server to take our bytes; past it the
    /// socket is judged dead ([`livechat_core::wire::WRITE_TIMEOUT`] by default).
    pub write_timeout: std::time::Duration,
}

impl Default for AgentOptions {
    fn default() -> AgentOptions {
        AgentOptions {
            event_buffer: 1024,
            debug_frames: false,
            max_message_size: livechat_core::wire::MAX_FRAME_LEN,
            tls: None,
            command_buffer: 1024,
            credentials_provider: None,
            write_timeout: livechat_core::wire::WRITE_TIMEOUT,
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
struct Renewer(Arc<dyn CredentialsProvider>);

impl crate::IdentityProvider for Renewer {
    fn token(&self, _fresh: bool) -> BoxFuture<Result<livechat_core::token::Token, Error>> {
        let asked = self.0.credentials();
        Box::pin(async move { asked.await.map(|c| c.token(std::time::Instant::now())) })
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
            connect_timeout: livechat_core::wire::CONNECT_TIMEOUT,
        }
    }
}

/// An agent client (the Node chat SDK's `ChatSDK`). Cheap to clone; usable from many tasks.
/// Every method comes from [`AgentApi`].
///
/// ```no_run
/// use livechat_tokio::{AgentApi, AgentClient, AgentOptions};
/// use livechat_core::agent::{AgentConfig, AgentCredentials, AgentEvent, Recipients};
/// # async fn demo() -> Result<(), livechat_core::Error> {
/// let config = AgentConfig::new("my-organization-id", AgentCredentials::bearer("dal:…"));
/// let agent = AgentClient::start(config, AgentOptions::default())?;
/// let mut events = agent.events();
/// while let Some(event) = events.next_event().await {
///     if let AgentEvent::IncomingEvent(e) = event {
///         agent.send_message(&e.chat_id, "Hello!", Recipients::All).await?;
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AgentClient {
    commands: mpsc::Sender<Command>,
    hub: Arc<Mutex<EventHub<AgentEvent>>>,
    organization_id: String,
    event_buffer: usize,
}

impl std::fmt::Debug for AgentClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentClient").field("organization_id", &self.organization_id).finish_non_exhaustive()
    }
}

impl AgentClient {
    /// Start an agent client on the current tokio runtime. With `auto_connect` (the
    /// default) it connects and logs in at once; calls made meanwhile are queued and sent
    /// after `ready`, in call order. An unsupported API version or monitoring level is an
    /// error naming the value.
    ///
    /// Events are delivered to the streams and callbacks registered at the time: to be sure
    /// to see the first `ready`, set `config.connection.auto_connect = false`, subscribe
    /// ([`AgentClient::events`] / [`AgentApi::on`]) and then call [`AgentApi::connect`].
    ///
    /// # Panics
    /// Outside a tokio runtime (like `tokio::spawn`).
    pub fn start(config: AgentConfig, options: AgentOptions) -> Result<AgentClient, Error> {
        let organization_id = config.connection.organization_id.clone();
        let mut config = config;
        let provider = options.credentials_provider.clone().map(|p| {
            config.renew_credentials = true;
            Arc::new(Renewer(p)) as Arc<dyn crate::IdentityProvider>
        });
        let session = AgentSession::new(config, std::time::Instant::now())?;
        // The session makes its token from its credentials; only a provider is ever asked.
        let (commands, hub, _token) = driver::spawn(session, Tokens::External, provider, &(&options).into());
        Ok(AgentClient { commands, hub, organization_id, event_buffer: options.event_buffer })
    }

    /// A new stream of every event from now on (any number of subscribers).
    pub fn events(&self) -> AgentEventStream {
        events::subscribe(&self.hub, self.event_buffer)
    }
}

impl Exec for AgentClient {
    type Out<T: Send + 'static> = BoxFuture<Result<T, Error>>;

    fn exec<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        what: &'static str,
        op: Op,
    ) -> Self::Out<T> {
        exec_on(&self.commands, &self.hub, what, op)
    }
}

impl livechat_core::hub::Listen for AgentClient {
    type Event = AgentEvent;
    fn hub(&self) -> &Arc<Mutex<EventHub<AgentEvent>>> {
        &self.hub
    }
}

impl AgentApi for AgentClient {}
