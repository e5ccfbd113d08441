//! Hostile servers for the scenarios: one that accepts TCP and never answers, and a proxy in
//! front of the simulator that can stop reading from the client.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Accepts TCP connections and never sends a byte: a WebSocket (or TLS) handshake against
/// it never completes. Counts the connections it accepted and those still open (not yet
/// closed by the client: a read returned 0 or failed).
pub struct StallServer {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    open: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl StallServer {
    pub fn start() -> StallServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the stall server");
        let addr = listener.local_addr().expect("its address");
        let accepted = Arc::new(AtomicUsize::new(0));
        let open = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (a, o, s) = (accepted.clone(), open.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if s.load(Ordering::Relaxed) {
                    return;
                }
                let Ok(mut stream) = stream else { continue };
                a.fetch_add(1, Ordering::SeqCst);
                o.fetch_add(1, Ordering::SeqCst);
                let (o, s) = (o.clone(), s.clone());
                std::thread::spawn(move || {
                    // Read (and drop) whatever comes, until the client closes its end.
                    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
                    let mut buf = [0u8; 4096];
                    loop {
                        match stream.read(&mut buf) {
                            Ok(0) => break,
                            Ok(_) => {}
                            Err(e)
                                if matches!(
                                    e.kind(),
                                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                                ) =>
                            {
                                if s.load(Ordering::Relaxed) {
                                    return;
                                }
                            }
                            Err(_) => break,
                        }
                    }
                    o.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        StallServer { addr, accepted, open, stop }
    }

    /// `ws://127.0.0.1:PORT` (or another scheme).
    pub fn url(&self, scheme: &str) -> String {
        format!("{scheme}://{}", self.addr)
    }

    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// Accepted connections the client has not closed yet.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }

    /// Wait up to `limit` for `f` to hold, checking every few milliseconds.
    pub fn wait_until(&self, limit: Duration, mut f: impl FnMut(&StallServer) -> bool) -> bool {
        let end = Instant::now() + limit;
        while Instant::now() < end {
            if f(self) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        f(self)
    }
}

impl Drop for StallServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

/// A TCP proxy in front of the simulator. [`FreezingProxy::freeze`] makes it stop reading
/// what the client sends on every connection open at the time (it still forwards what the
/// server sends), as a server that stopped reading would; later connections work normally.
/// The proxy's receive buffers are small, so a client writing to a frozen connection
/// blocks after a few hundred KiB at most.
pub struct FreezingProxy {
    addr: SocketAddr,
    /// Connections accepted so far; those numbered below `frozen_below` are frozen.
    accepted: Arc<AtomicUsize>,
    frozen_below: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl FreezingProxy {
    pub fn start(upstream: SocketAddr) -> FreezingProxy {
        use socket2::{Domain, Socket, Type};
        let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
        // Inherited by accepted sockets: a small receive window.
        socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
        let bind: SocketAddr = "127.0.0.1:0".parse().expect("address");
        socket.bind(&bind.into()).expect("bind the proxy");
        socket.listen(64).expect("listen");
        let listener: TcpListener = socket.into();
        let addr = listener.local_addr().expect("its address");
        let accepted = Arc::new(AtomicUsize::new(0));
        let frozen_below = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (a, f, s) = (accepted.clone(), frozen_below.clone(), stop.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if s.load(Ordering::Relaxed) {
                    return;
                }
                let Ok(client) = client else { continue };
                let n = a.fetch_add(1, Ordering::SeqCst);
                let Ok(server) = TcpStream::connect(upstream) else { continue };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                let (Ok(c2), Ok(s2)) = (client.try_clone(), server.try_clone()) else { continue };
                let (f, stop_in, stop_out) = (f.clone(), s.clone(), s.clone());
                std::thread::spawn(move || pump(client, server, Some((n, f)), stop_in));
                std::thread::spawn(move || pump(s2, c2, None, stop_out));
            }
        });
        FreezingProxy { addr, accepted, frozen_below, stop }
    }

    pub fn url(&self) -> String {
        format!("ws://{}", self.addr)
    }

    /// Stop reading from the client on every connection open now.
    pub fn freeze(&self) {
        self.frozen_below.store(self.accepted.load(Ordering::SeqCst), Ordering::SeqCst);
    }

    pub fn connections(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for FreezingProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(self.addr);
    }
}

/// Copy `from` → `to`. With `freeze = Some((n, below))`, stop reading once `n < below`.
fn pump(
    mut from: TcpStream,
    mut to: TcpStream,
    freeze: Option<(usize, Arc<AtomicUsize>)>,
    stop: Arc<AtomicBool>,
) {
    let _ = from.set_read_timeout(Some(Duration::from_millis(50)));
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        if let Some((n, below)) = &freeze
            && *n < below.load(Ordering::SeqCst)
        {
            // Frozen: never read again (the client's writes back up).
            std::thread::sleep(Duration::from_millis(50));
            continue;
        }
        match from.read(&mut buf) {
            Ok(0) => break,
            Ok(k) => {
                if to.write_all(&buf[..k]).is_err() {
                    break;
                }
            }
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(_) => break,
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}
