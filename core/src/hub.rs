//! Runtime-agnostic plumbing every transport needs between a session and its callers:
//! the table of callers waiting for a request, and the event hub (`on` / `once` / `off`
//! callbacks plus any number of subscriber queues). Transports plug their own channel types
//! in as closures, so the bookkeeping is written once, here.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::engine::RequestId;
use crate::error::Error;

/// Events that have a kind (for `on(kind, …)`).
pub trait Kinded {
    type Kind: Copy + Eq + Hash + Send + Sync + 'static;
    fn kind(&self) -> Self::Kind;
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
/// A subscriber queue's sender: takes the event by value (the last subscriber gets the
/// event itself, the others a clone).
type Subscriber<E> = Box<dyn FnMut(E, usize) -> Delivery + Send>;

struct Listener<E: Kinded> {
    id: ListenerId,
    kind: Option<E::Kind>,
    once: bool,
    callback: Callback<E>,
}

/// Events kept for the first listener, at most (the oldest go first).
pub const BACKLOG: usize = 32;

/// Estimated bytes one subscriber queue may hold (see [`QueueBudget`]): with the count
/// bound (`event_buffer`, 1,024 events) this keeps a reader that stops reading from
/// holding more than about this much memory, whatever the server sends.
pub const EVENT_BUFFER_BYTES: usize = 16 * 1024 * 1024;

/// The weight of an event that came out of a frame of `frame_len` bytes (0 for events the
/// session makes itself): an estimate of the memory it holds. Decoded JSON is larger than
/// its text (typed events about 2×; see `wire::MAX_UNKNOWN_PAYLOAD` for raw ones).
pub fn event_weight<E>(frame_len: usize) -> usize {
    std::mem::size_of::<E>() + frame_len.saturating_mul(2)
}

/// The bound of one subscriber queue, by count and by estimated bytes, shared between the
/// hub's side (which admits events) and the reader (which releases them). Every transport
/// uses it, so the policy is written once: a full queue drops the newest events for that
/// reader only; an empty queue always takes one event, however heavy.
#[derive(Debug)]
pub struct QueueBudget {
    max_events: usize,
    max_bytes: usize,
    events: std::sync::atomic::AtomicUsize,
    bytes: std::sync::atomic::AtomicUsize,
}

impl QueueBudget {
    pub fn new(max_events: usize, max_bytes: usize) -> Arc<QueueBudget> {
        Arc::new(QueueBudget {
            max_events: max_events.max(1),
            max_bytes,
            events: Default::default(),
            bytes: Default::default(),
        })
    }

    /// Reserve room for one event of `weight`; `false` when the queue is full. The hub is
    /// the only producer and delivers under its lock, so the check is exact.
    pub fn admit(&self, weight: usize) -> bool {
        use std::sync::atomic::Ordering::AcqRel;
        let events = self.events.load(std::sync::atomic::Ordering::Acquire);
        let bytes = self.bytes.load(std::sync::atomic::Ordering::Acquire);
        if events >= self.max_events || (events > 0 && bytes.saturating_add(weight) > self.max_bytes) {
            return false;
        }
        self.events.fetch_add(1, AcqRel);
        self.bytes.fetch_add(weight, AcqRel);
        true
    }

    /// The reader took an event of `weight` out of the queue.
    pub fn release(&self, weight: usize) {
        use std::sync::atomic::Ordering::AcqRel;
        let _ = self
            .events
            .fetch_update(AcqRel, std::sync::atomic::Ordering::Acquire, |n| Some(n.saturating_sub(1)));
        let _ = self
            .bytes
            .fetch_update(AcqRel, std::sync::atomic::Ordering::Acquire, |n| Some(n.saturating_sub(weight)));
    }

    /// The reader is gone: room again, so the next delivery finds the queue closed and the
    /// hub removes it (a full one would otherwise count drops forever).
    pub fn reset(&self) {
        use std::sync::atomic::Ordering::Release;
        self.events.store(0, Release);
        self.bytes.store(0, Release);
    }

    /// Events waiting.
    pub fn len(&self) -> usize {
        self.events.load(std::sync::atomic::Ordering::Acquire)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The reader's half of a bounded subscriber queue ([`subscribe_bounded`]): what a
/// transport's event stream keeps besides its channel receiver.
#[derive(Debug)]
pub struct Subscription {
    budget: Arc<QueueBudget>,
    dropped: Arc<std::sync::atomic::AtomicU64>,
}

impl Subscription {
    /// Events dropped because this queue was full (by count or by bytes).
    pub fn dropped(&self) -> u64 {
        self.dropped.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The reader took an event out of its channel: its room is free again.
    pub fn took<E>(&self, (event, weight): (E, usize)) -> E {
        self.budget.release(weight);
        event
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        // Room again, so the next delivery tries to send, finds the reader gone and the hub
        // removes this subscriber (a full one would otherwise count drops forever).
        self.budget.reset();
    }
}

/// Subscribe a queue of at most `buffer` events and [`EVENT_BUFFER_BYTES`] to `hub`, every
/// transport's event stream: `send` puts an event and its weight in the transport's own
/// (unbounded) channel, `Err` once the reader is gone. Unbounded channels underneath
/// because the bounded ones of std and async-channel allocate every slot up front (1,024
/// events ≈ 600 KiB per stream, measured by `livechat load`); the bound is kept here.
pub fn subscribe_bounded<E: Kinded + Clone + Send + 'static>(
    hub: &Arc<Mutex<EventHub<E>>>,
    buffer: usize,
    send: impl Fn((E, usize)) -> Result<(), ()> + Send + 'static,
) -> Subscription {
    let budget = QueueBudget::new(buffer, EVENT_BUFFER_BYTES);
    let dropped = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let (room, counter) = (budget.clone(), dropped.clone());
    lock(hub).subscribe(move |e: E, weight| {
        if !room.admit(weight) {
            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return Delivery::Full;
        }
        match send((e, weight)) {
            Ok(()) => Delivery::Delivered,
            Err(()) => Delivery::Closed,
        }
    });
    Subscription { budget, dropped }
}

/// Callbacks and subscriber queues for one session's events.
///
/// # Nothing lost before the first listener
///
/// A client starts connecting as soon as it is built, on the driver's thread or task, so a
/// fast login can emit its first events before the code that built the client attached a
/// listener (`events()`, `on`, …). (The JS SDKs cannot lose them: their listeners attach in
/// the same tick.) Until the first listener or subscriber is attached, the hub keeps up to
/// [`BACKLOG`] events and hands them to that first one: a subscriber queue receives all of
/// them, a callback the ones it matches, run by [`Listen`] on the registering thread before
/// `on` returns. After that nothing is kept: later listeners see later events only.
pub struct EventHub<E: Kinded> {
    next: u64,
    listeners: Vec<Listener<E>>,
    subscribers: Vec<Subscriber<E>>,
    /// `Some` until the first listener or subscriber.
    backlog: Option<VecDeque<(E, usize)>>,
    /// Backlog events a new callback still has to be run with (see [`EventHub::take_replay`]).
    replay: Vec<(Callback<E>, E)>,
    /// Closed for good ([`EventHub::close`]): nothing registers any more.
    closed: bool,
    /// What calls get once the hub is closed (the session's cause, or `SDK_DESTROYED`).
    end: Option<Error>,
}

impl<E: Kinded> Default for EventHub<E> {
    fn default() -> Self {
        EventHub {
            next: 0,
            listeners: Vec::new(),
            subscribers: Vec::new(),
            backlog: Some(VecDeque::new()),
            replay: Vec::new(),
            closed: false,
            end: None,
        }
    }
}

impl<E: Kinded + Clone> EventHub<E> {
    fn add(&mut self, kind: Option<E::Kind>, once: bool, callback: Callback<E>) -> ListenerId {
        self.next += 1;
        let id = ListenerId(self.next);
        if self.closed {
            // The client is destroyed: no event will ever come.
            return id;
        }
        let mut keep = true;
        for (e, _) in self.backlog.take().unwrap_or_default() {
            if keep && kind.is_none_or(|k| k == e.kind()) {
                self.replay.push((callback.clone(), e));
                keep = !once;
            }
        }
        if keep {
            self.listeners.push(Listener { id, kind, once, callback });
        }
        id
    }

    /// Backlog events owed to the callback just added, to run outside the lock.
    pub fn take_replay(&mut self) -> Vec<(Callback<E>, E)> {
        std::mem::take(&mut self.replay)
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

    /// Remove every callback (of every kind, `on_any` ones included); event streams stay.
    pub fn off_all(&mut self) {
        self.listeners.clear();
    }

    /// Remove every callback and subscriber. Later ones are still taken.
    pub fn clear(&mut self) {
        self.listeners.clear();
        self.subscribers.clear();
        self.backlog = None;
        self.replay.clear();
    }

    /// Close the hub for good (what `destroy` does, and what a session that destroyed
    /// itself gets): every callback and subscriber is removed, so each subscriber queue
    /// loses its sender and its stream ends; callbacks and subscribers added later are
    /// dropped at once (a stream taken after `destroy` ends at once too).
    pub fn close(&mut self) {
        self.clear();
        self.closed = true;
    }

    /// Close the hub and remember why the session ended: calls made afterwards fail with
    /// `cause` ([`EventHub::end_error`]), not with a bare `SDK_DESTROYED`.
    pub fn close_with(&mut self, cause: Error) {
        self.close();
        self.end = Some(cause);
    }

    /// The error a call gets when the client's driver is gone: the session's cause if it
    /// ended for one (`CUSTOMER_BANNED`, `AUTHENTICATION`, …), else `SDK_DESTROYED`.
    pub fn end_error(&self) -> Error {
        self.end.clone().unwrap_or_else(Error::destroyed)
    }

    /// Whether [`EventHub::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Add a subscriber queue (a transport wraps its bounded channel's `try_send`; the
    /// closure owns the channel's only sender, so dropping it ends the subscriber's stream).
    /// The first one receives the backlog first. On a closed hub the closure is dropped at
    /// once.
    /// `deliver` gets each event with its weight (see [`QueueBudget`]).
    pub fn subscribe(&mut self, mut deliver: impl FnMut(E, usize) -> Delivery + Send + 'static) {
        if self.closed {
            return;
        }
        for (e, weight) in self.backlog.take().unwrap_or_default() {
            deliver(e, weight);
        }
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

    /// Offer the event to every subscriber queue, dropping closed ones. `weight` estimates
    /// the bytes the event holds (see [`event_weight`]).
    pub fn deliver(&mut self, event: &E, weight: usize) {
        // Nobody to hand a copy to: no clone.
        if self.closed || (self.backlog.is_none() && self.subscribers.is_empty()) {
            return;
        }
        self.deliver_owned(event.clone(), weight);
    }

    /// [`EventHub::deliver`] of an event the caller gives up: the last subscriber gets it
    /// by move, only the others get clones (one stream per client is the common case).
    pub fn deliver_owned(&mut self, event: E, weight: usize) {
        if self.closed {
            return;
        }
        if let Some(backlog) = &mut self.backlog {
            // No subscriber yet (the backlog goes with the first one).
            if backlog.len() == BACKLOG {
                backlog.pop_front();
            }
            backlog.push_back((event, weight));
            return;
        }
        let last = self.subscribers.len().saturating_sub(1);
        let mut event = Some(event);
        let mut i = 0;
        self.subscribers.retain_mut(|s| {
            let e = if i == last { event.take() } else { event.clone() };
            i += 1;
            match e {
                Some(e) => s(e, weight) != Delivery::Closed,
                None => true,
            }
        });
    }

    /// `deliver`, then run the callbacks (for transports without locking concerns).
    pub fn emit(&mut self, event: &E) {
        self.deliver(event, event_weight::<E>(0));
        for cb in self.callbacks_for(event) {
            cb(event);
        }
    }
}

/// `on` / `once` / `off` for any client, written once: a client names its hub and its
/// event type, and gets the callback registration of the JS SDKs.
pub trait Listen {
    type Event: Kinded + Clone;

    /// The client's event hub (shared with its driver).
    fn hub(&self) -> &Arc<Mutex<EventHub<Self::Event>>>;

    /// Call `f` for every event of `kind`. Callbacks run on the driver: keep them short
    /// and do not wait in them for a call of the same client. The first listener of a
    /// client also gets the events that came before it (see [`EventHub`]), run here.
    fn on(
        &self,
        kind: <Self::Event as Kinded>::Kind,
        f: impl Fn(&Self::Event) + Send + Sync + 'static,
    ) -> ListenerId {
        registered(self.hub(), |h| h.on(kind, f))
    }

    /// Call `f` for the next event of `kind` only.
    fn once(
        &self,
        kind: <Self::Event as Kinded>::Kind,
        f: impl Fn(&Self::Event) + Send + Sync + 'static,
    ) -> ListenerId {
        registered(self.hub(), |h| h.once(kind, f))
    }

    /// Call `f` for every event (the JS SDK's `'*'`).
    fn on_any(&self, f: impl Fn(&Self::Event) + Send + Sync + 'static) -> ListenerId {
        registered(self.hub(), |h| h.on_any(f))
    }

    /// Remove one callback.
    fn off(&self, id: ListenerId) -> bool {
        lock(self.hub()).off(id)
    }

    /// Remove every callback for `kind` (the JS SDKs' `off(name)` without a handler).
    fn off_kind(&self, kind: <Self::Event as Kinded>::Kind) {
        lock(self.hub()).off_kind(kind)
    }

    /// Remove every callback of every kind (the Customer SDK's `off()` with no arguments).
    /// Event streams taken with `events()` are not callbacks and keep running.
    fn off_all(&self) {
        lock(self.hub()).off_all()
    }
}

/// Register under the lock, then run the backlog owed to the new callback outside it.
fn registered<E: Kinded + Clone>(
    hub: &Arc<Mutex<EventHub<E>>>,
    add: impl FnOnce(&mut EventHub<E>) -> ListenerId,
) -> ListenerId {
    let (id, replay) = {
        let mut h = lock(hub);
        let id = add(&mut h);
        (id, h.take_replay())
    };
    for (cb, e) in replay {
        cb(&e);
    }
    id
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

/// [`EventHub::end_error`] of a shared hub (a poisoned lock still answers).
pub fn end_error<E: Kinded + Clone>(hub: &Arc<Mutex<EventHub<E>>>) -> Error {
    match hub.lock() {
        Ok(h) => h.end_error(),
        Err(p) => p.into_inner().end_error(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::customer::{Event, EventKind};

    #[test]
    fn a_queue_budget_bounds_bytes_and_count_and_always_takes_one_event() {
        let b = QueueBudget::new(100, 1000);
        assert!(b.admit(5000), "an empty queue takes one event however heavy");
        assert!(!b.admit(1), "and nothing fits beside it");
        b.release(5000);
        assert!(b.is_empty());
        for _ in 0..10 {
            assert!(b.admit(100));
        }
        assert!(!b.admit(100), "1,000 bytes are waiting");
        b.release(100);
        assert!(b.admit(100), "room again after a read");
        b.reset();
        assert_eq!(b.len(), 0);
        let c = QueueBudget::new(2, usize::MAX);
        assert!(c.admit(1) && c.admit(1));
        assert!(!c.admit(1), "the count bound holds too");
        assert!(event_weight::<[u8; 64]>(1000) >= 2064);
    }

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
    fn off_all_removes_every_callback_but_not_the_streams() {
        let seen = Arc::new(Mutex::new(0));
        let mut hub: EventHub<Event> = EventHub::default();
        for _ in 0..2 {
            let s = seen.clone();
            hub.on(EventKind::ConnectionUnstable, move |_| *s.lock().unwrap() += 1);
        }
        let s = seen.clone();
        hub.on_any(move |_| *s.lock().unwrap() += 1);
        let streamed = Arc::new(Mutex::new(0));
        let st = streamed.clone();
        hub.subscribe(move |_, _| {
            *st.lock().unwrap() += 1;
            Delivery::Delivered
        });
        hub.emit(&Event::ConnectionUnstable);
        assert_eq!(*seen.lock().unwrap(), 3);
        hub.off_all();
        hub.emit(&Event::ConnectionUnstable);
        assert_eq!(*seen.lock().unwrap(), 3, "no callback is left");
        assert_eq!(*streamed.lock().unwrap(), 2, "the stream got both, before and after");
    }

    #[test]
    fn full_subscribers_drop_and_closed_ones_are_removed() {
        let mut hub: EventHub<Event> = EventHub::default();
        let got = Arc::new(Mutex::new(0));
        let g = got.clone();
        hub.subscribe(move |_, _| {
            let mut n = g.lock().unwrap();
            if *n < 2 {
                *n += 1;
                Delivery::Delivered
            } else {
                Delivery::Full
            }
        });
        hub.subscribe(|_, _| Delivery::Closed);
        assert_eq!(hub.subscriber_count(), 2);
        for _ in 0..5 {
            hub.emit(&Event::ConnectionRecovered);
        }
        assert_eq!(*got.lock().unwrap(), 2);
        assert_eq!(hub.subscriber_count(), 1);
    }

    /// A hub owned by a minimal client, for the `Listen` replay.
    struct Client(Arc<Mutex<EventHub<Event>>>);
    impl Listen for Client {
        type Event = Event;
        fn hub(&self) -> &Arc<Mutex<EventHub<Event>>> {
            &self.0
        }
    }

    #[test]
    fn the_first_subscriber_gets_what_came_before_it_and_later_ones_do_not() {
        let mut hub: EventHub<Event> = EventHub::default();
        hub.emit(&Event::ConnectionUnstable);
        hub.emit(&Event::ConnectionRecovered);
        let first = Arc::new(Mutex::new(Vec::new()));
        let f = first.clone();
        hub.subscribe(move |e, _| {
            f.lock().unwrap().push(e.kind().as_str());
            Delivery::Delivered
        });
        let second = Arc::new(Mutex::new(Vec::new()));
        let s = second.clone();
        hub.subscribe(move |e, _| {
            s.lock().unwrap().push(e.kind().as_str());
            Delivery::Delivered
        });
        hub.emit(&Event::ConnectionUnstable);
        assert_eq!(
            *first.lock().unwrap(),
            vec!["connection_unstable", "connection_recovered", "connection_unstable"]
        );
        assert_eq!(*second.lock().unwrap(), vec!["connection_unstable"]);
    }

    #[test]
    fn the_backlog_keeps_the_newest_events_up_to_its_bound() {
        let mut hub: EventHub<Event> = EventHub::default();
        hub.emit(&Event::ConnectionRecovered);
        for _ in 0..BACKLOG {
            hub.emit(&Event::ConnectionUnstable);
        }
        let got = Arc::new(Mutex::new(Vec::new()));
        let g = got.clone();
        hub.subscribe(move |e, _| {
            g.lock().unwrap().push(e.kind());
            Delivery::Delivered
        });
        let got = got.lock().unwrap();
        assert_eq!(got.len(), BACKLOG);
        assert!(got.iter().all(|k| *k == EventKind::ConnectionUnstable), "the oldest went first");
    }

    #[test]
    fn a_first_callback_is_run_with_the_matching_backlog_before_on_returns() {
        let client = Client(Arc::new(Mutex::new(EventHub::default())));
        for e in [Event::ConnectionUnstable, Event::ConnectionRecovered, Event::ConnectionUnstable] {
            lock(client.hub()).emit(&e);
        }
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        client.on(EventKind::ConnectionUnstable, move |e| s.lock().unwrap().push(e.kind().as_str()));
        assert_eq!(*seen.lock().unwrap(), vec!["connection_unstable", "connection_unstable"]);
        // The backlog went to the first listener only.
        let later = Arc::new(Mutex::new(0));
        let l = later.clone();
        client.on_any(move |_| *l.lock().unwrap() += 1);
        assert_eq!(*later.lock().unwrap(), 0);
    }

    #[test]
    fn a_first_once_callback_takes_one_backlog_event_and_is_gone() {
        let client = Client(Arc::new(Mutex::new(EventHub::default())));
        lock(client.hub()).emit(&Event::ConnectionUnstable);
        lock(client.hub()).emit(&Event::ConnectionUnstable);
        let n = Arc::new(Mutex::new(0));
        let c = n.clone();
        client.once(EventKind::ConnectionUnstable, move |_| *c.lock().unwrap() += 1);
        lock(client.hub()).emit(&Event::ConnectionUnstable);
        assert_eq!(*n.lock().unwrap(), 1);
        assert_eq!(lock(client.hub()).listener_count(), 0);
    }

    #[test]
    fn a_closed_hub_drops_everything_and_takes_nothing_new() {
        let client = Client(Arc::new(Mutex::new(EventHub::default())));
        let before = Arc::new(Mutex::new(0));
        let b = before.clone();
        lock(client.hub()).subscribe(move |_, _| {
            *b.lock().unwrap() += 1;
            Delivery::Delivered
        });
        client.on_any(|_| {});
        lock(client.hub()).close();
        assert!(lock(client.hub()).is_closed());
        assert_eq!(lock(client.hub()).listener_count(), 0);
        assert_eq!(lock(client.hub()).subscriber_count(), 0);
        // Added after the close: dropped at once (a subscriber's sender goes with it).
        let gone = Arc::new(());
        let g = gone.clone();
        lock(client.hub()).subscribe(move |_, _| {
            let _ = &g;
            Delivery::Delivered
        });
        assert_eq!(Arc::strong_count(&gone), 1, "the late subscriber was dropped");
        let called = Arc::new(Mutex::new(0));
        let c = called.clone();
        client.on_any(move |_| *c.lock().unwrap() += 1);
        lock(client.hub()).emit(&Event::ConnectionUnstable);
        assert_eq!((*before.lock().unwrap(), *called.lock().unwrap()), (0, 0));
        assert_eq!(lock(client.hub()).listener_count(), 0);
    }

    /// An event whose clones are counted.
    #[derive(Debug)]
    struct Counted(Arc<std::sync::atomic::AtomicUsize>);
    impl Clone for Counted {
        fn clone(&self) -> Self {
            self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Counted(self.0.clone())
        }
    }
    impl Kinded for Counted {
        type Kind = ();
        fn kind(&self) {}
    }

    #[test]
    fn the_last_subscriber_gets_the_event_by_move_and_only_the_others_get_clones() {
        let clones = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let got = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut hub: EventHub<Counted> = EventHub::default();
        let g = got.clone();
        hub.subscribe(move |_, _| {
            g.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Delivery::Delivered
        });
        hub.deliver_owned(Counted(clones.clone()), 1);
        assert_eq!(clones.load(std::sync::atomic::Ordering::Relaxed), 0, "one stream: no clone");
        let g = got.clone();
        hub.subscribe(move |_, _| {
            g.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Delivery::Delivered
        });
        hub.deliver_owned(Counted(clones.clone()), 1);
        assert_eq!(clones.load(std::sync::atomic::Ordering::Relaxed), 1, "two streams: one clone");
        assert_eq!(got.load(std::sync::atomic::Ordering::Relaxed), 3);
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
