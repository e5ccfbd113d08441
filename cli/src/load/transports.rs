//! The three transports under the load script: a [`LoadClient`] for each, and how its
//! sessions are run — tokio tasks on this process's runtime, tasks on smol's global
//! executor (`SMOL_THREADS` threads, as every smol program), or one plain thread per
//! session for the blocking client (which owns one driver thread itself).

use std::sync::Arc;
use std::time::Duration;

use livechat_core::Error;
use livechat_core::customer::actions::StartChat;
use livechat_core::customer::{CustomerConfig, Endpoint, Event};
use livechat_core::model::Chat;
use livechat_core::token::AccountsConfig;

use super::Shared;
use super::script::{LoadClient, SessionResult, session};

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Tokio,
    Smol,
    Blocking,
}

impl Transport {
    pub fn name(self) -> &'static str {
        match self {
            Transport::Tokio => "tokio",
            Transport::Smol => "smol",
            Transport::Blocking => "blocking",
        }
    }

    /// Runs every session to its end; one result per session, in order.
    pub async fn run(self, shared: Arc<Shared>) -> Vec<SessionResult> {
        match self {
            Transport::Tokio => run_tokio(shared).await,
            Transport::Smol => wait_off_runtime(move || run_smol(shared)).await,
            Transport::Blocking => wait_off_runtime(move || run_blocking(shared)).await,
        }
    }
}

fn config(shared: &Shared) -> CustomerConfig {
    CustomerConfig::new(super::ORG, Endpoint::url(shared.ws_url.clone()))
}

fn accounts(shared: &Shared) -> AccountsConfig {
    AccountsConfig::new(super::ORG, "load-client").with_base_url(shared.http_url.clone())
}

fn failed(what: &str) -> SessionResult {
    SessionResult { errors: vec![what.to_string()], ..Default::default() }
}

/// Session `i` on a started client, counted as finished at its end.
async fn run_one<C: LoadClient>(i: usize, client: C, shared: Arc<Shared>) -> SessionResult {
    let r = session(i, client, shared.messages, shared.clone()).await;
    shared.finished();
    r
}

/// Waits for a thread-bound run without holding a tokio worker.
async fn wait_off_runtime(f: impl FnOnce() -> Vec<SessionResult> + Send + 'static) -> Vec<SessionResult> {
    match tokio::task::spawn_blocking(f).await {
        Ok(v) => v,
        Err(e) => vec![failed(&format!("the load thread failed: {e}"))],
    }
}

// ---- tokio

struct TokioLoad {
    client: livechat_tokio::CustomerClient,
    events: livechat_tokio::EventStream,
}

impl LoadClient for TokioLoad {
    async fn next_event(&mut self, timeout: Duration) -> Option<Event> {
        tokio::time::timeout(timeout, self.events.next_event()).await.ok().flatten()
    }
    async fn start_chat(&self) -> Result<String, Error> {
        use livechat_tokio::CustomerApi;
        Ok(self.client.start_chat(StartChat::new()).await?.chat_id)
    }
    async fn send_message(&self, chat_id: &str, text: &str) -> Result<(), Error> {
        use livechat_tokio::CustomerApi;
        self.client.send_message(chat_id, text).await.map(drop)
    }
    async fn get_chat(&self, chat_id: &str) -> Result<Chat, Error> {
        use livechat_tokio::CustomerApi;
        self.client.get_chat(chat_id, None).await
    }
    async fn destroy(self) {
        use livechat_tokio::CustomerApi;
        let _ = self.client.destroy().await;
    }
}

impl TokioLoad {
    fn start(shared: &Shared) -> TokioLoad {
        use livechat_tokio::{CustomerClient, CustomerOptions, Identity};
        let mut options = CustomerOptions::new(Identity::cookie(accounts(shared), Default::default()));
        options.debug_frames = shared.debug;
        let client = CustomerClient::start(config(shared), options);
        let events = client.events();
        TokioLoad { client, events }
    }
}

async fn run_tokio(shared: Arc<Shared>) -> Vec<SessionResult> {
    let mut tasks = Vec::with_capacity(shared.sessions);
    for i in 0..shared.sessions {
        let shared = shared.clone();
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(shared.delay(i)).await;
            run_one(i, TokioLoad::start(&shared), shared).await
        }));
    }
    let mut results = Vec::with_capacity(tasks.len());
    for t in tasks {
        results.push(t.await.unwrap_or_else(|e| failed(&format!("session task failed: {e}"))));
    }
    results
}

// ---- smol

struct SmolLoad {
    client: livechat_smol::CustomerClient,
    events: livechat_smol::EventStream,
}

impl LoadClient for SmolLoad {
    async fn next_event(&mut self, timeout: Duration) -> Option<Event> {
        let events = &mut self.events;
        smol::future::or(events.next_event(), async {
            smol::Timer::after(timeout).await;
            None
        })
        .await
    }
    async fn start_chat(&self) -> Result<String, Error> {
        use livechat_smol::CustomerApi;
        Ok(self.client.start_chat(StartChat::new()).await?.chat_id)
    }
    async fn send_message(&self, chat_id: &str, text: &str) -> Result<(), Error> {
        use livechat_smol::CustomerApi;
        self.client.send_message(chat_id, text).await.map(drop)
    }
    async fn get_chat(&self, chat_id: &str) -> Result<Chat, Error> {
        use livechat_smol::CustomerApi;
        self.client.get_chat(chat_id, None).await
    }
    async fn destroy(self) {
        use livechat_smol::CustomerApi;
        let _ = self.client.destroy().await;
    }
}

impl SmolLoad {
    fn start(shared: &Shared) -> SmolLoad {
        use livechat_smol::{CustomerClient, CustomerOptions, Identity};
        let mut options = CustomerOptions::new(Identity::cookie(accounts(shared), Default::default()));
        options.debug_frames = shared.debug;
        let client = CustomerClient::start(config(shared), options);
        let events = client.events();
        SmolLoad { client, events }
    }
}

fn run_smol(shared: Arc<Shared>) -> Vec<SessionResult> {
    let tasks: Vec<_> = (0..shared.sessions)
        .map(|i| {
            let shared = shared.clone();
            smol::spawn(async move {
                smol::Timer::after(shared.delay(i)).await;
                run_one(i, SmolLoad::start(&shared), shared).await
            })
        })
        .collect();
    smol::block_on(async move {
        let mut results = Vec::with_capacity(tasks.len());
        for t in tasks {
            results.push(t.await);
        }
        results
    })
}

// ---- blocking

struct BlockingLoad {
    client: livechat_blocking::CustomerClient,
    events: livechat_blocking::EventReceiver,
}

impl LoadClient for BlockingLoad {
    async fn next_event(&mut self, timeout: Duration) -> Option<Event> {
        self.events.recv_timeout(timeout).ok()
    }
    async fn start_chat(&self) -> Result<String, Error> {
        use livechat_blocking::CustomerApi;
        Ok(self.client.start_chat(StartChat::new())?.chat_id)
    }
    async fn send_message(&self, chat_id: &str, text: &str) -> Result<(), Error> {
        use livechat_blocking::CustomerApi;
        self.client.send_message(chat_id, text).map(drop)
    }
    async fn get_chat(&self, chat_id: &str) -> Result<Chat, Error> {
        use livechat_blocking::CustomerApi;
        self.client.get_chat(chat_id, None)
    }
    async fn destroy(self) {
        use livechat_blocking::CustomerApi;
        let _ = self.client.destroy();
    }
}

/// A session thread only runs the script; its client's own driver thread does the I/O.
const SESSION_STACK: usize = 256 * 1024;

impl BlockingLoad {
    fn start(shared: &Shared) -> BlockingLoad {
        use livechat_blocking::{CustomerClient, CustomerOptions, Identity};
        let mut options = CustomerOptions::new(Identity::cookie(accounts(shared), Default::default()));
        options.debug_frames = shared.debug;
        let client = CustomerClient::start(config(shared), options);
        let events = client.events();
        BlockingLoad { client, events }
    }
}

fn run_blocking(shared: Arc<Shared>) -> Vec<SessionResult> {
    let threads: Vec<_> = (0..shared.sessions)
        .map(|i| {
            let shared = shared.clone();
            std::thread::Builder::new().name(format!("load-{i}")).stack_size(SESSION_STACK).spawn(move || {
                std::thread::sleep(shared.delay(i));
                smol::future::block_on(run_one(i, BlockingLoad::start(&shared), shared))
            })
        })
        .collect();
    threads
        .into_iter()
        .map(|t| match t {
            Ok(t) => t.join().unwrap_or_else(|_| failed("session thread panicked")),
            Err(e) => failed(&format!("cannot start a session thread: {e}")),
        })
        .collect()
}
