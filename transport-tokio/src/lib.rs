//! # livechat-tokio
//!
//! The LiveChat Customer Chat API client for tokio. The clients, their driver task and
//! their streams are [`livechat_async`]'s, written once for every runtime; this crate lends
//! them tokio: tasks, timers, the blocking pool and a WebSocket (tokio-tungstenite, rustls
//! with certificate verification). Every protocol decision is in `livechat-core`.
//!
//! ```no_run
//! use livechat_tokio::{CustomerClient, CustomerOptions, CustomerApi, Endpoint, Identity, CustomerConfig};
//! # async fn demo(token: livechat_tokio::Token) -> Result<(), livechat_tokio::Error> {
//! let config = CustomerConfig::new("my-organization-id", Endpoint::Region("dal".into()));
//! let client = CustomerClient::start(config, CustomerOptions::new(Identity::token(token)));
//! let chat = client.start_chat(Default::default()).await?;
//! client.send_message(&chat.chat_id, "Hello!").await?;
//! # Ok(()) }
//! ```
//!
//! The agent side (the Node.js chat SDK's capabilities) is [`AgentClient`], with its methods
//! in [`AgentApi`]; `examples/bot.rs` is an echo/FAQ bot. Frame logs (`debug_frames`) use
//! the `tracing` target `livechat_async`.

use std::future::Future;
use std::task::{Context, Poll};
use std::time::Instant;

pub use livechat_async::common::*;
use livechat_async::{Connect, Runtime};
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

/// A customer client on tokio. Cheap to clone; usable from many tasks.
///
/// [`CustomerClient::start`] panics outside a tokio runtime (like `tokio::spawn`).
pub type CustomerClient = livechat_async::CustomerClient<TokioRuntime>;

/// An agent client on tokio (the Node chat SDK's `ChatSDK`); every method comes from
/// [`AgentApi`].
///
/// ```no_run
/// use livechat_tokio::{AgentApi, AgentClient, AgentConfig, AgentCredentials, AgentEvent, AgentOptions, Recipients};
/// # async fn demo() -> Result<(), livechat_tokio::Error> {
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
///
/// [`AgentClient::start`] panics outside a tokio runtime (like `tokio::spawn`).
pub type AgentClient = livechat_async::AgentClient<TokioRuntime>;

/// The current tokio runtime, as [`livechat_async`] drives it.
#[derive(Clone, Copy, Debug, Default)]
pub struct TokioRuntime;

/// A tokio task that is aborted when dropped (tokio's own handle detaches instead).
pub struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// tokio's sleep, boxed: `Sleep` is `!Unpin`.
pub struct TokioTimer(std::pin::Pin<Box<tokio::time::Sleep>>);

impl livechat_async::Timer for TokioTimer {
    fn reset(&mut self, at: Instant) {
        self.0.as_mut().reset(tokio::time::Instant::from_std(at));
    }
    fn poll_expired(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        self.0.as_mut().poll(cx)
    }
}

impl Runtime for TokioRuntime {
    type WebSocket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;
    type Task = AbortOnDrop;
    type Timer = TokioTimer;

    fn spawn(&self, future: impl Future<Output = ()> + Send + 'static) -> AbortOnDrop {
        AbortOnDrop(tokio::spawn(future).abort_handle())
    }

    fn spawn_detached(&self, future: impl Future<Output = ()> + Send + 'static) {
        tokio::spawn(future);
    }

    fn timer(&self, at: Instant) -> TokioTimer {
        TokioTimer(Box::pin(tokio::time::sleep_until(tokio::time::Instant::from_std(at))))
    }

    fn connect(&self, to: Connect) -> BoxFuture<Result<Self::WebSocket, String>> {
        // `true`: TCP_NODELAY. Without a config of the caller's, tokio-tungstenite builds
        // one with the roots of this crate's `webpki-roots` / `native-roots` feature.
        let attempt = tokio_tungstenite::connect_async_tls_with_config(
            to.url,
            Some(to.config),
            true,
            to.tls.map(Connector::Rustls),
        );
        Box::pin(async move { attempt.await.map(|(ws, _)| ws).map_err(|e| e.to_string()) })
    }

    fn spawn_blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> BoxFuture<Result<T, String>> {
        let task = tokio::task::spawn_blocking(f);
        Box::pin(async move { task.await.map_err(|e| e.to_string()) })
    }
}
