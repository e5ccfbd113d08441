//! The connection lifecycle: attempts (socket, token, login), what a login answer means,
//! losing a socket, pausing, destroying, switching region, and the reaction to every
//! server disconnect reason.

use std::time::{Duration, Instant};

use crate::wire::Rejection;
use serde_json::{Value, json};

use super::lifecycle::Phase;
use super::{
    CloseInfo, CommonEvent, Conn, ConnPhase, ConnectionId, Disconnected, Engine, Origin, Output, RequestId,
    Side, State, Status, config, failure,
};
use crate::disconnect::{Delay, DisconnectReason, Reaction};
use crate::error::{Error, ErrorCode};
use crate::timer::Timer;
use crate::token::REFRESH_MARGIN;

impl<S: Side> Engine<S> {
    /// The reconnect delay or the login deadline passed.
    pub(super) fn on_connection_timer(&mut self, now: Instant, timer: Timer) {
        match timer {
            Timer::Reconnect if matches!(self.phase, Phase::Attempting { .. }) && self.conn.is_none() => {
                self.start_attempt(now);
            }
            Timer::Login => {
                // Open + token + login did not finish in time: the transport cancels the
                // connect (its socket is closed), and the session tries again.
                let cause = Error::new(
                    ErrorCode::ConnectionFailed,
                    format!(
                        "connecting and logging in did not finish within {} ms{}",
                        self.config.login_timeout.as_millis(),
                        self.conn.as_ref().map(|c| format!(" ({})", c.url)).unwrap_or_default()
                    ),
                );
                self.close_connection(now, Error::connection_lost(), true);
                self.attempt_failed(now, cause);
            }
            _ => {}
        }
    }

    pub(super) fn logged_in(&self) -> bool {
        self.conn.as_ref().is_some_and(|c| c.phase == ConnPhase::LoggedIn)
    }

    pub(super) fn url(&self) -> Option<String> {
        let base = self.config.endpoint.base_for(self.region.as_deref())?;
        let version = self.config.api_version_normalized().ok()?;
        Some(format!(
            "{base}/v{version}/{}/rtm/ws?organization_id={}",
            S::PATH,
            crate::http::encode_query_component(&self.config.organization_id)
        ))
    }

    pub(super) fn start_attempt(&mut self, now: Instant) {
        if let Err(e) = self.config.api_version_normalized() {
            // Nothing to connect to: a version the service does not speak.
            let data = json!({ "error": e.message });
            return self.destroy_with(now, DisconnectReason::UnsupportedVersion, Some(data));
        }
        if let Err(e) = self.config.endpoint.validate() {
            // A URL or region that cannot work: fail now, naming it, rather than retry.
            let data = json!({ "error": e.message });
            return self.destroy_with(now, DisconnectReason::InvalidEndpoint, Some(data));
        }
        let Some(url) = self.url() else {
            let region = self.region.clone();
            self.pause(now, DisconnectReason::MisdirectedConnection, region.map(|r| json!({ "region": r })));
            return;
        };
        let id = ConnectionId(self.next_conn);
        self.next_conn += 1;
        self.conn = Some(Conn { id, url: url.clone(), phase: ConnPhase::Opening });
        self.outputs.push_back(Output::Open { conn: id, url });
        self.timers.set(Timer::Login, now + self.config.login_timeout);
        self.ensure_token(now);
    }

    pub(super) fn ensure_token(&mut self, now: Instant) {
        if self.token_pending {
            return;
        }
        let fresh = match &self.token {
            None => self.token_fresh_needed,
            // Refresh before login when under an hour is left (as the official SDK does).
            Some(t) => self.token_fresh_needed || t.needs_refresh(now, REFRESH_MARGIN),
        };
        if self.token.is_none() || fresh {
            if let Some(token) = self.side.provide_token(now, fresh) {
                self.handle_token(now, Ok(token));
                return;
            }
            self.token_pending = true;
            self.outputs.push_back(Output::FetchToken { fresh });
        }
    }

    /// The token names someone else: calls made for the previous user are not sent as the
    /// new one; they fail with `IDENTITY_CHANGED`.
    pub(super) fn drop_calls_of_previous_identity(&mut self) {
        let err = Error::new(ErrorCode::IdentityChanged, "The identity changed.");
        for (_, h) in std::mem::take(&mut self.histories) {
            for w in h.waiters {
                self.complete(w, Err(err.clone()));
            }
        }
        self.fail_callers_where(&err, |_| true);
        self.resend.clear();
    }

    pub(super) fn try_login(&mut self, now: Instant) {
        let ready = self.conn.as_ref().is_some_and(|c| c.phase == ConnPhase::Open);
        let Some(token) = self.token.as_ref().filter(|_| ready && !self.token_pending) else { return };
        let token = token.authorization_value();
        let mut payload = self.side.login_payload(&token);
        payload.insert(
            "application".into(),
            serde_json::to_value(&self.config.application).unwrap_or(Value::Null),
        );
        if let Some(p) = &self.config.pushes {
            payload.insert("pushes".into(), serde_json::to_value(p).unwrap_or(Value::Null));
        }
        if let Some(c) = self.conn.as_mut() {
            c.phase = ConnPhase::LoginSent;
        }
        let id = self.alloc_id();
        self.insert(id, "login", Value::Object(payload), Origin::Login, None, None);
        self.transmit(now, id.0);
    }

    pub(super) fn on_login_ok(&mut self, now: Instant, payload: Value) {
        self.recovery_login(&payload);
        if let Err(e) = self.with_side_events(|side, out| side.login_ok(payload, out)) {
            let rejection = Rejection::LoginResponse(e);
            let error = Error::new(ErrorCode::InvalidResponse, rejection.to_string());
            self.emit_common(CommonEvent::FrameRejected { error: rejection });
            self.close_connection(now, Error::connection_lost(), true);
            self.attempt_failed(now, error);
            return;
        }
        if let Some(c) = self.conn.as_mut() {
            c.phase = ConnPhase::LoggedIn;
        }
        // The failed attempts go with the phase; the backoffs start over only once this
        // connection has lasted (`Timer::Stable`).
        self.phase = Phase::Connected;
        self.auth_failures = 0;
        self.timers.stop(Timer::Login);
        self.timers.stop(Timer::Reconnect);
        self.timers.set(Timer::Stable, now + self.config.stable_after);
        self.timers.set(Timer::Ping, now + self.config.keepalive.ping_interval);
        self.arm_quality_timers(now);
        for (action, payload) in self.side.after_login() {
            let id = self.alloc_id();
            self.insert(id, &action, payload, Origin::Internal, None, None);
            self.priority.push_back(id.0);
        }
        self.start_confirmations();
        self.start_recovery();
        self.pump(now);
    }

    pub(super) fn on_login_err(&mut self, now: Instant, err: Error) {
        let region =
            err.data.as_ref().and_then(|d| d.get("region")).and_then(Value::as_str).map(str::to_string);
        match err.code {
            ErrorCode::Authentication => {
                self.auth_failures += 1;
                if self.auth_failures >= self.config.max_auth_failures {
                    let data = json!({"error": err.message});
                    self.pause(now, DisconnectReason::AuthenticationFailed, Some(data));
                    return;
                }
                // Fetch a fresh token and try again (as the official SDK does).
                self.token_fresh_needed = true;
            }
            ErrorCode::UsersLimitReached => {
                return self.pause(now, DisconnectReason::UsersLimitReached, None);
            }
            ErrorCode::LicenseExpired => return self.pause(now, DisconnectReason::LicenseExpired, None),
            ErrorCode::CustomerBanned => {
                return self.destroy_with(now, DisconnectReason::CustomerBanned, None);
            }
            ErrorCode::WrongProductVersion => {
                return self.destroy_with(now, DisconnectReason::WrongProductVersion, None);
            }
            ErrorCode::LicenseNotFound => {
                return self.destroy_with(now, DisconnectReason::LicenseNotFound, None);
            }
            ErrorCode::UnsupportedVersion => {
                return self.destroy_with(now, DisconnectReason::UnsupportedVersion, None);
            }
            ErrorCode::MisdirectedRequest if region.is_some() => {
                return self.switch_region(now, region, err.data);
            }
            ErrorCode::ServiceUnavailable | ErrorCode::ServiceTemporarilyUnavailable => {
                self.use_slow_backoff = true;
            }
            _ => {}
        }
        self.close_connection(now, Error::connection_lost(), true);
        self.attempt_failed(now, err);
    }

    pub(super) fn login_delay(&mut self) -> Duration {
        if self.use_slow_backoff {
            self.slow_backoff.next(&mut self.rng)
        } else {
            self.login_backoff.next(&mut self.rng)
        }
    }

    /// The socket went away without the server saying why (closed, or judged dead).
    pub(super) fn connection_lost(&mut self, now: Instant, we_close: bool, close: CloseInfo) {
        let was_connected = self.state() == State::Connected;
        let url = self.conn.as_ref().map(|c| c.url.clone()).unwrap_or_default();
        self.close_connection(now, Error::connection_lost(), we_close);
        if was_connected {
            self.phase = Phase::reconnecting();
            tracing::info!(code = ?close.code, reason = %close.reason, "connection lost; reconnecting");
            self.emit_common(CommonEvent::Disconnected(Disconnected {
                reason: DisconnectReason::ConnectionLost,
                will_reconnect: true,
                destroyed: false,
                data: None,
                close: Some(close),
            }));
            let delay = self.socket_backoff.next(&mut self.rng);
            self.schedule_reconnect(now, delay);
        } else if matches!(self.phase, Phase::Attempting { .. }) {
            let code = close.code.map(|c| format!(" (close code {c})")).unwrap_or_default();
            let cause = Error::new(ErrorCode::ConnectionFailed, format!("{url}: {}{code}", close.reason));
            self.attempt_failed(now, cause);
        }
    }

    /// Forget the current socket (asking the transport to close it when `we_close`), stop
    /// its timers and settle what was in flight on it.
    pub(super) fn close_connection(&mut self, now: Instant, err: Error, we_close: bool) {
        let Some(conn) = self.conn.take() else { return };
        if we_close {
            self.outputs.push_back(Output::Close { conn: conn.id });
        }
        for t in [Timer::Login, Timer::Ping, Timer::Unstable, Timer::Dead, Timer::PingDeadline, Timer::Stable]
        {
            self.timers.stop(t);
        }
        self.ping_out = None;
        self.unstable = false;
        // Resends chosen by an unfinished confirmation go back to awaiting confirmation.
        for id in std::mem::take(&mut self.resend) {
            if let Some(p) = self.pending.get_mut(&id) {
                p.status = Status::Unconfirmed;
            }
        }
        let mut ids: Vec<u64> = self
            .pending
            .iter()
            .filter(|(_, p)| p.status == Status::InFlight || matches!(p.origin, Origin::Confirm { .. }))
            .map(|(id, _)| *id)
            .collect();
        ids.sort_unstable();
        for id in ids {
            let Some(p) = self.pending.get_mut(&id) else { continue };
            if p.exactly_once.is_some() && p.status == Status::InFlight {
                // Maybe delivered, maybe not: confirm after the next login.
                self.in_flight.remove(&id);
                self.unconfirmed_mark += 1;
                p.mark = self.unconfirmed_mark;
                p.status = Status::Unconfirmed;
                p.response = None;
                p.push = None;
                if let Some(old) = p.deadline {
                    self.deadlines.remove(&(old, id));
                }
                let at = now + self.config.queue_timeout;
                p.deadline = Some(at);
                self.deadlines.insert((at, id));
                continue;
            }
            if let Some(p) = self.finish(id) {
                self.fail_origin(now, RequestId(id), p, err.clone());
            }
        }
        self.priority.retain(|id| self.pending.contains_key(id));
    }

    pub(super) fn schedule_reconnect(&mut self, now: Instant, delay: Duration) {
        if self.state() == State::Connected {
            self.phase = Phase::reconnecting();
        }
        self.timers.set(Timer::Reconnect, now + delay);
    }

    /// The server (or the policy) stopped the session until the application calls
    /// `connect()`: nothing will send the waiting calls, so they fail now with the cause,
    /// and so do later calls.
    pub(super) fn pause(&mut self, now: Instant, reason: DisconnectReason, data: Option<Value>) {
        let cause = failure::cause_of(&reason, data.as_ref(), false);
        tracing::warn!(%reason, error = %cause, "session paused");
        self.close_connection(now, Error::connection_lost(), true);
        self.timers.stop_all();
        self.fail_queued(&cause);
        self.phase = self.phase.paused(Some(cause));
        self.disconnected(reason, false, false, data);
    }

    pub(super) fn destroy_with(&mut self, now: Instant, reason: DisconnectReason, data: Option<Value>) {
        let cause = failure::cause_of(&reason, data.as_ref(), true);
        tracing::warn!(%reason, error = %cause, "session destroyed");
        self.close_connection(now, Error::connection_lost(), true);
        self.fail_all(cause.clone());
        self.timers.stop_all();
        self.phase = self.phase.destroyed(Some(cause));
        self.disconnected(reason, false, true, data);
    }

    pub(super) fn switch_region(&mut self, now: Instant, region: Option<String>, data: Option<Value>) {
        if let Some(r) = region.as_deref()
            && let Err(e) = config::check_region(r)
        {
            // A hostile or broken server must not choose the host our token goes to.
            let rejection = Rejection::Region(e.message);
            let data = Some(json!({ "error": rejection.to_string() }));
            self.emit_common(CommonEvent::FrameRejected { error: rejection });
            return self.pause(now, DisconnectReason::MisdirectedConnection, data);
        }
        let known = region.as_deref().and_then(|r| self.config.endpoint.base_for(Some(r))).is_some();
        if !known {
            return self.pause(now, DisconnectReason::MisdirectedConnection, data);
        }
        tracing::info!(region = region.as_deref().unwrap_or_default(), "switching region");
        self.region = region;
        self.close_connection(
            now,
            Error::new(ErrorCode::MisdirectedConnection, "Connected to wrong region."),
            true,
        );
        self.disconnected(DisconnectReason::MisdirectedConnection, true, false, data);
        self.schedule_reconnect(now, Duration::ZERO);
    }

    pub(super) fn on_server_disconnect(
        &mut self,
        now: Instant,
        reason: DisconnectReason,
        data: Option<Value>,
    ) {
        match S::reaction(&reason) {
            Reaction::Reconnect { delay, fresh_token } => {
                if fresh_token {
                    self.token_fresh_needed = true;
                }
                tracing::info!(%reason, "server disconnect; reconnecting");
                let logged_in = self.logged_in();
                self.close_connection(now, Error::connection_lost(), true);
                self.disconnected(reason, true, false, data);
                let delay = match delay {
                    Delay::Immediate => Duration::ZERO,
                    Delay::Short => self.short_backoff.next(&mut self.rng),
                    Delay::Backoff if logged_in => self.socket_backoff.next(&mut self.rng),
                    Delay::Backoff => self.login_delay(),
                    Delay::SlowBackoff => {
                        self.use_slow_backoff = true;
                        self.slow_backoff.next(&mut self.rng)
                    }
                };
                self.schedule_reconnect(now, delay);
            }
            Reaction::SwitchRegion => {
                let region =
                    data.as_ref().and_then(|d| d.get("region")).and_then(Value::as_str).map(str::to_string);
                self.switch_region(now, region, data);
            }
            Reaction::Pause => self.pause(now, reason, data),
            Reaction::Destroy => self.destroy_with(now, reason, data),
        }
    }
}
