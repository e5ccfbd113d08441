//! Configuration of a customer session.

use std::fmt;

use serde_json::{Map, Value};

pub use super::actions::{CustomerPage, LoginCustomer};
pub use crate::engine::config::{API_VERSION, Application, ConnectionConfig, Endpoint, Keepalive};

/// A function called at every login to build `login.customer`.
pub type CustomerDataProvider = Box<dyn FnMut() -> LoginCustomer + Send>;

/// Everything a customer session needs to know up front.
pub struct CustomerConfig {
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
    pub customer_data: Option<LoginCustomer>,
    /// Called at every login; wins over `customer_data`.
    pub customer_data_provider: Option<CustomerDataProvider>,
}

impl CustomerConfig {
    pub fn new(organization_id: impl Into<String>, endpoint: Endpoint) -> CustomerConfig {
        CustomerConfig {
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

impl fmt::Debug for CustomerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CustomerConfig")
            .field("connection", &self.connection)
            .field("group_id", &self.group_id)
            .field("page", &self.page)
            .finish_non_exhaustive()
    }
}
