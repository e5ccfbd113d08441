//! The driver thread: one std thread owns the socket and the core driver (str0m's
//! `examples/chat.rs` run loop: a read timeout on the socket plus a channel of commands).
//!
//! # Waking for commands
//!
//! One thread cannot block on a socket and on a channel at once without an OS poller
//! (epoll/kqueue through mio or `polling`, plus a self-pipe to wake it) — which is the
//! machinery of an async runtime, the thing this crate exists to avoid. So:
//!
//! * **No socket open** (connecting, backing off, paused): the thread blocks on the command
//!   channel itself with `recv_timeout(poll_timeout - now)`. Everything it waits for — calls,
//!   the freshly connected socket, HTTP and token results from helper threads — arrives on
//!   that channel, so it wakes exactly when needed and never polls.
//! * **Socket open**: the thread blocks in `read()` with the socket's read timeout set to
//!   `poll_timeout - now`, capped at [`ClientOptions::command_poll_interval`] (10 ms by
//!   default) and at least 1 ms, and drains the channel with `try_recv` between reads. A
//!   call therefore waits at most that cap before the thread sees it — noise next to a
//!   network round trip — and an idle connected client costs about a hundred `recv`
//!   syscalls a second that return `EAGAIN`. tungstenite keeps partial frames across a
//!   `WouldBlock`, so a timeout in the middle of a frame loses nothing.
//!
//! Blocking work never runs on this thread: connecting (DNS, TCP, TLS and the WebSocket
//! handshake), HTTP (token grants), identity providers and the closing handshake each run on
//! a short-lived helper thread that reports back through the command channel.

use std::collections::HashSet;
use std::io::ErrorKind;
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TryRecvError, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::{JoinHandle, ThreadId};
use std::time::{Duration, Instant};

use livechat_core::client::{Driver, IoAction, Op, Ops, Tokens, Waiter};
use livechat_core::engine::{ConnectionId, Engine, Side, State};
use livechat_core::http::HttpResponse;
use livechat_core::hub::{EventHub, Kinded};
use livechat_core::token::Token;
use livechat_core::wire::redact;
use livechat_core::{Error, ErrorCode};
use tungstenite::client::IntoClientRequest;
use tungstenite::protocol::WebSocketConfig;
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

use crate::IdentityProvider;

/// What the driver thread needs from a client's options (customer or agent).
#[derive(Clone)]
pub(crate) struct DriverOptions {
    pub(crate) debug_frames: bool,
    pub(crate) max_message_size: usize,
    pub(crate) tls: Option<Arc<rustls::ClientConfig>>,
    pub(crate) command_buffer: usize,
    pub(crate) command_poll_interval: Duration,
}

impl From<&crate::ClientOptions> for DriverOptions {
    fn from(o: &crate::ClientOptions) -> DriverOptions {
        DriverOptions {
            debug_frames: o.debug_frames,
            max_message_size: o.max_message_size,
            tls: o.tls.clone(),
            command_buffer: o.command_buffer,
            command_poll_interval: o.command_poll_interval,
        }
    }
}

pub(crate) type Ws = WebSocket<MaybeTlsStream<TcpStream>>;

/// How long a socket may refuse to take our bytes before it is judged dead.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the closing handshake may take.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);
/// Commands taken per round while a socket is open, before the socket is read again.
const COMMAND_BATCH: usize = 64;

/// What reaches the driver thread.
pub(crate) enum Command {
    /// A caller's op.
    Op(Op, Waiter),
    /// A helper thread finished connecting.
    Opened(ConnectionId, Box<Ws>),
    OpenFailed(ConnectionId, String),
    Http(u64, Result<HttpResponse, Error>),
    Token(Result<Token, Error>),
    /// The last client handle is gone (see [`Handle`]); also sets `Handle::closed`.
    Shutdown,
}

/// The driver thread, for whoever wants to wait for it to end. Holding it does not keep
/// the client alive.
#[derive(Clone)]
pub struct DriverThread {
    join: Arc<Mutex<Option<JoinHandle<()>>>>,
    id: ThreadId,
}

impl DriverThread {
    /// Wait for the thread to end (after the last client handle is dropped, or the session
    /// is destroyed). Returns at once if it was already joined.
    pub fn join(&self) {
        let handle = self.join.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(h) = handle
            && h.thread().id() != std::thread::current().id()
        {
            let _ = h.join();
        }
    }

    /// Whether the thread has ended.
    pub fn is_finished(&self) -> bool {
        self.join.lock().unwrap_or_else(|p| p.into_inner()).as_ref().is_none_or(|h| h.is_finished())
    }

    /// The thread's id (event callbacks run on it).
    pub fn id(&self) -> ThreadId {
        self.id
    }
}

/// Shared by every clone of a client handle; dropping the last one stops the thread.
pub(crate) struct Handle {
    pub(crate) commands: SyncSender<Command>,
    closed: Arc<AtomicBool>,
    pub(crate) thread: DriverThread,
}

impl Handle {
    /// Hand an op to the driver thread without waiting (`QUEUE_FULL` when the channel is
    /// full, `SDK_DESTROYED` when the thread is gone).
    pub(crate) fn send(&self, command: Command) -> Result<(), Error> {
        self.commands.try_send(command).map_err(|e| match e {
            std::sync::mpsc::TrySendError::Full(_) => {
                Error::new(ErrorCode::QueueFull, "too many calls waiting for the client thread")
            }
            std::sync::mpsc::TrySendError::Disconnected(_) => destroyed(),
        })
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        // The flag is what counts; the message only wakes the thread. If the channel is
        // full the thread is about to wake anyway (and never blocks sending to itself).
        self.closed.store(true, Ordering::Release);
        let _ = self.commands.try_send(Command::Shutdown);
    }
}

pub(crate) fn destroyed() -> Error {
    Error::new(ErrorCode::SdkDestroyed, "SDK destroyed.")
}

/// Carry `op` to the driver thread and block for its decoded result, at most
/// `call_timeout` (shared by the customer and the agent client).
pub(crate) fn exec_on<T: serde::de::DeserializeOwned>(
    handle: &Handle,
    call_timeout: Duration,
    what: &'static str,
    op: Op,
) -> Result<T, Error> {
    if std::thread::current().id() == handle.thread.id() {
        // Event callbacks run on the driver thread: waiting there for the driver
        // would wait for ourselves until the call timeout.
        return Err(Error::new(
            ErrorCode::InvalidRequest,
            format!(
                "`{what}` called from an event callback: callbacks run on the client's thread, \
             which cannot wait for itself; make the call from another thread"
            ),
        ));
    }
    let (tx, rx) = sync_channel(1);
    handle.send(Command::Op(
        op,
        Box::new(move |r| {
            let _ = tx.send(r);
        }),
    ))?;
    let value = match rx.recv_timeout(call_timeout) {
        Ok(r) => r?,
        Err(RecvTimeoutError::Timeout) => {
            return Err(Error::new(
                ErrorCode::RequestTimeout,
                format!("`{what}` got no result within {} ms.", call_timeout.as_millis()),
            ));
        }
        Err(RecvTimeoutError::Disconnected) => return Err(destroyed()),
    };
    livechat_core::client::decode(what, value)
}

/// What a client handle needs from its driver.
pub(crate) struct Spawned<E: Kinded> {
    pub(crate) handle: Handle,
    pub(crate) hub: Arc<Mutex<EventHub<E>>>,
    pub(crate) token: Arc<Mutex<Option<Token>>>,
}

/// Start the driver thread for `session` (customer or agent).
pub(crate) fn spawn<S>(
    session: Engine<S>,
    tokens: Tokens,
    provider: Option<Arc<dyn IdentityProvider>>,
    options: &DriverOptions,
) -> Spawned<S::Event>
where
    S: Side + Send + 'static,
    S::Event: Kinded + Send + 'static,
    Engine<S>: Ops,
{
    install_crypto_provider();
    let handshake_timeout = session.config().login_timeout;
    let organization_id = session.config().organization_id.clone();
    let driver = Driver::new(session, tokens, Instant::now());
    let hub = driver.hub();
    let token = driver.current_token();
    let (tx, rx) = sync_channel(options.command_buffer.max(1));
    let closed = Arc::new(AtomicBool::new(false));
    let thread = Thread {
        driver,
        commands: rx,
        to_self: tx.clone(),
        closed: closed.clone(),
        options: options.clone(),
        provider,
        handshake_timeout,
        socket: None,
        opening: HashSet::new(),
    };
    let join = std::thread::Builder::new()
        .name("livechat-blocking".into())
        .spawn(move || {
            let span = tracing::debug_span!("livechat", org = %organization_id);
            let _enter = span.enter();
            thread.run();
        })
        .expect("spawn the livechat driver thread");
    let id = join.thread().id();
    let thread = DriverThread { join: Arc::new(Mutex::new(Some(join))), id };
    Spawned { handle: Handle { commands: tx, closed, thread }, hub, token }
}

struct Socket {
    conn: ConnectionId,
    ws: Ws,
}

struct Thread<S: Side>
where
    S::Event: Kinded,
{
    driver: Driver<S>,
    commands: Receiver<Command>,
    /// For helper threads to report back (the handles' senders are separate, so the
    /// thread learns of the last handle's drop through [`Handle`]'s flag).
    to_self: SyncSender<Command>,
    closed: Arc<AtomicBool>,
    options: DriverOptions,
    provider: Option<Arc<dyn IdentityProvider>>,
    handshake_timeout: Duration,
    socket: Option<Socket>,
    /// Sockets being opened by helper threads and still wanted by the session.
    opening: HashSet<ConnectionId>,
}

enum Flow {
    Go,
    Exit,
}

/// The TCP stream under the WebSocket (for its read timeout).
fn tcp(ws: &Ws) -> Option<&TcpStream> {
    match ws.get_ref() {
        MaybeTlsStream::Plain(s) => Some(s),
        MaybeTlsStream::Rustls(s) => Some(&s.sock),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

impl<S> Thread<S>
where
    S: Side + Send + 'static,
    S::Event: Kinded + Send + 'static,
    Engine<S>: Ops,
{
    fn run(mut self) {
        loop {
            self.perform_io();
            if self.closed.load(Ordering::Acquire) || self.driver.session().state() == State::Destroyed {
                break;
            }
            let now = Instant::now();
            let deadline = self.driver.poll_timeout();
            if deadline.is_some_and(|d| d <= now) {
                self.driver.handle_timeout(now);
                continue;
            }
            let flow = if self.socket.is_some() {
                self.wait_on_socket(now, deadline)
            } else {
                self.wait_on_channel(now, deadline)
            };
            if let Flow::Exit = flow {
                break;
            }
        }
        self.finish();
    }

    /// No socket: block on the channel until the next timer.
    fn wait_on_channel(&mut self, now: Instant, deadline: Option<Instant>) -> Flow {
        let got = match deadline {
            Some(d) => self.commands.recv_timeout(d.saturating_duration_since(now)),
            None => self.commands.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        match got {
            Ok(cmd) => self.handle(cmd),
            // The timer is handled at the top of the loop.
            Err(RecvTimeoutError::Timeout) => Flow::Go,
            Err(RecvTimeoutError::Disconnected) => Flow::Exit,
        }
    }

    /// A socket: take waiting commands, then read with a short timeout.
    fn wait_on_socket(&mut self, now: Instant, deadline: Option<Instant>) -> Flow {
        // At most a batch of commands per round, so a flood of calls cannot starve reads.
        let mut took = false;
        for _ in 0..COMMAND_BATCH {
            match self.commands.try_recv() {
                Ok(cmd) => {
                    took = true;
                    if let Flow::Exit = self.handle(cmd) {
                        return Flow::Exit;
                    }
                    // Perform what the command asked for before taking the next one.
                    self.perform_io();
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => return Flow::Exit,
            }
        }
        let (now, deadline) =
            if took { (Instant::now(), self.driver.poll_timeout()) } else { (now, deadline) };
        if deadline.is_some_and(|d| d <= now) {
            // A timer is due: the top of the loop fires it.
            return Flow::Go;
        }
        let Some(socket) = self.socket.as_mut() else { return Flow::Go };
        let cap = self.options.command_poll_interval;
        let wait =
            deadline.map_or(cap, |d| d.saturating_duration_since(now).min(cap)).max(Duration::from_millis(1));
        if let Some(tcp) = tcp(&socket.ws) {
            let _ = tcp.set_read_timeout(Some(wait));
        }
        let conn = socket.conn;
        match socket.ws.read() {
            Ok(Message::Text(text)) => {
                if self.options.debug_frames {
                    tracing::debug!(conn = conn.0, frame = %redact(&text), "recv");
                }
                self.driver.handle_frame(Instant::now(), conn, &text);
            }
            Ok(Message::Close(frame)) => {
                // tungstenite queued the close reply; send it and let the socket go.
                if let Some(mut s) = self.socket.take() {
                    let _ = s.ws.flush();
                }
                let (code, reason) =
                    frame.map(|f| (Some(u16::from(f.code)), f.reason.to_string())).unwrap_or_default();
                tracing::debug!(conn = conn.0, ?code, %reason, "closed by the server");
                self.driver.handle_closed(Instant::now(), conn, code, &reason);
            }
            // Pings are answered by tungstenite; binary frames are not part of RTM.
            Ok(_) => {}
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) => {}
            Err(e) => {
                self.socket = None;
                tracing::debug!(conn = conn.0, error = %e, "socket failed");
                self.driver.handle_closed(Instant::now(), conn, None, &e.to_string());
            }
        }
        Flow::Go
    }

    fn handle(&mut self, cmd: Command) -> Flow {
        let now = Instant::now();
        match cmd {
            Command::Op(op, done) => self.driver.submit(now, op, done),
            Command::Opened(conn, ws) => {
                if self.opening.remove(&conn) {
                    if let Some(old) = self.socket.take() {
                        close_in_background(old.ws);
                    }
                    self.socket = Some(Socket { conn, ws: *ws });
                    self.driver.handle_open(now, conn);
                } else {
                    // The session gave up on this socket while it was being opened.
                    close_in_background(*ws);
                }
            }
            Command::OpenFailed(conn, reason) => {
                self.opening.remove(&conn);
                tracing::debug!(conn = conn.0, %reason, "connect failed");
                self.driver.handle_closed(now, conn, None, &reason);
            }
            Command::Http(id, result) => self.driver.handle_http(now, id, result),
            Command::Token(result) => self.driver.handle_token(now, result),
            Command::Shutdown => return Flow::Exit,
        }
        Flow::Go
    }

    /// Carry out everything the core asked for.
    fn perform_io(&mut self) {
        while let Some(action) = self.driver.poll_io() {
            match action {
                IoAction::Open { conn, url } => {
                    tracing::debug!(%url, conn = conn.0, "connecting");
                    self.opening.insert(conn);
                    let tx = self.to_self.clone();
                    let config = WebSocketConfig::default()
                        .max_message_size(Some(self.options.max_message_size))
                        .max_frame_size(Some(self.options.max_message_size));
                    let tls = self.options.tls.clone();
                    let timeout = self.handshake_timeout;
                    helper("livechat-connect", move || {
                        let msg = match connect(&url, config, tls, timeout) {
                            Ok(ws) => Command::Opened(conn, Box::new(ws)),
                            Err(e) => Command::OpenFailed(conn, e),
                        };
                        let _ = tx.send(msg);
                    });
                }
                IoAction::Send { conn, text } => {
                    if self.options.debug_frames {
                        tracing::debug!(conn = conn.0, frame = %redact(&text), "send");
                    }
                    let failed = match self.socket.as_mut() {
                        // A write that times out leaves the socket in an unknown state:
                        // every error here ends the socket and the core reconnects.
                        Some(s) if s.conn == conn => s.ws.send(Message::text(text)).err(),
                        _ => None,
                    };
                    if let Some(e) = failed {
                        self.socket = None;
                        tracing::debug!(conn = conn.0, error = %e, "send failed");
                        self.driver.handle_closed(Instant::now(), conn, None, &e.to_string());
                    }
                }
                IoAction::Close { conn } => {
                    self.opening.remove(&conn);
                    if self.socket.as_ref().is_some_and(|s| s.conn == conn)
                        && let Some(s) = self.socket.take()
                    {
                        close_in_background(s.ws);
                    }
                }
                IoAction::Http { id, request } => {
                    let tx = self.to_self.clone();
                    helper("livechat-http", move || {
                        let result = livechat_http::execute(&request, Default::default());
                        let _ = tx.send(Command::Http(id, result));
                    });
                }
                IoAction::FetchToken { fresh } => {
                    let tx = self.to_self.clone();
                    let provider = self.provider.clone();
                    helper("livechat-token", move || {
                        let result = match provider {
                            Some(p) => p.token(fresh),
                            None => Err(Error::new(ErrorCode::TokenFetchFailed, "no identity provider")),
                        };
                        let _ = tx.send(Command::Token(result));
                    });
                }
            }
        }
    }

    /// Every handle is gone or the session is destroyed: fail waiting callers, end the
    /// event receivers, close the socket (bounded) and let the thread end.
    fn finish(mut self) {
        tracing::debug!("driver thread ending");
        self.driver.shutdown(Instant::now(), &destroyed());
        while self.driver.poll_io().is_some() {}
        if let Some(s) = self.socket.take() {
            close(s.ws);
        }
    }
}

/// rustls needs a process-wide crypto provider before the first `wss://` handshake (its
/// TLS features come without one); ring builds with `cc` only. A provider installed by the
/// application first is kept.
fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn helper(name: &str, f: impl FnOnce() + Send + 'static) {
    if let Err(e) = std::thread::Builder::new().name(name.into()).spawn(f) {
        // The closure (and its reply sender) is dropped: the session's own timeouts
        // (login deadline, request deadline) take over.
        tracing::warn!(error = %e, "could not start a helper thread");
    }
}

/// The closing handshake, bounded by [`CLOSE_TIMEOUT`].
fn close(mut ws: Ws) {
    let end = Instant::now() + CLOSE_TIMEOUT;
    if let Some(tcp) = tcp(&ws) {
        let _ = tcp.set_read_timeout(Some(Duration::from_millis(50)));
    }
    if ws.close(None).is_err() {
        return;
    }
    while Instant::now() < end {
        match ws.read() {
            Ok(_) => {}
            Err(tungstenite::Error::Io(e))
                if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) =>
            {
                let _ = ws.flush();
            }
            Err(_) => return,
        }
    }
}

/// Close off the driver thread so it never waits for a peer.
fn close_in_background(ws: Ws) {
    helper("livechat-close", move || close(ws));
}

/// DNS, TCP, TLS and the WebSocket handshake, each bounded by `timeout`.
fn connect(
    url: &str,
    config: WebSocketConfig,
    tls: Option<Arc<rustls::ClientConfig>>,
    timeout: Duration,
) -> Result<Ws, String> {
    let request = url.into_client_request().map_err(|e| e.to_string())?;
    let uri = request.uri();
    let host = uri.host().ok_or_else(|| format!("no host in {url}"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']').to_string();
    let port = uri.port_u16().unwrap_or(if uri.scheme_str() == Some("wss") { 443 } else { 80 });
    let addrs = (host.as_str(), port).to_socket_addrs().map_err(|e| format!("resolving {host}: {e}"))?;
    let mut last = format!("no address for {host}");
    let mut stream = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last = format!("connecting to {addr}: {e}"),
        }
    }
    let stream = stream.ok_or(last)?;
    let _ = stream.set_nodelay(true);
    stream.set_read_timeout(Some(timeout)).map_err(|e| e.to_string())?;
    stream.set_write_timeout(Some(WRITE_TIMEOUT)).map_err(|e| e.to_string())?;
    let connector = tls.map(tungstenite::Connector::Rustls);
    match tungstenite::client_tls_with_config(request, stream, Some(config), connector) {
        Ok((ws, _response)) => Ok(ws),
        Err(tungstenite::HandshakeError::Failure(e)) => Err(e.to_string()),
        Err(tungstenite::HandshakeError::Interrupted(_)) => Err("WebSocket handshake timed out".into()),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::net::TcpListener;

    use super::*;

    /// A `wss://` handshake against a server that does not speak TLS fails as an error
    /// (not a panic: the crypto provider is there and the default roots load).
    #[test]
    fn a_failed_tls_handshake_is_an_error() {
        install_crypto_provider();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n");
        });
        let url = format!("wss://127.0.0.1:{}/v3.6/customer/rtm/ws", addr.port());
        match connect(&url, WebSocketConfig::default(), None, Duration::from_secs(5)) {
            Ok(_) => panic!("no TLS server there"),
            Err(err) => assert!(!err.is_empty()),
        }
        server.join().unwrap();
    }
}
