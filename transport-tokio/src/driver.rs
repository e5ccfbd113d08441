//! The driver task: owns the socket and the core driver (quinn's `ConnectionDriver` shape).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use livechat_core::client::{Driver, IoAction, Ops, Tokens};
use livechat_core::engine::{ConnectionId, Engine, Side};
use livechat_core::http::HttpResponse;
use livechat_core::hub::{EventHub, Kinded};
use livechat_core::token::Token;
use livechat_core::wire::redact;
use livechat_core::{Error, ErrorCode};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
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
}

impl From<&ClientOptions> for DriverOptions {
    fn from(o: &ClientOptions) -> DriverOptions {
        DriverOptions {
            debug_frames: o.debug_frames,
            max_message_size: o.max_message_size,
            tls: o.tls.clone(),
            command_buffer: o.command_buffer,
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
    let driver = Driver::new(session, tokens, Instant::now());
    let shared = driver.hub();
    let token = driver.current_token();
    let (tx, rx) = mpsc::channel(options.command_buffer.max(1));
    tokio::spawn(run(driver, rx, options.clone(), provider));
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
    // The socket the session asked for last; a connect that finishes for an older one is closed.
    let mut wanted: Option<ConnectionId> = None;
    loop {
        while let Some(action) = driver.poll_io() {
            match action {
                IoAction::Open { conn, url } => {
                    wanted = Some(conn);
                    let tx = internal_tx.clone();
                    let tls = options.tls.clone().map(Connector::Rustls);
                    let config = WebSocketConfig::default()
                        .read_buffer_size(livechat_core::wire::SOCKET_READ_BUFFER)
                        .max_message_size(Some(options.max_message_size))
                        .max_frame_size(Some(options.max_message_size));
                    tracing::debug!(%url, conn = conn.0, "connecting");
                    tokio::spawn(async move {
                        let msg = match tokio_tungstenite::connect_async_tls_with_config(
                            url,
                            Some(config),
                            // TCP_NODELAY: small frames (a response, then its push) must not
                            // wait for Nagle and delayed ACKs (~40 ms each).
                            true,
                            tls,
                        )
                        .await
                        {
                            Ok((ws, _)) => Internal::Opened(conn, Box::new(ws)),
                            Err(e) => Internal::OpenFailed(conn, e.to_string()),
                        };
                        let _ = tx.send(msg).await;
                    });
                }
                IoAction::Send { conn, text } => {
                    if options.debug_frames {
                        tracing::debug!(conn = conn.0, frame = %redact(&text), "send");
                    }
                    let failed = match socket.as_mut() {
                        Some(s) if s.conn == conn => s.ws.send(Message::text(text)).await.err(),
                        _ => None,
                    };
                    if let Some(e) = failed {
                        socket = None;
                        driver.handle_closed(Instant::now(), conn, None, &e.to_string());
                    }
                }
                IoAction::Close { conn } => {
                    if wanted == Some(conn) {
                        wanted = None;
                    }
                    if socket.as_ref().is_some_and(|s| s.conn == conn)
                        && let Some(mut s) = socket.take()
                    {
                        tokio::spawn(async move {
                            let _ = tokio::time::timeout(Duration::from_secs(2), s.ws.close(None)).await;
                        });
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
        let deadline = driver.poll_timeout();
        tokio::select! {
            cmd = commands.recv() => match cmd {
                Some(Command::Op(op, done)) => driver.submit(Instant::now(), op, done),
                None => {
                    // Every client handle is gone: nobody can see results any more.
                    driver.shutdown(Instant::now(), &Error::new(ErrorCode::SdkDestroyed, "SDK destroyed."));
                    while let Some(IoAction::Close { .. }) = driver.poll_io() {}
                    if let Some(mut s) = socket.take() {
                        let _ = tokio::time::timeout(Duration::from_secs(2), s.ws.close(None)).await;
                    }
                    return;
                }
            },
            Some(msg) = internal.recv() => match msg {
                Internal::Opened(conn, mut ws) if wanted != Some(conn) => {
                    // The session gave up on this connection meanwhile.
                    tokio::spawn(async move {
                        let _ = tokio::time::timeout(Duration::from_secs(2), ws.close(None)).await;
                    });
                }
                Internal::Opened(conn, ws) => {
                    socket = Some(Socket { conn, ws: *ws });
                    driver.handle_open(Instant::now(), conn);
                }
                Internal::OpenFailed(conn, reason) => {
                    tracing::debug!(conn = conn.0, %reason, "connect failed");
                    driver.handle_closed(Instant::now(), conn, None, &reason);
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
                    socket = None;
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
}
