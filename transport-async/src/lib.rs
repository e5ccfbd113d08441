//! # livechat-async
//!
//! The async LiveChat clients, written once for every runtime. A driver task owns the
//! WebSocket and the core [`ClientCore`](livechat_core::client::ClientCore) (quinn's
//! `ConnectionDriver` shape); it moves frames, time and HTTP results in and performs what
//! the core asks for. Every protocol decision is in core; every transport decision
//! (deadlines on connects, writes and the closing handshake, cancelling abandoned
//! connects, frame logs) is in this crate's driver loop. A runtime lends only tasks, a
//! WebSocket, a timer and a blocking pool: the [`Runtime`] trait.
//!
//! Applications use `livechat-tokio` or `livechat-smol`, which implement [`Runtime`] and
//! name the clients `CustomerClient` and `AgentClient`; this crate is what they share.
//! Frame logs (`debug_frames`) and connect logs use the `tracing` target `livechat_async`.

mod agent_client;
mod customer_client;
mod driver;
mod events;
mod options;
mod runtime;
mod upload;

pub use agent_client::{AgentClient, AgentEventStream};
pub use customer_client::CustomerClient;
pub use runtime::{BoxFuture, Connect, Runtime, Timer};

/// Everything a transport's API takes or returns besides its two client types, for each
/// transport crate to re-export (`pub use livechat_async::common::*`): one dependency is
/// enough to use a client.
pub mod common {
    pub use crate::agent_client::AgentEventStream;
    pub use crate::events::EventStream;
    pub use crate::options::{
        AgentOptions, CredentialsProvider, CustomerOptions, Identity, IdentityProvider, TransportOptions,
    };
    pub use crate::runtime::BoxFuture;
    pub use crate::upload::{Upload, UploadSource};
    pub use livechat_core::prelude::*;
    pub use livechat_http::Progress;
}

pub use common::*;
