//! The customer side: Customer Chat API v3.6 actions, pushes, events and the session engine.

pub mod actions;
pub mod disconnect;
pub mod events;
pub mod pushes;

pub use disconnect::DisconnectReason;
pub use events::{Availability, Connected, Disconnected, Event, EventKind};
