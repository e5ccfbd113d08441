//! Agent Chat API actions (the subset a real agent client needs to chat with customers).

use crate::customer::{Ctx, page_ids, page_window, read_paging};
use crate::events::validate_event;
use crate::state::{Role, State, Viewer};
use crate::util::*;
use base64::Engine;
use serde_json::{Value, json};

impl State {
    /// Resolves an agent login token (`Bearer <token>` or `Basic base64(account_id:pat)`).
    pub fn agent_for_token(&self, token: &str) -> Option<String> {
        if let Some(t) = token.strip_prefix("Bearer ") {
            let known = t == self.cfg.agent_token || self.lifetimes.agent_tokens.contains(t);
            return known.then(|| self.cfg.agent_id.clone());
        }
        if let Some(b) = token.strip_prefix("Basic ") {
            let raw = base64::engine::general_purpose::STANDARD.decode(b.trim()).ok()?;
            let s = String::from_utf8(raw).ok()?;
            let (acc, pat) = s.split_once(':')?;
            return (acc == self.cfg.agent_account_id && pat == self.cfg.agent_pat)
                .then(|| self.cfg.agent_id.clone());
        }
        None
    }

    pub fn agent_login(&mut self, conn: u64, p: &Value) -> ApiResult<(String, Value)> {
        let token = req_str(p, "token", "token")?;
        if let Some(e) = self.login_rejection() {
            return Err(e);
        }
        let agent_id = self.agent_for_token(token).ok_or_else(|| ApiError::of("authentication"))?;
        let away = opt_bool(p, "away", "away")?.unwrap_or(false);
        self.set_role(conn, Role::Agent(agent_id.clone()));
        let org = self.conns.get(&conn).map(|c| c.org.clone()).unwrap_or_default();
        let now = self.clock.now();
        let a = self.agents.get_mut(&agent_id).ok_or_else(|| ApiError::of("authentication"))?;
        a.routing_status = if away { "not_accepting_chats".into() } else { "accepting_chats".into() };
        let a = &self.agents[&agent_id];
        let mut chats: Vec<Value> = Vec::new();
        for chat_id in a.chats.iter() {
            if let Some(c) = self.chats.get(chat_id) {
                chats.push(self.chat_summary(c, Viewer::Agent));
            }
        }
        let resp = json!({
            "license": {"id": "104130623", "organization_id": org, "plan": "enterprise",
                        "expiration_timestamp": 4102444800u64, "creation_timestamp": 1609459200u64, "in_trial": false},
            "my_profile": {"id": a.id, "type": "agent", "name": a.name, "email": a.id, "present": true,
                           "events_seen_up_to": now, "avatar": a.avatar, "job_title": a.job_title,
                           "routing_status": a.routing_status, "permission": "owner"},
            "chats_summary": chats,
            "timestamp": self.now_unix(),
        });
        self.drain_queue();
        Ok((agent_id, resp))
    }

    fn agent_chat_check(&self, agent: &str, chat_id: &str) -> ApiResult<()> {
        let chat = self.chats.get(chat_id).ok_or_else(|| ApiError::not_found("Chat"))?;
        let _ = agent;
        let _ = chat;
        Ok(())
    }

    pub fn agent_action(&mut self, ctx: &Ctx, action: &str, p: &Value) -> ApiResult<Value> {
        let me = ctx.user.clone();
        match action {
            "get_chat" => {
                let chat_id = req_str(p, "chat_id", "chat_id")?;
                let chat = self.chats.get(chat_id).ok_or_else(|| ApiError::not_found("Chat"))?;
                let idx = match opt_str(p, "thread_id", "thread_id")? {
                    Some(t) => Some(chat.thread_idx(t).ok_or_else(|| ApiError::not_found("Thread"))?),
                    None => chat.threads.len().checked_sub(1),
                };
                let mut v = self.chat_json(chat, idx, Viewer::Agent);
                v["is_followed"] = json!(chat.agent_ids.contains(&me));
                Ok(v)
            }
            "list_chats" => {
                let pg = read_paging(p, 10, 100, false, "agent_chats")?;
                let active_filter = p.get("filters").and_then(|f| f.get("active")).and_then(Value::as_bool);
                // Every chat the agent has access to, not only those it serves: queued ones
                // and the bot's included, as `get_chat` allows. The simulator's agent
                // accounts serve every group (and every organization: routing gives them
                // chats of any), so that is every chat.
                let mut chats: Vec<_> =
                    self.chats.values().filter(|c| active_filter.is_none_or(|a| c.active() == a)).collect();
                let (s, e) = crate::customer::page_of_chats(&mut chats, &pg);
                let list: Vec<Value> =
                    chats[s..e].iter().map(|c| self.chat_summary(c, Viewer::Agent)).collect();
                let mut out = json!({"chats_summary": list, "found_chats": chats.len()});
                page_ids(&pg, "agent_chats", s, e, chats.len(), &mut out);
                Ok(out)
            }
            "list_threads" => {
                let chat_id = req_str(p, "chat_id", "chat_id")?;
                let chat = self.chats.get(chat_id).ok_or_else(|| ApiError::not_found("Chat"))?;
                let pg = read_paging(p, 3, 100, true, &format!("athreads:{chat_id}"))?;
                let mut order: Vec<usize> = (0..chat.threads.len()).collect();
                if pg.desc {
                    order.reverse();
                }
                let sizes: Vec<usize> = order.iter().map(|i| chat.threads[*i].events.len()).collect();
                let (s, e) = page_window(&pg, &sizes);
                let threads: Vec<Value> =
                    order[s..e].iter().map(|i| self.thread_json(chat, *i, Viewer::Agent)).collect();
                let mut out = json!({"threads": threads, "found_threads": chat.threads.len()});
                page_ids(&pg, &format!("athreads:{chat_id}"), s, e, order.len(), &mut out);
                Ok(out)
            }
            "send_event" => {
                let chat_id = req_str(p, "chat_id", "chat_id")?.to_string();
                let ev = p.get("event").filter(|v| !v.is_null()).ok_or_else(|| ApiError::missing("event"))?;
                let body = validate_event(ev, "event", true, &|_| None)?;
                self.agent_chat_check(&me, &chat_id)?;
                let chat = &self.chats[&chat_id];
                let attach = opt_bool(p, "attach_to_last_thread", "attach_to_last_thread")?.unwrap_or(false);
                if chat.threads.is_empty() || (!chat.active() && !attach) {
                    return Err(ApiError::of("chat_inactive"));
                }
                let idx = chat.threads.len() - 1;
                let thread_id = chat.threads[idx].id.clone();
                let author =
                    p.get("author_id").and_then(Value::as_str).map(str::to_string).unwrap_or(me.clone());
                let event = self.append_event(&chat_id, idx, body, Some(&author));
                let event_id = event["id"].clone();
                self.push_chat(
                    &chat_id,
                    "incoming_event",
                    json!({"chat_id": chat_id, "thread_id": thread_id, "event": event}),
                    ctx.req(),
                );
                // An agent writing in a chat it is not part of joins it (not present).
                if !self.chats[&chat_id].agent_ids.contains(&me)
                    && let Some(c) = self.chats.get_mut(&chat_id)
                {
                    c.agent_ids.push(me.clone());
                }
                Ok(json!({ "event_id": event_id }))
            }
            "send_typing_indicator" => {
                let chat_id = req_str(p, "chat_id", "chat_id")?.to_string();
                let is_typing =
                    opt_bool(p, "is_typing", "is_typing")?.ok_or_else(|| ApiError::missing("is_typing"))?;
                self.agent_chat_check(&me, &chat_id)?;
                self.typing(&chat_id, &me, is_typing)?;
                Ok(json!({}))
            }
            "send_thinking_indicator" => {
                let chat_id = req_str(p, "chat_id", "chat_id")?.to_string();
                let title = opt_str(p, "title", "title")?.map(str::to_string);
                let desc = opt_str(p, "description", "description")?.map(str::to_string);
                self.thinking(&chat_id, &me, title.as_deref(), desc.as_deref())?;
                Ok(json!({}))
            }
            "send_event_preview" => {
                let chat_id = req_str(p, "chat_id", "chat_id")?.to_string();
                let ev = req_obj(p, "event", "event")?;
                let text =
                    ev.get("text").and_then(Value::as_str).ok_or_else(|| ApiError::missing("event.text"))?;
                self.event_preview(&chat_id, &me, text)?;
                Ok(json!({}))
            }
            "set_routing_status" => {
                let status = req_str(p, "status", "status")?.to_string();
                if !["accepting_chats", "not_accepting_chats", "offline"].contains(&status.as_str()) {
                    return Err(ApiError::validation(
                        "status",
                        "must be accepting_chats, not_accepting_chats or offline",
                    ));
                }
                let target = opt_str(p, "agent_id", "agent_id")?.map(str::to_string).unwrap_or(me.clone());
                self.set_routing_status(&target, &status)?;
                Ok(json!({}))
            }
            "deactivate_chat" => {
                let chat_id = req_str(p, "id", "id")?.to_string();
                let chat = self.chats.get(&chat_id).ok_or_else(|| ApiError::not_found("Chat"))?;
                if !chat.active() {
                    return Err(ApiError::of("chat_inactive"));
                }
                self.deactivate(&chat_id, Some(&me), "manual_archived_agent", "Chat archived by the agent");
                Ok(json!({}))
            }
            "transfer_chat" => {
                let chat_id = req_str(p, "id", "id")?.to_string();
                let target = req_obj(p, "target", "target")?;
                let tv = Value::Object(target.clone());
                let ty = req_str(&tv, "type", "target.type")?.to_string();
                let ids = tv
                    .get("ids")
                    .and_then(Value::as_array)
                    .cloned()
                    .ok_or_else(|| ApiError::missing("target.ids"))?;
                match ty.as_str() {
                    "group" => {
                        let g = ids
                            .first()
                            .and_then(Value::as_u64)
                            .ok_or_else(|| ApiError::validation("target.ids", "must hold a group id"))?;
                        self.transfer(&chat_id, Some(g), None, Some(&me))?;
                    }
                    "agent" => {
                        let a = ids
                            .first()
                            .and_then(Value::as_str)
                            .ok_or_else(|| ApiError::validation("target.ids", "must hold an agent id"))?;
                        self.transfer(&chat_id, None, Some(a), Some(&me))?;
                    }
                    _ => return Err(ApiError::validation("target.type", "must be `group` or `agent`")),
                }
                Ok(json!({}))
            }
            "mark_events_as_seen" => {
                let chat_id = req_str(p, "chat_id", "chat_id")?.to_string();
                let seen = req_str(p, "seen_up_to", "seen_up_to")?.to_string();
                if let Some(c) = self.chats.get_mut(&chat_id) {
                    c.seen.insert(me.clone(), seen.clone());
                } else {
                    return Err(ApiError::not_found("Chat"));
                }
                self.push_chat(
                    &chat_id,
                    "events_marked_as_seen",
                    json!({"user_id": me, "chat_id": chat_id, "seen_up_to": seen}),
                    None,
                );
                Ok(json!({}))
            }
            "get_customer" => {
                let id = req_str(p, "id", "id")?;
                let c = self.customers.get(id).ok_or_else(|| ApiError::not_found("Customer"))?;
                Ok(self.customer_json(c, false))
            }
            "list_routing_statuses" => {
                let list: Vec<Value> = self
                    .agents
                    .values()
                    .map(|a| json!({"agent_id": a.id, "status": a.routing_status}))
                    .collect();
                Ok(Value::Array(list))
            }
            "logout" => Ok(json!({})),
            "update_session" => self.agent_update_session(&me, p),
            _ => self
                .agent_more_action(ctx, action, p)
                .or_else(|| self.shared_action(crate::shared_actions::Who::Agent(&me), action, p))
                .unwrap_or_else(|| {
                    Err(ApiError::validation("action", &format!("`{action}` is not a known action")))
                }),
        }
    }

    pub fn set_routing_status(&mut self, agent_id: &str, status: &str) -> ApiResult<()> {
        let a = self.agents.get_mut(agent_id).ok_or_else(|| ApiError::not_found("Agent"))?;
        a.routing_status = status.to_string();
        self.push_agent(
            agent_id,
            "routing_status_set",
            json!({"agent_id": agent_id, "status": status}),
            None,
        );
        self.drain_queue();
        Ok(())
    }

    fn active_thread(&self, chat_id: &str) -> ApiResult<String> {
        let chat = self.chats.get(chat_id).ok_or_else(|| ApiError::not_found("Chat"))?;
        chat.threads
            .last()
            .filter(|t| t.active)
            .map(|t| t.id.clone())
            .ok_or_else(|| ApiError::of("chat_inactive"))
    }

    pub fn typing(&mut self, chat_id: &str, author: &str, is_typing: bool) -> ApiResult<()> {
        let thread_id = self.active_thread(chat_id)?;
        let ts = self.now_unix();
        let payload = json!({"chat_id": chat_id, "thread_id": thread_id,
            "typing_indicator": {"author_id": author, "recipients": "all", "timestamp": ts, "is_typing": is_typing}});
        let cid = self.chats[chat_id].customer_id.clone();
        self.push_customer(&cid, "incoming_typing_indicator", payload, None);
        Ok(())
    }

    pub fn thinking(
        &mut self,
        chat_id: &str,
        author: &str,
        title: Option<&str>,
        desc: Option<&str>,
    ) -> ApiResult<()> {
        let thread_id = self.active_thread(chat_id)?;
        let now = self.clock.now();
        let custom = self.ids.id10();
        let payload = json!({"chat_id": chat_id, "thread_id": thread_id, "author_id": author, "sent_at": now,
            "title": title.unwrap_or("Thinking..."), "description": desc.unwrap_or(""), "custom_id": custom});
        let cid = self.chats[chat_id].customer_id.clone();
        self.push_customer(&cid, "incoming_thinking_indicator", payload, None);
        Ok(())
    }

    pub fn event_preview(&mut self, chat_id: &str, author: &str, text: &str) -> ApiResult<()> {
        let thread_id = self.active_thread(chat_id)?;
        let now = self.clock.now();
        let custom = self.ids.id10();
        let payload = json!({"chat_id": chat_id, "thread_id": thread_id,
            "event": {"created_at": now, "type": "message", "text": text, "author_id": author, "custom_id": custom}});
        let cid = self.chats[chat_id].customer_id.clone();
        self.push_customer(&cid, "incoming_event_preview", payload, None);
        Ok(())
    }

    /// Transfers a chat to a group or an agent; the old agents leave, the new one joins (or queue).
    pub fn transfer(
        &mut self,
        chat_id: &str,
        group: Option<u64>,
        agent: Option<&str>,
        requester: Option<&str>,
    ) -> ApiResult<()> {
        let chat = self.chats.get(chat_id).ok_or_else(|| ApiError::not_found("Chat"))?;
        if let Some(g) = group
            && self.group_status(&chat.org, g).is_none()
        {
            return Err(ApiError::of("group_not_found"));
        }
        if let Some(a) = agent
            && !self.agents.contains_key(a)
        {
            return Err(ApiError::not_found("Agent"));
        }
        let thread_id = chat.threads.last().filter(|t| t.active).map(|t| t.id.clone());
        let old = chat.agent_ids.clone();
        self.release(chat_id);
        if let Some(c) = self.chats.get_mut(chat_id) {
            if let Some(g) = group {
                c.group_id = g;
            }
            c.agent_ids.clear();
            if let Some(t) = c.threads.last_mut() {
                t.user_ids.retain(|u| !old.contains(u));
            }
        }
        for a in &old {
            let mut p = json!({"chat_id": chat_id, "user_id": a, "reason": "manual"});
            if let Some(t) = &thread_id {
                p["thread_id"] = json!(t);
            }
            if let Some(r) = requester {
                p["requester_id"] = json!(r);
            }
            self.push_chat(chat_id, "user_removed_from_chat", p.clone(), None);
            self.push_agent(a, "user_removed_from_chat", p, None);
        }
        let mut new_agent = None;
        if thread_id.is_some() {
            new_agent = match agent {
                Some(a) => {
                    if let Some(c) = self.chats.get_mut(chat_id) {
                        c.agent_ids.push(a.to_string());
                        if let Some(t) = c.threads.last_mut() {
                            t.user_ids.push(a.to_string());
                        }
                    }
                    if let Some(ag) = self.agents.get_mut(a) {
                        ag.chats.insert(chat_id.to_string());
                    }
                    Some(a.to_string())
                }
                None => self.route(chat_id),
            };
        }
        let g = self.chats[chat_id].group_id;
        let mut payload = json!({"chat_id": chat_id, "requester_id": requester.unwrap_or(""),
            "transferred_to": {"group_ids": group.map(|x| vec![x]).unwrap_or_default(),
                               "agent_ids": agent.map(|a| vec![a.to_string()]).unwrap_or_default()}});
        if let Some(t) = &thread_id {
            payload["thread_id"] = json!(t);
        }
        if group.is_none() && agent.is_none() {
            payload["transferred_to"]["group_ids"] = json!([g]);
        }
        if let Some(pos) = self.queue_position(chat_id) {
            let at = self.chats[chat_id].threads.last().and_then(|t| t.queued_at.clone());
            payload["queue"] = json!({"position": pos, "wait_time": pos * 30, "queued_at": at});
        }
        let cid = self.chats[chat_id].customer_id.clone();
        self.push_customer(&cid, "chat_transferred", payload.clone(), None);
        // The agents involved (the ones who left and the one who got the chat) see it too,
        // with the agent page's `reason`.
        payload["reason"] = json!("manual");
        let mut agents = old.clone();
        agents.extend(new_agent.iter().cloned());
        agents.sort();
        agents.dedup();
        for a in agents {
            self.push_agent(&a, "chat_transferred", payload.clone(), None);
        }
        if let Some(a) = new_agent {
            self.announce_agent(chat_id, &a, "manual");
        } else if self.queue_position(chat_id).is_some() {
            self.queue_push(chat_id);
        }
        Ok(())
    }
}
