//! The request table: queue (bounded), priority lane, at most `max_in_flight` on the wire,
//! deadlines, completion exactly once, responses and push-responses, and the checks every
//! side shares before anything is sent.

use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use super::{
    Engine, HistoryStatus, Origin, Output, Pending, RequestId, RequestOptions, Side, State, Status, failure,
};
use crate::disconnect::DisconnectReason;
use crate::error::{Error, ErrorCode};
use crate::timer::Timer;
use crate::wire::{self, RequestFrame};

impl<S: Side> Engine<S> {
    /// Requests whose deadline passed: fail them, or (an exactly-once send of unknown
    /// fate) go and confirm them.
    pub(super) fn expire_requests(&mut self, now: Instant) {
        while let Some(&(at, id)) = self.deadlines.iter().next() {
            if at > now {
                break;
            }
            self.deadlines.remove(&(at, id));
            let Some(p) = self.pending.get(&id) else { continue };
            if p.deadline != Some(at) {
                continue;
            }
            if p.status == Status::InFlight && p.response.is_some() {
                // Answered, only its push is missing: the answer is the result (for a send,
                // it says the event is stored; re-sending would store it twice).
                self.complete_push_response(now, id);
                continue;
            }
            if p.status == Status::InFlight && p.exactly_once.is_some() {
                // No answer in time, so the send may or may not be stored: confirm it in the
                // chat (and re-send only if it is not there) before the call completes.
                self.unconfirm_after_timeout(now, id);
                continue;
            }
            let err = match p.status {
                Status::InFlight => Error::timeout(p.timeout),
                Status::Unconfirmed => failure::unconfirmed_timeout(p, self.config.queue_timeout),
                Status::Queued if !self.phase.ever_connected() => self.first_connect_error(),
                Status::Queued => Error::new(
                    ErrorCode::RequestTimeout,
                    format!(
                        "Request timed out waiting {} ms for a connection.",
                        self.config.queue_timeout.as_millis()
                    ),
                ),
            };
            if let Some(p) = self.finish(id) {
                self.fail_origin(now, RequestId(id), p, err);
            }
        }
    }

    pub(super) fn alloc_id(&mut self) -> RequestId {
        self.next_id += 1;
        RequestId(self.next_id)
    }

    pub(super) fn insert(
        &mut self,
        id: RequestId,
        action: &str,
        payload: Value,
        origin: Origin<S::Step>,
        timeout: Option<Duration>,
        exactly_once: Option<(String, String)>,
    ) {
        self.pending.insert(
            id.0,
            Pending {
                action: action.to_string(),
                payload,
                origin,
                status: Status::Queued,
                deadline: None,
                timeout: timeout.unwrap_or(self.config.request_timeout),
                awaits_push: self.side.completing_push(action),
                response: None,
                push: None,
                exactly_once,
                mark: 0,
                attempt: 0,
            },
        );
    }

    pub(super) fn submit(
        &mut self,
        now: Instant,
        id: RequestId,
        action: &str,
        mut payload: Value,
        origin: Origin<S::Step>,
        opts: RequestOptions,
    ) {
        let gate = match self.state() {
            State::Destroyed => Err(self.fatal().cloned().unwrap_or_else(Error::destroyed)),
            State::Idle | State::Paused => Err(self
                .fatal()
                .cloned()
                .unwrap_or_else(|| Error::new(ErrorCode::NoConnection, "No connection."))),
            _ if self.queue.len() >= self.config.queue_limit => Err(Error::new(
                ErrorCode::QueueFull,
                format!(
                    "{} calls are already waiting; the queue limit is {}.",
                    self.queue.len(),
                    self.config.queue_limit
                ),
            )),
            // Each request type's checks (`Request::check`), through the side's action table.
            _ => self.side.validate(action, &payload),
        };
        if let Err(e) = gate {
            let p = Pending {
                action: action.to_string(),
                payload: Value::Null,
                origin,
                status: Status::Queued,
                deadline: None,
                timeout: Duration::ZERO,
                awaits_push: None,
                response: None,
                push: None,
                exactly_once: None,
                mark: 0,
                attempt: 0,
            };
            self.fail_origin(now, id, p, e);
            return;
        }
        let exactly_once = if action == "send_event" && opts.exactly_once {
            self.prepare_exactly_once(&mut payload)
        } else {
            None
        };
        self.insert(id, action, payload, origin, opts.timeout, exactly_once);
        // A session that has never logged in may be misconfigured or unreachable: its calls
        // wait only `first_connect_timeout`, then fail with the last attempt's cause.
        let wait = if self.phase.ever_connected() {
            self.config.queue_timeout
        } else {
            self.config.queue_timeout.min(self.config.first_connect_timeout)
        };
        let at = now + wait;
        if let Some(p) = self.pending.get_mut(&id.0) {
            p.deadline = Some(at);
        }
        self.deadlines.insert((at, id.0));
        self.queue.push_back(id.0);
        self.pump(now);
    }

    /// Send queued requests while logged in and under the in-flight limit. During a
    /// confirmation phase only the confirmations go out, so re-sent events keep their order.
    pub(super) fn pump(&mut self, now: Instant) {
        if !self.logged_in() {
            return;
        }
        while self.in_flight.len() < self.config.max_in_flight {
            let next = if let Some(id) = self.priority.pop_front() {
                id
            } else if !self.confirming.is_empty() {
                break;
            } else if let Some(id) = self.queue.pop_front() {
                id
            } else {
                break;
            };
            if self.pending.get(&next).is_some_and(|p| p.status == Status::Queued) {
                self.transmit(now, next);
            }
        }
    }

    pub(super) fn transmit(&mut self, now: Instant, id: u64) {
        let Some(conn) = self.conn.as_ref().map(|c| c.id) else { return };
        let Some(p) = self.pending.get_mut(&id) else { return };
        p.attempt += 1;
        let rid = wire_request_id(id, p.attempt);
        let text =
            RequestFrame { request_id: &rid, action: &p.action, payload: &p.payload, version: None }.encode();
        p.status = Status::InFlight;
        if let Some(old) = p.deadline.take() {
            self.deadlines.remove(&(old, id));
        }
        // Login is bounded by the login timer, pings by their own deadline timer; pings do
        // not count against the in-flight limit.
        if !matches!(p.origin, Origin::Login | Origin::Ping) {
            let at = now + p.timeout;
            p.deadline = Some(at);
            self.deadlines.insert((at, id));
        }
        if !matches!(p.origin, Origin::Ping) {
            self.in_flight.insert(id);
        }
        self.outputs.push_back(Output::Send { conn, text });
    }

    /// Fail, in call order, every caller's request (not login or ping) that `which` picks.
    pub(super) fn fail_callers_where(&mut self, err: &Error, which: impl Fn(&Pending<S::Step>) -> bool) {
        let mut ids: Vec<u64> = self
            .pending
            .iter()
            .filter(|(_, p)| !matches!(p.origin, Origin::Login | Origin::Ping) && which(p))
            .map(|(id, _)| *id)
            .collect();
        ids.sort_unstable();
        for id in ids {
            if let Some(p) = self.finish(id) {
                self.fail_origin_quiet(RequestId(id), p, err.clone());
            }
        }
    }

    /// Remove a request from every table; returns it if it was there.
    pub(super) fn finish(&mut self, id: u64) -> Option<Pending<S::Step>> {
        let p = self.pending.remove(&id)?;
        if let Some(at) = p.deadline {
            self.deadlines.remove(&(at, id));
        }
        self.confirming.remove(&id);
        match p.status {
            Status::InFlight => {
                self.in_flight.remove(&id);
            }
            Status::Queued => {
                self.queue.retain(|q| *q != id);
                self.priority.retain(|q| *q != id);
            }
            Status::Unconfirmed => {}
        }
        Some(p)
    }

    pub(super) fn complete(&mut self, id: RequestId, result: Result<Value, Error>) {
        self.outputs.push_back(Output::Completed { id, result });
    }

    pub(super) fn fail_all(&mut self, err: Error) {
        let mut ids: Vec<u64> = self.pending.keys().copied().collect();
        ids.sort_unstable();
        for id in ids {
            if let Some(p) = self.finish(id) {
                self.fail_origin_quiet(RequestId(id), p, err.clone());
            }
        }
        for (_, h) in std::mem::take(&mut self.histories) {
            for w in h.waiters {
                self.complete(w, Err(err.clone()));
            }
        }
    }

    /// Settle a failed request according to who asked for it.
    pub(super) fn fail_origin(&mut self, now: Instant, id: RequestId, p: Pending<S::Step>, err: Error) {
        match p.origin {
            Origin::Confirm { chat_id, covers } => match err.code {
                // The check itself was cut off with its socket: the sends stay unconfirmed
                // and are checked again after the next login. Re-sending them blindly here
                // would store twice an event the server already has.
                ErrorCode::ConnectionLost | ErrorCode::MisdirectedConnection | ErrorCode::SdkDestroyed => {}
                // No answer in time: ask again rather than guess (the sends' own deadlines
                // bound this).
                ErrorCode::RequestTimeout if self.has_unconfirmed(&chat_id) => {
                    self.queue_confirmation(chat_id);
                }
                // The server refused to show the chat, so the events cannot be in it:
                // re-send, and the server's answer to the send decides.
                _ => self.confirm_done(now, &chat_id, covers, None),
            },
            Origin::History { op, history } => {
                self.complete(op, Err(err.clone()));
                if let Some(h) = self.histories.get_mut(&history.0) {
                    h.status = HistoryStatus::Idle;
                    let waiters: Vec<RequestId> = h.waiters.drain(..).collect();
                    for w in waiters {
                        self.complete(w, Err(err.clone()));
                    }
                }
            }
            _ => self.fail_origin_quiet(id, p, err),
        }
    }

    pub(super) fn fail_origin_quiet(&mut self, id: RequestId, p: Pending<S::Step>, err: Error) {
        match p.origin {
            Origin::User => self.complete(id, Err(err)),
            Origin::Step { op, .. } | Origin::History { op, .. } => self.complete(op, Err(err)),
            Origin::Internal => self.side.internal_failed(&p.action),
            Origin::Recover(step) => self.recovery_failed(step, &err),
            Origin::Login | Origin::Ping | Origin::Confirm { .. } => {}
        }
    }

    pub(super) fn on_response(&mut self, now: Instant, r: wire::Response) {
        // Our ids are decimal (`id` or `id.attempt`); anything else is not ours (ignored, as
        // a stray response).
        let Some((id, attempt)) = r.request_id.as_deref().and_then(parse_request_id) else { return };
        let Some(p) = self.pending.get_mut(&id) else { return };
        if p.status != Status::InFlight || attempt != p.attempt {
            // A late answer to an exactly-once send that timed out: success means stored.
            if p.exactly_once.is_some()
                && let Ok(payload) = r.result
            {
                self.late_send_response(now, id, payload);
            }
            return;
        }
        match (&p.origin, r.result) {
            (Origin::Login, result) => {
                self.finish(id);
                match result {
                    Ok(payload) => self.on_login_ok(now, payload),
                    Err(err) => self.on_login_err(now, err),
                }
            }
            (Origin::Ping, _) => {
                // Any answer, even an error, shows the server is processing our requests.
                self.finish(id);
                self.ping_out = None;
                self.timers.stop(Timer::PingDeadline);
            }
            (_, Ok(payload)) if p.awaits_push.is_some() => {
                p.response = Some(payload);
                if p.push.is_some() {
                    self.complete_push_response(now, id);
                }
            }
            (_, result) => {
                if let Some(p) = self.finish(id) {
                    match result {
                        Ok(payload) => self.on_success(now, RequestId(id), p, payload),
                        Err(err) => self.fail_origin(now, RequestId(id), p, err),
                    }
                }
            }
        }
        self.pump(now);
    }

    pub(super) fn complete_push_response(&mut self, now: Instant, id: u64) {
        let Some(mut p) = self.finish(id) else { return };
        let mut merged = match p.response.take() {
            Some(Value::Object(m)) => m,
            _ => Map::new(),
        };
        if let Some(Value::Object(push)) = p.push.take() {
            merged.extend(push);
        }
        self.on_success(now, RequestId(id), p, Value::Object(merged));
    }

    pub(super) fn on_success(&mut self, now: Instant, id: RequestId, p: Pending<S::Step>, payload: Value) {
        match p.origin {
            Origin::User => {
                self.with_side_events(|side, out| side.response(&p.action, &payload, out));
                self.recovery_note_response(&p.action, &payload);
                self.complete(id, Ok(payload));
            }
            Origin::Step { op, step } => match self.side.next_step(step, &payload) {
                Ok(next) => {
                    self.submit(now, op, next.action, next.payload, Origin::User, RequestOptions::default())
                }
                Err(err) => self.complete(op, Err(err)),
            },
            Origin::History { op, history } => self.history_page(now, op, history, payload),
            Origin::Confirm { chat_id, covers } => self.confirm_done(now, &chat_id, covers, Some(&payload)),
            Origin::Recover(step) => self.recovery_done(step, payload),
            Origin::Internal | Origin::Login | Origin::Ping => {}
        }
    }

    pub(super) fn on_push(&mut self, now: Instant, push: wire::Push) {
        // A push-response: completes the request that carries this id, not re-emitted.
        if let Some((id, _)) = push.request_id.as_deref().and_then(parse_request_id)
            && let Some(p) = self.pending.get(&id)
            && p.status == Status::InFlight
            && p.awaits_push == Some(push_action_static(&push.action))
        {
            let payload = push.payload.into_value();
            self.with_side_events(|side, out| side.push_response(&push.action, &payload, out));
            let Some(p) = self.pending.get_mut(&id) else { return };
            p.push = Some(payload);
            if p.response.is_some() {
                self.complete_push_response(now, id);
                self.pump(now);
            }
            return;
        }
        if push.action == S::DISCONNECT_PUSH {
            let payload = push.payload.into_value();
            let reason = payload.get("reason").and_then(Value::as_str).unwrap_or("").to_string();
            let data = payload.get("data").filter(|d| !d.is_null()).cloned();
            return self.on_server_disconnect(now, DisconnectReason::from_wire(&reason), data);
        }
        self.with_side_events(|side, out| side.push(&push.action, push.payload, out));
    }
}

fn push_action_static(action: &str) -> &'static str {
    match action {
        "incoming_chat" => "incoming_chat",
        "incoming_event" => "incoming_event",
        _ => "",
    }
}

/// The `request_id` of the `attempt`-th transmission of request `id`.
fn wire_request_id(id: u64, attempt: u32) -> String {
    if attempt <= 1 { id.to_string() } else { format!("{id}.{attempt}") }
}

/// `"7"` → `(7, 1)`, `"7.2"` → `(7, 2)`; anything else is not one of ours.
fn parse_request_id(s: &str) -> Option<(u64, u32)> {
    match s.split_once('.') {
        None => Some((s.parse().ok()?, 1)),
        Some((id, attempt)) => Some((id.parse().ok()?, attempt.parse().ok().filter(|a| *a > 1)?)),
    }
}
