//! # livechat-core
//!
//! The sans-IO protocol core of the LiveChat Customer Chat API (and Agent Chat API) over
//! RTM (WebSocket). It owns all protocol decisions — login, keepalive, the request table and
//! queue, reconnect policy, region switch, token refresh, chat history paging, exactly-once
//! sending — and performs no I/O: no runtime, no sockets, no clock. Transports
//! (`livechat-tokio`, `livechat-smol`, `livechat-blocking`) feed it frames and time and carry
//! out the actions it emits.

#![forbid(unsafe_code)]

pub mod agent;
mod backoff;
pub mod client;
pub mod customer;
pub mod disconnect;
pub mod engine;
pub mod entropy;
pub mod error;
pub mod http;
pub mod hub;
pub mod identity;
pub mod jar;
pub mod log;
pub mod model;
pub mod options;
pub mod refresh;
pub mod request;
mod timer;
pub mod token;
pub mod upload;
pub mod wire;

pub use backoff::BackoffConfig;
pub use error::{Error, ErrorCode};
pub use request::Request;
