//! A scripted fake peer for driving a session (customer or agent) with simulated time.
//! No sockets, no sleeps: the test plays the server and the clock.
#![allow(dead_code)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use livechat_core::agent::{AgentConfig, AgentCredentials, AgentSession, AgentSide};
use livechat_core::customer::{
    ConnectionId, CustomerConfig, CustomerSession, CustomerSide, Endpoint, RequestId, RequestOptions, State,
};
use livechat_core::engine::{Engine, Output, Side};
use livechat_core::token::{Secret, Token};
use livechat_core::{Error, ErrorCode};
use serde_json::{Value, json};

pub struct Peer<S: Side = CustomerSide> {
    pub s: Engine<S>,
    pub now: Instant,
    pub conn: Option<ConnectionId>,
    pub opened_urls: Vec<String>,
    pub closed: Vec<ConnectionId>,
    pub sent: Vec<Value>,
    pub token_requests: Vec<bool>,
    pub events: Vec<S::Event>,
    pub completed: HashMap<RequestId, Result<Value, Error>>,
    pub completion_order: Vec<RequestId>,
}

pub fn config() -> CustomerConfig {
    let mut c = CustomerConfig::new("org-1", Endpoint::url("ws://127.0.0.1:9"));
    c.connection.seed = Some(1);
    c
}

pub fn token(entity: &str, now: Instant) -> Token {
    Token {
        access_token: Secret::new(format!("tok-{entity}")),
        entity_id: entity.to_string(),
        token_type: "Bearer".into(),
        expires_in: Duration::from_secs(28800),
        organization_id: Some("org-1".into()),
        issued_at: now,
    }
}

pub fn login_payload(customer: &str, online: bool) -> Value {
    json!({
        "customer": {"id": customer, "type": "customer", "statistics": {"chats_count": 0, "threads_count": 0,
            "visits_count": 1, "page_views_count": 1, "greetings_shown_count": 0, "greetings_accepted_count": 0}},
        "has_active_thread": false,
        "chats": [],
        "__priv_dynamic_config": {
            "customer_groups": {"monitoring": {"id": 0}},
            "online_groups_ids": if online { json!([0]) } else { json!([]) }
        }
    })
}

pub fn agent_config() -> AgentConfig {
    let mut c = AgentConfig::new("org-1", AgentCredentials::bearer("dal:agent-token"))
        .with_endpoint(Endpoint::url("ws://127.0.0.1:9"));
    c.connection.seed = Some(1);
    c
}

pub fn agent_login_payload(agent: &str) -> Value {
    json!({
        "license": {"id": 104130623, "organization_id": "org-1", "plan": "enterprise",
            "creation_timestamp": 1700000000u64, "in_trial": false},
        "my_profile": {"id": agent, "type": "agent", "name": "Agent One", "email": agent,
            "avatar": "https://cdn/a.png", "routing_status": "accepting_chats", "permission": "owner",
            "present": true},
        "chats_summary": [],
        "timestamp": 1700000001u64
    })
}

impl Peer<CustomerSide> {
    pub fn new(config: CustomerConfig) -> Peer {
        let now = Instant::now();
        Peer::with_session(CustomerSession::new(config, now), now)
    }

    pub fn give_token(&mut self, entity: &str) {
        let t = token(entity, self.now);
        self.s.handle_token(self.now, Ok(t));
        self.drain();
    }

    /// Answer the pending token request (if any), open the socket and answer the login.
    pub fn login_as(&mut self, customer: &str) {
        if self.conn.is_none() {
            self.advance_until_open();
        }
        self.open();
        if !self.token_requests.is_empty() || self.s.token().is_none() {
            self.give_token(customer);
        }
        let login = self.last_sent("login");
        self.respond(&login, login_payload(customer, true));
        assert_eq!(self.s.state(), State::Connected, "login did not connect");
    }

    pub fn login(&mut self) {
        self.login_as("cust-1");
    }
}

impl Peer<AgentSide> {
    pub fn agent(config: AgentConfig) -> Peer<AgentSide> {
        let now = Instant::now();
        Peer::with_session(AgentSession::new(config, now).expect("valid agent config"), now)
    }

    /// Open the socket (after waiting for it if needed) and answer the login as `agent`.
    pub fn login_as(&mut self, agent: &str) {
        if self.conn.is_none() {
            self.advance_until_open();
        }
        self.open();
        let login = self.last_sent("login");
        self.respond(&login, agent_login_payload(agent));
        assert_eq!(self.s.state(), State::Connected, "login did not connect");
    }

    pub fn login(&mut self) {
        self.login_as("agent@example.com");
    }
}

impl<S: Side> Peer<S> {
    pub fn with_session(s: Engine<S>, now: Instant) -> Peer<S> {
        let mut p = Peer {
            s,
            now,
            conn: None,
            opened_urls: vec![],
            closed: vec![],
            sent: vec![],
            token_requests: vec![],
            events: vec![],
            completed: HashMap::new(),
            completion_order: vec![],
        };
        p.drain();
        p
    }

    /// Drain every output, recording it. Panics if a request completes twice.
    pub fn drain(&mut self) {
        while let Some(o) = self.s.poll_output() {
            match o {
                Output::Open { conn, url } => {
                    self.conn = Some(conn);
                    self.opened_urls.push(url);
                }
                Output::Send { conn, text } => {
                    assert_eq!(Some(conn), self.conn, "sent on a socket that is not the current one");
                    let v: Value = serde_json::from_str(&text).expect("session sent invalid JSON");
                    self.sent.push(v);
                }
                Output::Close { conn } => {
                    self.closed.push(conn);
                    if self.conn == Some(conn) {
                        self.conn = None;
                    }
                }
                Output::FetchToken { fresh } => self.token_requests.push(fresh),
                Output::Event(e) => self.events.push(e),
                Output::Completed { id, result } => {
                    assert!(self.completed.insert(id, result).is_none(), "request {id} completed twice");
                    self.completion_order.push(id);
                }
            }
        }
    }

    pub fn open(&mut self) {
        let conn = self.conn.expect("no socket requested");
        self.s.handle_transport_open(self.now, conn);
        self.drain();
    }

    pub fn frame(&mut self, v: Value) {
        let conn = self.conn.expect("no socket");
        self.s.handle_frame(self.now, conn, &v.to_string());
        self.drain();
    }

    pub fn raw_frame(&mut self, text: &str) {
        let conn = self.conn.expect("no socket");
        self.s.handle_frame(self.now, conn, text);
        self.drain();
    }

    /// Server side closes the socket.
    pub fn server_close(&mut self) {
        let conn = self.conn.take().expect("no socket");
        self.s.handle_transport_closed(self.now, conn, Some(1006), "");
        self.drain();
    }

    /// Frames sent so far with this action.
    pub fn sent_with(&self, action: &str) -> Vec<Value> {
        self.sent.iter().filter(|f| f["action"] == action).cloned().collect()
    }

    pub fn last_sent(&self, action: &str) -> Value {
        self.sent_with(action).pop().unwrap_or_else(|| panic!("no `{action}` frame sent"))
    }

    pub fn take_sent(&mut self) -> Vec<Value> {
        std::mem::take(&mut self.sent)
    }

    pub fn respond(&mut self, req: &Value, payload: Value) {
        self.frame(json!({"request_id": req["request_id"], "action": req["action"], "type": "response",
            "success": true, "payload": payload}));
    }

    pub fn respond_err(&mut self, req: &Value, kind: &str, data: Option<Value>) {
        let mut error = json!({"type": kind, "message": format!("{kind} happened")});
        if let Some(d) = data {
            error["data"] = d;
        }
        self.frame(json!({"request_id": req["request_id"], "action": req["action"], "type": "response",
            "success": false, "payload": {"error": error}}));
    }

    pub fn push(&mut self, action: &str, payload: Value) {
        self.frame(json!({"action": action, "type": "push", "payload": payload}));
    }

    pub fn push_response(&mut self, req: &Value, action: &str, payload: Value) {
        self.frame(
            json!({"action": action, "type": "push", "request_id": req["request_id"], "payload": payload}),
        );
    }

    /// Move time forward, firing every timer on the way.
    pub fn advance(&mut self, d: Duration) {
        let end = self.now + d;
        loop {
            match self.s.poll_timeout() {
                Some(t) if t <= end => {
                    self.now = self.now.max(t);
                    self.s.handle_timeout(self.now);
                    self.drain();
                }
                _ => break,
            }
        }
        self.now = end;
    }

    /// Advance in small steps until the session asks for a socket (bounded).
    pub fn advance_until_open(&mut self) {
        for _ in 0..10_000 {
            if self.conn.is_some() {
                return;
            }
            self.advance(Duration::from_millis(50));
        }
        panic!("session never asked for a socket");
    }

    pub fn req(&mut self, action: &str, payload: Value) -> RequestId {
        let id = self.s.request(self.now, action, payload, RequestOptions::default());
        self.drain();
        id
    }

    pub fn result(&self, id: RequestId) -> &Result<Value, Error> {
        self.completed.get(&id).unwrap_or_else(|| panic!("request {id} has not completed"))
    }

    pub fn ok(&self, id: RequestId) -> &Value {
        match self.result(id) {
            Ok(v) => v,
            Err(e) => panic!("request {id} failed: {e}"),
        }
    }

    pub fn err(&self, id: RequestId) -> &ErrorCode {
        match self.result(id) {
            Ok(v) => panic!("request {id} succeeded with {v}"),
            Err(e) => &e.code,
        }
    }

    pub fn take_events(&mut self) -> Vec<S::Event> {
        std::mem::take(&mut self.events)
    }
}
