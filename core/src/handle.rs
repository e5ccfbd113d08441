//! What a customer client handle reads of its running session besides events, the same on
//! every transport: the token in use, the cookie grant's jar, and where uploads go.

use std::sync::{Arc, Mutex};

use crate::customer::CustomerConfig;
use crate::engine::config::{API_VERSION, Endpoint, normalize_api_version};
use crate::identity::{CookieJar, SharedJar};
use crate::token::Token;

/// Shared by every clone of a customer client; the driver keeps the token and the jar up
/// to date.
#[derive(Clone)]
pub struct CustomerState {
    token: Arc<Mutex<Option<Token>>>,
    jar: Option<SharedJar>,
    endpoint: Endpoint,
    /// The region the session switched to (`misdirected_connection`); uploads follow it.
    region: Arc<Mutex<Option<String>>>,
    api_version: &'static str,
    organization_id: String,
}

impl std::fmt::Debug for CustomerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Neither the token nor the jar: both are the customer's credentials.
        f.debug_struct("CustomerState")
            .field("organization_id", &self.organization_id)
            .finish_non_exhaustive()
    }
}

impl CustomerState {
    /// For a session started with `config`; `jar` is the cookie grant's (from
    /// `Identity::tokens`). Give it the driver's token with [`CustomerState::with_token`].
    pub fn new(config: &CustomerConfig, jar: Option<SharedJar>) -> Self {
        CustomerState {
            token: Arc::default(),
            jar,
            endpoint: config.connection.endpoint.clone(),
            region: Arc::default(),
            api_version: normalize_api_version(&config.connection.api_version).unwrap_or(API_VERSION),
            organization_id: config.connection.organization_id.clone(),
        }
    }

    /// Follow the driver's token and region ([`crate::client::ClientCore::links`]).
    pub fn with_links(self, links: crate::client::SessionLinks) -> Self {
        CustomerState { token: links.token, region: links.region, ..self }
    }

    /// The token in use (to call the Web API yourself, for example).
    pub fn token(&self) -> Option<Token> {
        self.token.lock().ok().and_then(|t| t.clone())
    }

    /// The `cookie` grant's jar as it is now (`None` for other identities). Save it
    /// ([`CookieJar::to_json`], a stable JSON shape) and give it back to `Identity::cookie`
    /// after a restart to stay the same customer. It holds the customer's identity: store
    /// it like a password.
    pub fn cookie_jar(&self) -> Option<CookieJar> {
        self.jar.as_ref().map(SharedJar::get)
    }

    /// The Web API base uploads go to, in the session's current region (`None` for an
    /// endpoint without one).
    pub fn upload_base(&self) -> Option<String> {
        let region = self.region.lock().ok().and_then(|r| r.clone());
        self.endpoint.http_base(region.as_deref())
    }

    /// The API version of the session (`3.6`), for the Web API paths.
    pub fn api_version(&self) -> &'static str {
        self.api_version
    }

    pub fn organization_id(&self) -> &str {
        &self.organization_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::SessionLinks;

    #[test]
    fn uploads_follow_the_region_switch_and_the_api_version() {
        let mut config = CustomerConfig::new("org", Endpoint::Region("dal".into()));
        config.connection.api_version = "v3.5".into();
        let links = SessionLinks::default();
        let state = CustomerState::new(&config, None).with_links(links.clone());
        assert_eq!(state.upload_base().as_deref(), Some("https://api.livechatinc.com"));
        assert_eq!(state.api_version(), "3.5");
        // The driver records a `misdirected_connection` switch; the next upload goes there.
        *links.region.lock().unwrap() = Some("fra".into());
        assert_eq!(state.upload_base().as_deref(), Some("https://api-fra.livechatinc.com"));
        assert_eq!(
            crate::upload::upload_url(&state.upload_base().unwrap(), state.api_version(), "org"),
            "https://api-fra.livechatinc.com/v3.5/customer/action/upload_file?organization_id=org"
        );
    }
}
