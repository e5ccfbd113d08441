//! What an async runtime lends the driver (quinn's `Runtime` shape): tasks, a WebSocket, a
//! timer and a blocking pool. An implementation makes no protocol decision; deadlines,
//! cancellation, logging and the closing handshake are all in [`crate::driver`].

use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_util::{Sink, Stream};
use tungstenite::Message;
use tungstenite::protocol::WebSocketConfig;

/// A boxed future, as returned by every client method.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// What to open a WebSocket to ([`Runtime::connect`]).
pub struct Connect {
    /// `ws://` or `wss://` URL.
    pub url: String,
    /// The handshake's settings (read buffer, message size limits).
    pub config: WebSocketConfig,
    /// A TLS config of the caller's; `None`: the runtime's verified default roots.
    pub tls: Option<Arc<rustls::ClientConfig>>,
}

/// An async runtime the driver can run on (tokio, smol, …).
pub trait Runtime: Clone + Send + Sync + 'static {
    /// An open WebSocket: tungstenite messages in and out.
    type WebSocket: Stream<Item = Result<Message, tungstenite::Error>>
        + Sink<Message, Error = tungstenite::Error>
        + Send
        + Unpin
        + 'static;
    /// A spawned task; dropping it cancels the task (and drops what the task owns).
    type Task: Send + 'static;
    /// A timer made by [`Runtime::timer`].
    type Timer: Timer;

    /// Run `future` on the runtime until it ends or the returned task is dropped.
    fn spawn(&self, future: impl Future<Output = ()> + Send + 'static) -> Self::Task;

    /// Run `future` on the runtime to its end.
    fn spawn_detached(&self, future: impl Future<Output = ()> + Send + 'static);

    /// A timer that fires at `at`.
    fn timer(&self, at: Instant) -> Self::Timer;

    /// Open a WebSocket to `url`: TCP (with `TCP_NODELAY`), TLS for `wss://` (with `tls`, or
    /// verified default roots), the handshake with `config`. The error is the reason, as
    /// the session reports it. Unbounded: the driver puts the deadline on it.
    fn connect(&self, to: Connect) -> BoxFuture<Result<Self::WebSocket, String>>;

    /// Run blocking `f` off the executor (HTTP with ureq, reading upload files); `Err` if it
    /// could not finish (it panicked, the pool is gone).
    fn spawn_blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> BoxFuture<Result<T, String>>;
}

/// A resettable timer (quinn's `AsyncTimer`): one per driver, moved as the deadline moves.
pub trait Timer: Send + Unpin + 'static {
    /// Fire at `at` instead.
    fn reset(&mut self, at: Instant);
    /// Ready once the deadline has passed.
    fn poll_expired(&mut self, cx: &mut Context<'_>) -> Poll<()>;
}

/// `future`'s output, or `None` if `limit` passes first (dropping `future`).
pub(crate) async fn within<R: Runtime, T>(
    rt: &R,
    limit: Duration,
    future: impl Future<Output = T>,
) -> Option<T> {
    let mut future = pin!(future);
    // A limit too far to represent never passes.
    let Some(at) = Instant::now().checked_add(limit) else {
        return Some(future.await);
    };
    let mut timer = rt.timer(at);
    poll_fn(|cx| {
        if let Poll::Ready(v) = future.as_mut().poll(cx) {
            return Poll::Ready(Some(v));
        }
        timer.poll_expired(cx).map(|()| None)
    })
    .await
}
