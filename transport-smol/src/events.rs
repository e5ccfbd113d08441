//! Event streams: any number of subscribers, each with a bounded `async-channel` queue.

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use futures_lite::Stream;
use livechat_core::customer::Event;
use livechat_core::hub::{Delivery, EventHub};

/// A stream of events. Overflow policy: when this subscriber has `event_buffer` events
/// waiting, newer ones are dropped for it only and counted in [`EventStream::dropped`];
/// the session and other subscribers never wait for a slow reader. The stream ends once
/// every client handle is gone (the driver task then stops).
pub struct EventStream {
    // async-channel's receiver is `!Unpin`; boxing keeps this stream `Unpin`.
    rx: Pin<Box<async_channel::Receiver<Event>>>,
    dropped: Arc<AtomicU64>,
}

impl EventStream {
    /// Events dropped because this stream was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// The next event; `None` once the client is gone.
    pub async fn next_event(&mut self) -> Option<Event> {
        self.rx.recv().await.ok()
    }
}

impl Stream for EventStream {
    type Item = Event;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        self.rx.as_mut().poll_next(cx)
    }
}

pub(crate) fn subscribe(hub: &Arc<Mutex<EventHub<Event>>>, buffer: usize) -> EventStream {
    let (tx, rx) = async_channel::bounded(buffer.max(1));
    let dropped = Arc::new(AtomicU64::new(0));
    let counter = dropped.clone();
    let mut hub = hub.lock().unwrap_or_else(|p| p.into_inner());
    hub.subscribe(move |e| match tx.try_send(e.clone()) {
        Ok(()) => Delivery::Delivered,
        Err(async_channel::TrySendError::Full(_)) => {
            counter.fetch_add(1, Ordering::Relaxed);
            Delivery::Full
        }
        Err(async_channel::TrySendError::Closed(_)) => Delivery::Closed,
    });
    EventStream { rx: Box::pin(rx), dropped }
}
