//! Greetings (customer-api-3.6.md §5.9): login `greeting`, `incoming_greeting`.

use serde::{Deserialize, Serialize};

use super::{Agent, ChatEvent};

/// A greeting shown to the customer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Greeting {
    /// The configured greeting (for `accept_greeting`'s `greeting_id`).
    #[serde(default)]
    pub id: u64,
    /// This showing of it (for `accept_greeting` / `cancel_greeting`).
    pub unique_id: String,
    #[serde(default)]
    pub displayed_first_time: bool,
    /// Login response only: the customer has seen the greeting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted: Option<bool>,
    /// E.g. `email`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addon: Option<String>,
    /// `announcement` (the only documented subtype); the SDK treats absence as `greeting`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtype: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_exit_intent: Option<bool>,
    /// A message or rich message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<ChatEvent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<Agent>,
}
