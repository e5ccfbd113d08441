//! Connection settings shared by the customer and the agent session.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::backoff::BackoffConfig;

/// The Chat API version this crate speaks.
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

impl Endpoint {
    /// The HTTP(S) base of the same server (`https://api.livechatinc.com`,
    /// `http://127.0.0.1:PORT`), for the Web API pieces (file upload).
    pub fn http_base(&self, region: Option<&str>) -> Option<String> {
        let ws = self.base_for(region)?;
        Some(if let Some(rest) = ws.strip_prefix("wss://") {
            format!("https://{rest}")
        } else if let Some(rest) = ws.strip_prefix("ws://") {
            format!("http://{rest}")
        } else {
            ws
        })
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

/// Connection behaviour: timeouts, limits, keepalive, backoff. The defaults are the
/// documented numbers.
#[derive(Debug, Clone)]
pub struct ConnectionConfig {
    pub organization_id: String,
    pub endpoint: Endpoint,
    /// `login.application`.
    pub application: Application,
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

impl ConnectionConfig {
    pub fn new(organization_id: impl Into<String>, endpoint: Endpoint) -> ConnectionConfig {
        ConnectionConfig {
            organization_id: organization_id.into(),
            endpoint,
            application: Application::default(),
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
