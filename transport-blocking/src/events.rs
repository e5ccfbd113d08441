//! Event receivers: any number of subscribers, each with a bounded queue.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use livechat_core::hub::{Delivery, EventHub, Kinded};

/// A blocking receiver of events, and an [`Iterator`] over them that ends once the client
/// is gone (destroyed, or every handle dropped).
///
/// Overflow policy: when this receiver has `event_buffer` events waiting, newer ones are
/// dropped for it only and counted in [`EventReceiver::dropped`]; the session and the
/// other subscribers never wait for a slow reader.
pub struct EventReceiver<E = livechat_core::customer::Event> {
    rx: mpsc::Receiver<E>,
    dropped: Arc<AtomicU64>,
    /// Events waiting in `rx` (the bound is checked against it; see [`subscribe`]).
    waiting: Arc<AtomicUsize>,
}

impl<E> EventReceiver<E> {
    /// Events dropped because this receiver was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// The next event, waiting for it; `None` once the client is gone.
    pub fn recv(&self) -> Option<E> {
        self.took(self.rx.recv()).ok()
    }

    /// The next event, waiting at most `timeout`.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<E, RecvTimeoutError> {
        self.took(self.rx.recv_timeout(timeout))
    }

    /// The next event if one is waiting.
    pub fn try_recv(&self) -> Result<E, TryRecvError> {
        self.took(self.rx.try_recv())
    }

    /// Count an event taken out of `rx`.
    fn took<X>(&self, got: Result<E, X>) -> Result<E, X> {
        if got.is_ok() {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
        }
        got
    }
}

impl<E> Drop for EventReceiver<E> {
    fn drop(&mut self) {
        // Room again, so the next delivery tries to send, finds the receiver gone and the
        // hub removes this subscriber (a full one would otherwise count drops forever).
        self.waiting.store(0, Ordering::Release);
    }
}

impl<E> Iterator for EventReceiver<E> {
    type Item = E;
    fn next(&mut self) -> Option<E> {
        self.recv()
    }
}

pub(crate) fn subscribe<E>(hub: &Arc<Mutex<EventHub<E>>>, buffer: usize) -> EventReceiver<E>
where
    E: Kinded + Clone + Send + 'static,
{
    // Unbounded underneath, bounded by the count: std's `sync_channel(n)` allocates and
    // initialises all n slots at once (1,024 events ≈ 640 KiB per receiver, measured by
    // `livechat load`); `channel()` grows in small blocks. The hub is the only sender and
    // delivers under its lock, so the bound is exact.
    let (tx, rx) = mpsc::channel();
    let cap = buffer.max(1);
    let waiting = Arc::new(AtomicUsize::new(0));
    let count = waiting.clone();
    let dropped = Arc::new(AtomicU64::new(0));
    let counter = dropped.clone();
    let mut hub = hub.lock().unwrap_or_else(|p| p.into_inner());
    hub.subscribe(move |e: &E| {
        if count.load(Ordering::Acquire) >= cap {
            counter.fetch_add(1, Ordering::Relaxed);
            return Delivery::Full;
        }
        count.fetch_add(1, Ordering::AcqRel);
        match tx.send(e.clone()) {
            Ok(()) => Delivery::Delivered,
            Err(_) => Delivery::Closed,
        }
    });
    EventReceiver { rx, dropped, waiting }
}
