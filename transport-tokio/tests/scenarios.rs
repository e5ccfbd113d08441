//! The shared end-to-end scenarios on the tokio transport.

use std::sync::{Arc, LazyLock, Mutex};

use futures_util::StreamExt;
use livechat_core::Error;
use livechat_core::customer::{Exec, HistoryPage, SessionConfig};
use livechat_core::identity::Grant;
use livechat_tokio::{ClientOptions, CustomerClient, Identity, UploadSource};

static RT: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio runtime")
});

struct Tokio;

/// A customer or agent event stream, read with a deadline.
struct Source<E>(livechat_tokio::EventStream<E>);

impl<E: Send> livechat_scenarios::EventSource<E> for Source<E> {
    fn next_within(&mut self, limit: std::time::Duration) -> livechat_scenarios::Next<E> {
        match RT.block_on(async { tokio::time::timeout(limit, self.0.next_event()).await }) {
            Ok(Some(e)) => livechat_scenarios::Next::Event(e),
            Ok(None) => livechat_scenarios::Next::Ended,
            Err(_) => livechat_scenarios::Next::TimedOut,
        }
    }
}

impl livechat_scenarios::Transport for Tokio {
    type Client = CustomerClient;
    const NAME: &'static str = "tokio";

    fn start(config: SessionConfig, grant: Grant) -> CustomerClient {
        let _guard = RT.enter();
        CustomerClient::start(config, ClientOptions::new(Identity::Grant(grant)))
    }

    fn wait<V: Send + 'static>(out: <CustomerClient as Exec>::Out<V>) -> Result<V, Error> {
        RT.block_on(out)
    }

    fn history_pages(
        client: &CustomerClient,
        chat_id: &str,
    ) -> Box<dyn Iterator<Item = Result<HistoryPage, Error>>> {
        let mut pages = Box::pin(client.chat_history(chat_id));
        Box::new(std::iter::from_fn(move || RT.block_on(pages.next())))
    }

    fn upload(
        client: &CustomerClient,
        name: &str,
        data: Vec<u8>,
        cancel_at: Option<f64>,
    ) -> (Result<String, Error>, Vec<f64>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let cancel = Arc::new(Mutex::new(None::<Arc<std::sync::atomic::AtomicBool>>));
        let (s, c) = (seen.clone(), cancel.clone());
        let progress = Arc::new(move |p: f64| {
            s.lock().unwrap().push(p);
            if cancel_at.is_some_and(|at| p >= at)
                && let Some(flag) = c.lock().unwrap().as_ref()
            {
                flag.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        });
        let source = UploadSource::Bytes {
            name: name.into(),
            content_type: "application/octet-stream".into(),
            data: data.into(),
        };
        let upload = client.upload_file(source, Some(progress));
        *cancel.lock().unwrap() = Some(upload.canceler());
        let result = RT.block_on(upload);
        let seen = seen.lock().unwrap().clone();
        (result, seen)
    }

    fn token(client: &CustomerClient) -> Option<livechat_core::token::Token> {
        client.token()
    }

    fn events(client: &CustomerClient) -> Box<dyn livechat_scenarios::EventSource> {
        Box::new(Source(client.events()))
    }
}

livechat_scenarios::scenarios!(Tokio);

impl livechat_scenarios::identity::IdentityTransport for Tokio {
    type Agent = livechat_tokio::AgentClient;

    fn start_agent(
        config: livechat_core::agent::AgentConfig,
        provider: Option<livechat_scenarios::identity::Provider>,
    ) -> livechat_tokio::AgentClient {
        let _guard = RT.enter();
        let mut options = livechat_tokio::AgentOptions::default();
        if let Some(p) = provider {
            options = options.credentials_provider(move || {
                let r = p();
                async move { r }
            });
        }
        livechat_tokio::AgentClient::start(config, options).expect("valid agent config")
    }

    fn wait_agent<V: Send + 'static>(out: <livechat_tokio::AgentClient as Exec>::Out<V>) -> Result<V, Error> {
        RT.block_on(out)
    }

    fn cookie_jar(client: &CustomerClient) -> Option<livechat_core::identity::CookieJar> {
        client.cookie_jar()
    }
}

livechat_scenarios::identity_scenarios!(Tokio);

impl livechat_scenarios::agent::AgentTransport for Tokio {
    fn agent_events(
        agent: &livechat_tokio::AgentClient,
    ) -> Box<dyn livechat_scenarios::EventSource<livechat_core::agent::AgentEvent>> {
        Box::new(Source(agent.events()))
    }
}

livechat_scenarios::agent_scenarios!(Tokio);
