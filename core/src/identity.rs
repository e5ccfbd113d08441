//! Sans-IO identity providers: where customer tokens come from.
//!
//! The JS SDK's `identityProvider` contract is `getToken` (cached if still valid),
//! `getFreshToken` (always new), `hasToken`, `invalidate`. [`TokenSource`] keeps that
//! contract without doing I/O: [`TokenSource::token`] either hands back a cached token or
//! an [`HttpRequest`] for the transport to perform, whose response goes to
//! [`TokenSource::handle_response`]. Transports wrap it with their HTTP client; users with
//! their own token service implement the transport's provider trait instead.

use std::time::Instant;

use crate::error::Error;
use crate::http::{HttpRequest, HttpResponse};
pub use crate::jar::{CookieJar, JAR_VERSION, SharedJar};
use crate::token::{
    AccountsConfig, REFRESH_MARGIN, Secret, Token, agent_token_grant, cookie_grant, parse_token_response,
};

/// What to do to get a token.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenStep {
    /// Here it is.
    Ready(Token),
    /// Perform this request and pass the response to [`TokenSource::handle_response`].
    Fetch(HttpRequest),
}

/// How tokens are obtained.
#[derive(Debug, Clone, PartialEq)]
pub enum Grant {
    /// A token you already have (e.g. from your backend). It cannot be refreshed.
    Static(Token),
    /// `grant_type=agent_token`: a backend acting for customers with an agent token
    /// (scope `customers:own`). Without `entity_id` the first call creates a customer;
    /// later calls refresh the token of that same customer.
    AgentToken { accounts: AccountsConfig, agent_token: Secret, entity_id: Option<String> },
    /// `grant_type=cookie`: the identity lives in the accounts service's cookies, kept in
    /// this jar (persist it to keep the customer across restarts).
    Cookie { accounts: AccountsConfig, jar: CookieJar },
}

/// A token cache in front of a [`Grant`]: the `identityProvider` contract, sans-IO.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenSource {
    grant: Grant,
    cached: Option<Token>,
    /// Where the cookie grant's jar is published for the client handles.
    published: Option<SharedJar>,
}

impl TokenSource {
    pub fn new(grant: Grant) -> TokenSource {
        let cached = match &grant {
            Grant::Static(t) => Some(t.clone()),
            _ => None,
        };
        TokenSource { grant, cached, published: None }
    }

    /// A live view of the cookie grant's jar, updated after every token response (`None`
    /// for the other grants). Take it before handing the source to a driver, and read it
    /// from the client handle to save the jar (see [`CookieJar`]).
    pub fn shared_jar(&mut self) -> Option<SharedJar> {
        let Grant::Cookie { jar, .. } = &self.grant else { return None };
        Some(self.published.get_or_insert_with(|| SharedJar::new(jar.clone())).clone())
    }

    /// Whether this source can give a new token (every grant but [`Grant::Static`]).
    pub fn can_refresh(&self) -> bool {
        !matches!(self.grant, Grant::Static(_))
    }

    pub fn grant(&self) -> &Grant {
        &self.grant
    }

    /// `hasToken`: whether a token is cached (even an expired one).
    pub fn has_token(&self) -> bool {
        self.cached.is_some()
    }

    /// The cached token, if any.
    pub fn cached(&self) -> Option<&Token> {
        self.cached.as_ref()
    }

    /// `invalidate`: drop the cached token.
    pub fn invalidate(&mut self) {
        if !matches!(self.grant, Grant::Static(_)) {
            self.cached = None;
        }
    }

    /// `getToken` (`fresh = false`: the cached token while more than an hour is left) or
    /// `getFreshToken` (`fresh = true`). A static token is always returned as it is.
    pub fn token(&mut self, now: Instant, fresh: bool) -> TokenStep {
        match &self.grant {
            Grant::Static(t) => TokenStep::Ready(t.clone()),
            Grant::AgentToken { accounts, agent_token, entity_id } => match self.usable(now, fresh) {
                Some(t) => TokenStep::Ready(t),
                None => TokenStep::Fetch(agent_token_grant(accounts, agent_token, entity_id.as_deref())),
            },
            Grant::Cookie { accounts, jar } => match self.usable(now, fresh) {
                Some(t) => TokenStep::Ready(t),
                None => {
                    let mut req = cookie_grant(accounts);
                    if let Some(c) = jar.header() {
                        req = req.with_header("Cookie", c);
                    }
                    TokenStep::Fetch(req)
                }
            },
        }
    }

    fn usable(&self, now: Instant, fresh: bool) -> Option<Token> {
        self.cached.as_ref().filter(|t| !fresh && !t.needs_refresh(now, REFRESH_MARGIN)).cloned()
    }

    /// The accounts service answered a [`TokenStep::Fetch`].
    pub fn handle_response(&mut self, now: Instant, resp: &HttpResponse) -> Result<Token, Error> {
        if let Grant::Cookie { jar, .. } = &mut self.grant {
            jar.store(resp);
            if let Some(p) = &self.published {
                p.set(jar);
            }
        }
        let token = parse_token_response(resp, now)?;
        if let Grant::AgentToken { entity_id, .. } = &mut self.grant {
            // Refresh this customer from now on instead of creating new ones.
            *entity_id = Some(token.entity_id.clone());
        }
        self.cached = Some(token.clone());
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn ok_body(entity: &str) -> HttpResponse {
        HttpResponse::new(
            200,
            format!(
                r#"{{"access_token":"dal:AT-{entity}","entity_id":"{entity}","expires_in":28800,"token_type":"Bearer"}}"#
            ),
        )
    }

    fn accounts() -> AccountsConfig {
        AccountsConfig::new("org", "client").with_base_url("http://127.0.0.1:1")
    }

    #[test]
    fn agent_grant_creates_then_refreshes_the_same_customer_and_caches() {
        let now = Instant::now();
        let mut src = TokenSource::new(Grant::AgentToken {
            accounts: accounts(),
            agent_token: Secret::new("agent-secret"),
            entity_id: None,
        });
        assert!(!src.has_token());
        let TokenStep::Fetch(req) = src.token(now, false) else { panic!() };
        let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
        assert!(body.get("entity_id").is_none(), "first call creates a customer");
        let t = src.handle_response(now, &ok_body("c1")).unwrap();
        assert_eq!(t.entity_id, "c1");
        assert!(matches!(src.token(now, false), TokenStep::Ready(t) if t.entity_id == "c1"));
        let TokenStep::Fetch(req) = src.token(now, true) else { panic!("fresh must fetch") };
        let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
        assert_eq!(body["entity_id"], "c1");
        // under an hour left: getToken fetches too
        let later = now + Duration::from_secs(28800 - 3000);
        assert!(matches!(src.token(later, false), TokenStep::Fetch(_)));
        src.invalidate();
        assert!(!src.has_token());
    }

    #[test]
    fn cookie_grant_keeps_the_identity_cookie_and_sends_it_back() {
        let now = Instant::now();
        let mut src = TokenSource::new(Grant::Cookie { accounts: accounts(), jar: CookieJar::default() });
        let TokenStep::Fetch(first) = src.token(now, false) else { panic!() };
        assert!(first.header("cookie").is_none());
        let resp = ok_body("c9")
            .with_header("Set-Cookie", "__lc_cid=abc; Path=/v2/customer; HttpOnly")
            .with_header("set-cookie", "__lc_cst=def; Secure");
        src.handle_response(now, &resp).unwrap();
        let TokenStep::Fetch(again) = src.token(now, true) else { panic!() };
        assert_eq!(again.header("cookie"), Some("__lc_cid=abc; __lc_cst=def"));
        assert!(!format!("{src:?}").contains("abc"), "cookie values are secrets");
    }

    #[test]
    fn static_tokens_are_returned_as_they_are_and_errors_leave_the_cache_alone() {
        let now = Instant::now();
        let t = Token {
            access_token: Secret::new("x"),
            entity_id: "e".into(),
            token_type: "Bearer".into(),
            expires_in: Duration::from_secs(10),
            organization_id: None,
            issued_at: now,
        };
        let mut src = TokenSource::new(Grant::Static(t.clone()));
        assert_eq!(src.token(now, true), TokenStep::Ready(t));
        let mut src = TokenSource::new(Grant::Cookie { accounts: accounts(), jar: CookieJar::default() });
        let bad = HttpResponse::new(401, r#"{"identity_exception":"unauthorized"}"#);
        assert!(src.handle_response(now, &bad).is_err());
        assert!(!src.has_token());
    }
}
