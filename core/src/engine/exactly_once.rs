//! Exactly-once `send_event`: a `custom_id` on every event; after a drop or a timeout the
//! chat is checked (only events of this session's own user count) before anything is
//! re-sent, and re-sends go first, in their original order.

use std::collections::HashMap;
use std::time::Instant;

use serde_json::{Value, json};

use super::{Engine, Origin, RequestId, Side, Status, payload_of};
use crate::actions::ListThreads;
use crate::request::Request;

impl<S: Side> Engine<S> {
    /// Give the event a `custom_id` (keeping the caller's) and remember it.
    pub(super) fn prepare_exactly_once(&mut self, payload: &mut Value) -> Option<(String, String)> {
        let chat_id = payload.get("chat_id")?.as_str()?.to_string();
        let event = payload.get_mut("event")?.as_object_mut()?;
        let custom_id = match event.get("custom_id").and_then(Value::as_str) {
            Some(c) => c.to_string(),
            None => {
                self.custom_id_counter += 1;
                let c = format!("{}-{}", self.custom_id_prefix, self.custom_id_counter);
                event.insert("custom_id".into(), Value::String(c.clone()));
                c
            }
        };
        Some((chat_id, custom_id))
    }

    pub(super) fn start_confirmations(&mut self) {
        let mut chats: Vec<String> = self
            .pending
            .values()
            .filter(|p| p.status == Status::Unconfirmed)
            .filter_map(|p| p.exactly_once.as_ref().map(|(c, _)| c.clone()))
            .collect();
        chats.sort();
        chats.dedup();
        for chat_id in chats {
            self.queue_confirmation(chat_id);
        }
    }

    pub(super) fn has_unconfirmed(&self, chat_id: &str) -> bool {
        self.pending.values().any(|p| {
            p.status == Status::Unconfirmed && p.exactly_once.as_ref().is_some_and(|(c, _)| c == chat_id)
        })
    }

    /// Check `chat_id` for the unconfirmed sends: the latest threads holding at least 100
    /// events (the unconfirmed events are among the newest of the chat).
    pub(super) fn queue_confirmation(&mut self, chat_id: String) {
        let id = self.alloc_id();
        let request = ListThreads { min_events_count: Some(100), ..ListThreads::new(chat_id.clone()) };
        let covers = self.unconfirmed_mark;
        let origin = Origin::Confirm { chat_id, covers };
        self.insert(id, ListThreads::ACTION, payload_of(&request), origin, None, None);
        self.priority.push_back(id.0);
        self.confirming.insert(id.0);
    }

    /// A confirmation for `chat_id` finished: complete the sends found in the chat, and
    /// queue the rest for re-sending, ahead of everything else and in their original order.
    pub(super) fn confirm_done(&mut self, now: Instant, chat_id: &str, covers: u64, threads: Option<&Value>) {
        let mut found: HashMap<String, (String, Value)> = HashMap::new();
        let me = self.side.user_id().map(str::to_string);
        for t in threads.and_then(|v| v.get("threads")).and_then(Value::as_array).into_iter().flatten() {
            let thread_id = t.get("id").and_then(Value::as_str).unwrap_or_default();
            for e in t.get("events").and_then(Value::as_array).into_iter().flatten() {
                // Only our own user's events count: another client may use the same
                // `custom_id` (the field is free-form), and finding theirs would drop ours.
                let author = e.get("author_id").and_then(Value::as_str);
                if me.is_some() && author != me.as_deref() {
                    continue;
                }
                if let Some(c) = e.get("custom_id").and_then(Value::as_str) {
                    found.insert(c.to_string(), (thread_id.to_string(), e.clone()));
                }
            }
        }
        let mut ids: Vec<u64> = self
            .pending
            .iter()
            .filter(|(_, p)| p.status == Status::Unconfirmed && p.mark <= covers)
            .filter(|(_, p)| p.exactly_once.as_ref().is_some_and(|(c, _)| c == chat_id))
            .map(|(id, _)| *id)
            .collect();
        ids.sort_unstable();
        for id in ids {
            let custom = self.pending.get(&id).and_then(|p| p.exactly_once.as_ref()).map(|(_, c)| c.clone());
            match custom.and_then(|c| found.remove(&c)) {
                Some((thread_id, event)) => {
                    if let Some(p) = self.finish(id) {
                        let event_id = event.get("id").cloned().unwrap_or(Value::Null);
                        let value = json!({"event_id": event_id, "chat_id": chat_id, "thread_id": thread_id, "event": event});
                        self.on_success(now, RequestId(id), p, value);
                    }
                }
                None => {
                    if let Some(p) = self.pending.get_mut(&id) {
                        p.status = Status::Queued;
                        self.resend.push(id);
                    }
                }
            }
        }
        if self.confirming.is_empty() {
            let mut resend = std::mem::take(&mut self.resend);
            resend.sort_unstable();
            for id in resend.into_iter().rev() {
                self.queue.push_front(id);
            }
        }
    }
}
