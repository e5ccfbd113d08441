//! How an agent authenticates: an OAuth access token (`Bearer`) or a Personal Access Token
//! (`Basic`), agent-api-3.6.md §1.1 and agent-sdk-behaviour.md §3.
//!
//! The Node chat SDK only prefixes a PAT with `Basic ` and leaves the encoding to the caller
//! (its docs: "should be encoded in base64"). Here the raw pair is encoded for you
//! ([`AgentCredentials::PersonalAccessToken`]), and the console's ready-made base64 string is
//! accepted as is ([`AgentCredentials::EncodedPat`]).

use std::fmt;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::token::{Secret, Token};

/// Agent credentials. `Debug` never shows a token (the secrets are [`Secret`]s).
#[derive(Clone, PartialEq, Eq)]
pub enum AgentCredentials {
    /// An OAuth access token (`dal:…`), sent as `"Bearer <token>"`.
    Bearer(Secret),
    /// A Personal Access Token and the Account ID that created it, sent as
    /// `"Basic " + base64("<account_id>:<pat>")`.
    PersonalAccessToken { account_id: String, pat: Secret },
    /// The already base64-encoded `<account_id>:<pat>` the Developer Console shows, sent as
    /// `"Basic <encoded>"`.
    EncodedPat(Secret),
}

impl AgentCredentials {
    /// An OAuth access token. A leading `"Bearer "` is tolerated and removed.
    pub fn bearer(access_token: impl Into<String>) -> AgentCredentials {
        let t: String = access_token.into();
        let t = t.strip_prefix("Bearer ").map(str::to_string).unwrap_or(t);
        AgentCredentials::Bearer(Secret::new(t))
    }

    /// A Personal Access Token with its Account ID.
    pub fn personal_access_token(account_id: impl Into<String>, pat: impl Into<String>) -> AgentCredentials {
        AgentCredentials::PersonalAccessToken { account_id: account_id.into(), pat: Secret::new(pat.into()) }
    }

    /// The pre-encoded PAT (base64 of `account_id:pat`). A leading `"Basic "` is tolerated
    /// and removed.
    pub fn encoded_pat(encoded: impl Into<String>) -> AgentCredentials {
        let t: String = encoded.into();
        let t = t.strip_prefix("Basic ").map(str::to_string).unwrap_or(t);
        AgentCredentials::EncodedPat(Secret::new(t))
    }

    /// `"Bearer"` or `"Basic"`.
    pub fn scheme(&self) -> &'static str {
        match self {
            AgentCredentials::Bearer(_) => "Bearer",
            AgentCredentials::PersonalAccessToken { .. } | AgentCredentials::EncodedPat(_) => "Basic",
        }
    }

    /// The Account ID when it is known: given with a PAT, or decoded from an encoded PAT.
    pub fn account_id(&self) -> Option<String> {
        match self {
            AgentCredentials::Bearer(_) => None,
            AgentCredentials::PersonalAccessToken { account_id, .. } => Some(account_id.clone()),
            AgentCredentials::EncodedPat(s) => {
                let raw = STANDARD.decode(s.expose().trim()).ok()?;
                let text = String::from_utf8(raw).ok()?;
                text.split_once(':').map(|(id, _)| id.to_string())
            }
        }
    }

    /// The engine token for these credentials: `token_type` `Bearer`/`Basic`, the raw token or
    /// the base64 string as access token, the account id (or `""`) as `entity_id`, and a
    /// lifetime that never runs out (`Duration::MAX`: these are not refreshable here; replace
    /// them with `AgentSession::set_credentials`).
    pub fn token(&self, now: Instant) -> Token {
        let access_token = match self {
            AgentCredentials::Bearer(t) | AgentCredentials::EncodedPat(t) => t.clone(),
            AgentCredentials::PersonalAccessToken { account_id, pat } => {
                Secret::new(STANDARD.encode(format!("{account_id}:{}", pat.expose())))
            }
        };
        Token {
            access_token,
            entity_id: self.account_id().unwrap_or_default(),
            token_type: self.scheme().to_string(),
            expires_in: Duration::MAX,
            organization_id: None,
            issued_at: now,
        }
    }

    /// The `login.token` / `update_session.token` value: `"Bearer …"` or `"Basic …"`. Do not
    /// log it.
    pub fn authorization_value(&self) -> String {
        let value = match self {
            AgentCredentials::Bearer(t) | AgentCredentials::EncodedPat(t) => t.expose().to_string(),
            AgentCredentials::PersonalAccessToken { account_id, pat } => {
                STANDARD.encode(format!("{account_id}:{}", pat.expose()))
            }
        };
        format!("{} {value}", self.scheme())
    }
}

impl fmt::Debug for AgentCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AgentCredentials::Bearer(_) => f.write_str("Bearer(<redacted>)"),
            AgentCredentials::PersonalAccessToken { account_id, .. } => f
                .debug_struct("PersonalAccessToken")
                .field("account_id", account_id)
                .field("pat", &"<redacted>")
                .finish(),
            AgentCredentials::EncodedPat(_) => f.write_str("EncodedPat(<redacted>)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pat_is_encoded_as_the_recorded_frame_shows() {
        let c = AgentCredentials::personal_access_token("fake-account-id", "fake-pat-secret");
        assert_eq!(c.authorization_value(), "Basic ZmFrZS1hY2NvdW50LWlkOmZha2UtcGF0LXNlY3JldA==");
        let t = c.token(Instant::now());
        assert_eq!(t.authorization_value(), c.authorization_value());
        assert_eq!(t.entity_id, "fake-account-id");
        let e = AgentCredentials::encoded_pat("Basic ZmFrZS1hY2NvdW50LWlkOmZha2UtcGF0LXNlY3JldA==");
        assert_eq!(e.authorization_value(), c.authorization_value());
        assert_eq!(e.account_id().as_deref(), Some("fake-account-id"));
        assert_eq!(AgentCredentials::bearer("Bearer dal:x").authorization_value(), "Bearer dal:x");
    }
}
