//! The driver task: owns the socket and the core driver (quinn's `ConnectionDriver` shape),
//! on smol's global executor.

use std::collections::HashMap;
use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::Poll;
use std::time::{Duration, Instant};

use async_io::Timer;
use async_tungstenite::WebSocketStream;
use async_tungstenite::smol::ConnectStream;
use async_tungstenite::tungstenite::Message;
use async_tungstenite::tungstenite::protocol::WebSocketConfig;
use futures_lite::{Stream, StreamExt, future};
use livechat_core::client::{Driver, IoAction, Ops, Tokens};
use livechat_core::engine::{ConnectionId, Engine, Side};
use livechat_core::http::HttpResponse;
use livechat_core::hub::{EventHub, Kinded};
use livechat_core::token::Token;
use livechat_core::wire::{self, redact};
use livechat_core::{Error, ErrorCode};

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

type Ws = WebSocketStream<ConnectStream>;

/// Results of the side tasks (connecting, HTTP, the identity provider).
enum Internal {
    Opened(ConnectionId, Box<Ws>),
    OpenFailed(ConnectionId, String),
    Http(u64, Result<HttpResponse, Error>),
    Token(Result<Token, Error>),
}

/// Why the driver woke up.
enum Wake {
    Command(Option<Command>),
    Internal(Internal),
    Socket(ConnectionId, Option<Result<Message, String>>),
    Timeout,
}

pub(crate) type Shared<E> = (Commands, Arc<Mutex<EventHub<E>>>, Arc<Mutex<Option<Token>>>);

/// The calls' way to the driver task, holding at most `cap` waiting calls.
///
/// async-channel's bounded channel allocates and initialises every slot up front (1,024
/// calls ≈ a quarter MiB per client, measured by `livechat load`); an unbounded one grows in
/// small blocks as needed, and the bound is checked here instead. With several threads
/// calling at once it can be passed by at most one call per such thread.
#[derive(Clone)]
pub(crate) struct Commands {
    tx: async_channel::Sender<Command>,
    cap: usize,
}

impl Commands {
    pub(crate) fn try_send(&self, cmd: Command) -> Result<(), async_channel::TrySendError<Command>> {
        if self.tx.len() >= self.cap {
            return Err(async_channel::TrySendError::Full(cmd));
        }
        self.tx.try_send(cmd)
    }
}

/// Spawn the driver task for `session` (customer or agent) on smol's global executor.
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
    // rustls needs a process-wide crypto provider for configs built without one (ureq's,
    // a caller's); ring builds with `cc` only. Ours below name the provider explicitly.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let options = DriverOptions { connect_timeout: session.config().login_timeout, ..options.clone() };
    let driver = Driver::new(session, tokens, Instant::now());
    let shared = driver.hub();
    let token = driver.current_token();
    let (tx, rx) = async_channel::unbounded();
    let cap = options.command_buffer.max(1);
    smol::spawn(run(driver, rx, options, provider)).detach();
    (Commands { tx, cap }, shared, token)
}

struct Socket {
    conn: ConnectionId,
    ws: Ws,
}

/// The rustls config used for `wss://` when the caller gave none: ring, verification on,
/// roots from the `native-roots` or `webpki-roots` feature. Built once per process.
fn default_tls() -> Result<Arc<rustls::ClientConfig>, String> {
    static CONFIG: OnceLock<Result<Arc<rustls::ClientConfig>, String>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| e.to_string())?
                .with_root_certificates(roots()?)
                .with_no_client_auth();
            Ok(Arc::new(config))
        })
        .clone()
}

#[cfg(feature = "native-roots")]
fn roots() -> Result<rustls::RootCertStore, String> {
    let mut store = rustls::RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    let (added, _) = store.add_parsable_certificates(found.certs);
    if added == 0 {
        let why = found.errors.first().map(|e| e.to_string()).unwrap_or_else(|| "none found".into());
        return Err(format!("no usable root certificates in the system store: {why}"));
    }
    Ok(store)
}

#[cfg(all(feature = "webpki-roots", not(feature = "native-roots")))]
fn roots() -> Result<rustls::RootCertStore, String> {
    let mut store = rustls::RootCertStore::empty();
    store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    Ok(store)
}

#[cfg(not(any(feature = "webpki-roots", feature = "native-roots")))]
fn roots() -> Result<rustls::RootCertStore, String> {
    Err("no root certificates: enable the `webpki-roots` or `native-roots` feature, or set ClientOptions::tls / AgentOptions::tls"
        .into())
}

/// Open a WebSocket (TCP, TLS for `wss://`, handshake).
async fn connect(
    url: String,
    tls: Option<Arc<rustls::ClientConfig>>,
    config: WebSocketConfig,
) -> Result<Ws, String> {
    let secure = url.get(..4).is_some_and(|s| s.eq_ignore_ascii_case("wss:"));
    let connector = if secure {
        let config = match tls {
            Some(c) => c,
            // Loading the system store reads files: off the executor.
            None => smol::unblock(default_tls).await?,
        };
        Some(futures_rustls::TlsConnector::from(config))
    } else {
        None
    };
    let (ws, _) =
        async_tungstenite::smol::connect_async_with_tls_connector_and_config(url, connector, Some(config))
            .await
            .map_err(|e| e.to_string())?;
    Ok(ws)
}

/// `connect` within `limit`. Dropping the future (the task running it) drops the
/// half-open socket, which closes it.
async fn connect_within(
    limit: Duration,
    url: String,
    tls: Option<Arc<rustls::ClientConfig>>,
    config: WebSocketConfig,
) -> Result<Ws, String> {
    future::or(connect(url, tls, config), async {
        Timer::after(limit).await;
        Err(wire::connect_timed_out(limit))
    })
    .await
}

/// Write one frame within `limit`; the reason the socket is dead otherwise.
async fn write(ws: &mut Ws, text: String, limit: Duration) -> Result<(), String> {
    future::or(async { ws.send(Message::text(text)).await.map_err(|e| format!("send failed: {e}")) }, async {
        Timer::after(limit).await;
        Err(wire::write_timed_out(limit))
    })
    .await
}

/// The closing handshake, bounded by [`wire::CLOSE_TIMEOUT`].
async fn close(ws: &mut Ws) {
    future::or(
        async {
            let _ = ws.close(None).await;
        },
        async {
            Timer::after(wire::CLOSE_TIMEOUT).await;
        },
    )
    .await;
}

/// Close a socket in the background.
fn close_later(mut ws: Ws) {
    smol::spawn(async move { close(&mut ws).await }).detach();
}

async fn run<S>(
    mut driver: Driver<S>,
    commands: async_channel::Receiver<Command>,
    options: DriverOptions,
    provider: Option<Arc<dyn IdentityProvider>>,
) where
    S: Side + Send + 'static,
    S::Event: Kinded + Send + 'static,
    Engine<S>: Ops,
{
    let (internal_tx, internal) = async_channel::unbounded::<Internal>();
    let mut commands = pin!(commands);
    let mut internal = pin!(internal);
    let mut socket: Option<Socket> = None;
    // Connects still wanted by the session. Dropping a task cancels it and closes its
    // socket: done when the session gives up on it (a `Close` for it, a newer `Open`, the
    // end of this task). A connect that finishes for a connection not in here is closed,
    // never mistaken for the current socket.
    let mut connecting: HashMap<ConnectionId, smol::Task<()>> = HashMap::new();
    // One timer, moved only when the core's deadline changes (quinn's `drive_timer`).
    let mut timer = Timer::never();
    let mut armed: Option<Instant> = None;
    // Which source is polled first, rotated so none starves the others.
    let mut turn = 0usize;
    loop {
        while let Some(action) = driver.poll_io() {
            match action {
                IoAction::Open { conn, url } => {
                    // A newer connection replaces any attempt still running (dropped: cancelled).
                    connecting.clear();
                    let tx = internal_tx.clone();
                    let tls = options.tls.clone();
                    let config = WebSocketConfig::default()
                        .read_buffer_size(wire::SOCKET_READ_BUFFER)
                        .max_message_size(Some(options.max_message_size))
                        .max_frame_size(Some(options.max_message_size));
                    let limit = options.connect_timeout;
                    tracing::debug!(%url, conn = conn.0, "connecting");
                    let task = smol::spawn(async move {
                        let msg = match connect_within(limit, url, tls, config).await {
                            Ok(ws) => Internal::Opened(conn, Box::new(ws)),
                            Err(e) => Internal::OpenFailed(conn, e),
                        };
                        let _ = tx.send(msg).await;
                    });
                    connecting.insert(conn, task);
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
                    // Cancels a connect still running (its socket is closed).
                    connecting.remove(&conn);
                    if socket.as_ref().is_some_and(|s| s.conn == conn)
                        && let Some(s) = socket.take()
                    {
                        close_later(s.ws);
                    }
                }
                IoAction::Http { id, request } => {
                    let tx = internal_tx.clone();
                    smol::spawn(async move {
                        // ureq blocks: run it on smol's blocking pool.
                        let result =
                            smol::unblock(move || livechat_http::execute(&request, Default::default())).await;
                        let _ = tx.send(Internal::Http(id, result)).await;
                    })
                    .detach();
                }
                IoAction::FetchToken { fresh } => {
                    let tx = internal_tx.clone();
                    let provider = provider.clone();
                    smol::spawn(async move {
                        let result = match provider {
                            Some(p) => p.token(fresh).await,
                            None => Err(Error::new(ErrorCode::TokenFetchFailed, "no identity provider")),
                        };
                        let _ = tx.send(Internal::Token(result)).await;
                    })
                    .detach();
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
            match deadline {
                Some(at) => timer.set_at(at),
                None => timer = Timer::never(),
            }
            armed = deadline;
        }

        turn = turn.wrapping_add(1);
        let wake = future::poll_fn(|cx| {
            for i in 0..3 {
                match (turn + i) % 3 {
                    0 => {
                        if let Poll::Ready(cmd) = commands.as_mut().poll_next(cx) {
                            return Poll::Ready(Wake::Command(cmd));
                        }
                    }
                    1 => {
                        // Never ends: `internal_tx` lives in this function.
                        if let Poll::Ready(Some(msg)) = internal.as_mut().poll_next(cx) {
                            return Poll::Ready(Wake::Internal(msg));
                        }
                    }
                    _ => {
                        if let Some(s) = socket.as_mut()
                            && let Poll::Ready(msg) = s.ws.poll_next(cx)
                        {
                            return Poll::Ready(Wake::Socket(
                                s.conn,
                                msg.map(|r| r.map_err(|e| e.to_string())),
                            ));
                        }
                    }
                }
            }
            if armed.is_some() && std::pin::Pin::new(&mut timer).poll(cx).is_ready() {
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
                    socket = Some(Socket { conn, ws: *ws });
                    driver.handle_open(Instant::now(), conn);
                } else {
                    tracing::debug!(conn = conn.0, "connected after the session gave up on it; closing");
                    close_later(*ws);
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
                        close_later(s.ws);
                    }
                    // The close code and reason go to the session as sent.
                    let (code, reason) =
                        frame.map(|f| (Some(u16::from(f.code)), f.reason.to_string())).unwrap_or_default();
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
    commands.close();
    while let Ok(Command::Op(_, done)) = commands.try_recv() {
        done(Err(destroyed.clone()));
    }
    drop(connecting);
    if let Some(mut s) = socket.take() {
        close(&mut s.ws).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_queue_refuses_calls_past_its_bound() {
        let (tx, rx) = async_channel::unbounded();
        let commands = Commands { tx, cap: 2 };
        let call = || Command::Op(livechat_core::client::Op::Destroy, Box::new(|_| {}));
        assert!(commands.try_send(call()).is_ok());
        assert!(commands.try_send(call()).is_ok());
        assert!(matches!(commands.try_send(call()), Err(async_channel::TrySendError::Full(_))));
        // Room again once the driver took one.
        assert!(rx.try_recv().is_ok());
        assert!(commands.try_send(call()).is_ok());
    }

    #[cfg(all(feature = "webpki-roots", not(feature = "native-roots")))]
    #[test]
    fn default_tls_has_a_provider_and_roots() {
        let config = default_tls().expect("rustls config");
        assert!(
            config.crypto_provider().cipher_suites.iter().any(|s| s.version() == &rustls::version::TLS13)
        );
    }

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
}
