//! The parts of a transport's adapter ([`Transport`](crate::Transport) and friends) that
//! every transport would otherwise write again: the upload's progress and cancel plumbing,
//! an async stream read from blocking code, and, for the async transports (one API over
//! different runtimes), the whole adapter: [`async_transport!`](crate::async_transport).

use std::future::Future;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_lite::{Stream, StreamExt, future};
use livechat_core::Error;
use livechat_http::{Progress, UploadSource};

use crate::{EventSource, Next};

/// How an async transport's futures are waited for from the scenarios' blocking code.
pub trait BlockOn: 'static {
    /// Run `future` to its end.
    fn block_on<F: Future>(future: F) -> F::Output;
    /// Run `f` in the runtime's context (clients are started in it); by default as it is.
    fn enter<R>(f: impl FnOnce() -> R) -> R {
        f()
    }
}

/// `future`'s output, or `None` once `limit` passed. async-io's timer runs under any
/// executor, so one deadline serves every runtime.
pub async fn within<T>(limit: Duration, future: impl Future<Output = T>) -> Option<T> {
    future::or(async { Some(future.await) }, async {
        async_io::Timer::after(limit).await;
        None
    })
    .await
}

/// The next item of `events` matching `f`, within 10 s; panics otherwise (for async tests).
pub async fn next_matching<E>(events: &mut (impl Stream<Item = E> + Unpin), f: impl Fn(&E) -> bool) -> E {
    let find = async {
        loop {
            let e = events.next().await.expect("event stream ended");
            if f(&e) {
                return e;
            }
        }
    };
    within(Duration::from_secs(10), find).await.expect("timed out waiting for an event")
}

/// An async event stream (customer or agent events) read with a deadline through `B`.
pub struct StreamEvents<S, B>(S, PhantomData<fn() -> B>);

impl<S, B> StreamEvents<S, B> {
    pub fn new(stream: S) -> Self {
        StreamEvents(stream, PhantomData)
    }
}

impl<E, S, B> EventSource<E> for StreamEvents<S, B>
where
    S: Stream<Item = E> + Unpin + Send,
    B: BlockOn,
{
    fn next_within(&mut self, limit: Duration) -> Next<E> {
        // Dropping a pending `next()` loses nothing: an item is taken only when it is returned.
        match B::block_on(within(limit, self.0.next())) {
            Some(Some(e)) => Next::Event(e),
            Some(None) => Next::Ended,
            None => Next::TimedOut,
        }
    }
}

/// A stream as an iterator, one item per `next()` waited for through `B`.
pub fn blocking_iter<B: BlockOn, S: Stream + 'static>(stream: S) -> Box<dyn Iterator<Item = S::Item>> {
    let mut stream = Box::pin(stream);
    Box::new(std::iter::from_fn(move || B::block_on(stream.next())))
}

/// Upload `data` as `name` with `start` (a client's `upload_file`), cancelling through
/// `canceler` once progress reaches `cancel_at`; the result (from `wait`) and every progress
/// value seen.
pub fn upload_bytes<U>(
    name: &str,
    data: Vec<u8>,
    cancel_at: Option<f64>,
    start: impl FnOnce(UploadSource, Progress) -> U,
    canceler: impl FnOnce(&U) -> Arc<AtomicBool>,
    wait: impl FnOnce(U) -> Result<String, Error>,
) -> (Result<String, Error>, Vec<f64>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    // Set right after the start: progress reported before that cannot cancel yet.
    let cancel = Arc::new(Mutex::new(None::<Arc<AtomicBool>>));
    let (s, c) = (seen.clone(), cancel.clone());
    let progress: Progress = Arc::new(move |p: f64| {
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
    let upload = start(source, progress);
    *cancel.lock().unwrap() = Some(canceler(&upload));
    let result = wait(upload);
    let seen = seen.lock().unwrap().clone();
    (result, seen)
}

/// The whole adapter of an async transport crate `$krate` (`livechat_tokio`,
/// `livechat_smol`: the same API over different runtimes) for `$t`, a [`BlockOn`], and every
/// scenario on it: customer, identity and agent.
#[macro_export]
macro_rules! async_transport {
    ($t:ident, $name:literal, $krate:ident) => {
        impl $crate::Transport for $t {
            type Client = $krate::CustomerClient;
            const NAME: &'static str = $name;

            fn start(
                config: $crate::__core::customer::CustomerConfig,
                grant: $crate::__core::identity::Grant,
            ) -> $krate::CustomerClient {
                let options = $krate::CustomerOptions::new($krate::Identity::Grant(grant));
                <$t as $crate::adapter::BlockOn>::enter(|| $krate::CustomerClient::start(config, options))
            }

            fn wait<V: Send + 'static>(
                out: <$krate::CustomerClient as $crate::__core::customer::Exec>::Out<V>,
            ) -> Result<V, $crate::__core::Error> {
                <$t as $crate::adapter::BlockOn>::block_on(out)
            }

            fn history_pages(
                client: &$krate::CustomerClient,
                chat_id: &str,
            ) -> Box<dyn Iterator<Item = Result<$crate::__core::customer::HistoryPage, $crate::__core::Error>>>
            {
                $crate::adapter::blocking_iter::<$t, _>(client.chat_history(chat_id))
            }

            fn upload(
                client: &$krate::CustomerClient,
                name: &str,
                data: Vec<u8>,
                cancel_at: Option<f64>,
            ) -> (Result<String, $crate::__core::Error>, Vec<f64>) {
                $crate::adapter::upload_bytes(
                    name,
                    data,
                    cancel_at,
                    |source, progress| client.upload_file(source, Some(progress)),
                    |upload| upload.canceler(),
                    <$t as $crate::adapter::BlockOn>::block_on,
                )
            }

            fn token(client: &$krate::CustomerClient) -> Option<$crate::__core::token::Token> {
                client.token()
            }

            fn events(client: &$krate::CustomerClient) -> Box<dyn $crate::EventSource> {
                Box::new($crate::adapter::StreamEvents::<_, $t>::new(client.events()))
            }
        }

        impl $crate::identity::IdentityTransport for $t {
            type Agent = $krate::AgentClient;

            fn start_agent(
                config: $crate::__core::agent::AgentConfig,
                provider: Option<$crate::identity::Provider>,
            ) -> $krate::AgentClient {
                let mut options = $krate::AgentOptions::default();
                if let Some(p) = provider {
                    options = options.credentials_provider(move || {
                        let r = p();
                        async move { r }
                    });
                }
                <$t as $crate::adapter::BlockOn>::enter(|| {
                    $krate::AgentClient::start(config, options).expect("valid agent config")
                })
            }

            fn wait_agent<V: Send + 'static>(
                out: <$krate::AgentClient as $crate::__core::customer::Exec>::Out<V>,
            ) -> Result<V, $crate::__core::Error> {
                <$t as $crate::adapter::BlockOn>::block_on(out)
            }

            fn cookie_jar(client: &$krate::CustomerClient) -> Option<$crate::__core::identity::CookieJar> {
                client.cookie_jar()
            }
        }

        impl $crate::agent::AgentTransport for $t {
            fn agent_events(
                agent: &$krate::AgentClient,
            ) -> Box<dyn $crate::EventSource<$crate::__core::agent::AgentEvent>> {
                Box::new($crate::adapter::StreamEvents::<_, $t>::new(agent.events()))
            }
        }

        $crate::scenarios!($t);
        $crate::identity_scenarios!($t);
        $crate::agent_scenarios!($t);
    };
}
