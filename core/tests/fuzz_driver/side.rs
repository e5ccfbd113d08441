//! What the harness needs to know about each side: how to build the session, what its
//! events mean for the checks, how its server answers, and its own commands. Everything
//! else (the invariants, the transport, the generic server) is written once, in
//! `harness.rs` / `server.rs`, over `Engine<S>`.

use std::time::Instant;

use livechat_core::agent::{AgentConfig, AgentCredentials, AgentEvent, AgentSession, AgentSide, Recipients};
use livechat_core::customer::{CustomerConfig, CustomerPage, CustomerSession, CustomerSide, Event};
use livechat_core::engine::config::ConnectionConfig;
use livechat_core::engine::{Engine, RequestId, Side};
use serde_json::{Value, json};

use super::ops::Header;
use super::server::{agent_user, chat_json, customer_user, message_event, pick};

/// What an event tells the checks.
pub enum Seen<'a> {
    /// Logged in on the current socket (`connected` / `ready`); `me` when the event names
    /// the user.
    LoggedIn {
        me: Option<String>,
    },
    /// The session's user is now `0` (customer id from the token).
    User(String),
    /// A frame was rejected and skipped.
    Rejected,
    /// A push kept raw (a push this side has no type for).
    Raw {
        action: &'a str,
    },
    Other,
}

pub trait FuzzSide: Side + Sized {
    /// Actions for `Op::Request`, including ones the session must refuse itself.
    const ACTIONS: &'static [&'static str];
    /// A push only the other side has a type for: raw on this side.
    const FOREIGN_PUSH: &'static str;
    /// The login event names the user (agent `ready`); otherwise the token does
    /// (customer `customer_id` / `identity_changed`).
    const LOGIN_NAMES_USER: bool;

    fn session(connection: ConnectionConfig, header: Header, now: Instant) -> Engine<Self>;
    fn kind(event: &Self::Event) -> &'static str;
    fn seen(event: &Self::Event) -> Seen<'_>;
    /// A successful `login` response payload (`v` varies it).
    fn login_response(v: u8) -> Value;
    /// The payload the application sends with `action`.
    fn request_payload(action: &str, b: u8) -> Value;
    /// This side's answer to `action`, where it differs from the common one.
    fn ok_payload(action: &str, request: &Value, v: u8) -> Option<Value>;
    /// One of this side's everyday pushes.
    fn side_push(p: u8, v: u8, chat: &str) -> (&'static str, Value);
    /// This side's own commands (`Op::Misc`): the call's id, and whether it is an
    /// exactly-once send.
    fn misc(s: &mut Engine<Self>, now: Instant, op: u8, chat: &str) -> Option<(RequestId, bool)>;
    /// `rateChat` / `cancelRate` (customer only: an agent has no such command).
    fn rate(s: &mut Engine<Self>, now: Instant, chat: &str, cancel: bool) -> Option<RequestId>;
}

impl FuzzSide for CustomerSide {
    const ACTIONS: &'static [&'static str] = &[
        "get_customer",
        "list_chats",
        "get_chat",
        "start_chat",
        "resume_chat",
        "deactivate_chat",
        "list_threads",
        "mark_events_as_seen",
        "update_customer",
        "list_group_statuses",
        "send_sneak_peek",
        "login",
        "ping",
        "send_event",
    ];
    const FOREIGN_PUSH: &'static str = "routing_status_set";
    const LOGIN_NAMES_USER: bool = false;

    fn session(connection: ConnectionConfig, header: Header, now: Instant) -> CustomerSession {
        let mut config = CustomerConfig::new("org-fuzz", connection.endpoint.clone());
        config.connection = connection;
        if header.side_option() {
            config.page = Some(CustomerPage { url: "https://shop.example/".into(), title: None });
        }
        config.group_id = header.group_id();
        CustomerSession::new(config, now)
    }

    fn kind(event: &Event) -> &'static str {
        event.kind().as_str()
    }

    fn seen(event: &Event) -> Seen<'_> {
        match event {
            Event::Connected(_) => Seen::LoggedIn { me: None },
            Event::CustomerId(id) => Seen::User(id.clone()),
            Event::IdentityChanged { new_id, .. } => Seen::User(new_id.clone()),
            Event::FrameRejected { .. } => Seen::Rejected,
            Event::UnknownPush { action, .. } => Seen::Raw { action },
            _ => Seen::Other,
        }
    }

    fn login_response(v: u8) -> Value {
        json!({
            "customer": {"id": pick(&["cust-a", "cust-b"], v >> 7), "type": "customer",
                         "statistics": {"chats_count": 1, "threads_count": 1, "visits_count": 1,
                                        "page_views_count": 1, "greetings_shown_count": 0,
                                        "greetings_accepted_count": 0}},
            "has_active_thread": v & 1 == 1,
            "chats": [{"chat_id": "CH1", "has_unread_events": false}],
            "__priv_dynamic_config": {
                "online_groups_ids": if v & 2 == 0 { json!([0]) } else { json!([]) },
                "customer_groups": {"monitoring": {"id": 0, "static_config_url": "/x", "language_config_url": "/y"}},
            },
        })
    }

    fn request_payload(action: &str, b: u8) -> Value {
        let chat = pick(&super::server::CHATS, b);
        match (action, b % 4) {
            (_, 3) => json!("not an object"),
            ("list_chats", 2) => json!({"limit": 26}),
            ("list_threads", 2) => json!({"chat_id": chat, "limit": 5, "min_events_count": 5}),
            ("list_threads", _) => json!({"chat_id": chat, "min_events_count": b >> 2}),
            ("start_chat", _) => json!({"chat": {"thread": {"events": [{"type": "message", "text": "hi"}]}}}),
            ("resume_chat", _) => json!({"chat": {"id": chat}}),
            ("deactivate_chat", _) => json!({"id": chat}),
            ("send_event", 2) => json!({"chat_id": chat}),
            ("send_event", _) => json!({"chat_id": chat, "event": {"type": "message", "text": "x"}}),
            ("mark_events_as_seen", _) => json!({"chat_id": chat, "seen_up_to": "2026-01-01T00:00:00Z"}),
            ("list_group_statuses", _) => json!({"all": true}),
            ("send_sneak_peek", _) => json!({"chat_id": chat, "sneak_peek_text": "hel"}),
            ("get_chat", _) => json!({"chat_id": chat}),
            _ => json!({}),
        }
    }

    fn ok_payload(action: &str, _request: &Value, v: u8) -> Option<Value> {
        Some(match action {
            "list_chats" => json!({
                "chats_summary": [
                    {"id": "CH1", "active": v & 1 == 0, "users": [customer_user(), agent_user()]},
                    {"id": "CH2", "active": false, "users": [agent_user()]},
                ],
                "total_chats": 2,
            }),
            "get_customer" => customer_user(),
            _ => return None,
        })
    }

    fn side_push(p: u8, v: u8, chat: &str) -> (&'static str, Value) {
        match v % 6 {
            0 => (
                "incoming_typing_indicator",
                json!({"chat_id": chat, "thread_id": "TH1",
                "typing_indicator": {"author_id": "agent-1", "recipients": "all", "timestamp": 1, "is_typing": true}}),
            ),
            1 => ("incoming_multicast", json!({"author_id": "agent-1", "content": {"x": v}})),
            2 => (
                "events_marked_as_seen",
                json!({"user_id": "agent-1", "chat_id": chat,
                "seen_up_to": "2026-01-01T00:00:00.000000Z"}),
            ),
            3 => (
                "queue_position_updated",
                json!({"chat_id": chat, "thread_id": "TH1",
                "queue": {"position": p, "wait_time": v}}),
            ),
            4 => (
                "incoming_greeting",
                json!({"id": 1, "unique_id": format!("g-{p}"),
                "displayed_first_time": true, "event": message_event(v), "agent": agent_user()}),
            ),
            _ => ("shiny_new_push", json!({"x": p})),
        }
    }

    fn misc(s: &mut CustomerSession, now: Instant, op: u8, chat: &str) -> Option<(RequestId, bool)> {
        let id = if op & 1 == 0 {
            s.set_sneak_peek(now, chat, "typing…")
        } else {
            let url = (op & 2 != 0).then_some("https://shop.example/cart");
            s.update_customer_page(now, url, Some("Cart"))
        };
        id.map(|id| (id, false))
    }

    fn rate(s: &mut CustomerSession, now: Instant, chat: &str, cancel: bool) -> Option<RequestId> {
        Some(if cancel {
            s.cancel_rate(now, chat, &[])
        } else {
            s.rate_chat(now, chat, serde_json::json!({"score": 1, "comment": "good"}))
        })
    }
}

/// Agent ids a login response may name (`my_profile.id`).
const AGENTS: [&str; 2] = ["bot@example.com", "bot2@example.com"];

impl FuzzSide for AgentSide {
    const ACTIONS: &'static [&'static str] = &[
        "list_chats",
        "get_chat",
        "list_threads",
        "start_chat",
        "resume_chat",
        "deactivate_chat",
        "send_event",
        "set_routing_status",
        "transfer_chat",
        "add_user_to_chat",
        "multicast",
        "list_agents_for_transfer",
        "login",
        "ping",
    ];
    const FOREIGN_PUSH: &'static str = "customer_side_storage_updated";
    const LOGIN_NAMES_USER: bool = true;

    fn session(connection: ConnectionConfig, header: Header, now: Instant) -> AgentSession {
        let mut config = AgentConfig::new("org-fuzz", AgentCredentials::bearer("dal:agent-token"));
        config.connection = connection;
        if header.side_option() {
            config.timezone = Some("Europe/Warsaw".into());
            config.away = Some(true);
            config.customer_monitoring_level = Some("highest_available".into());
        }
        AgentSession::new(config, now).expect("the harness builds a valid agent config")
    }

    fn kind(event: &AgentEvent) -> &'static str {
        event.kind().as_str()
    }

    fn seen(event: &AgentEvent) -> Seen<'_> {
        match event {
            AgentEvent::Ready(r) => Seen::LoggedIn {
                me: r.raw.pointer("/my_profile/id").and_then(Value::as_str).map(str::to_string),
            },
            AgentEvent::FrameRejected { .. } => Seen::Rejected,
            AgentEvent::Push { action, .. } => Seen::Raw { action },
            _ => Seen::Other,
        }
    }

    fn login_response(v: u8) -> Value {
        let mut login = json!({
            "license": {"id": 104130623, "organization_id": "org-fuzz", "plan": "enterprise",
                "creation_timestamp": 1700000000u64, "in_trial": false},
            "my_profile": {"id": pick(&AGENTS, v >> 7), "type": "agent", "name": "Bot", "email": "bot@example.com",
                "avatar": "https://cdn/a.png", "routing_status": "accepting_chats", "permission": "owner",
                "present": true},
            "chats_summary": [{"id": "CH1", "last_thread_summary": {"id": "TH1", "active": v & 1 == 1}}],
            "timestamp": 1700000001u64,
        });
        if v % 16 == 15 {
            // A login response without a profile: the session does not know who it is.
            login.as_object_mut().map(|m| m.remove("my_profile"));
        }
        login
    }

    fn request_payload(action: &str, b: u8) -> Value {
        let chat = pick(&super::server::CHATS, b);
        match (action, b % 4) {
            (_, 3) => json!("not an object"),
            ("list_chats", 2) => json!({"limit": 101}),
            ("list_threads", 2) => json!({"chat_id": chat, "min_events_count": 5, "filters": {}}),
            ("list_threads", _) => json!({"chat_id": chat, "min_events_count": b >> 2}),
            ("start_chat", _) => json!({"chat": {"users": [{"id": "cust-a", "type": "customer"}]}}),
            ("resume_chat", _) => json!({"chat": {"id": chat}}),
            ("deactivate_chat" | "transfer_chat", 2) => json!({"id": ""}),
            ("deactivate_chat" | "transfer_chat", _) => json!({"id": chat}),
            ("send_event", 2) => json!({"chat_id": chat, "event": {"type": "message", "text": " "}}),
            ("send_event", _) => json!({"chat_id": chat, "event": {"type": "message", "text": "x"}}),
            ("set_routing_status", _) => json!({"status": "accepting_chats"}),
            ("add_user_to_chat", 2) => json!({"chat_id": chat, "user_id": "cust-a", "user_type": "customer"}),
            ("add_user_to_chat", _) => json!({"chat_id": chat, "user_id": "agent-1", "user_type": "agent"}),
            ("multicast", 2) => json!({"recipients": {}, "content": 1}),
            ("multicast", _) => json!({"recipients": {"agents": {"all": true}}, "content": {"x": b}}),
            ("get_chat" | "list_agents_for_transfer", _) => json!({"chat_id": chat}),
            _ => json!({}),
        }
    }

    fn ok_payload(action: &str, request: &Value, v: u8) -> Option<Value> {
        let chat = request.get("chat_id").and_then(Value::as_str).unwrap_or("CH1");
        Some(match action {
            "list_chats" => json!({
                "chats_summary": [{"id": "CH1", "users": [customer_user(), agent_user()],
                                   "last_thread_summary": {"id": "TH1", "active": v & 1 == 0}}],
                "found_chats": 1,
                "next_page_id": if v & 2 == 0 { json!(null) } else { json!(format!("p{v}")) },
            }),
            "get_chat" => chat_json(chat, v),
            "list_agents_for_transfer" => json!([{"agent_id": "agent-1", "total_active_chats": v}]),
            _ => return None,
        })
    }

    fn side_push(p: u8, v: u8, chat: &str) -> (&'static str, Value) {
        match v % 6 {
            0 => ("routing_status_set", json!({"agent_id": "agent-1", "status": "not_accepting_chats"})),
            1 => ("chat_access_updated", json!({"id": chat, "access": {"group_ids": [0, p]}})),
            2 => (
                "queue_positions_updated",
                json!([{"chat_id": chat, "thread_id": "TH1",
                "queue": {"position": p, "wait_time": v}}]),
            ),
            3 => (
                "incoming_sneak_peek",
                json!({"chat_id": chat, "thread_id": "TH1",
                "sneak_peek": {"author_id": "cust-a", "text": "hel", "timestamp": 3}}),
            ),
            4 => ("incoming_multicast", json!({"author_id": "agent-1", "content": {"x": v}})),
            _ => ("agent_updated", json!({"id": "agent-1", "name": format!("A{p}")})),
        }
    }

    fn misc(s: &mut AgentSession, now: Instant, op: u8, chat: &str) -> Option<(RequestId, bool)> {
        let chat = if op & 4 == 0 { chat } else { "" };
        match op % 4 {
            0 => Some((s.send_message(now, chat, "hello", Recipients::All), true)),
            1 => Some((s.send_message(now, chat, "", Recipients::Agents), true)),
            2 => s
                .set_credentials(now, AgentCredentials::bearer(format!("dal:agent-token-{op}")))
                .map(|id| (id, false)),
            _ => s
                .set_credentials(now, AgentCredentials::personal_access_token("acc-1", "pat"))
                .map(|id| (id, false)),
        }
    }

    fn rate(_: &mut AgentSession, _: Instant, _: &str, _: bool) -> Option<RequestId> {
        None
    }
}
