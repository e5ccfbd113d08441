//! The agent side: Agent Chat API v3.6 credentials, actions, pushes, events and the session
//! engine, matching the Node.js chat SDK (`@livechat/chat-sdk`) and fixing its quirks
//! (agent-sdk-behaviour.md §5): a real pre-login queue, PATs encoded for you, pending calls
//! failed on destroy, a documented `agent_disconnected` policy.

pub mod actions;
pub mod api;
mod checks;
pub mod commands;
pub mod config;
pub mod credentials;
mod customer_actions;
pub mod disconnect;
pub mod events;
pub mod pushes;
pub mod renew;
pub mod session;

pub use api::{AgentApi, Exec};
pub use commands::AgentCommand;
pub use config::{AgentConfig, ConnectionConfig, Endpoint, Keepalive};
pub use credentials::AgentCredentials;
pub use disconnect::{Delay, DisconnectReason, Reaction};
pub use events::{AgentEvent, AgentEventKind, Disconnected, License, MyProfile, Ready};
pub use renew::ExpiringCredentials;
pub use session::{AgentSession, AgentSide, ConnectionId, Output, RequestId, RequestOptions, State};

pub use crate::model::Recipients;
