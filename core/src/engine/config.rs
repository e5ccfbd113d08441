//! Connection settings shared by the customer and the agent session.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::backoff::BackoffConfig;

/// The Chat API version this crate speaks by default.
pub const API_VERSION: &str = "3.6";

/// API versions a session may be configured for (`ConnectionConfig::api_version`): the ones
/// the official Python SDK ships (3.5, 3.6 stable, 3.7 dev). The typed actions and pushes of
/// this crate follow 3.6.
pub const SUPPORTED_API_VERSIONS: &[&str] = &["3.5", "3.6", "3.7"];

/// `"3.6"` and `"v3.6"` both give `Some("3.6")`; an unsupported version gives `None`.
pub fn normalize_api_version(version: &str) -> Option<&'static str> {
    let v = version.trim();
    let v = v.strip_prefix('v').or_else(|| v.strip_prefix('V')).unwrap_or(v);
    SUPPORTED_API_VERSIONS.iter().copied().find(|s| *s == v)
}

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
    // Compared case-insensitively, as the Node chat SDK does (`region: "Europe"` works).
    let region = region.to_ascii_lowercase();
    match region.as_str() {
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
    /// The `/v<version>/` segment of the RTM URL: `"3.5"`, `"3.6"` (default) or `"3.7"`, with
    /// or without a leading `v`. Checked by [`ConnectionConfig::validate`]; a session whose
    /// version is not supported destroys itself with `unsupported_version` when it connects.
    pub api_version: String,
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
            api_version: API_VERSION.to_string(),
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

    /// Check what can be checked before connecting: the API version (an error naming the
    /// value otherwise).
    pub fn validate(&self) -> Result<(), crate::Error> {
        self.api_version_normalized().map(|_| ())
    }

    /// The configured API version without its optional `v`, or an `INVALID_REQUEST` error
    /// naming the value.
    pub fn api_version_normalized(&self) -> Result<&'static str, crate::Error> {
        normalize_api_version(&self.api_version).ok_or_else(|| {
            crate::Error::invalid(format!(
                "unsupported API version {:?}: expected one of {} (a leading `v` is optional)",
                self.api_version,
                SUPPORTED_API_VERSIONS.join(", ")
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_versions_are_normalised_and_checked() {
        let mut c = ConnectionConfig::new("org", Endpoint::default());
        assert_eq!(c.api_version_normalized().unwrap(), "3.6");
        for (given, want) in [("3.5", "3.5"), ("v3.7", "3.7"), (" V3.6 ", "3.6")] {
            c.api_version = given.into();
            assert_eq!(c.api_version_normalized().unwrap(), want);
        }
        for bad in ["3.4", "4", "", "v", "3.6.1", "latest"] {
            c.api_version = bad.into();
            let err = c.validate().unwrap_err();
            assert!(err.message.contains(&format!("{bad:?}")), "{err}");
        }
    }

    #[test]
    fn regions_map_to_hosts_case_insensitively() {
        let e = Endpoint::Region("Europe".into());
        assert_eq!(e.base_for(None).unwrap(), "wss://api-fra.livechatinc.com");
        assert_eq!(Endpoint::Region("us".into()).base_for(None).unwrap(), "wss://api.livechatinc.com");
        assert_eq!(Endpoint::default().base_for(None).unwrap(), "wss://api.livechatinc.com");
    }
}
