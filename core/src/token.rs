//! Customer access tokens: the value type, the accounts-service grant requests, and the
//! parser for what the accounts service answers (customer-api-3.6.md §1.5,
//! customer-sdk-behaviour.md §4.1–4.3, §4.7).
//!
//! Sans-IO like the rest of core: [`cookie_grant`] and [`agent_token_grant`] build an
//! [`HttpRequest`], a transport performs it, and [`parse_token_response`] turns the
//! [`HttpResponse`] into a [`Token`] or an [`Error`]. The caller passes `now`; nothing here
//! reads a clock.
//!
//! Tokens are credentials: the access token lives in a [`Secret`], whose `Debug` and
//! `Display` print `<redacted>`, so a `{:?}` of a [`Token`], a request or an error never
//! shows it. Only [`Secret::expose`] and [`Token::authorization_value`] give it out.

use std::fmt;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{Error, ErrorCode};
use crate::http::{HttpRequest, HttpResponse, Method, encode_query_component};

/// The official SDK fetches a fresh token when this much lifetime or less is left
/// (`creationDate + expiresIn - now <= 3 600 000` ms, customer-sdk-behaviour.md §4.3).
pub const REFRESH_MARGIN: Duration = Duration::from_secs(3600);

/// Default accounts service.
///
/// The API docs (customer-api-3.6.md §1.5) send every grant to `accounts.livechat.com`, and
/// the identity cookies `__lc_cid` / `__lc_cst` are issued with
/// `Domain=accounts.livechat.com`; a non-browser cookie jar only sends them back to that
/// host. The JS SDK's `@livechat/customer-auth` uses `accounts.livechatinc.com` (also a
/// documented name of the same service); set [`AccountsConfig::base_url`] to that if you
/// need to share cookies with it. Tests point `base_url` at a local simulator.
pub const DEFAULT_ACCOUNTS_URL: &str = "https://accounts.livechat.com";

/// A credential string. `Debug` and `Display` print `<redacted>`; use [`Secret::expose`] at
/// the one place the raw value is needed (an `Authorization` header, a login payload).
///
/// Deliberately not `Serialize`, so it cannot slip into a JSON dump either.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The raw value. Do not log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Secret {
        Secret(value.to_owned())
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

/// A customer access token as the accounts service issued it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The access token, already with `%3A` turned into `:` when it came from
    /// [`parse_token_response`].
    pub access_token: Secret,
    /// The customer id.
    pub entity_id: String,
    /// `"Bearer"`.
    pub token_type: String,
    /// Lifetime from `issued_at` (the endpoint's `expires_in`, 28 800 s by default).
    pub expires_in: Duration,
    pub organization_id: Option<String>,
    /// The `now` the response was parsed at (the SDK's `creationDate`).
    pub issued_at: Instant,
}

impl Token {
    /// The value for an `Authorization` header and for the RTM `login.token` field:
    /// `"<token_type> <access_token>"`, i.e. `"Bearer dal:…"`. An empty `token_type` counts
    /// as `Bearer`, and any `%3A` left in the token is sent as `:` (customer-api-3.6.md §1.5).
    pub fn authorization_value(&self) -> String {
        let token_type = if self.token_type.is_empty() { "Bearer" } else { self.token_type.as_str() };
        format!("{token_type} {}", fix_colon_escape(self.access_token.expose()))
    }

    /// When the token stops being valid, or `None` when `issued_at + expires_in` does not fit
    /// in an `Instant` (an absurdly large `expires_in`: the token never expires for us).
    pub fn expires_at(&self) -> Option<Instant> {
        self.issued_at.checked_add(self.expires_in)
    }

    /// Lifetime left at `now`: zero once expired, `Duration::MAX` if it never expires.
    pub fn remaining(&self, now: Instant) -> Duration {
        match self.expires_at() {
            Some(at) => at.saturating_duration_since(now),
            None => Duration::MAX,
        }
    }

    /// Expired when `now >= issued_at + expires_in`, as in the SDK.
    pub fn is_expired(&self, now: Instant) -> bool {
        self.remaining(now).is_zero()
    }

    /// Whether to fetch a fresh token now: `margin` or less lifetime is left. The SDK uses
    /// [`REFRESH_MARGIN`] (one hour). An expired token always needs a refresh.
    pub fn needs_refresh(&self, now: Instant, margin: Duration) -> bool {
        self.remaining(now) <= margin
    }
}

fn fix_colon_escape(token: &str) -> String {
    token.replace("%3A", ":").replace("%3a", ":")
}

/// Where and as whom customer tokens are requested.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountsConfig {
    /// Scheme and host of the accounts service, no trailing slash needed; default
    /// [`DEFAULT_ACCOUNTS_URL`]. Point it at `http://127.0.0.1:PORT` for a simulator.
    pub base_url: String,
    pub organization_id: String,
    /// The Client ID of the app.
    pub client_id: String,
    /// With `Some(group)` the cookie grant goes to the per-group ("unique groups") path
    /// `/v2/customer/<organization_id>/<group>/token`, one identity per group.
    pub group_id: Option<u64>,
    /// `redirect_uri` for the cookie grant: one of the app's configured URLs. The server
    /// falls back to the `Origin` header, which a non-browser client usually does not send.
    pub redirect_uri: Option<String>,
}

impl AccountsConfig {
    /// Config for the default accounts service, no group, no redirect URI.
    pub fn new(organization_id: impl Into<String>, client_id: impl Into<String>) -> AccountsConfig {
        AccountsConfig {
            base_url: DEFAULT_ACCOUNTS_URL.to_owned(),
            organization_id: organization_id.into(),
            client_id: client_id.into(),
            group_id: None,
            redirect_uri: None,
        }
    }

    pub fn with_base_url(mut self, base_url: impl Into<String>) -> AccountsConfig {
        self.base_url = base_url.into();
        self
    }

    pub fn with_group(mut self, group_id: u64) -> AccountsConfig {
        self.group_id = Some(group_id);
        self
    }

    pub fn with_redirect_uri(mut self, redirect_uri: impl Into<String>) -> AccountsConfig {
        self.redirect_uri = Some(redirect_uri.into());
        self
    }

    fn base(&self) -> &str {
        self.base_url.trim_end_matches('/')
    }

    /// The cookie-grant URL: `<base>/v2/customer/token`, or with a group
    /// `<base>/v2/customer/<organization_id>/<group_id>/token`.
    pub fn token_url(&self) -> String {
        match self.group_id {
            None => format!("{}/v2/customer/token", self.base()),
            Some(group) => format!(
                "{}/v2/customer/{}/{group}/token",
                self.base(),
                encode_query_component(&self.organization_id)
            ),
        }
    }
}

#[derive(Serialize)]
struct CookieGrantBody<'a> {
    response_type: &'static str,
    grant_type: &'static str,
    client_id: &'a str,
    organization_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    redirect_uri: Option<&'a str>,
}

#[derive(Serialize)]
struct AgentTokenGrantBody<'a> {
    response_type: &'static str,
    grant_type: &'static str,
    client_id: &'a str,
    organization_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    entity_id: Option<&'a str>,
}

fn json_post(url: String, body: &impl Serialize) -> HttpRequest {
    // Serializing these plain string structs cannot fail.
    let body = serde_json::to_vec(body).unwrap_or_default();
    HttpRequest::new(Method::Post, url).with_header("Content-Type", "application/json").with_body(body)
}

/// The cookie grant: `POST <base>/v2/customer/token` (or the per-group path, see
/// [`AccountsConfig::token_url`]) with a JSON body
/// `{"response_type":"token","grant_type":"cookie","client_id":…,"organization_id":…,"redirect_uri":…?}`.
///
/// The customer's identity travels in the accounts-domain cookies `__lc_cid` and `__lc_cst`.
/// Cookies are the transport's job: it must perform this request with a cookie jar that
/// stores the `Set-Cookie`s of the answer and sends them back on the next grant (they live
/// two years and are extended on every call), or every call creates a new customer.
pub fn cookie_grant(cfg: &AccountsConfig) -> HttpRequest {
    let body = CookieGrantBody {
        response_type: "token",
        grant_type: "cookie",
        client_id: &cfg.client_id,
        organization_id: &cfg.organization_id,
        redirect_uri: cfg.redirect_uri.as_deref(),
    };
    json_post(cfg.token_url(), &body)
}

/// The agent-token grant for backends acting for many customers:
/// `POST <base>/v2/customer/token` with `Authorization: Bearer <agent_token>` (an agent
/// token with scope `customers:own`, not a PAT) and a JSON body
/// `{"response_type":"token","grant_type":"agent_token","client_id":…,"organization_id":…,"entity_id":…?}`.
///
/// `entity_id: None` creates a new customer; `Some(id)` issues a new token for that
/// customer. The per-group path is not used here: it is documented for cookie identities
/// only, and the customer is named by `entity_id`. A `"Bearer "` prefix already on
/// `agent_token` is not doubled.
pub fn agent_token_grant(cfg: &AccountsConfig, agent_token: &Secret, entity_id: Option<&str>) -> HttpRequest {
    let body = AgentTokenGrantBody {
        response_type: "token",
        grant_type: "agent_token",
        client_id: &cfg.client_id,
        organization_id: &cfg.organization_id,
        entity_id,
    };
    let raw = agent_token.expose().trim();
    let raw = match raw.get(..7) {
        Some(prefix) if prefix.eq_ignore_ascii_case("bearer ") => raw[7..].trim_start(),
        _ => raw,
    };
    json_post(format!("{}/v2/customer/token", cfg.base()), &body)
        .with_header("Authorization", format!("Bearer {raw}"))
}

fn token_error(message: impl Into<String>, status: u16) -> Error {
    let mut err = Error::new(ErrorCode::TokenFetchFailed, message);
    err.data = Some(serde_json::json!({ "status": status }));
    err
}

fn exception_error(code: ErrorCode, value: &Value, obj: &Map<String, Value>) -> Error {
    let message = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut err = Error::new(code, message);
    err.data = obj.get("exception_details").cloned();
    err
}

/// `expires_in` in seconds: a non-negative integer, or a non-negative finite float (some
/// servers send `28800.0`). Anything else is refused.
fn parse_expires_in(value: &Value) -> Option<Duration> {
    if let Some(secs) = value.as_u64() {
        return Some(Duration::from_secs(secs));
    }
    value.as_f64().and_then(|f| Duration::try_from_secs_f64(f).ok())
}

/// Turn the accounts service's answer into a [`Token`] issued at `now`.
///
/// Like the SDK, the body is read as JSON whatever the status is:
/// * `{"identity_exception": "<reason>", …}` → [`ErrorCode::SsoIdentityException`],
///   message `<reason>` (e.g. `unauthorized`, `access_denied`, `identity_lost`);
/// * `{"oauth_exception": "<reason>", …}` → [`ErrorCode::SsoOauthException`];
///
///   in both cases `data` is the `exception_details` value when the body has one;
/// * a 2xx with `access_token`, `entity_id`, `expires_in` (seconds) and `token_type` →
///   the token (`organization_id` optional, other fields ignored);
/// * anything else (non-JSON, a non-2xx status, a missing or mistyped field) →
///   [`ErrorCode::TokenFetchFailed`] with a message naming the status and what was wrong,
///   and `data` `{"status": <status>}`.
///
/// Never panics, whatever the bytes; error messages never contain the token.
pub fn parse_token_response(resp: &HttpResponse, now: Instant) -> Result<Token, Error> {
    let status = resp.status;
    let Some(json) = resp.json() else {
        return Err(token_error(
            format!("Token endpoint answered HTTP {status} with a body that is not JSON."),
            status,
        ));
    };
    let Value::Object(obj) = json else {
        return Err(token_error(
            format!("Token endpoint answered HTTP {status} with JSON that is not an object."),
            status,
        ));
    };
    if let Some(v) = obj.get("identity_exception").filter(|v| !v.is_null()) {
        return Err(exception_error(ErrorCode::SsoIdentityException, v, &obj));
    }
    if let Some(v) = obj.get("oauth_exception").filter(|v| !v.is_null()) {
        return Err(exception_error(ErrorCode::SsoOauthException, v, &obj));
    }
    if !resp.is_success() {
        return Err(token_error(format!("Token endpoint answered HTTP {status}."), status));
    }

    let string_field = |name: &str| -> Result<String, Error> {
        match obj.get(name) {
            Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            Some(Value::String(_)) => {
                Err(token_error(format!("Token response (HTTP {status}) has an empty `{name}`."), status))
            }
            Some(_) => Err(token_error(
                format!("Token response (HTTP {status}) has a `{name}` that is not a string."),
                status,
            )),
            None => {
                Err(token_error(format!("Token response (HTTP {status}) has no `{name}` field."), status))
            }
        }
    };

    let access_token = string_field("access_token")?;
    let entity_id = string_field("entity_id")?;
    let token_type = string_field("token_type")?;
    let expires_in = match obj.get("expires_in") {
        None => {
            return Err(token_error(
                format!("Token response (HTTP {status}) has no `expires_in` field."),
                status,
            ));
        }
        Some(v) => parse_expires_in(v).ok_or_else(|| {
            token_error(
                format!(
                    "Token response (HTTP {status}) has an `expires_in` that is not a non-negative number of seconds."
                ),
                status,
            )
        })?,
    };
    let organization_id = match obj.get("organization_id") {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    };

    Ok(Token {
        access_token: Secret(fix_colon_escape(&access_token)),
        entity_id,
        token_type,
        expires_in,
        organization_id,
        issued_at: now,
    })
}

/// Whether a failed token fetch is worth retrying (with backoff), following the SDK's login
/// failure table (customer-sdk-behaviour.md §4.7):
/// * `SSO_IDENTITY_EXCEPTION` / `SSO_OAUTH_EXCEPTION`: only `server_error` and
///   `temporarily_unavailable`; every other reason (`unauthorized`, `access_denied`,
///   `invalid_client`, `identity_lost`, …) is final and the SDK destroys the session;
/// * `TOKEN_FETCH_FAILED` with `data.status` (from [`parse_token_response`]): 5xx, 408 and
///   429 retry, other 4xx do not (a wrong URL or client will not fix itself), and a garbled
///   2xx does;
/// * `TOKEN_FETCH_FAILED` without a status: a transport failure (DNS, reset, timeout), retry.
///   Transports report those as `Error::new(ErrorCode::TokenFetchFailed, …)` with no data;
/// * connection loss, timeouts and the server-unavailable codes retry; anything else does not.
pub fn is_retryable(err: &Error) -> bool {
    match &err.code {
        ErrorCode::SsoIdentityException | ErrorCode::SsoOauthException => {
            let reason = err.message.trim();
            reason.eq_ignore_ascii_case("server_error")
                || reason.eq_ignore_ascii_case("temporarily_unavailable")
        }
        ErrorCode::TokenFetchFailed => {
            match err.data.as_ref().and_then(|d| d.get("status")).and_then(Value::as_u64) {
                None => true,
                Some(status) => !(400..500).contains(&status) || status == 408 || status == 429,
            }
        }
        ErrorCode::ConnectionLost
        | ErrorCode::RequestTimeout
        | ErrorCode::Internal
        | ErrorCode::ServiceUnavailable
        | ErrorCode::ServiceTemporarilyUnavailable
        | ErrorCode::TooManyRequests => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const TOKEN: &str = "dal:test_SZhSSbShcZxrv580FA";
    const AGENT: &str = "fra:AGENT_SECRET_xyz";
    const ORG: &str = "390e44e6-f1e6-0368-c526-b5a2e8e3d21b";
    const CLIENT: &str = "9cbf3a968289727cb3cdfe83ab1d9836";

    fn cfg() -> AccountsConfig {
        AccountsConfig::new(ORG, CLIENT)
    }

    fn ok_body() -> Value {
        json!({
            "access_token": TOKEN,
            "client_id": CLIENT,
            "entity_id": "bf18d1a8-1afe-4a3e-4cc0-a3148f1143db",
            "expires_in": 28800,
            "token_type": "Bearer",
            "organization_id": ORG,
        })
    }

    fn resp(status: u16, body: &Value) -> HttpResponse {
        HttpResponse::new(status, serde_json::to_vec(body).unwrap())
    }

    fn parse(status: u16, body: &Value) -> Result<Token, Error> {
        parse_token_response(&resp(status, body), Instant::now())
    }

    fn fetch_failed(res: Result<Token, Error>) -> Error {
        let err = res.unwrap_err();
        assert_eq!(err.code, ErrorCode::TokenFetchFailed, "{err:?}");
        err
    }

    // ---- Secret ----

    #[test]
    fn secret_never_prints() {
        let s = Secret::new(TOKEN);
        assert_eq!(format!("{s:?}"), "<redacted>");
        assert_eq!(format!("{s}"), "<redacted>");
        assert_eq!(format!("{s:#?}"), "<redacted>");
        assert_eq!(s.expose(), TOKEN);
        assert_eq!(Secret::from(TOKEN.to_owned()), s);
    }

    // ---- Token ----

    fn token(expires_in: Duration, now: Instant) -> Token {
        Token {
            access_token: Secret::new(TOKEN),
            entity_id: "cust".into(),
            token_type: "Bearer".into(),
            expires_in,
            organization_id: None,
            issued_at: now,
        }
    }

    #[test]
    fn token_debug_and_errors_do_not_show_the_token() {
        let t = parse(200, &ok_body()).unwrap();
        let dbg = format!("{t:?} {t:#?}");
        assert!(!dbg.contains(TOKEN), "{dbg}");
        assert!(!dbg.contains("SZhSSbShcZxrv580FA"), "{dbg}");
        assert!(dbg.contains("bf18d1a8"), "{dbg}");
    }

    #[test]
    fn authorization_value_and_colon_fix() {
        let now = Instant::now();
        let t = token(Duration::from_secs(10), now);
        assert_eq!(t.authorization_value(), format!("Bearer {TOKEN}"));

        let mut escaped = t.clone();
        escaped.access_token = Secret::new("dal%3Atest_abc%3axyz");
        assert_eq!(escaped.authorization_value(), "Bearer dal:test_abc:xyz");

        let mut untyped = t;
        untyped.token_type = String::new();
        assert_eq!(untyped.authorization_value(), format!("Bearer {TOKEN}"));
    }

    #[test]
    fn expiry_arithmetic_with_simulated_time() {
        let t0 = Instant::now();
        let t = token(Duration::from_secs(28800), t0);
        assert_eq!(t.expires_at(), Some(t0 + Duration::from_secs(28800)));
        assert_eq!(t.remaining(t0), Duration::from_secs(28800));
        assert!(!t.is_expired(t0));
        assert!(!t.needs_refresh(t0, REFRESH_MARGIN));

        // Exactly one hour left: the SDK's `<=` refreshes.
        let at_margin = t0 + Duration::from_secs(28800 - 3600);
        assert!(t.needs_refresh(at_margin, REFRESH_MARGIN));
        assert!(!t.needs_refresh(at_margin - Duration::from_secs(1), REFRESH_MARGIN));
        assert!(!t.is_expired(at_margin));

        // Expired at exactly issued_at + expires_in.
        let end = t0 + Duration::from_secs(28800);
        assert!(!t.is_expired(end - Duration::from_millis(1)));
        assert!(t.is_expired(end));
        assert_eq!(t.remaining(end + Duration::from_secs(5)), Duration::ZERO);
        assert!(t.needs_refresh(end, Duration::ZERO));

        // A `now` before issued_at does not panic.
        let later = token(Duration::from_secs(10), t0 + Duration::from_secs(100));
        assert_eq!(later.remaining(t0), Duration::from_secs(110));
    }

    #[test]
    fn zero_and_enormous_lifetimes() {
        let t0 = Instant::now();
        let zero = token(Duration::ZERO, t0);
        assert!(zero.is_expired(t0));
        assert!(zero.needs_refresh(t0, REFRESH_MARGIN));

        let forever = token(Duration::MAX, t0);
        assert_eq!(forever.expires_at(), None);
        assert_eq!(forever.remaining(t0), Duration::MAX);
        assert!(!forever.is_expired(t0 + Duration::from_secs(1 << 40)));
        assert!(!forever.needs_refresh(t0, REFRESH_MARGIN));
    }

    // ---- grants ----

    #[test]
    fn cookie_grant_wire_output() {
        let req = cookie_grant(&cfg());
        assert_eq!(req.method, Method::Post);
        assert_eq!(req.url, "https://accounts.livechat.com/v2/customer/token");
        assert_eq!(req.headers, vec![("Content-Type".to_owned(), "application/json".to_owned())]);
        assert_eq!(
            std::str::from_utf8(&req.body).unwrap(),
            format!(
                r#"{{"response_type":"token","grant_type":"cookie","client_id":"{CLIENT}","organization_id":"{ORG}"}}"#
            )
        );
    }

    #[test]
    fn cookie_grant_with_redirect_group_and_local_base() {
        let c = cfg()
            .with_base_url("http://127.0.0.1:4567/")
            .with_group(7)
            .with_redirect_uri("https://shop.example/page");
        let req = cookie_grant(&c);
        assert_eq!(req.url, format!("http://127.0.0.1:4567/v2/customer/{ORG}/7/token"));
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        assert_eq!(
            body,
            json!({
                "response_type": "token",
                "grant_type": "cookie",
                "client_id": CLIENT,
                "organization_id": ORG,
                "redirect_uri": "https://shop.example/page",
            })
        );
        // Odd organization ids cannot break out of their path segment.
        let odd = AccountsConfig::new("a/b?c", CLIENT).with_group(0);
        assert_eq!(odd.token_url(), "https://accounts.livechat.com/v2/customer/a%2Fb%3Fc/0/token");
    }

    #[test]
    fn agent_token_grant_wire_output() {
        let req = agent_token_grant(&cfg(), &Secret::new(AGENT), Some("bf18d1a8"));
        assert_eq!(req.method, Method::Post);
        assert_eq!(req.url, "https://accounts.livechat.com/v2/customer/token");
        assert_eq!(
            req.headers,
            vec![
                ("Content-Type".to_owned(), "application/json".to_owned()),
                ("Authorization".to_owned(), format!("Bearer {AGENT}")),
            ]
        );
        assert_eq!(
            std::str::from_utf8(&req.body).unwrap(),
            format!(
                r#"{{"response_type":"token","grant_type":"agent_token","client_id":"{CLIENT}","organization_id":"{ORG}","entity_id":"bf18d1a8"}}"#
            )
        );
        let dbg = format!("{req:?}");
        assert!(!dbg.contains("AGENT_SECRET"), "{dbg}");
        assert!(!dbg.contains("bf18d1a8"), "body must not be dumped: {dbg}");

        // New customer: no entity_id. Group config does not change the agent grant URL.
        let req = agent_token_grant(&cfg().with_group(3), &Secret::new(AGENT), None);
        assert_eq!(req.url, "https://accounts.livechat.com/v2/customer/token");
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        assert_eq!(
            body,
            json!({"response_type":"token","grant_type":"agent_token","client_id":CLIENT,"organization_id":ORG})
        );
    }

    #[test]
    fn agent_token_with_bearer_prefix_is_not_doubled() {
        let req = agent_token_grant(&cfg(), &Secret::new(format!("bearer  {AGENT}")), None);
        assert_eq!(req.header("authorization"), Some(format!("Bearer {AGENT}").as_str()));
    }

    // ---- parse_token_response ----

    #[test]
    fn parses_the_documented_success() {
        let now = Instant::now();
        let t = parse_token_response(&resp(200, &ok_body()), now).unwrap();
        assert_eq!(t.access_token.expose(), TOKEN);
        assert_eq!(t.entity_id, "bf18d1a8-1afe-4a3e-4cc0-a3148f1143db");
        assert_eq!(t.token_type, "Bearer");
        assert_eq!(t.expires_in, Duration::from_secs(28800));
        assert_eq!(t.organization_id.as_deref(), Some(ORG));
        assert_eq!(t.issued_at, now);
        assert_eq!(t.authorization_value(), format!("Bearer {TOKEN}"));
    }

    #[test]
    fn success_without_organization_id_and_with_escaped_colon() {
        let mut body = ok_body();
        body.as_object_mut().unwrap().remove("organization_id");
        body["access_token"] = json!("dal%3Atest_abc");
        let t = parse(201, &body).unwrap();
        assert_eq!(t.organization_id, None);
        assert_eq!(t.access_token.expose(), "dal:test_abc");
    }

    #[test]
    fn odd_expires_in_values() {
        let with = |v: Value| {
            let mut body = ok_body();
            body["expires_in"] = v;
            parse(200, &body)
        };
        assert_eq!(with(json!(0)).unwrap().expires_in, Duration::ZERO);
        assert_eq!(with(json!(28800.0)).unwrap().expires_in, Duration::from_secs(28800));
        assert_eq!(with(json!(1.5)).unwrap().expires_in, Duration::from_millis(1500));
        let huge = with(json!(u64::MAX)).unwrap();
        assert_eq!(huge.expires_in, Duration::from_secs(u64::MAX));
        assert!(!huge.is_expired(Instant::now()));
        assert!(with(json!(1e300)).is_err());
        for bad in [json!(-1), json!(-0.5), json!("28800"), json!(null), json!([]), json!(true)] {
            let err = fetch_failed(with(bad.clone()));
            assert!(err.message.contains("expires_in"), "{bad}: {err}");
        }
    }

    #[test]
    fn missing_and_mistyped_fields_are_named() {
        for field in ["access_token", "entity_id", "expires_in", "token_type"] {
            let mut body = ok_body();
            body.as_object_mut().unwrap().remove(field);
            let err = fetch_failed(parse(200, &body));
            assert!(err.message.contains(field), "{field}: {err}");
            assert!(err.message.contains("200"), "{err}");
            assert_eq!(err.data, Some(json!({"status": 200})));
        }
        let mut body = ok_body();
        body["access_token"] = json!(12);
        assert!(fetch_failed(parse(200, &body)).message.contains("access_token"));
        body["access_token"] = json!("");
        assert!(fetch_failed(parse(200, &body)).message.contains("access_token"));
    }

    #[test]
    fn identity_exception() {
        let body = json!({"identity_exception": "unauthorized", "exception_details": "client_id_not_found"});
        for status in [200, 401, 403] {
            let err = parse(status, &body).unwrap_err();
            assert_eq!(err.code, ErrorCode::SsoIdentityException);
            assert_eq!(err.message, "unauthorized");
            assert_eq!(err.code(), "SSO_IDENTITY_EXCEPTION");
            assert_eq!(err.data, Some(json!("client_id_not_found")));
        }
        let err = parse(403, &json!({"identity_exception": "access_denied"})).unwrap_err();
        assert_eq!(err.message, "access_denied");
        assert_eq!(err.data, None);
    }

    #[test]
    fn oauth_exception() {
        let body = json!({"oauth_exception": "invalid_client", "exception_details": "redirect_uri_not_set"});
        let err = parse(400, &body).unwrap_err();
        assert_eq!(err.code, ErrorCode::SsoOauthException);
        assert_eq!(err.message, "invalid_client");
        assert_eq!(err.data, Some(json!("redirect_uri_not_set")));

        // A non-string reason is kept as its JSON text.
        let err = parse(400, &json!({"oauth_exception": {"x": 1}})).unwrap_err();
        assert_eq!(err.code, ErrorCode::SsoOauthException);
        assert_eq!(err.message, r#"{"x":1}"#);
    }

    #[test]
    fn non_2xx_without_exception() {
        for status in [400, 404, 500, 503] {
            let err = fetch_failed(parse(status, &json!({"error": "nope"})));
            assert!(err.message.contains(&status.to_string()), "{err}");
            assert_eq!(err.data, Some(json!({"status": status})));
        }
        // Even a complete token body is refused with a non-2xx status.
        fetch_failed(parse(500, &ok_body()));
    }

    #[test]
    fn garbage_never_panics() {
        let now = Instant::now();
        let samples: Vec<&[u8]> = vec![
            b"",
            b"\xff\xfe\x00\x01",
            b"<html>502 Bad Gateway</html>",
            b"null",
            b"[]",
            b"\"access_token\"",
            b"{",
            b"{\"access_token\":",
            b"1e999999",
            b"{\"expires_in\":1e400}",
        ];
        for body in samples {
            for status in [0, 200, 204, 302, 500, 599, u16::MAX] {
                let r = HttpResponse::new(status, body.to_vec());
                let err = parse_token_response(&r, now).unwrap_err();
                assert_eq!(err.code, ErrorCode::TokenFetchFailed);
                assert!(err.message.contains(&status.to_string()), "{err}");
            }
        }
        // A pseudo-random byte soup (deterministic seed).
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..500 {
            let len = rng.usize(0..64);
            let bytes: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
            let _ = parse_token_response(&HttpResponse::new(rng.u16(..), bytes), now);
        }
    }

    #[test]
    fn error_messages_never_contain_the_token() {
        let mut body = ok_body();
        body["expires_in"] = json!("soon");
        let err = fetch_failed(parse(200, &body));
        assert!(!format!("{err} {err:?}").contains(TOKEN));
        let err = fetch_failed(parse(500, &ok_body()));
        assert!(!format!("{err} {err:?}").contains(TOKEN));
    }

    // ---- is_retryable ----

    #[test]
    fn retry_policy() {
        let sso = |code: ErrorCode, reason: &str| is_retryable(&Error::new(code, reason));
        for code in [ErrorCode::SsoIdentityException, ErrorCode::SsoOauthException] {
            assert!(sso(code.clone(), "server_error"));
            assert!(sso(code.clone(), "temporarily_unavailable"));
            for reason in
                ["unauthorized", "access_denied", "invalid_client", "identity_lost", "invalid_grant", ""]
            {
                assert!(!sso(code.clone(), reason), "{reason}");
            }
        }
        // Network failure reported by a transport: no status.
        assert!(is_retryable(&Error::new(ErrorCode::TokenFetchFailed, "connection reset")));
        // From the parser.
        let status = |s: u16| is_retryable(&parse(s, &json!({})).unwrap_err());
        assert!(status(500));
        assert!(status(502));
        assert!(status(503));
        assert!(status(408));
        assert!(status(429));
        assert!(status(200)); // garbled success
        assert!(!status(400));
        assert!(!status(401));
        assert!(!status(404));
        assert!(is_retryable(&Error::new(ErrorCode::RequestTimeout, "t")));
        assert!(is_retryable(&Error::new(ErrorCode::ConnectionLost, "t")));
        assert!(!is_retryable(&Error::new(ErrorCode::CustomerBanned, "t")));
        assert!(!is_retryable(&Error::new(ErrorCode::SdkDestroyed, "t")));
    }
}
