//! Customer Chat API actions.

use crate::events::{message_text, validate_event};
use crate::state::{Chat, Role, State, Viewer};
use crate::util::*;
use base64::Engine;
use serde_json::{Map, Value, json};
use std::collections::HashSet;

pub use crate::state::Ctx;

pub fn encode_page(v: &Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
}

pub fn decode_page(s: &str) -> ApiResult<Value> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .filter(Value::is_object)
        .ok_or_else(|| ApiError::validation("page_id", "is invalid or expired"))
}

/// Paging arguments shared by list_chats and list_threads.
pub struct Paging {
    pub offset: usize,
    pub desc: bool,
    pub limit: Option<usize>,
    pub min_events: Option<usize>,
}

/// Reads `page_id` / `limit` / `sort_order` / `min_events_count` with their documented rules.
pub fn read_paging(
    p: &Value,
    default_limit: usize,
    max_limit: usize,
    allow_min_events: bool,
    scope: &str,
) -> ApiResult<Paging> {
    if let Some(page) = opt_str(p, "page_id", "page_id")? {
        for f in ["limit", "sort_order", "min_events_count", "filters"] {
            if p.get(f).is_some_and(|v| !v.is_null()) {
                return Err(ApiError::validation(f, "cannot be combined with `page_id`"));
            }
        }
        let v = decode_page(page)?;
        if v["scope"].as_str() != Some(scope) {
            return Err(ApiError::validation("page_id", "does not belong to this request"));
        }
        return Ok(Paging {
            offset: v["o"].as_u64().unwrap_or(0) as usize,
            desc: v["d"].as_bool().unwrap_or(true),
            limit: v["l"].as_u64().map(|x| x as usize),
            min_events: v["m"].as_u64().map(|x| x as usize),
        });
    }
    let desc = match opt_str(p, "sort_order", "sort_order")? {
        None | Some("desc") => true,
        Some("asc") => false,
        Some(_) => return Err(ApiError::validation("sort_order", "must be `asc` or `desc`")),
    };
    let limit = opt_u64(p, "limit", "limit")?;
    let min_events =
        if allow_min_events { opt_u64(p, "min_events_count", "min_events_count")? } else { None };
    if limit.is_some() && min_events.is_some() {
        return Err(ApiError::validation("min_events_count", "cannot be combined with `limit`"));
    }
    if let Some(l) = limit
        && (l == 0 || l as usize > max_limit)
    {
        return Err(ApiError::validation("limit", &format!("must be between 1 and {max_limit}")));
    }
    if let Some(m) = min_events
        && !(1..=100).contains(&m)
    {
        return Err(ApiError::validation("min_events_count", "must be between 1 and 100"));
    }
    let limit = match (limit, min_events) {
        (Some(l), _) => Some(l as usize),
        (None, Some(_)) => None,
        (None, None) => Some(default_limit),
    };
    Ok(Paging { offset: 0, desc, limit, min_events: min_events.map(|m| m as usize) })
}

/// Slices `total` items per the paging rules; `sizes[i]` = event count of item i (min_events).
pub fn page_window(pg: &Paging, sizes: &[usize]) -> (usize, usize) {
    let start = pg.offset.min(sizes.len());
    let end = match (pg.limit, pg.min_events) {
        (Some(l), _) => (start + l).min(sizes.len()),
        (None, Some(m)) => {
            let mut acc = 0;
            let mut e = start;
            while e < sizes.len() && acc < m {
                acc += sizes[e];
                e += 1;
            }
            e.max((start + 1).min(sizes.len()))
        }
        (None, None) => sizes.len(),
    };
    (start, end)
}

/// Sort chats by their latest thread (oldest first, `desc` reversed) and return the page's
/// window, for the agent's `list_chats` and `list_archives`.
pub fn page_of_chats(chats: &mut [&Chat], pg: &Paging) -> (usize, usize) {
    chats.sort_by(|a, b| {
        let ka = a.threads.last().map(|t| t.created_at.as_str()).unwrap_or("");
        let kb = b.threads.last().map(|t| t.created_at.as_str()).unwrap_or("");
        ka.cmp(kb).then(a.id.cmp(&b.id))
    });
    if pg.desc {
        chats.reverse();
    }
    page_window(pg, &vec![1; chats.len()])
}

pub fn page_ids(pg: &Paging, scope: &str, start: usize, end: usize, total: usize, out: &mut Value) {
    let mk = |o: usize| {
        encode_page(&json!({"scope": scope, "o": o, "d": pg.desc, "l": pg.limit, "m": pg.min_events}))
    };
    if end < total {
        out["next_page_id"] = json!(mk(end));
    }
    if start > 0 {
        let back = match pg.limit {
            Some(l) => start.saturating_sub(l),
            None => 0,
        };
        out["previous_page_id"] = json!(mk(back));
    }
}

impl State {
    pub(crate) fn file_lookup(&self) -> impl Fn(&str) -> Option<(String, String, usize)> + '_ {
        move |url: &str| {
            let base = format!("{}/_sim/files/", self.http_base);
            let rest = url.strip_prefix(&base)?;
            let (_, segment) = rest.split_once('/')?;
            let name = crate::files::name_from_url_segment(segment);
            let ct = crate::files::guess_content_type(&name).to_string();
            Some((name, ct, 0))
        }
    }

    pub fn validate_events(
        &self,
        events: Option<&Value>,
        path: &str,
        agent: bool,
    ) -> ApiResult<Vec<Map<String, Value>>> {
        let Some(evs) = events.filter(|v| !v.is_null()) else { return Ok(Vec::new()) };
        let arr = evs.as_array().ok_or_else(|| ApiError::validation(path, "must be an array"))?;
        let lookup = self.file_lookup();
        arr.iter()
            .enumerate()
            .map(|(i, e)| validate_event(e, &format!("{path}[{i}]"), agent, &lookup))
            .collect()
    }

    /// Customer `login` (role is set by the caller on success).
    pub fn customer_login(&mut self, conn: u64, p: &Value) -> ApiResult<(String, Value)> {
        let token = req_str(p, "token", "token")?;
        if let Some(e) = self.login_rejection() {
            return Err(e);
        }
        let raw = token.strip_prefix("Bearer ").ok_or_else(|| ApiError::of("authentication"))?;
        let raw = raw.replace("%3A", ":");
        let now = self.now_unix();
        let (cid, org, exp) =
            self.tokens.get(raw.as_str()).cloned().ok_or_else(|| ApiError::of("authentication"))?;
        let conn_org = self.conns.get(&conn).map(|c| c.org.clone()).unwrap_or_default();
        if exp <= now || org != conn_org {
            return Err(ApiError::of("authentication"));
        }
        let group_id = opt_u64(p, "group_id", "group_id")?.unwrap_or(0);
        let pushes = match opt_obj(p, "pushes", "pushes")? {
            None => None,
            Some(m) => {
                let mut set = HashSet::new();
                let mut all = false;
                for (ver, list) in m {
                    let list = list
                        .as_array()
                        .ok_or_else(|| ApiError::validation(&format!("pushes.{ver}"), "must be an array"))?;
                    for name in list {
                        let name = name.as_str().ok_or_else(|| {
                            ApiError::validation(&format!("pushes.{ver}"), "must hold strings")
                        })?;
                        all |= name == "all";
                        set.insert(name.to_string());
                    }
                }
                (!all).then_some(set)
            }
        };
        if let Some(c) = opt_obj(p, "customer", "customer")? {
            let v = Value::Object(c.clone());
            self.apply_customer_fields(&cid, &v, "customer", true)?;
        }
        let page = opt_obj(p, "customer_page", "customer_page")?.is_some();
        let Some(cust) = self.customers.get_mut(&cid) else { return Err(ApiError::of("authentication")) };
        cust.stats.visits += 1;
        if page {
            cust.stats.page_views += 1;
        }
        if let Some(c) = self.conns.get_mut(&conn) {
            c.pushes = pushes;
            c.group_id = group_id;
        }
        self.set_role(conn, Role::Customer(cid.clone()));
        let cust = &self.customers[&cid];
        let mut chats = Vec::new();
        let mut has_active = false;
        for chat_id in &cust.chat_ids {
            if let Some(chat) = self.chats.get(chat_id) {
                let seen = chat.seen.get(&cid).cloned().unwrap_or_default();
                let unread = chat.threads.iter().flat_map(|t| &t.events).any(|e| {
                    !e.deleted
                        && e.v["author_id"].as_str() != Some(cid.as_str())
                        && e.v["created_at"].as_str().is_some_and(|c| c > seen.as_str())
                });
                has_active |= chat.active();
                chats.push(json!({"chat_id": chat.id, "has_unread_events": unread, "has_active_thread": chat.active()}));
            }
        }
        let mut resp = json!({
            "customer_id": cid,
            "customer": self.customer_json(cust, true),
            "has_active_thread": has_active,
            "chats": chats,
            "__priv_dynamic_config": {
                "organization_id": org,
                "customer_groups": {"monitoring": {
                    "id": group_id,
                    "static_config_url": format!("/licence/{org}/v2/static_config.js"),
                    "language_config_url": format!("/licence/{org}/v2/localization.en.0.js"),
                }},
                "online_groups_ids": self.online_groups(&org),
                "static_config_version": 1,
                "customer_data": {},
            },
        });
        if let Some(g) = &cust.greeting {
            let mut gv = g.value.clone();
            gv["accepted"] = json!(g.accepted);
            gv["displayed_first_time"] = json!(false);
            resp["greeting"] = gv;
        }
        Ok((cid, resp))
    }

    pub(crate) fn apply_customer_fields(
        &mut self,
        cid: &str,
        p: &Value,
        path: &str,
        login: bool,
    ) -> ApiResult<Map<String, Value>> {
        let mut changed = Map::new();
        for f in ["name", "email", "avatar", "phone_number"] {
            if let Some(s) = opt_str(p, f, &format!("{path}.{f}"))? {
                changed.insert(f.into(), json!(s));
            }
        }
        for f in ["address", "omnichannel"] {
            if let Some(o) = opt_obj(p, f, &format!("{path}.{f}"))? {
                changed.insert(f.into(), Value::Object(o.clone()));
            }
        }
        let mut new_sf = None;
        if let Some(sf) = p.get("session_fields").filter(|v| !v.is_null()) {
            new_sf = Some(self.merge_session_fields(cid, sf, &format!("{path}.session_fields"), login)?);
        }
        let Some(c) = self.customers.get_mut(cid) else { return Err(ApiError::not_found("Customer")) };
        for (k, v) in &changed {
            c.fields.insert(k.clone(), v.clone());
        }
        if let Some(sf) = new_sf {
            c.session_fields = sf;
            let arr: Vec<Value> =
                c.session_fields.iter().map(|(k, v)| json!({ k.clone(): v.clone() })).collect();
            changed.insert("session_fields".into(), Value::Array(arr));
        }
        Ok(changed)
    }

    fn merge_session_fields(
        &self,
        cid: &str,
        sf: &Value,
        path: &str,
        replace: bool,
    ) -> ApiResult<Vec<(String, Value)>> {
        let arr = sf.as_array().ok_or_else(|| ApiError::validation(path, "must be an array of objects"))?;
        let mut out: Vec<(String, Value)> = if replace {
            Vec::new()
        } else {
            self.customers.get(cid).map(|c| c.session_fields.clone()).unwrap_or_default()
        };
        for (i, item) in arr.iter().enumerate() {
            let obj = item
                .as_object()
                .ok_or_else(|| ApiError::validation(&format!("{path}[{i}]"), "must be an object"))?;
            for (k, v) in obj {
                if !v.is_string() {
                    return Err(ApiError::validation(&format!("{path}[{i}].{k}"), "must be a string"));
                }
                match out.iter_mut().find(|(ek, _)| ek == k) {
                    Some(e) => e.1 = v.clone(),
                    None => out.push((k.clone(), v.clone())),
                }
            }
        }
        if out.len() > 100 {
            return Err(ApiError::new(
                "customer_session_fields_limit_reached",
                "Session fields limit (100) reached",
            ));
        }
        Ok(out)
    }

    /// Dispatches one customer action (after login).
    pub fn customer_action(&mut self, ctx: &Ctx, action: &str, p: &Value) -> ApiResult<Value> {
        let cid = ctx.user.clone();
        match action {
            "list_chats" => {
                let pg = read_paging(p, 10, 25, false, "chats")?;
                let mut chats: Vec<&Chat> =
                    self.customers[&cid].chat_ids.iter().filter_map(|c| self.chats.get(c)).collect();
                chats.sort_by(|a, b| {
                    let ka = a.threads.last().map(|t| t.created_at.as_str()).unwrap_or("");
                    let kb = b.threads.last().map(|t| t.created_at.as_str()).unwrap_or("");
                    ka.cmp(kb)
                });
                if pg.desc {
                    chats.reverse();
                }
                let sizes = vec![1; chats.len()];
                let (s, e) = page_window(&pg, &sizes);
                let summaries: Vec<Value> =
                    chats[s..e].iter().map(|c| self.chat_summary(c, Viewer::Customer(&cid))).collect();
                let mut out = json!({"chats_summary": summaries, "total_chats": chats.len()});
                page_ids(&pg, "chats", s, e, chats.len(), &mut out);
                Ok(out)
            }
            "list_threads" => {
                let chat_id = req_str(p, "chat_id", "chat_id")?;
                let chat = self.chat_for_customer(&cid, chat_id)?;
                let pg = read_paging(p, 3, 100, true, &format!("threads:{chat_id}"))?;
                let mut order: Vec<usize> = (0..chat.threads.len()).collect();
                if pg.desc {
                    order.reverse();
                }
                let viewer = Viewer::Customer(&cid);
                let sizes: Vec<usize> = order
                    .iter()
                    .map(|i| {
                        chat.threads[*i].events.iter().filter(|e| State::visible(e, viewer).is_some()).count()
                    })
                    .collect();
                let (s, e) = page_window(&pg, &sizes);
                let threads: Vec<Value> =
                    order[s..e].iter().map(|i| self.thread_json(chat, *i, viewer)).collect();
                let mut out = json!({"threads": threads, "found_threads": chat.threads.len()});
                page_ids(&pg, &format!("threads:{chat_id}"), s, e, order.len(), &mut out);
                Ok(out)
            }
            "get_chat" => {
                let chat_id = req_str(p, "chat_id", "chat_id")?;
                let chat = self.chat_for_customer(&cid, chat_id)?;
                let idx = match opt_str(p, "thread_id", "thread_id")? {
                    Some(t) => Some(chat.thread_idx(t).ok_or_else(|| ApiError::not_found("Thread"))?),
                    None => chat.threads.len().checked_sub(1),
                };
                Ok(self.chat_json(chat, idx, Viewer::Customer(&cid)))
            }
            "start_chat" => self.start_chat(ctx, p),
            "resume_chat" => self.resume_chat(ctx, p),
            "deactivate_chat" => {
                let chat_id = req_str(p, "id", "id")?.to_string();
                let chat = self.chat_for_customer(&cid, &chat_id)?;
                if !chat.active() {
                    return Err(ApiError::of("chat_inactive"));
                }
                self.deactivate(
                    &chat_id,
                    Some(&cid),
                    "manual_archived_customer",
                    "Chat archived by the customer",
                );
                Ok(json!({}))
            }
            "send_event" => self.send_event(ctx, p),
            "delete_event" => {
                let chat_id = req_str(p, "chat_id", "chat_id")?.to_string();
                let thread_id = req_str(p, "thread_id", "thread_id")?.to_string();
                let event_id = req_str(p, "event_id", "event_id")?.to_string();
                let chat = self.chat_for_customer(&cid, &chat_id)?;
                let ti = chat.thread_idx(&thread_id).ok_or_else(|| ApiError::not_found("Thread"))?;
                let ei = chat.threads[ti]
                    .events
                    .iter()
                    .position(|e| e.id() == event_id && !e.deleted)
                    .ok_or_else(|| ApiError::not_found("Event"))?;
                if chat.threads[ti].events[ei].v["author_id"].as_str() != Some(cid.as_str()) {
                    return Err(ApiError::new("authorization", "Only own events can be deleted"));
                }
                if let Some(c) = self.chats.get_mut(&chat_id) {
                    c.threads[ti].events[ei].deleted = true;
                }
                let payload = json!({"chat_id": chat_id, "thread_id": thread_id, "event_id": event_id});
                self.push_chat(&chat_id, "event_deleted", payload, None);
                Ok(json!({}))
            }
            "send_sneak_peek" => {
                let chat_id = req_str(p, "chat_id", "chat_id")?.to_string();
                let text = opt_str(p, "sneak_peek_text", "sneak_peek_text")?
                    .ok_or_else(|| ApiError::missing("sneak_peek_text"))?
                    .to_string();
                let chat = self.chat_for_customer(&cid, &chat_id)?;
                if let Some(t) = chat.threads.last().filter(|t| t.active) {
                    let thread_id = t.id.clone();
                    let ts = self.now_unix();
                    let payload = json!({"chat_id": chat_id, "thread_id": thread_id,
                        "sneak_peek": {"author_id": cid, "recipients": "agents", "text": text, "timestamp": ts}});
                    self.push_chat_agents(&chat_id, "incoming_sneak_peek", payload);
                }
                Ok(json!({}))
            }
            "update_customer" => {
                let any =
                    ["name", "email", "avatar", "session_fields", "omnichannel", "address", "phone_number"]
                        .iter()
                        .any(|f| p.get(*f).is_some_and(|v| !v.is_null()));
                if !any {
                    return Err(ApiError::validation("name", "at least one customer field is required"));
                }
                let changed = self.apply_customer_fields(&cid, p, "", false)?;
                self.customer_updated(&cid, changed);
                Ok(json!({}))
            }
            "set_customer_session_fields" => {
                let sf = p
                    .get("session_fields")
                    .filter(|v| !v.is_null())
                    .ok_or_else(|| ApiError::missing("session_fields"))?;
                let merged = self.merge_session_fields(&cid, sf, "session_fields", false)?;
                if let Some(c) = self.customers.get_mut(&cid) {
                    c.session_fields = merged;
                }
                let arr: Vec<Value> = self.customers[&cid]
                    .session_fields
                    .iter()
                    .map(|(k, v)| json!({ k.clone(): v.clone() }))
                    .collect();
                let mut changed = Map::new();
                changed.insert("session_fields".into(), Value::Array(arr));
                self.customer_updated(&cid, changed);
                Ok(json!({}))
            }
            "update_customer_page" => {
                let url = req_str(p, "url", "url")?;
                opt_str(p, "title", "title")?;
                let _ = url;
                if let Some(c) = self.customers.get_mut(&cid) {
                    c.stats.page_views += 1;
                }
                Ok(json!({}))
            }
            "get_customer" => Ok(self.customer_json(&self.customers[&cid], true)),
            "list_group_statuses" => {
                let org = self.customers[&cid].org.clone();
                let all = opt_bool(p, "all", "all")?.unwrap_or(false);
                let ids: Option<Vec<u64>> = match p.get("group_ids").filter(|v| !v.is_null()) {
                    None => None,
                    Some(v) => Some(
                        v.as_array()
                            .and_then(|a| a.iter().map(Value::as_u64).collect::<Option<Vec<_>>>())
                            .ok_or_else(|| {
                                ApiError::validation("group_ids", "must be an array of numbers")
                            })?,
                    ),
                };
                if !all && ids.is_none() {
                    return Err(ApiError::validation("group_ids", "or `all` is required"));
                }
                let mut m = Map::new();
                if let Some(o) = self.orgs.get(&org) {
                    for (id, g) in &o.groups {
                        if all || ids.as_ref().is_some_and(|i| i.contains(id)) {
                            m.insert(id.to_string(), json!(g.status));
                        }
                    }
                }
                Ok(json!({ "groups_status": m }))
            }
            "get_form" => {
                let group = req_u64(p, "group_id", "group_id")?;
                let ty = req_str(p, "type", "type")?;
                let org = self.customers[&cid].org.clone();
                if self.group_status(&org, group).is_none() {
                    return Err(ApiError::of("group_not_found"));
                }
                form_for(group, ty)
            }
            "get_predicted_agent" => {
                let (agent, queue) = self.predicted(&cid, p)?;
                Ok(json!({"agent": agent, "queue": queue}))
            }
            "request_welcome_message" => {
                opt_str(p, "id", "id")?;
                let (agent, queue) = self.predicted(&cid, p)?;
                let id = opt_str(p, "id", "id")?.map(str::to_string).unwrap_or_else(|| "welcome-1".into());
                let author = agent["id"].clone();
                let now = self.clock.now();
                let push = json!({"id": id, "event": {"created_at": now, "type": "message",
                    "text": "Hello! How can I help you today?", "author_id": author}});
                self.push_customer(&cid, "incoming_welcome_message", push, None);
                Ok(json!({"id": id, "predicted_agent": agent, "queue": queue}))
            }
            "get_url_info" => {
                let url = req_str(p, "url", "url")?;
                let host = url
                    .strip_prefix("https://")
                    .or_else(|| url.strip_prefix("http://"))
                    .ok_or_else(|| ApiError::validation("url", "must be an http(s) URL"))?
                    .split(['/', '?', '#'])
                    .next()
                    .unwrap_or("");
                if host.is_empty() {
                    return Err(ApiError::validation("url", "must be an http(s) URL"));
                }
                Ok(json!({
                    "url": url, "title": format!("{host} — page title"),
                    "description": format!("A canned description of {url}"),
                    "image_url": format!("cdn.livechat-sim.invalid/preview/{host}.png"),
                    "image_original_url": format!("https://{host}/og-image.png"),
                    "image_width": 200, "image_height": 200,
                }))
            }
            "mark_events_as_seen" => {
                let chat_id = req_str(p, "chat_id", "chat_id")?.to_string();
                let seen = req_str(p, "seen_up_to", "seen_up_to")?.to_string();
                if !looks_rfc3339(&seen) {
                    return Err(ApiError::validation("seen_up_to", "must be an RFC 3339 date"));
                }
                self.chat_for_customer(&cid, &chat_id)?;
                if let Some(c) = self.chats.get_mut(&chat_id) {
                    let e = c.seen.entry(cid.clone()).or_default();
                    if seen > *e {
                        *e = seen.clone();
                    }
                }
                self.push_chat(
                    &chat_id,
                    "events_marked_as_seen",
                    json!({"user_id": cid, "chat_id": chat_id, "seen_up_to": seen}),
                    None,
                );
                Ok(json!({}))
            }
            "accept_greeting" | "cancel_greeting" => {
                let accept = action == "accept_greeting";
                let gid = if accept { Some(req_u64(p, "greeting_id", "greeting_id")?) } else { None };
                let unique = req_str(p, "unique_id", "unique_id")?.to_string();
                let c = self.customers.get_mut(&cid).ok_or_else(|| ApiError::not_found("Customer"))?;
                let matches = c
                    .greeting
                    .as_ref()
                    .is_some_and(|g| g.unique_id == unique && gid.is_none_or(|id| id == g.greeting_id));
                if !matches {
                    return Err(ApiError::of("greeting_not_found"));
                }
                if accept {
                    if let Some(g) = c.greeting.as_mut() {
                        g.accepted = true;
                    }
                    c.stats.greetings_accepted += 1;
                } else {
                    c.greeting = None;
                }
                let push = if accept { "greeting_accepted" } else { "greeting_canceled" };
                self.push_customer(&cid, push, json!({ "unique_id": unique }), None);
                Ok(json!({}))
            }
            "send_greeting_button_clicked" => {
                req_str(p, "greeting_unique_id", "greeting_unique_id")?;
                req_str(p, "button_id", "button_id")?;
                Ok(json!({}))
            }
            "activate_customer_page" | "deactivate_customer_page" => Ok(json!({})),
            _ => self.shared_action(crate::shared_actions::Who::Customer(&cid), action, p).unwrap_or_else(
                || Err(ApiError::validation("action", &format!("`{action}` is not a known action"))),
            ),
        }
    }

    fn predicted(&self, cid: &str, p: &Value) -> ApiResult<(Value, bool)> {
        let org = self.customers[cid].org.clone();
        let group = opt_u64(p, "group_id", "group_id")?.unwrap_or(0);
        match self.group_status(&org, group).as_deref() {
            None => Err(ApiError::of("group_not_found")),
            Some("offline") => Err(ApiError::of("group_offline")),
            Some(_) => match self.pick_agent(group) {
                Some(a) => Ok((self.agent_json(&self.agents[&a]), false)),
                None => Err(ApiError::of("group_unavailable")),
            },
        }
    }

    pub fn customer_updated(&mut self, cid: &str, mut changed: Map<String, Value>) {
        changed.insert("id".into(), json!(cid));
        let payload = Value::Object(changed);
        self.push_customer(cid, "customer_updated", payload.clone(), None);
        let chat_ids = self.customers.get(cid).map(|c| c.chat_ids.clone()).unwrap_or_default();
        for ch in chat_ids {
            self.push_chat_agents(&ch, "customer_updated", payload.clone());
        }
    }

    fn start_chat(&mut self, ctx: &Ctx, p: &Value) -> ApiResult<Value> {
        let cid = ctx.user.clone();
        let chat = p.get("chat").cloned().filter(|v| !v.is_null()).unwrap_or_else(|| json!({}));
        if !chat.is_object() {
            return Err(ApiError::validation("chat", "must be an object"));
        }
        let active = opt_bool(p, "active", "active")?.unwrap_or(true);
        let continuous = opt_bool(p, "continuous", "continuous")?.unwrap_or(false);
        if let Some(users) = chat.get("users").filter(|v| !v.is_null()) {
            let ok = users.as_array().is_some_and(|u| {
                u.len() <= 1
                    && u.iter().all(|x| x["type"] == "customer" && x["id"].as_str().is_none_or(|i| i == cid))
            });
            if !ok {
                return Err(ApiError::validation("chat.users", "may only hold the requesting customer"));
            }
        }
        let props = chat.get("properties").cloned().filter(|v| !v.is_null()).unwrap_or_else(|| json!({}));
        check_properties(&props, "chat.properties")?;
        let thread = chat.get("thread").cloned().filter(|v| !v.is_null()).unwrap_or_else(|| json!({}));
        let tprops = thread.get("properties").cloned().filter(|v| !v.is_null()).unwrap_or_else(|| json!({}));
        check_properties(&tprops, "chat.thread.properties")?;
        let events = self.validate_events(thread.get("events"), "chat.thread.events", false)?;
        let org = self.customers[&cid].org.clone();
        let conn_group = self.conns.get(&ctx.conn).map(|c| c.group_id).unwrap_or(0);
        let group = match chat.get("access").and_then(|a| a.get("group_ids")).filter(|v| !v.is_null()) {
            None => conn_group,
            Some(g) => g.as_array().and_then(|a| a.first()).and_then(Value::as_u64).ok_or_else(|| {
                ApiError::validation("chat.access.group_ids", "must be a non-empty array of numbers")
            })?,
        };
        let status = self.group_status(&org, group).ok_or_else(|| ApiError::of("group_not_found"))?;
        if !self.customers[&cid].chat_ids.is_empty() {
            return Err(ApiError::of("chat_limit_reached"));
        }
        if active && !continuous && status == "offline" {
            return Err(ApiError::of("groups_offline"));
        }
        let chat_id = self.ids.id10();
        self.chats.insert(
            chat_id.clone(),
            Chat {
                id: chat_id.clone(),
                org,
                customer_id: cid.clone(),
                agent_ids: Vec::new(),
                properties: props.as_object().cloned().unwrap_or_default(),
                group_id: group,
                threads: Vec::new(),
                seen: Default::default(),
            },
        );
        if let Some(c) = self.customers.get_mut(&cid) {
            c.chat_ids.push(chat_id.clone());
            c.stats.chats += 1;
        }
        let (thread_id, event_ids, texts) =
            self.open_thread(&chat_id, &cid, active, tprops.as_object().cloned().unwrap_or_default(), events);
        let mut resp = json!({"chat_id": chat_id, "thread_id": thread_id});
        if !event_ids.is_empty() {
            resp["event_ids"] = json!(event_ids);
        }
        self.after_open(ctx, &chat_id, active, &texts);
        Ok(resp)
    }

    /// Creates a thread with initial events, routes it. Returns (thread id, event ids, message texts).
    fn open_thread(
        &mut self,
        chat_id: &str,
        cid: &str,
        active: bool,
        props: Map<String, Value>,
        events: Vec<Map<String, Value>>,
    ) -> (String, Vec<String>, Vec<String>) {
        let idx = self.new_thread(chat_id, active, props);
        if let Some(c) = self.customers.get_mut(cid) {
            c.stats.threads += 1;
        }
        if active {
            self.route(chat_id);
        }
        let mut ids = Vec::new();
        let mut texts = Vec::new();
        for body in events {
            if let Some(t) = message_text(&body) {
                texts.push(t);
            }
            let ev = self.append_event(chat_id, idx, body, Some(cid));
            ids.push(ev["id"].as_str().unwrap_or_default().to_string());
        }
        let now = self.clock.now();
        if let Some(c) = self.chats.get_mut(chat_id) {
            c.seen.insert(cid.to_string(), now);
        }
        (self.chats[chat_id].threads[idx].id.clone(), ids, texts)
    }

    /// Pushes after start/resume: incoming_chat (push-response), agent notice, queue, bot replies.
    fn after_open(&mut self, ctx: &Ctx, chat_id: &str, active: bool, texts: &[String]) {
        let chat = &self.chats[chat_id];
        let idx = chat.threads.len() - 1;
        let cid = chat.customer_id.clone();
        let cview = json!({ "chat": self.chat_json(chat, Some(idx), Viewer::Customer(&cid)) });
        let aview = json!({ "chat": self.chat_json(chat, Some(idx), Viewer::Agent) });
        let agents = chat.agent_ids.clone();
        self.push_customer(&cid, "incoming_chat", cview, ctx.req());
        for a in agents {
            self.push_agent(&a, "incoming_chat", aview.clone(), None);
        }
        if active && self.queue_position(chat_id).is_some() {
            self.queue_push(chat_id);
        }
        self.bot_reply(chat_id, texts);
    }

    fn resume_chat(&mut self, ctx: &Ctx, p: &Value) -> ApiResult<Value> {
        let cid = ctx.user.clone();
        let chat = req_obj(p, "chat", "chat")?;
        let chat = Value::Object(chat.clone());
        let chat_id = req_str(&chat, "id", "chat.id")?.to_string();
        let active = opt_bool(p, "active", "active")?.unwrap_or(true);
        let continuous = opt_bool(p, "continuous", "continuous")?.unwrap_or(false);
        let props = chat.get("properties").cloned().filter(|v| !v.is_null());
        if let Some(pr) = &props {
            check_properties(pr, "chat.properties")?;
        }
        let thread = chat.get("thread").cloned().filter(|v| !v.is_null()).unwrap_or_else(|| json!({}));
        let tprops = thread.get("properties").cloned().filter(|v| !v.is_null()).unwrap_or_else(|| json!({}));
        check_properties(&tprops, "chat.thread.properties")?;
        let events = self.validate_events(thread.get("events"), "chat.thread.events", false)?;
        let c = self.chat_for_customer(&cid, &chat_id)?;
        if c.active() {
            return Err(ApiError::of("chat_already_active"));
        }
        let status = self.group_status(&c.org, c.group_id).unwrap_or_else(|| "offline".into());
        if active && !continuous && status == "offline" {
            return Err(ApiError::of("groups_offline"));
        }
        if let (Some(pr), Some(c)) = (props, self.chats.get_mut(&chat_id)) {
            apply_props(&mut c.properties, &pr, false);
        }
        let (thread_id, event_ids, texts) =
            self.open_thread(&chat_id, &cid, active, tprops.as_object().cloned().unwrap_or_default(), events);
        let mut resp = json!({ "thread_id": thread_id });
        if !event_ids.is_empty() {
            resp["event_ids"] = json!(event_ids);
        }
        self.after_open(ctx, &chat_id, active, &texts);
        Ok(resp)
    }

    fn send_event(&mut self, ctx: &Ctx, p: &Value) -> ApiResult<Value> {
        let cid = ctx.user.clone();
        let chat_id = req_str(p, "chat_id", "chat_id")?.to_string();
        let ev = p.get("event").filter(|v| !v.is_null()).ok_or_else(|| ApiError::missing("event"))?;
        let attach = opt_bool(p, "attach_to_last_thread", "attach_to_last_thread")?.unwrap_or(false);
        let body = {
            let lookup = self.file_lookup();
            validate_event(ev, "event", false, &lookup)?
        };
        let chat = self.chat_for_customer(&cid, &chat_id)?;
        if chat.threads.is_empty() || (!chat.active() && !attach) {
            return Err(ApiError::of("chat_inactive"));
        }
        let idx = chat.threads.len() - 1;
        let thread_id = chat.threads[idx].id.clone();
        let text = message_text(&body);
        let event = self.append_event(&chat_id, idx, body, Some(&cid));
        let event_id = event["id"].clone();
        let payload = json!({"chat_id": chat_id, "thread_id": thread_id, "event": event});
        self.push_chat(&chat_id, "incoming_event", payload, ctx.req());
        if let Some(t) = text {
            self.bot_reply(&chat_id, &[t]);
        }
        Ok(json!({ "event_id": event_id }))
    }
}

pub fn apply_props(target: &mut Map<String, Value>, props: &Value, delete: bool) {
    let Some(m) = props.as_object() else { return };
    for (ns, inner) in m {
        if delete {
            if let (Some(names), Some(Value::Object(t))) = (inner.as_array(), target.get_mut(ns)) {
                for n in names.iter().filter_map(Value::as_str) {
                    t.remove(n);
                }
            }
        } else if let Some(src) = inner.as_object() {
            let entry = target.entry(ns.clone()).or_insert_with(|| json!({}));
            if let Some(t) = entry.as_object_mut() {
                for (k, v) in src {
                    t.insert(k.clone(), v.clone());
                }
            }
        }
    }
}

fn form_for(group: u64, ty: &str) -> ApiResult<Value> {
    let fields = match ty {
        "prechat" => json!([
            {"type": "header", "id": "170", "label": "Welcome to our chat!"},
            {"type": "name", "id": "171", "label": "Name:", "required": false},
            {"type": "email", "id": "172", "label": "E-mail:", "required": true},
            {"type": "group_chooser", "id": "173", "label": "Department:", "required": true,
             "options": [{"id": "0", "label": "General", "group_id": 0}]},
        ]),
        "postchat" => json!([
            {"type": "rating", "id": "180", "label": "How would you rate this chat?", "required": false,
             "comment_label": "Comment"},
            {"type": "textarea", "id": "181", "label": "Anything else?", "required": false},
        ]),
        "ticket" => json!([
            {"type": "header", "label": "Leave us a message"},
            {"type": "name", "label": "Name:", "required": true},
            {"type": "email", "label": "E-mail:", "required": true},
            {"type": "textarea", "label": "Message:", "required": true},
        ]),
        _ => return Err(ApiError::validation("type", "must be `prechat`, `postchat` or `ticket`")),
    };
    Ok(json!({"enabled": true, "form": {"id": format!("{ty}-{group}"), "fields": fields}}))
}
