//! # livechat-tokio
//!
//! The LiveChat Customer Chat API client for tokio. A thin driver of the
//! [`livechat_core`] session: a spawned task owns the WebSocket (tokio-tungstenite, rustls
//! with certificate verification) and the core [`Driver`](livechat_core::client::Driver);
//! it moves frames, time and HTTP results in and performs what the core asks for. Every
//! protocol decision is in core.
//!
//! ```no_run
//! use livechat_tokio::{CustomerClient, ClientOptions, CustomerApi, Identity};
//! use livechat_core::customer::{Endpoint, SessionConfig};
//! # async fn demo(token: livechat_core::token::Token) -> Result<(), livechat_core::Error> {
//! let config = SessionConfig::new("my-organization-id", Endpoint::Region("dal".into()));
//! let client = CustomerClient::start(config, ClientOptions::new(Identity::token(token)));
//! let chat = client.start_chat(Default::default()).await?;
//! client.send_message(&chat.chat_id, "Hello!").await?;
//! # Ok(()) }
//! ```
//!
//! The agent side (the Node.js chat SDK's capabilities) is [`AgentClient`], with its methods
//! in [`AgentApi`]; `examples/bot.rs` is an echo/FAQ bot.

mod agent;
mod driver;
mod events;
mod upload;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use livechat_core::client::{Op, Tokens, Waiter, decode};
use livechat_core::customer::{CustomerSession, Event, Exec, HistoryPage, SessionConfig};
use livechat_core::hub::EventHub;
use livechat_core::identity::{SharedJar, TokenSource};
use livechat_core::token::Token;
use livechat_core::{Error, ErrorCode};
use tokio::sync::{mpsc, oneshot};

pub use agent::{AgentClient, AgentEventStream, AgentOptions, CredentialsProvider};
pub use events::EventStream;
pub use livechat_core::agent::AgentApi;
pub use livechat_core::agent::ExpiringCredentials;
pub use livechat_core::customer::{CustomerApi, Rating};
pub use livechat_core::hub::Listen;
pub use livechat_core::identity::{CookieJar, Grant};
pub use livechat_core::token::{AccountsConfig, Secret};
pub use upload::{Upload, UploadSource};

/// A boxed future, as returned by every client method.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// The application's own token service (the JS SDK's `identityProvider`).
pub trait IdentityProvider: Send + Sync + 'static {
    /// `getToken` (`fresh = false`, a cached token is fine) or `getFreshToken` (`true`).
    fn token(&self, fresh: bool) -> BoxFuture<Result<Token, Error>>;
}

/// Where customer tokens come from.
#[derive(Clone)]
pub enum Identity {
    /// Built in: a static token, the `agent_token` grant or the `cookie` grant.
    Grant(Grant),
    /// Your own provider.
    Provider(Arc<dyn IdentityProvider>),
}

impl Identity {
    /// A token you already have. It cannot be refreshed.
    pub fn token(token: Token) -> Identity {
        Identity::Grant(Grant::Static(token))
    }

    /// Backend integrations: act for customers with an agent token (`customers:own`).
    /// `entity_id: None` creates a new customer.
    pub fn agent_token(accounts: AccountsConfig, agent_token: Secret, entity_id: Option<String>) -> Identity {
        Identity::Grant(Grant::AgentToken { accounts, agent_token, entity_id })
    }

    /// The `cookie` grant with an in-memory cookie jar (pass a saved jar to resume).
    pub fn cookie(accounts: AccountsConfig, jar: CookieJar) -> Identity {
        Identity::Grant(Grant::Cookie { accounts, jar })
    }
}

/// Transport options.
#[derive(Clone)]
pub struct ClientOptions {
    pub identity: Identity,
    /// Capacity of each event stream; when a subscriber lags behind this much, newer
    /// events are dropped for it (and counted, see [`EventStream::dropped`]).
    pub event_buffer: usize,
    /// Log every frame at `debug` level through `tracing` (tokens redacted).
    pub debug_frames: bool,
    /// Largest WebSocket message accepted.
    pub max_message_size: usize,
    /// Your own rustls configuration (custom roots, client certificates). Certificate
    /// verification is on unless this config turns it off.
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// Calls waiting to reach the driver task.
    pub command_buffer: usize,
    /// How long one socket write may wait for the server to take our bytes; past it the
    /// socket is judged dead, closed and reconnected ([`livechat_core::wire::WRITE_TIMEOUT`]
    /// by default). Connects are bounded by the session's `login_timeout`.
    pub write_timeout: std::time::Duration,
}

impl ClientOptions {
    pub fn new(identity: Identity) -> ClientOptions {
        ClientOptions {
            identity,
            event_buffer: 1024,
            debug_frames: false,
            max_message_size: livechat_core::wire::MAX_FRAME_LEN,
            tls: None,
            command_buffer: 1024,
            write_timeout: livechat_core::wire::WRITE_TIMEOUT,
        }
    }
}

pub(crate) enum Command {
    Op(Op, Waiter),
}

/// A customer client. Cheap to clone; usable from many tasks.
#[derive(Clone)]
pub struct CustomerClient {
    commands: mpsc::Sender<Command>,
    hub: Arc<Mutex<EventHub<Event>>>,
    token: Arc<Mutex<Option<Token>>>,
    upload_base: Option<String>,
    /// The cookie grant's jar, kept up to date by the driver.
    jar: Option<SharedJar>,
    organization_id: String,
    event_buffer: usize,
}

impl std::fmt::Debug for CustomerClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomerClient")
            .field("organization_id", &self.organization_id)
            .finish_non_exhaustive()
    }
}

impl CustomerClient {
    /// Start a client on the current tokio runtime. With `auto_connect` (the default) it
    /// connects at once; calls made meanwhile are queued and sent after login.
    ///
    /// # Panics
    /// Outside a tokio runtime (like `tokio::spawn`).
    pub fn start(config: SessionConfig, options: ClientOptions) -> CustomerClient {
        let upload_base = config.connection.endpoint.http_base(None);
        let organization_id = config.connection.organization_id.clone();
        let (tokens, provider, jar) = match &options.identity {
            Identity::Grant(g) => {
                let mut source = TokenSource::new(g.clone());
                let jar = source.shared_jar();
                (Tokens::Source(Box::new(source)), None, jar)
            }
            Identity::Provider(p) => (Tokens::External, Some(p.clone()), None),
        };
        let session = CustomerSession::new(config, std::time::Instant::now());
        let (commands, hub, token) = driver::spawn(session, tokens, provider, &(&options).into());
        CustomerClient {
            commands,
            hub,
            token,
            upload_base,
            jar,
            organization_id,
            event_buffer: options.event_buffer,
        }
    }

    /// The token in use (to call the Web API yourself, for example).
    pub fn token(&self) -> Option<Token> {
        self.token.lock().ok().and_then(|t| t.clone())
    }

    /// The `cookie` grant's jar as it is now (`None` for other identities). Save it
    /// ([`CookieJar::to_json`], a stable JSON shape) and give it back to
    /// [`Identity::cookie`] after a restart to stay the same customer. It holds the
    /// customer's identity: store it like a password.
    pub fn cookie_jar(&self) -> Option<CookieJar> {
        self.jar.as_ref().map(SharedJar::get)
    }

    /// A new stream of every event from now on (any number of subscribers).
    pub fn events(&self) -> EventStream {
        events::subscribe(&self.hub, self.event_buffer)
    }

    /// `getChatHistory`: pages of threads, newest page first, oldest thread first within a
    /// page, ending after the page marked `done`.
    pub fn chat_history(
        &self,
        chat_id: &str,
    ) -> impl futures_util::Stream<Item = Result<HistoryPage, Error>> + use<> {
        let client = self.clone();
        let chat_id = chat_id.to_string();
        futures_util::stream::unfold(Some(None), move |state| {
            let client = client.clone();
            let chat_id = chat_id.clone();
            async move {
                let history = match state? {
                    Some(h) => h,
                    None => match client.history_open(&chat_id).await {
                        Ok(h) => h,
                        Err(e) => return Some((Err(e), None)),
                    },
                };
                match client.history_next(history).await {
                    Ok(page) if page.done => {
                        let _ = client.history_close(history).await;
                        Some((Ok(page), None))
                    }
                    Ok(page) => Some((Ok(page), Some(Some(history)))),
                    // An error ends the stream: a lasting one (SDK_DESTROYED) would repeat forever.
                    Err(e) => Some((Err(e), None)),
                }
            }
        })
    }

    /// `uploadFile`: upload a file (≤ 10 MB) and get its URL for a `file` event.
    /// `progress` gets 0..1; [`Upload::cancel`] aborts.
    pub fn upload_file(&self, source: UploadSource, progress: Option<livechat_http::Progress>) -> Upload {
        upload::start(self, source, progress)
    }
}

/// Carry `op` to a driver task and decode its result (shared by the customer and agent
/// clients).
pub(crate) fn exec_on<
    T: serde::de::DeserializeOwned + Send + 'static,
    E: livechat_core::hub::Kinded + Clone + Send + 'static,
>(
    commands: &mpsc::Sender<Command>,
    hub: &Arc<Mutex<EventHub<E>>>,
    what: &'static str,
    op: Op,
) -> BoxFuture<Result<T, Error>> {
    let (tx, rx) = oneshot::channel();
    let sent = commands
        .try_send(Command::Op(
            op,
            Box::new(move |r| {
                let _ = tx.send(r);
            }),
        ))
        .map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => {
                Error::new(ErrorCode::QueueFull, "too many calls waiting for the client task")
            }
            mpsc::error::TrySendError::Closed(_) => livechat_core::hub::end_error(hub),
        });
    let hub = hub.clone();
    Box::pin(async move {
        sent?;
        let value = rx.await.map_err(|_| livechat_core::hub::end_error(&hub))??;
        decode(what, value)
    })
}

impl Exec for CustomerClient {
    type Out<T: Send + 'static> = BoxFuture<Result<T, Error>>;

    fn exec<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        what: &'static str,
        op: Op,
    ) -> Self::Out<T> {
        exec_on(&self.commands, &self.hub, what, op)
    }
}

impl livechat_core::hub::Listen for CustomerClient {
    type Event = Event;
    fn hub(&self) -> &Arc<Mutex<EventHub<Event>>> {
        &self.hub
    }
}

impl CustomerApi for CustomerClient {}
