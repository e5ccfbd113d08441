//! What a customer client handle reads of its running session besides events, the same on
//! every transport: the token in use, the cookie grant's jar, and where uploads go.

use std::sync::{Arc, Mutex};

use crate::customer::CustomerConfig;
use crate::identity::{CookieJar, SharedJar};
use crate::token::Token;

/// Shared by every clone of a customer client; the driver keeps the token and the jar up
/// to date.
#[derive(Clone)]
pub struct CustomerState {
    token: Arc<Mutex<Option<Token>>>,
    jar: Option<SharedJar>,
    upload_base: Option<String>,
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
            upload_base: config.connection.endpoint.http_base(None),
            organization_id: config.connection.organization_id.clone(),
        }
    }

    /// Follow the driver's token ([`crate::client::ClientCore::current_token`]).
    pub fn with_token(self, token: Arc<Mutex<Option<Token>>>) -> Self {
        CustomerState { token, ..self }
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

    /// The Web API base uploads go to (`None` for an endpoint without one).
    pub fn upload_base(&self) -> Option<String> {
        self.upload_base.clone()
    }

    pub fn organization_id(&self) -> &str {
        &self.organization_id
    }
}
