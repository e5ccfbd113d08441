//! Configuration of a customer session.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::backoff::BackoffConfig;

/// The Customer Chat API version this crate speaks.
pub const API_VERSION: &str = "3.6";

/// Where the RTM socket goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// The LiveChat service: `wss://api.livechatinc.com` (`dal`, the default) or
    /// `wss://api-<region>.livechatinc.com` (e.g. `fra`). `misdirected_connection` pushes
    /// switch the region.
    Region(String),
    /// Explicit servers, e.g. the simulator: `ws://127.0.0.1:PORT`. `default` is used first;
    /// `regions` maps region codes to servers so a `misdirected_connection` push can be
    /// followed (a region missing from the map pauses the session instead of looping).
    /// `ws://` is accepted only here, for explicit local endpoints.
    Custom { default: String, regions: BTreeMap<String, String> },
}

impl Endpoint {
    pub fn url(url: impl Into<String>) -> Endpoint {
        Endpoint::Custom { default: url.into(), regions: BTreeMap::new() }
    }

    /// Base (scheme + host) for a region; `None` if a custom endpoint does not know it.
    pub fn base_for(&self, region: Option<&str>) -> Option<String> {
        match (self, region) {
            (Endpoint::Region(r), None) => Some(region_host(r)),
            (Endpoint::Region(_), Some(r)) => Some(region_host(r)),
            (Endpoint::Custom { default, .. }, None) => Some(default.trim_end_matches('/').to_string()),
            (Endpoint::Custom { regions, .. }, Some(r)) => {
                regions.get(r).map(|u| u.trim_end_matches('/').to_string())
            }
        }
    }
}

fn region_host(region: &str) -> String {
    match region {
        "" | "dal" | "us" => "wss://api.livechatinc.com".to_string(),
        "europe" => "wss://api-fra.livechatinc.com".to_string(),
        other => format!("wss://api-{other}.livechatinc.com"),
    }
}

impl Default for Endpoint {
    fn default() -> Self {
        Endpoint::Region("dal".to_string())
    }
}

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

/// `login.application`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    pub name: String,
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_type: Option<String>,
}

impl Default for Application {
    fn default() -> Self {
        Application {
            name: "livechat-rs".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            channel_type: None,
        }
    }
}

/// Keepalive and connection-quality timing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keepalive {
    /// RTM `ping` interval after login. The server closes sockets silent for ~30 s.
    pub ping_interval: Duration,
    /// Nothing heard for this long: `connection_unstable`.
    pub unstable_after: Duration,
    /// Nothing heard for this long: the socket is judged dead and replaced.
    pub dead_after: Duration,
}

impl Default for Keepalive {
    fn default() -> Self {
        Keepalive {
            ping_interval: Duration::from_secs(15),
            unstable_after: Duration::from_secs(20),
            dead_after: Duration::from_secs(40),
        }
    }
}

/// A function called at every login to build `login.customer`.
pub type CustomerDataProvider = Box<dyn FnMut() -> CustomerData + Send>;

/// Everything a customer session needs to know up front.
pub struct SessionConfig {
    pub organization_id: String,
    pub endpoint: Endpoint,
    pub group_id: Option<u64>,
    pub page: Option<CustomerPage>,
    pub referrer: Option<String>,
    pub tab_id: Option<String>,
    pub is_mobile: bool,
    pub application: Application,
    /// Initial `customer_side_storage`; replaced by `customer_side_storage_updated` pushes.
    pub customer_side_storage: Map<String, Value>,
    /// Static customer data, used when no provider is set.
    pub customer_data: Option<CustomerData>,
    /// Called at every login; wins over `customer_data`.
    pub customer_data_provider: Option<CustomerDataProvider>,
    /// Push subscription (`login.pushes`); `None` = all pushes of the connection version.
    pub pushes: Option<BTreeMap<String, Vec<String>>>,
    /// Connect as soon as the session is created.
    pub auto_connect: bool,
    /// How long an in-flight request may wait for its answer (server limit 15 s + margin).
    pub request_timeout: Duration,
    /// How long a call may wait in the queue for a connection before `REQUEST_TIMEOUT`.
    pub queue_timeout: Duration,
    /// Calls waiting for a connection or a free in-flight slot; more fail with `QUEUE_FULL`.
    pub queue_limit: usize,
    /// Requests in flight per connection; the server refuses more than 10.
    pub max_in_flight: usize,
    /// Socket open + token + login must complete within this.
    pub login_timeout: Duration,
    pub keepalive: Keepalive,
    pub socket_backoff: BackoffConfig,
    pub login_backoff: BackoffConfig,
    pub slow_backoff: BackoffConfig,
    /// The short fixed delay after server-initiated reconnect reasons.
    pub short_reconnect_delay: Duration,
    /// Consecutive `authentication` login failures (each with a fresh token) before pausing.
    pub max_auth_failures: u32,
    /// Seed of the RNG (backoff jitter, `custom_id`s): a test can replay a run exactly.
    pub seed: u64,
}

impl SessionConfig {
    pub fn new(organization_id: impl Into<String>, endpoint: Endpoint) -> SessionConfig {
        SessionConfig {
            organization_id: organization_id.into(),
            endpoint,
            group_id: None,
            page: None,
            referrer: None,
            tab_id: None,
            is_mobile: false,
            application: Application::default(),
            customer_side_storage: Map::new(),
            customer_data: None,
            customer_data_provider: None,
            pushes: None,
            auto_connect: true,
            request_timeout: Duration::from_secs(20),
            queue_timeout: Duration::from_secs(120),
            queue_limit: 1024,
            max_in_flight: 10,
            login_timeout: Duration::from_secs(25),
            keepalive: Keepalive::default(),
            socket_backoff: BackoffConfig::SOCKET,
            login_backoff: BackoffConfig::LOGIN,
            slow_backoff: BackoffConfig::SLOW,
            short_reconnect_delay: Duration::from_millis(100),
            max_auth_failures: 5,
            seed: 0x5eed,
        }
    }
}

impl fmt::Debug for SessionConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionConfig")
            .field("organization_id", &self.organization_id)
            .field("endpoint", &self.endpoint)
            .field("group_id", &self.group_id)
            .field("auto_connect", &self.auto_connect)
            .field("request_timeout", &self.request_timeout)
            .field("queue_limit", &self.queue_limit)
            .finish_non_exhaustive()
    }
}
