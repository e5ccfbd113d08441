//! What a client is started with, written once for every transport: where customer tokens
//! come from ([`Identity`]), the transport fields both sides carry ([`TransportOptions`])
//! with their defaults, and the two per-side option types that embed them.
//!
//! The types live here rather than in a crate of their own because they are plain values:
//! no runtime, socket or TLS type appears. What really differs per transport stays generic:
//! the application's provider traits (an async future or a blocking result: `P` and `C`),
//! the TLS configuration type (`Tls`, rustls's `ClientConfig` in every transport today) and
//! a transport's own extra fields (the blocking client's `call_timeout`: `T` may wrap
//! [`TransportOptions`] in a struct of its own, see [`Transport`]). Each transport names the
//! concrete types (`CustomerOptions`, `AgentOptions`, `Identity`) as aliases.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::time::Duration;

use crate::client::Tokens;
use crate::identity::{CookieJar, Grant, TokenSource};
use crate::jar::SharedJar;
use crate::token::{AccountsConfig, Secret, Token};
use crate::wire;

/// Where customer tokens come from. `P` is the transport's own provider trait object.
pub enum Identity<P: ?Sized> {
    /// Built in: a static token, the `agent_token` grant or the `cookie` grant.
    Grant(Grant),
    /// Your own provider (the JS SDK's `identityProvider`).
    Provider(Arc<P>),
}

// By hand: a derive would ask `P: Clone`, which a trait object is not.
impl<P: ?Sized> Clone for Identity<P> {
    fn clone(&self) -> Self {
        match self {
            Identity::Grant(g) => Identity::Grant(g.clone()),
            Identity::Provider(p) => Identity::Provider(p.clone()),
        }
    }
}

impl<P: ?Sized> Identity<P> {
    /// A token you already have. It cannot be refreshed.
    pub fn token(token: Token) -> Self {
        Identity::Grant(Grant::Static(token))
    }

    /// Backend integrations: act for customers with an agent token (`customers:own`).
    /// `entity_id: None` creates a new customer.
    pub fn agent_token(accounts: AccountsConfig, agent_token: Secret, entity_id: Option<String>) -> Self {
        Identity::Grant(Grant::AgentToken { accounts, agent_token, entity_id })
    }

    /// The `cookie` grant with an in-memory cookie jar (pass a saved jar to resume).
    pub fn cookie(accounts: AccountsConfig, jar: CookieJar) -> Self {
        Identity::Grant(Grant::Cookie { accounts, jar })
    }

    /// What a driver is started with: the driver's token source, the application's provider
    /// (when it brings one) and the cookie grant's jar (kept up to date by the driver).
    pub fn tokens(&self) -> (Tokens, Option<Arc<P>>, Option<SharedJar>) {
        match self {
            Identity::Grant(g) => {
                let mut source = TokenSource::new(g.clone());
                let jar = source.shared_jar();
                (Tokens::Source(Box::new(source)), None, jar)
            }
            Identity::Provider(p) => (Tokens::External, Some(p.clone()), None),
        }
    }
}

/// The transport fields every client carries, customer or agent, on every transport.
pub struct TransportOptions<Tls> {
    /// Capacity of each event stream or receiver; when a subscriber lags behind this much,
    /// newer events are dropped for it (and counted in its `dropped()`).
    pub event_buffer: usize,
    /// Log every frame at `debug` level through `tracing` (tokens redacted).
    pub debug_frames: bool,
    /// Largest WebSocket message (and frame) accepted.
    pub max_message_size: usize,
    /// Your own TLS configuration (custom roots, client certificates). Certificate
    /// verification is on unless this config turns it off. Without it, `wss://` uses the
    /// transport's default roots (see its `webpki-roots` / `native-roots` features).
    pub tls: Option<Arc<Tls>>,
    /// Calls waiting to reach the driver; more fail at once with `QUEUE_FULL`.
    pub command_buffer: usize,
    /// How long one socket write may wait for the server to take our bytes; past it the
    /// socket is judged dead, closed and reconnected ([`wire::WRITE_TIMEOUT`] by default).
    /// Connects are bounded by the session's `login_timeout`.
    pub write_timeout: Duration,
}

// By hand: derives would ask `Tls: Clone` / `Tls: Default`, which only the `Arc` needs.
impl<Tls> Clone for TransportOptions<Tls> {
    fn clone(&self) -> Self {
        TransportOptions { tls: self.tls.clone(), ..*self }
    }
}

impl<Tls> Default for TransportOptions<Tls> {
    fn default() -> Self {
        TransportOptions {
            event_buffer: 1024,
            debug_frames: false,
            max_message_size: wire::MAX_FRAME_LEN,
            tls: None,
            command_buffer: 1024,
            write_timeout: wire::WRITE_TIMEOUT,
        }
    }
}

/// A transport's options: [`TransportOptions`] itself, or a struct of the transport's own
/// that holds them and adds fields (and dereferences to them, so `options.debug_frames`
/// reads the same everywhere).
pub trait Transport: Clone + Default {
    type Tls;
    fn common(&self) -> &TransportOptions<Self::Tls>;
    fn common_mut(&mut self) -> &mut TransportOptions<Self::Tls>;
}

impl<Tls> Transport for TransportOptions<Tls> {
    type Tls = Tls;
    fn common(&self) -> &Self {
        self
    }
    fn common_mut(&mut self) -> &mut Self {
        self
    }
}

/// Options of a customer client: an identity and the transport's options, whose fields
/// read as this struct's own (`options.event_buffer`).
pub struct CustomerOptions<P: ?Sized, T> {
    pub identity: Identity<P>,
    pub transport: T,
}

impl<P: ?Sized, T: Clone> Clone for CustomerOptions<P, T> {
    fn clone(&self) -> Self {
        CustomerOptions { identity: self.identity.clone(), transport: self.transport.clone() }
    }
}

impl<P: ?Sized, T: Transport> CustomerOptions<P, T> {
    pub fn new(identity: Identity<P>) -> Self {
        CustomerOptions { identity, transport: T::default() }
    }
}

/// Options of an agent client (agents bring their own credentials in `AgentConfig`, so
/// there is no identity here). `C` is the transport's credentials provider trait object.
pub struct AgentOptions<C: ?Sized, T> {
    pub transport: T,
    /// Where new credentials come from before the old ones expire (see
    /// [`AgentOptions::credentials_provider`]).
    pub credentials_provider: Option<Arc<C>>,
}

impl<C: ?Sized, T: Clone> Clone for AgentOptions<C, T> {
    fn clone(&self) -> Self {
        AgentOptions {
            transport: self.transport.clone(),
            credentials_provider: self.credentials_provider.clone(),
        }
    }
}

impl<C: ?Sized, T: Transport> Default for AgentOptions<C, T> {
    fn default() -> Self {
        AgentOptions { transport: T::default(), credentials_provider: None }
    }
}

/// How a transport turns an application's provider into its provider trait object
/// (`impl<F: CredentialsProvider> Provide<F> for dyn CredentialsProvider`): the unsizing
/// a generic builder cannot spell.
pub trait Provide<F> {
    fn provide(provider: F) -> Arc<Self>;
}

impl<C: ?Sized, T: Transport> AgentOptions<C, T> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Builder: log frames through `tracing` (the Node SDK's `debug: true`).
    pub fn debug(mut self, on: bool) -> Self {
        self.transport.common_mut().debug_frames = on;
        self
    }

    /// Builder: renew the credentials while the client runs. The provider is asked for new
    /// ones an hour before the current ones expire (give their lifetime with
    /// `AgentConfig::with_credentials_expiry` and in each `ExpiringCredentials`) and after
    /// the service refused them; they are swapped in on the open socket with
    /// `update_session`. A failure is reported as `credentials_refresh_failed` and tried
    /// again later; the session keeps the old credentials meanwhile. (The blocking
    /// transport asks it on a helper thread, so there it may block.)
    pub fn credentials_provider<F>(mut self, provider: F) -> Self
    where
        C: Provide<F>,
    {
        self.credentials_provider = Some(C::provide(provider));
        self
    }
}

impl<P: ?Sized, T> Deref for CustomerOptions<P, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.transport
    }
}

impl<P: ?Sized, T> DerefMut for CustomerOptions<P, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.transport
    }
}

impl<C: ?Sized, T> Deref for AgentOptions<C, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.transport
    }
}

impl<C: ?Sized, T> DerefMut for AgentOptions<C, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.transport
    }
}
