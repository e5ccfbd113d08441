//! The customer `login` request and its response (customer-api-3.6.md §3.1). The session
//! sends the login itself; these types are for simulators that parse it and for the
//! session's reading of the answer. Re-exported from `customer::actions`.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::model::{Address, Customer, Greeting};

/// `login`. Its `Debug` output never shows the token.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Login {
    /// The access token **with its scheme**: `"Bearer dal:…"`.
    pub token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<LoginCustomer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_page: Option<CustomerPage>,
    /// What the last `customer_side_storage_updated` gave.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_side_storage: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_mobile: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application: Option<Application>,
    /// Push subscription: `{"3.6": ["incoming_chat", …]}` or `{"3.6": ["all"]}`; unset means
    /// all pushes of the connection's version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pushes: Option<BTreeMap<String, Vec<String>>>,
    /// Undocumented in the API; the Customer SDK v5 sends it to tell browser tabs apart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tab_id: Option<String>,
}

impl Login {
    /// A login with only a token (`"Bearer …"`).
    pub fn new(token: impl Into<String>) -> Login {
        Login { token: token.into(), ..Login::default() }
    }
}

impl fmt::Debug for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Login")
            .field("token", &"<redacted>")
            .field("customer", &self.customer)
            .field("customer_page", &self.customer_page)
            .field("customer_side_storage", &self.customer_side_storage)
            .field("is_mobile", &self.is_mobile)
            .field("group_id", &self.group_id)
            .field("referrer", &self.referrer)
            .field("application", &self.application)
            .field("pushes", &self.pushes)
            .field("tab_id", &self.tab_id)
            .finish()
    }
}

/// `login.customer`: data to set on the customer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LoginCustomer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    /// Ordered list of one-key objects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_fields: Option<Vec<Map<String, Value>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
}

/// The page the customer is on (`login.customer_page`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerPage {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

pub use crate::engine::config::Application;

/// An entry of the login response's `chats`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// The customer, with `statistics`.
    pub customer: Customer,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    #[serde(default)]
    pub has_active_thread: bool,
    #[serde(default)]
    pub chats: Vec<LoginChat>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub greeting: Option<Greeting>,
    /// The private `__priv_dynamic_config`, raw.
    #[serde(default, rename = "__priv_dynamic_config", skip_serializing_if = "Option::is_none")]
    pub dynamic_config: Option<Value>,
}
