//! The driver thread: one std thread owns the socket and the core driver, and sleeps on an
//! OS poller until there is something to do.
//!
//! # Waking for commands
//!
//! The thread blocks in exactly one place, [`Poller::wait`] (the `polling` crate: epoll,
//! kqueue, IOCP — an OS poller, not an async runtime), with the timeout set to the session's
//! next deadline (none: no timeout). Two things can end that wait early:
//!
//! * **The socket.** The open socket's TCP stream (under TLS too) is registered for
//!   readability; at most one socket is registered at a time.
//! * **A command.** Calls from client handles and the results of the helper threads
//!   (connect, HTTP, token) arrive on a channel, and every sender calls
//!   [`Poller::notify`] right after putting a command in it (see [`Commands`]). A
//!   notification made while the thread is not waiting makes its next wait return at once,
//!   so a command sent between the thread's last look at the channel and its next wait is
//!   never left behind.
//!
//! So the thread wakes exactly when there is something to do: a call is taken up at once,
//! and an idle connected client costs nothing until its next keepalive ping. There is no
//! periodic polling.
//!
//! After each wakeup the thread takes the waiting commands, at most [`COMMAND_BATCH`], then,
//! if the socket was reported readable, reads messages until the socket would block, at
//! most [`READ_BATCH`]. If either batch ran full there may be more, and the next wait does
//! not sleep: neither a flood of calls nor a flood of frames starves the other.
//!
//! Details that matter:
//!
//! * **Oneshot interest.** `polling`'s portable mode reports a readable socket once; the
//!   socket is re-armed ([`Poller::modify`]) before the next wait.
//! * **Non-blocking only while reading.** The read loop puts the socket in non-blocking mode
//!   and back to blocking mode before anything is written. Writes (calls, and the closing
//!   handshake on a helper thread) therefore keep their blocking semantics with a write
//!   timeout (`write_timeout`, [`livechat_core::wire::WRITE_TIMEOUT`] by default: a socket that refuses our bytes that long is judged dead),
//!   instead of needing writable interest, a queue of unwritten frames and a stall timer of
//!   their own. tungstenite keeps a partial frame across `WouldBlock`, and keeps a pong (or
//!   the reply to a close) that a non-blocking read could not write; the flush after each
//!   read loop, in blocking mode, sends it.
//! * **Buffered data.** A readable event is about the kernel's buffer, but tungstenite (and,
//!   under `wss://`, rustls) may already hold bytes read from the socket. Reading until
//!   `WouldBlock` takes them, since both hand out what they hold before reading the socket
//!   again; a freshly opened socket is read once before its first event (tungstenite may
//!   have read past the handshake); and if rustls still holds plaintext after the loop, the
//!   next round reads again without waiting.
//! * **Registration.** A socket is deleted from the poller before it is dropped, closed or
//!   handed to a helper thread (what [`Poller::add`] requires).
//!
//! Blocking work never runs on this thread: connecting (DNS, TCP, TLS and the WebSocket
//! handshake), HTTP (token grants), identity providers and the closing handshake each run on
//! a short-lived helper thread that reports back through the command channel.

use std::collections::HashMap;
use std::io::ErrorKind;
use std::net::TcpStream;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{
    Receiver, RecvTimeoutError, Sender, TryRecvError, TrySendError, channel, sync_channel,
};
use std::sync::{Arc, Mutex};
use std::thread::{JoinHandle, ThreadId};
use std::time::{Duration, Instant};

use livechat_core::client::{ClientCore, CommandOf, IoAction, Op, Ops, Tokens, Waiter};
use livechat_core::engine::{ConnectionId, Engine, Side, State};
use livechat_core::http::HttpResponse;
use livechat_core::hub::{EventHub, Kinded};
use livechat_core::token::Token;
use livechat_core::wire::{self, redact};
use livechat_core::{Error, ErrorCode};
use polling::{Event, Events, Poller};
use tungstenite::protocol::WebSocketConfig;
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

use crate::IdentityProvider;
use crate::connect::{Cancel, Limits, connect};

/// What the driver thread needs from a client's options (customer or agent): the transport
/// fields every transport shares.
pub(crate) type DriverOptions = livechat_core::options::TransportOptions<rustls::ClientConfig>;

pub(crate) type Ws = WebSocket<MaybeTlsStream<TcpStream>>;

/// How long the closing handshake may take.
const CLOSE_TIMEOUT: Duration = wire::CLOSE_TIMEOUT;
/// Commands taken per round before the socket is read.
const COMMAND_BATCH: usize = 64;
/// Messages read per round before the commands are looked at again.
const READ_BATCH: usize = 64;
/// The poller key of the open socket (there is at most one).
const SOCKET_KEY: usize = 0;
/// Room for the events of one wait: the socket's, plus what the poller uses internally.
const EVENT_CAPACITY: NonZeroUsize = NonZeroUsize::new(4).expect("not zero");

/// What reaches the driver thread.
pub(crate) enum Command<C> {
    /// A caller's op.
    Op(Op<C>, Waiter),
    /// A helper thread finished connecting.
    Opened(ConnectionId, Box<Ws>),
    OpenFailed(ConnectionId, String),
    Http(u64, Result<HttpResponse, Error>),
    Token(Result<Token, Error>),
    /// The last client handle is gone (see [`Handle`]); also sets `Handle::closed`.
    Shutdown,
}

/// The sending side of the command channel: every command put in it is followed by a
/// notification of the driver thread's poller, which is what wakes the thread.
///
/// The channel is unbounded underneath and bounded by `waiting`: std's `sync_channel(n)`
/// allocates and initialises all n slots at once (1,024 commands per client, measured by
/// `livechat load`), `channel()` grows in small blocks. Callers' ops are refused past
/// `cap` (checked, then counted: with several threads calling at once it can be passed by
/// at most one op per such thread); helper threads' results always go in.
pub(crate) struct Commands<C> {
    tx: Sender<Command<C>>,
    waiting: Arc<AtomicUsize>,
    cap: usize,
    /// `None` only if the poller could not be created; the thread then ends at once.
    poller: Option<Arc<Poller>>,
}

// Not derived: a derive would ask `C: Clone`, and the channel is shared whatever `C` is.
impl<C> Clone for Commands<C> {
    fn clone(&self) -> Self {
        Commands {
            tx: self.tx.clone(),
            waiting: self.waiting.clone(),
            cap: self.cap,
            poller: self.poller.clone(),
        }
    }
}

impl<C> Commands<C> {
    /// Without waiting for room.
    fn try_send(&self, command: Command<C>) -> Result<(), TrySendError<()>> {
        if self.waiting.load(Ordering::Acquire) >= self.cap {
            return Err(TrySendError::Full(()));
        }
        self.waiting.fetch_add(1, Ordering::AcqRel);
        self.tx.send(command).map_err(|_| TrySendError::Disconnected(()))?;
        self.wake();
        Ok(())
    }

    /// Waiting for room (helper threads: their result must arrive). A thread that is gone
    /// needs no result.
    fn send(&self, command: Command<C>) {
        self.waiting.fetch_add(1, Ordering::AcqRel);
        if self.tx.send(command).is_ok() {
            self.wake();
        }
    }

    fn wake(&self) {
        if let Some(poller) = &self.poller
            && let Err(e) = poller.notify()
        {
            // Not expected (an eventfd or pipe write); the thread still wakes for the
            // socket and its timers, and takes the command then.
            tracing::warn!(error = %e, "could not wake the client thread");
        }
    }
}

/// The driver thread, for whoever wants to wait for it to end. Holding it does not keep
/// the client alive.
#[derive(Clone)]
pub struct DriverThread {
    join: Arc<Mutex<Option<JoinHandle<()>>>>,
    id: ThreadId,
    /// How many times the thread has come back from waiting (for the socket, a command or
    /// a timer): what an idle client costs, counted for the tests.
    #[cfg_attr(not(test), allow(dead_code))]
    wakeups: Arc<AtomicU64>,
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

    /// How many times the thread has woken up so far.
    #[cfg(test)]
    pub(crate) fn wakeups(&self) -> u64 {
        self.wakeups.load(Ordering::Relaxed)
    }
}

/// Shared by every clone of a client handle; dropping the last one stops the thread.
pub(crate) struct Handle<C> {
    commands: Commands<C>,
    closed: Arc<AtomicBool>,
    pub(crate) thread: DriverThread,
}

impl<C> Handle<C> {
    /// Hand an op to the driver thread without waiting (`QUEUE_FULL` when the channel is
    /// full, `SDK_DESTROYED` when the thread is gone).
    pub(crate) fn send(&self, command: Command<C>) -> Result<(), Error> {
        self.commands.try_send(command).map_err(|e| match e {
            TrySendError::Full(()) => {
                Error::new(ErrorCode::QueueFull, "too many calls waiting for the client thread")
            }
            TrySendError::Disconnected(()) => destroyed(),
        })
    }
}

impl<C> Drop for Handle<C> {
    fn drop(&mut self) {
        // The flag is what counts; the message and the notification only wake the thread.
        self.closed.store(true, Ordering::Release);
        self.commands.send(Command::Shutdown);
    }
}

pub(crate) fn destroyed() -> Error {
    Error::new(ErrorCode::SdkDestroyed, "SDK destroyed.")
}

/// Carry `op` to the driver thread and block for its decoded result, at most
/// `call_timeout` (shared by the customer and the agent client).
pub(crate) fn exec_on<T: serde::de::DeserializeOwned, C, E: Kinded + Clone>(
    handle: &Handle<C>,
    hub: &Arc<Mutex<EventHub<E>>>,
    call_timeout: Duration,
    what: &'static str,
    op: Op<C>,
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
    handle
        .send(Command::Op(
            op,
            Box::new(move |r| {
                let _ = tx.send(r);
            }),
        ))
        .map_err(
            |e| if e.code == ErrorCode::SdkDestroyed { livechat_core::hub::end_error(hub) } else { e },
        )?;
    let value = match rx.recv_timeout(call_timeout) {
        Ok(r) => r?,
        Err(RecvTimeoutError::Timeout) => {
            return Err(Error::new(
                ErrorCode::RequestTimeout,
                format!("`{what}` got no result within {} ms.", call_timeout.as_millis()),
            ));
        }
        Err(RecvTimeoutError::Disconnected) => return Err(livechat_core::hub::end_error(hub)),
    };
    livechat_core::client::decode(what, value)
}

/// What a client handle needs from its driver.
pub(crate) struct Spawned<C, E: Kinded> {
    pub(crate) handle: Handle<C>,
    pub(crate) hub: Arc<Mutex<EventHub<E>>>,
    pub(crate) token: Arc<Mutex<Option<Token>>>,
}

/// Start the driver thread for `session` (customer or agent).
pub(crate) fn spawn<S>(
    session: Engine<S>,
    tokens: Tokens,
    provider: Option<Arc<dyn IdentityProvider>>,
    options: &DriverOptions,
) -> Spawned<CommandOf<S>, S::Event>
where
    S: Side + Send + 'static,
    S::Event: Kinded + Send + 'static,
    Engine<S>: Ops,
    CommandOf<S>: Send + 'static,
{
    install_crypto_provider();
    let handshake_timeout = session.config().login_timeout;
    let organization_id = session.config().organization_id.clone();
    let driver = ClientCore::new(session, tokens, Instant::now());
    let hub = driver.hub();
    let token = driver.current_token();
    let (tx, rx) = channel();
    let poller = Poller::new().map(Arc::new);
    let waiting = Arc::new(AtomicUsize::new(0));
    let commands = Commands {
        tx,
        waiting: waiting.clone(),
        cap: options.command_buffer.max(1),
        poller: poller.as_ref().ok().cloned(),
    };
    let closed = Arc::new(AtomicBool::new(false));
    let wakeups = Arc::new(AtomicU64::new(0));
    let thread = match poller {
        Ok(poller) => Ok(Thread {
            driver,
            commands: rx,
            waiting,
            to_self: commands.clone(),
            poller,
            closed: closed.clone(),
            options: options.clone(),
            provider,
            handshake_timeout,
            socket: None,
            opening: HashMap::new(),
            backlog: false,
            wakeups: wakeups.clone(),
        }),
        Err(e) => Err((driver, e)),
    };
    let join = std::thread::Builder::new()
        .name("livechat-blocking".into())
        .spawn(move || {
            let span = tracing::debug_span!("livechat", org = %organization_id);
            let _enter = span.enter();
            match thread {
                Ok(thread) => thread.run(),
                Err((mut driver, e)) => {
                    // Out of file descriptors, most likely. The client is born destroyed:
                    // calls fail with `SDK_DESTROYED` instead of waiting for a thread that
                    // could never wake for them.
                    tracing::error!(error = %e, "could not create the OS poller; the client cannot run");
                    let reason =
                        Error::new(ErrorCode::SdkDestroyed, format!("could not create the OS poller: {e}"));
                    driver.shutdown(Instant::now(), &reason);
                    while driver.poll_io().is_some() {}
                }
            }
        })
        .expect("spawn the livechat driver thread");
    let id = join.thread().id();
    let thread = DriverThread { join: Arc::new(Mutex::new(Some(join))), id, wakeups };
    Spawned { handle: Handle { commands, closed, thread }, hub, token }
}

struct Socket {
    conn: ConnectionId,
    ws: Ws,
    /// Registered for readability, and that interest not yet used up by an event.
    armed: bool,
    /// To be read this round: an event said so, or data may be buffered above the kernel.
    readable: bool,
}

struct Thread<S: Side>
where
    S::Event: Kinded,
    Engine<S>: Ops,
{
    driver: ClientCore<S>,
    commands: Receiver<Command<CommandOf<S>>>,
    /// Commands in `commands` (see [`Commands`]).
    waiting: Arc<AtomicUsize>,
    /// For helper threads to report back (the handles' senders are separate, so the
    /// thread learns of the last handle's drop through [`Handle`]'s flag).
    to_self: Commands<CommandOf<S>>,
    poller: Arc<Poller>,
    closed: Arc<AtomicBool>,
    options: DriverOptions,
    provider: Option<Arc<dyn IdentityProvider>>,
    handshake_timeout: Duration,
    /// Registered with `poller` for as long as it is here: taken out only through
    /// [`release`].
    socket: Option<Socket>,
    /// Sockets being opened by helper threads and still wanted by the session, each
    /// cancelled (its socket shut down) when the session gives up on it.
    opening: HashMap<ConnectionId, Cancel>,
    /// A batch ran full last round: look again before sleeping.
    backlog: bool,
    wakeups: Arc<AtomicU64>,
}

enum Flow {
    Go,
    Exit,
}

/// How a read loop ended.
enum ReadEnd {
    /// The socket would block: everything there was is read.
    Drained,
    /// [`READ_BATCH`] messages read; there may be more.
    Budget,
    /// The server closed the WebSocket.
    Closed(Option<u16>, String),
    Failed(String),
}

/// The TCP stream under the WebSocket (plain or TLS): what the poller watches.
fn tcp(ws: &Ws) -> Option<&TcpStream> {
    match ws.get_ref() {
        MaybeTlsStream::Plain(s) => Some(s),
        MaybeTlsStream::Rustls(s) => Some(&s.sock),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

/// Whether rustls holds decrypted data (or the peer's close_notify) that a read returns
/// without the socket becoming readable again.
fn tls_buffered(ws: &Ws) -> bool {
    match ws.get_ref() {
        MaybeTlsStream::Rustls(s) => !s.conn.wants_read(),
        _ => false,
    }
}

fn set_nonblocking(ws: &Ws, on: bool) -> std::io::Result<()> {
    match tcp(ws) {
        Some(tcp) => tcp.set_nonblocking(on),
        None => Err(std::io::Error::other("no TCP stream under the WebSocket")),
    }
}

/// Take a socket out of the poller, to drop it, close it or hand it to another thread.
fn release(poller: &Poller, socket: Socket) -> Ws {
    if let Some(tcp) = tcp(&socket.ws)
        && let Err(e) = poller.delete(tcp)
    {
        // Only possible if it was not registered (or is not a socket at all).
        tracing::debug!(conn = socket.conn.0, error = %e, "could not remove the socket from the poller");
    }
    socket.ws
}

impl<S: Side> Drop for Thread<S>
where
    S::Event: Kinded,
    Engine<S>: Ops,
{
    /// The socket leaves the poller before it is dropped on every path, unwinding included.
    fn drop(&mut self) {
        if let Some(socket) = self.socket.take() {
            drop(release(&self.poller, socket));
        }
    }
}

impl<S> Thread<S>
where
    S: Side + Send + 'static,
    S::Event: Kinded + Send + 'static,
    Engine<S>: Ops,
    CommandOf<S>: Send + 'static,
{
    fn run(mut self) {
        let mut events = Events::with_capacity(EVENT_CAPACITY);
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
            if let Flow::Exit = self.wait(&mut events, now, deadline) {
                break;
            }
        }
        self.finish();
    }

    /// Sleep until the socket is readable, a command arrives or `deadline`; then take the
    /// commands and read the socket.
    fn wait(&mut self, events: &mut Events, now: Instant, deadline: Option<Instant>) -> Flow {
        if let Err((conn, e)) = self.arm() {
            // Back to the top of the loop: the session reacts to the lost socket.
            self.socket_failed(conn, &format!("watching the socket: {e}"));
            return Flow::Go;
        }
        let timeout = if std::mem::take(&mut self.backlog) {
            Some(Duration::ZERO)
        } else {
            deadline.map(|d| d.saturating_duration_since(now))
        };
        events.clear();
        if let Err(e) = self.poller.wait(events, timeout) {
            // Interruptions are retried inside; anything else would fail again at once,
            // and a thread that cannot wait cannot run the client.
            tracing::error!(error = %e, "waiting on the OS poller failed; ending the client");
            return Flow::Exit;
        }
        self.wakeups.fetch_add(1, Ordering::Relaxed);
        if events.iter().any(|e| e.key == SOCKET_KEY)
            && let Some(socket) = self.socket.as_mut()
        {
            socket.armed = false;
            socket.readable = true;
        }
        if let Flow::Exit = self.take_commands() {
            return Flow::Exit;
        }
        self.read_socket();
        Flow::Go
    }

    /// Renew the socket's interest in readability if an event used it up.
    fn arm(&mut self) -> Result<(), (ConnectionId, std::io::Error)> {
        let Some(socket) = self.socket.as_mut().filter(|s| !s.armed) else { return Ok(()) };
        let result = match tcp(&socket.ws) {
            Some(tcp) => self.poller.modify(tcp, Event::readable(SOCKET_KEY)),
            None => Err(std::io::Error::other("no TCP stream under the WebSocket")),
        };
        result.map_err(|e| (socket.conn, e))?;
        socket.armed = true;
        Ok(())
    }

    /// At most a batch of commands, so a flood of calls cannot starve the socket.
    fn take_commands(&mut self) -> Flow {
        for _ in 0..COMMAND_BATCH {
            match self.commands.try_recv() {
                Ok(cmd) => {
                    self.waiting.fetch_sub(1, Ordering::AcqRel);
                    if let Flow::Exit = self.handle(cmd) {
                        return Flow::Exit;
                    }
                    // Perform what the command asked for before taking the next one.
                    self.perform_io();
                }
                Err(TryRecvError::Empty) => return Flow::Go,
                Err(TryRecvError::Disconnected) => return Flow::Exit,
            }
        }
        self.backlog = true;
        Flow::Go
    }

    /// Read messages until the socket would block, at most a batch, if it is due.
    fn read_socket(&mut self) {
        let Some(socket) = self.socket.as_mut().filter(|s| s.readable) else { return };
        socket.readable = false;
        let conn = socket.conn;
        // Until the loop ends otherwise: a whole batch read.
        let mut end = match set_nonblocking(&socket.ws, true) {
            Ok(()) => ReadEnd::Budget,
            Err(e) => ReadEnd::Failed(format!("making the socket non-blocking: {e}")),
        };
        if let ReadEnd::Budget = end {
            for _ in 0..READ_BATCH {
                match socket.ws.read() {
                    Ok(Message::Text(text)) => {
                        if self.options.debug_frames {
                            tracing::debug!(conn = conn.0, frame = %redact(&text), "recv");
                        }
                        // Anything the session wants written waits in its queue until
                        // the socket blocks again (the top of the loop performs it).
                        self.driver.handle_frame(Instant::now(), conn, &text);
                    }
                    Ok(Message::Close(frame)) => {
                        let (code, reason) = frame
                            .map(|f| (Some(u16::from(f.code)), f.reason.to_string()))
                            .unwrap_or_default();
                        end = ReadEnd::Closed(code, reason);
                        break;
                    }
                    // Pings are answered by tungstenite; binary frames are not part of RTM.
                    Ok(_) => {}
                    Err(tungstenite::Error::Io(e)) if e.kind() == ErrorKind::WouldBlock => {
                        end = ReadEnd::Drained;
                        break;
                    }
                    Err(tungstenite::Error::Io(e)) if e.kind() == ErrorKind::Interrupted => {}
                    Err(e) => {
                        end = ReadEnd::Failed(e.to_string());
                        break;
                    }
                }
            }
        }
        // Blocking again before anything is written, then write what tungstenite could
        // not while reading (a pong, the reply to a close).
        let end = match (end, set_nonblocking(&socket.ws, false)) {
            (end @ (ReadEnd::Closed(..) | ReadEnd::Failed(_)), _) => end,
            (_, Err(e)) => ReadEnd::Failed(format!("making the socket blocking: {e}")),
            (end, Ok(())) => match socket.ws.flush() {
                Ok(()) => end,
                Err(e) => ReadEnd::Failed(e.to_string()),
            },
        };
        match end {
            ReadEnd::Drained if tls_buffered(&socket.ws) => {
                socket.readable = true;
                self.backlog = true;
            }
            ReadEnd::Drained => {}
            ReadEnd::Budget => {
                socket.readable = true;
                self.backlog = true;
            }
            ReadEnd::Closed(code, reason) => {
                // tungstenite queued the close reply: the bounded closing handshake sends it
                // off this thread, as after our own Close and in the async transports.
                if let Some(socket) = self.socket.take() {
                    close_in_background(release(&self.poller, socket));
                }
                tracing::debug!(conn = conn.0, ?code, %reason, "closed by the server");
                self.driver.handle_closed(Instant::now(), conn, code, &reason);
            }
            ReadEnd::Failed(reason) => self.socket_failed(conn, &reason),
        }
    }

    /// Drop the socket (it is not worth a closing handshake) and tell the session.
    fn socket_failed(&mut self, conn: ConnectionId, reason: &str) {
        if let Some(socket) = self.socket.take() {
            drop(release(&self.poller, socket));
        }
        tracing::debug!(conn = conn.0, error = %reason, "socket failed");
        self.driver.handle_closed(Instant::now(), conn, None, reason);
    }

    /// Watch a socket a helper thread opened; then it is the thread's.
    fn adopt(&mut self, conn: ConnectionId, ws: Box<Ws>) -> Result<(), (Box<Ws>, std::io::Error)> {
        let Some(tcp) = tcp(&ws) else {
            return Err((ws, std::io::Error::other("no TCP stream under the WebSocket")));
        };
        // SAFETY: `Poller::add` requires the source to be deleted from the poller before it
        // is dropped. The stream goes into `self.socket` right below and leaves it only
        // through `release` (`socket_failed`, `read_socket` on a close, the `Close` action,
        // a newer socket in `handle`, `finish`, and `Drop for Thread` on any other way
        // out, unwinding included), which deletes it first; moving the `Ws` does not change
        // the socket the poller knows.
        if let Err(e) = unsafe { self.poller.add(tcp, Event::readable(SOCKET_KEY)) } {
            return Err((ws, e));
        }
        // Read once before the first event: tungstenite may hold bytes that came with the
        // handshake's response.
        self.socket = Some(Socket { conn, ws: *ws, armed: true, readable: true });
        Ok(())
    }

    fn handle(&mut self, cmd: Command<CommandOf<S>>) -> Flow {
        let now = Instant::now();
        match cmd {
            Command::Op(op, done) => self.driver.submit(now, op, done),
            Command::Opened(conn, ws) => {
                if self.opening.remove(&conn).is_some() {
                    if let Some(old) = self.socket.take() {
                        close_in_background(release(&self.poller, old));
                    }
                    match self.adopt(conn, ws) {
                        Ok(()) => self.driver.handle_open(now, conn),
                        Err((ws, e)) => {
                            close_in_background(*ws);
                            let reason = format!("watching the socket: {e}");
                            tracing::debug!(conn = conn.0, %reason, "connect failed");
                            self.driver.handle_closed(now, conn, None, &reason);
                        }
                    }
                } else {
                    // The session gave up on this socket while it was being opened.
                    close_in_background(*ws);
                }
            }
            Command::OpenFailed(conn, reason) => {
                // The reason (DNS, refused, TLS, timeout …) goes to the session as is.
                tracing::debug!(conn = conn.0, %reason, "connect failed");
                if self.opening.remove(&conn).is_some() {
                    self.driver.handle_closed(now, conn, None, &reason);
                }
            }
            Command::Http(id, result) => self.driver.handle_http(now, id, result),
            Command::Token(result) => self.driver.handle_token(now, result),
            Command::Shutdown => return Flow::Exit,
        }
        Flow::Go
    }

    /// Carry out everything the core asked for. The socket is in blocking mode here.
    fn perform_io(&mut self) {
        while let Some(action) = self.driver.poll_io() {
            match action {
                IoAction::Open { conn, url } => {
                    tracing::debug!(%url, conn = conn.0, "connecting");
                    // A newer connection replaces any attempt still running.
                    self.cancel_connects();
                    let cancel = Cancel::default();
                    self.opening.insert(conn, cancel.clone());
                    let tx = self.to_self.clone();
                    let config = WebSocketConfig::default()
                        .read_buffer_size(livechat_core::wire::SOCKET_READ_BUFFER)
                        .max_message_size(Some(self.options.max_message_size))
                        .max_frame_size(Some(self.options.max_message_size));
                    let tls = self.options.tls.clone();
                    let limits =
                        Limits { connect: self.handshake_timeout, write: self.options.write_timeout };
                    helper("livechat-connect", move || {
                        let msg = match connect(&url, config, tls, limits, &cancel) {
                            Ok(ws) => Command::Opened(conn, Box::new(ws)),
                            Err(e) => Command::OpenFailed(conn, e),
                        };
                        tx.send(msg);
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
                        let reason = match e {
                            tungstenite::Error::Io(e)
                                if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) =>
                            {
                                wire::write_timed_out(self.options.write_timeout)
                            }
                            e => format!("send failed: {e}"),
                        };
                        self.socket_failed(conn, &reason);
                    }
                }
                IoAction::Close { conn } => {
                    if let Some(cancel) = self.opening.remove(&conn) {
                        cancel.cancel();
                    }
                    if self.socket.as_ref().is_some_and(|s| s.conn == conn)
                        && let Some(s) = self.socket.take()
                    {
                        close_in_background(release(&self.poller, s));
                    }
                }
                IoAction::Http { id, request } => {
                    let tx = self.to_self.clone();
                    helper("livechat-http", move || {
                        let result = livechat_http::execute(&request, Default::default());
                        tx.send(Command::Http(id, result));
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
                        tx.send(Command::Token(result));
                    });
                }
            }
        }
    }

    /// Cancel every connect still running on a helper thread.
    fn cancel_connects(&mut self) {
        for (_, cancel) in self.opening.drain() {
            cancel.cancel();
        }
    }

    /// Every handle is gone or the session is destroyed: fail waiting callers, end the
    /// event receivers, cancel connects, close the socket (bounded) and let the thread end.
    fn finish(mut self) {
        tracing::debug!("driver thread ending");
        let end = self.driver.end_error();
        self.driver.shutdown(Instant::now(), &end);
        while self.driver.poll_io().is_some() {}
        self.cancel_connects();
        if let Some(s) = self.socket.take() {
            close(release(&self.poller, s));
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
        // Blocking reads with a short timeout (a socket left non-blocking would make the
        // loop below spin).
        let _ = tcp.set_nonblocking(false);
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

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::net::TcpListener;

    use livechat_core::customer::Event;

    use super::*;
    use crate::{CustomerApi, CustomerClient, CustomerOptions, Identity};

    /// An idle connected client sleeps until something happens, and a call wakes it at
    /// once. Every session timer is ten minutes away, so during the test nothing but a
    /// command (the connect's helper threads reporting back, the calls, the last handle's
    /// drop) or the socket can wake the thread: a thread that waited for a timer, or for a
    /// read timeout, before looking at its commands would time the calls out or show up in
    /// the idle count. The window is a sleep, but what is asserted is a count of wakeups,
    /// which does not depend on how fast the machine is.
    #[test]
    fn an_idle_client_sleeps_and_a_call_wakes_it() {
        const LIMIT: Duration = Duration::from_secs(20);
        const CALLS: u64 = 20;
        let env = livechat_scenarios::Env::new("wake");
        let config = env.quiet_config();
        let client = CustomerClient::start(config, CustomerOptions::new(Identity::Grant(env.cookie_grant())))
            .with_call_timeout(LIMIT);
        let events = client.events();
        client.connect().expect("connect");
        loop {
            match events.recv_timeout(LIMIT) {
                Ok(Event::Connected(_)) => break,
                Ok(_) => {}
                Err(e) => panic!("waiting for connected: {e}"),
            }
        }
        client.get_customer().expect("a first call");

        let thread = client.driver_thread();
        let before = thread.wakeups();
        std::thread::sleep(Duration::from_millis(300));
        let idle = thread.wakeups() - before;
        // Zero, give or take a spurious return from the OS.
        assert!(idle <= 2, "an idle connected client woke up {idle} times in 300 ms");

        let before = thread.wakeups();
        for i in 0..CALLS {
            client.get_customer().unwrap_or_else(|e| panic!("call {i}: {e}"));
        }
        // One wakeup for the call, one for its answer.
        let woke = thread.wakeups() - before;
        assert!(woke <= 3 * CALLS, "{CALLS} calls woke the thread {woke} times");

        // The last handle's drop wakes the thread too.
        drop(events);
        let (done, ended) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            thread.join();
            let _ = done.send(());
        });
        drop(client);
        ended.recv_timeout(LIMIT).expect("the thread ends when the last handle is dropped");
    }

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
        let limits = Limits { connect: Duration::from_secs(5), write: Duration::from_secs(5) };
        match connect(&url, WebSocketConfig::default(), None, limits, &Cancel::default()) {
            Ok(_) => panic!("no TLS server there"),
            Err(err) => assert!(!err.is_empty()),
        }
        server.join().unwrap();
    }
}
