//! Event receivers: any number of subscribers, each with a bounded queue.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use livechat_core::hub::{Delivery, EVENT_BUFFER_BYTES, EventHub, Kinded, QueueBudget};

/// A blocking receiver of events, and an [`Iterator`] over them that ends once the client
/// is gone (destroyed, or every handle dropped).
///
/// Overflow policy: when this receiver has `event_buffer` events waiting, newer ones are
/// dropped for it only and counted in [`EventReceiver::dropped`]; the session and the
/// other subscribers never wait for a slow reader.
pub struct EventReceiver<E = livechat_core::customer::Event> {
    rx: mpsc::Receiver<(E, usize)>,
    dropped: Arc<AtomicU64>,
    /// The bound (count and bytes) the hub checks before sending; see [`subscribe`].
    budget: Arc<QueueBudget>,
}

impl<E> EventReceiver<E> {
    /// Events dropped because this receiver was full (by count or by bytes).
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

    /// Release the room of an event taken out of `rx`.
    fn took<X>(&self, got: Result<(E, usize), X>) -> Result<E, X> {
        got.map(|(e, weight)| {
            self.budget.release(weight);
            e
        })
    }
}

impl<E> Drop for EventReceiver<E> {
    fn drop(&mut self) {
        // Room again, so the next delivery tries to send, finds the receiver gone and the
        // hub removes this subscriber (a full one would otherwise count drops forever).
        self.budget.reset();
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
    // Unbounded underneath, bounded by the budget (count and bytes): std's
    // `sync_channel(n)` allocates and initialises all n slots at once (1,024 events ≈ 640
    // KiB per receiver, measured by `livechat load`); `channel()` grows in small blocks.
    let (tx, rx) = mpsc::channel();
    let budget = QueueBudget::new(buffer, EVENT_BUFFER_BYTES);
    let room = budget.clone();
    let dropped = Arc::new(AtomicU64::new(0));
    let counter = dropped.clone();
    let mut hub = hub.lock().unwrap_or_else(|p| p.into_inner());
    hub.subscribe(move |e: &E, weight| {
        if !room.admit(weight) {
            counter.fetch_add(1, Ordering::Relaxed);
            return Delivery::Full;
        }
        match tx.send((e.clone(), weight)) {
            Ok(()) => Delivery::Delivered,
            Err(_) => Delivery::Closed,
        }
    });
    EventReceiver { rx, dropped, budget }
}
