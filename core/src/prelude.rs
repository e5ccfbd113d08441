//! Everything an application names when it uses a client, for each transport crate to
//! re-export (`pub use livechat_core::prelude::*`), so the transport crate is the only
//! dependency a user needs: the method traits, configs, events, errors, identities and the
//! core's modules for what the flat names leave out (typed actions, models, pushes).

pub use crate::agent::{
    AgentApi, AgentCommand, AgentConfig, AgentCredentials, AgentEvent, AgentEventKind, ExpiringCredentials,
    Recipients,
};
pub use crate::customer::{
    Availability, CustomerApi, CustomerCommand, CustomerConfig, DisconnectReason, Endpoint, Event, EventKind,
    HistoryPage, Rating,
};
pub use crate::engine::{CloseInfo, ConnectFailed, Disconnected, RequestOptions, State};
pub use crate::hub::{Listen, ListenerId};
pub use crate::identity::{CookieJar, Grant};
pub use crate::token::{AccountsConfig, Secret, Token};
pub use crate::wire::Rejection;
pub use crate::{BackoffConfig, Error, ErrorCode};
pub use crate::{actions, agent, customer, log, model, pushes, token};
