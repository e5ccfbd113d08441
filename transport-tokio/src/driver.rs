//! The driver task: owns the socket and the core driver (quinn's `ConnectionDriver` shape).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use livechat_core::client::{Driver, IoAction, Ops, Tokens};
use livechat_core::engine::{ConnectionId, Engine, Side};
use livechat_core::http::HttpResponse;
use livechat_core::hub::{EventHub, Kinded};
use livechat_core::token::Token;
use livechat_core::wire::{self, redact};
use livechat_core::{Error, ErrorCode};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

use crate::{ClientOptions, Command, IdentityProvider};

/// What the driver task needs of a client's options (customer or agent).
#[derive(Clone)]
pub(crate) struct DriverOptions {
    pub debug_frames: bool,
    pub max_message_size: usize,
    pub tls: Option<Arc<rustls::ClientConfig>>,
    pub command_buffer: usize,
    /// Bound on every socket write.
    pub write_timeout: Duration,
    /// Bound on every connect (TCP, TLS, WebSocket handshake): the session's
    /// `login_timeout`, set by [`spawn`].
    pub connect_timeout: Duration,
}

impl From<&ClientOptions> for DriverOptions {
    fn from(o: &ClientOptions) -> DriverOptions {
        DriverOptions {
            debug_frames: o.debug_frames,
            max_message_size: o.max_message_size,
            tls: o.tls.clone(),
            command_buffer: o.command_buffer,
            write_timeout: o.write_timeout,
            connect_timeout: wire::CONNECT_TIMEOUT,
        }
    }
}

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

enum Internal {
    Opened(ConnectionId, Box<Ws>),
    OpenFailed(ConnectionId, String),
    Http(u64, Result<HttpResponse, Error>),
    Token(Result<Token, Error>),
}

pub(crate) type Shared<E> = (mpsc::Sender<Command>, Arc<Mutex<EventHub<E>>>, Arc<Mutex<Option<Token>>>);

/// Spawn the driver task for `session` (customer or agent).
pub(crate) fn spawn<S>(
    session: Engine<S>,
    tokens: Tokens,
    provider: Option<Arc<dyn IdentityProvider>>,
    options: &DriverOptions,
) -> Shared<S::Event>
where
    S: Side + Send + 'static,
    S::Event: Kinded + Send + 'static,
    Engine<S>: Ops,
{
    // rustls needs exactly one process-wide crypto provider; ring builds with `cc` only.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let options = DriverOptions { connect_timeout: session.config().login_timeout, ..options.clone() };
    let driver = Driver::new(session, tokens, Instant::now());
    let shared = driver.hub();
    let token = driver.current_token();
    let (tx, rx) = mpsc::channel(options.command_buffer.max(1));
    tokio::spawn(run(driver, rx, options, provider));
    (tx, shared, token)
}

struct Socket {
    conn: ConnectionId,
    ws: Ws,
}

async fn next_message(socket: &mut Option<Socket>) -> (ConnectionId, Option<Result<Message, String>>) {
    match socket {
        Some(s) => (s.conn, s.ws.next().await.map(|r| r.map_err(|e| e.to_string()))),
        None => std::future::pending().await,
    }
}

/// Close a socket in the background, giving the peer [`wire::CLOSE_TIMEOUT`] to answer.
fn close_later(mut ws: Box<Ws>) {
    tokio::spawn(async move {
        let _ = tokio::time::timeout(wire::CLOSE_TIMEOUT, ws.close(None)).await;
    });
}

/// Open a WebSocket (TCP, TLS for `wss://`, handshake) within `deadline`. Dropping the
/// future (aborting its task) drops the half-open socket, which closes it.
async fn connect(conn: ConnectionId, url: String, options: &DriverOptions) -> Internal {
    let tls = options.tls.clone().map(Connector::Rustls);
    let config = WebSocketConfig::default()
        .read_buffer_size(wire::SOCKET_READ_BUFFER)
        .max_message_size(Some(options.max_message_size))
        .max_frame_size(Some(options.max_message_size));
    // TCP_NODELAY: small frames (a response, then its push) must not wait for Nagle and
    // delayed ACKs (~40 ms each).
    let attempt = tokio_tungstenite::connect_async_tls_with_config(url, Some(config), true, tls);
    match tokio::time::timeout(options.connect_timeout, attempt).await {
        Ok(Ok((ws, _))) => Internal::Opened(conn, Box::new(ws)),
        Ok(Err(e)) => Internal::OpenFailed(conn, e.to_string()),
        Err(_) => Internal::OpenFailed(conn, wire::connect_timed_out(options.connect_timeout)),
    }
}

/// Write one frame within `limit`; the reason the socket is dead otherwise.
async fn write(ws: &mut Ws, text: String, limit: Duration) -> Result<(), String> {
    match tokio::time::timeout(limit, ws.send(Message::text(text))).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("send failed: {e}")),
        Err(_) => Err(wire::write_timed_out(limit)),
    }
}

/// Abandon every connect still running: aborting drops its socket.
fn cancel_all(connecting: &mut HashMap<ConnectionId, AbortHandle>) {
    for (_, task) in connecting.drain() {
        task.abort();
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await,
        None => std::future::pending().await,
    }
}

async fn run<S>(
    mut driver: Driver<S>,
    mut commands: mpsc::Receiver<Command>,
    options: DriverOptions,
    provider: Option<Arc<dyn IdentityProvider>>,
) where
    S: Side + Send + 'static,
    S::Event: Kinded + Send + 'static,
    Engine<S>: Ops,
{
    let (internal_tx, mut internal) = mpsc::channel::<Internal>(64);
    let mut socket: Option<Socket> = None;
    // Connects still wanted by the session, each cancelled (its socket closed) when the
    // session gives up on it: a `Close` for it, a newer `Open`, or the end of the task. A
    // connect that finishes for a connection not in here is closed.
    let mut connecting: HashMap<ConnectionId, AbortHandle> = HashMap::new();
    loop {
        while let Some(action) = driver.poll_io() {
            match action {
                IoAction::Open { conn, url } => {
                    // A newer connection replaces any attempt still running.
                    cancel_all(&mut connecting);
                    let tx = internal_tx.clone();
                    let opts = options.clone();
                    tracing::debug!(%url, conn = conn.0, "connecting");
                    let task = tokio::spawn(async move {
                        let msg = connect(conn, url, &opts).await;
                        let _ = tx.send(msg).await;
                    });
                    connecting.insert(conn, task.abort_handle());
                }
                IoAction::Send { conn, text } => {
                    if options.debug_frames {
                        tracing::debug!(conn = conn.0, frame = %redact(&text), "send");
                    }
                    let failed = match socket.as_mut() {
                        Some(s) if s.conn == conn => {
                            write(&mut s.ws, text, options.write_timeout).await.err()
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
                    if let Some(task) = connecting.remove(&conn) {
                        task.abort();
                    }
                    if socket.as_ref().is_some_and(|s| s.conn == conn)
                        && let Some(s) = socket.take()
                    {
                        close_later(Box::new(s.ws));
                    }
                }
                IoAction::Http { id, request } => {
                    let tx = internal_tx.clone();
                    tokio::spawn(async move {
                        let result = tokio::task::spawn_blocking(move || {
                            livechat_http::execute(&request, Default::default())
                        })
                        .await
                        .unwrap_or_else(|e| Err(Error::new(ErrorCode::TokenFetchFailed, e.to_string())));
                        let _ = tx.send(Internal::Http(id, result)).await;
                    });
                }
                IoAction::FetchToken { fresh } => {
                    let tx = internal_tx.clone();
                    let provider = provider.clone();
                    tokio::spawn(async move {
                        let result = match provider {
                            Some(p) => p.token(fresh).await,
                            None => Err(Error::new(ErrorCode::TokenFetchFailed, "no identity provider")),
                        };
                        let _ = tx.send(Internal::Token(result)).await;
                    });
                }
            }
        }
        if driver.is_destroyed() {
            // Destroyed (by `destroy()` or by the session itself): nothing can happen any
            // more. Ending the task makes later calls fail with `SDK_DESTROYED` at once.
            break;
        }
        let deadline = driver.poll_timeout();
        tokio::select! {
            cmd = commands.recv() => match cmd {
                Some(Command::Op(op, done)) => driver.submit(Instant::now(), op, done),
                // Every client handle is gone: nobody can see results any more.
                None => break,
            },
            Some(msg) = internal.recv() => match msg {
                Internal::Opened(conn, ws) => {
                    if connecting.remove(&conn).is_some() {
                        socket = Some(Socket { conn, ws: *ws });
                        driver.handle_open(Instant::now(), conn);
                    } else {
                        // The session gave up on this connection meanwhile.
                        tracing::debug!(conn = conn.0, "connected after the session gave up on it; closing");
                        close_later(ws);
                    }
                }
                Internal::OpenFailed(conn, reason) => {
                    // The reason (DNS, refused, TLS, timeout …) goes to the session as is.
                    tracing::debug!(conn = conn.0, %reason, "connect failed");
                    if connecting.remove(&conn).is_some() {
                        driver.handle_closed(Instant::now(), conn, None, &reason);
                    }
                }
                Internal::Http(id, result) => driver.handle_http(Instant::now(), id, result),
                Internal::Token(result) => driver.handle_token(Instant::now(), result),
            },
            (conn, msg) = next_message(&mut socket) => match msg {
                Some(Ok(Message::Text(text))) => {
                    if options.debug_frames {
                        tracing::debug!(conn = conn.0, frame = %redact(&text), "recv");
                    }
                    driver.handle_frame(Instant::now(), conn, &text);
                }
                Some(Ok(Message::Close(frame))) => {
                    // Let tungstenite finish the closing handshake in the background.
                    if let Some(s) = socket.take() {
                        close_later(Box::new(s.ws));
                    }
                    // The close code and reason go to the session as sent.
                    let (code, reason) = frame.map(|f| (Some(u16::from(f.code)), f.reason.to_string())).unwrap_or_default();
                    driver.handle_closed(Instant::now(), conn, code, &reason);
                }
                // Pongs are answered by tungstenite; binary frames are not part of RTM.
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
            _ = sleep_until(deadline) => driver.handle_timeout(Instant::now()),
        }
    }
    // Fail waiting callers, end the event streams, cancel connects, close the socket.
    let destroyed = driver.end_error();
    driver.shutdown(Instant::now(), &destroyed);
    while driver.poll_io().is_some() {}
    // Calls sent meanwhile fail now, not when the channel is dropped.
    commands.close();
    while let Ok(Command::Op(_, done)) = commands.try_recv() {
        done(Err(destroyed.clone()));
    }
    cancel_all(&mut connecting);
    if let Some(mut s) = socket.take() {
        let _ = tokio::time::timeout(wire::CLOSE_TIMEOUT, s.ws.close(None)).await;
    }
}
