//! The customer client, and the call glue every client shares.

use std::sync::{Arc, Mutex};

use futures_util::Stream;
use livechat_core::client::{Op, decode};
use livechat_core::customer::{
    CustomerApi, CustomerCommand, CustomerConfig, CustomerSession, Event, Exec, HistoryPage,
};
use livechat_core::engine::HistoryId;
use livechat_core::handle::CustomerState;
use livechat_core::hub::{EventHub, Kinded, Listen};
use livechat_core::identity::CookieJar;
use livechat_core::token::Token;
use livechat_core::{Error, ErrorCode};
use livechat_http::{Progress, UploadTarget};

use crate::driver::{self, Command, Commands, Refused};
use crate::events::{self, EventStream};
use crate::options::CustomerOptions;
use crate::runtime::{BoxFuture, Runtime};
use crate::upload::{self, Upload, UploadSource};

/// A customer client on runtime `R`. Cheap to clone; usable from many tasks and threads.
/// Every call comes from [`CustomerApi`].
#[derive(Clone)]
pub struct CustomerClient<R: Runtime> {
    runtime: R,
    commands: Commands<CustomerCommand>,
    hub: Arc<Mutex<EventHub<Event>>>,
    state: CustomerState,
    event_buffer: usize,
}

impl<R: Runtime> std::fmt::Debug for CustomerClient<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomerClient")
            .field("organization_id", &self.state.organization_id())
            .finish_non_exhaustive()
    }
}

impl<R: Runtime + Default> CustomerClient<R> {
    /// Start a client: its driver task is spawned on the runtime. With `auto_connect` (the
    /// default) it connects at once; calls made meanwhile are queued and sent after login.
    /// The task ends when every handle is dropped or the session is destroyed.
    pub fn start(config: CustomerConfig, options: CustomerOptions) -> CustomerClient<R> {
        CustomerClient::start_on(R::default(), config, options)
    }
}

impl<R: Runtime> CustomerClient<R> {
    /// [`CustomerClient::start`] on a runtime value of your own.
    pub fn start_on(runtime: R, config: CustomerConfig, options: CustomerOptions) -> CustomerClient<R> {
        let (tokens, provider, jar) = options.identity.tokens();
        let state = CustomerState::new(&config, jar);
        let session = CustomerSession::new(config, std::time::Instant::now());
        let (commands, hub, links) =
            driver::spawn(&runtime, session, tokens, provider, options.transport.clone());
        let state = state.with_links(links);
        CustomerClient { runtime, commands, hub, state, event_buffer: options.event_buffer }
    }

    /// The token in use ([`CustomerState::token`]).
    pub fn token(&self) -> Option<Token> {
        self.state.token()
    }

    /// The `cookie` grant's jar as it is now, to save ([`CustomerState::cookie_jar`]).
    pub fn cookie_jar(&self) -> Option<CookieJar> {
        self.state.cookie_jar()
    }

    /// A new stream of every event from now on (any number of subscribers).
    pub fn events(&self) -> EventStream {
        events::subscribe(&self.hub, self.event_buffer)
    }

    /// `getChatHistory`: pages of threads, newest page first, oldest thread first within a
    /// page, ending after the page marked `done` or after an error (a lasting one such as
    /// `SDK_DESTROYED` would repeat forever). The engine's cursor is closed at the end, on
    /// an error and when the stream is dropped.
    pub fn chat_history(
        &self,
        chat_id: &str,
    ) -> impl Stream<Item = Result<HistoryPage, Error>> + Send + use<R> {
        let cursor = Cursor { client: self.clone(), chat_id: chat_id.to_string(), history: None };
        futures_util::stream::unfold(Some(cursor), |cursor| async move {
            let mut cursor = cursor?;
            let history = match cursor.history {
                Some(h) => h,
                None => match cursor.client.history_open(&cursor.chat_id).await {
                    Ok(h) => *cursor.history.insert(h),
                    Err(e) => return Some((Err(e), None)),
                },
            };
            match cursor.client.history_next(history).await {
                Ok(page) if page.done => {
                    cursor.history = None;
                    let _ = cursor.client.history_close(history).await;
                    Some((Ok(page), None))
                }
                Ok(page) => Some((Ok(page), Some(cursor))),
                // Dropping the cursor closes the history.
                Err(e) => Some((Err(e), None)),
            }
        })
    }

    /// `uploadFile`: upload a file (≤ 10 MB) and get its URL for a `file` event.
    /// `progress` gets 0..1; [`Upload::cancel`] aborts.
    pub fn upload_file(&self, source: UploadSource, progress: Option<Progress>) -> Upload {
        let target = UploadTarget {
            token: self.state.token(),
            api_base: self.state.upload_base(),
            api_version: self.state.api_version(),
            organization_id: self.state.organization_id().to_string(),
        };
        upload::start(&self.runtime, target, source, progress)
    }
}

/// A history stream's place: the open engine history, closed when this is dropped with it
/// still open (the stream dropped mid-way, or ended by an error).
struct Cursor<R: Runtime> {
    client: CustomerClient<R>,
    chat_id: String,
    history: Option<HistoryId>,
}

impl<R: Runtime> Drop for Cursor<R> {
    fn drop(&mut self) {
        if let Some(h) = self.history.take() {
            // The call reaches the driver when made; nobody needs its answer.
            drop(self.client.history_close(h));
        }
    }
}

/// Carry `op` to a driver task and decode its result (shared by the customer and agent
/// clients). The command is queued at once, before the future is first polled.
pub(crate) fn exec_on<T, C, E>(
    commands: &Commands<C>,
    hub: &Arc<Mutex<EventHub<E>>>,
    what: &'static str,
    op: Op<C>,
) -> BoxFuture<Result<T, Error>>
where
    T: serde::de::DeserializeOwned + Send + 'static,
    E: Kinded + Clone + Send + 'static,
{
    let (tx, rx) = futures_channel::oneshot::channel();
    let sent = commands
        .try_send(Command::Op(
            op,
            Box::new(move |r| {
                let _ = tx.send(r);
            }),
        ))
        .map_err(|e| match e {
            Refused::Full => Error::new(ErrorCode::QueueFull, "too many calls waiting for the client task"),
            Refused::Closed => livechat_core::hub::end_error(hub),
        });
    let hub = hub.clone();
    Box::pin(async move {
        sent?;
        let value = rx.await.map_err(|_| livechat_core::hub::end_error(&hub))??;
        decode(what, value)
    })
}

impl<R: Runtime> Exec for CustomerClient<R> {
    type Command = CustomerCommand;
    type Out<T: Send + 'static> = BoxFuture<Result<T, Error>>;

    fn exec<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        what: &'static str,
        op: Op<CustomerCommand>,
    ) -> Self::Out<T> {
        exec_on(&self.commands, &self.hub, what, op)
    }
}

impl<R: Runtime> Listen for CustomerClient<R> {
    type Event = Event;
    fn hub(&self) -> &Arc<Mutex<EventHub<Event>>> {
        &self.hub
    }
}

impl<R: Runtime> CustomerApi for CustomerClient<R> {}
