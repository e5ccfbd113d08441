//! One typed request per Customer Chat API v3.6 RTM action (customer-api-3.6.md §3).
//!
//! STUB: only what the session engine needs; the full action list replaces this file.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{Customer, Greeting};

/// An entry of the login response's `chats`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoginChat {
    pub chat_id: String,
    #[serde(default)]
    pub has_unread_events: bool,
    #[serde(default)]
    pub has_active_thread: Option<bool>,
}

/// Response of `login`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoginResponse {
    pub customer: Customer,
    #[serde(default)]
    pub has_active_thread: bool,
    #[serde(default)]
    pub chats: Vec<LoginChat>,
    #[serde(default)]
    pub greeting: Option<Greeting>,
    #[serde(default, rename = "__priv_dynamic_config")]
    pub dynamic_config: Option<Value>,
}
