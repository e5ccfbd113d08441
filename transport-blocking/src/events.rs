//! Event receivers: any number of subscribers, each with a bounded queue.

use std::sync::mpsc::{self, RecvTimeoutError, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use livechat_core::hub::{EventHub, Kinded, Subscription, subscribe_bounded};

/// A blocking receiver of events, and an [`Iterator`] over them that ends once the client
/// is gone (destroyed, or every handle dropped).
///
/// Overflow policy: when this receiver has `event_buffer` events waiting, newer ones are
/// dropped for it only and counted in [`EventReceiver::dropped`]; the session and the
/// other subscribers never wait for a slow reader.
pub struct EventReceiver<E = livechat_core::customer::Event> {
    rx: mpsc::Receiver<(E, usize)>,
    queue: Subscription,
}

impl<E> EventReceiver<E> {
    /// Events dropped because this receiver was full (by count or by bytes).
    pub fn dropped(&self) -> u64 {
        self.queue.dropped()
    }

    /// The next event, waiting for it; `None` once the client is gone.
    pub fn recv(&self) -> Option<E> {
        self.rx.recv().ok().map(|got| self.queue.took(got))
    }

    /// The next event, waiting at most `timeout`.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<E, RecvTimeoutError> {
        self.rx.recv_timeout(timeout).map(|got| self.queue.took(got))
    }

    /// The next event if one is waiting.
    pub fn try_recv(&self) -> Result<E, TryRecvError> {
        self.rx.try_recv().map(|got| self.queue.took(got))
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
    let (tx, rx) = mpsc::channel();
    let queue = subscribe_bounded(hub, buffer, move |got| tx.send(got).map_err(drop));
    EventReceiver { rx, queue }
}
