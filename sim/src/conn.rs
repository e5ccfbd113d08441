//! One WebSocket connection (customer or agent, raw or SockJS): frame dispatch, timers, faults.

use crate::Shared;
use crate::state::{ConnEntry, Ctx, Out, Role, Side};
use crate::util::{ApiError, parse_version};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::sync::{Notify, mpsc};
use tokio::time::{Duration, Instant, sleep_until};

/// Per-connection outgoing buffer (frames). A consumer this far behind is cut.
const OUT_CAPACITY: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Framing {
    Raw,
    SockJs,
}

pub struct ConnParams {
    pub side: Side,
    pub version: String,
    pub org: String,
    pub framing: Framing,
    /// Close at once with `unsupported_version`.
    pub unsupported: bool,
}

fn response(request_id: Option<&Value>, action: &str, result: Result<Value, ApiError>) -> String {
    let (ok, payload) = match result {
        Ok(p) => (true, p),
        Err(e) => (false, e.to_json()),
    };
    let mut f = json!({"action": action, "type": "response", "success": ok, "payload": payload});
    if let Some(r) = request_id {
        f["request_id"] = r.clone();
    }
    f.to_string()
}

/// Handles one RTM frame; everything it produces goes into the connections' channels.
/// Returns true when the connection is logged in afterwards.
pub(crate) fn handle_frame(shared: &Shared, conn_id: u64, text: &str) -> bool {
    let mut st = shared.state.lock().unwrap_or_else(|e| e.into_inner());
    let Some(conn) = st.conns.get(&conn_id) else { return false };
    let side = conn.side;
    let logged_in = conn.role != Role::Unauth;
    let conn_version = conn.version.clone();
    let frame: Value = match serde_json::from_str::<Value>(text) {
        Ok(v) if v.is_object() => v,
        _ => {
            let err = ApiError::validation("frame", "is not a JSON object");
            let f = json!({"type": "response", "success": false, "payload": err.to_json()});
            st.send_now(conn_id, Out::Text(f.to_string()));
            return logged_in;
        }
    };
    let request_id = frame.get("request_id").cloned();
    let rid = request_id.as_ref();
    let Some(action) = frame.get("action").and_then(Value::as_str).map(str::to_string) else {
        let mut f =
            json!({"type": "response", "success": false, "payload": ApiError::missing("action").to_json()});
        if let Some(r) = rid {
            f["request_id"] = r.clone();
        }
        st.send_now(conn_id, Out::Text(f.to_string()));
        return logged_in;
    };
    let payload = match frame.get("payload") {
        None | Some(Value::Null) => json!({}),
        Some(p @ Value::Object(_)) => p.clone(),
        Some(_) => {
            let r = response(rid, &action, Err(ApiError::validation("payload", "must be an object")));
            st.send_now(conn_id, Out::Text(r));
            return logged_in;
        }
    };
    if let Some(v) = frame.get("version") {
        let req = v.as_str().and_then(parse_version);
        match (req, parse_version(&conn_version)) {
            (Some(r), Some(c)) if r >= c => {}
            _ => {
                let r = response(rid, &action, Err(ApiError::of("unsupported_version")));
                st.send_now(conn_id, Out::Text(r));
                return logged_in;
            }
        }
    }
    let result = match action.as_str() {
        "ping" => {
            if st.faults.ignore_pings {
                return logged_in;
            }
            Ok(json!({}))
        }
        "login" if logged_in => Err(ApiError::new("validation", "Already logged in on this connection")),
        "login" => {
            let r = match side {
                Side::Customer => st.customer_login(conn_id, &payload),
                Side::Agent => st.agent_login(conn_id, &payload),
            };
            r.map(|(_, resp)| {
                shared.counters.logins.fetch_add(1, Ordering::Relaxed);
                resp
            })
        }
        _ if !logged_in => Err(ApiError::new("authentication", "Log in first")),
        _ => {
            let user = match &st.conns[&conn_id].role {
                Role::Customer(c) | Role::Agent(c) => c.clone(),
                Role::Unauth => String::new(),
            };
            let ctx = Ctx { conn: conn_id, request_id: request_id.clone(), user };
            match side {
                Side::Customer => st.customer_action(&ctx, &action, &payload),
                Side::Agent => st.agent_action(&ctx, &action, &payload),
            }
        }
    };
    if result.is_err() {
        st.outbox.clear();
    }
    let login_ok = action == "login" && !logged_in && result.is_ok();
    let r = response(rid, &action, result);
    st.send_now(conn_id, Out::Text(r));
    st.flush();
    if login_ok {
        st.after_login(conn_id);
    }
    st.conns.get(&conn_id).is_some_and(|c| c.role != Role::Unauth)
}

fn redact(text: &str) -> String {
    match serde_json::from_str::<Value>(text) {
        Ok(mut v) if matches!(v.get("action").and_then(Value::as_str), Some("login" | "update_session")) => {
            if v["payload"].get("token").is_some() {
                v["payload"]["token"] = json!("[redacted]");
            }
            v.to_string()
        }
        _ => text.to_string(),
    }
}

fn sockjs_wrap(text: &str) -> String {
    format!("a[{}]", Value::String(text.to_string()))
}

/// Runs the connection until it closes.
pub(crate) async fn run(mut ws: WebSocket, shared: Arc<Shared>, params: ConnParams) {
    let conn_id = shared.counters.next_conn.fetch_add(1, Ordering::Relaxed) + 1;
    shared.counters.connections.fetch_add(1, Ordering::Relaxed);
    shared.counters.open.fetch_add(1, Ordering::Relaxed);
    let (tx, mut rx) = mpsc::channel::<Out>(OUT_CAPACITY);
    let kill = Arc::new(Notify::new());
    let sockjs = params.framing == Framing::SockJs;
    {
        let mut st = shared.state.lock().unwrap_or_else(|e| e.into_inner());
        if params.side == Side::Customer {
            st.ensure_org(&params.org);
        }
        st.conns.insert(
            conn_id,
            ConnEntry {
                tx,
                kill: kill.clone(),
                side: params.side,
                role: Role::Unauth,
                version: params.version.clone(),
                org: params.org.clone(),
                group_id: 0,
                pushes: None,
            },
        );
        if params.unsupported {
            st.disconnect_where_id(conn_id, "unsupported_version", None);
        }
    }
    let mut shutdown = shared.shutdown.clone();
    let opened = Instant::now();
    let mut last_activity = opened;
    let mut logged_in = false;
    let mut delayed: VecDeque<(Instant, String)> = VecDeque::new();
    let idle = shared.cfg.idle_timeout;
    let login_timeout = shared.cfg.login_timeout;
    let heartbeat = shared.cfg.sockjs_heartbeat;
    let mut next_heartbeat = opened + heartbeat;
    if sockjs && ws.send(Message::Text("o".into())).await.is_err() {
        finish(&shared, conn_id);
        return;
    }
    loop {
        let deadline = if logged_in { last_activity + idle } else { opened + login_timeout };
        let next_delayed = delayed.front().map(|(t, _)| *t);
        tokio::select! {
            msg = ws.recv() => {
                let text = match msg {
                    None => break,
                    Some(Err(e)) => {
                        // A protocol violation gets a close code and reason, not a bare TCP close.
                        if let Some((code, reason)) = crate::hardening::close_for(&e) {
                            crate::hardening::close(&mut ws, sockjs, code, reason).await;
                        }
                        break;
                    }
                    Some(Ok(Message::Text(t))) => t.to_string(),
                    Some(Ok(Message::Close(_))) => break,
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => { last_activity = Instant::now(); continue }
                    Some(Ok(Message::Binary(_))) => {
                        let (code, reason) = crate::hardening::BINARY_CLOSE;
                        crate::hardening::close(&mut ws, sockjs, code, reason).await;
                        break;
                    }
                };
                last_activity = Instant::now();
                shared.counters.frames_in.fetch_add(1, Ordering::Relaxed);
                shared.log(conn_id, "in", &redact(&text));
                let frames: Vec<String> = if sockjs {
                    match serde_json::from_str::<Value>(&text) {
                        Ok(Value::Array(a)) => a.into_iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
                        Ok(Value::String(s)) => vec![s],
                        _ => Vec::new(),
                    }
                } else {
                    vec![text]
                };
                for f in frames {
                    let faults = shared.state.lock().unwrap_or_else(|e| e.into_inner()).faults.clone();
                    if delayed.len() >= shared.cfg.max_pending_requests {
                        let v: Value = serde_json::from_str(&f).unwrap_or(Value::Null);
                        let action = v.get("action").and_then(Value::as_str).unwrap_or("").to_string();
                        let r = response(v.get("request_id"), &action, Err(ApiError::of("pending_requests_limit_reached")));
                        let mut st = shared.state.lock().unwrap_or_else(|e| e.into_inner());
                        st.send_now(conn_id, Out::Text(r));
                        continue;
                    }
                    if faults.drop_responses {
                        continue;
                    }
                    if faults.response_delay_ms > 0 {
                        delayed.push_back((Instant::now() + Duration::from_millis(faults.response_delay_ms), f));
                        continue;
                    }
                    logged_in = handle_frame(&shared, conn_id, &f);
                }
            }
            out = rx.recv() => {
                match out {
                    None => break,
                    Some(Out::Text(s)) => {
                        shared.counters.frames_out.fetch_add(1, Ordering::Relaxed);
                        shared.log(conn_id, "out", &s);
                        let wire = if sockjs { sockjs_wrap(&s) } else { s };
                        if ws.send(Message::Text(wire.into())).await.is_err() { break }
                    }
                    Some(Out::Close(code, reason)) => {
                        if sockjs {
                            let c = format!("c[{code},{}]", Value::String(reason.clone()));
                            let _ = ws.send(Message::Text(c.into())).await;
                        }
                        let _ = ws.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
                        break;
                    }
                    Some(Out::CloseHandshake(code, reason)) => {
                        crate::faults::close_handshake(&shared, &mut ws, sockjs, code, &reason).await;
                        break;
                    }
                }
            }
            _ = sleep_until(deadline) => {
                let mut st = shared.state.lock().unwrap_or_else(|e| e.into_inner());
                st.disconnect_where_id(conn_id, "connection_timeout", None);
                // The frames are queued in rx; keep looping so they are written, with a fresh deadline.
                logged_in = true;
                last_activity = Instant::now() + Duration::from_secs(3600);
            }
            _ = async { match next_delayed { Some(t) => sleep_until(t).await, None => std::future::pending().await } } => {
                if let Some((_, f)) = delayed.pop_front() {
                    logged_in = handle_frame(&shared, conn_id, &f);
                }
            }
            _ = async { if sockjs { sleep_until(next_heartbeat).await } else { std::future::pending().await } } => {
                next_heartbeat = Instant::now() + heartbeat;
                if ws.send(Message::Text("h".into())).await.is_err() { break }
            }
            _ = kill.notified() => break,
            _ = shutdown.changed() => {
                let _ = ws.send(Message::Close(Some(CloseFrame { code: 1001, reason: "shutdown".into() }))).await;
                break;
            }
        }
    }
    finish(&shared, conn_id);
}

fn finish(shared: &Shared, conn_id: u64) {
    shared.counters.open.fetch_sub(1, Ordering::Relaxed);
    let mut st = shared.state.lock().unwrap_or_else(|e| e.into_inner());
    st.remove_conn(conn_id);
}
