//! The driver thread's loop: it waits on the poller for the socket and for commands at once,
//! feeds the session and performs its I/O (see the module docs of `driver`).

use super::socket::*;
use super::*;

pub(super) struct Thread<S: Side>
where
    S::Event: Kinded,
    Engine<S>: Ops,
{
    pub(super) driver: ClientCore<S>,
    pub(super) commands: Receiver<Command<CommandOf<S>>>,
    /// Commands in `commands` (see [`Commands`]).
    pub(super) waiting: Arc<AtomicUsize>,
    /// For helper threads to report back (the handles' senders are separate, so the
    /// thread learns of the last handle's drop through [`Handle`]'s flag).
    pub(super) to_self: Commands<CommandOf<S>>,
    pub(super) poller: Arc<Poller>,
    pub(super) closed: Arc<AtomicBool>,
    pub(super) options: DriverOptions,
    pub(super) provider: Option<Arc<dyn IdentityProvider>>,
    pub(super) handshake_timeout: Duration,
    /// Registered with `poller` for as long as it is here: taken out only through
    /// [`release`].
    pub(super) socket: Option<Socket>,
    /// Sockets being opened by helper threads and still wanted by the session, each
    /// cancelled (its socket shut down) when the session gives up on it.
    pub(super) opening: HashMap<ConnectionId, Cancel>,
    /// A batch ran full last round: look again before sleeping.
    pub(super) backlog: bool,
    pub(super) wakeups: Arc<AtomicU64>,
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
    pub(super) fn run(mut self) {
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
                    // On the process's few HTTP threads, not a thread each.
                    livechat_http::pool::spawn(move || {
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
