//! HTTP routes: WebSocket upgrades, customer token endpoint, upload, files, control API.

// Handlers return early with ready-made responses; boxing them would only add noise.
#![allow(clippy::result_large_err)]

use crate::conn::{self, ConnParams, Framing};
use crate::state::Side;
use crate::util::version_of;
use crate::{Control, Shared, faults, files};
use axum::Router;
use axum::body::Bytes;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

type S = State<Arc<Shared>>;

/// Largest accepted WebSocket message.
/// Per-socket read buffer: small, as for any server of many mostly idle sockets (the
/// 128 KiB default is kept resident per socket).
const WS_READ_BUFFER: usize = 8 * 1024;
const MAX_WS_MESSAGE: usize = 1024 * 1024;
pub fn router(shared: Arc<Shared>) -> Router {
    let upload_limit = shared.cfg.upload_limit + 1024 * 1024;
    let control = Router::new()
        .route("/stats", get(c_stats))
        .route("/customer_token", post(c_customer_token))
        .route("/disconnect", post(c_disconnect))
        .route("/drop", post(c_drop))
        .route("/greeting", post(c_greeting))
        .route("/agent_message", post(c_agent_message))
        .route("/agent_event", post(c_agent_event))
        .route("/typing", post(c_typing))
        .route("/thinking", post(c_thinking))
        .route("/event_preview", post(c_event_preview))
        .route("/transfer", post(c_transfer))
        .route("/group_status", post(c_group_status))
        .route("/routing_status", post(c_routing_status))
        .route("/chats/{id}", get(c_chat))
        .route("/files/{id}/{name}", get(files::serve_file))
        .merge(faults::routes());
    // Plain HTTP: answered (body read included) within REQUEST_TIMEOUT.
    let plain = Router::new()
        .route("/{ver}/agent/rtm/sjs/info", get(sjs_info))
        .route("/v2/customer/token", post(token))
        .route(
            "/{ver}/customer/action/upload_file",
            post(files::upload).layer(DefaultBodyLimit::max(upload_limit)),
        )
        .nest("/_sim", control)
        .layer(axum::middleware::from_fn(request_deadline));
    Router::new()
        .route("/{ver}/customer/rtm/ws", get(customer_ws))
        .route("/{ver}/agent/rtm/ws", get(agent_ws))
        .route("/{ver}/agent/rtm/sjs/{server}/{session}/websocket", get(sjs_ws))
        .merge(plain)
        .with_state(shared)
}

async fn request_deadline(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    match tokio::time::timeout(crate::serve::REQUEST_TIMEOUT, next.run(req)).await {
        Ok(r) => r,
        Err(_) => api_error(StatusCode::REQUEST_TIMEOUT, "request_timeout", "Request timed out"),
    }
}

fn err(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

fn api_error(status: StatusCode, kind: &str, message: &str) -> Response {
    err(status, json!({"error": {"type": kind, "message": message}}))
}

async fn customer_ws(
    State(shared): S,
    Path(ver): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if faults::stalling(&shared) {
        return faults::stall(shared).await;
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("").to_string();
    {
        let mut hosts = shared.customer_hosts.lock().unwrap_or_else(|e| e.into_inner());
        if hosts.len() >= crate::evict::MAX_HOSTS {
            hosts.pop_front();
        }
        hosts.push_back(host);
    }
    let Some((version, supported)) = version_of(&ver, &[(3, 5), (3, 6)]) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some(org) = q.get("organization_id").filter(|o| !o.is_empty()).cloned() else {
        return api_error(StatusCode::BAD_REQUEST, "validation", "`organization_id` is required");
    };
    let params =
        ConnParams { side: Side::Customer, version, org, framing: Framing::Raw, unsupported: !supported };
    ws.max_message_size(MAX_WS_MESSAGE)
        .read_buffer_size(WS_READ_BUFFER)
        .on_upgrade(move |socket| conn::run(socket, shared, params))
}

async fn agent_ws(
    State(shared): S,
    Path(ver): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    ws: WebSocketUpgrade,
) -> Response {
    if faults::stalling(&shared) {
        return faults::stall(shared).await;
    }
    let Some((version, supported)) = version_of(&ver, &[(3, 4), (3, 5), (3, 6)]) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let org = q.get("organization_id").cloned().unwrap_or_else(|| "sim-organization".into());
    let params =
        ConnParams { side: Side::Agent, version, org, framing: Framing::Raw, unsupported: !supported };
    ws.max_message_size(MAX_WS_MESSAGE)
        .read_buffer_size(WS_READ_BUFFER)
        .on_upgrade(move |socket| conn::run(socket, shared, params))
}

async fn sjs_info(Path(ver): Path<String>) -> Response {
    if version_of(&ver, &[(3, 3), (3, 4), (3, 5), (3, 6)]).is_none() {
        return StatusCode::NOT_FOUND.into_response();
    }
    let mut h = HeaderMap::new();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, no-cache, must-revalidate, max-age=0"),
    );
    (h, axum::Json(json!({"websocket": true, "origins": ["*:*"], "cookie_needed": false, "entropy": 1_234_567_890u64})))
        .into_response()
}

async fn sjs_ws(
    State(shared): S,
    Path((ver, _server, _session)): Path<(String, String, String)>,
    Query(q): Query<HashMap<String, String>>,
    ws: WebSocketUpgrade,
) -> Response {
    if faults::stalling(&shared) {
        return faults::stall(shared).await;
    }
    let Some((version, supported)) = version_of(&ver, &[(3, 3), (3, 4), (3, 5), (3, 6)]) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let org = q.get("organization_id").cloned().unwrap_or_else(|| "sim-organization".into());
    let params =
        ConnParams { side: Side::Agent, version, org, framing: Framing::SockJs, unsupported: !supported };
    ws.max_message_size(MAX_WS_MESSAGE)
        .read_buffer_size(WS_READ_BUFFER)
        .on_upgrade(move |socket| conn::run(socket, shared, params))
}

/// Reads a JSON or `application/x-www-form-urlencoded` body into a string map.
fn body_fields(body: &[u8]) -> Option<HashMap<String, String>> {
    if let Ok(Value::Object(m)) = serde_json::from_slice::<Value>(body) {
        return Some(
            m.into_iter()
                .filter_map(|(k, v)| match v {
                    Value::String(s) => Some((k, s)),
                    Value::Null => None,
                    other => Some((k, other.to_string())),
                })
                .collect(),
        );
    }
    let s = std::str::from_utf8(body).ok()?;
    if s.trim().is_empty() {
        return Some(HashMap::new());
    }
    let mut out = HashMap::new();
    for pair in s.split('&') {
        let (k, v) = pair.split_once('=')?;
        out.insert(url_decode(k), url_decode(v));
    }
    Some(out)
}

fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                match u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16) {
                    Ok(x) => {
                        out.push(x);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name).then(|| v.to_string())
        })
}

fn oauth(status: StatusCode, what: &str) -> Response {
    err(status, json!({ "oauth_exception": what }))
}

fn identity(status: StatusCode, what: &str) -> Response {
    err(status, json!({ "identity_exception": what }))
}

/// `POST /v2/customer/token`: `cookie` and `agent_token` grants.
async fn token(State(shared): S, headers: HeaderMap, body: Bytes) -> Response {
    let Some(f) = body_fields(&body) else { return oauth(StatusCode::BAD_REQUEST, "invalid_request") };
    let Some(grant) = f.get("grant_type") else { return oauth(StatusCode::BAD_REQUEST, "missing_grant") };
    let Some(client_id) = f.get("client_id").filter(|c| !c.is_empty()).cloned() else {
        return oauth(StatusCode::BAD_REQUEST, "invalid_client");
    };
    if f.get("response_type").map(String::as_str) != Some("token") {
        return oauth(StatusCode::BAD_REQUEST, "unsupported_response_type");
    }
    let mut st = shared.state.lock().unwrap_or_else(|e| e.into_inner());
    if st.lifetimes.token_endpoint_down {
        return oauth(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable");
    }
    let (customer_id, org, set_cookie) = match grant.as_str() {
        "cookie" => {
            let Some(org) = f.get("organization_id").filter(|o| !o.is_empty()).cloned() else {
                return oauth(StatusCode::BAD_REQUEST, "invalid_request");
            };
            let known =
                cookie(&headers, "__lc_cid").filter(|c| st.customers.get(c).is_some_and(|cu| cu.org == org));
            match known {
                Some(id) => (id, org, true),
                None => (st.new_customer(&org, None), org, true),
            }
        }
        "agent_token" => {
            let auth = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("");
            if auth.starts_with("Basic ") {
                return identity(StatusCode::UNAUTHORIZED, "unauthorized");
            }
            if st.agent_for_token(auth).is_none() {
                return identity(StatusCode::UNAUTHORIZED, "unauthorized");
            }
            let org = f
                .get("organization_id")
                .filter(|o| !o.is_empty())
                .cloned()
                .unwrap_or_else(|| "sim-organization".into());
            let id = match f.get("entity_id").filter(|e| !e.is_empty()) {
                Some(e) => match st.customers.get(e) {
                    Some(c) if c.org != org => return identity(StatusCode::FORBIDDEN, "access_denied"),
                    Some(_) => e.clone(),
                    None => st.new_customer(&org, Some(e)),
                },
                None => st.new_customer(&org, None),
            };
            (id, org, false)
        }
        _ => return oauth(StatusCode::BAD_REQUEST, "unsupported_grant_type"),
    };
    let (tok, expires_in) = st.issue_token(&customer_id, &org);
    st.lifetimes.token_grants += 1;
    drop(st);
    let body = json!({
        "access_token": tok, "entity_id": customer_id, "expires_in": expires_in,
        "token_type": "Bearer", "organization_id": org, "client_id": client_id,
    });
    let mut h = HeaderMap::new();
    if set_cookie {
        let c =
            format!("__lc_cid={customer_id}; Path=/v2/customer; Max-Age=63072000; HttpOnly; SameSite=Lax");
        if let Ok(v) = HeaderValue::from_str(&c) {
            h.insert(header::SET_COOKIE, v);
        }
    }
    (StatusCode::OK, h, axum::Json(body)).into_response()
}

// ---------------------------------------------------------------- control API

fn control(shared: &Arc<Shared>) -> Control {
    Control { shared: shared.clone() }
}

fn parse(body: &Bytes) -> Result<Value, Response> {
    if body.is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_slice::<Value>(body)
        .ok()
        .filter(Value::is_object)
        .ok_or_else(|| api_error(StatusCode::BAD_REQUEST, "validation", "body must be a JSON object"))
}

fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

fn need<'a>(v: &'a Value, k: &str) -> Result<&'a str, Response> {
    s(v, k).ok_or_else(|| api_error(StatusCode::BAD_REQUEST, "validation", &format!("`{k}` is required")))
}

fn done(r: Result<Value, crate::ApiError>) -> Response {
    match r {
        Ok(v) => axum::Json(v).into_response(),
        Err(e) => {
            let code = if e.kind == "not_found" { StatusCode::NOT_FOUND } else { StatusCode::BAD_REQUEST };
            err(code, e.to_json())
        }
    }
}

macro_rules! body {
    ($b:expr) => {
        match parse(&$b) {
            Ok(v) => v,
            Err(r) => return r,
        }
    };
}

macro_rules! field {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(r) => return r,
        }
    };
}

async fn c_stats(State(sh): S) -> Response {
    axum::Json(control(&sh).stats()).into_response()
}

async fn c_customer_token(State(sh): S, b: Bytes) -> Response {
    let v = body!(b);
    let org = s(&v, "organization_id").unwrap_or("sim-organization");
    let (token, id) = control(&sh).issue_customer_token(org);
    axum::Json(json!({"access_token": token, "entity_id": id, "organization_id": org})).into_response()
}

async fn c_disconnect(State(sh): S, b: Bytes) -> Response {
    let v = body!(b);
    let reason = field!(need(&v, "reason"));
    let data = v.get("data").cloned().filter(|d| !d.is_null());
    let c = control(&sh);
    let n = match (s(&v, "customer_id"), s(&v, "agent_id")) {
        (_, Some(a)) => c.disconnect_agent(Some(a), reason, data),
        (Some(cu), None) => c.disconnect_customer(Some(cu), reason, data),
        (None, None) => {
            c.disconnect_customer(None, reason, data.clone()) + c.disconnect_agent(None, reason, data)
        }
    };
    axum::Json(json!({ "disconnected": n })).into_response()
}

async fn c_drop(State(sh): S, b: Bytes) -> Response {
    let v = body!(b);
    let c = control(&sh);
    let n = match (s(&v, "customer_id"), s(&v, "agent_id")) {
        (_, Some(a)) => c.drop_agent(Some(a)),
        (Some(cu), None) => c.drop_customer(Some(cu)),
        (None, None) => c.drop_customer(None) + c.drop_agent(None),
    };
    axum::Json(json!({ "dropped": n })).into_response()
}

async fn c_greeting(State(sh): S, b: Bytes) -> Response {
    let v = body!(b);
    let id = field!(need(&v, "customer_id"));
    let text = s(&v, "text").unwrap_or("Hi! Can I help you?");
    done(control(&sh).trigger_greeting(id, text).map(|u| json!({ "unique_id": u })))
}

async fn c_agent_message(State(sh): S, b: Bytes) -> Response {
    let v = body!(b);
    let chat = field!(need(&v, "chat_id"));
    let text = field!(need(&v, "text"));
    done(control(&sh).agent_message(chat, text, s(&v, "author_id")).map(|id| json!({ "event_id": id })))
}

async fn c_agent_event(State(sh): S, b: Bytes) -> Response {
    let v = body!(b);
    let chat = field!(need(&v, "chat_id"));
    let Some(event) = v.get("event") else {
        return api_error(StatusCode::BAD_REQUEST, "validation", "`event` is required");
    };
    done(control(&sh).agent_event(chat, event, s(&v, "author_id")).map(|id| json!({ "event_id": id })))
}

async fn c_typing(State(sh): S, b: Bytes) -> Response {
    let v = body!(b);
    let chat = field!(need(&v, "chat_id"));
    let on = v.get("is_typing").and_then(Value::as_bool).unwrap_or(true);
    done(control(&sh).typing(chat, on).map(|_| json!({})))
}

async fn c_thinking(State(sh): S, b: Bytes) -> Response {
    let v = body!(b);
    let chat = field!(need(&v, "chat_id"));
    done(control(&sh).thinking(chat, s(&v, "title"), s(&v, "description")).map(|_| json!({})))
}

async fn c_event_preview(State(sh): S, b: Bytes) -> Response {
    let v = body!(b);
    let chat = field!(need(&v, "chat_id"));
    let text = field!(need(&v, "text"));
    done(control(&sh).event_preview(chat, text).map(|_| json!({})))
}

async fn c_transfer(State(sh): S, b: Bytes) -> Response {
    let v = body!(b);
    let chat = field!(need(&v, "chat_id"));
    let group = v.get("group_id").and_then(Value::as_u64);
    done(control(&sh).transfer(chat, group, s(&v, "agent_id")).map(|_| json!({})))
}

async fn c_group_status(State(sh): S, b: Bytes) -> Response {
    let v = body!(b);
    let org = field!(need(&v, "organization_id"));
    let status = field!(need(&v, "status"));
    let group = v.get("group_id").and_then(Value::as_u64).unwrap_or(0);
    done(control(&sh).set_group_status(org, group, status).map(|_| json!({})))
}

async fn c_routing_status(State(sh): S, b: Bytes) -> Response {
    let v = body!(b);
    let agent = field!(need(&v, "agent_id"));
    let status = field!(need(&v, "status"));
    done(control(&sh).set_routing_status(agent, status).map(|_| json!({})))
}

async fn c_chat(State(sh): S, Path(id): Path<String>) -> Response {
    match control(&sh).chat(&id) {
        Some(v) => axum::Json(v).into_response(),
        None => api_error(StatusCode::NOT_FOUND, "not_found", "Chat not found"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_form_bodies() {
        let f = body_fields(b"grant_type=cookie&client_id=a%20b&x=1+2").unwrap();
        assert_eq!(f["client_id"], "a b");
        assert_eq!(f["x"], "1 2");
        let j = body_fields(br#"{"grant_type":"cookie","n":3}"#).unwrap();
        assert_eq!(j["n"], "3");
        assert_eq!(url_decode("%zz%4"), "%zz%4");
    }
}
