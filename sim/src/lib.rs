//! `livechat-sim`: a protocol-faithful local LiveChat server (Customer and Agent Chat API 3.6 over
//! WebSocket, the customer token endpoint, file upload) backed by an in-memory chat service, with a
//! control API for fault injection.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use livechat_sim::{Sim, SimConfig};
//! let sim = Sim::start(SimConfig::default()).await?;
//! let (token, customer_id) = sim.issue_customer_token("my-org");
//! let url = format!("{}/v3.6/customer/rtm/ws?organization_id=my-org", sim.url());
//! // connect to `url`, log in with `"Bearer " + token` ...
//! sim.control().disconnect_customer(Some(&customer_id), "connection_evicted", None);
//! sim.shutdown().await;
//! # let _ = url; Ok(()) }
//! ```

mod agent;
mod agent_actions;
pub mod cli;
mod conn;
mod control_pushes;
mod customer;
mod events;
mod evict;
mod faults;
mod files;
mod hardening;
mod http;
mod lifetimes;
mod serve;
mod shared_actions;
mod state;
mod thread;
mod util;

use serde_json::{Value, json};
use state::{Faults, Role, State};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

pub use faults::{OversizedKind, oversized_frame};
pub use thread::{SimThread, Target};
pub use util::ApiError;

/// Default agent account (documented; overridable with `--agent-token` / `--agent-pat`).
pub const DEFAULT_AGENT_ID: &str = "agent@livechat-sim.invalid";
pub const DEFAULT_AGENT_TOKEN: &str = "dal:sim-agent-token";
pub const DEFAULT_AGENT_ACCOUNT_ID: &str = "00000000-0000-4000-8000-00000000a9e7";
pub const DEFAULT_AGENT_PAT: &str = "sim-agent-pat";
/// The built-in bot's agent id.
pub const BOT_AGENT_ID: &str = state::BOT_ID;

/// Simulator settings. `SimConfig::default()` binds 127.0.0.1 on an OS-chosen port.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub bind: SocketAddr,
    /// Built-in bot agent answering customer messages.
    pub bot: bool,
    /// `expires_in` of issued customer tokens, seconds.
    pub token_expires_in: u64,
    /// A logged-in socket with no frame for this long is closed (`connection_timeout`).
    pub idle_timeout: Duration,
    /// A socket must log in within this time.
    pub login_timeout: Duration,
    /// SockJS heartbeat (`h`) interval.
    pub sockjs_heartbeat: Duration,
    pub max_pending_requests: usize,
    /// Fixed id sequence and clock (starting at `clock_start_unix`, +1 ms per reading).
    pub deterministic: bool,
    pub seed: u64,
    pub clock_start_unix: i64,
    /// JSONL log of every frame in and out (tokens redacted).
    pub frame_log: Option<PathBuf>,
    pub agent_id: String,
    pub agent_token: String,
    pub agent_account_id: String,
    pub agent_pat: String,
    pub agent_max_chats: usize,
    /// Upload size limit, bytes.
    pub upload_limit: usize,
    /// A customer with no open socket and no active chat is forgotten (with its chats and
    /// tokens) this long after its last activity (token issued, login, last socket closed).
    pub evict_after: Duration,
    /// More customers than this: forgettable ones (as above) go oldest first, whatever their age.
    pub max_customers: usize,
    /// The frame log is rotated to `FILE.1` beyond this many bytes.
    pub frame_log_max_bytes: u64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            bot: true,
            token_expires_in: 28_800,
            idle_timeout: Duration::from_secs(30),
            login_timeout: Duration::from_secs(30),
            sockjs_heartbeat: Duration::from_secs(25),
            max_pending_requests: 10,
            deterministic: false,
            seed: 0,
            clock_start_unix: 1_735_689_600,
            frame_log: None,
            agent_id: DEFAULT_AGENT_ID.into(),
            agent_token: DEFAULT_AGENT_TOKEN.into(),
            agent_account_id: DEFAULT_AGENT_ACCOUNT_ID.into(),
            agent_pat: DEFAULT_AGENT_PAT.into(),
            agent_max_chats: 6,
            upload_limit: 10 * 1024 * 1024,
            evict_after: Duration::from_secs(30 * 60),
            max_customers: 100_000,
            frame_log_max_bytes: 256 * 1024 * 1024,
        }
    }
}

#[derive(Default)]
pub(crate) struct Counters {
    pub next_conn: AtomicU64,
    pub connections: AtomicU64,
    pub open: AtomicU64,
    pub frames_in: AtomicU64,
    pub frames_out: AtomicU64,
    pub logins: AtomicU64,
    pub stalled_open: AtomicU64,
    pub stalled_total: AtomicU64,
    pub closes_sent: AtomicU64,
    pub closes_answered: AtomicU64,
    pub closes_unanswered: AtomicU64,
}

/// Counters exposed by [`Control::stats`] and `GET /_sim/stats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct SimStats {
    pub connections_total: u64,
    pub connections_open: u64,
    pub frames_in: u64,
    pub frames_out: u64,
    pub logins: u64,
    /// `stall_handshake` connections still open, and all so far.
    pub stalled_open: u64,
    pub stalled_total: u64,
    /// Close frames sent by `close_customer` / `close_agent`, and of those, the ones the
    /// client answered with its own Close (the closing handshake) or did not, in time.
    pub closes_sent: u64,
    pub closes_answered: u64,
    pub closes_unanswered: u64,
    /// What the in-memory state holds now (bounded: see `evict_after`, `max_customers`).
    pub customers: u64,
    pub chats: u64,
    pub tokens: u64,
    pub files: u64,
}

pub(crate) struct Shared {
    pub cfg: SimConfig,
    pub state: Mutex<State>,
    pub counters: Counters,
    pub frame_log: Option<Mutex<evict::FrameLog>>,
    pub files: Mutex<files::Files>,
    /// `Host` header of every customer WebSocket upgrade, in order (the newest
    /// [`evict::MAX_HOSTS`]).
    pub customer_hosts: Mutex<std::collections::VecDeque<String>>,
    pub shutdown: watch::Receiver<bool>,
}

impl Shared {
    pub fn log(&self, conn: u64, dir: &str, frame: &str) {
        let Some(log) = &self.frame_log else { return };
        let ts = util::fmt_micros(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_micros() as i64)
                .unwrap_or(0),
        );
        let line = json!({"ts": ts, "conn": conn, "dir": dir, "frame": frame});
        if let Ok(mut w) = log.lock() {
            w.write_line(&line.to_string());
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running simulator. Dropping it stops the server.
pub struct Sim {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Sim {
    /// Binds and starts serving in the background (needs a tokio runtime).
    pub async fn start(cfg: SimConfig) -> std::io::Result<Sim> {
        let listener = tokio::net::TcpListener::bind(cfg.bind).await?;
        let addr = listener.local_addr()?;
        let frame_log = match &cfg.frame_log {
            Some(p) => Some(Mutex::new(evict::FrameLog::create(p.clone(), cfg.frame_log_max_bytes)?)),
            None => None,
        };
        let (stop, shutdown) = watch::channel(false);
        let mut state = State::new(cfg.clone());
        state.http_base = format!("http://{addr}");
        let shared = Arc::new(Shared {
            cfg,
            state: Mutex::new(state),
            counters: Counters::default(),
            frame_log,
            files: Mutex::default(),
            customer_hosts: Mutex::default(),
            shutdown,
        });
        let app = http::router(shared.clone());
        let task = tokio::spawn(serve::serve(listener, app, shared.shutdown.clone()));
        faults::spawn_ticker(shared.clone());
        evict::spawn_sweeper(shared.clone());
        Ok(Sim { addr, shared, stop, task: Some(task) })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `ws://127.0.0.1:PORT` (append `/v3.6/customer/rtm/ws?organization_id=…`).
    pub fn url(&self) -> String {
        format!("ws://{}", self.addr)
    }

    /// `http://127.0.0.1:PORT` (token endpoint, uploads, control API).
    pub fn http_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn control(&self) -> Control {
        Control { shared: self.shared.clone() }
    }

    /// Creates a customer in `org_id` and returns `(access_token, customer_id)`.
    pub fn issue_customer_token(&self, org_id: &str) -> (String, String) {
        self.control().issue_customer_token(org_id)
    }

    /// Closes every socket (1001) and stops the server.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), t).await;
        }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Fault injection and observation; cheap to clone. The same operations exist under `/_sim/…`.
#[derive(Clone)]
pub struct Control {
    pub(crate) shared: Arc<Shared>,
}

impl Control {
    pub(crate) fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let mut st = self.shared.lock();
        let r = f(&mut st);
        st.flush();
        r
    }

    pub fn issue_customer_token(&self, org_id: &str) -> (String, String) {
        self.with(|st| {
            let id = st.new_customer(org_id, None);
            let (token, _) = st.issue_token(&id, org_id);
            (token, id)
        })
    }

    /// Sends `customer_disconnected {reason, data?}` and closes the customer's sockets
    /// (`None` = every customer socket, logged in or not). Returns how many sockets.
    pub fn disconnect_customer(&self, customer_id: Option<&str>, reason: &str, data: Option<Value>) -> usize {
        self.with(|st| {
            st.disconnect_where(
                |c| {
                    c.side == state::Side::Customer
                        && customer_id.is_none_or(|id| matches!(&c.role, Role::Customer(x) if x == id))
                },
                reason,
                data,
            )
        })
    }

    /// Same for agents (`agent_disconnected`).
    pub fn disconnect_agent(&self, agent_id: Option<&str>, reason: &str, data: Option<Value>) -> usize {
        self.with(|st| {
            st.disconnect_where(
                |c| {
                    c.side == state::Side::Agent
                        && agent_id.is_none_or(|id| matches!(&c.role, Role::Agent(x) if x == id))
                },
                reason,
                data,
            )
        })
    }

    /// Cuts customer sockets abruptly: no push, no close frame.
    pub fn drop_customer(&self, customer_id: Option<&str>) -> usize {
        self.with(|st| {
            st.drop_where(|c| {
                c.side == state::Side::Customer
                    && customer_id.is_none_or(|id| matches!(&c.role, Role::Customer(x) if x == id))
            })
        })
    }

    pub fn drop_agent(&self, agent_id: Option<&str>) -> usize {
        self.with(|st| {
            st.drop_where(|c| {
                c.side == state::Side::Agent
                    && agent_id.is_none_or(|id| matches!(&c.role, Role::Agent(x) if x == id))
            })
        })
    }

    /// RTM `ping` requests get no response while set.
    pub fn set_ignore_pings(&self, on: bool) {
        self.with(|st| st.faults.ignore_pings = on)
    }

    /// Every request is answered this much later (0 = at once). Pending requests count
    /// towards the limit of 10.
    pub fn set_response_delay(&self, delay: Duration) {
        self.with(|st| st.faults.response_delay_ms = delay.as_millis() as u64)
    }

    /// Requests are swallowed (no response, no effect) while set.
    pub fn set_drop_responses(&self, on: bool) {
        self.with(|st| st.faults.drop_responses = on)
    }

    /// The next `n` logins (customer or agent) fail with this error type.
    pub fn reject_next_logins(&self, n: u32, error_type: &str) {
        self.with(|st| {
            st.faults.reject_logins = n;
            st.faults.reject_login_error = error_type.to_string();
            st.faults.reject_login_data = None;
        })
    }

    pub fn clear_faults(&self) {
        self.with(|st| st.faults = Faults::default())
    }

    /// Shows a greeting to a customer (`incoming_greeting`); returns its `unique_id`.
    pub fn trigger_greeting(&self, customer_id: &str, text: &str) -> Result<String, ApiError> {
        self.with(|st| st.trigger_greeting(customer_id, text))
    }

    /// An agent message into the chat's active thread; returns the event id.
    pub fn agent_message(
        &self,
        chat_id: &str,
        text: &str,
        author_id: Option<&str>,
    ) -> Result<String, ApiError> {
        self.with(|st| st.control_message(chat_id, text, author_id))
    }

    /// Any event (a `rich_message`, a `file`, …; Agent Chat API shape, validated as an agent's
    /// `send_event`) into the chat's active thread as the chat's agent (or `author_id`);
    /// returns the event id.
    pub fn agent_event(
        &self,
        chat_id: &str,
        event: &Value,
        author_id: Option<&str>,
    ) -> Result<String, ApiError> {
        self.with(|st| {
            let body = {
                let lookup = st.file_lookup();
                events::validate_event(event, "event", true, &lookup)?
            };
            st.control_event(chat_id, body, author_id)
        })
    }

    pub fn typing(&self, chat_id: &str, is_typing: bool) -> Result<(), ApiError> {
        self.with(|st| {
            let a = st.chat_agent(chat_id);
            st.typing(chat_id, &a, is_typing)
        })
    }

    pub fn thinking(
        &self,
        chat_id: &str,
        title: Option<&str>,
        description: Option<&str>,
    ) -> Result<(), ApiError> {
        self.with(|st| {
            let a = st.chat_agent(chat_id);
            st.thinking(chat_id, &a, title, description)
        })
    }

    pub fn event_preview(&self, chat_id: &str, text: &str) -> Result<(), ApiError> {
        self.with(|st| {
            let a = st.chat_agent(chat_id);
            st.event_preview(chat_id, &a, text)
        })
    }

    /// Transfers a chat to a group and/or an agent.
    pub fn transfer(
        &self,
        chat_id: &str,
        group_id: Option<u64>,
        agent_id: Option<&str>,
    ) -> Result<(), ApiError> {
        self.with(|st| st.transfer(chat_id, group_id, agent_id, None))
    }

    /// Sets (or creates) a group with `online` / `online_for_queue` / `offline`.
    pub fn set_group_status(&self, org_id: &str, group_id: u64, status: &str) -> Result<(), ApiError> {
        self.with(|st| st.set_group_status(org_id, group_id, status))
    }

    /// `accepting_chats` / `not_accepting_chats` / `offline` for an agent (the bot included).
    pub fn set_routing_status(&self, agent_id: &str, status: &str) -> Result<(), ApiError> {
        self.with(|st| st.set_routing_status(agent_id, status))
    }

    /// The agent view of a chat (all threads), for assertions.
    pub fn chat(&self, chat_id: &str) -> Option<Value> {
        self.with(|st| st.chat_dump(chat_id))
    }

    /// Ids of a customer's chats.
    pub fn customer_chats(&self, customer_id: &str) -> Vec<String> {
        self.with(|st| st.customers.get(customer_id).map(|c| c.chat_ids.clone()).unwrap_or_default())
    }

    /// The `Host` header of every customer WebSocket upgrade so far, oldest first (which
    /// name a client used to reach the simulator, e.g. after a region switch).
    pub fn customer_hosts(&self) -> Vec<String> {
        self.shared.customer_hosts.lock().unwrap_or_else(|e| e.into_inner()).iter().cloned().collect()
    }

    pub fn stats(&self) -> SimStats {
        let (customers, chats, tokens) = {
            let st = self.shared.lock();
            (st.customers.len() as u64, st.chats.len() as u64, st.tokens.len() as u64)
        };
        let files = self.shared.files.lock().unwrap_or_else(|e| e.into_inner()).count() as u64;
        let c = &self.shared.counters;
        SimStats {
            connections_total: c.connections.load(Ordering::Relaxed),
            connections_open: c.open.load(Ordering::Relaxed),
            frames_in: c.frames_in.load(Ordering::Relaxed),
            frames_out: c.frames_out.load(Ordering::Relaxed),
            logins: c.logins.load(Ordering::Relaxed),
            stalled_open: c.stalled_open.load(Ordering::Relaxed),
            stalled_total: c.stalled_total.load(Ordering::Relaxed),
            closes_sent: c.closes_sent.load(Ordering::Relaxed),
            closes_answered: c.closes_answered.load(Ordering::Relaxed),
            closes_unanswered: c.closes_unanswered.load(Ordering::Relaxed),
            customers,
            chats,
            tokens,
            files,
        }
    }
}

impl State {
    fn chat_agent(&self, chat_id: &str) -> String {
        self.chats.get(chat_id).and_then(|c| c.agent_ids.first().cloned()).unwrap_or_else(|| {
            if self.cfg.bot { state::BOT_ID.to_string() } else { self.cfg.agent_id.clone() }
        })
    }

    fn control_message(
        &mut self,
        chat_id: &str,
        text: &str,
        author: Option<&str>,
    ) -> Result<String, ApiError> {
        let mut body = serde_json::Map::new();
        body.insert("type".into(), json!("message"));
        body.insert("text".into(), json!(text));
        body.insert("visibility".into(), json!("all"));
        self.control_event(chat_id, body, author)
    }

    fn control_event(
        &mut self,
        chat_id: &str,
        body: serde_json::Map<String, Value>,
        author: Option<&str>,
    ) -> Result<String, ApiError> {
        let author = author.map(str::to_string).unwrap_or_else(|| self.chat_agent(chat_id));
        let chat = self.chats.get(chat_id).ok_or_else(|| ApiError::not_found("Chat"))?;
        if !chat.active() {
            return Err(ApiError::of("chat_inactive"));
        }
        let idx = chat.threads.len() - 1;
        let thread_id = chat.threads[idx].id.clone();
        let ev = self.append_event(chat_id, idx, body, Some(&author));
        let id = ev["id"].as_str().unwrap_or_default().to_string();
        self.push_chat(
            chat_id,
            "incoming_event",
            json!({"chat_id": chat_id, "thread_id": thread_id, "event": ev}),
            None,
        );
        Ok(id)
    }

    fn trigger_greeting(&mut self, customer_id: &str, text: &str) -> Result<String, ApiError> {
        if !self.customers.contains_key(customer_id) {
            return Err(ApiError::not_found("Customer"));
        }
        let old = self.customers[customer_id].greeting.as_ref().map(|g| g.unique_id.clone());
        if let Some(u) = old {
            self.push_customer(customer_id, "greeting_canceled", json!({ "unique_id": u }), None);
        }
        self.greeting_seq += 1;
        let gid = self.greeting_seq;
        let unique = self.ids.id10().to_lowercase();
        let now = self.clock.now();
        let agent_id = if self.cfg.bot { state::BOT_ID.to_string() } else { self.cfg.agent_id.clone() };
        let a = &self.agents[&agent_id];
        let event_id = self.ids.id10();
        let g = json!({
            "id": gid, "unique_id": unique, "displayed_first_time": true, "accepted": false,
            "subtype": "greeting", "is_exit_intent": false,
            "event": {"id": event_id, "created_at": now, "type": "message", "text": text, "author_id": a.id},
            "agent": {"id": a.id, "name": a.name, "avatar": a.avatar, "job_title": a.job_title, "is_bot": a.is_bot, "type": "agent"},
        });
        if let Some(c) = self.customers.get_mut(customer_id) {
            c.stats.greetings_shown += 1;
            c.greeting = Some(state::Greeting {
                value: g.clone(),
                unique_id: unique.clone(),
                greeting_id: gid,
                accepted: false,
            });
        }
        let mut push = g;
        push.as_object_mut().map(|m| m.remove("accepted"));
        self.push_customer(customer_id, "incoming_greeting", push, None);
        Ok(unique)
    }

    fn set_group_status(&mut self, org: &str, group: u64, status: &str) -> Result<(), ApiError> {
        if !["online", "online_for_queue", "offline"].contains(&status) {
            return Err(ApiError::validation("status", "must be online, online_for_queue or offline"));
        }
        self.ensure_org(org);
        if let Some(o) = self.orgs.get_mut(org) {
            let g = o.groups.entry(group).or_insert_with(|| state::Group { status: String::new() });
            if g.status == status {
                return Ok(());
            }
            g.status = status.to_string();
        }
        let payload = json!({"groups": [{"id": group, "status": status}]});
        let customers: Vec<String> =
            self.customers.values().filter(|c| c.org == org).map(|c| c.id.clone()).collect();
        for c in customers {
            self.push_customer(&c, "groups_status_updated", payload.clone(), None);
        }
        self.drain_queue();
        Ok(())
    }

    fn chat_dump(&self, chat_id: &str) -> Option<Value> {
        let chat = self.chats.get(chat_id)?;
        let mut v = self.chat_json(chat, None, state::Viewer::Agent);
        let threads: Vec<Value> =
            (0..chat.threads.len()).map(|i| self.thread_json(chat, i, state::Viewer::Agent)).collect();
        v["threads"] = json!(threads);
        Some(v)
    }
}
