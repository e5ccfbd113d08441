//! What a client is started with. The fields, defaults and builders are written once in
//! [`livechat_core::options`]; this crate names them with its async provider traits and
//! rustls's TLS config.

use std::sync::Arc;

use livechat_core::Error;
use livechat_core::agent::ExpiringCredentials;
use livechat_core::options::Provide;
use livechat_core::token::Token;

use crate::runtime::BoxFuture;

/// The application's own token service (the JS SDK's `identityProvider`).
pub trait IdentityProvider: Send + Sync + 'static {
    /// `getToken` (`fresh = false`, a cached token is fine) or `getFreshToken` (`true`).
    fn token(&self, fresh: bool) -> BoxFuture<Result<Token, Error>>;
}

/// Where customer tokens come from (see [`livechat_core::options::Identity`]).
pub type Identity = livechat_core::options::Identity<dyn IdentityProvider>;

/// The transport fields of both option types (see [`livechat_core::options::TransportOptions`]).
pub type TransportOptions = livechat_core::options::TransportOptions<rustls::ClientConfig>;

/// Options of a customer client: an [`Identity`] and the [`TransportOptions`], whose fields
/// read as its own (`options.debug_frames = true`).
pub type CustomerOptions = livechat_core::options::CustomerOptions<dyn IdentityProvider, TransportOptions>;

/// Options of an [`crate::AgentClient`]: the [`TransportOptions`] and an optional
/// [`CredentialsProvider`] (builder `credentials_provider`).
pub type AgentOptions = livechat_core::options::AgentOptions<dyn CredentialsProvider, TransportOptions>;

/// The application's source of new agent credentials (an OAuth refresh, a secret store).
/// Any `Fn() -> impl Future<Output = Result<ExpiringCredentials, Error>>` is one.
pub trait CredentialsProvider: Send + Sync + 'static {
    fn credentials(&self) -> BoxFuture<Result<ExpiringCredentials, Error>>;
}

impl<F, Fut> CredentialsProvider for F
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<ExpiringCredentials, Error>> + Send + 'static,
{
    fn credentials(&self) -> BoxFuture<Result<ExpiringCredentials, Error>> {
        Box::pin(self())
    }
}

impl<F: CredentialsProvider> Provide<F> for dyn CredentialsProvider {
    fn provide(provider: F) -> Arc<Self> {
        Arc::new(provider)
    }
}

/// The provider as the driver's token source: credentials travel as the session's token.
pub(crate) struct Renewer(pub(crate) Arc<dyn CredentialsProvider>);

impl IdentityProvider for Renewer {
    fn token(&self, _fresh: bool) -> BoxFuture<Result<Token, Error>> {
        let asked = self.0.credentials();
        Box::pin(async move { asked.await.map(|c| c.token(std::time::Instant::now())) })
    }
}
