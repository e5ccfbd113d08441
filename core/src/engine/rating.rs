//! `rateChat` / `cancelRate`: find the chat's latest thread, then set or delete its
//! `rating` properties (the second step is in `requests.rs`, `on_success`).

use std::time::Instant;

use serde_json::{Value, json};

use super::{Engine, Origin, RequestId, RequestOptions, Side};

impl<S: Side> Engine<S> {
    /// `rateChat`: rate the chat's latest thread (`rating` = `{"score": 0|1, "comment"?}`).
    pub fn rate_chat(&mut self, now: Instant, chat_id: &str, rating: Value) -> RequestId {
        self.rate_op(now, chat_id, rating, false)
    }

    /// `cancelRate`: delete rating properties (default `["score"]`) of the latest thread.
    pub fn cancel_rate(&mut self, now: Instant, chat_id: &str, properties: &[&str]) -> RequestId {
        let props: Vec<&str> = if properties.is_empty() { vec!["score"] } else { properties.to_vec() };
        self.rate_op(now, chat_id, json!(props), true)
    }

    pub(super) fn rate_op(
        &mut self,
        now: Instant,
        chat_id: &str,
        properties: Value,
        cancel: bool,
    ) -> RequestId {
        let op = self.alloc_id();
        let step = self.alloc_id();
        let origin = Origin::Rate { op, chat_id: chat_id.to_string(), properties, cancel };
        self.submit(
            now,
            step,
            "list_threads",
            json!({ "chat_id": chat_id }),
            origin,
            RequestOptions::default(),
        );
        op
    }
}
