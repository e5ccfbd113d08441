//! Event receivers: any number of subscribers, each with a bounded queue.

use std::sync::atomic::{AtomicU64, Ordering};
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
}

impl<E> EventReceiver<E> {
    /// Events dropped because this receiver was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// The next event, waiting for it; `None` once the client is gone.
    pub fn recv(&self) -> Option<E> {
        self.rx.recv().ok()
    }

    /// The next event, waiting at most `timeout`.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<E, RecvTimeoutError> {
        self.rx.recv_timeout(timeout)
    }

    /// The next event if one is waiting.
    pub fn try_recv(&self) -> Result<E, TryRecvError> {
        self.rx.try_recv()
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
    let (tx, rx) = mpsc::sync_channel(buffer.max(1));
    let dropped = Arc::new(AtomicU64::new(0));
    let counter = dropped.clone();
    let mut hub = hub.lock().unwrap_or_else(|p| p.into_inner());
    hub.subscribe(move |e: &E| match tx.try_send(e.clone()) {
        Ok(()) => Delivery::Delivered,
        Err(mpsc::TrySendError::Full(_)) => {
            counter.fetch_add(1, Ordering::Relaxed);
            Delivery::Full
        }
        Err(mpsc::TrySendError::Disconnected(_)) => Delivery::Closed,
    });
    EventReceiver { rx, dropped }
}
