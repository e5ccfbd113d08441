//! # livechat-smol
//!
//! The LiveChat Customer Chat API client for smol. The clients, their driver task and their
//! streams are [`livechat_async`]'s, written once for every runtime; this crate lends them
//! smol: tasks on smol's global executor, `async-io` timers, smol's blocking pool and a
//! WebSocket (async-tungstenite over async-net, rustls with the ring provider and
//! certificate verification). Every protocol decision is in `livechat-core`.
//!
//! Nothing here depends on tokio, and the futures this crate returns need no particular
//! executor: `smol::block_on`, async-std's executor or any other can drive them, because
//! the socket and timers live on smol's global executor and `async-io`'s reactor.
//!
//! ```no_run
//! use livechat_smol::{CustomerClient, CustomerOptions, CustomerApi, Endpoint, Identity, CustomerConfig};
//! # async fn demo(token: livechat_smol::Token) -> Result<(), livechat_smol::Error> {
//! let config = CustomerConfig::new("my-organization-id", Endpoint::Region("dal".into()));
//! let client = CustomerClient::start(config, CustomerOptions::new(Identity::token(token)));
//! let chat = client.start_chat(Default::default()).await?;
//! client.send_message(&chat.chat_id, "Hello!").await?;
//! # Ok(()) }
//! ```
//!
//! The agent side (the Node.js chat SDK's capabilities) is [`AgentClient`], with its methods
//! in [`AgentApi`]; it runs on the same driver task as the customer client. HTTP (token
//! grants, uploads) is performed by `livechat-http` (ureq, blocking) on smol's blocking
//! thread pool, never on the executor. Frame logs (`debug_frames`) use the `tracing` target
//! `livechat_async`.

mod tls;

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use async_tungstenite::WebSocketStream;
use async_tungstenite::smol::ConnectStream;
use async_tungstenite::tungstenite::client::IntoClientRequest;
use async_tungstenite::tungstenite::protocol::WebSocketConfig;
pub use livechat_async::common::*;
use livechat_async::{Connect, Runtime};

/// A customer client on smol. Cheap to clone; usable from many tasks and threads. Its
/// driver task goes on smol's global executor, so it starts from any thread, inside or
/// outside any executor.
pub type CustomerClient = livechat_async::CustomerClient<SmolRuntime>;

/// An agent client on smol (the Node chat SDK's `ChatSDK`); every method comes from
/// [`AgentApi`].
///
/// ```no_run
/// use livechat_smol::{AgentApi, AgentClient, AgentConfig, AgentCredentials, AgentEvent, AgentOptions, Recipients};
/// # async fn demo() -> Result<(), livechat_smol::Error> {
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
pub type AgentClient = livechat_async::AgentClient<SmolRuntime>;

/// smol's global executor and `async-io`'s reactor, as [`livechat_async`] drives them.
#[derive(Clone, Copy, Debug, Default)]
pub struct SmolRuntime;

/// `async-io`'s timer.
pub struct SmolTimer(async_io::Timer);

impl livechat_async::Timer for SmolTimer {
    fn reset(&mut self, at: Instant) {
        self.0.set_at(at);
    }
    fn poll_expired(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        std::pin::Pin::new(&mut self.0).poll(cx).map(|_| ())
    }
}

impl Runtime for SmolRuntime {
    type WebSocket = WebSocketStream<ConnectStream>;
    /// Dropping a smol task cancels it.
    type Task = smol::Task<()>;
    type Timer = SmolTimer;

    fn spawn(&self, future: impl Future<Output = ()> + Send + 'static) -> smol::Task<()> {
        smol::spawn(future)
    }

    fn spawn_detached(&self, future: impl Future<Output = ()> + Send + 'static) {
        smol::spawn(future).detach();
    }

    fn timer(&self, at: Instant) -> SmolTimer {
        SmolTimer(async_io::Timer::at(at))
    }

    fn connect(&self, to: Connect) -> BoxFuture<Result<Self::WebSocket, String>> {
        Box::pin(connect(to.url, to.tls, to.config))
    }

    fn spawn_blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> BoxFuture<Result<T, String>> {
        Box::pin(async move { Ok(smol::unblock(f).await) })
    }
}

/// Open a WebSocket (TCP with `TCP_NODELAY`, TLS for `wss://`, handshake).
async fn connect(
    url: String,
    tls: Option<Arc<rustls::ClientConfig>>,
    config: WebSocketConfig,
) -> Result<WebSocketStream<ConnectStream>, String> {
    let request = url.into_client_request().map_err(|e| e.to_string())?;
    let secure = request.uri().scheme_str().is_some_and(|s| s.eq_ignore_ascii_case("wss"));
    let host = request.uri().host().ok_or("no host in the URL")?;
    // `[::1]` in a URL, `::1` to connect to.
    let host = host.trim_start_matches('[').trim_end_matches(']').to_string();
    let port = request.uri().port_u16().unwrap_or(if secure { 443 } else { 80 });
    let connector = if secure {
        let config = match tls {
            Some(c) => c,
            // Loading the system store reads files: off the executor.
            None => smol::unblock(tls::default_config).await?,
        };
        Some(futures_rustls::TlsConnector::from(config))
    } else {
        None
    };
    let socket = smol::net::TcpStream::connect((host.as_str(), port)).await.map_err(|e| e.to_string())?;
    // Small frames (a response, then its push) must not wait for Nagle and delayed ACKs.
    socket.set_nodelay(true).map_err(|e| e.to_string())?;
    let (ws, _) = async_tungstenite::smol::client_async_tls_with_connector_and_config(
        request,
        socket,
        connector,
        Some(config),
    )
    .await
    .map_err(|e| e.to_string())?;
    Ok(ws)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wss_to_a_server_that_is_not_tls_fails_without_panicking() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            use std::io::Write;
            if let Ok((mut s, _)) = listener.accept() {
                let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
            }
        });
        let result =
            smol::block_on(connect(format!("wss://127.0.0.1:{port}/"), None, WebSocketConfig::default()));
        assert!(result.is_err());
        server.join().unwrap();
    }

    #[test]
    fn a_url_without_a_host_is_an_error_not_a_panic() {
        assert!(smol::block_on(connect("ws:///path".into(), None, WebSocketConfig::default())).is_err());
    }
}
