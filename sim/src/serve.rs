//! The accept loop: HTTP/1.1 with a header-read timeout (axum::serve has none), WebSocket
//! upgrades, graceful shutdown.
//!
//! A connection that sends no complete request head within [`HEADER_READ_TIMEOUT`] (also between
//! keep-alive requests) is closed by hyper; ordinary requests (token, upload, control API) must
//! be answered within [`REQUEST_TIMEOUT`] (see `http::router`).

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::pin::pin;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Time allowed for a complete request head, from accept (or from the end of the previous
/// response on a keep-alive connection).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);
/// Whole-request limit for the plain HTTP routes, body included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Serves `app` on `listener` until `shutdown` turns true, then lets open HTTP connections
/// finish (WebSocket tasks close themselves on the same signal).
pub(crate) async fn serve(listener: TcpListener, app: Router, mut shutdown: watch::Receiver<bool>) {
    // Every connection task holds a receiver; `closed()` resolves when the last one ends.
    let (conns_tx, conns_rx) = watch::channel(());
    let (stop_tx, _) = watch::channel(false);
    loop {
        tokio::select! {
            r = listener.accept() => match r {
                Ok((tcp, _)) => {
                    // Frames are small and answered at once: no Nagle delay (40 ms per round
                    // trip against delayed ACKs).
                    let _ = tcp.set_nodelay(true);
                    let svc = TowerToHyperService::new(app.clone());
                    let alive = conns_rx.clone();
                    let mut stop = stop_tx.subscribe();
                    tokio::spawn(async move {
                        let mut b = http1::Builder::new();
                        b.timer(TokioTimer::new()).header_read_timeout(HEADER_READ_TIMEOUT).keep_alive(true);
                        let mut conn = pin!(b.serve_connection(TokioIo::new(tcp), svc).with_upgrades());
                        let stopped = tokio::select! {
                            _ = conn.as_mut() => false,
                            _ = async { let _ = stop.wait_for(|v| *v).await; } => true,
                        };
                        if stopped {
                            // Finish the request in flight, then close.
                            conn.as_mut().graceful_shutdown();
                            let _ = conn.as_mut().await;
                        }
                        drop(alive);
                    });
                }
                // Out of file descriptors and the like: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            },
            _ = async { shutdown.wait_for(|v| *v).await.is_ok() } => break,
        }
    }
    drop(listener);
    let _ = stop_tx.send(true);
    drop(conns_rx);
    conns_tx.closed().await;
}
