//! Small helpers: clock, id generation, RFC 3339 formatting, API errors and payload validation.

use serde_json::{Map, Value, json};
use std::time::{SystemTime, UNIX_EPOCH};

/// Formats microseconds since the Unix epoch as RFC 3339 UTC with microsecond resolution,
/// e.g. `2017-10-12T15:19:21.010200Z`.
pub fn fmt_micros(us: i64) -> String {
    let secs = us.div_euclid(1_000_000);
    let micros = us.rem_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}Z", sod / 3600, sod % 3600 / 60, sod % 60)
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m as u32, d as u32)
}

/// A strictly increasing clock. In deterministic mode it starts at a fixed instant and advances
/// by one millisecond per reading, so a replayed scenario produces the same timestamps.
#[derive(Debug)]
pub struct Clock {
    deterministic: bool,
    last_us: i64,
}

impl Clock {
    pub fn new(deterministic: bool, start_unix_secs: i64) -> Self {
        Clock { deterministic, last_us: if deterministic { start_unix_secs * 1_000_000 } else { 0 } }
    }

    /// Microseconds since the epoch; never returns the same value twice.
    pub fn now_us(&mut self) -> i64 {
        if self.deterministic {
            self.last_us += 1000;
        } else {
            let real =
                SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as i64).unwrap_or(0);
            self.last_us = real.max(self.last_us + 1);
        }
        self.last_us
    }

    /// The current reading without advancing (a deterministic clock stays put).
    pub fn peek_us(&self) -> i64 {
        if self.deterministic {
            self.last_us
        } else {
            SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as i64).unwrap_or(0)
        }
    }

    pub fn now(&mut self) -> String {
        fmt_micros(self.now_us())
    }
}

const ID_SPACE: u64 = 3_656_158_440_062_976; // 36^10

/// Id generator: a counter scrambled by a bijection, so ids look like the service's
/// (`PJ0MRSHTDG`) but never collide; the seed is fixed in deterministic mode.
#[derive(Debug)]
pub struct IdGen {
    seed: u64,
    n: u64,
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl IdGen {
    pub fn new(seed: u64) -> Self {
        IdGen { seed, n: 0 }
    }

    fn next_n(&mut self) -> u64 {
        self.n += 1;
        self.n
    }

    /// A 10-character upper-case alphanumeric id (chats, threads).
    pub fn id10(&mut self) -> String {
        let n = self.next_n();
        let mut x =
            ((n as u128 * 1_000_000_007u128 + (self.seed % ID_SPACE) as u128) % ID_SPACE as u128) as u64;
        let mut out = [b'0'; 10];
        for slot in out.iter_mut().rev() {
            let d = (x % 36) as u8;
            *slot = if d < 10 { b'0' + d } else { b'A' + d - 10 };
            x /= 36;
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    /// A UUID-shaped id (customers).
    pub fn uuid(&mut self) -> String {
        let n = self.next_n();
        let a = splitmix(self.seed ^ n.wrapping_mul(2));
        let b = splitmix(self.seed ^ n.wrapping_mul(2).wrapping_add(1));
        format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            (b >> 48) & 0xfff,
            b & 0xffff_ffff_ffff
        )
    }

    /// An opaque secret-looking string (access tokens).
    pub fn secret(&mut self, prefix: &str) -> String {
        let n = self.next_n();
        let a = splitmix(self.seed.rotate_left(17) ^ n);
        let b = splitmix(a ^ 0x5bd1_e995);
        format!("{prefix}{a:016x}{b:016x}")
    }
}

/// A seed for non-deterministic runs.
pub fn random_seed() -> u64 {
    let t = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(7);
    splitmix(t ^ (std::process::id() as u64) << 32)
}

/// An API error: `{"type", "message", "data"?}`.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub kind: String,
    pub message: String,
    pub data: Option<Value>,
}

impl ApiError {
    pub fn new(kind: &str, message: impl Into<String>) -> Self {
        ApiError { kind: kind.to_string(), message: message.into(), data: None }
    }

    /// The documented default message for an error type.
    pub fn of(kind: &str) -> Self {
        let msg = match kind {
            "authentication" => "Authentication error",
            "authorization" => "Authorization error",
            "chat_anonymized" => "Chat anonymized",
            "chat_inactive" => "Chat is inactive",
            "customer_banned" => "Customer is banned",
            "entity_too_large" => "Upload limit exceeded (10MB).",
            "greeting_not_found" => "Greeting not found",
            "group_not_found" => "Group not found",
            "group_offline" => "Group is offline",
            "group_unavailable" => "No agent available for group",
            "groups_offline" => "Groups offline",
            "internal" => "Internal server error",
            "license_expired" => "License expired",
            "license_not_found" => "License not found",
            "limit_reached" => "Limit reached",
            "misdirected_request" => "Wrong region",
            "not_allowed" => "Not allowed",
            "not_found" => "Not found",
            "pending_requests_limit_reached" => "Requests limit reached",
            "request_timeout" => "Request timed out",
            "service_unavailable" => "Service unavailable",
            "too_many_requests" => "Too many requests",
            "unsupported_version" => "Cannot call unsupported API versions.",
            "users_limit_reached" => "Users limit reached",
            "validation" => "Wrong format of request",
            "wrong_product_version" => "Wrong product version",
            "chat_limit_reached" => "Chat limit reached",
            "chat_already_active" => "Chat is already active",
            "customer_session_fields_limit_reached" => "Customer session fields limit reached",
            _ => "Error",
        };
        ApiError::new(kind, msg)
    }

    /// A `validation` error naming the offending field.
    pub fn validation(field: &str, problem: &str) -> Self {
        ApiError::new("validation", format!("`{field}` {problem}"))
    }

    pub fn missing(field: &str) -> Self {
        Self::validation(field, "is required")
    }

    pub fn not_found(what: &str) -> Self {
        ApiError::new("not_found", format!("{what} not found"))
    }

    pub fn to_json(&self) -> Value {
        let mut e = json!({"type": self.kind, "message": self.message});
        if let Some(d) = &self.data {
            e["data"] = d.clone();
        }
        json!({ "error": e })
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

fn get<'a>(p: &'a Value, field: &str) -> Option<&'a Value> {
    p.get(field).filter(|v| !v.is_null())
}

/// Required string field; `path` names it in the error (e.g. `chat.id`).
pub fn req_str<'a>(p: &'a Value, field: &str, path: &str) -> ApiResult<&'a str> {
    match get(p, field) {
        None => Err(ApiError::missing(path)),
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(Value::String(_)) => Err(ApiError::validation(path, "must not be empty")),
        Some(_) => Err(ApiError::validation(path, "must be a string")),
    }
}

pub fn opt_str<'a>(p: &'a Value, field: &str, path: &str) -> ApiResult<Option<&'a str>> {
    match get(p, field) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::validation(path, "must be a string")),
    }
}

pub fn opt_bool(p: &Value, field: &str, path: &str) -> ApiResult<Option<bool>> {
    match get(p, field) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(ApiError::validation(path, "must be a boolean")),
    }
}

pub fn opt_u64(p: &Value, field: &str, path: &str) -> ApiResult<Option<u64>> {
    match get(p, field) {
        None => Ok(None),
        Some(v) => {
            v.as_u64().map(Some).ok_or_else(|| ApiError::validation(path, "must be a non-negative integer"))
        }
    }
}

pub fn req_u64(p: &Value, field: &str, path: &str) -> ApiResult<u64> {
    opt_u64(p, field, path)?.ok_or_else(|| ApiError::missing(path))
}

pub fn opt_obj<'a>(p: &'a Value, field: &str, path: &str) -> ApiResult<Option<&'a Map<String, Value>>> {
    match get(p, field) {
        None => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(_) => Err(ApiError::validation(path, "must be an object")),
    }
}

pub fn req_obj<'a>(p: &'a Value, field: &str, path: &str) -> ApiResult<&'a Map<String, Value>> {
    opt_obj(p, field, path)?.ok_or_else(|| ApiError::missing(path))
}

/// Validates `{namespace: {name: value}}`.
pub fn check_properties(v: &Value, path: &str) -> ApiResult<()> {
    let Value::Object(m) = v else { return Err(ApiError::validation(path, "must be an object")) };
    for (ns, inner) in m {
        if !inner.is_object() {
            return Err(ApiError::validation(&format!("{path}.{ns}"), "must be an object"));
        }
    }
    Ok(())
}

/// Validates `{namespace: [name, ...]}` (property deletion).
pub fn check_property_names(v: &Value, path: &str) -> ApiResult<()> {
    let Value::Object(m) = v else { return Err(ApiError::validation(path, "must be an object")) };
    for (ns, inner) in m {
        let ok = inner.as_array().is_some_and(|a| a.iter().all(Value::is_string));
        if !ok {
            return Err(ApiError::validation(&format!("{path}.{ns}"), "must be an array of strings"));
        }
    }
    Ok(())
}

/// Rough RFC 3339 shape check (`YYYY-MM-DDTHH:MM:SS…`).
pub fn looks_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 20
        && b[4] == b'-'
        && b[7] == b'-'
        && (b[10] == b'T' || b[10] == b't')
        && b[13] == b':'
        && b[16] == b':'
        && b[..4].iter().all(u8::is_ascii_digit)
}

/// Parses a `x.y` version string (with or without a leading `v`).
pub fn parse_version(s: &str) -> Option<(u32, u32)> {
    let s = s.strip_prefix('v').unwrap_or(s);
    let (a, b) = s.split_once('.')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// A URL path's version segment (`v3.6`): `(version string like "3.6", supported)`;
/// `None` = not a version path at all.
pub(crate) fn version_of(ver: &str, supported: &[(u32, u32)]) -> Option<(String, bool)> {
    let v = ver.strip_prefix('v')?;
    let parsed = parse_version(v)?;
    Some((v.to_string(), supported.contains(&parsed)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(fmt_micros(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(fmt_micros(1_507_821_561_010_200), "2017-10-12T15:19:21.010200Z");
        assert_eq!(fmt_micros(951_782_400_000_001), "2000-02-29T00:00:00.000001Z");
    }

    #[test]
    fn ids_are_unique_and_shaped() {
        let mut g = IdGen::new(42);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..10_000 {
            let id = g.id10();
            assert_eq!(id.len(), 10);
            assert!(id.bytes().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()));
            assert!(seen.insert(id));
        }
        let u = g.uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(IdGen::new(1).id10(), IdGen::new(1).id10());
    }

    #[test]
    fn deterministic_clock_is_reproducible() {
        let mut a = Clock::new(true, 1_735_689_600);
        let mut b = Clock::new(true, 1_735_689_600);
        assert_eq!(a.now(), "2025-01-01T00:00:00.001000Z");
        assert_eq!(b.now(), "2025-01-01T00:00:00.001000Z");
        let mut r = Clock::new(false, 0);
        let (x, y) = (r.now_us(), r.now_us());
        assert!(y > x);
    }

    #[test]
    fn validation_names_the_field() {
        let p = json!({"limit": "x"});
        let e = opt_u64(&p, "limit", "limit").unwrap_err();
        assert_eq!(e.kind, "validation");
        assert!(e.message.contains("limit"));
        assert!(looks_rfc3339("2017-10-12T15:19:21.010200Z"));
        assert!(!looks_rfc3339("yesterday"));
        assert_eq!(parse_version("v3.6"), Some((3, 6)));
    }
}
