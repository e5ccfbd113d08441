//! The chat-history iterator (`getChatHistory`): pages of `list_threads`, one request at a
//! time, waiters served in call order.

use std::collections::VecDeque;
use std::time::Instant;

use serde_json::{Value, json};

use super::{Engine, History, HistoryId, HistoryStatus, Origin, RequestId, RequestOptions, Side, payload_of};
use crate::actions::ListThreads;
use crate::error::Error;
use crate::request::Request;

impl<S: Side> Engine<S> {
    /// Start a chat-history iterator for `chat_id` (`getChatHistory`).
    pub fn history_open(&mut self, chat_id: &str) -> HistoryId {
        let id = HistoryId(self.next_history);
        self.next_history += 1;
        self.histories.insert(
            id.0,
            History {
                chat_id: chat_id.to_string(),
                next_page_id: None,
                status: HistoryStatus::Idle,
                waiters: VecDeque::new(),
            },
        );
        id
    }

    /// Ask for the next page; completes with a [`HistoryPage`](super::HistoryPage) value. Calls are served one
    /// request at a time in call order; after the last page it completes at once with no
    /// threads and `done: true`.
    pub fn history_next(&mut self, now: Instant, history: HistoryId) -> RequestId {
        let op = self.alloc_id();
        let Some(h) = self.histories.get_mut(&history.0) else {
            self.complete(op, Err(Error::invalid("unknown or closed history iterator")));
            return op;
        };
        match h.status {
            HistoryStatus::Done => {
                self.complete(op, Ok(json!({"threads": [], "done": true})));
            }
            HistoryStatus::Fetching => h.waiters.push_back(op),
            HistoryStatus::Idle => self.history_fetch(now, history, op),
        }
        op
    }

    /// Drop a history iterator; its waiting calls fail with `INVALID_REQUEST`.
    pub fn history_close(&mut self, history: HistoryId) {
        if let Some(h) = self.histories.remove(&history.0) {
            for w in h.waiters {
                self.complete(w, Err(Error::invalid("history iterator closed")));
            }
        }
    }

    pub(super) fn history_fetch(&mut self, now: Instant, history: HistoryId, op: RequestId) {
        let Some(h) = self.histories.get_mut(&history.0) else { return };
        h.status = HistoryStatus::Fetching;
        let request = match &h.next_page_id {
            None => ListThreads { min_events_count: Some(25), ..ListThreads::new(h.chat_id.clone()) },
            Some(page) => ListThreads::page(h.chat_id.clone(), page.clone()),
        };
        let step = self.alloc_id();
        self.submit(
            now,
            step,
            ListThreads::ACTION,
            payload_of(&request),
            Origin::History { op, history },
            RequestOptions::default(),
        );
    }

    pub(super) fn history_page(&mut self, now: Instant, op: RequestId, history: HistoryId, payload: Value) {
        let next =
            payload.get("next_page_id").and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
        let mut threads: Vec<Value> =
            payload.get("threads").and_then(Value::as_array).cloned().unwrap_or_default();
        threads.reverse();
        let done = next.is_none();
        self.complete(op, Ok(json!({"threads": threads, "done": done})));
        let Some(h) = self.histories.get_mut(&history.0) else { return };
        h.next_page_id = next;
        h.status = if done { HistoryStatus::Done } else { HistoryStatus::Idle };
        if let Some(w) = h.waiters.pop_front() {
            if done {
                let rest: Vec<RequestId> = std::iter::once(w).chain(h.waiters.drain(..)).collect();
                for w in rest {
                    self.complete(w, Ok(json!({"threads": [], "done": true})));
                }
            } else {
                self.history_fetch(now, history, w);
            }
        }
    }
}
