//! The shared end-to-end scenarios on the blocking transport.

use livechat_blocking::{CustomerClient, CustomerOptions, Identity};
use livechat_core::Error;
use livechat_core::customer::{CustomerConfig, Exec, HistoryPage};
use livechat_core::identity::Grant;

struct Blocking;

/// A customer or agent event receiver, read with a deadline.
struct Source<E>(livechat_blocking::EventReceiver<E>);

impl<E: Send> livechat_scenarios::EventSource<E> for Source<E> {
    fn next_within(&mut self, limit: std::time::Duration) -> livechat_scenarios::Next<E> {
        match self.0.recv_timeout(limit) {
            Ok(e) => livechat_scenarios::Next::Event(e),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => livechat_scenarios::Next::Ended,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => livechat_scenarios::Next::TimedOut,
        }
    }
}

impl livechat_scenarios::Transport for Blocking {
    type Client = CustomerClient;
    const NAME: &'static str = "blocking";

    fn start(config: CustomerConfig, grant: Grant) -> CustomerClient {
        CustomerClient::start(config, CustomerOptions::new(Identity::Grant(grant)))
    }

    /// Calls already return their result.
    fn wait<V: Send + 'static>(out: <CustomerClient as Exec>::Out<V>) -> Result<V, Error> {
        out
    }

    fn token(client: &CustomerClient) -> Option<livechat_core::token::Token> {
        client.token()
    }

    fn events(client: &CustomerClient) -> Box<dyn livechat_scenarios::EventSource> {
        Box::new(Source(client.events()))
    }

    fn history_pages(
        client: &CustomerClient,
        chat_id: &str,
    ) -> Box<dyn Iterator<Item = Result<HistoryPage, Error>>> {
        Box::new(client.chat_history(chat_id))
    }

    fn upload(
        client: &CustomerClient,
        name: &str,
        data: Vec<u8>,
        cancel_at: Option<f64>,
    ) -> (Result<String, Error>, Vec<f64>) {
        livechat_scenarios::adapter::upload_bytes(
            name,
            data,
            cancel_at,
            |source, progress| client.upload_file(source, Some(progress)),
            |upload| upload.canceler(),
            |upload| upload.wait(),
        )
    }
}

livechat_scenarios::scenarios!(Blocking);

impl livechat_scenarios::identity::IdentityTransport for Blocking {
    type Agent = livechat_blocking::AgentClient;

    fn start_agent(
        config: livechat_core::agent::AgentConfig,
        provider: Option<livechat_scenarios::identity::Provider>,
    ) -> livechat_blocking::AgentClient {
        let mut options = livechat_blocking::AgentOptions::default();
        if let Some(p) = provider {
            options = options.credentials_provider(move || p());
        }
        livechat_blocking::AgentClient::start(config, options).expect("valid agent config")
    }

    fn wait_agent<V: Send + 'static>(
        out: <livechat_blocking::AgentClient as Exec>::Out<V>,
    ) -> Result<V, Error> {
        out
    }

    fn cookie_jar(client: &CustomerClient) -> Option<livechat_core::identity::CookieJar> {
        client.cookie_jar()
    }
}

livechat_scenarios::identity_scenarios!(Blocking);

impl livechat_scenarios::agent::AgentTransport for Blocking {
    fn agent_events(
        agent: &livechat_blocking::AgentClient,
    ) -> Box<dyn livechat_scenarios::EventSource<livechat_core::agent::AgentEvent>> {
        Box::new(Source(agent.events()))
    }
}

livechat_scenarios::agent_scenarios!(Blocking);
