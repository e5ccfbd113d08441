//! STUB of the token types (the full module with HTTP grant builders replaces this file).

use std::fmt;
use std::time::{Duration, Instant};

/// A secret string: never shown by `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

pub const REFRESH_MARGIN: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub access_token: Secret,
    pub entity_id: String,
    pub token_type: String,
    pub expires_in: Duration,
    pub organization_id: Option<String>,
    pub issued_at: Instant,
}

impl Token {
    pub fn authorization_value(&self) -> String {
        format!("{} {}", self.token_type, self.access_token.expose().replace("%3A", ":"))
    }
    pub fn expires_at(&self) -> Instant {
        self.issued_at + self.expires_in
    }
    pub fn needs_refresh(&self, now: Instant, margin: Duration) -> bool {
        self.expires_at().saturating_duration_since(now) <= margin
    }
}
