//! Event streams: any number of subscribers, each with a bounded `async-channel` queue.

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use futures_util::Stream;
use livechat_core::customer::Event;
use livechat_core::hub::{Delivery, EVENT_BUFFER_BYTES, EventHub, Kinded, QueueBudget};

/// A stream of events. Overflow policy: when this subscriber has `event_buffer` events
/// waiting, newer ones are dropped for it only and counted in [`EventStream::dropped`];
/// the session and other subscribers never wait for a slow reader. The stream ends once
/// every client handle is gone (the driver task then stops).
///
/// `E` is the session's event type: [`Event`] for a customer client, `AgentEvent` for an
/// agent client ([`crate::AgentEventStream`]).
pub struct EventStream<E = Event> {
    // async-channel's receiver is `!Unpin`; boxing keeps this stream `Unpin`.
    rx: Pin<Box<async_channel::Receiver<(E, usize)>>>,
    budget: Arc<QueueBudget>,
    dropped: Arc<AtomicU64>,
}

impl<E> EventStream<E> {
    /// Events dropped because this stream was full (by count or by bytes).
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// The next event; `None` once the client is gone.
    pub async fn next_event(&mut self) -> Option<E> {
        let (e, weight) = self.rx.recv().await.ok()?;
        self.budget.release(weight);
        Some(e)
    }
}

impl<E> Drop for EventStream<E> {
    fn drop(&mut self) {
        self.budget.reset();
    }
}

impl<E> Stream for EventStream<E> {
    type Item = E;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<E>> {
        match self.rx.as_mut().poll_next(cx) {
            Poll::Ready(Some((e, weight))) => {
                self.budget.release(weight);
                Poll::Ready(Some(e))
            }
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

pub(crate) fn subscribe<E>(hub: &Arc<Mutex<EventHub<E>>>, buffer: usize) -> EventStream<E>
where
    E: Kinded + Clone + Send + 'static,
{
    // Unbounded underneath, bounded by the budget (count and bytes): async-channel's
    // bounded channel initialises all `buffer` slots at once (1,024 events ≈ 600 KiB per
    // stream, measured by `livechat load`).
    let (tx, rx) = async_channel::unbounded();
    let budget = QueueBudget::new(buffer, EVENT_BUFFER_BYTES);
    let room = budget.clone();
    let dropped = Arc::new(AtomicU64::new(0));
    let counter = dropped.clone();
    let mut hub = hub.lock().unwrap_or_else(|p| p.into_inner());
    hub.subscribe(move |e, weight| {
        // A full stream whose reader is gone must still be removed, not count drops forever.
        if tx.is_closed() {
            return Delivery::Closed;
        }
        if !room.admit(weight) {
            counter.fetch_add(1, Ordering::Relaxed);
            return Delivery::Full;
        }
        // Unbounded: the only error is a closed stream.
        match tx.try_send((e.clone(), weight)) {
            Ok(()) => Delivery::Delivered,
            Err(_) => Delivery::Closed,
        }
    });
    EventStream { rx: Box::pin(rx), budget, dropped }
}
