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
    /// An explicit server (checked when the session starts; [`Endpoint::parse`] checks now).
    pub fn url(url: impl Into<String>) -> Endpoint {
        Endpoint::Custom { default: url.into(), regions: BTreeMap::new() }
    }

    /// An explicit server, checked now: `ws://` or `wss://`, a host, nothing else odd.
    pub fn parse(url: impl Into<String>) -> Result<Endpoint, crate::Error> {
        let e = Endpoint::url(url);
        e.validate()?;
        Ok(e)
    }

    /// Check every URL and region name this endpoint can lead to; the error names the value
    /// and what was expected. A session with an invalid endpoint fails at once.
    pub fn validate(&self) -> Result<(), crate::Error> {
        match self {
            Endpoint::Region(r) => check_region(r).map(|_| ()),
            Endpoint::Custom { default, regions } => {
                check_socket_url(default)?;
                for (region, url) in regions {
                    check_region(region)?;
                    check_socket_url(url)?;
                }
                Ok(())
            }
        }
    }

    /// Base (scheme + host) for a region; `None` if a custom endpoint does not know it or
    /// the region is not a valid region name.
    pub fn base_for(&self, region: Option<&str>) -> Option<String> {
        match (self, region) {
            (Endpoint::Region(r), None) => check_region(r).ok().map(|r| region_host(&r)),
            (Endpoint::Region(_), Some(r)) => check_region(r).ok().map(|r| region_host(&r)),
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

/// The longest region name accepted.
const MAX_REGION_LEN: usize = 32;

/// A region name, lower-cased: 1 to 32 ASCII letters, digits and `-` (`dal`, `fra`,
/// `us-south1`). Region names come from the server too (`misdirected_connection`,
/// `misdirected_request`) and become part of a host name that receives our token, so
/// anything else (`evil.example/`, `x@127.0.0.1:1/`) is refused before a URL is built.
pub fn check_region(region: &str) -> Result<String, crate::Error> {
    // Compared case-insensitively, as the Node chat SDK does (`region: "Europe"` works).
    let lower = region.to_ascii_lowercase();
    let ok = (1..=MAX_REGION_LEN).contains(&lower.len())
        && lower.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !lower.starts_with('-')
        && !lower.ends_with('-');
    if ok {
        Ok(lower)
    } else {
        let shown: String = region.chars().take(40).collect();
        Err(crate::Error::invalid(format!(
            "invalid region {shown:?}: a region is 1 to {MAX_REGION_LEN} letters, digits or `-` (e.g. \"dal\", \"fra\")"
        )))
    }
}

/// `ws://` or `wss://`, a host, an optional port and path; no user info, no spaces, no
/// fragment. (A check, not a URL parser: the WebSocket client parses it again.)
fn check_socket_url(url: &str) -> Result<(), crate::Error> {
    let bad = |why: &str| {
        let shown: String = url.chars().take(80).collect();
        Err(crate::Error::invalid(format!("invalid endpoint URL {shown:?}: {why}")))
    };
    let rest = if let Some(r) = url.strip_prefix("wss://") {
        r
    } else if let Some(r) = url.strip_prefix("ws://") {
        r
    } else if url.starts_with("http://") || url.starts_with("https://") {
        return bad("RTM is a WebSocket: use ws:// (local servers) or wss://, not http(s)://");
    } else {
        return bad("expected ws://HOST[:PORT] or wss://HOST[:PORT]");
    };
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("it contains white space or control characters");
    }
    if rest.contains('#') {
        return bad("it has a fragment (#)");
    }
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    if authority.contains('@') {
        return bad("user info (user@host) is not allowed");
    }
    let (host, port) = if authority.starts_with('[') {
        // An IPv6 literal: `[::1]` or `[::1]:PORT`.
        match authority.split_once(']') {
            Some((h, "")) => (h, None),
            Some((h, p)) => (h, Some(p.strip_prefix(':').unwrap_or("x"))),
            None => return bad("an IPv6 host is missing its `]`"),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() || host == "[" {
        return bad("it has no host");
    }
    if let Some(p) = port
        && (p.is_empty() || p.parse::<u16>().is_err())
    {
        return bad("the port is not a number from 0 to 65535");
    }
    Ok(())
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
    /// A `ping` unanswered for this long: the socket is dead, even if other frames (pushes)
    /// still arrive. A server that keeps pushing but stopped answering requests would
    /// otherwise keep the session "connected" with every call timing out.
    pub ping_timeout: Duration,
}

impl Default for Keepalive {
    fn default() -> Self {
        Keepalive {
            ping_interval: Duration::from_secs(15),
            unstable_after: Duration::from_secs(20),
            dead_after: Duration::from_secs(40),
            ping_timeout: Duration::from_secs(10),
        }
    }
}

/// Recovery after a re-login: the service does not replay pushes, so the session asks for
/// what happened in the chats it knows while its socket was down (`engine::recovery`).
///
/// Cost per re-login: one `list_chats` (the 25 newest chats, to find new ones) plus one
/// `get_chat` per chat with delivered events (at most `max_chats`, newest activity first),
/// one more for a chat whose thread changed meanwhile, and one per new active chat. They go
/// through the ordinary queue (in-flight limit, deadlines) ahead of the application's calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecoveryConfig {
    /// Off: nothing is fetched after a re-login, and pushes lost in a drop stay lost
    /// (duplicates are still dropped).
    pub enabled: bool,
    /// Chats checked per re-login, at most; the ones with the latest delivered events first.
    pub max_chats: usize,
}

impl Default for RecoveryConfig {
    fn default() -> Self {
        RecoveryConfig { enabled: true, max_chats: 20 }
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
    /// After server-initiated reconnect reasons (`internal_error`, `connection_evicted`,
    /// `access_token_expired` …): 100 ms the first time, as the official SDK; unlike the SDK
    /// it grows with every repeat, so a server that drops every login is not hammered.
    pub short_backoff: BackoffConfig,
    /// A connection that stayed logged in this long resets every backoff. (Resetting at
    /// login would let "log in, get dropped, log in…" retry at the shortest delay forever.)
    pub stable_after: Duration,
    /// A session that has never logged in fails the calls waiting for it after this long,
    /// with the cause of the last failed attempt (refused, DNS, TLS, a login error), instead
    /// of letting them wait for `queue_timeout`. It keeps trying to connect meanwhile.
    pub first_connect_timeout: Duration,
    /// Consecutive `authentication` login failures (each with a fresh token) before pausing.
    pub max_auth_failures: u32,
    /// Recovery of what a drop hid, after every re-login (`engine::recovery`).
    pub recovery: RecoveryConfig,
    /// Seed of the RNG (backoff jitter, `custom_id` prefix). `None` (the default): drawn
    /// from the OS entropy source, so no two clients share jitter or `custom_id`s. Set it
    /// only in a test that replays a run exactly.
    pub seed: Option<u64>,
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
            short_backoff: BackoffConfig::SHORT,
            stable_after: Duration::from_secs(10),
            first_connect_timeout: Duration::from_secs(10),
            max_auth_failures: 5,
            recovery: RecoveryConfig::default(),
            seed: None,
        }
    }

    /// Check what can be checked before connecting: the API version and the endpoint (an
    /// error naming the value otherwise).
    pub fn validate(&self) -> Result<(), crate::Error> {
        self.api_version_normalized()?;
        self.endpoint.validate()
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
    fn endpoints_are_checked_with_a_reason() {
        for good in [
            "ws://127.0.0.1:8080",
            "wss://api.livechatinc.com",
            "ws://[::1]:9/x?y=1",
            "ws://[::1]",
            "ws://sim",
        ] {
            Endpoint::parse(good).unwrap_or_else(|e| panic!("{good}: {e}"));
        }
        for (bad, why) in [
            ("htp:/127.0.0.1", "expected ws://"),
            ("http://127.0.0.1:8080", "not http(s)://"),
            ("ws://", "no host"),
            ("ws://user@127.0.0.1:1", "user info"),
            ("ws://127.0.0.1:99999", "port"),
            ("ws://127.0.0.1 :1", "white space"),
        ] {
            let err = Endpoint::parse(bad).unwrap_err();
            assert!(err.message.contains(why), "{bad}: {err}");
            assert!(err.message.contains(&format!("{bad:?}")), "{bad}: {err}");
        }
        assert!(Endpoint::Region("mars planet".into()).validate().is_err());
    }

    #[test]
    fn hostile_region_names_never_become_hosts() {
        for bad in ["evil.example/", "x@127.0.0.1:19070/", "", "-x", "a/b", "fra.", &"a".repeat(33)] {
            assert!(check_region(bad).is_err(), "{bad:?} accepted");
            assert_eq!(Endpoint::default().base_for(Some(bad)), None, "{bad:?}");
        }
        assert_eq!(check_region("FRA").unwrap(), "fra");
        assert_eq!(Endpoint::default().base_for(Some("fra")).unwrap(), "wss://api-fra.livechatinc.com");
    }

    #[test]
    fn regions_map_to_hosts_case_insensitively() {
        let e = Endpoint::Region("Europe".into());
        assert_eq!(e.base_for(None).unwrap(), "wss://api-fra.livechatinc.com");
        assert_eq!(Endpoint::Region("us".into()).base_for(None).unwrap(), "wss://api.livechatinc.com");
        assert_eq!(Endpoint::default().base_for(None).unwrap(), "wss://api.livechatinc.com");
    }
}
