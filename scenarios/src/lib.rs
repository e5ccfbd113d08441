//! End-to-end scenarios, written once, run by every transport's tests.
//!
//! A transport's `tests/scenarios.rs` implements [`Transport`] for its client and expands
//! [`scenarios!`], which makes one `#[test]` per scenario. The simulator runs on its own
//! thread ([`livechat_sim::SimThread`]), so the smol and blocking transports need no tokio.
//! Scenario code is plain blocking Rust: [`Transport::wait`] turns a call's result (a
//! future, or already a value) into a value.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use livechat_core::Error;
use livechat_core::customer::{CustomerApi, Endpoint, Event, Exec, HistoryPage, SessionConfig};
use livechat_core::identity::{CookieJar, Grant};
use livechat_core::token::AccountsConfig;
use livechat_sim::{SimConfig, SimThread};

/// How a transport is driven by the scenarios.
pub trait Transport: 'static {
    type Client: CustomerApi + Clone + Send + Sync + 'static;
    const NAME: &'static str;
    /// Start a client (connecting when `config.connection.auto_connect`).
    fn start(config: SessionConfig, grant: Grant) -> Self::Client;
    /// Wait for a call's result.
    fn wait<V: Send + 'static>(out: <Self::Client as Exec>::Out<V>) -> Result<V, Error>;
    /// Page the chat's history to the end with the transport's stream / iterator.
    fn history(client: &Self::Client, chat_id: &str) -> Vec<Result<HistoryPage, Error>>;
    /// Upload `data`; `cancel_at` cancels once progress reaches that fraction.
    /// Returns the URL and the progress values seen.
    fn upload(
        client: &Self::Client,
        name: &str,
        data: Vec<u8>,
        cancel_at: Option<f64>,
    ) -> (Result<String, Error>, Vec<f64>);
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
    pub fn config(&self) -> SessionConfig {
        let mut c = SessionConfig::new(self.org.clone(), Endpoint::url(self.sim.url()));
        c.connection.socket_backoff.min = Duration::from_millis(50);
        c.connection.socket_backoff.max = Duration::from_millis(300);
        c.connection.login_backoff.min = Duration::from_millis(50);
        c.connection.login_backoff.max = Duration::from_millis(300);
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

    pub fn customer_with<T: Transport>(&self, tweak: impl FnOnce(&mut SessionConfig)) -> (T::Client, Events) {
        let mut config = self.config();
        tweak(&mut config);
        let auto = config.connection.auto_connect;
        let client = T::start(config, self.cookie_grant());
        let mut events = Events::attach(&client);
        if auto {
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

// ------------------------------------------------------------------------------ scenarios

/// Log in, start a chat, exchange messages with the bot, page history to the end.
pub fn chat_with_bot_and_page_history<T: Transport>() {
    let env = Env::new("chat");
    let (client, mut events) = env.customer::<T>();
    let chat = T::wait(client.start_chat(Default::default())).expect("start_chat");
    for i in 0..3 {
        let text = format!("message {i}");
        let sent = T::wait(client.send_message(&chat.chat_id, &text)).expect("send");
        assert!(!sent.event_id.is_empty());
        events.wait_for("the bot's reply", |e| message_text(e).is_some_and(|t| t.contains(&text)));
    }
    let pages = T::history(&client, &chat.chat_id);
    assert!(!pages.is_empty());
    let pages: Vec<HistoryPage> = pages.into_iter().map(|p| p.expect("history page")).collect();
    assert!(pages.last().is_some_and(|p| p.done), "the last page is marked done");
    let texts: Vec<String> = pages
        .iter()
        .rev()
        .flat_map(|p| p.threads.iter())
        .flat_map(|t| t.events.iter())
        .filter_map(|e| match e {
            livechat_core::model::ChatEvent::Message(m) => Some(m.text.clone()),
            _ => None,
        })
        .collect();
    for i in 0..3 {
        assert!(texts.iter().any(|t| t == &format!("message {i}")), "history lacks message {i}: {texts:?}");
    }
    T::wait(client.destroy()).expect("destroy");
}

/// A dropped socket: in-flight calls fail with CONNECTION_LOST, calls made while
/// reconnecting are queued and complete after the next login.
pub fn reconnect_completes_calls_queued_meanwhile<T: Transport>() {
    let env = Env::new("reconnect");
    let (client, mut events) = env.customer::<T>();
    let customer = T::wait(client.get_customer()).expect("get_customer");
    env.sim.control().drop_customer(Some(&customer.id));
    events.wait_for("disconnected", |e| matches!(e, Event::Disconnected(d) if d.will_reconnect));
    // made while reconnecting: queued, not failed
    let queued = client.get_customer();
    events.wait_for("connected again", |e| matches!(e, Event::Connected(_)));
    let again = T::wait(queued).expect("queued call completes after the new login");
    assert_eq!(again.id, customer.id);
}

/// `customer_banned` destroys the client: later calls fail with SDK_DESTROYED.
pub fn banned_customer_destroys_the_client<T: Transport>() {
    let env = Env::new("banned");
    let (client, mut events) = env.customer::<T>();
    let customer = T::wait(client.get_customer()).expect("get_customer");
    env.sim.control().disconnect_customer(Some(&customer.id), "customer_banned", None);
    events.wait_for("disconnected (destroyed)", |e| matches!(e, Event::Disconnected(d) if d.destroyed));
    let err = T::wait(client.get_customer()).expect_err("a destroyed client refuses calls");
    assert_eq!(err.code, livechat_core::ErrorCode::SdkDestroyed);
}

/// One `#[test]` per scenario for transport `$t`.
#[macro_export]
macro_rules! scenarios {
    ($t:ty) => {
        #[test]
        fn chat_with_bot_and_page_history() {
            $crate::chat_with_bot_and_page_history::<$t>();
        }
        #[test]
        fn reconnect_completes_calls_queued_meanwhile() {
            $crate::reconnect_completes_calls_queued_meanwhile::<$t>();
        }
        #[test]
        fn banned_customer_destroys_the_client() {
            $crate::banned_customer_destroys_the_client::<$t>();
        }
    };
}
