//! The in-memory chat service: organizations, customers, agents, chats, connections, routing.
//!
//! Everything lives behind one mutex. Handlers never block: outgoing frames go into bounded
//! per-connection channels with `try_send`; a connection whose buffer is full is cut.

use crate::SimConfig;
use crate::util::{ApiError, ApiResult, Clock, IdGen};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use tokio::sync::{Notify, mpsc};

/// What a connection task is told to do.
#[derive(Debug)]
pub enum Out {
    Text(String),
    /// Send a Close frame and end the connection at once.
    Close(u16, String),
    /// Send a Close frame, wait (bounded) for the client's own Close, then end the
    /// connection; the outcome is counted (`Control::close_customer`).
    CloseHandshake(u16, String),
}

/// Request context handed to the action handlers (`customer.rs`, `agent.rs`): which
/// connection, its `request_id`, who it is logged in as.
pub struct Ctx {
    pub conn: u64,
    pub request_id: Option<Value>,
    pub user: String,
}

impl Ctx {
    pub fn req(&self) -> Option<(u64, &Value)> {
        self.request_id.as_ref().map(|r| (self.conn, r))
    }
}

/// Pushes that API 3.6 added (absent from 3.5's push list).
pub const PUSHES_NEW_IN_3_6: &[&str] =
    &["incoming_thinking_indicator", "incoming_event_preview", "event_deleted", "thread_summary_set"];

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Role {
    Unauth,
    Customer(String),
    Agent(String),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Side {
    Customer,
    Agent,
}

pub struct ConnEntry {
    pub tx: mpsc::Sender<Out>,
    pub kill: Arc<Notify>,
    pub side: Side,
    pub role: Role,
    pub version: String,
    pub org: String,
    pub group_id: u64,
    /// `None` = all pushes.
    pub pushes: Option<HashSet<String>>,
}

#[derive(Debug, Clone)]
pub struct Group {
    pub status: String,
}

#[derive(Debug)]
pub struct Org {
    pub groups: BTreeMap<u64, Group>,
}

#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub chats: u64,
    pub threads: u64,
    pub visits: u64,
    pub page_views: u64,
    pub greetings_shown: u64,
    pub greetings_accepted: u64,
}

#[derive(Debug, Clone)]
pub struct Greeting {
    pub value: Value,
    pub unique_id: String,
    pub greeting_id: u64,
    pub accepted: bool,
}

#[derive(Debug)]
pub struct Customer {
    pub id: String,
    pub org: String,
    pub created_at: String,
    pub fields: Map<String, Value>,
    pub session_fields: Vec<(String, Value)>,
    pub stats: Stats,
    pub chat_ids: Vec<String>,
    pub greeting: Option<Greeting>,
    /// Token issued, logged in or last socket closed; see `evict.rs`.
    pub last_seen: std::time::Instant,
}

#[derive(Debug)]
pub struct Agent {
    pub id: String,
    pub name: String,
    pub avatar: String,
    pub job_title: String,
    pub is_bot: bool,
    pub routing_status: String,
    pub max_chats: usize,
    pub chats: HashSet<String>,
}

#[derive(Debug, Clone)]
pub struct Ev {
    pub v: Value,
    pub deleted: bool,
}

impl Ev {
    pub fn id(&self) -> &str {
        self.v["id"].as_str().unwrap_or("")
    }
}

#[derive(Debug)]
pub struct Thread {
    pub id: String,
    pub created_at: String,
    pub active: bool,
    pub user_ids: Vec<String>,
    pub events: Vec<Ev>,
    pub properties: Map<String, Value>,
    pub queued_at: Option<String>,
    pub next_event: u64,
    /// Thread tags (`tag_thread`); shown to agents only.
    pub tags: Vec<String>,
}

#[derive(Debug)]
pub struct Chat {
    pub id: String,
    pub org: String,
    pub customer_id: String,
    pub agent_ids: Vec<String>,
    pub properties: Map<String, Value>,
    pub group_id: u64,
    pub threads: Vec<Thread>,
    pub seen: HashMap<String, String>,
}

impl Chat {
    pub fn active(&self) -> bool {
        self.threads.last().is_some_and(|t| t.active)
    }

    pub fn access(&self) -> Value {
        json!({"group_ids": [self.group_id]})
    }

    pub fn thread_idx(&self, thread_id: &str) -> Option<usize> {
        self.threads.iter().position(|t| t.id == thread_id)
    }
}

/// Faults injected through the control API.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    pub ignore_pings: bool,
    pub response_delay_ms: u64,
    pub drop_responses: bool,
    pub reject_logins: u32,
    pub reject_login_error: String,
    /// `data` of the rejection error (e.g. `{"region": "fra"}` with `misdirected_request`).
    pub reject_login_data: Option<Value>,
    /// While `ignore_pings`: an `incoming_multicast` to every logged-in socket this often.
    pub keep_pushing_ms: u64,
    /// RTM WebSocket upgrades are read and never answered.
    pub stall_handshake: bool,
    /// The next push (to any socket) is preceded by an oversized unknown push.
    pub oversized_push: Option<(usize, crate::OversizedKind)>,
    /// Every successful login is followed at once by a disconnect with `internal_error`.
    pub internal_error_after_login: bool,
}

/// Who sees a chat: a customer view hides deleted and agents-only events of others.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Viewer<'a> {
    Customer(&'a str),
    Agent,
}

pub struct State {
    pub cfg: SimConfig,
    pub clock: Clock,
    pub ids: IdGen,
    pub orgs: HashMap<String, Org>,
    pub customers: HashMap<String, Customer>,
    /// customer token → (customer id, org id, expires at unix seconds)
    pub tokens: HashMap<String, (String, String, i64)>,
    pub chats: HashMap<String, Chat>,
    pub agents: BTreeMap<String, Agent>,
    pub conns: HashMap<u64, ConnEntry>,
    /// Logged-in connections by who they are, so a push finds a user's sockets without
    /// scanning every connection (which made 10,000 sessions CPU-bound on string compares).
    /// Kept in step by [`State::set_role`] and [`State::remove_conn`].
    by_role: HashMap<Role, BTreeSet<u64>>,
    /// chat ids whose last thread is waiting for an agent, in arrival order
    pub queue: VecDeque<String>,
    pub faults: Faults,
    /// frames produced while handling one request; sent after its response
    pub outbox: Vec<(u64, String)>,
    pub greeting_seq: u64,
    pub http_base: String,
    pub lifetimes: crate::lifetimes::Lifetimes,
    /// agent id → chats it follows (`follow_chat`)
    pub followed: HashMap<String, HashSet<String>>,
}

pub const BOT_ID: &str = "livechat-sim-bot";

impl State {
    pub fn new(cfg: SimConfig) -> Self {
        let seed = if cfg.deterministic { cfg.seed } else { crate::util::random_seed() };
        let mut agents = BTreeMap::new();
        agents.insert(
            BOT_ID.to_string(),
            Agent {
                id: BOT_ID.into(),
                name: "Sim Bot".into(),
                avatar: "https://cdn.livechat-sim.invalid/bot.png".into(),
                job_title: "Echo bot".into(),
                is_bot: true,
                routing_status: if cfg.bot { "accepting_chats".into() } else { "offline".into() },
                max_chats: usize::MAX,
                chats: HashSet::new(),
            },
        );
        agents.insert(
            cfg.agent_id.clone(),
            Agent {
                id: cfg.agent_id.clone(),
                name: "Sim Agent".into(),
                avatar: "https://cdn.livechat-sim.invalid/agent.png".into(),
                job_title: "Support Agent".into(),
                is_bot: false,
                routing_status: "accepting_chats".into(),
                max_chats: cfg.agent_max_chats,
                chats: HashSet::new(),
            },
        );
        State {
            clock: Clock::new(cfg.deterministic, cfg.clock_start_unix),
            ids: IdGen::new(seed),
            cfg,
            orgs: HashMap::new(),
            customers: HashMap::new(),
            tokens: HashMap::new(),
            chats: HashMap::new(),
            agents,
            conns: HashMap::new(),
            by_role: HashMap::new(),
            queue: VecDeque::new(),
            faults: Faults::default(),
            outbox: Vec::new(),
            greeting_seq: 0,
            http_base: String::new(),
            lifetimes: Default::default(),
            followed: HashMap::new(),
        }
    }

    pub fn now_unix(&mut self) -> i64 {
        self.clock.now_us() / 1_000_000
    }

    /// Creates the organization on first use: group 0 online.
    pub fn ensure_org(&mut self, org: &str) {
        if !self.orgs.contains_key(org) {
            let mut groups = BTreeMap::new();
            groups.insert(0, Group { status: "online".into() });
            self.orgs.insert(org.to_string(), Org { groups });
        }
    }

    pub fn new_customer(&mut self, org: &str, id: Option<&str>) -> String {
        self.ensure_org(org);
        let id = id.map(str::to_string).unwrap_or_else(|| self.ids.uuid());
        let created_at = self.clock.now();
        let now = std::time::Instant::now();
        self.customers.entry(id.clone()).and_modify(|c| c.last_seen = now).or_insert_with(|| Customer {
            id: id.clone(),
            org: org.to_string(),
            created_at,
            fields: Map::new(),
            session_fields: Vec::new(),
            stats: Stats::default(),
            chat_ids: Vec::new(),
            greeting: None,
            last_seen: now,
        });
        id
    }

    pub fn issue_token(&mut self, customer_id: &str, org: &str) -> (String, i64) {
        let token = self.ids.secret("dal:sim_");
        let expires_in = self.cfg.token_expires_in as i64;
        let exp = self.now_unix() + expires_in;
        self.tokens.insert(token.clone(), (customer_id.to_string(), org.to_string(), exp));
        if let Some(c) = self.customers.get_mut(customer_id) {
            c.last_seen = std::time::Instant::now();
        }
        (token, expires_in)
    }

    // ---------------------------------------------------------------- delivery

    pub(crate) fn deliver(&mut self, conn_id: u64, text: String) {
        self.outbox.push((conn_id, text));
    }

    /// Sends every frame collected in the outbox.
    pub fn flush(&mut self) {
        let out = std::mem::take(&mut self.outbox);
        for (conn_id, text) in out {
            self.send_now(conn_id, Out::Text(text));
        }
    }

    pub fn send_now(&mut self, conn_id: u64, out: Out) {
        if let Some(c) = self.conns.get(&conn_id)
            && c.tx.try_send(out).is_err()
        {
            // Slow or gone consumer: cut the connection rather than buffer without bound.
            c.kill.notify_one();
        }
    }

    pub(crate) fn push_frame(
        conn: &ConnEntry,
        action: &str,
        payload: &Value,
        request_id: Option<&Value>,
    ) -> String {
        let mut f = json!({"version": conn.version, "action": action, "type": "push", "payload": payload});
        if let Some(r) = request_id {
            f["request_id"] = r.clone();
        }
        f.to_string()
    }

    /// Without a `pushes` list a connection gets the pushes of its own version: a 3.5 socket
    /// is not sent the pushes 3.6 added.
    fn wants(conn: &ConnEntry, action: &str) -> bool {
        action == "customer_disconnected"
            || action == "agent_disconnected"
            || match conn.pushes.as_ref() {
                Some(p) => p.contains(action),
                None => conn.version != "3.5" || !PUSHES_NEW_IN_3_6.contains(&action),
            }
    }

    /// Who connection `conn` is now (after a login); `Unauth` is not indexed.
    pub fn set_role(&mut self, conn: u64, role: Role) {
        let Some(c) = self.conns.get_mut(&conn) else { return };
        let old = std::mem::replace(&mut c.role, role.clone());
        self.unindex(conn, &old);
        if role != Role::Unauth {
            self.by_role.entry(role).or_default().insert(conn);
        }
    }

    /// The connection closed.
    pub fn remove_conn(&mut self, conn: u64) {
        if let Some(c) = self.conns.remove(&conn) {
            self.unindex(conn, &c.role);
            if let Role::Customer(id) = &c.role
                && let Some(cu) = self.customers.get_mut(id)
            {
                cu.last_seen = std::time::Instant::now();
            }
        }
    }

    fn unindex(&mut self, conn: u64, role: &Role) {
        if let Some(set) = self.by_role.get_mut(role) {
            set.remove(&conn);
            if set.is_empty() {
                self.by_role.remove(role);
            }
        }
    }

    /// Push to every connection of these users, in connection order; the requester's
    /// connection gets the request id.
    fn push_to(&mut self, roles: &[Role], action: &str, payload: &Value, requester: Option<(u64, &Value)>) {
        let ids: BTreeSet<u64> = roles
            .iter()
            .filter_map(|r| self.by_role.get(r))
            .flatten()
            .copied()
            .filter(|id| self.conns.get(id).is_some_and(|c| Self::wants(c, action)))
            .collect();
        for id in ids {
            let Some(shown) = Self::payload_for(&self.conns[&id], payload) else { continue };
            self.oversized_before_push(id);
            let rid = requester.filter(|(cid, _)| *cid == id).map(|(_, r)| r);
            let text = Self::push_frame(&self.conns[&id], action, &shown, rid);
            self.deliver(id, text);
        }
    }

    pub fn push_customer(
        &mut self,
        customer_id: &str,
        action: &str,
        payload: Value,
        req: Option<(u64, &Value)>,
    ) {
        self.push_to(&[Role::Customer(customer_id.to_string())], action, &payload, req);
    }

    pub fn push_agent(&mut self, agent_id: &str, action: &str, payload: Value, req: Option<(u64, &Value)>) {
        self.push_to(&[Role::Agent(agent_id.to_string())], action, &payload, req);
    }

    /// Push to the chat's customer and all its agents (same payload for both sides).
    pub fn push_chat(&mut self, chat_id: &str, action: &str, payload: Value, req: Option<(u64, &Value)>) {
        let Some(chat) = self.chats.get(chat_id) else { return };
        let roles: Vec<Role> = std::iter::once(Role::Customer(chat.customer_id.clone()))
            .chain(chat.agent_ids.iter().map(|a| Role::Agent(a.clone())))
            .collect();
        self.push_to(&roles, action, &payload, req);
    }

    /// Push to the chat's agents only.
    pub fn push_chat_agents(&mut self, chat_id: &str, action: &str, payload: Value) {
        let Some(chat) = self.chats.get(chat_id) else { return };
        for a in chat.agent_ids.clone() {
            self.push_agent(&a, action, payload.clone(), None);
        }
    }

    /// Sends `*_disconnected` and closes the matching connections. Returns how many.
    pub fn disconnect_where(
        &mut self,
        pred: impl Fn(&ConnEntry) -> bool,
        reason: &str,
        data: Option<Value>,
    ) -> usize {
        let ids: HashSet<u64> = self.conns.iter().filter(|(_, c)| pred(c)).map(|(i, _)| *i).collect();
        self.disconnect_ids(&ids, reason, data)
    }

    pub fn disconnect_where_id(&mut self, conn_id: u64, reason: &str, data: Option<Value>) -> usize {
        let ids: HashSet<u64> = [conn_id].into();
        self.disconnect_ids(&ids, reason, data)
    }

    fn disconnect_ids(&mut self, ids: &HashSet<u64>, reason: &str, data: Option<Value>) -> usize {
        let mut ids: Vec<u64> = ids.iter().copied().filter(|i| self.conns.contains_key(i)).collect();
        ids.sort_unstable();
        for id in &ids {
            let c = &self.conns[id];
            let action =
                if c.side == Side::Customer { "customer_disconnected" } else { "agent_disconnected" };
            let mut payload = json!({ "reason": reason });
            if let Some(d) = &data {
                payload["data"] = d.clone();
            }
            let text = Self::push_frame(c, action, &payload, None);
            self.send_now(*id, Out::Text(text));
            self.send_now(*id, Out::Close(1000, reason.to_string()));
        }
        ids.len()
    }

    /// Cuts the matching sockets without any frame.
    pub fn drop_where(&mut self, pred: impl Fn(&ConnEntry) -> bool) -> usize {
        let mut n = 0;
        for c in self.conns.values().filter(|c| pred(c)) {
            c.kill.notify_one();
            n += 1;
        }
        n
    }

    pub fn customer_online(&self, customer_id: &str) -> bool {
        self.by_role.contains_key(&Role::Customer(customer_id.to_string()))
    }

    pub fn agent_online(&self, agent_id: &str) -> bool {
        self.by_role.contains_key(&Role::Agent(agent_id.to_string()))
    }

    // ---------------------------------------------------------------- views

    pub fn customer_json(&self, c: &Customer, with_stats: bool) -> Value {
        let mut v = Map::new();
        v.insert("id".into(), json!(c.id));
        v.insert("type".into(), json!("customer"));
        for (k, val) in &c.fields {
            v.insert(k.clone(), val.clone());
        }
        let sf: Vec<Value> =
            c.session_fields.iter().map(|(k, val)| json!({ k.clone(): val.clone() })).collect();
        v.insert("session_fields".into(), Value::Array(sf));
        v.insert("created_at".into(), json!(c.created_at));
        if with_stats {
            let s = &c.stats;
            v.insert(
                "statistics".into(),
                json!({
                    "chats_count": s.chats, "threads_count": s.threads, "visits_count": s.visits,
                    "page_views_count": s.page_views, "greetings_shown_count": s.greetings_shown,
                    "greetings_accepted_count": s.greetings_accepted,
                }),
            );
        }
        Value::Object(v)
    }

    pub fn agent_json(&self, a: &Agent) -> Value {
        let mut v = json!({
            "id": a.id, "type": "agent", "name": a.name, "avatar": a.avatar,
            "job_title": a.job_title, "is_bot": a.is_bot,
        });
        if a.is_bot {
            v["bot_type"] = json!("chatbot");
        }
        v
    }

    fn users_json(&self, chat: &Chat) -> Vec<Value> {
        let mut users = Vec::new();
        let epoch = "1970-01-01T00:00:00.000000Z".to_string();
        if let Some(c) = self.customers.get(&chat.customer_id) {
            let mut u = self.customer_json(c, false);
            u["present"] = json!(self.customer_online(&c.id));
            u["events_seen_up_to"] = json!(chat.seen.get(&c.id).unwrap_or(&epoch));
            users.push(u);
        }
        for aid in &chat.agent_ids {
            if let Some(a) = self.agents.get(aid) {
                let mut u = self.agent_json(a);
                u["present"] = json!(true);
                u["events_seen_up_to"] = json!(chat.seen.get(aid).unwrap_or(&epoch));
                users.push(u);
            }
        }
        users
    }

    pub fn visible(ev: &Ev, viewer: Viewer<'_>) -> Option<Value> {
        match viewer {
            Viewer::Agent => {
                let mut v = Self::event_view(&ev.v, Side::Agent, None)?;
                if ev.deleted {
                    v["deleted"] = json!(true);
                }
                Some(v)
            }
            Viewer::Customer(me) => {
                if ev.deleted {
                    return None;
                }
                Self::event_view(&ev.v, Side::Customer, Some(me))
            }
        }
    }

    /// One side's view of a stored event, whoever wrote it: the Agent Chat API shows every
    /// event with `visibility` (`all` | `agents`), the Customer Chat API with `recipients`;
    /// a customer never sees an event meant for agents only (unless it wrote it). `None`:
    /// not visible to this viewer.
    pub fn event_view(ev: &Value, side: Side, customer: Option<&str>) -> Option<Value> {
        let audience = ev
            .get("visibility")
            .or_else(|| ev.get("recipients"))
            .and_then(Value::as_str)
            .unwrap_or("all")
            .to_string();
        if side == Side::Customer
            && audience == "agents"
            && ev.get("author_id").and_then(Value::as_str) != customer
        {
            return None;
        }
        let mut v = ev.clone();
        if let Some(o) = v.as_object_mut() {
            let (drop, keep) = if side == Side::Customer {
                ("visibility", "recipients")
            } else {
                ("recipients", "visibility")
            };
            o.remove(drop);
            o.insert(keep.into(), json!(audience));
        }
        Some(v)
    }

    /// A push's payload as connection `c` may see it: an `event` in it in the connection's
    /// side's shape, or nothing when the event is not for it.
    fn payload_for(c: &ConnEntry, payload: &Value) -> Option<Value> {
        let Some(ev) = payload.get("event").filter(|e| e.is_object()) else { return Some(payload.clone()) };
        let customer = match &c.role {
            Role::Customer(id) => Some(id.as_str()),
            _ => None,
        };
        let view = Self::event_view(ev, c.side, customer)?;
        let mut p = payload.clone();
        p["event"] = view;
        Some(p)
    }

    pub fn queue_position(&self, chat_id: &str) -> Option<usize> {
        self.queue.iter().position(|c| c == chat_id).map(|p| p + 1)
    }

    pub fn thread_json(&self, chat: &Chat, idx: usize, viewer: Viewer<'_>) -> Value {
        let t = &chat.threads[idx];
        let events: Vec<Value> = t.events.iter().filter_map(|e| Self::visible(e, viewer)).collect();
        let mut v = json!({
            "id": t.id, "created_at": t.created_at, "active": t.active, "user_ids": t.user_ids,
            "events": events, "properties": t.properties, "access": chat.access(),
        });
        if matches!(viewer, Viewer::Agent) {
            v["tags"] = json!(t.tags);
        }
        if idx > 0 {
            v["previous_thread_id"] = json!(chat.threads[idx - 1].id);
        }
        if idx + 1 < chat.threads.len() {
            v["next_thread_id"] = json!(chat.threads[idx + 1].id);
        }
        if let (Some(at), Some(pos)) = (&t.queued_at, self.queue_position(&chat.id))
            && t.active
        {
            v["queue"] = json!({"position": pos, "wait_time": pos * 30, "queued_at": at});
        }
        v
    }

    /// Chat with one thread (`get_chat`, `incoming_chat`).
    pub fn chat_json(&self, chat: &Chat, idx: Option<usize>, viewer: Viewer<'_>) -> Value {
        let mut v = json!({
            "id": chat.id, "users": self.users_json(chat), "properties": chat.properties, "access": chat.access(),
        });
        if let Some(i) = idx {
            v["thread"] = self.thread_json(chat, i, viewer);
        }
        v
    }

    pub fn chat_summary(&self, chat: &Chat, viewer: Viewer<'_>) -> Value {
        let mut last_per_type = Map::new();
        for (order, t) in chat.threads.iter().enumerate() {
            for e in &t.events {
                if let Some(v) = Self::visible(e, viewer) {
                    let ty = v["type"].as_str().unwrap_or("unknown").to_string();
                    last_per_type.insert(
                        ty,
                        json!({"thread_id": t.id, "thread_order": order + 1, "thread_created_at": t.created_at, "event": v}),
                    );
                }
            }
        }
        let mut v = json!({
            "id": chat.id, "users": self.users_json(chat), "last_event_per_type": last_per_type,
            "properties": chat.properties, "access": chat.access(), "active": chat.active(),
        });
        if let Some(t) = chat.threads.last() {
            v["last_thread_id"] = json!(t.id);
            v["last_thread_created_at"] = json!(t.created_at);
            v["last_thread_summary"] = json!({"id": t.id, "user_ids": t.user_ids, "properties": t.properties, "created_at": t.created_at, "active": t.active});
        }
        v
    }

    // ---------------------------------------------------------------- chats

    pub fn chat_for_customer(&self, customer_id: &str, chat_id: &str) -> ApiResult<&Chat> {
        let chat = self.chats.get(chat_id).ok_or_else(|| ApiError::not_found("Chat"))?;
        if chat.customer_id != customer_id {
            return Err(ApiError::new("authorization", "Chat does not belong to this customer"));
        }
        Ok(chat)
    }

    /// Appends an event body (validated) to a thread, assigning id, timestamp and author.
    pub fn append_event(
        &mut self,
        chat_id: &str,
        idx: usize,
        mut body: Map<String, Value>,
        author: Option<&str>,
    ) -> Value {
        let now = self.clock.now();
        let Some(chat) = self.chats.get_mut(chat_id) else { return Value::Null };
        let t = &mut chat.threads[idx];
        t.next_event += 1;
        body.insert("id".into(), json!(format!("{}_{}", t.id, t.next_event)));
        body.insert("created_at".into(), json!(now));
        if let Some(a) = author {
            body.insert("author_id".into(), json!(a));
        }
        let v = Value::Object(body);
        t.events.push(Ev { v: v.clone(), deleted: false });
        if let Some(a) = author {
            chat.seen.insert(a.to_string(), now);
        }
        v
    }

    pub fn new_thread(&mut self, chat_id: &str, active: bool, properties: Map<String, Value>) -> usize {
        let id = self.ids.id10();
        let now = self.clock.now();
        let Some(chat) = self.chats.get_mut(chat_id) else { return 0 };
        let mut user_ids = vec![chat.customer_id.clone()];
        if !active {
            chat.agent_ids.clear();
        }
        user_ids.extend(chat.agent_ids.iter().cloned());
        chat.threads.push(Thread {
            id,
            created_at: now,
            active,
            user_ids,
            events: Vec::new(),
            properties,
            queued_at: None,
            next_event: 0,
            tags: Vec::new(),
        });
        chat.threads.len() - 1
    }

    /// Picks an agent for a group: humans online first, then the bot; must have free capacity.
    pub fn pick_agent(&self, _group: u64) -> Option<String> {
        let mut best: Option<(&Agent, usize)> = None;
        for a in self.agents.values() {
            if a.routing_status != "accepting_chats" || a.chats.len() >= a.max_chats {
                continue;
            }
            if a.is_bot && !self.cfg.bot {
                continue;
            }
            if !a.is_bot && !self.agent_online(&a.id) {
                continue;
            }
            let rank = if a.is_bot { 1 } else { 0 };
            match best {
                Some((b, r)) if (r, b.chats.len()) <= (rank, a.chats.len()) => {}
                _ => best = Some((a, rank)),
            }
        }
        best.map(|(a, _)| a.id.clone())
    }

    fn assign(&mut self, chat_id: &str, agent_id: &str) {
        if let Some(chat) = self.chats.get_mut(chat_id) {
            if !chat.agent_ids.iter().any(|a| a == agent_id) {
                chat.agent_ids.push(agent_id.to_string());
            }
            if let Some(t) = chat.threads.last_mut() {
                if !t.user_ids.iter().any(|u| u == agent_id) {
                    t.user_ids.push(agent_id.to_string());
                }
                t.queued_at = None;
            }
        }
        if let Some(a) = self.agents.get_mut(agent_id) {
            a.chats.insert(chat_id.to_string());
        }
    }

    /// Routes the chat's new active thread: an agent, or the queue. Returns the agent.
    pub fn route(&mut self, chat_id: &str) -> Option<String> {
        let group = self.chats.get(chat_id).map(|c| c.group_id).unwrap_or(0);
        let status = self
            .chats
            .get(chat_id)
            .and_then(|c| self.orgs.get(&c.org))
            .and_then(|o| o.groups.get(&group))
            .map(|g| g.status.clone())
            .unwrap_or_else(|| "online".into());
        let agent = if status == "offline" { None } else { self.pick_agent(group) };
        match agent {
            Some(a) => {
                self.assign(chat_id, &a);
                Some(a)
            }
            None => {
                let now = self.clock.now();
                if let Some(t) = self.chats.get_mut(chat_id).and_then(|c| c.threads.last_mut()) {
                    t.queued_at = Some(now);
                }
                if !self.queue.iter().any(|c| c == chat_id) {
                    self.queue.push_back(chat_id.to_string());
                }
                None
            }
        }
    }

    pub fn queue_push(&mut self, chat_id: &str) {
        let Some(pos) = self.queue_position(chat_id) else { return };
        let Some(t) = self.chats.get(chat_id).and_then(|c| c.threads.last()) else { return };
        let payload =
            json!({"chat_id": chat_id, "thread_id": t.id, "queue": {"position": pos, "wait_time": pos * 30}});
        self.push_chat(chat_id, "queue_position_updated", payload, None);
    }

    /// Releases an agent from a chat (deactivation, transfer).
    pub fn release(&mut self, chat_id: &str) {
        self.queue.retain(|c| c != chat_id);
        if let Some(chat) = self.chats.get(chat_id) {
            for a in chat.agent_ids.clone() {
                if let Some(ag) = self.agents.get_mut(&a) {
                    ag.chats.remove(chat_id);
                }
            }
        }
    }

    /// Assigns queued chats to agents that became free; updates positions of the rest.
    pub fn drain_queue(&mut self) {
        let mut assigned = Vec::new();
        let mut i = 0;
        while i < self.queue.len() {
            let chat_id = self.queue[i].clone();
            let group = self.chats.get(&chat_id).map(|c| c.group_id).unwrap_or(0);
            match self.pick_agent(group) {
                Some(a) => {
                    self.queue.remove(i);
                    self.assign(&chat_id, &a);
                    assigned.push((chat_id, a));
                }
                None => i += 1,
            }
        }
        if assigned.is_empty() {
            return;
        }
        for (chat_id, agent_id) in assigned {
            self.announce_agent(&chat_id, &agent_id, "other");
        }
        for c in self.queue.clone() {
            self.queue_push(&c);
        }
    }

    /// Tells the customer an agent joined and gives the agent the chat.
    pub fn announce_agent(&mut self, chat_id: &str, agent_id: &str, reason: &str) {
        let Some(chat) = self.chats.get(chat_id) else { return };
        let Some(a) = self.agents.get(agent_id) else { return };
        let idx = chat.threads.len().checked_sub(1);
        let mut user = self.agent_json(a);
        user["present"] = json!(true);
        let thread_id = chat.threads.last().map(|t| t.id.clone()).unwrap_or_default();
        let chat_v = self.chat_json(chat, idx, Viewer::Agent);
        let customer = chat.customer_id.clone();
        self.push_customer(
            &customer,
            "user_added_to_chat",
            json!({"chat_id": chat_id, "thread_id": thread_id, "user": user, "reason": reason}),
            None,
        );
        self.push_agent(agent_id, "incoming_chat", json!({ "chat": chat_v }), None);
    }

    /// The bot answers customer messages when it serves the chat.
    pub fn bot_reply(&mut self, chat_id: &str, texts: &[String]) {
        if !self.cfg.bot || texts.is_empty() {
            return;
        }
        let Some(chat) = self.chats.get(chat_id) else { return };
        if !chat.active() || !chat.agent_ids.iter().any(|a| a == BOT_ID) {
            return;
        }
        let idx = chat.threads.len() - 1;
        let thread_id = chat.threads[idx].id.clone();
        for text in texts {
            let mut body = Map::new();
            body.insert("type".into(), json!("message"));
            body.insert("text".into(), json!(format!("You said: {text}")));
            body.insert("visibility".into(), json!("all"));
            let ev = self.append_event(chat_id, idx, body, Some(BOT_ID));
            self.push_chat(
                chat_id,
                "incoming_event",
                json!({"chat_id": chat_id, "thread_id": thread_id, "event": ev}),
                None,
            );
        }
    }

    /// Deactivates the chat's active thread, with the system message and pushes.
    pub fn deactivate(&mut self, chat_id: &str, by: Option<&str>, system_type: &str, text: &str) {
        let Some(chat) = self.chats.get(chat_id) else { return };
        if !chat.active() {
            return;
        }
        let idx = chat.threads.len() - 1;
        let thread_id = chat.threads[idx].id.clone();
        let mut body = Map::new();
        body.insert("type".into(), json!("system_message"));
        body.insert("text".into(), json!(text));
        body.insert("system_message_type".into(), json!(system_type));
        body.insert("recipients".into(), json!("all"));
        let ev = self.append_event(chat_id, idx, body, None);
        self.push_chat(
            chat_id,
            "incoming_event",
            json!({"chat_id": chat_id, "thread_id": thread_id, "event": ev}),
            None,
        );
        let mut payload = json!({"chat_id": chat_id, "thread_id": thread_id});
        if let Some(u) = by {
            payload["user_id"] = json!(u);
        }
        self.push_chat(chat_id, "chat_deactivated", payload, None);
        self.release(chat_id);
        if let Some(chat) = self.chats.get_mut(chat_id) {
            if let Some(t) = chat.threads.last_mut() {
                t.active = false;
                t.queued_at = None;
            }
            chat.agent_ids.clear();
        }
        self.drain_queue();
    }

    /// Groups that are not offline.
    pub fn online_groups(&self, org: &str) -> Vec<u64> {
        self.orgs
            .get(org)
            .map(|o| o.groups.iter().filter(|(_, g)| g.status != "offline").map(|(id, _)| *id).collect())
            .unwrap_or_default()
    }

    pub fn group_status(&self, org: &str, group: u64) -> Option<String> {
        self.orgs.get(org).and_then(|o| o.groups.get(&group)).map(|g| g.status.clone())
    }
}
