//! The harness as server: realistic frames with fuzzed ids and fields, proper answers to
//! outstanding requests, hostile redirects and megabyte frames built from a few bytes.

use livechat_core::wire::MAX_FRAME_LEN;
use serde_json::{Value, json};

use super::harness::Harness;
use super::side::FuzzSide;

pub const CHATS: [&str; 3] = ["CH1", "CH2", "CH3"];

/// Error `type`s the server may answer with (plus an unknown one and odd casing).
const ERROR_TYPES: [&str; 16] = [
    "authentication",
    "users_limit_reached",
    "license_expired",
    "customer_banned",
    "wrong_product_version",
    "license_not_found",
    "unsupported_version",
    "misdirected_request",
    "service_unavailable",
    "service_temporarily_unavailable",
    "internal",
    "validation",
    "pending_requests_limit_reached",
    "request_timeout",
    "brand_new_error",
    "GROUPS_OFFLINE",
];

/// Disconnect reasons: current, legacy, client-side names and an unknown one.
const REASONS: [&str; 20] = [
    "access_token_revoked",
    "access_token_expired",
    "connection_evicted",
    "connection_timeout",
    "internal_error",
    "license_not_found",
    "license_expired",
    "misdirected_connection",
    "unsupported_version",
    "service_temporarily_unavailable",
    "too_many_connections",
    "too_many_unauthorized_connections",
    "logged_out_remotely",
    "customer_banned",
    "customer_temporarily_blocked",
    "inactivity_timeout",
    "product_version_changed",
    "connection_lost",
    "shiny_new_reason",
    "",
];

/// Regions named by the dictionary's `misdirected_*` frames: one the custom endpoint
/// knows, one it does not, none. (`Op::Misdirected` names any bytes.)
const REGIONS: [&str; 3] = ["fra", "mars", ""];

/// What `Op::Large` repeats: cheap to write, some costly to decode (`[0,0,…]` is ~16× its
/// text as a tree), numbers that grow when re-serialised, escapes.
const ELEMS: [&str; 8] = ["0", "[]", "{}", "null", "\"x\"", "[0,0,0,0]", "{\"k\":1e15}", "\"\\u00e9\\n\""];

/// The author of forged events: another user whose event carries one of our `custom_id`s.
const INTRUDER: &str = "agent-1";

pub fn pick<T: Copy>(list: &[T], b: u8) -> T {
    list[b as usize % list.len()]
}

pub fn customer_user() -> Value {
    json!({"id": "cust-a", "type": "customer", "name": "Ann", "present": true,
           "events_seen_up_to": "2026-01-01T00:00:00.000000Z"})
}

pub fn agent_user() -> Value {
    json!({"id": "agent-1", "type": "agent", "name": "Bob", "avatar": "https://cdn.example/a.png",
           "present": true})
}

pub fn message_event(v: u8) -> Value {
    let mut e = json!({"id": format!("TH1_{v}"), "created_at": "2026-01-01T00:00:00.000000Z",
                       "type": "message", "text": "hi", "author_id": "agent-1",
                       "properties": {"lc2": {"welcome_message": false}}});
    if v & 1 == 1 {
        e["custom_id"] = json!(format!("mine-{}", v >> 2));
    }
    e
}

pub fn chat_json(chat: &str, v: u8) -> Value {
    json!({
        "id": chat,
        "users": [customer_user(), agent_user()],
        "access": {"group_ids": [0]},
        "properties": {},
        "thread": {"id": "TH1", "active": v & 2 == 0, "created_at": "2026-01-01T00:00:00.000000Z",
                   "user_ids": ["cust-a", "agent-1"], "events": [message_event(v)], "properties": {}},
    })
}

fn push(action: &str, payload: Value) -> String {
    json!({"action": action, "type": "push", "version": "3.6", "payload": payload}).to_string()
}

/// `[e,e,…]` with `n` copies of `e`.
fn repeated(e: &str, n: usize) -> String {
    let mut s = String::with_capacity(n * (e.len() + 1) + 2);
    s.push('[');
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        s.push_str(e);
    }
    s.push(']');
    s
}

impl<S: FuzzSide> Harness<S> {
    fn me_or_default(&self) -> &str {
        self.me.as_deref().unwrap_or("cust-a")
    }

    /// Answer an outstanding request the way the server does.
    pub(super) fn serve(&mut self, pick_b: u8, variant: u8) {
        let Some(c) = self.live_conn() else { return };
        if c.outstanding.is_empty() {
            return;
        }
        let s = &c.outstanding[pick_b as usize % c.outstanding.len()];
        let (rid, action, payload) = (s.rid.clone(), s.action.clone(), s.payload.clone());
        let response = json!({
            "request_id": rid, "action": action, "type": "response", "success": true,
            "payload": self.ok_payload(&action, &payload, variant),
        });
        let push = match action.as_str() {
            "start_chat" | "resume_chat" => Some(json!({
                "request_id": rid, "action": "incoming_chat", "type": "push", "version": "3.6",
                "payload": {"chat": chat_json(payload.pointer("/chat/id").and_then(Value::as_str).unwrap_or("CH1"), variant)},
            })),
            "send_event" => {
                let chat = payload.get("chat_id").and_then(Value::as_str).unwrap_or("CH1");
                let mut event = payload.get("event").cloned().unwrap_or(json!({}));
                event["id"] = json!(format!("TH1_{variant}"));
                event["created_at"] = json!("2026-01-01T00:00:00.000000Z");
                event["author_id"] = json!(self.me_or_default());
                Some(json!({
                    "request_id": rid, "action": "incoming_event", "type": "push", "version": "3.6",
                    "payload": {"chat_id": chat, "thread_id": "TH1", "event": event},
                }))
            }
            _ => None,
        };
        // The server sends the response first; a fuzzed variant swaps them or drops the push.
        match (push, variant % 4) {
            (Some(p), 0) => {
                self.feed(&p.to_string());
                self.feed(&response.to_string());
            }
            (Some(_), 1) => self.feed(&response.to_string()),
            (Some(p), _) => {
                self.feed(&response.to_string());
                self.feed(&p.to_string());
            }
            (None, _) => self.feed(&response.to_string()),
        }
    }

    fn ok_payload(&self, action: &str, request: &Value, variant: u8) -> Value {
        if let Some(v) = S::ok_payload(action, request, variant) {
            return v;
        }
        let chat = request.get("chat_id").and_then(Value::as_str).unwrap_or("CH1");
        match action {
            "login" => S::login_response(variant),
            "start_chat" => json!({"chat_id": "CH1", "thread_id": "TH1"}),
            "resume_chat" => json!({"thread_id": "TH2"}),
            "send_event" => json!({"event_id": format!("TH1_{variant}")}),
            "list_threads" => self.threads_page(chat, variant),
            "get_chat" => chat_json(chat, variant),
            _ => json!({}),
        }
    }

    /// A `list_threads` page: some of the events carry `custom_id`s this session sent
    /// (bit `i % 8` of `variant` picks the `i`-th). With bit 7 set, each is preceded by a
    /// forged copy from another author; with bits 6 and 7 set, only the forgery is there.
    fn threads_page(&self, chat: &str, variant: u8) -> Value {
        let (forged, own) = (variant & 0x80 != 0, variant & 0xc0 != 0xc0);
        let event = |i: usize, custom: &str, author: &str| {
            json!({"id": format!("TH1_{i}"), "custom_id": custom, "type": "message", "text": "hello",
                   "author_id": author, "created_at": "2026-01-01T00:00:00.000000Z"})
        };
        let mut events = Vec::new();
        for (i, (_, custom)) in self.custom_ids.iter().filter(|(c, _)| c == chat).enumerate() {
            if variant >> (i % 8) & 1 == 0 {
                continue;
            }
            if forged {
                events.push(event(i + 100, custom, INTRUDER));
            }
            if own {
                events.push(event(i, custom, self.me_or_default()));
            }
        }
        let mut page = json!({
            "threads": if variant % 5 == 4 { json!([]) } else {
                json!([{"id": "TH1", "active": true, "created_at": "2026-01-01T00:00:00.000000Z",
                        "user_ids": ["cust-a"], "events": events, "properties": {}}])
            },
            "found_threads": 1,
        });
        match variant % 3 {
            0 => page["next_page_id"] = json!(format!("page-{variant}")),
            1 => page["next_page_id"] = json!(""),
            _ => {}
        }
        page
    }

    /// The request id a dictionary frame answers: an outstanding one, the login's, or junk.
    fn pick_rid(&self, b: u8) -> (Value, Option<String>) {
        let c = self.live_conn();
        let out = c.map(|c| c.outstanding.as_slice()).unwrap_or_default();
        match b % 8 {
            0..=4 if !out.is_empty() => {
                let s = &out[b as usize / 8 % out.len()];
                (json!(s.rid), Some(s.action.clone()))
            }
            5 if c.and_then(|c| c.login_rid.as_ref()).is_some() => {
                (json!(c.and_then(|c| c.login_rid.clone())), Some("login".into()))
            }
            6 => (json!(u64::from(b) * 7919), None),
            7 => (Value::Null, None),
            _ => (json!(format!("r-{b}")), None),
        }
    }

    /// The dictionary of realistic frames, with fuzzed ids and fields.
    pub(super) fn dict_frame(&self, template: u8, p: u8, v: u8) -> String {
        let (rid, answered) = self.pick_rid(p);
        let chat = pick(&CHATS, v);
        match template % 17 {
            0 => json!({"request_id": rid, "action": "login", "type": "response", "success": true,
                        "payload": S::login_response(v)})
            .to_string(),
            1 => {
                let kind = pick(&ERROR_TYPES, v);
                let mut error = json!({"type": kind, "message": "nope"});
                if v & 0x10 != 0 {
                    error["data"] = json!({"region": pick(&REGIONS, v >> 5)});
                }
                json!({"request_id": rid, "action": answered.as_deref().unwrap_or("login"),
                       "type": "response", "success": false, "payload": {"error": error}})
                .to_string()
            }
            2 => {
                let action = answered.unwrap_or_else(|| "get_customer".into());
                let request = self
                    .live_conn()
                    .and_then(|c| c.outstanding.iter().find(|s| json!(s.rid) == rid))
                    .map(|s| s.payload.clone())
                    .unwrap_or(Value::Null);
                json!({"request_id": rid, "action": action, "type": "response", "success": true,
                       "payload": self.ok_payload(&action, &request, v)})
                .to_string()
            }
            3 => json!({"request_id": rid, "action": "incoming_chat", "type": "push", "version": "3.6",
                        "payload": {"chat": chat_json(chat, v)}})
            .to_string(),
            4 => json!({"request_id": rid, "action": "incoming_event", "type": "push", "version": "3.6",
                        "payload": {"chat_id": chat, "thread_id": "TH1", "event": message_event(v)}})
            .to_string(),
            5 => push("incoming_event", json!({"chat_id": chat, "thread_id": "TH1", "event": message_event(v)})),
            6 => push("incoming_chat", json!({"chat": chat_json(chat, v)})),
            7 => push("chat_deactivated", json!({"chat_id": chat, "thread_id": "TH1", "user_id": "agent-1"})),
            8 => {
                let mut payload = json!({"reason": pick(&REASONS, v)});
                if p & 1 == 1 {
                    payload["data"] = json!({"region": pick(&REGIONS, p >> 1)});
                }
                push(S::DISCONNECT_PUSH, payload)
            }
            9 => push("customer_side_storage_updated", json!({"customer_side_storage": {"k": format!("v{v}")}})),
            10 => push(
                "groups_status_updated",
                json!({"groups": [{"id": u64::from(v % 3), "status": pick(&["online", "offline", "online_for_queue"], p)}]}),
            ),
            11 => push(
                "thread_properties_updated",
                json!({"chat_id": chat, "thread_id": "TH1",
                       "properties": {"lc2": {"queue_pos": v, "queue_waiting_time": p}}}),
            ),
            12 => push(
                "user_added_to_chat",
                json!({"chat_id": chat, "thread_id": "TH1", "user": agent_user(), "reason": "manual"}),
            ),
            13 => {
                let (action, payload) = S::side_push(p, v, chat);
                push(action, payload)
            }
            14 => json!({"request_id": rid, "action": "list_threads", "type": "response", "success": true,
                         "payload": self.threads_page(chat, v)})
            .to_string(),
            15 => match v % 8 {
                // Known push, payload of the wrong shape.
                0 => push("incoming_event", json!({"chat_id": 5})),
                1 => push("incoming_chat", json!("not an object")),
                2 => json!({"request_id": rid, "action": "login", "type": "response", "success": true,
                            "payload": {"customer": "not an object"}})
                .to_string(),
                3 => json!({"request_id": rid, "action": "x", "type": "response"}).to_string(),
                4 => json!({"request_id": rid, "action": "x", "type": "pong", "success": true}).to_string(),
                5 => json!({"request_id": rid, "action": "x", "type": "response", "success": false,
                            "payload": {"error": "flat string"}})
                .to_string(),
                6 => json!([rid]).to_string(),
                _ => json!({"request_id": rid, "action": "ping", "type": "response", "success": true}).to_string(),
            },
            _ => json!({"request_id": rid, "action": "ping", "type": "response", "success": true, "payload": {}})
                .to_string(),
        }
    }

    /// A push from the dictionary, never an answer (for a server that ignores requests).
    pub(super) fn chatter_push(&self, template: u8, i: u8) -> String {
        const PUSHES: [u8; 8] = [5, 6, 7, 9, 10, 11, 12, 13];
        self.dict_frame(pick(&PUSHES, template), 7, template.wrapping_add(i))
    }

    /// A `misdirected_connection` push (`how` bit 0 clear) or a `misdirected_request` error
    /// answering the login, naming `region` in the JSON form `how` bits 1–2 pick. Returns
    /// the frame and the region string it names, if it names one.
    pub(super) fn misdirected_frame(&self, how: u8, region: &str) -> (String, Option<String>) {
        let named = match (how >> 1) % 4 {
            0 => Some(region.to_string()),
            1 => Some(region.to_uppercase()),
            _ => None,
        };
        let data = match ((how >> 1) % 4, &named) {
            (_, Some(r)) => json!({"region": r}),
            (2, None) => json!({"region": region.len()}),
            _ => json!({}),
        };
        let text = if how & 1 == 0 {
            push(S::DISCONNECT_PUSH, json!({"reason": "misdirected_connection", "data": data}))
        } else {
            let rid = self.live_conn().and_then(|c| c.login_rid.clone());
            json!({"request_id": rid, "action": "login", "type": "response", "success": false,
                   "payload": {"error": {"type": "misdirected_request", "message": "wrong region", "data": data}}})
            .to_string()
        };
        (text, named)
    }

    /// A frame holding `(reps % 64 + 1) × 1024` copies of an element (`elem` picks it), so
    /// a megabyte frame costs four input bytes. `kind`: 0 an unknown push, 1 a push only the
    /// other side knows (raw here), 2 a typed push of this side, 3 a response to an
    /// outstanding request, 4 a push of a long string just over [`MAX_FRAME_LEN`] (even
    /// `reps`) or just within it (odd). `None` once the run's byte budget is spent.
    pub(super) fn large_frame(&mut self, kind: u8, reps: u8, elem: u8) -> Option<String> {
        let n = (usize::from(reps % 64) + 1) * 1024;
        let e = pick(&ELEMS, elem);
        // One long string costs little to refuse or to scan; trees cost a lot to build.
        let cost = if kind % 5 == 4 { 1 << 20 } else { n * (e.len() + 1) };
        self.large_budget = self.large_budget.checked_sub(cost)?;
        let blob = || repeated(e, n);
        let chat = pick(&CHATS, elem);
        Some(match kind % 5 {
            0 => format!(r#"{{"action":"shiny_blob","type":"push","payload":{{"blob":{}}}}}"#, blob()),
            1 => format!(
                r#"{{"action":"{}","type":"push","payload":{{"customer_side_storage":{{}},"blob":{}}}}}"#,
                S::FOREIGN_PUSH,
                blob()
            ),
            2 => format!(
                r#"{{"action":"incoming_event","type":"push","payload":{{"chat_id":"{chat}","thread_id":"TH1","event":{{"id":"E1","type":"message","text":"hi","author_id":"agent-1","properties":{{"blob":{}}}}}}}}}"#,
                blob()
            ),
            3 => {
                let (rid, action) = self.pick_rid(elem);
                let action = action.unwrap_or_else(|| "get_chat".into());
                let mut payload = self.ok_payload(&action, &json!({"chat_id": chat}), elem);
                if !payload.is_object() {
                    payload = json!({});
                }
                payload["blob"] = json!("@BLOB@");
                let frame = json!({"request_id": rid, "action": action, "type": "response", "success": true,
                                   "payload": payload});
                frame.to_string().replace("\"@BLOB@\"", &blob())
            }
            _ => {
                let envelope = r#"{"action":"incoming_event","type":"push","payload":{"pad":""}}"#.len();
                let len = match reps % 2 {
                    0 => MAX_FRAME_LEN + 1 + usize::from(reps / 2),
                    _ => MAX_FRAME_LEN - usize::from(reps / 2),
                };
                let pad = "a".repeat(len - envelope);
                format!(r#"{{"action":"incoming_event","type":"push","payload":{{"pad":"{pad}"}}}}"#)
            }
        })
    }
}
