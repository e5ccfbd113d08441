//! End-to-end scenarios, written once, run by every transport's tests.
//!
//! A transport's `tests/scenarios.rs` implements [`Transport`] for its client and expands
//! [`scenarios!`], which makes one `#[test]` per scenario. The simulator runs on its own
//! thread ([`livechat_sim::SimThread`]), so the smol and blocking transports need no tokio.
//! Scenario code is plain blocking Rust: [`Transport::wait`] turns a call's result (a
//! future, or already a value) into a value.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use livechat_core::customer::actions::{ListChats, ListGroupStatuses};
use livechat_core::customer::{
    Availability, CustomerApi, CustomerConfig, DisconnectReason, Endpoint, Event, Exec, HistoryPage,
};
use livechat_core::identity::{CookieJar, Grant};
use livechat_core::model::{DeletedProperties, FormType, GroupStatus, Properties};
use livechat_core::token::{AccountsConfig, Token};
use livechat_core::{Error, ErrorCode};
use livechat_sim::{SimConfig, SimThread};

pub mod adapter;
pub mod agent;
pub mod agent_actions;
pub mod identity;
use serde_json::{Value, json};

mod customer;
pub use customer::*;
mod guarantees;
pub use guarantees::*;
mod endings;
pub use endings::*;
mod recovery;
pub use recovery::*;
mod customer_surface;
pub use customer_surface::*;
mod hostile;
pub mod servers;

/// For [`async_transport!`]'s expansion in a transport's tests.
#[doc(hidden)]
pub use livechat_core as __core;

pub use hostile::{
    a_server_close_frame_is_answered_and_the_session_reconnects,
    a_server_that_stops_reading_cannot_freeze_the_client, destroy_ends_every_stream_and_removes_listeners,
    stalled_connects_are_cancelled_and_their_sockets_closed,
};

/// How a transport is driven by the scenarios.
pub trait Transport: 'static {
    type Client: CustomerApi + Clone + Send + Sync + 'static;
    const NAME: &'static str;
    /// Start a client (connecting when `config.connection.auto_connect`).
    fn start(config: CustomerConfig, grant: Grant) -> Self::Client;
    /// Wait for a call's result.
    fn wait<V: Send + 'static>(out: <Self::Client as Exec>::Out<V>) -> Result<V, Error>;
    /// The chat's history as the transport's stream / iterator, one page per `next()`
    /// (dropping it drops the stream).
    fn history_pages(
        client: &Self::Client,
        chat_id: &str,
    ) -> Box<dyn Iterator<Item = Result<HistoryPage, Error>>>;
    /// Page the chat's history to the end with the transport's stream / iterator.
    fn history(client: &Self::Client, chat_id: &str) -> Vec<Result<HistoryPage, Error>> {
        Self::history_pages(client, chat_id).collect()
    }
    /// Upload `data`; `cancel_at` cancels once progress reaches that fraction.
    /// Returns the URL and the progress values seen.
    fn upload(
        client: &Self::Client,
        name: &str,
        data: Vec<u8>,
        cancel_at: Option<f64>,
    ) -> (Result<String, Error>, Vec<f64>);
    /// The token the client currently uses (`None` before the first one arrived).
    fn token(client: &Self::Client) -> Option<Token>;
    /// A new event stream (receiver, iterator) of the client, read with a deadline.
    fn events(client: &Self::Client) -> Box<dyn EventSource>;
}

/// A transport's event stream (customer events by default), read from plain blocking code.
pub trait EventSource<E = Event>: Send {
    /// The next event, waiting at most `limit`.
    fn next_within(&mut self, limit: Duration) -> Next<E>;
}

/// What [`EventSource::next_within`] found.
#[derive(Debug)]
pub enum Next<E = Event> {
    Event(E),
    /// The stream ended (the client is destroyed or gone).
    Ended,
    TimedOut,
}

/// A simulator and an organization for one scenario.
pub struct Env {
    pub sim: SimThread,
    pub org: String,
}

impl Env {
    pub fn new(name: &str) -> Env {
        Env::with(name, SimConfig::default())
    }

    pub fn with(name: &str, cfg: SimConfig) -> Env {
        let sim = SimThread::start(cfg).expect("start livechat-sim");
        Env { sim, org: format!("org-{name}") }
    }

    /// A session config pointing at the simulator, with quick reconnects for tests.
    pub fn config(&self) -> CustomerConfig {
        let mut c = CustomerConfig::new(self.org.clone(), Endpoint::url(self.sim.url()));
        c.connection.socket_backoff.min = Duration::from_millis(50);
        c.connection.socket_backoff.max = Duration::from_millis(300);
        c.connection.login_backoff.min = Duration::from_millis(50);
        c.connection.login_backoff.max = Duration::from_millis(300);
        c
    }

    /// [`Env::config`] with every timer ten minutes away and `auto_connect` off: a session
    /// that wakes only for what a test does (wakeup counts, slow TLS relays).
    pub fn quiet_config(&self) -> CustomerConfig {
        let mut c = self.config();
        let far = Duration::from_secs(600);
        c.connection.keepalive = livechat_core::customer::Keepalive {
            ping_interval: far,
            unstable_after: far,
            dead_after: far,
            ping_timeout: far,
        };
        c.connection.login_timeout = far;
        c.connection.request_timeout = far;
        c.connection.auto_connect = false;
        c
    }

    /// The `cookie` grant against the simulator's token endpoint (a new customer).
    pub fn cookie_grant(&self) -> Grant {
        Grant::Cookie { accounts: self.accounts(), jar: CookieJar::default() }
    }

    pub fn accounts(&self) -> AccountsConfig {
        AccountsConfig::new(self.org.clone(), "client-scenarios").with_base_url(self.sim.http_url())
    }

    /// A connected client and its event recorder.
    pub fn customer<T: Transport>(&self) -> (T::Client, Events) {
        self.customer_with::<T>(|_| {})
    }

    pub fn customer_with<T: Transport>(
        &self,
        tweak: impl FnOnce(&mut CustomerConfig),
    ) -> (T::Client, Events) {
        let mut config = self.config();
        tweak(&mut config);
        // Start paused and attach the recorder first, so no event can come before it.
        let auto = std::mem::replace(&mut config.connection.auto_connect, false);
        let client = T::start(config, self.cookie_grant());
        let mut events = Events::attach(&client);
        if auto {
            T::wait(client.connect()).expect("connect");
            events.wait_for("connected", |e| matches!(e, Event::Connected(_)));
        }
        (client, events)
    }
}

/// Records a client's events for a scenario to wait on.
pub struct Events {
    rx: mpsc::Receiver<Event>,
    pub seen: Vec<Event>,
}

impl Events {
    pub fn attach(client: &impl CustomerApi) -> Events {
        let (tx, rx) = mpsc::channel();
        let tx = std::sync::Mutex::new(tx);
        client.on_any(move |e| {
            if let Ok(t) = tx.lock() {
                let _ = t.send(e.clone());
            }
        });
        Events { rx, seen: Vec::new() }
    }

    /// Wait (10 s at most) for an event matching `f`; panics naming `what` otherwise.
    pub fn wait_for(&mut self, what: &str, f: impl Fn(&Event) -> bool) -> Event {
        self.wait_for_within(what, Duration::from_secs(10), f)
    }

    pub fn wait_for_within(&mut self, what: &str, limit: Duration, f: impl Fn(&Event) -> bool) -> Event {
        let end = Instant::now() + limit;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(e) => {
                    self.seen.push(e.clone());
                    if f(&e) {
                        return e;
                    }
                }
                Err(_) => panic!("timed out waiting for {what}; saw {:?}", kinds(&self.seen)),
            }
        }
    }

    /// Whatever arrived so far.
    pub fn drain(&mut self) -> &[Event] {
        while let Ok(e) = self.rx.try_recv() {
            self.seen.push(e);
        }
        &self.seen
    }
}

fn kinds(events: &[Event]) -> Vec<&'static str> {
    events.iter().map(|e| e.kind().as_str()).collect()
}

fn message_text(e: &Event) -> Option<&str> {
    match e {
        Event::IncomingEvent(ev) => match &ev.event {
            livechat_core::model::ChatEvent::Message(m) => Some(m.text.as_str()),
            _ => None,
        },
        _ => None,
    }
}

fn props(namespace: &str, values: &[(&str, Value)]) -> Properties {
    let inner = values.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    BTreeMap::from([(namespace.to_string(), inner)])
}

fn deleted(namespace: &str, names: &[&str]) -> DeletedProperties {
    BTreeMap::from([(namespace.to_string(), names.iter().map(|n| n.to_string()).collect())])
}

/// The customer's messages in the chat, as the simulator stored them (all threads, in order).
fn customer_messages(env: &Env, chat_id: &str, customer_id: &str) -> Vec<String> {
    server_messages(env, chat_id, customer_id).into_iter().map(|(_, text)| text).collect()
}

/// `(event_id, text)` of the customer's messages, as the simulator stored them.
fn server_messages(env: &Env, chat_id: &str, customer_id: &str) -> Vec<(String, String)> {
    let dump = env.sim.control().chat(chat_id).expect("the simulator knows the chat");
    let threads = dump["threads"].as_array().cloned().unwrap_or_default();
    threads
        .iter()
        .flat_map(|t| t["events"].as_array().cloned().unwrap_or_default())
        .filter(|e| e["type"] == "message" && e["author_id"] == customer_id)
        .map(|e| {
            (
                e["id"].as_str().unwrap_or_default().to_string(),
                e["text"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Issue a call on its own thread, to wait for it later. With the blocking transport a
/// call returns only when it is done, so "issue now, wait later" needs a thread; the async
/// transports behave the same way through it.
pub fn later<T: Transport, V: Send + 'static>(
    client: &T::Client,
    call: impl FnOnce(&T::Client) -> <T::Client as Exec>::Out<V> + Send + 'static,
) -> std::thread::JoinHandle<Result<V, Error>> {
    let client = client.clone();
    let handle = std::thread::spawn(move || T::wait(call(&client)));
    // Give the call time to reach the session before the caller goes on.
    std::thread::sleep(Duration::from_millis(20));
    handle
}

/// The result of a [`later`] call.
pub fn join<V>(handle: std::thread::JoinHandle<Result<V, Error>>) -> Result<V, Error> {
    handle.join().unwrap_or_else(|_| panic!("the calling thread panicked"))
}

/// One `#[test]` per scenario for transport `$t`.
#[macro_export]
macro_rules! scenarios {
    ($t:ty) => {
        $crate::scenarios!(@tests $t;
            chat_with_bot_and_page_history,
            history_after_an_error_ends,
            history_after_destroy_ends_without_repeating_the_error,
            reconnect_completes_calls_queued_meanwhile,
            banned_customer_destroys_the_client,
            property_methods_update_and_delete,
            greetings_accept_and_cancel,
            forms_and_group_statuses,
            upload_with_progress_and_cancel,
            token_refresh_on_access_token_expired,
            exactly_once_delivery_under_random_drops,
            region_switch_on_misdirected_connection,
            inactivity_timeout_waits_for_connect,
            separate_cookie_jars_are_separate_customers,
            events_before_the_first_listener_are_kept,
            restarted_backend_keeps_a_send_caught_in_a_drop,
            another_authors_custom_id_does_not_swallow_a_send,
            a_late_server_does_not_turn_a_stored_send_into_a_timeout,
            nothing_listening_fails_calls_with_the_cause,
            a_bad_endpoint_fails_at_once,
            a_refused_token_fails_calls_with_authentication,
            unanswered_pings_replace_the_socket,
            a_hostile_region_is_refused,
            a_server_dropping_every_login_is_not_hammered,
            a_hostile_region_in_a_login_error_is_refused,
            oversized_frames_are_refused_and_the_session_goes_on,
            a_stalled_reader_holds_bounded_bytes,
            destroy_ends_every_stream_and_removes_listeners,
            stalled_connects_are_cancelled_and_their_sockets_closed,
            a_server_that_stops_reading_cannot_freeze_the_client,
            a_server_close_frame_is_answered_and_the_session_reconnects,
            agent_messages_sent_during_a_drop_arrive_once_in_order,
            the_rest_of_the_customer_surface,
            every_disconnect_reason_gets_its_documented_reaction,
            connection_quality_events_follow_silence_and_traffic,
        );
    };
    (@tests $t:ty; $($name:ident,)*) => {
        #[test]
        fn exactly_once_delivery_under_dense_drops() {
            $crate::exactly_once_delivery_under_dense_drops::<$t>();
        }
        $(
            #[test]
            fn $name() {
                $crate::$name::<$t>();
            }
        )*
    };
}
