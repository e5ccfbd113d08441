//! The customer session: the [`Engine`] with the customer side of the protocol.
//!
//! What is customer-specific lives here: the login payload (customer data from a provider
//! called at each login, page, side storage, group, referrer, tab id), the `connected`
//! event with availability, the customer id and identity changes, the active-chat map for
//! sneak peeks, page updates re-sent after a login that carried an older page, and the
//! events derived from pushes (`availability_updated`, synthetic `queue_position_updated`,
//! `user_data`).

use std::collections::HashSet;
use std::time::Instant;

use serde_json::{Map, Value, json};

use super::actions::{LoginResponse, SendSneakPeek};
use super::config::{CustomerConfig, CustomerDataProvider, CustomerPage};
use super::disconnect::{DisconnectReason, Reaction};
use super::events::{Availability, Connected, Event};
use crate::engine::{CommonEvent, Engine, Followup, Side, Timeline, TokenOwner};
use crate::error::Error;
use crate::model::{GroupStatus, User};
use crate::token::Token;

pub use crate::engine::{ConnectionId, HistoryId, HistoryPage, RequestId, RequestOptions, State};

/// Outputs of a customer session.
pub type Output = crate::engine::Output<Event>;

/// The customer session state machine.
pub type CustomerSession = Engine<CustomerSide>;

/// Active chats a customer session keeps track of, at most. A customer has a handful; the
/// cap only matters against a server that invents chat ids.
pub const MAX_TRACKED_CHATS: usize = 1_000;

/// The customer half of the protocol (see the module docs).
pub struct CustomerSide {
    group_id: Option<u64>,
    referrer: Option<String>,
    tab_id: Option<String>,
    is_mobile: bool,
    customer_data: Option<super::config::LoginCustomer>,
    customer_data_provider: Option<CustomerDataProvider>,
    customer_id: Option<String>,
    /// Chats known to be active (sneak peeks go only there). Inactive chats are forgotten and
    /// the set is capped, so a server pushing endless new chat ids cannot grow it.
    active_chats: HashSet<String>,
    side_storage: Map<String, Value>,
    page: Option<CustomerPage>,
    page_dirty: bool,
    monitoring_group: Option<u64>,
}

impl Side for CustomerSide {
    type Event = Event;
    type Step = super::commands::RateStep;
    const PATH: &'static str = "customer";
    const DISCONNECT_PUSH: &'static str = "customer_disconnected";

    fn next_step(&mut self, step: Self::Step, payload: &Value) -> Result<Followup, Error> {
        super::commands::next_rate_step(step, payload)
    }

    fn common(event: CommonEvent) -> Event {
        match event {
            CommonEvent::Disconnected(d) => Event::Disconnected(d),
            CommonEvent::ConnectionUnstable => Event::ConnectionUnstable,
            CommonEvent::ConnectionRecovered => Event::ConnectionRecovered,
            CommonEvent::FrameRejected { error } => Event::FrameRejected { error },
            CommonEvent::ConnectFailed(f) => Event::ConnectFailed(f),
            CommonEvent::Resynced(r) => Event::Resynced(r),
        }
    }

    fn reaction(reason: &DisconnectReason) -> Reaction {
        reason.reaction()
    }

    fn user_id(&self) -> Option<&str> {
        self.customer_id.as_deref()
    }

    fn knows_push(action: &str) -> bool {
        crate::wire::is_customer_push(action)
    }

    fn validate(&self, action: &str, payload: &Value) -> Result<(), Error> {
        super::actions::check(action, payload)
    }

    fn token_identity(&mut self, token: &Token, out: &mut Vec<Event>) -> TokenOwner {
        let entity_id = token.entity_id.as_str();
        match self.customer_id.clone() {
            None => {
                self.customer_id = Some(entity_id.to_string());
                out.push(Event::CustomerId(entity_id.to_string()));
                TokenOwner::Same
            }
            Some(prev) if prev != entity_id => {
                // v5 behaviour: switch to the new identity, clear per-customer state and
                // keep working (4.0.2 destroyed itself with `identity_mismatch`).
                self.customer_id = Some(entity_id.to_string());
                self.active_chats.clear();
                self.side_storage.clear();
                out.push(Event::IdentityChanged { previous_id: prev, new_id: entity_id.to_string() });
                TokenOwner::Changed
            }
            Some(_) => TokenOwner::Same,
        }
    }

    fn login_payload(&mut self, token: &str) -> Map<String, Value> {
        let mut payload = Map::new();
        payload.insert("token".into(), Value::String(token.to_string()));
        let customer = match self.customer_data_provider.as_mut() {
            Some(provider) => Some(provider()),
            None => self.customer_data.clone(),
        };
        if let Some(c) = customer.and_then(|c| serde_json::to_value(c).ok()) {
            payload.insert("customer".into(), c);
        }
        if let Some(page) = self.page.as_ref().filter(|p| !p.url.is_empty()) {
            payload.insert("customer_page".into(), serde_json::to_value(page).unwrap_or(Value::Null));
        }
        payload.insert("customer_side_storage".into(), Value::Object(self.side_storage.clone()));
        payload.insert("is_mobile".into(), Value::Bool(self.is_mobile));
        if let Some(g) = self.group_id {
            payload.insert("group_id".into(), json!(g));
        }
        if let Some(r) = &self.referrer {
            payload.insert("referrer".into(), json!(r));
        }
        if let Some(t) = &self.tab_id {
            payload.insert("tab_id".into(), json!(t));
        }
        // This login carries the current page; later changes are re-sent after it.
        self.page_dirty = false;
        payload
    }

    fn login_ok(&mut self, payload: Value, out: &mut Vec<Event>) -> Result<(), String> {
        let resp: LoginResponse = serde_json::from_value(payload).map_err(|e| e.to_string())?;
        self.check_login_identity(&resp, out)?;
        // Seed the active-chat map from the login response (the 4.0.2 SDK does not, so its
        // sneak peeks are dropped after a reconnect until list_chats is called).
        for c in &resp.chats {
            let active = c.has_active_thread.unwrap_or(resp.has_active_thread);
            self.track_chat(&c.chat_id, active);
        }
        let dynamic = resp.dynamic_config.as_ref();
        let monitoring = dynamic
            .and_then(|d| d.pointer("/customer_groups/monitoring/id"))
            .and_then(Value::as_u64)
            .or(self.group_id);
        self.monitoring_group = monitoring;
        let online =
            match (dynamic.and_then(|d| d.get("online_groups_ids")).and_then(Value::as_array), monitoring) {
                (Some(ids), Some(g)) => ids.iter().any(|v| v.as_u64() == Some(g)),
                _ => false,
            };
        out.push(Event::Connected(Box::new(Connected {
            customer: resp.customer,
            availability: if online { Availability::Online } else { Availability::Offline },
            greeting: resp.greeting,
            chats: resp.chats,
            has_active_thread: resp.has_active_thread,
            dynamic_config: resp.dynamic_config,
        })));
        Ok(())
    }

    fn after_login(&mut self) -> Vec<(String, Value)> {
        if !std::mem::take(&mut self.page_dirty) {
            return vec![];
        }
        let Some(page) = self.page.as_ref() else { return vec![] };
        vec![("update_customer_page".to_string(), serde_json::to_value(page).unwrap_or(Value::Null))]
    }

    fn internal_failed(&mut self, action: &str) {
        if action == "update_customer_page" {
            self.page_dirty = true;
        }
    }

    fn push(&mut self, action: &str, payload: crate::wire::Payload, out: &mut Vec<Event>) {
        let event = match Event::from_push(action, payload) {
            Ok(e) => e,
            Err(e) => return out.push(Event::FrameRejected { error: e.into() }),
        };
        match &event {
            Event::IncomingChat(c) => {
                self.track_chat(&c.chat.id, c.chat.thread.as_ref().is_none_or(|t| t.active));
                out.extend(c.chat.users.iter().map(|u| Event::UserData(Box::new(u.clone()))));
            }
            Event::ChatDeactivated(d) => {
                self.track_chat(&d.chat_id, false);
            }
            Event::UserAddedToChat(u) => out.push(Event::UserData(Box::new(u.user.clone()))),
            Event::CustomerSideStorageUpdated(s) => self.side_storage = s.customer_side_storage.clone(),
            Event::GroupsStatusUpdated(g) => {
                // The SDK reads groups[0]; we prefer the group this customer is monitored in.
                let ours = self
                    .monitoring_group
                    .and_then(|m| g.groups.iter().find(|e| e.id == m))
                    .or_else(|| g.groups.first());
                if let Some(entry) = ours {
                    let a = match entry.status {
                        GroupStatus::Offline => Availability::Offline,
                        _ => Availability::Online,
                    };
                    out.push(Event::AvailabilityUpdated(a));
                }
            }
            Event::ThreadPropertiesUpdated(t) => {
                // The SDK derives queue positions from `lc2.queue_pos`, emitted first.
                if let Some(lc2) = t.properties.get("lc2")
                    && let Some(pos) = lc2.get("queue_pos")
                {
                    let synthetic = json!({
                        "chat_id": t.chat_id, "thread_id": t.thread_id,
                        "queue": {"position": pos, "wait_time": lc2.get("queue_waiting_time")},
                    });
                    if let Ok(e) = Event::from_push("queue_position_updated", synthetic) {
                        out.push(e);
                    }
                }
            }
            _ => {}
        }
        out.push(event);
    }

    fn push_response(&mut self, action: &str, payload: &Value, out: &mut Vec<Event>) {
        if action == "incoming_chat"
            && let Some(chat) = payload.get("chat")
        {
            self.observe_chat(chat, out);
        }
    }

    fn timeline(event: &Event) -> Option<Timeline<'_>> {
        match event {
            Event::IncomingEvent(e) => Some(Timeline::Event(e)),
            Event::IncomingChat(c) => Some(Timeline::Chat(&c.chat)),
            Event::ChatDeactivated(d) => Some(Timeline::Deactivated(d)),
            _ => None,
        }
    }

    fn mark_recovered(event: &mut Event) {
        match event {
            Event::IncomingEvent(e) => e.recovered = true,
            Event::IncomingChat(c) => c.recovered = true,
            Event::ChatDeactivated(d) => d.recovered = true,
            _ => {}
        }
    }

    fn recent_chats() -> Followup {
        Followup::of(&super::actions::ListChats { limit: Some(25), ..Default::default() })
    }

    fn response(&mut self, action: &str, payload: &Value, out: &mut Vec<Event>) {
        match action {
            "get_chat" => emit_users(payload.get("users"), out),
            "list_chats" => {
                let Some(chats) = payload.get("chats_summary").and_then(Value::as_array) else { return };
                let mut seen = std::collections::HashSet::new();
                let mut users = Vec::new();
                for c in chats {
                    if let (Some(id), Some(active)) =
                        (c.get("id").and_then(Value::as_str), c.get("active").and_then(Value::as_bool))
                    {
                        self.track_chat(id, active);
                    }
                    for u in c.get("users").and_then(Value::as_array).into_iter().flatten() {
                        if let Some(uid) = u.get("id").and_then(Value::as_str)
                            && seen.insert(uid.to_string())
                        {
                            users.push(u.clone());
                        }
                    }
                }
                emit_users(Some(&Value::Array(users)), out);
            }
            // start_chat / resume_chat: observed when their push-response arrived.
            _ => {}
        }
    }
}

impl CustomerSide {
    /// Remember whether a chat is active; an inactive chat is forgotten.
    fn track_chat(&mut self, chat_id: &str, active: bool) {
        if !active {
            self.active_chats.remove(chat_id);
        } else if self.active_chats.len() < MAX_TRACKED_CHATS || self.active_chats.contains(chat_id) {
            self.active_chats.insert(chat_id.to_string());
        }
    }

    /// The login response must name the customer the token is for.
    ///
    /// Choice: a login that names someone else is *not* accepted. The session reports
    /// [`Event::IdentityMismatch`], does not become connected, sends nothing (queued calls
    /// were made for the token's customer and must not be sent as another one: that would
    /// show one customer's messages under another's name), closes the socket and tries
    /// again after the login backoff, as after any login it cannot use; a mix-up on the
    /// server side may well be gone by then. Queued calls stay bounded by their deadline.
    /// An application that wants to stop at once calls `destroy()` on the event. A token
    /// that names nobody (an empty `entity_id`, e.g. a hand-made static token) is not
    /// checked.
    fn check_login_identity(&self, resp: &LoginResponse, out: &mut Vec<Event>) -> Result<(), String> {
        let Some(expected) = self.customer_id.as_deref().filter(|id| !id.is_empty()) else { return Ok(()) };
        let named = [Some(resp.customer.id.as_str()), resp.customer_id.as_deref()];
        let Some(other) = named.into_iter().flatten().find(|id| !id.is_empty() && *id != expected) else {
            return Ok(());
        };
        out.push(Event::IdentityMismatch {
            token_customer_id: expected.to_string(),
            login_customer_id: other.to_string(),
        });
        Err(format!(
            "the login names customer {other:?} but the token is for {expected:?}; not logged in as them"
        ))
    }

    fn observe_chat(&mut self, chat: &Value, out: &mut Vec<Event>) {
        if let Some(id) = chat.get("id").and_then(Value::as_str) {
            let active = chat.pointer("/thread/active").and_then(Value::as_bool).unwrap_or(true);
            self.track_chat(id, active);
        }
        emit_users(chat.get("users"), out);
    }
}

fn emit_users(users: Option<&Value>, out: &mut Vec<Event>) {
    for u in users.and_then(Value::as_array).into_iter().flatten() {
        if let Ok(user) = serde_json::from_value::<Box<User>>(u.clone()) {
            out.push(Event::UserData(user));
        }
    }
}

impl Engine<CustomerSide> {
    /// Create a customer session. With `auto_connect` (the default) it starts connecting
    /// at once: drain the outputs.
    pub fn new(config: CustomerConfig, now: Instant) -> CustomerSession {
        let side = CustomerSide {
            group_id: config.group_id,
            referrer: config.referrer,
            tab_id: config.tab_id,
            is_mobile: config.is_mobile,
            customer_data: config.customer_data,
            customer_data_provider: config.customer_data_provider,
            customer_id: None,
            active_chats: HashSet::new(),
            side_storage: config.customer_side_storage,
            page: config.page,
            page_dirty: false,
            monitoring_group: None,
        };
        Engine::with_side(config.connection, side, now)
    }

    /// The customer id (from the token's `entity_id`), once known.
    pub fn customer_id(&self) -> Option<&str> {
        self.side().customer_id.as_deref()
    }

    /// The current `customer_side_storage` (persist it to keep identity across restarts).
    pub fn side_storage(&self) -> &Map<String, Value> {
        &self.side().side_storage
    }

    /// Whether a chat is known to be active (sneak peeks go only to active chats).
    pub fn is_chat_active(&self, chat_id: &str) -> bool {
        self.side().active_chats.contains(chat_id)
    }

    /// `setSneakPeek`: sent only to an active chat while connected (as the SDK does);
    /// returns `None` when nothing was sent.
    pub fn set_sneak_peek(&mut self, now: Instant, chat_id: &str, text: &str) -> Option<RequestId> {
        if self.state() != State::Connected || !self.is_chat_active(chat_id) {
            return None;
        }
        Some(self.send(now, &SendSneakPeek::new(chat_id, text), RequestOptions::default()))
    }

    /// `updateCustomerPage`: merge into the stored page (sent with every login); sent now
    /// when connected (returns its id), otherwise after the next login.
    pub fn update_customer_page(
        &mut self,
        now: Instant,
        url: Option<&str>,
        title: Option<&str>,
    ) -> Option<RequestId> {
        let login_in_flight = self.login_in_flight();
        let side = self.side_mut();
        let page = side.page.get_or_insert_with(CustomerPage::default);
        if let Some(url) = url {
            page.url = url.to_string();
        }
        if let Some(title) = title {
            page.title = Some(title.to_string());
        }
        if page.url.is_empty() {
            return None;
        }
        let payload = serde_json::to_value(&*page).unwrap_or(Value::Null);
        if self.state() == State::Connected {
            Some(self.request(now, "update_customer_page", payload, RequestOptions::default()))
        } else {
            // A login already sent carries the old page: re-send after it succeeds.
            if login_in_flight {
                self.side_mut().page_dirty = true;
            }
            None
        }
    }
}
