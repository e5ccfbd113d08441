//! The agent client: the Node.js chat SDK's capabilities, driven by the same driver task as
//! the customer client.

use std::sync::{Arc, Mutex};

use livechat_core::Error;
use livechat_core::agent::{AgentApi, AgentCommand, AgentConfig, AgentEvent, AgentSession, Exec};
use livechat_core::client::{Op, Tokens};
use livechat_core::hub::{EventHub, Listen};

use crate::customer_client::exec_on;
use crate::driver::{self, Commands};
use crate::events::{self, EventStream};
use crate::options::{AgentOptions, IdentityProvider, Renewer};
use crate::runtime::{BoxFuture, Runtime};

/// A stream of agent events.
pub type AgentEventStream = EventStream<AgentEvent>;

/// An agent client (the Node chat SDK's `ChatSDK`) on runtime `R`. Cheap to clone; usable
/// from many tasks and threads. Every method comes from [`AgentApi`].
#[derive(Clone)]
pub struct AgentClient<R: Runtime> {
    commands: Commands<AgentCommand>,
    hub: Arc<Mutex<EventHub<AgentEvent>>>,
    organization_id: String,
    event_buffer: usize,
    _runtime: std::marker::PhantomData<fn() -> R>,
}

impl<R: Runtime> std::fmt::Debug for AgentClient<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentClient").field("organization_id", &self.organization_id).finish_non_exhaustive()
    }
}

impl<R: Runtime + Default> AgentClient<R> {
    /// Start an agent client: its driver task is spawned on the runtime. With
    /// `auto_connect` (the default) it connects and logs in at once; calls made meanwhile
    /// are queued and sent after `ready`, in call order. An unsupported API version or
    /// monitoring level is an error naming the value.
    ///
    /// Events are delivered to the streams and callbacks registered at the time: to be sure
    /// to see the first `ready`, set `config.connection.auto_connect = false`, subscribe
    /// ([`AgentClient::events`] / [`Listen::on`](livechat_core::hub::Listen::on)) and then call [`AgentApi::connect`].
    /// The task ends when every handle is dropped or the session is destroyed.
    pub fn start(config: AgentConfig, options: AgentOptions) -> Result<AgentClient<R>, Error> {
        AgentClient::start_on(R::default(), config, options)
    }
}

impl<R: Runtime> AgentClient<R> {
    /// [`AgentClient::start`] on a runtime value of your own.
    pub fn start_on(runtime: R, config: AgentConfig, options: AgentOptions) -> Result<AgentClient<R>, Error> {
        let organization_id = config.connection.organization_id.clone();
        let mut config = config;
        let provider = options.credentials_provider.clone().map(|p| {
            config.renew_credentials = true;
            Arc::new(Renewer(p)) as Arc<dyn IdentityProvider>
        });
        let session = AgentSession::new(config, std::time::Instant::now())?;
        // The session makes its token from its credentials; only a provider is ever asked.
        let (commands, hub, _token) =
            driver::spawn(&runtime, session, Tokens::External, provider, options.transport.clone());
        Ok(AgentClient {
            commands,
            hub,
            organization_id,
            event_buffer: options.event_buffer,
            _runtime: std::marker::PhantomData,
        })
    }

    /// A new stream of every event from now on (any number of subscribers).
    pub fn events(&self) -> AgentEventStream {
        events::subscribe(&self.hub, self.event_buffer)
    }
}

impl<R: Runtime> Exec for AgentClient<R> {
    type Command = AgentCommand;
    type Out<T: Send + 'static> = BoxFuture<Result<T, Error>>;

    fn exec<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        what: &'static str,
        op: Op<AgentCommand>,
    ) -> Self::Out<T> {
        exec_on(&self.commands, &self.hub, what, op)
    }
}

impl<R: Runtime> Listen for AgentClient<R> {
    type Event = AgentEvent;
    fn hub(&self) -> &Arc<Mutex<EventHub<AgentEvent>>> {
        &self.hub
    }
}

impl<R: Runtime> AgentApi for AgentClient<R> {}
