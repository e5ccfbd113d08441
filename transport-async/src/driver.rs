//! The driver task, written once for every async runtime: owns the socket and the core
//! [`ClientCore`] (quinn's `ConnectionDriver` over its `Runtime`).

use std::collections::HashMap;
use std::future::poll_fn;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::{Duration, Instant};

use futures_channel::mpsc;
use futures_util::{SinkExt, Stream, StreamExt};
use livechat_core::client::{ClientCore, CommandOf, IoAction, Op, Ops, SessionLinks, Tokens, Waiter};
use livechat_core::engine::{ConnectionId, Engine, Side};
use livechat_core::http::HttpResponse;
use livechat_core::hub::{EventHub, Kinded};
use livechat_core::token::Token;
use livechat_core::wire::{self, redact};
use livechat_core::{Error, ErrorCode};
use tungstenite::Message;
use tungstenite::protocol::WebSocketConfig;

use crate::IdentityProvider;
use crate::runtime::{Runtime, Timer, within};

/// What the driver task needs of a client's options (customer or agent): the transport
/// fields both carry.
pub(crate) type DriverOptions = crate::options::TransportOptions;

pub(crate) enum Command<C> {
    Op(Op<C>, Waiter),
}

/// The calls' way to the driver task, holding at most `cap` waiting calls.
///
/// futures-channel's unbounded queue allocates each message when sent and frees it when
/// taken, so an idle session holds no slots: async-channel's queues allocated blocks of 31
/// slots (3.2–4.2 KB each, three per session, ~11 KB of a live session's heap measured with
/// heaptrack at 1,000 sessions), and its bounded one every slot up front. The bound is
/// counted here. With several threads calling at once it can be passed by at most one call
/// per such thread.
pub(crate) struct Commands<C> {
    tx: mpsc::UnboundedSender<Command<C>>,
    queued: Arc<AtomicUsize>,
    cap: usize,
}

// Not derived: a derive would ask `C: Clone`, and the channel is shared whatever `C` is.
impl<C> Clone for Commands<C> {
    fn clone(&self) -> Self {
        Commands { tx: self.tx.clone(), queued: self.queued.clone(), cap: self.cap }
    }
}

/// Why a call could not be queued.
pub(crate) enum Refused {
    /// `cap` calls are waiting already.
    Full,
    /// The driver task has ended.
    Closed,
}

impl<C> Commands<C> {
    pub(crate) fn try_send(&self, cmd: Command<C>) -> Result<(), Refused> {
        // A driver that has ended says so, whatever it left queued.
        if self.tx.is_closed() {
            return Err(Refused::Closed);
        }
        if self.queued.load(Ordering::Acquire) >= self.cap {
            return Err(Refused::Full);
        }
        self.queued.fetch_add(1, Ordering::AcqRel);
        self.tx.unbounded_send(cmd).map_err(|_| {
            self.queued.fetch_sub(1, Ordering::AcqRel);
            Refused::Closed
        })
    }
}

/// The driver's end of [`Commands`].
struct CommandQueue<C> {
    rx: mpsc::UnboundedReceiver<Command<C>>,
    queued: Arc<AtomicUsize>,
}

impl<C> CommandQueue<C> {
    fn poll_next(&mut self, cx: &mut std::task::Context<'_>) -> Poll<Option<Command<C>>> {
        let got = self.rx.poll_next_unpin(cx);
        if let Poll::Ready(Some(_)) = got {
            self.queued.fetch_sub(1, Ordering::AcqRel);
        }
        got
    }
}

fn command_queue<C>(cap: usize) -> (Commands<C>, CommandQueue<C>) {
    let (tx, rx) = mpsc::unbounded();
    let queued = Arc::new(AtomicUsize::new(0));
    (Commands { tx, queued: queued.clone(), cap }, CommandQueue { rx, queued })
}

/// Results of the side tasks (connecting, HTTP, the identity provider).
enum Internal<W> {
    /// Boxed: a WebSocket is over a KiB (tokio's 1,392 bytes), and the queue's first node
    /// (allocated with the queue, kept while it lives) is as large as its largest message.
    Opened(ConnectionId, Box<W>),
    OpenFailed(ConnectionId, String),
    Http(u64, Result<HttpResponse, Error>),
    Token(Result<Token, Error>),
}

/// Why the driver woke up.
enum Wake<W, C> {
    Command(Option<Command<C>>),
    Internal(Internal<W>),
    Socket(ConnectionId, Option<Result<Message, String>>),
    Timeout,
}

pub(crate) type Shared<C, E> = (Commands<C>, Arc<Mutex<EventHub<E>>>, SessionLinks);

/// Spawn the driver task for `session` (customer or agent) on `rt`.
pub(crate) fn spawn<R, S>(
    rt: &R,
    session: Engine<S>,
    tokens: Tokens,
    provider: Option<Arc<dyn IdentityProvider>>,
    options: DriverOptions,
) -> Shared<CommandOf<S>, S::Event>
where
    R: Runtime,
    S: Side + Send + 'static,
    S::Event: Kinded + Send + 'static,
    Engine<S>: Ops,
    CommandOf<S>: Send + 'static,
{
    // rustls needs a process-wide crypto provider for configs built without one (ureq's,
    // a caller's); ring builds with `cc` only.
    let _ = rustls::crypto::ring::default_provider().install_default();
    // Every connect (TCP, TLS, WebSocket handshake) is bounded by the session's login timeout.
    let connect_timeout = session.config().login_timeout;
    let driver = ClientCore::new(session, tokens, Instant::now());
    let shared = driver.hub();
    let links = driver.links();
    let (commands, queue) = command_queue(options.command_buffer.max(1));
    let task = Task { rt: rt.clone(), options, connect_timeout, provider };
    rt.spawn_detached(task.run(Box::new(driver), queue));
    (commands, shared, links)
}

struct Socket<W> {
    conn: ConnectionId,
    /// Boxed as it came from the connect task: kept out of the driver task's state.
    ws: Box<W>,
}

/// What the driver task holds besides the session.
struct Task<R> {
    rt: R,
    options: DriverOptions,
    connect_timeout: Duration,
    provider: Option<Arc<dyn IdentityProvider>>,
}

/// Write one frame within `limit`; the reason the socket is dead otherwise.
async fn write<R: Runtime>(
    rt: &R,
    ws: &mut R::WebSocket,
    text: String,
    limit: Duration,
) -> Result<(), String> {
    match within(rt, limit, ws.send(Message::text(text))).await {
        Some(Ok(())) => Ok(()),
        Some(Err(e)) => Err(format!("send failed: {e}")),
        None => Err(wire::write_timed_out(limit)),
    }
}

/// The closing handshake, bounded by [`wire::CLOSE_TIMEOUT`]: our Close, or after the
/// peer's Close the reply tungstenite queued (sending a new Close then is refused as
/// `SendAfterClosing`, so the reply would never go out); then read until the peer ends the
/// socket, as the blocking transport does.
async fn close<R: Runtime>(rt: &R, ws: &mut R::WebSocket) {
    let handshake = async {
        if ws.close().await.is_ok() {
            while let Some(Ok(_)) = ws.next().await {}
        }
    };
    let _ = within(rt, wire::CLOSE_TIMEOUT, handshake).await;
}

impl<R: Runtime> Task<R> {
    /// Close a socket in the background.
    fn close_later(&self, mut ws: R::WebSocket) {
        let rt = self.rt.clone();
        self.rt.spawn_detached(async move { close(&rt, &mut ws).await });
    }

    /// Start connecting `conn`; dropping the returned task cancels the attempt and drops
    /// its half-open socket, which closes it.
    fn open(
        &self,
        conn: ConnectionId,
        url: String,
        tx: mpsc::UnboundedSender<Internal<R::WebSocket>>,
    ) -> R::Task {
        let rt = self.rt.clone();
        let tls = self.options.tls.clone();
        let config = WebSocketConfig::default()
            .read_buffer_size(wire::SOCKET_READ_BUFFER)
            .max_message_size(Some(self.options.max_message_size))
            .max_frame_size(Some(self.options.max_message_size));
        let limit = self.connect_timeout;
        tracing::debug!(%url, conn = conn.0, "connecting");
        self.rt.spawn(async move {
            let msg = match within(&rt, limit, rt.connect(crate::runtime::Connect { url, config, tls })).await
            {
                Some(Ok(ws)) => Internal::Opened(conn, Box::new(ws)),
                Some(Err(e)) => Internal::OpenFailed(conn, e),
                None => Internal::OpenFailed(conn, wire::connect_timed_out(limit)),
            };
            let _ = tx.unbounded_send(msg);
        })
    }

    // The core comes boxed: an async fn keeps its arguments twice in its state (once as
    // passed, once as locals), and the state is the spawned task's allocation.
    async fn run<S>(self, mut driver: Box<ClientCore<S>>, mut commands: CommandQueue<CommandOf<S>>)
    where
        S: Side + Send + 'static,
        S::Event: Kinded + Send + 'static,
        Engine<S>: Ops,
        CommandOf<S>: Send + 'static,
    {
        let rt = &self.rt;
        let options = &self.options;
        let (internal_tx, mut internal) = mpsc::unbounded::<Internal<R::WebSocket>>();
        let mut socket: Option<Socket<R::WebSocket>> = None;
        // Connects still wanted by the session. Dropping a task cancels it and closes its
        // socket: done when the session gives up on it (a `Close` for it, a newer `Open`, the
        // end of this task). A connect that finishes for a connection not in here is closed,
        // never mistaken for the current socket.
        let mut connecting: HashMap<ConnectionId, R::Task> = HashMap::new();
        // One timer, moved only when the core's deadline changes (quinn's `drive_timer`).
        let mut timer: Option<R::Timer> = None;
        let mut armed: Option<Instant> = None;
        // Which source is polled first, rotated so none starves the others.
        let mut turn = 0usize;
        loop {
            while let Some(action) = driver.poll_io() {
                match action {
                    IoAction::Open { conn, url } => {
                        // A newer connection replaces any attempt still running (dropped: cancelled).
                        connecting.clear();
                        connecting.insert(conn, self.open(conn, url, internal_tx.clone()));
                    }
                    IoAction::Send { conn, text } => {
                        if options.debug_frames {
                            tracing::debug!(conn = conn.0, frame = %redact(&text), "send");
                        }
                        let failed = match socket.as_mut() {
                            Some(s) if s.conn == conn => {
                                write(rt, &mut s.ws, text, options.write_timeout).await.err()
                            }
                            _ => None,
                        };
                        if let Some(reason) = failed {
                            // Dropped, not closed: a peer that does not read gets no closing handshake.
                            socket = None;
                            tracing::debug!(conn = conn.0, %reason, "socket write failed");
                            driver.handle_closed(Instant::now(), conn, None, &reason);
                        }
                    }
                    IoAction::Close { conn } => {
                        // Cancels a connect still running (its socket is closed).
                        connecting.remove(&conn);
                        if socket.as_ref().is_some_and(|s| s.conn == conn)
                            && let Some(s) = socket.take()
                        {
                            self.close_later(*s.ws);
                        }
                    }
                    IoAction::Http { id, request } => {
                        let tx = internal_tx.clone();
                        // ureq blocks: on the process's few HTTP threads, not a thread each.
                        livechat_http::pool::spawn(move || {
                            let result = livechat_http::execute(&request, Default::default());
                            // Unbounded: the only error is a driver that is gone.
                            let _ = tx.unbounded_send(Internal::Http(id, result));
                        });
                    }
                    IoAction::FetchToken { fresh } => {
                        let tx = internal_tx.clone();
                        let provider = self.provider.clone();
                        rt.spawn_detached(async move {
                            let result = match provider {
                                Some(p) => p.token(fresh).await,
                                None => Err(Error::new(ErrorCode::TokenFetchFailed, "no identity provider")),
                            };
                            let _ = tx.unbounded_send(Internal::Token(result));
                        });
                    }
                }
            }

            if driver.is_destroyed() {
                // Destroyed (by `destroy()` or by the session itself): nothing can happen any
                // more. Ending the task makes later calls fail with `SDK_DESTROYED` at once.
                break;
            }
            // Time first: an expired deadline is handled even while the other sources are busy.
            let deadline = driver.poll_timeout();
            if deadline.is_some_and(|at| Instant::now() >= at) {
                driver.handle_timeout(Instant::now());
                continue;
            }
            if deadline != armed {
                if let Some(at) = deadline {
                    match timer.as_mut() {
                        Some(t) => t.reset(at),
                        None => timer = Some(rt.timer(at)),
                    }
                }
                armed = deadline;
            }

            turn = turn.wrapping_add(1);
            let wake = poll_fn(|cx| {
                for i in 0..3 {
                    match (turn + i) % 3 {
                        0 => {
                            if let Poll::Ready(cmd) = commands.poll_next(cx) {
                                return Poll::Ready(Wake::Command(cmd));
                            }
                        }
                        1 => {
                            // Never ends: `internal_tx` lives in this function.
                            if let Poll::Ready(Some(msg)) = internal.poll_next_unpin(cx) {
                                return Poll::Ready(Wake::Internal(msg));
                            }
                        }
                        _ => {
                            if let Some(s) = socket.as_mut()
                                && let Poll::Ready(msg) = Pin::new(&mut s.ws).poll_next(cx)
                            {
                                return Poll::Ready(Wake::Socket(
                                    s.conn,
                                    msg.map(|r| r.map_err(|e| e.to_string())),
                                ));
                            }
                        }
                    }
                }
                if armed.is_some()
                    && let Some(t) = timer.as_mut()
                    && t.poll_expired(cx).is_ready()
                {
                    return Poll::Ready(Wake::Timeout);
                }
                Poll::Pending
            })
            .await;

            match wake {
                Wake::Command(Some(Command::Op(op, done))) => driver.submit(Instant::now(), op, done),
                // Every client handle is gone: nobody can see results any more.
                Wake::Command(None) => break,
                Wake::Internal(Internal::Opened(conn, ws)) => {
                    if connecting.remove(&conn).is_some() {
                        socket = Some(Socket { conn, ws });
                        driver.handle_open(Instant::now(), conn);
                    } else {
                        tracing::debug!(conn = conn.0, "connected after the session gave up on it; closing");
                        self.close_later(*ws);
                    }
                }
                Wake::Internal(Internal::OpenFailed(conn, reason)) => {
                    // The reason (DNS, refused, TLS, timeout …) goes to the session as is.
                    tracing::debug!(conn = conn.0, %reason, "connect failed");
                    if connecting.remove(&conn).is_some() {
                        driver.handle_closed(Instant::now(), conn, None, &reason);
                    }
                }
                Wake::Internal(Internal::Http(id, result)) => driver.handle_http(Instant::now(), id, result),
                Wake::Internal(Internal::Token(result)) => driver.handle_token(Instant::now(), result),
                Wake::Socket(conn, msg) => match msg {
                    Some(Ok(Message::Text(text))) => {
                        if options.debug_frames {
                            tracing::debug!(conn = conn.0, frame = %redact(&text), "recv");
                        }
                        driver.handle_frame(Instant::now(), conn, &text);
                    }
                    Some(Ok(Message::Close(frame))) => {
                        // Let tungstenite finish the closing handshake in the background.
                        if let Some(s) = socket.take() {
                            self.close_later(*s.ws);
                        }
                        // The close code and reason go to the session as sent.
                        let (code, reason) = frame
                            .map(|f| (Some(u16::from(f.code)), f.reason.to_string()))
                            .unwrap_or_default();
                        driver.handle_closed(Instant::now(), conn, code, &reason);
                    }
                    // Pings are answered by tungstenite; binary frames are not part of RTM.
                    Some(Ok(_)) => {}
                    Some(Err(e)) => {
                        socket = None;
                        driver.handle_closed(Instant::now(), conn, None, &e);
                    }
                    None => {
                        socket = None;
                        driver.handle_closed(Instant::now(), conn, None, "closed");
                    }
                },
                Wake::Timeout => {
                    // The timer is spent; re-arm on the next turn even if the deadline stays.
                    armed = None;
                    driver.handle_timeout(Instant::now());
                }
            }
        }
        // Fail waiting callers, end the event streams, cancel connects, close the socket.
        let destroyed = driver.end_error();
        driver.shutdown(Instant::now(), &destroyed);
        while driver.poll_io().is_some() {}
        // Calls sent meanwhile fail now: a command left in the channel would keep its caller
        // waiting for as long as a client handle lives.
        commands.rx.close();
        while let Ok(Command::Op(_, done)) = commands.rx.try_recv() {
            done(Err(destroyed.clone()));
        }
        drop(connecting);
        if let Some(mut s) = socket.take() {
            // Boxed: a cold path, kept out of the task's state.
            Box::pin(close(rt, &mut s.ws)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_queue_refuses_calls_past_its_bound() {
        let (commands, mut queue) = command_queue(2);
        let call = || Command::Op(Op::<()>::Destroy, Box::new(|_| {}));
        assert!(commands.try_send(call()).is_ok());
        assert!(commands.try_send(call()).is_ok());
        assert!(matches!(commands.try_send(call()), Err(Refused::Full)));
        // Room again once the driver took one.
        let waker = futures_util::task::noop_waker();
        let mut cx = std::task::Context::from_waker(&waker);
        assert!(matches!(queue.poll_next(&mut cx), Poll::Ready(Some(_))));
        assert!(commands.try_send(call()).is_ok());
        // Closed once the driver's end is gone.
        drop(queue);
        assert!(matches!(commands.try_send(call()), Err(Refused::Closed)));
    }
}
