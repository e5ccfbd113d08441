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

/// One side's action table, written once for both: `impl Request` (with its checks) and the
/// side's marker for its own requests, the side's `ACTIONS` list, and its `check(action,
/// payload)` dispatch for raw calls.
macro_rules! side_actions {
    (
        $marker:ident;
        own { $( $ty:ident => $wire:literal : $resp:ty $(, check $check:path)?; )* }
        shared { $( $sty:ident, )* }
    ) => {
        $(
            impl Request for $ty {
                const ACTION: &'static str = $wire;
                type Response = $resp;
                $( fn check(payload: &serde_json::Value) -> Result<(), crate::Error> { $check(payload) } )?
            }
            impl $marker for $ty {}
        )*

        /// Every action of this side with a typed request (own ones first, then the ones
        /// both sides share, `crate::actions`).
        pub const ACTIONS: &[&str] = &[ $( $wire, )* $( <$sty as Request>::ACTION, )* ];

        /// The checks of `action` before it is sent: those of every action, then its typed
        /// request's ([`Request::check`]), so raw calls get them too.
        pub fn check(action: &str, payload: &serde_json::Value) -> Result<(), crate::Error> {
            crate::checks::any_action(action, payload)?;
            $( if action == $wire { return <$ty as Request>::check(payload); } )*
            $( if action == <$sty as Request>::ACTION { return <$sty as Request>::check(payload); } )*
            Ok(())
        }
    };
}
pub(crate) use side_actions;
