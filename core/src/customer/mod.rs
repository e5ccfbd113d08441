//! The customer side: Customer Chat API v3.6 actions, pushes, events and the session engine.

pub mod actions;
pub mod api;
mod checks;
pub mod commands;
pub mod config;
pub mod disconnect;
pub mod events;
mod login;
pub mod pushes;
pub mod session;

pub use api::{CustomerApi, Exec, Rating};
pub use commands::CustomerCommand;
pub use config::{ConnectionConfig, CustomerConfig, CustomerPage, Endpoint, Keepalive, LoginCustomer};
pub use disconnect::DisconnectReason;
pub use events::{Availability, Connected, Disconnected, Event, EventKind};
pub use session::{
    ConnectionId, CustomerSession, CustomerSide, HistoryId, HistoryPage, Output, RequestId, RequestOptions,
    State,
};
