//! Configuration of a customer session.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use crate::engine::config::{API_VERSION, Application, ConnectionConfig, Endpoint, Keepalive};

/// The page the customer is on (`customer_page` at login, `update_customer_page`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CustomerPage {
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// Customer data sent with every login (`login.customer`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CustomerData {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    /// Ordered `[{key: value}]` on the wire; kept in order here.
    #[serde(skip_serializing_if = "Vec::is_empty", with = "session_fields")]
    pub session_fields: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<Value>,
}

pub(crate) mod session_fields {
    use serde::{Deserialize, Deserializer, Serializer, ser::SerializeSeq};
    use serde_json::{Map, Value};

    pub fn serialize<S: Serializer>(fields: &[(String, String)], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(fields.len()))?;
        for (k, v) in fields {
            let mut m = Map::new();
            m.insert(k.clone(), Value::String(v.clone()));
            seq.serialize_element(&m)?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, String)>, D::Error> {
        let list: Vec<Map<String, Value>> = Vec::deserialize(d)?;
        Ok(list
            .into_iter()
            .flat_map(|m| {
                m.into_iter().map(|(k, v)| match v {
                    Value::String(s) => (k, s),
                    other => (k, other.to_string()),
                })
            })
            .collect())
    }
}

/// A function called at every login to build `login.customer`.
pub type CustomerDataProvider = Box<dyn FnMut() -> CustomerData + Send>;

/// Everything a customer session needs to know up front.
pub struct SessionConfig {
    /// Organization, endpoint, timeouts, limits, keepalive, backoff.
    pub connection: ConnectionConfig,
    pub group_id: Option<u64>,
    pub page: Option<CustomerPage>,
    pub referrer: Option<String>,
    pub tab_id: Option<String>,
    pub is_mobile: bool,
    /// Initial `customer_side_storage`; replaced by `customer_side_storage_updated` pushes.
    pub customer_side_storage: Map<String, Value>,
    /// Static customer data, used when no provider is set.
    pub customer_data: Option<CustomerData>,
    /// Called at every login; wins over `customer_data`.
    pub customer_data_provider: Option<CustomerDataProvider>,
}

impl SessionConfig {
    pub fn new(organization_id: impl Into<String>, endpoint: Endpoint) -> SessionConfig {
        SessionConfig {
            connection: ConnectionConfig::new(organization_id, endpoint),
            group_id: None,
            page: None,
            referrer: None,
            tab_id: None,
            is_mobile: false,
            customer_side_storage: Map::new(),
            customer_data: None,
            customer_data_provider: None,
        }
    }
}

impl fmt::Debug for SessionConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionConfig")
            .field("connection", &self.connection)
            .field("group_id", &self.group_id)
            .field("page", &self.page)
            .finish_non_exhaustive()
    }
}
