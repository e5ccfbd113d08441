//! Hostile-server fault injections: a server that ignores pings but keeps pushing, one that never
//! completes the WebSocket handshake, oversized and raw frames, hostile regions in login errors,
//! a disconnect after every login, a bare Close frame. Both on [`Control`] and under
//! `POST /_sim/…`.

// Handlers return early with ready-made responses; boxing them would only add noise.
#![allow(clippy::result_large_err)]

use crate::state::{Out, Role, Side, State};
use crate::util::ApiError;
use crate::{Control, Shared};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::extract::ws::{Message, WebSocket};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// Largest frame [`Control::send_oversized_customer`] and friends will build.
pub const MAX_OVERSIZED: usize = 256 * 1024 * 1024;

/// How long a Close sent by [`Control::close_customer`] waits for the client's own Close
/// before the socket is dropped anyway.
pub const CLOSE_REPLY_TIMEOUT: Duration = Duration::from_secs(5);

/// A control frame's payload is at most 125 bytes, 2 of them the code.
const MAX_CLOSE_REASON: usize = 123;

/// The filler of an oversized push: `[0,0,0,…]` (the worst case for a `serde_json::Value`
/// decoder) or one huge string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OversizedKind {
    Array,
    String,
}

impl OversizedKind {
    pub fn parse(s: &str) -> Option<OversizedKind> {
        match s {
            "array" => Some(OversizedKind::Array),
            "string" => Some(OversizedKind::String),
            _ => None,
        }
    }
}

/// `{"version":…,"action":"sim_oversized","type":"push","payload":{"data":<filler>}}`, exactly
/// `bytes` long (or the smallest such frame when `bytes` is smaller than that).
pub fn oversized_frame(version: &str, bytes: usize, kind: OversizedKind) -> String {
    let head = format!(
        r#"{{"version":{},"action":"sim_oversized","type":"push","payload":{{"data":"#,
        json!(version)
    );
    let tail = "}}";
    let room = bytes.saturating_sub(head.len() + tail.len());
    let mut f = String::with_capacity(head.len() + room.max(3) + tail.len());
    f.push_str(&head);
    match kind {
        OversizedKind::Array => {
            // "[0]" is 3 bytes, each further element 2; an even room gets one space.
            let n = (room.max(3) - 1) / 2;
            f.push('[');
            for i in 0..n {
                f.push_str(if i == 0 { "0" } else { ",0" });
            }
            if room > 3 && room.is_multiple_of(2) {
                f.push(' ');
            }
            f.push(']');
        }
        OversizedKind::String => {
            f.push('"');
            f.extend(std::iter::repeat_n('x', room.max(2) - 2));
            f.push('"');
        }
    }
    f.push_str(tail);
    f
}

/// The harmless push sent by `keep_pushing_ms` (a server-sent multicast has no `author_id`).
fn keep_alive_push(version: &str, seq: u64) -> String {
    json!({"version": version, "action": "incoming_multicast", "type": "push",
           "payload": {"content": {"livechat_sim": "keep_pushing", "seq": seq}}})
    .to_string()
}

impl State {
    /// The next login fails (`reject_logins`): the error, counted down.
    pub(crate) fn login_rejection(&mut self) -> Option<ApiError> {
        if self.faults.reject_logins == 0 {
            return None;
        }
        self.faults.reject_logins -= 1;
        let mut e = ApiError::of(&self.faults.reject_login_error);
        e.data = self.faults.reject_login_data.clone();
        Some(e)
    }

    /// Called for every push before it is queued: the one-shot `oversized_push_bytes`.
    pub(crate) fn oversized_before_push(&mut self, conn_id: u64) {
        let Some((bytes, kind)) = self.faults.oversized_push else { return };
        let Some(c) = self.conns.get(&conn_id) else { return };
        self.faults.oversized_push = None;
        let f = oversized_frame(&c.version, bytes, kind);
        self.deliver(conn_id, f);
    }

    /// After a successful login response: `internal_error_after_login`.
    pub(crate) fn after_login(&mut self, conn_id: u64) {
        if self.faults.internal_error_after_login {
            self.disconnect_where_id(conn_id, "internal_error", None);
        }
    }

    /// Connections of one side, optionally only those of one user.
    fn targets(&self, side: Side, user: Option<&str>) -> Vec<u64> {
        let mut ids: Vec<u64> = self
            .conns
            .iter()
            .filter(|(_, c)| {
                c.side == side
                    && user.is_none_or(|u| match &c.role {
                        Role::Customer(x) | Role::Agent(x) => x == u,
                        Role::Unauth => false,
                    })
            })
            .map(|(id, _)| *id)
            .collect();
        ids.sort_unstable();
        ids
    }

    fn send_raw(&mut self, side: Side, user: Option<&str>, text: impl Fn(&str) -> String) -> usize {
        let ids = self.targets(side, user);
        for id in &ids {
            let version = self.conns.get(id).map(|c| c.version.clone()).unwrap_or_default();
            self.send_now(*id, Out::Text(text(&version)));
        }
        ids.len()
    }

    fn close_sockets(&mut self, side: Side, user: Option<&str>, code: u16, reason: &str) -> usize {
        let mut end = reason.len().min(MAX_CLOSE_REASON);
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        let ids = self.targets(side, user);
        for id in &ids {
            self.send_now(*id, Out::CloseHandshake(code, reason[..end].to_string()));
        }
        ids.len()
    }
}

/// The server's side of a closing handshake it starts (RFC 6455 §7.1.2): our Close, then
/// frames read and ignored until the client's Close, the end of the socket or
/// [`CLOSE_REPLY_TIMEOUT`]; the outcome is counted.
pub(crate) async fn close_handshake(
    shared: &Shared,
    ws: &mut WebSocket,
    sockjs: bool,
    code: u16,
    reason: &str,
) {
    shared.counters.closes_sent.fetch_add(1, Ordering::Relaxed);
    crate::hardening::close(ws, sockjs, code, reason).await;
    let reply = async {
        loop {
            match ws.recv().await {
                Some(Ok(Message::Close(_))) => return true,
                Some(Ok(_)) => {}
                // Gone without a Close (reset, end of stream) or broken framing.
                Some(Err(_)) | None => return false,
            }
        }
    };
    let answered = tokio::time::timeout(CLOSE_REPLY_TIMEOUT, reply).await.unwrap_or(false);
    let c = &shared.counters;
    let outcome = if answered { &c.closes_answered } else { &c.closes_unanswered };
    outcome.fetch_add(1, Ordering::Relaxed);
}

/// Is `stall_handshake` on?
pub(crate) fn stalling(shared: &Shared) -> bool {
    shared.state.lock().unwrap_or_else(|e| e.into_inner()).faults.stall_handshake
}

struct StallGuard(Arc<Shared>);

impl Drop for StallGuard {
    fn drop(&mut self) {
        self.0.counters.stalled_open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A WebSocket upgrade that is never answered: pending until the client goes away (hyper
/// drops this future) or the simulator stops.
pub(crate) async fn stall(shared: Arc<Shared>) -> Response {
    shared.counters.stalled_open.fetch_add(1, Ordering::Relaxed);
    shared.counters.stalled_total.fetch_add(1, Ordering::Relaxed);
    let _guard = StallGuard(shared.clone());
    let mut stop = shared.shutdown.clone();
    let _ = stop.wait_for(|v| *v).await;
    StatusCode::SERVICE_UNAVAILABLE.into_response()
}

/// The `keep_pushing_ms` task: while pings are ignored, a push to every logged-in socket.
pub(crate) fn spawn_ticker(shared: Arc<Shared>) {
    let mut stop = shared.shutdown.clone();
    tokio::spawn(async move {
        let mut seq = 0u64;
        loop {
            let every = {
                let mut st = shared.state.lock().unwrap_or_else(|e| e.into_inner());
                let f = &st.faults;
                if f.ignore_pings && f.keep_pushing_ms > 0 {
                    seq += 1;
                    let ms = f.keep_pushing_ms;
                    let ids: Vec<(u64, String)> = st
                        .conns
                        .iter()
                        .filter(|(_, c)| c.role != Role::Unauth)
                        .map(|(id, c)| (*id, c.version.clone()))
                        .collect();
                    for (id, v) in ids {
                        st.send_now(id, Out::Text(keep_alive_push(&v, seq)));
                    }
                    Duration::from_millis(ms)
                } else {
                    Duration::from_millis(100)
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stop.wait_for(|v| *v) => return,
            }
        }
    });
}

impl Control {
    /// While set (and `ignore_pings` is on), every logged-in socket gets a harmless
    /// `incoming_multicast` push this often (`None` / zero = off), so a client that counts any
    /// frame as life is tested.
    pub fn set_keep_pushing(&self, every: Option<Duration>) {
        let ms = every.map(|d| d.as_millis().max(1) as u64).unwrap_or(0);
        self.with(|st| st.faults.keep_pushing_ms = ms)
    }

    /// While set, RTM WebSocket upgrades (customer, agent, SockJS) are read and never answered;
    /// the TCP connection stays open until the client closes it. See [`Control::stalled_open`].
    pub fn set_stall_handshake(&self, on: bool) {
        self.with(|st| st.faults.stall_handshake = on)
    }

    /// Stalled handshakes whose connection is still open (also `stalled_open` in stats).
    pub fn stalled_open(&self) -> u64 {
        self.shared.counters.stalled_open.load(Ordering::Relaxed)
    }

    /// The next push to any socket is preceded by an unknown push of exactly `bytes` bytes
    /// (`None` cancels it).
    pub fn set_oversized_next_push(&self, next: Option<(usize, OversizedKind)>) {
        self.with(|st| st.faults.oversized_push = next.map(|(b, k)| (b.min(MAX_OVERSIZED), k)))
    }

    /// Every successful login is followed at once by a disconnect push with reason
    /// `internal_error` (and a close).
    pub fn set_internal_error_after_login(&self, on: bool) {
        self.with(|st| st.faults.internal_error_after_login = on)
    }

    /// The next `n` logins fail with this error type and `data` (e.g. `misdirected_request`
    /// with `{"region": "…"}`).
    pub fn reject_next_logins_with(&self, n: u32, error_type: &str, data: Option<Value>) {
        self.with(|st| {
            st.faults.reject_logins = n;
            st.faults.reject_login_error = error_type.to_string();
            st.faults.reject_login_data = data;
        })
    }

    /// Sends `text` as it is (any text, valid JSON or not) to the customer's sockets (`None` =
    /// every customer socket, logged in or not). Returns how many sockets.
    pub fn push_raw_customer(&self, customer_id: Option<&str>, text: &str) -> usize {
        self.with(|st| st.send_raw(Side::Customer, customer_id, |_| text.to_string()))
    }

    /// Same for agents.
    pub fn push_raw_agent(&self, agent_id: Option<&str>, text: &str) -> usize {
        self.with(|st| st.send_raw(Side::Agent, agent_id, |_| text.to_string()))
    }

    /// Sends a WebSocket Close frame with `code` and `reason` (cut to 123 bytes) to the
    /// customer's sockets (`None` = every customer socket, logged in or not), with no
    /// `customer_disconnected` push first. Each socket then waits up to
    /// `CLOSE_REPLY_TIMEOUT` (5 s) for the client's Close and is dropped; `closes_answered` /
    /// `closes_unanswered` in [`Control::stats`] count the outcomes. Returns how many sockets.
    pub fn close_customer(&self, customer_id: Option<&str>, code: u16, reason: &str) -> usize {
        self.with(|st| st.close_sockets(Side::Customer, customer_id, code, reason))
    }

    /// Same for agents.
    pub fn close_agent(&self, agent_id: Option<&str>, code: u16, reason: &str) -> usize {
        self.with(|st| st.close_sockets(Side::Agent, agent_id, code, reason))
    }

    /// Sends an oversized unknown push ([`oversized_frame`]) of `bytes` bytes now.
    pub fn send_oversized_customer(
        &self,
        customer_id: Option<&str>,
        bytes: usize,
        kind: OversizedKind,
    ) -> usize {
        let bytes = bytes.min(MAX_OVERSIZED);
        self.with(|st| st.send_raw(Side::Customer, customer_id, |v| oversized_frame(v, bytes, kind)))
    }

    /// Same for agents.
    pub fn send_oversized_agent(&self, agent_id: Option<&str>, bytes: usize, kind: OversizedKind) -> usize {
        let bytes = bytes.min(MAX_OVERSIZED);
        self.with(|st| st.send_raw(Side::Agent, agent_id, |v| oversized_frame(v, bytes, kind)))
    }
}

// ---------------------------------------------------------------- HTTP

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/faults", post(c_faults))
        .route("/reject_logins", post(c_reject_logins))
        .route("/push_raw", post(c_push_raw))
        .route("/oversized", post(c_oversized))
        .route("/close", post(c_close))
}

fn bad(message: &str) -> Response {
    (StatusCode::BAD_REQUEST, axum::Json(json!({"error": {"type": "validation", "message": message}})))
        .into_response()
}

fn body(b: &Bytes) -> Result<Value, Response> {
    if b.is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_slice::<Value>(b)
        .ok()
        .filter(Value::is_object)
        .ok_or_else(|| bad("body must be a JSON object"))
}

fn kind_of(v: &Value, key: &str) -> Result<OversizedKind, Response> {
    match v.get(key).and_then(Value::as_str) {
        None => Ok(OversizedKind::Array),
        Some(k) => {
            OversizedKind::parse(k).ok_or_else(|| bad(&format!("`{key}` must be `array` or `string`")))
        }
    }
}

async fn c_faults(AxState(sh): AxState<Arc<Shared>>, b: Bytes) -> Response {
    let v = match body(&b) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let flag = |k: &str| v.get(k).and_then(Value::as_bool);
    let c = Control { shared: sh };
    let kind = match kind_of(&v, "oversized_push_kind") {
        Ok(k) => k,
        Err(r) => return r,
    };
    if let Some(x) = flag("ignore_pings") {
        c.set_ignore_pings(x);
    }
    if let Some(x) = flag("drop_responses") {
        c.set_drop_responses(x);
    }
    if let Some(x) = v.get("response_delay_ms").and_then(Value::as_u64) {
        c.set_response_delay(Duration::from_millis(x));
    }
    if let Some(x) = v.get("keep_pushing_ms").and_then(Value::as_u64) {
        c.set_keep_pushing((x > 0).then(|| Duration::from_millis(x)));
    }
    if let Some(x) = flag("stall_handshake") {
        c.set_stall_handshake(x);
    }
    match v.get("oversized_push_bytes") {
        Some(Value::Null) => c.set_oversized_next_push(None),
        Some(n) => match n.as_u64() {
            Some(0) => c.set_oversized_next_push(None),
            Some(n) => c.set_oversized_next_push(Some((n as usize, kind))),
            None => return bad("`oversized_push_bytes` must be a number"),
        },
        None => {}
    }
    if let Some(x) = flag("internal_error_after_login") {
        c.set_internal_error_after_login(x);
    }
    if flag("clear") == Some(true) {
        c.clear_faults();
    }
    axum::Json(json!({})).into_response()
}

async fn c_reject_logins(AxState(sh): AxState<Arc<Shared>>, b: Bytes) -> Response {
    let v = match body(&b) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let n = v.get("count").and_then(Value::as_u64).unwrap_or(1).min(u32::MAX as u64) as u32;
    let e = v.get("error").and_then(Value::as_str).unwrap_or("authentication");
    let data = v.get("data").cloned().filter(|d| !d.is_null());
    Control { shared: sh }.reject_next_logins_with(n, e, data);
    axum::Json(json!({})).into_response()
}

async fn c_push_raw(AxState(sh): AxState<Arc<Shared>>, b: Bytes) -> Response {
    let v = match body(&b) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some(text) = v.get("text").and_then(Value::as_str) else { return bad("`text` is required") };
    let c = Control { shared: sh };
    let s = |k: &str| v.get(k).and_then(Value::as_str);
    let n = match (s("customer_id"), s("agent_id")) {
        (_, Some(a)) => c.push_raw_agent(Some(a), text),
        (Some(cu), None) => c.push_raw_customer(Some(cu), text),
        (None, None) => c.push_raw_customer(None, text) + c.push_raw_agent(None, text),
    };
    axum::Json(json!({ "sent": n })).into_response()
}

async fn c_oversized(AxState(sh): AxState<Arc<Shared>>, b: Bytes) -> Response {
    let v = match body(&b) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some(bytes) = v.get("bytes").and_then(Value::as_u64) else { return bad("`bytes` is required") };
    if bytes as usize > MAX_OVERSIZED {
        return bad("`bytes` is larger than 256 MiB");
    }
    let kind = match kind_of(&v, "kind") {
        Ok(k) => k,
        Err(r) => return r,
    };
    let c = Control { shared: sh };
    let s = |k: &str| v.get(k).and_then(Value::as_str);
    let bytes = bytes as usize;
    let n = match (s("customer_id"), s("agent_id")) {
        (_, Some(a)) => c.send_oversized_agent(Some(a), bytes, kind),
        (Some(cu), None) => c.send_oversized_customer(Some(cu), bytes, kind),
        (None, None) => {
            c.send_oversized_customer(None, bytes, kind) + c.send_oversized_agent(None, bytes, kind)
        }
    };
    axum::Json(json!({ "sent": n })).into_response()
}

async fn c_close(AxState(sh): AxState<Arc<Shared>>, b: Bytes) -> Response {
    let v = match body(&b) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some(code) = v.get("code").and_then(Value::as_u64).and_then(|c| u16::try_from(c).ok()) else {
        return bad("`code` is required, 0 to 65535");
    };
    let reason = v.get("reason").and_then(Value::as_str).unwrap_or("");
    if reason.len() > MAX_CLOSE_REASON {
        return bad("`reason` is longer than 123 bytes");
    }
    let c = Control { shared: sh };
    let s = |k: &str| v.get(k).and_then(Value::as_str);
    let n = match (s("customer_id"), s("agent_id")) {
        (_, Some(a)) => c.close_agent(Some(a), code, reason),
        (Some(cu), None) => c.close_customer(Some(cu), code, reason),
        (None, None) => c.close_customer(None, code, reason) + c.close_agent(None, code, reason),
    };
    axum::Json(json!({ "sent": n })).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversized_frames_have_the_exact_size_and_parse() {
        for kind in [OversizedKind::Array, OversizedKind::String] {
            for n in [0usize, 10, 100, 101, 4096, 100_001] {
                let f = oversized_frame("3.6", n, kind);
                let v: Value = serde_json::from_str(&f).unwrap();
                assert_eq!(v["action"], "sim_oversized");
                assert_eq!(v["type"], "push");
                if n >= 100 {
                    assert_eq!(f.len(), n, "{kind:?} {n}");
                }
                match kind {
                    OversizedKind::Array => {
                        assert!(v["payload"]["data"].as_array().unwrap().iter().all(|x| x == 0))
                    }
                    OversizedKind::String => assert!(v["payload"]["data"].is_string()),
                }
            }
        }
    }
}
