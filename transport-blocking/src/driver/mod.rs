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

mod socket;
mod thread;

use thread::Thread;

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
    pub(crate) links: livechat_core::client::SessionLinks,
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
    let links = driver.links();
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
    Spawned { handle: Handle { commands, closed, thread }, hub, links }
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
