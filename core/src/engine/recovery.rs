//! Recovery of what a drop hid: the service does not replay pushes, so after every
//! re-login (a reconnect, a region switch, a new token) the session asks for what
//! happened in the chats it knows while its socket was down, and emits it as the ordinary
//! events, in order, with `recovered` set, then one `resynced` event.
//!
//! A round, per re-login (cost in [`RecoveryConfig`](super::config::RecoveryConfig)):
//! * `get_chat` for each chat with delivered events (the most recently active first): the
//!   events after the chat's mark go out as `incoming_event`, a thread that ended as
//!   `chat_deactivated`. A chat whose latest thread is another than the mark's gets the
//!   rest of the mark's thread first (`get_chat` with its `thread_id`), then the new thread
//!   as `incoming_chat`.
//! * `list_chats` (the newest 25): an active chat nobody has seen is new, and comes as
//!   `incoming_chat`.
//!
//! While a chat is checked, its new pushes wait, so nothing goes out of order within a
//! chat; every event, pushed or found, passes `Delivered::admit`, so none goes out twice.
//! The session's own sends are never emitted (their calls completed), found or not.
//! Not recovered: edits and properties of events already delivered (`event_updated`,
//! `*_properties_*`), which a chat read cannot tell apart from what was delivered.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::delivered::Verdict;
use super::{CommonEvent, Engine, Origin, Resynced, Side, payload_of};
use crate::actions::GetChat;
use crate::error::{Error, ErrorCode};
use crate::model::Chat;
use crate::request::Request;
use crate::wire::Payload;

/// Events held per session while chats are being checked, at most; past it they go out
/// at once (bounded memory before strict order).
const MAX_HELD: usize = 1_000;

/// What a recovery request is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Step {
    /// The latest thread of a chat with a mark.
    Check(String),
    /// The rest of the mark's thread, after `Check` found a newer one.
    Tail(String),
    /// `list_chats`, to find new chats.
    List,
    /// A chat `List` found that nobody has seen.
    New(String),
}

/// The recovery's state besides the marks (`Engine::delivered`).
#[derive(Debug)]
pub(super) struct Recovery<E> {
    /// Events waiting for their chat's check, in arrival order.
    held: HashMap<String, Vec<E>>,
    held_count: usize,
    /// Set while the recovery emits what it found: those events skip the hold.
    replaying: bool,
    /// Successful logins so far: the first one has nothing to recover.
    logins: u64,
    /// The round running: requests not answered yet, and what it found.
    outstanding: usize,
    stats: Option<Resynced>,
    /// A chat's latest state, kept while the rest of its older thread is fetched.
    latest: HashMap<String, Chat>,
}

impl<E> Default for Recovery<E> {
    fn default() -> Self {
        Recovery {
            held: HashMap::new(),
            held_count: 0,
            replaying: false,
            logins: 0,
            outstanding: 0,
            stats: None,
            latest: HashMap::new(),
        }
    }
}

impl<S: Side> Engine<S> {
    /// Emit one event: chat-timeline events pass the marks first (dropped when delivered
    /// before, held while their chat is checked); found by the recovery, they are marked.
    pub(super) fn deliver(&mut self, mut event: S::Event) {
        let (verdict, on_timeline) = match S::timeline(&event) {
            Some(t) => (self.delivered.admit(t, !self.recovery.replaying), true),
            None => (Verdict::Deliver, false),
        };
        match verdict {
            Verdict::Deliver => {
                if self.recovery.replaying && on_timeline {
                    S::mark_recovered(&mut event);
                    if let Some(s) = self.recovery.stats.as_mut() {
                        s.events_recovered += 1;
                    }
                }
                self.emit(event);
            }
            Verdict::Duplicate => {}
            Verdict::Hold(chat_id) => {
                if self.recovery.held_count >= MAX_HELD {
                    self.delivered.release(&chat_id);
                    return self.deliver(event);
                }
                self.recovery.held_count += 1;
                self.recovery.held.entry(chat_id).or_default().push(event);
            }
        }
    }

    /// A login response arrived (before the side reads it).
    pub(super) fn recovery_login(&mut self, payload: &Value) {
        if self.recovery.logins == 0 {
            // The chats the first login lists are known: the application got them with
            // `connected` / `ready`. (Customer: `chats[].chat_id`; agent: `chats_summary[].id`.)
            let listed = payload.get("chats").or_else(|| payload.get("chats_summary"));
            for c in listed.and_then(Value::as_array).into_iter().flatten() {
                if let Some(id) = c.get("chat_id").or_else(|| c.get("id")).and_then(Value::as_str) {
                    self.delivered.know(id);
                }
            }
        }
    }

    /// After a re-login: queue the round's requests ahead of the application's calls.
    pub(super) fn start_recovery(&mut self) {
        self.recovery.logins += 1;
        if self.recovery.logins < 2 || !self.config.recovery.enabled {
            // Nothing is fetched: whatever waited for a check goes out now.
            self.release_all_held();
            return;
        }
        self.recovery.latest.clear();
        self.recovery.stats = Some(Resynced::default());
        self.recovery.outstanding = 0;
        let chats = self.delivered.most_recent(self.config.recovery.max_chats);
        // Chats held by an earlier round but not checked in this one are released.
        let unchecked: Vec<String> =
            self.recovery.held.keys().filter(|c| !chats.contains(c)).cloned().collect();
        for chat_id in unchecked {
            self.release_held(&chat_id);
        }
        for chat_id in chats {
            self.delivered.hold(&chat_id);
            self.recovery_request(GetChat::new(chat_id.clone()), Step::Check(chat_id));
        }
        let list = S::recent_chats();
        self.recovery_send(list.action, list.payload, Step::List);
    }

    fn recovery_request(&mut self, request: GetChat, step: Step) {
        self.recovery_send(GetChat::ACTION, payload_of(&request), step);
    }

    fn recovery_send(&mut self, action: &str, payload: Value, step: Step) {
        let id = self.alloc_id();
        self.insert(id, action, payload, Origin::Recover(step), None, None);
        self.priority.push_back(id.0);
        self.recovery.outstanding += 1;
    }

    /// A recovery request was answered.
    pub(super) fn recovery_done(&mut self, step: Step, payload: Value) {
        if self.recovery.stats.is_none() {
            return; // a round that was given up (a new drop); the next login starts over
        }
        match step {
            Step::Check(chat_id) => match serde_json::from_value::<Chat>(payload) {
                Ok(chat) => {
                    let mark_thread = self.delivered.mark(&chat_id).map(|m| m.thread_id.clone());
                    let latest = chat.thread.as_ref().map(|t| t.id.clone());
                    match mark_thread {
                        Some(old)
                            if !old.is_empty() && latest.is_some() && latest.as_deref() != Some(&old) =>
                        {
                            self.recovery.latest.insert(chat_id.clone(), chat);
                            self.recovery_request(GetChat::thread(chat_id.clone(), old), Step::Tail(chat_id));
                        }
                        _ => {
                            self.replay_thread(&chat);
                            self.chat_checked(&chat_id);
                        }
                    }
                }
                Err(e) => self.chat_check_failed(&chat_id, &e.to_string()),
            },
            Step::Tail(chat_id) => {
                match serde_json::from_value::<Chat>(payload) {
                    Ok(old) => self.replay_thread(&old),
                    Err(e) => tracing::warn!(chat_id, error = %e, "recovery: the older thread did not parse"),
                }
                if let Some(latest) = self.recovery.latest.remove(&chat_id) {
                    self.replay_push("incoming_chat", json!({ "chat": latest }));
                }
                self.chat_checked(&chat_id);
            }
            Step::List => {
                let summaries =
                    payload.get("chats_summary").and_then(Value::as_array).cloned().unwrap_or_default();
                for s in summaries {
                    let Some(id) = s.get("id").and_then(Value::as_str) else { continue };
                    let active = s
                        .get("active")
                        .or_else(|| s.pointer("/last_thread_summary/active"))
                        .and_then(Value::as_bool)
                        .unwrap_or(false);
                    // An agent has access to many chats; new for it are those it is a user
                    // of (a customer's summaries list only its own chats anyway).
                    let me = self.side.user_id();
                    let users = s.get("users").and_then(Value::as_array);
                    let mine = match (me, users) {
                        (Some(me), Some(users)) if !users.is_empty() => {
                            users.iter().any(|u| u.get("id").and_then(Value::as_str) == Some(me))
                        }
                        _ => true,
                    };
                    if active && mine && !self.delivered.is_known(id) {
                        self.delivered.know(id);
                        self.recovery_request(GetChat::new(id), Step::New(id.to_string()));
                    }
                }
                self.round_step_done();
            }
            Step::New(chat_id) => {
                match serde_json::from_value::<Chat>(payload) {
                    Ok(chat) => {
                        self.replay_push("incoming_chat", json!({ "chat": chat }));
                        if let Some(s) = self.recovery.stats.as_mut() {
                            s.new_chats += 1;
                            s.chats_checked += 1;
                        }
                    }
                    Err(e) => tracing::warn!(chat_id, error = %e, "recovery: a new chat did not parse"),
                }
                self.round_step_done();
            }
        }
    }

    /// A recovery request failed.
    pub(super) fn recovery_failed(&mut self, step: Step, err: &Error) {
        if matches!(
            err.code,
            ErrorCode::ConnectionLost | ErrorCode::MisdirectedConnection | ErrorCode::SdkDestroyed
        ) {
            // A new drop: this round is over without a `resynced`; the next login checks
            // the same chats again (their held events keep waiting, bounded).
            self.recovery.stats = None;
            self.recovery.outstanding = 0;
            self.recovery.latest.clear();
            return;
        }
        if self.recovery.stats.is_none() {
            return;
        }
        match step {
            Step::Check(chat_id) | Step::Tail(chat_id) => self.chat_check_failed(&chat_id, &err.to_string()),
            Step::List | Step::New(_) => {
                tracing::warn!(error = %err, "recovery: looking for new chats failed");
                self.round_step_done();
            }
        }
    }

    fn chat_check_failed(&mut self, chat_id: &str, why: &str) {
        tracing::warn!(chat_id, error = why, "recovery: checking a chat failed; what it missed is not known");
        self.recovery.latest.remove(chat_id);
        if let Some(s) = self.recovery.stats.as_mut() {
            s.chats_failed += 1;
        }
        self.release_held(chat_id);
        self.round_step_done();
    }

    fn chat_checked(&mut self, chat_id: &str) {
        if let Some(s) = self.recovery.stats.as_mut() {
            s.chats_checked += 1;
        }
        self.release_held(chat_id);
        self.round_step_done();
    }

    fn round_step_done(&mut self) {
        self.recovery.outstanding = self.recovery.outstanding.saturating_sub(1);
        if self.recovery.outstanding == 0
            && let Some(stats) = self.recovery.stats.take()
        {
            tracing::info!(
                chats_checked = stats.chats_checked,
                events_recovered = stats.events_recovered,
                new_chats = stats.new_chats,
                chats_failed = stats.chats_failed,
                "resynced after a re-login"
            );
            self.emit_common(CommonEvent::Resynced(stats));
        }
    }

    /// Emit the events of `chat`'s thread after the chat's mark, then its end if the
    /// application still believes it active.
    fn replay_thread(&mut self, chat: &Chat) {
        let Some(thread) = &chat.thread else { return };
        let mark = self.delivered.mark(&chat.id).cloned().unwrap_or_default();
        let same_thread = mark.thread_id == thread.id;
        let after = match (&mark.last_id, same_thread) {
            (Some(last), true) => thread.events.iter().position(|e| e.id() == Some(last)).map(|i| i + 1),
            _ => None,
        };
        let me = self.side.user_id().map(str::to_string);
        let from = after.unwrap_or(0);
        for event in &thread.events[from..] {
            // When the mark is not in the thread any more (deleted), its time decides.
            if after.is_none()
                && same_thread
                && matches!((event.created_at(), mark.last_at.as_deref()), (Some(at), Some(last)) if at <= last)
            {
                continue;
            }
            let own = me.is_some()
                && event.author_id() == me.as_deref()
                && event.custom_id().is_some_and(|c| c.starts_with(&self.custom_id_prefix));
            let value = serde_json::to_value(event).unwrap_or(Value::Null);
            if own {
                // This session's own send: its call completed; it is never an event.
                self.delivered.record_own(&chat.id, &thread.id, &value);
                continue;
            }
            self.replay_push(
                "incoming_event",
                json!({ "chat_id": chat.id, "thread_id": thread.id, "event": value }),
            );
        }
        let told_active = self.delivered.mark(&chat.id).is_some_and(|m| m.thread_id == thread.id && m.active);
        if !thread.active && told_active {
            self.replay_push("chat_deactivated", json!({ "chat_id": chat.id, "thread_id": thread.id }));
        }
    }

    /// Feed what the recovery found through the side, as the push it stands for (the side
    /// keeps its own state, e.g. the customer's active chats, as for a real push).
    fn replay_push(&mut self, action: &str, payload: Value) {
        self.recovery.replaying = true;
        self.with_side_events(|side, out| side.push(action, Payload::Value(payload), out));
        self.recovery.replaying = false;
    }

    fn release_held(&mut self, chat_id: &str) {
        self.delivered.release(chat_id);
        for event in self.recovery.held.remove(chat_id).unwrap_or_default() {
            self.recovery.held_count = self.recovery.held_count.saturating_sub(1);
            self.deliver(event);
        }
    }

    fn release_all_held(&mut self) {
        let chats: Vec<String> = self.recovery.held.keys().cloned().collect();
        for chat_id in chats {
            self.release_held(&chat_id);
        }
    }

    /// A call of the application completed: what it tells about the chats.
    pub(super) fn recovery_note_response(&mut self, action: &str, payload: &Value) {
        match action {
            "send_event" => {
                let chat_id = payload.get("chat_id").and_then(Value::as_str);
                let thread_id = payload.get("thread_id").and_then(Value::as_str);
                if let (Some(c), Some(t), Some(e)) = (chat_id, thread_id, payload.get("event")) {
                    self.delivered.record_own(c, t, e);
                }
            }
            "start_chat" | "resume_chat" => {
                if let Some(chat) = payload.get("chat") {
                    self.delivered.record_chat_value(chat);
                }
            }
            "get_chat" => {
                // A chat the application read becomes one the session keeps up to date.
                if let Some(id) = payload.get("id").and_then(Value::as_str)
                    && self.delivered.mark(id).is_none()
                {
                    self.delivered.record_chat_value(payload);
                }
            }
            _ => {}
        }
    }
}
