//! One error type for everything a request can end with.
//!
//! Server errors keep their documented code as a matchable [`ErrorCode`] variant (the wire
//! sends `chat_limit_reached`; [`ErrorCode::code`] gives the SDK's `CHAT_LIMIT_REACHED`).
//! Codes the service adds later land in [`ErrorCode::Other`], so matching never breaks.

use std::fmt;

use serde_json::Value;

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $variant:ident = $wire:literal, )*) => {
        /// Error codes: the documented server error types, then the client-side ones.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $( $(#[$doc])* $variant, )*
            /// A code this version does not know, as sent (lower case).
            Other(String),
        }

        impl ErrorCode {
            /// Parse a wire error `type` (`chat_limit_reached`); case-insensitive.
            pub fn from_wire(s: &str) -> ErrorCode {
                let lower = s.to_ascii_lowercase();
                match lower.as_str() {
                    $( $wire => ErrorCode::$variant, )*
                    _ => ErrorCode::Other(lower),
                }
            }

            /// The wire spelling, lower case (`chat_limit_reached`).
            pub fn as_wire(&self) -> &str {
                match self {
                    $( ErrorCode::$variant => $wire, )*
                    ErrorCode::Other(s) => s.as_str(),
                }
            }
        }
    };
}

error_codes! {
    // ---- documented server error types (customer-api-3.6.md §7, agent-api-3.6.md) ----
    Authentication = "authentication",
    Authorization = "authorization",
    ChatAnonymized = "chat_anonymized",
    ChatInactive = "chat_inactive",
    ChatAlreadyActive = "chat_already_active",
    ChatLimitReached = "chat_limit_reached",
    CustomerBanned = "customer_banned",
    CustomerSessionFieldsLimitReached = "customer_session_fields_limit_reached",
    EntityTooLarge = "entity_too_large",
    GreetingNotFound = "greeting_not_found",
    GroupNotFound = "group_not_found",
    GroupOffline = "group_offline",
    GroupUnavailable = "group_unavailable",
    GroupsOffline = "groups_offline",
    Internal = "internal",
    LicenseExpired = "license_expired",
    LicenseNotFound = "license_not_found",
    LimitReached = "limit_reached",
    MisdirectedRequest = "misdirected_request",
    NotAllowed = "not_allowed",
    NotFound = "not_found",
    PendingRequestsLimitReached = "pending_requests_limit_reached",
    RequestTimeout = "request_timeout",
    ServiceUnavailable = "service_unavailable",
    ServiceTemporarilyUnavailable = "service_temporarily_unavailable",
    TooManyRequests = "too_many_requests",
    TooManyUnauthorizedConnections = "too_many_unauthorized_connections",
    UnsupportedVersion = "unsupported_version",
    UsersLimitReached = "users_limit_reached",
    Validation = "validation",
    WrongProductVersion = "wrong_product_version",
    // ---- client-side codes ----
    /// The socket closed while the request was in flight. It may still have succeeded on
    /// the server (except `send_event`, which the session confirms or re-sends itself).
    ConnectionLost = "connection_lost",
    /// The session is paused or destroyed-in-waiting and does not queue this call.
    NoConnection = "no_connection",
    /// `destroy()` was called, or the session destroyed itself for a reason without a code
    /// of its own. (A session that ends for a ban, an unknown licence, a refused login or an
    /// invalid endpoint fails its calls with that cause: `CUSTOMER_BANNED`, … .)
    SdkDestroyed = "sdk_destroyed",
    /// The connection was moved to another region while the request was in flight.
    MisdirectedConnection = "misdirected_connection",
    /// `rate_chat` / `cancel_rate` on a chat that has no thread.
    MissingChatThread = "missing_chat_thread",
    /// A file over the 10 MB upload limit.
    TooBigFile = "too_big_file",
    /// The request queue (calls waiting for a connection) is full.
    QueueFull = "queue_full",
    /// The customer identity changed; calls made for the previous customer are dropped.
    IdentityChanged = "identity_changed",
    /// Invalid arguments, caught before anything was sent.
    InvalidRequest = "invalid_request",
    /// The server's answer did not have the documented shape.
    InvalidResponse = "invalid_response",
    /// The session could not connect: refused, DNS, TLS, a stalled handshake, or the login
    /// did not finish in time. The message carries the transport's reason.
    ConnectionFailed = "connection_failed",
    /// Fetching a customer token failed.
    TokenFetchFailed = "token_fetch_failed",
    /// The accounts service refused the identity (`identity_exception`).
    SsoIdentityException = "sso_identity_exception",
    /// The accounts service refused the OAuth request (`oauth_exception`).
    SsoOauthException = "sso_oauth_exception",
    UploadFailed = "upload_failed",
    UploadCanceled = "upload_canceled",
}

impl ErrorCode {
    /// The SDK spelling: the wire type upper-cased (`CHAT_LIMIT_REACHED`).
    pub fn code(&self) -> String {
        self.as_wire().to_ascii_uppercase()
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code())
    }
}

/// How a request ended when it did not succeed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
    /// The server's `error.data`, when it sent one (e.g. `{"region":"fra"}`).
    pub data: Option<Value>,
}

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Error {
        Error { code, message: message.into(), data: None }
    }

    /// The SDK-style code string, e.g. `CONNECTION_LOST`.
    pub fn code(&self) -> String {
        self.code.code()
    }

    pub(crate) fn connection_lost() -> Error {
        Error::new(ErrorCode::ConnectionLost, "Connection lost.")
    }
    /// `SDK_DESTROYED`.
    pub fn destroyed() -> Error {
        Error::new(ErrorCode::SdkDestroyed, "SDK destroyed.")
    }
    pub(crate) fn timeout(after: std::time::Duration) -> Error {
        Error::new(ErrorCode::RequestTimeout, format!("Request timed out after {} ms.", after.as_millis()))
    }
    /// `INVALID_REQUEST`: bad arguments, caught before anything was sent.
    pub fn invalid(message: impl Into<String>) -> Error {
        Error::new(ErrorCode::InvalidRequest, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_unknown_codes_are_kept() {
        assert_eq!(ErrorCode::from_wire("chat_limit_reached"), ErrorCode::ChatLimitReached);
        assert_eq!(ErrorCode::from_wire("CHAT_LIMIT_REACHED"), ErrorCode::ChatLimitReached);
        assert_eq!(ErrorCode::ChatLimitReached.code(), "CHAT_LIMIT_REACHED");
        let other = ErrorCode::from_wire("brand_new_error");
        assert_eq!(other, ErrorCode::Other("brand_new_error".into()));
        assert_eq!(other.code(), "BRAND_NEW_ERROR");
    }
}
