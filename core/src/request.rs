//! Typed requests: one struct per RTM action, with its response type tied to it.
//!
//! Every transport gets a typed `call(request)` for free from this trait, so the method
//! list exists once, here in core. Raw calls (`call_raw(action, json)`) go through the same
//! session path with a `serde_json::Value` payload.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// An RTM action with a typed payload and response.
pub trait Request: Serialize {
    /// The wire action name, e.g. `"send_event"`.
    const ACTION: &'static str;
    /// What a successful call resolves to. For the push-completed actions (`start_chat`,
    /// `resume_chat`, `send_event`) this is the response payload merged with the push
    /// payload that carries the same `request_id` (see `customer::session`).
    type Response: DeserializeOwned;

    /// The checks made before the request is sent (the documented limits and required
    /// fields), on its wire payload so raw calls of the same action get them too; the
    /// error names what is wrong. The rules are in `crate::checks` and each side's
    /// `checks.rs`.
    fn check(payload: &serde_json::Value) -> Result<(), crate::Error> {
        let _ = payload;
        Ok(())
    }
}

/// Marker: an action of the Customer Chat API.
pub trait CustomerRequest: Request {}

/// Marker: an action of the Agent Chat API.
pub trait AgentRequest: Request {}

/// Decode a completed request's JSON into its typed response, naming the action on failure.
pub fn decode_response<R: Request>(value: serde_json::Value) -> Result<R::Response, crate::Error> {
    serde_json::from_value(value).map_err(|e| {
        crate::Error::new(
            crate::ErrorCode::InvalidResponse,
            format!("`{}` response does not match the documented shape: {e}", R::ACTION),
        )
    })
}
