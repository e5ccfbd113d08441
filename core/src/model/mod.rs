//! Data structures of the Customer and Agent Chat API v3.6 (customer-api-3.6.md §5).
//!
//! STUB: the minimal shapes the session engine needs; the full models replace this file.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `{"<namespace>": {"<name>": value}}`
pub type Properties = BTreeMap<String, Map<String, Value>>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agent {
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum User {
    Customer(Customer),
    Agent(Agent),
}

impl User {
    pub fn id(&self) -> &str {
        match self {
            User::Customer(c) => &c.id,
            User::Agent(a) => &a.id,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Greeting {
    pub unique_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatEvent {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub custom_id: Option<String>,
}

impl ChatEvent {
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }
    pub fn custom_id(&self) -> Option<&str> {
        self.custom_id.as_deref()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Thread {
    pub id: String,
    #[serde(default)]
    pub active: bool,
    #[serde(default)]
    pub events: Vec<ChatEvent>,
    #[serde(default)]
    pub properties: Properties,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chat {
    pub id: String,
    #[serde(default)]
    pub users: Vec<User>,
    #[serde(default)]
    pub thread: Option<Thread>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupStatus {
    Online,
    OnlineForQueue,
    Offline,
}
