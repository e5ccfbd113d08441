//! A few threads, shared by every client in the process, that perform the HTTP requests
//! (token grants) the async and blocking transports hand them.
//!
//! Why not a thread per request (tokio's blocking pool, a helper thread): 1,000 logins made
//! 47–194 threads of ~90 KiB each, plus glibc arenas that stay. Why not an async HTTP stack
//! per runtime: the requests are a token every few hours per client, and one stack serves
//! three transports. A fixed pool bounds the threads; requests queue behind each other
//! only while all workers are busy (each takes a millisecond or so against a near server).

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, OnceLock};

/// Worker threads: enough that a slow accounts server does not hold every login back.
pub const WORKERS: usize = 4;

type Job = Box<dyn FnOnce() + Send>;

static POOL: OnceLock<Mutex<Sender<Job>>> = OnceLock::new();

fn start() -> Mutex<Sender<Job>> {
    let (tx, rx) = channel::<Job>();
    let rx = Arc::new(Mutex::new(rx));
    for i in 0..WORKERS {
        let rx = rx.clone();
        let spawned = std::thread::Builder::new().name(format!("livechat-http-{i}")).spawn(move || work(&rx));
        if let Err(e) = spawned {
            // Fewer workers; with none at all, `spawn` runs jobs on a thread of their own.
            tracing::warn!(error = %e, "could not start an HTTP worker thread");
        }
    }
    Mutex::new(tx)
}

fn work(rx: &Mutex<Receiver<Job>>) {
    loop {
        let job = match rx.lock() {
            Ok(rx) => rx.recv(),
            Err(poisoned) => poisoned.into_inner().recv(),
        };
        match job {
            // A job that panics must not take the worker with it.
            Ok(job) => drop(std::panic::catch_unwind(std::panic::AssertUnwindSafe(job))),
            Err(_) => return,
        }
    }
}

/// Run `job` on the pool. It reports its own result (through the channel it captured).
pub fn spawn(job: impl FnOnce() + Send + 'static) {
    let pool = POOL.get_or_init(start);
    let sent = match pool.lock() {
        Ok(tx) => tx.send(Box::new(job)),
        Err(poisoned) => poisoned.into_inner().send(Box::new(job)),
    };
    if let Err(std::sync::mpsc::SendError(job)) = sent {
        // No worker could start: run it on a thread of its own rather than drop it.
        if let Err(e) = std::thread::Builder::new().name("livechat-http".into()).spawn(job) {
            tracing::warn!(error = %e, "could not start a thread for an HTTP request");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_run_on_at_most_the_pool_threads_and_a_panic_does_not_stop_them() {
        let (tx, rx) = channel();
        spawn(|| panic!("a failing job"));
        for _ in 0..50 {
            let tx = tx.clone();
            spawn(move || {
                let _ = tx.send(std::thread::current().name().map(str::to_string));
            });
        }
        let names: std::collections::BTreeSet<_> = (0..50).map(|_| rx.recv().unwrap().unwrap()).collect();
        assert!(names.len() <= WORKERS, "{names:?}");
        assert!(names.iter().all(|n| n.starts_with("livechat-http-")), "{names:?}");
    }
}
