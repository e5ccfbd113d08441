//! The agent client: the Node.js chat SDK's capabilities without an async runtime, driven
//! by the same driver thread as the customer client.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use livechat_core::Error;
use livechat_core::agent::{
    AgentApi, AgentCommand, AgentConfig, AgentEvent, AgentSession, Exec, ExpiringCredentials,
};
use livechat_core::client::{Op, Tokens};
use livechat_core::hub::EventHub;
use livechat_core::options::Provide;

use crate::driver::{self, DriverThread};
use crate::events::{self, EventReceiver};

/// A blocking receiver of agent events.
pub type AgentEventReceiver = EventReceiver<AgentEvent>;

/// Options of an [`AgentClient`]: the [`crate::TransportOptions`] and an optional
/// [`CredentialsProvider`] (builder `credentials_provider`; asked on a helper thread, so it
/// may block).
pub type AgentOptions =
    livechat_core::options::AgentOptions<dyn CredentialsProvider, crate::TransportOptions>;

/// The application's source of new agent credentials (an OAuth refresh, a secret store).
/// Any `Fn() -> Result<ExpiringCredentials, Error>` is one.
pub trait CredentialsProvider: Send + Sync + 'static {
    fn credentials(&self) -> Result<ExpiringCredentials, Error>;
}

impl<F> CredentialsProvider for F
where
    F: Fn() -> Result<ExpiringCredentials, Error> + Send + Sync + 'static,
{
    fn credentials(&self) -> Result<ExpiringCredentials, Error> {
        self()
    }
}

impl<F: CredentialsProvider> Provide<F> for dyn CredentialsProvider {
    fn provide(provider: F) -> Arc<Self> {
        Arc::new(provider)
    }
}

/// The provider as the driver's token source: credentials travel as the session's token.
struct Renewer(Arc<dyn CredentialsProvider>);

impl crate::IdentityProvider for Renewer {
    fn token(&self, _fresh: bool) -> Result<livechat_core::token::Token, Error> {
        self.0.credentials().map(|c| c.token(std::time::Instant::now()))
    }
}

/// An agent client (the Node chat SDK's `ChatSDK`). Cheap to clone; usable from many
/// threads. Every method comes from [`AgentApi`] and blocks until its result is in, at
/// most [`AgentClient::call_timeout`].
///
/// Dropping the last clone (or `destroy()`, or a session that destroys itself) ends the
/// driver thread: it closes the socket, and waiting calls fail with `SDK_DESTROYED`.
///
/// ```no_run
/// use livechat_blocking::{AgentApi, AgentClient, AgentOptions};
/// use livechat_core::agent::{AgentConfig, AgentCredentials, AgentEvent, Recipients};
/// # fn demo() -> Result<(), livechat_core::Error> {
/// let config = AgentConfig::new("my-organization-id", AgentCredentials::bearer("dal:…"));
/// let agent = AgentClient::start(config, AgentOptions::default())?;
/// for event in agent.events() {
///     if let AgentEvent::IncomingEvent(e) = event {
///         agent.send_message(&e.chat_id, "Hello!", Recipients::All)?;
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AgentClient {
    handle: Arc<driver::Handle<AgentCommand>>,
    hub: Arc<Mutex<EventHub<AgentEvent>>>,
    organization_id: String,
    event_buffer: usize,
    call_timeout: Duration,
}

impl std::fmt::Debug for AgentClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentClient")
            .field("organization_id", &self.organization_id)
            .field("call_timeout", &self.call_timeout)
            .finish_non_exhaustive()
    }
}

impl AgentClient {
    /// Start an agent client and its driver thread. With `auto_connect` (the default) it
    /// connects and logs in at once; calls made meanwhile are queued and sent after
    /// `ready`, in call order. An unsupported API version or monitoring level is an error
    /// naming the value.
    ///
    /// Events are delivered to the receivers and callbacks registered at the time: to be
    /// sure to see the first `ready`, set `config.connection.auto_connect = false`,
    /// subscribe ([`AgentClient::events`] / [`Listen::on`](livechat_core::hub::Listen::on)) and then call
    /// [`AgentApi::connect`].
    pub fn start(config: AgentConfig, options: AgentOptions) -> Result<AgentClient, Error> {
        let organization_id = config.connection.organization_id.clone();
        let call_timeout = options.transport.call_timeout(&config.connection);
        let mut config = config;
        let provider = options.credentials_provider.clone().map(|p| {
            config.renew_credentials = true;
            Arc::new(Renewer(p)) as Arc<dyn crate::IdentityProvider>
        });
        let session = AgentSession::new(config, std::time::Instant::now())?;
        // The session makes its token from its credentials; only a provider is ever asked.
        let spawned = driver::spawn(session, Tokens::External, provider, &options.common);
        Ok(AgentClient {
            handle: Arc::new(spawned.handle),
            hub: spawned.hub,
            organization_id,
            event_buffer: options.event_buffer,
            call_timeout,
        })
    }

    /// A new receiver of every event from now on (any number of subscribers).
    pub fn events(&self) -> AgentEventReceiver {
        events::subscribe(&self.hub, self.event_buffer)
    }

    /// This handle with another bound on how long its calls block (clones share the
    /// session; each keeps its own bound).
    pub fn with_call_timeout(&self, timeout: Duration) -> AgentClient {
        AgentClient { call_timeout: timeout, ..self.clone() }
    }

    /// The bound on how long a call blocks.
    pub fn call_timeout(&self) -> Duration {
        self.call_timeout
    }

    /// The driver thread (to wait for it to end after dropping the client).
    pub fn driver_thread(&self) -> DriverThread {
        self.handle.thread.clone()
    }
}

impl Exec for AgentClient {
    type Command = AgentCommand;
    type Out<T: Send + 'static> = Result<T, Error>;

    fn exec<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        what: &'static str,
        op: Op<AgentCommand>,
    ) -> Result<T, Error> {
        driver::exec_on(&self.handle, &self.hub, self.call_timeout, what, op)
    }
}

impl livechat_core::hub::Listen for AgentClient {
    type Event = AgentEvent;
    fn hub(&self) -> &Arc<Mutex<EventHub<AgentEvent>>> {
        &self.hub
    }
}

impl AgentApi for AgentClient {}
