//! # livechat-blocking
//!
//! The LiveChat Customer Chat API client (and, as [`AgentClient`], the Agent Chat API
//! client) without an async runtime. A thin driver of the
//! [`livechat_core`] session: one std thread owns the WebSocket (tungstenite, rustls with
//! certificate verification) and the core [`ClientCore`](livechat_core::client::ClientCore); it
//! moves frames, time and HTTP results in and performs what the core asks for. Every
//! protocol decision is in core. Methods block until their result is in, at most
//! [`TransportOptions::call_timeout`](TransportOptions#structfield.call_timeout) (for
//! customers and agents alike).
//!
//! ```no_run
//! use livechat_blocking::{CustomerApi, CustomerClient, CustomerConfig, CustomerOptions, Endpoint, Identity};
//! # fn demo(token: livechat_blocking::Token) -> Result<(), livechat_blocking::Error> {
//! let config = CustomerConfig::new("my-organization-id", Endpoint::Region("dal".into()));
//! let client = CustomerClient::start(config, CustomerOptions::new(Identity::token(token)));
//! let chat = client.start_chat(Default::default())?;
//! client.send_message(&chat.chat_id, "Hello!")?;
//! for event in client.events() {
//!     println!("{event:?}");
//! }
//! # Ok(()) }
//! ```
//!
//! See the `driver` module docs for how the thread waits on the socket and on calls at once.

mod agent_client;
mod connect;
mod driver;
mod events;
mod upload;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use livechat_core::client::Op;
use livechat_core::customer::{CustomerSession, Exec, HistoryId};
use livechat_core::handle::CustomerState;
use livechat_core::hub::EventHub;

pub use agent_client::{AgentClient, AgentEventReceiver, AgentOptions, CredentialsProvider};
pub use driver::DriverThread;
pub use events::EventReceiver;
/// Everything an application names (configs, events, errors, identities, the core's
/// modules): this crate is the only dependency a user needs.
pub use livechat_core::prelude::*;
pub use livechat_http::Progress;
pub use upload::{Upload, UploadSource};

/// The application's own token service (the JS SDK's `identityProvider`). Called on a
/// helper thread, so it may block (an HTTP call to your backend, say).
pub trait IdentityProvider: Send + Sync + 'static {
    /// `getToken` (`fresh = false`, a cached token is fine) or `getFreshToken` (`true`).
    fn token(&self, fresh: bool) -> Result<Token, Error>;
}

/// Where customer tokens come from (see [`livechat_core::options::Identity`]).
pub type Identity = livechat_core::options::Identity<dyn IdentityProvider>;

/// Options of a customer client: an [`Identity`] and the [`TransportOptions`], whose fields
/// read as its own (`options.debug_frames = true`).
pub type CustomerOptions = livechat_core::options::CustomerOptions<dyn IdentityProvider, TransportOptions>;

/// The blocking transport's options: the fields every transport shares
/// ([`livechat_core::options::TransportOptions`], read through this struct:
/// `options.event_buffer`) and the bound on how long a call blocks, its own.
#[derive(Clone, Default)]
pub struct TransportOptions {
    pub common: livechat_core::options::TransportOptions<rustls::ClientConfig>,
    /// How long a call blocks at most before it returns `REQUEST_TIMEOUT`. `None`: the
    /// session's `request_timeout + queue_timeout` plus 5 s, so the session's own timeouts
    /// normally answer first.
    pub call_timeout: Option<Duration>,
}

impl TransportOptions {
    /// The bound on a call: the option, or the session's own timeouts plus 5 s.
    fn call_timeout(&self, connection: &livechat_core::customer::ConnectionConfig) -> Duration {
        self.call_timeout
            .unwrap_or(connection.request_timeout + connection.queue_timeout + Duration::from_secs(5))
    }
}

impl livechat_core::options::Transport for TransportOptions {
    type Tls = rustls::ClientConfig;
    fn common(&self) -> &livechat_core::options::TransportOptions<rustls::ClientConfig> {
        &self.common
    }
    fn common_mut(&mut self) -> &mut livechat_core::options::TransportOptions<rustls::ClientConfig> {
        &mut self.common
    }
}

impl std::ops::Deref for TransportOptions {
    type Target = livechat_core::options::TransportOptions<rustls::ClientConfig>;
    fn deref(&self) -> &Self::Target {
        &self.common
    }
}

impl std::ops::DerefMut for TransportOptions {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.common
    }
}

/// A customer client. Cheap to clone; usable from many threads. Methods block.
///
/// Dropping the last clone (or `destroy()`, or a session that destroys itself) ends the
/// driver thread: it closes the socket, and waiting calls fail with `SDK_DESTROYED`.
/// Callbacks registered with `on` that capture a clone of the client keep it alive until
/// `destroy()`.
#[derive(Clone)]
pub struct CustomerClient {
    handle: Arc<driver::Handle<CustomerCommand>>,
    hub: Arc<Mutex<EventHub<Event>>>,
    state: CustomerState,
    event_buffer: usize,
    call_timeout: Duration,
}

impl std::fmt::Debug for CustomerClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomerClient")
            .field("organization_id", &self.state.organization_id())
            .field("call_timeout", &self.call_timeout)
            .finish_non_exhaustive()
    }
}

impl CustomerClient {
    /// Start a client and its driver thread. With `auto_connect` (the default) it connects
    /// at once; calls made meanwhile are queued and sent after login.
    pub fn start(config: CustomerConfig, options: CustomerOptions) -> CustomerClient {
        let call_timeout = options.transport.call_timeout(&config.connection);
        let (tokens, provider, jar) = options.identity.tokens();
        let state = CustomerState::new(&config, jar);
        let session = CustomerSession::new(config, std::time::Instant::now());
        let spawned = driver::spawn(session, tokens, provider, &options.common);
        CustomerClient {
            handle: Arc::new(spawned.handle),
            hub: spawned.hub,
            state: state.with_links(spawned.links),
            event_buffer: options.event_buffer,
            call_timeout,
        }
    }

    /// The token in use ([`CustomerState::token`]).
    pub fn token(&self) -> Option<Token> {
        self.state.token()
    }

    /// The `cookie` grant's jar as it is now, to save ([`CustomerState::cookie_jar`]).
    pub fn cookie_jar(&self) -> Option<CookieJar> {
        self.state.cookie_jar()
    }

    /// A new receiver of every event from now on (any number of subscribers).
    pub fn events(&self) -> EventReceiver {
        events::subscribe(&self.hub, self.event_buffer)
    }

    /// `getChatHistory`: pages of threads, newest page first, oldest thread first within a
    /// page. Ends after the page marked `done`, or after an error (start a new one to retry).
    pub fn chat_history(&self, chat_id: &str) -> ChatHistory {
        ChatHistory { client: self.clone(), chat_id: chat_id.to_string(), state: HistoryState::Start }
    }

    /// `uploadFile`: upload a file (≤ 10 MB, checked before sending) on a helper thread.
    /// `progress` gets 0..1; [`Upload::wait`] for the file's URL, [`Upload::cancel`] to abort.
    pub fn upload_file(&self, source: UploadSource, progress: Option<Progress>) -> Upload {
        upload::start(self, source, progress)
    }

    /// This handle with another bound on how long its calls block (clones share the
    /// session; each keeps its own bound).
    pub fn with_call_timeout(&self, timeout: Duration) -> CustomerClient {
        CustomerClient { call_timeout: timeout, ..self.clone() }
    }

    /// The bound on how long a call blocks.
    pub fn call_timeout(&self) -> Duration {
        self.call_timeout
    }

    /// The driver thread (to wait for it to end after dropping the client).
    pub fn driver_thread(&self) -> DriverThread {
        self.handle.thread.clone()
    }

    /// Hand an op to the driver and do not wait for its result.
    fn submit_detached(&self, op: Op<CustomerCommand>) {
        let _ = self.handle.send(driver::Command::Op(op, Box::new(|_| {})));
    }
}

impl Exec for CustomerClient {
    type Command = CustomerCommand;
    type Out<T: Send + 'static> = Result<T, Error>;

    fn exec<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        what: &'static str,
        op: Op<CustomerCommand>,
    ) -> Result<T, Error> {
        driver::exec_on(&self.handle, &self.hub, self.call_timeout, what, op)
    }
}

impl livechat_core::hub::Listen for CustomerClient {
    type Event = Event;
    fn hub(&self) -> &Arc<Mutex<EventHub<Event>>> {
        &self.hub
    }
}

impl CustomerApi for CustomerClient {}

enum HistoryState {
    Start,
    Open(HistoryId),
    Done,
}

/// Chat history pages, from [`CustomerClient::chat_history`]. Each `next()` blocks for
/// one page.
pub struct ChatHistory {
    client: CustomerClient,
    chat_id: String,
    state: HistoryState,
}

impl ChatHistory {
    fn close(&mut self) {
        if let HistoryState::Open(h) = std::mem::replace(&mut self.state, HistoryState::Done) {
            self.client.submit_detached(Op::HistoryClose { history: h });
        }
    }
}

impl Iterator for ChatHistory {
    type Item = Result<HistoryPage, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let history = match self.state {
            HistoryState::Done => return None,
            HistoryState::Open(h) => h,
            HistoryState::Start => match self.client.history_open(&self.chat_id) {
                Ok(h) => {
                    self.state = HistoryState::Open(h);
                    h
                }
                Err(e) => {
                    self.state = HistoryState::Done;
                    return Some(Err(e));
                }
            },
        };
        let page = self.client.history_next(history);
        if page.as_ref().map_or(true, |p| p.done) {
            self.close();
        }
        Some(page)
    }
}

impl Drop for ChatHistory {
    fn drop(&mut self) {
        self.close();
    }
}
