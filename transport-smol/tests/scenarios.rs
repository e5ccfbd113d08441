//! The shared end-to-end scenarios on the smol transport (no tokio in this file: the
//! simulator runs on its own thread, `livechat_sim::SimThread`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use futures_lite::StreamExt;
use livechat_core::Error;
use livechat_core::customer::{Exec, HistoryPage, SessionConfig};
use livechat_core::identity::Grant;
use livechat_smol::{ClientOptions, CustomerClient, Identity, UploadSource};

struct Smol;

/// A customer or agent event stream, read with a deadline.
struct Source<E>(livechat_smol::EventStream<E>);

impl<E: Send> livechat_scenarios::EventSource<E> for Source<E> {
    fn next_within(&mut self, limit: std::time::Duration) -> livechat_scenarios::Next<E> {
        let next = futures_lite::future::or(async { Some(self.0.next_event().await) }, async {
            smol::Timer::after(limit).await;
            None
        });
        match smol::block_on(next) {
            Some(Some(e)) => livechat_scenarios::Next::Event(e),
            Some(None) => livechat_scenarios::Next::Ended,
            None => livechat_scenarios::Next::TimedOut,
        }
    }
}

impl livechat_scenarios::Transport for Smol {
    type Client = CustomerClient;
    const NAME: &'static str = "smol";

    fn start(config: SessionConfig, grant: Grant) -> CustomerClient {
        CustomerClient::start(config, ClientOptions::new(Identity::Grant(grant)))
    }

    fn wait<V: Send + 'static>(out: <CustomerClient as Exec>::Out<V>) -> Result<V, Error> {
        smol::block_on(out)
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
        let mut pages = Box::pin(client.chat_history(chat_id));
        Box::new(std::iter::from_fn(move || smol::block_on(pages.next())))
    }

    fn upload(
        client: &CustomerClient,
        name: &str,
        data: Vec<u8>,
        cancel_at: Option<f64>,
    ) -> (Result<String, Error>, Vec<f64>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let cancel = Arc::new(Mutex::new(None::<Arc<AtomicBool>>));
        let (s, c) = (seen.clone(), cancel.clone());
        let progress = Arc::new(move |p: f64| {
            s.lock().unwrap().push(p);
            if cancel_at.is_some_and(|at| p >= at)
                && let Some(flag) = c.lock().unwrap().as_ref()
            {
                flag.store(true, Ordering::Relaxed);
            }
        });
        let source = UploadSource::Bytes {
            name: name.into(),
            content_type: "application/octet-stream".into(),
            data: data.into(),
        };
        let upload = client.upload_file(source, Some(progress));
        *cancel.lock().unwrap() = Some(upload.canceler());
        let result = smol::block_on(upload);
        let seen = seen.lock().unwrap().clone();
        (result, seen)
    }
}

livechat_scenarios::scenarios!(Smol);

impl livechat_scenarios::identity::IdentityTransport for Smol {
    type Agent = livechat_smol::AgentClient;

    fn start_agent(
        config: livechat_core::agent::AgentConfig,
        provider: Option<livechat_scenarios::identity::Provider>,
    ) -> livechat_smol::AgentClient {
        let mut options = livechat_smol::AgentOptions::default();
        if let Some(p) = provider {
            options = options.credentials_provider(move || {
                let r = p();
                async move { r }
            });
        }
        livechat_smol::AgentClient::start(config, options).expect("valid agent config")
    }

    fn wait_agent<V: Send + 'static>(out: <livechat_smol::AgentClient as Exec>::Out<V>) -> Result<V, Error> {
        smol::block_on(out)
    }

    fn cookie_jar(client: &CustomerClient) -> Option<livechat_core::identity::CookieJar> {
        client.cookie_jar()
    }
}

livechat_scenarios::identity_scenarios!(Smol);

impl livechat_scenarios::agent::AgentTransport for Smol {
    fn agent_events(
        agent: &livechat_smol::AgentClient,
    ) -> Box<dyn livechat_scenarios::EventSource<livechat_core::agent::AgentEvent>> {
        Box::new(Source(agent.events()))
    }
}

livechat_scenarios::agent_scenarios!(Smol);
