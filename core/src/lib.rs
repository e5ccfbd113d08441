//! # livechat-core
//!
//! The sans-IO protocol core of the LiveChat Customer Chat API (and Agent Chat API) over
//! RTM (WebSocket). It owns all protocol decisions — login, keepalive, the request table and
//! queue, reconnect policy, region switch, token refresh, chat history paging, exactly-once
//! sending — and performs no I/O: no runtime, no sockets, no clock. Transports
//! (`livechat-tokio`, `livechat-smol`, `livechat-blocking`) feed it frames and time and carry
//! out the actions it emits.
//!
//! # Driving a session by hand
//!
//! A transport is a loop around one [`engine::Engine`]: give it an input (with the time),
//! then drain [`engine::Engine::poll_output`] until it returns `None` — *every* time, since
//! one input can cause several outputs (a login response gives `Connected` and the queued
//! calls' frames) — and sleep until [`engine::Engine::poll_timeout`], then call
//! [`engine::Engine::handle_timeout`]. Here the "server" is played by hand, with no socket:
//!
//! ```
//! use std::time::{Duration, Instant};
//! use livechat_core::customer::{CustomerSession, Endpoint, Event, Output, RequestOptions, CustomerConfig, State};
//! use livechat_core::token::{Secret, Token};
//! use serde_json::{Value, json};
//!
//! let mut now = Instant::now();
//! let config = CustomerConfig::new("my-organization", Endpoint::url("ws://127.0.0.1:9"));
//! let mut session = CustomerSession::new(config, now); // auto-connects: outputs are waiting
//! // A call made before login is queued and sent after it.
//! let call = session.request(now, "list_chats", json!({}), RequestOptions::default());
//!
//! // What the transport has to do, or tells the application.
//! #[derive(Default)]
//! struct Io { conn: Option<livechat_core::customer::ConnectionId>, sent: Vec<Value>, completed: Vec<livechat_core::customer::RequestId> }
//! fn drain(session: &mut CustomerSession, io: &mut Io) {
//!     while let Some(out) = session.poll_output() {
//!         match out {
//!             Output::Open { conn, url } => {
//!                 assert!(url.starts_with("ws://127.0.0.1:9/v3.6/customer/rtm/ws"));
//!                 io.conn = Some(conn); // open a WebSocket to `url`
//!             }
//!             Output::FetchToken { .. } => {} // get a token; answered with `handle_token`
//!             Output::Send { text, .. } => io.sent.push(serde_json::from_str(&text).unwrap()),
//!             Output::Close { .. } => io.conn = None,
//!             Output::Event(Event::Connected(_)) => {} // events go to the application
//!             Output::Event(_) => {}
//!             Output::Completed { id, result } => {
//!                 assert!(result.is_ok());
//!                 io.completed.push(id); // wake the caller waiting for `id`
//!             }
//!         }
//!     }
//! }
//! let mut io = Io::default();
//! drain(&mut session, &mut io);
//!
//! // The transport opened the socket and fetched a token.
//! let conn = io.conn.expect("a socket was asked for");
//! session.handle_transport_open(now, conn);
//! let token = Token {
//!     access_token: Secret::new("dal:example"),
//!     entity_id: "customer-1".into(),
//!     token_type: "Bearer".into(),
//!     expires_in: Duration::from_secs(3600),
//!     organization_id: Some("my-organization".into()),
//!     issued_at: now,
//! };
//! session.handle_token(now, Ok(token));
//! drain(&mut session, &mut io);
//! let login = io.sent.pop().expect("the login frame");
//! assert_eq!(login["action"], "login");
//!
//! // The server answers the login; the queued call goes out.
//! let answer = json!({"request_id": login["request_id"], "action": "login", "type": "response",
//!     "success": true, "payload": {"customer": {"id": "customer-1"}, "has_active_thread": false, "chats": []}});
//! session.handle_frame(now, conn, &answer.to_string());
//! drain(&mut session, &mut io);
//! assert_eq!(session.state(), State::Connected);
//! let list = io.sent.pop().expect("the queued call");
//! assert_eq!(list["action"], "list_chats");
//!
//! // Its answer completes the call.
//! let answer = json!({"request_id": list["request_id"], "action": "list_chats", "type": "response",
//!     "success": true, "payload": {"chats_summary": [], "total_chats": 0}});
//! session.handle_frame(now, conn, &answer.to_string());
//! drain(&mut session, &mut io);
//! assert_eq!(io.completed, [call]);
//!
//! // Time: nothing happens until `poll_timeout`; then `handle_timeout`, and drain. The
//! // timers fire in order (the stable mark at 10 s, the keepalive ping at 15 s, …).
//! while io.sent.is_empty() {
//!     now = session.poll_timeout().expect("a timer is always armed while connected");
//!     session.handle_timeout(now);
//!     drain(&mut session, &mut io);
//! }
//! assert_eq!(io.sent.pop().unwrap()["action"], "ping");
//! ```

#![forbid(unsafe_code)]

pub mod actions;
pub mod agent;
mod backoff;
mod checks;
pub mod client;
pub mod customer;
pub mod disconnect;
pub mod engine;
pub mod entropy;
pub mod error;
pub mod handle;
pub mod http;
pub mod hub;
pub mod identity;
pub mod jar;
pub mod log;
pub mod model;
pub mod options;
pub mod prelude;
pub mod pushes;
pub mod refresh;
pub mod request;
mod timer;
pub mod token;
pub mod upload;
pub mod wire;

pub use backoff::BackoffConfig;
pub use error::{Error, ErrorCode};
pub use request::Request;
