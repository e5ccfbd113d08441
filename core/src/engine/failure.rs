//! Failing fast and with the cause: what a caller gets when the session cannot connect,
//! stops, or cannot tell whether a send was stored.
//!
//! The rules (each a decision the official SDKs leave to a generic 120 s timeout):
//! * every failed connection attempt emits `connect_failed` with its cause and retry delay;
//! * a session that never logged in fails its waiting calls after `first_connect_timeout`
//!   with the last attempt's cause (`CONNECTION_FAILED: ws://…: Connection refused`);
//! * a session the server or the configuration stopped (paused or destroyed) fails its
//!   waiting and later calls at once with that cause (`CUSTOMER_BANNED`, `AUTHENTICATION`,
//!   `INVALID_REQUEST: invalid endpoint URL …`), until `connect()`;
//! * an exactly-once `send_event` whose answer does not come in time is confirmed in the chat
//!   before its call completes: `Ok` means stored once, a server error means not stored, and
//!   only a send whose fate could not be learnt at all (no server for the whole
//!   `queue_timeout`) ends in `REQUEST_TIMEOUT`, with its `custom_id` in `data` so the
//!   application can look for it.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{CommonEvent, ConnectFailed, Engine, Pending, RequestId, Side, Status};
use crate::disconnect::DisconnectReason;
use crate::error::{Error, ErrorCode};

impl<S: Side> Engine<S> {
    /// A connection attempt failed (after its socket was forgotten): remember the cause,
    /// tell the application, try again after the backoff.
    pub(super) fn attempt_failed(&mut self, now: Instant, cause: Error) {
        // Not trying to connect (paused, destroyed): nothing to retry.
        let Some(attempts) = self.phase.attempts_mut() else { return };
        attempts.failed = attempts.failed.saturating_add(1);
        attempts.last_failure = Some(cause.clone());
        let attempt = attempts.failed;
        let retry_in = self.login_delay();
        tracing::warn!(attempt, error = %cause, retry_in_ms = retry_in.as_millis() as u64, "connection attempt failed");
        self.emit_common(CommonEvent::ConnectFailed(ConnectFailed { error: cause, attempt, retry_in }));
        self.schedule_reconnect(now, retry_in);
    }

    /// What a call gets when a session that never logged in did not connect in time.
    pub(super) fn first_connect_error(&self) -> Error {
        let waited = self.config.queue_timeout.min(self.config.first_connect_timeout).as_millis();
        let attempts = self.phase.attempts();
        match attempts.and_then(|a| a.last_failure.as_ref()) {
            Some(cause) => Error {
                code: cause.code.clone(),
                message: format!(
                    "not connected after {waited} ms ({} failed attempts); last: {}",
                    attempts.map_or(0, |a| a.failed),
                    cause.message
                ),
                data: cause.data.clone(),
            },
            // Nothing failed yet: the first attempt hangs (a stalled handshake, a token that
            // does not come). A timeout is the honest word.
            None => Error::new(
                ErrorCode::RequestTimeout,
                format!("not connected after {waited} ms; the first attempt is still in progress"),
            ),
        }
    }

    /// Fail every call still waiting in the queue (not the unconfirmed sends: their fate is
    /// not known, and `connect()` may still confirm them).
    pub(super) fn fail_queued(&mut self, cause: &Error) {
        self.fail_callers_where(cause, |p| p.status == Status::Queued);
        self.resend.clear();
        let waiters: Vec<RequestId> =
            self.histories.values_mut().flat_map(|h| h.waiters.drain(..).collect::<Vec<_>>()).collect();
        for h in self.histories.values_mut() {
            h.status = super::HistoryStatus::Idle;
        }
        for w in waiters {
            self.complete(w, Err(cause.clone()));
        }
    }

    /// An in-flight exactly-once send reached its deadline without an answer.
    pub(super) fn unconfirm_after_timeout(&mut self, now: Instant, id: u64) {
        let Some(p) = self.pending.get_mut(&id) else { return };
        let Some((chat_id, _)) = p.exactly_once.clone() else { return };
        self.in_flight.remove(&id);
        self.unconfirmed_mark += 1;
        p.mark = self.unconfirmed_mark;
        p.status = Status::Unconfirmed;
        p.response = None;
        p.push = None;
        let at = now + self.config.queue_timeout;
        p.deadline = Some(at);
        self.deadlines.insert((at, id));
        tracing::info!(request = id, %chat_id, "send_event unanswered in time; confirming it in the chat");
        if self.logged_in() {
            // Requests on one socket are answered in order, so this check sees the send if
            // the server stored it.
            self.queue_confirmation(chat_id);
        }
        // Not logged in: the next login confirms every unconfirmed send.
    }

    /// A success response to an exactly-once send that had timed out (unconfirmed, or
    /// chosen for re-sending but not yet sent): it is stored, so it completes now.
    pub(super) fn late_send_response(&mut self, now: Instant, id: u64, payload: Value) {
        let Some(p) = self.pending.get(&id) else { return };
        if !matches!(p.status, Status::Unconfirmed | Status::Queued) {
            return;
        }
        let chat_id = p.exactly_once.as_ref().map(|(c, _)| c.clone()).unwrap_or_default();
        if let Some(p) = self.finish(id) {
            self.resend.retain(|r| *r != id);
            let mut value = payload;
            if let Some(m) = value.as_object_mut() {
                m.entry("chat_id").or_insert(Value::String(chat_id));
            }
            self.on_success(now, RequestId(id), p, value);
        }
    }
}

/// The error an unconfirmed send ends with when its fate could not be learnt in time.
pub(super) fn unconfirmed_timeout<T>(p: &Pending<T>, waited: Duration) -> Error {
    let (chat_id, custom_id) = p.exactly_once.clone().unwrap_or_default();
    Error {
        code: ErrorCode::RequestTimeout,
        message: format!(
            "send_event not confirmed within {} ms: the server did not answer, so the event \
             (custom_id {custom_id:?}) may or may not be stored; look for that custom_id in the chat \
             before sending it again",
            waited.as_millis()
        ),
        data: Some(json!({ "chat_id": chat_id, "custom_id": custom_id, "delivery": "unknown" })),
    }
}

/// The error calls get when the session stops for `reason` (`data` is the push's or the
/// session's own, e.g. `{"error": "…"}`).
pub(super) fn cause_of(reason: &DisconnectReason, data: Option<&Value>, destroyed: bool) -> Error {
    let detail = data.and_then(|d| d.get("error")).and_then(Value::as_str);
    let with = |code: ErrorCode, text: &str| {
        let message = match detail {
            Some(d) => format!("{text}: {d}"),
            None => text.to_string(),
        };
        Error { code, message, data: data.cloned() }
    };
    use DisconnectReason as R;
    match reason {
        R::AuthenticationFailed => with(ErrorCode::Authentication, "the login was refused"),
        R::CustomerBanned => with(ErrorCode::CustomerBanned, "the customer is banned"),
        R::LicenseNotFound => with(ErrorCode::LicenseNotFound, "the licence (organization) was not found"),
        R::LicenseExpired => with(ErrorCode::LicenseExpired, "the licence has expired"),
        R::UsersLimitReached => with(ErrorCode::UsersLimitReached, "the licence's users limit is reached"),
        R::UnsupportedVersion => with(ErrorCode::UnsupportedVersion, "the API version is not supported"),
        R::WrongProductVersion => with(ErrorCode::WrongProductVersion, "wrong product version"),
        R::InvalidEndpoint => with(ErrorCode::InvalidRequest, "invalid endpoint"),
        R::MisdirectedConnection => {
            let region = data.and_then(|d| d.get("region")).and_then(Value::as_str);
            let text = match region {
                Some(r) => format!("the server sent us to region {r:?}, which this endpoint does not know"),
                None => "the server sent us to another region without naming a usable one".to_string(),
            };
            with(ErrorCode::MisdirectedConnection, &text)
        }
        other if destroyed => with(ErrorCode::SdkDestroyed, &format!("the session ended ({other})")),
        other => with(
            ErrorCode::NoConnection,
            &format!("the session is paused ({other}); call connect() to resume"),
        ),
    }
}
