//! The customer's own checks before sending ([`crate::Request::check`]); the shared ones
//! are in `crate::checks`.

use serde_json::Value;

use crate::error::Error;

/// `list_chats`: at most 25 a page.
pub(super) fn list_chats(payload: &Value) -> Result<(), Error> {
    match payload.get("limit").and_then(Value::as_u64) {
        Some(l) if l > 25 => Err(Error::invalid("Specified limit is too high (max 25).")),
        _ => Ok(()),
    }
}

pub(super) fn update_customer(payload: &Value) -> Result<(), Error> {
    crate::checks::session_fields("update_customer", payload)
}

pub(super) fn set_customer_session_fields(payload: &Value) -> Result<(), Error> {
    crate::checks::session_fields("set_customer_session_fields", payload)
}
