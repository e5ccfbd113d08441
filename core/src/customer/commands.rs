//! The customer's own commands (the ones that are not one RTM action with the caller's
//! payload), and how a customer session carries out every [`Op`].

use std::time::Instant;

use serde_json::Value;

use super::actions::{DeleteThreadProperties, ListThreads, UpdateThreadProperties};
use super::api::Rating;
use super::session::CustomerSide;
use crate::client::{Applied, Op, Ops};
use crate::engine::{Engine, Followup, RequestId};
use crate::error::{Error, ErrorCode};
use crate::refresh::{Renew, Swapped};
use crate::token::Token;

/// What only a customer client can ask (an agent client cannot even name these).
#[derive(Debug, Clone, PartialEq)]
pub enum CustomerCommand {
    /// `rateChat`: rate the chat's latest thread.
    RateChat { chat_id: String, rating: Rating },
    /// `cancelRate`: delete rating properties of the chat's latest thread.
    CancelRate { chat_id: String, properties: Vec<String> },
    /// `setSneakPeek`.
    SneakPeek { chat_id: String, text: String },
    /// `updateCustomerPage`.
    UpdatePage { url: Option<String>, title: Option<String> },
}

impl Ops for Engine<CustomerSide> {
    type Command = CustomerCommand;

    fn apply(&mut self, now: Instant, op: Op<CustomerCommand>) -> Applied {
        let command = match self.apply_common(now, op) {
            Ok(applied) => return applied,
            Err(command) => command,
        };
        match command {
            CustomerCommand::RateChat { chat_id, rating } => {
                Applied::Pending(self.rate(now, &chat_id, rating))
            }
            CustomerCommand::CancelRate { chat_id, properties } => {
                let props: Vec<&str> = properties.iter().map(String::as_str).collect();
                Applied::Pending(self.cancel_rate(now, &chat_id, &props))
            }
            // Not sent (chat not active or not connected): as the SDK, not an error.
            CustomerCommand::SneakPeek { chat_id, text } => {
                Applied::sent_or_done(self.set_sneak_peek(now, &chat_id, &text))
            }
            CustomerCommand::UpdatePage { url, title } => {
                Applied::sent_or_done(self.update_customer_page(now, url.as_deref(), title.as_deref()))
            }
        }
    }
}

/// A customer's token renewed ahead of expiry is kept for the next login: the open socket
/// goes on with the old one (see `crate::refresh`).
impl Renew for Engine<CustomerSide> {
    fn renewable(&self) -> bool {
        true
    }
    fn give_token(&mut self, now: Instant, token: Result<Token, Error>) {
        self.handle_token(now, token);
    }
    fn swap_in(&mut self, _now: Instant, token: Token) -> Swapped {
        Swapped::Kept(token)
    }
    fn settle(
        &mut self,
        _now: Instant,
        _id: RequestId,
        result: Result<Value, Error>,
    ) -> Result<Value, Error> {
        result
    }
    fn renewal_failed(&mut self, _now: Instant, _error: &Error) {}
}

/// `rateChat` / `cancelRate` between their two requests: the chat's latest thread is listed
/// first, then its `rating` properties are set or deleted.
#[derive(Debug, Clone, PartialEq)]
pub enum RateStep {
    Rate { chat_id: String, rating: Value },
    Cancel { chat_id: String, properties: Vec<String> },
}

impl Engine<CustomerSide> {
    /// `rateChat`: rate the chat's latest thread. Completes with the update's answer, or
    /// `MISSING_CHAT_THREAD` when the chat has no thread.
    pub fn rate(&mut self, now: Instant, chat_id: &str, rating: Rating) -> RequestId {
        let rating = serde_json::to_value(rating).unwrap_or(Value::Null);
        self.rate_chat(now, chat_id, rating)
    }

    /// [`Engine::rate`] with the rating as raw JSON (`{"score": 0|1, "comment"?}`).
    pub fn rate_chat(&mut self, now: Instant, chat_id: &str, rating: Value) -> RequestId {
        let step = RateStep::Rate { chat_id: chat_id.to_string(), rating };
        self.two_step(now, &ListThreads::new(chat_id), step)
    }

    /// `cancelRate`: delete rating properties (default `["score"]`) of the latest thread.
    pub fn cancel_rate(&mut self, now: Instant, chat_id: &str, properties: &[&str]) -> RequestId {
        let properties = if properties.is_empty() { vec!["score"] } else { properties.to_vec() };
        let properties = properties.into_iter().map(str::to_string).collect();
        let step = RateStep::Cancel { chat_id: chat_id.to_string(), properties };
        self.two_step(now, &ListThreads::new(chat_id), step)
    }
}

/// The second request of a rating command, from the `list_threads` answer.
pub(super) fn next_rate_step(step: RateStep, threads: &Value) -> Result<Followup, Error> {
    let chat_id = match &step {
        RateStep::Rate { chat_id, .. } | RateStep::Cancel { chat_id, .. } => chat_id.clone(),
    };
    let Some(thread_id) = threads.pointer("/threads/0/id").and_then(Value::as_str) else {
        return Err(Error::new(
            ErrorCode::MissingChatThread,
            format!("There is no thread in \"{chat_id}\"."),
        ));
    };
    Ok(match step {
        RateStep::Rate { rating, .. } => {
            let Value::Object(rating) = rating else {
                return Err(Error::invalid("rateChat: the rating must be a JSON object"));
            };
            let properties = [("rating".to_string(), rating)].into_iter().collect();
            Followup::of(&UpdateThreadProperties::new(chat_id, thread_id, properties))
        }
        RateStep::Cancel { properties, .. } => {
            let properties = [("rating".to_string(), properties)].into_iter().collect();
            Followup::of(&DeleteThreadProperties::new(chat_id, thread_id, properties))
        }
    })
}
