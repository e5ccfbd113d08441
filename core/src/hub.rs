//! Runtime-agnostic plumbing every transport needs between a session and its callers:
//! the table of callers waiting for a request, and the event hub (`on` / `once` / `off`
//! callbacks plus any number of subscriber queues). Transports plug their own channel types
//! in as closures, so the bookkeeping is written once, here.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::customer::{Event, EventKind, RequestId};
use crate::error::Error;

/// Events that have a kind (for `on(kind, …)`).
pub trait Kinded {
    type Kind: Copy + Eq + Hash + Send + Sync + 'static;
    fn kind(&self) -> Self::Kind;
}

impl Kinded for Event {
    type Kind = EventKind;
    fn kind(&self) -> EventKind {
        Event::kind(self)
    }
}

/// Identifies one registered callback (for `off`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ListenerId(u64);

/// What happened when an event was offered to a subscriber queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Delivered,
    /// The subscriber's bounded queue is full: the event is dropped for that subscriber
    /// only (the subscriber counts it); the session and other subscribers are not slowed.
    Full,
    /// The subscriber is gone: it is removed.
    Closed,
}

type Callback<E> = Arc<dyn Fn(&E) + Send + Sync>;
type Subscriber<E> = Box<dyn FnMut(&E) -> Delivery + Send>;

struct Listener<E: Kinded> {
    id: ListenerId,
    kind: Option<E::Kind>,
    once: bool,
    callback: Callback<E>,
}

/// Callbacks and subscriber queues for one session's events.
pub struct EventHub<E: Kinded> {
    next: u64,
    listeners: Vec<Listener<E>>,
    subscribers: Vec<Subscriber<E>>,
}

impl<E: Kinded> Default for EventHub<E> {
    fn default() -> Self {
        EventHub { next: 0, listeners: Vec::new(), subscribers: Vec::new() }
    }
}

impl<E: Kinded> EventHub<E> {
    fn add(&mut self, kind: Option<E::Kind>, once: bool, callback: Callback<E>) -> ListenerId {
        self.next += 1;
        let id = ListenerId(self.next);
        self.listeners.push(Listener { id, kind, once, callback });
        id
    }

    /// Call `f` for every event of `kind`.
    pub fn on(&mut self, kind: E::Kind, f: impl Fn(&E) + Send + Sync + 'static) -> ListenerId {
        self.add(Some(kind), false, Arc::new(f))
    }

    /// Call `f` for every event (the JS SDK's `'*'`).
    pub fn on_any(&mut self, f: impl Fn(&E) + Send + Sync + 'static) -> ListenerId {
        self.add(None, false, Arc::new(f))
    }

    /// Call `f` for the next event of `kind` only.
    pub fn once(&mut self, kind: E::Kind, f: impl Fn(&E) + Send + Sync + 'static) -> ListenerId {
        self.add(Some(kind), true, Arc::new(f))
    }

    /// Remove one callback; `false` if it was not registered (any more).
    pub fn off(&mut self, id: ListenerId) -> bool {
        let before = self.listeners.len();
        self.listeners.retain(|l| l.id != id);
        self.listeners.len() != before
    }

    /// Remove every callback for `kind`.
    pub fn off_kind(&mut self, kind: E::Kind) {
        self.listeners.retain(|l| l.kind != Some(kind));
    }

    /// Remove every callback and subscriber (what `destroy` does).
    pub fn clear(&mut self) {
        self.listeners.clear();
        self.subscribers.clear();
    }

    /// Add a subscriber queue (a transport wraps its bounded channel's `try_send`).
    pub fn subscribe(&mut self, deliver: impl FnMut(&E) -> Delivery + Send + 'static) {
        self.subscribers.push(Box::new(deliver));
    }

    pub fn listener_count(&self) -> usize {
        self.listeners.len()
    }

    pub fn subscriber_count(&self) -> usize {
        self.subscribers.len()
    }

    /// Callbacks to run for this event, in registration order; `once` callbacks are
    /// removed before they run. Returned rather than called so a transport can run them
    /// outside its locks (a callback may call back into the client).
    pub fn callbacks_for(&mut self, event: &E) -> Vec<Callback<E>> {
        let kind = event.kind();
        let mut out = Vec::new();
        self.listeners.retain(|l| {
            let hit = l.kind.is_none_or(|k| k == kind);
            if hit {
                out.push(l.callback.clone());
            }
            !(hit && l.once)
        });
        out
    }

    /// Offer the event to every subscriber queue, dropping closed ones.
    pub fn deliver(&mut self, event: &E) {
        self.subscribers.retain_mut(|s| s(event) != Delivery::Closed);
    }

    /// `deliver`, then run the callbacks (for transports without locking concerns).
    pub fn emit(&mut self, event: &E) {
        self.deliver(event);
        for cb in self.callbacks_for(event) {
            cb(event);
        }
    }
}

/// `on` / `once` / `off` for any client, written once: a client names its hub and its
/// event type, and gets the callback registration of the JS SDKs.
pub trait Listen {
    type Event: Kinded;

    /// The client's event hub (shared with its driver).
    fn hub(&self) -> &Arc<Mutex<EventHub<Self::Event>>>;

    /// Call `f` for every event of `kind`. Callbacks run on the driver: keep them short
    /// and do not wait in them for a call of the same client.
    fn on(
        &self,
        kind: <Self::Event as Kinded>::Kind,
        f: impl Fn(&Self::Event) + Send + Sync + 'static,
    ) -> ListenerId {
        lock(self.hub()).on(kind, f)
    }

    /// Call `f` for the next event of `kind` only.
    fn once(
        &self,
        kind: <Self::Event as Kinded>::Kind,
        f: impl Fn(&Self::Event) + Send + Sync + 'static,
    ) -> ListenerId {
        lock(self.hub()).once(kind, f)
    }

    /// Call `f` for every event (the JS SDK's `'*'`).
    fn on_any(&self, f: impl Fn(&Self::Event) + Send + Sync + 'static) -> ListenerId {
        lock(self.hub()).on_any(f)
    }

    /// Remove one callback.
    fn off(&self, id: ListenerId) -> bool {
        lock(self.hub()).off(id)
    }

    /// Remove every callback for `kind` (the JS SDKs' `off(name)` without a handler).
    fn off_kind(&self, kind: <Self::Event as Kinded>::Kind) {
        lock(self.hub()).off_kind(kind)
    }
}

pub(crate) fn lock<E: Kinded>(hub: &Arc<Mutex<EventHub<E>>>) -> std::sync::MutexGuard<'_, EventHub<E>> {
    // A callback that panicked poisons nothing we rely on: keep going.
    hub.lock().unwrap_or_else(|p| p.into_inner())
}

type Waiter = Box<dyn FnOnce(Result<Value, Error>) + Send>;

/// Callers waiting for their request to complete.
#[derive(Default)]
pub struct Completions {
    waiting: HashMap<RequestId, Waiter>,
}

impl Completions {
    /// Wait for `id`. If `id` already completed it is never called (ids are unique).
    pub fn wait(&mut self, id: RequestId, done: impl FnOnce(Result<Value, Error>) + Send + 'static) {
        self.waiting.insert(id, Box::new(done));
    }

    /// Hand a completion to its waiter; `false` if nobody waits for it.
    pub fn complete(&mut self, id: RequestId, result: Result<Value, Error>) -> bool {
        match self.waiting.remove(&id) {
            Some(w) => {
                w(result);
                true
            }
            None => false,
        }
    }

    /// Fail every waiter (the driver is gone).
    pub fn fail_all(&mut self, err: &Error) {
        for (_, w) in self.waiting.drain() {
            w(Err(err.clone()));
        }
    }

    pub fn len(&self) -> usize {
        self.waiting.len()
    }

    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[test]
    fn on_once_off_and_any_follow_the_js_semantics() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let mut hub: EventHub<Event> = EventHub::default();
        let s = seen.clone();
        let a = hub.on(EventKind::ConnectionUnstable, move |_| s.lock().unwrap().push("on"));
        let s = seen.clone();
        hub.once(EventKind::ConnectionUnstable, move |_| s.lock().unwrap().push("once"));
        let s = seen.clone();
        hub.on_any(move |e| s.lock().unwrap().push(e.kind().as_str()));
        hub.emit(&Event::ConnectionUnstable);
        hub.emit(&Event::ConnectionUnstable);
        assert!(hub.off(a));
        assert!(!hub.off(a));
        hub.emit(&Event::ConnectionUnstable);
        hub.emit(&Event::ConnectionRecovered);
        assert_eq!(
            *seen.lock().unwrap(),
            vec![
                "on",
                "once",
                "connection_unstable",
                "on",
                "connection_unstable",
                "connection_unstable",
                "connection_recovered"
            ]
        );
    }

    #[test]
    fn full_subscribers_drop_and_closed_ones_are_removed() {
        let mut hub: EventHub<Event> = EventHub::default();
        let got = Arc::new(Mutex::new(0));
        let g = got.clone();
        hub.subscribe(move |_| {
            let mut n = g.lock().unwrap();
            if *n < 2 {
                *n += 1;
                Delivery::Delivered
            } else {
                Delivery::Full
            }
        });
        hub.subscribe(|_| Delivery::Closed);
        assert_eq!(hub.subscriber_count(), 2);
        for _ in 0..5 {
            hub.emit(&Event::ConnectionRecovered);
        }
        assert_eq!(*got.lock().unwrap(), 2);
        assert_eq!(hub.subscriber_count(), 1);
    }

    #[test]
    fn completions_go_to_their_waiter_once() {
        let mut c = Completions::default();
        let out = Arc::new(Mutex::new(None));
        let o = out.clone();
        c.wait(RequestId(7), move |r| *o.lock().unwrap() = Some(r));
        assert!(!c.complete(RequestId(8), Ok(Value::Null)));
        assert!(c.complete(RequestId(7), Ok(Value::Bool(true))));
        assert!(!c.complete(RequestId(7), Ok(Value::Null)));
        assert_eq!(*out.lock().unwrap(), Some(Ok(Value::Bool(true))));
    }
}
