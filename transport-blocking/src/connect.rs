//! Opening a socket on a helper thread, within a deadline, cancellable by the driver thread.
//!
//! A connect runs DNS, TCP, TLS and the WebSocket handshake on a short-lived helper thread
//! (the driver thread never blocks on a peer). Each step is bounded: TCP by
//! `connect_timeout`, every read of the TLS and WebSocket handshakes by a read timeout of
//! the same length, every write by the write timeout. When the session gives up on the
//! connection first (its login deadline, `disconnect()`, `destroy()`, a newer attempt) the
//! driver thread calls [`Cancel::cancel`]: the socket is shut down under the helper, whose
//! handshake then fails at once, and the helper drops the socket. A server that accepts TCP
//! and never answers therefore holds no socket of ours past the session's deadline.

use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tungstenite::client::IntoClientRequest;
use tungstenite::protocol::WebSocketConfig;

use crate::driver::Ws;

/// The driver thread's hold on a connect running on a helper thread.
#[derive(Clone, Default)]
pub(crate) struct Cancel(Arc<Mutex<CancelState>>);

#[derive(Default)]
struct CancelState {
    cancelled: bool,
    /// A second handle on the helper's socket, to shut it down from the driver thread.
    stream: Option<TcpStream>,
}

impl Cancel {
    fn state(&self) -> std::sync::MutexGuard<'_, CancelState> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The session gave up on this connection: end the handshake now and close the socket.
    pub(crate) fn cancel(&self) {
        let mut state = self.state();
        state.cancelled = true;
        if let Some(stream) = state.stream.take() {
            // Shuts the socket itself down (shared with the helper's handle): the peer sees
            // EOF and the helper's blocked read returns at once.
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    /// The helper has a TCP stream: keep a handle on it, unless already cancelled.
    fn watch(&self, stream: &TcpStream) -> Result<(), String> {
        let mut state = self.state();
        if state.cancelled {
            return Err("connect cancelled".into());
        }
        state.stream = stream.try_clone().ok();
        Ok(())
    }

    /// The helper is done with the handshake (either way): forget the handle. A cancel
    /// that comes now finds nothing to shut down; the driver closes the socket it gets.
    fn finished(&self) -> bool {
        let mut state = self.state();
        state.stream = None;
        state.cancelled
    }
}

/// What a connect is bounded by.
#[derive(Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) connect: Duration,
    pub(crate) write: Duration,
}

/// DNS, TCP, TLS and the WebSocket handshake, each bounded (see the module docs).
pub(crate) fn connect(
    url: &str,
    config: WebSocketConfig,
    tls: Option<Arc<rustls::ClientConfig>>,
    limits: Limits,
    cancel: &Cancel,
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
        match TcpStream::connect_timeout(&addr, limits.connect) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last = format!("connecting to {addr}: {e}"),
        }
    }
    let stream = stream.ok_or(last)?;
    let _ = stream.set_nodelay(true);
    stream.set_read_timeout(Some(limits.connect)).map_err(|e| e.to_string())?;
    stream.set_write_timeout(Some(limits.write)).map_err(|e| e.to_string())?;
    cancel.watch(&stream)?;
    let connector = tls.map(tungstenite::Connector::Rustls);
    let result = match tungstenite::client_tls_with_config(request, stream, Some(config), connector) {
        Ok((ws, _response)) => Ok(ws),
        Err(tungstenite::HandshakeError::Failure(e)) => Err(e.to_string()),
        Err(tungstenite::HandshakeError::Interrupted(_)) => {
            Err(livechat_core::wire::connect_timed_out(limits.connect))
        }
    };
    if cancel.finished() {
        // Dropping the socket closes it.
        return Err("connect cancelled".into());
    }
    result
}

#[cfg(test)]
mod tests {
    use std::io::Read;
    use std::net::TcpListener;

    use super::*;

    /// A handshake blocked on a server that never answers ends as soon as it is cancelled,
    /// and the server sees the socket closed.
    #[test]
    fn a_cancelled_handshake_ends_at_once_and_closes_its_socket() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let cancel = Cancel::default();
        let c = cancel.clone();
        let limits = Limits { connect: Duration::from_secs(60), write: Duration::from_secs(60) };
        let helper = std::thread::spawn(move || {
            connect(&format!("ws://127.0.0.1:{port}/"), WebSocketConfig::default(), None, limits, &c)
        });
        let (mut server, _) = listener.accept().unwrap();
        // Wait until the helper sent its request (it is then blocked reading the answer).
        let mut buf = [0u8; 1024];
        let _ = server.read(&mut buf).unwrap();
        cancel.cancel();
        let result = helper.join().unwrap();
        assert!(result.is_err(), "a cancelled connect fails");
        server.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let n = server.read(&mut buf).expect("EOF, not a timeout");
        assert_eq!(n, 0, "the server sees the socket closed");
    }
}
