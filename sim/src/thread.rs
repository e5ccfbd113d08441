//! The simulator on a thread of its own, for programs and tests that run no tokio, and the
//! embedded-or-remote choice every example makes.

use std::net::SocketAddr;

use crate::{Control, Sim, SimConfig};

/// A simulator on its own thread with its own tokio runtime, for tests and programs that
/// do not run tokio themselves (the smol and blocking clients). Dropping it stops it.
pub struct SimThread {
    addr: SocketAddr,
    control: Control,
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SimThread {
    pub fn start(cfg: SimConfig) -> std::io::Result<SimThread> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::Builder::new().name("livechat-sim".into()).spawn(move || {
            let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            rt.block_on(async move {
                match Sim::start(cfg).await {
                    Ok(sim) => {
                        let _ = ready_tx.send(Ok((sim.addr(), sim.control())));
                        let _ = tokio::task::spawn_blocking(move || stop_rx.recv()).await;
                        sim.shutdown().await;
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            });
        })?;
        let (addr, control) = ready_rx
            .recv()
            .map_err(|_| std::io::Error::other("simulator thread ended before it started"))??;
        Ok(SimThread { addr, control, stop: Some(stop_tx), thread: Some(thread) })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// `ws://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("ws://{}", self.addr)
    }
    /// `http://127.0.0.1:PORT`
    pub fn http_url(&self) -> String {
        format!("http://{}", self.addr)
    }
    pub fn control(&self) -> Control {
        self.control.clone()
    }
}

impl Drop for SimThread {
    fn drop(&mut self) {
        self.stop.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Where an example or tool connects: the server at `endpoint` when one is named (a
/// running livechat-sim, `ws://…` / `wss://…`), else a simulator started here.
pub struct Target {
    /// The RTM WebSocket base, `ws://host:port`.
    pub ws_url: String,
    /// The same host over `http://` (`https://` for `wss://`): token endpoint, uploads.
    pub http_url: String,
    /// The simulator started for no endpoint; it stops when this value is dropped.
    pub sim: Option<SimThread>,
}

impl Target {
    pub fn new(endpoint: Option<String>) -> std::io::Result<Target> {
        Ok(match endpoint {
            Some(ws_url) => {
                // `ws` → `http`, `wss` → `https`, as livechat-sim serves both on one port.
                let http_url = ws_url.replacen("ws", "http", 1);
                Target { ws_url, http_url, sim: None }
            }
            None => {
                let sim = SimThread::start(SimConfig::default())?;
                Target { ws_url: sim.url(), http_url: sim.http_url(), sim: Some(sim) }
            }
        })
    }
}
