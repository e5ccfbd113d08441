//! Deterministic scenario tests of the customer session: simulated time, scripted peer.

#[path = "../support/mod.rs"]
mod support;

mod disconnects_and_events;
mod exactly_once;
mod lifecycle_and_login;
mod recovery;
mod requests;
mod stateful_helpers;
mod tokens_and_keepalive;

use std::time::Duration;

use livechat_core::ErrorCode;
use livechat_core::customer::{
    Availability, DisconnectReason, Endpoint, Event, LoginCustomer, RequestOptions, State,
};
use serde_json::{Value, json};
use support::{Peer, config, login_payload};

fn disconnected(events: &[Event]) -> Vec<(String, bool, bool)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Disconnected(d) => Some((d.reason.as_str().to_string(), d.will_reconnect, d.destroyed)),
            _ => None,
        })
        .collect()
}
