//! The socket as the driver thread holds it: registered with the poller while held, read
//! without blocking, and closed with a bounded handshake off the thread.

use super::*;

pub(super) struct Socket {
    pub(super) conn: ConnectionId,
    pub(super) ws: Ws,
    /// Registered for readability, and that interest not yet used up by an event.
    pub(super) armed: bool,
    /// To be read this round: an event said so, or data may be buffered above the kernel.
    pub(super) readable: bool,
}

/// The TCP stream under the WebSocket (plain or TLS): what the poller watches.
pub(super) fn tcp(ws: &Ws) -> Option<&TcpStream> {
    match ws.get_ref() {
        MaybeTlsStream::Plain(s) => Some(s),
        MaybeTlsStream::Rustls(s) => Some(&s.sock),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

/// Whether rustls holds decrypted data (or the peer's close_notify) that a read returns
/// without the socket becoming readable again.
pub(super) fn tls_buffered(ws: &Ws) -> bool {
    match ws.get_ref() {
        MaybeTlsStream::Rustls(s) => !s.conn.wants_read(),
        _ => false,
    }
}

pub(super) fn set_nonblocking(ws: &Ws, on: bool) -> std::io::Result<()> {
    match tcp(ws) {
        Some(tcp) => tcp.set_nonblocking(on),
        None => Err(std::io::Error::other("no TCP stream under the WebSocket")),
    }
}

/// Take a socket out of the poller, to drop it, close it or hand it to another thread.
pub(super) fn release(poller: &Poller, socket: Socket) -> Ws {
    if let Some(tcp) = tcp(&socket.ws)
        && let Err(e) = poller.delete(tcp)
    {
        // Only possible if it was not registered (or is not a socket at all).
        tracing::debug!(conn = socket.conn.0, error = %e, "could not remove the socket from the poller");
    }
    socket.ws
}

/// The closing handshake, bounded by [`CLOSE_TIMEOUT`].
pub(super) fn close(mut ws: Ws) {
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
pub(super) fn close_in_background(ws: Ws) {
    helper("livechat-close", move || close(ws));
}
