//! Event streams: any number of subscribers, each with its own bounded queue (a
//! futures-channel queue that allocates per event, so an idle stream holds no slots).

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use futures_channel::mpsc;
use futures_util::{Stream, StreamExt};
use livechat_core::customer::Event;
use livechat_core::hub::{EventHub, Kinded, Subscription, subscribe_bounded};

/// A stream of events. Overflow policy: when this subscriber has `event_buffer` events
/// waiting, newer ones are dropped for it only and counted in [`EventStream::dropped`];
/// the session and other subscribers never wait for a slow reader. The stream ends once
/// every client handle is gone (the driver task then stops).
///
/// `E` is the session's event type: [`Event`] for a customer client, `AgentEvent` for an
/// agent client ([`crate::AgentEventStream`]).
pub struct EventStream<E = Event> {
    rx: mpsc::UnboundedReceiver<(E, usize)>,
    queue: Subscription,
}

impl<E> EventStream<E> {
    /// Events dropped because this stream was full (by count or by bytes).
    pub fn dropped(&self) -> u64 {
        self.queue.dropped()
    }

    /// The next event; `None` once the client is gone.
    pub async fn next_event(&mut self) -> Option<E> {
        Some(self.queue.took(self.rx.next().await?))
    }
}

impl<E> Stream for EventStream<E> {
    type Item = E;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<E>> {
        let next = self.rx.poll_next_unpin(cx);
        next.map(|got| got.map(|got| self.queue.took(got)))
    }
}

pub(crate) fn subscribe<E>(hub: &Arc<Mutex<EventHub<E>>>, buffer: usize) -> EventStream<E>
where
    E: Kinded + Clone + Send + 'static,
{
    let (tx, rx) = mpsc::unbounded();
    // Unbounded: the only error is a closed stream.
    let queue = subscribe_bounded(hub, buffer, move |got| tx.unbounded_send(got).map_err(drop));
    EventStream { rx, queue }
}
