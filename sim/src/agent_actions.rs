//! The rest of the Agent Chat API's RTM actions (agent-api-3.6.md §3): starting and resuming
//! chats as an agent, archives, following, thread tags, customers (update, ban), multicast,
//! transfer candidates, away status. `agent.rs` has the chat basics; unknown actions still
//! fail with a validation error naming the action.

use std::collections::BTreeSet;

use crate::customer::{Ctx, page_ids, read_paging};
use crate::events::validate_event;
use crate::state::{Chat, Role, State, Viewer};
use crate::util::*;
use serde_json::{Map, Value, json};

/// Agents besides the requester an agent may add when starting a chat.
const MAX_EXTRA_AGENTS: usize = 4;

impl State {
    /// `None`: not one of these actions.
    pub fn agent_more_action(&mut self, ctx: &Ctx, action: &str, p: &Value) -> Option<ApiResult<Value>> {
        let me = ctx.user.clone();
        Some(match action {
            "start_chat" => self.agent_start_chat(ctx, p),
            "resume_chat" => self.agent_resume_chat(ctx, p),
            "list_archives" => self.list_archives(p),
            "follow_chat" => self.follow_chat(&me, p),
            "unfollow_chat" => self.unfollow_chat(&me, p),
            "tag_thread" | "untag_thread" => self.tag_thread(action == "tag_thread", p),
            "update_customer" => self.agent_update_customer(p),
            "ban_customer" => self.ban_customer(p),
            "multicast" => self.multicast(&me, p),
            "list_agents_for_transfer" => self.list_agents_for_transfer(p),
            "add_user_to_chat" => self.add_user_to_chat(&me, p),
            "remove_user_from_chat" => self.remove_user_from_chat(&me, p),
            "request_thread_summary" => self.request_thread_summary(&me, p),
            "set_away_status" => opt_bool(p, "away", "away")
                .and_then(|a| a.ok_or_else(|| ApiError::missing("away")))
                .map(|_| json!({})),
            _ => return None,
        })
    }

    /// Validated initial events of an agent's start/resume, authored by the agent.
    fn agent_initial_events(&self, thread: Option<&Value>) -> ApiResult<Vec<Map<String, Value>>> {
        let Some(events) = thread.and_then(|t| t.get("events")).filter(|v| !v.is_null()) else {
            return Ok(Vec::new());
        };
        let list = events
            .as_array()
            .ok_or_else(|| ApiError::validation("chat.thread.events", "must be an array"))?;
        list.iter()
            .enumerate()
            .map(|(i, e)| validate_event(e, &format!("chat.thread.events[{i}]"), true, &|_| None))
            .collect()
    }

    /// A new thread in `chat_id` served by `me`, with its events; pushes `incoming_chat` to
    /// the customer and the chat's agents (the requester's as the push-response).
    fn agent_open_thread(
        &mut self,
        ctx: &Ctx,
        chat_id: &str,
        active: bool,
        thread: Option<&Value>,
        events: Vec<Map<String, Value>>,
    ) -> Value {
        let props =
            thread.and_then(|t| t.get("properties")).and_then(Value::as_object).cloned().unwrap_or_default();
        if let Some(c) = self.chats.get_mut(chat_id)
            && !c.agent_ids.contains(&ctx.user)
        {
            c.agent_ids.push(ctx.user.clone());
        }
        let idx = self.new_thread(chat_id, active, props);
        let mut ids = Vec::new();
        for body in events {
            let ev = self.append_event(chat_id, idx, body, Some(&ctx.user));
            ids.push(ev["id"].clone());
        }
        let chat = &self.chats[chat_id];
        let cid = chat.customer_id.clone();
        let thread_id = chat.threads[idx].id.clone();
        let cview = json!({ "chat": self.chat_json(chat, Some(idx), Viewer::Customer(&cid)) });
        let aview =
            json!({ "chat": self.chat_json(chat, Some(idx), Viewer::Agent), "requester_id": ctx.user });
        let agents = chat.agent_ids.clone();
        self.push_customer(&cid, "incoming_chat", cview, None);
        for a in agents {
            let req = if a == ctx.user { ctx.req() } else { None };
            self.push_agent(&a, "incoming_chat", aview.clone(), req);
        }
        let mut resp = json!({ "thread_id": thread_id });
        if !ids.is_empty() {
            resp["event_ids"] = Value::Array(ids);
        }
        resp
    }

    fn agent_start_chat(&mut self, ctx: &Ctx, p: &Value) -> ApiResult<Value> {
        let chat = p.get("chat").filter(|v| !v.is_null()).cloned().unwrap_or_else(|| json!({}));
        let active = opt_bool(p, "active", "active")?.unwrap_or(true);
        let users = chat.get("users").and_then(Value::as_array).cloned().unwrap_or_default();
        let customers: Vec<&str> =
            users.iter().filter(|u| u["type"] == "customer").filter_map(|u| u["id"].as_str()).collect();
        let agents: Vec<&str> =
            users.iter().filter(|u| u["type"] == "agent").filter_map(|u| u["id"].as_str()).collect();
        let [customer] = customers.as_slice() else {
            return Err(ApiError::validation("chat.users", "must hold exactly one customer"));
        };
        if agents.len() > MAX_EXTRA_AGENTS {
            return Err(ApiError::validation(
                "chat.users",
                "may hold at most 4 agents besides the requester",
            ));
        }
        if let Some(a) = agents.iter().find(|a| !self.agents.contains_key(**a)) {
            return Err(ApiError::validation("chat.users", &format!("agent `{a}` does not exist")));
        }
        let cust = self.customers.get(*customer).ok_or_else(|| ApiError::not_found("Customer"))?;
        if cust.chat_ids.iter().any(|c| self.chats.get(c).is_some_and(Chat::active)) {
            return Err(ApiError::of("chat_limit_reached"));
        }
        if let Some(props) = chat.get("properties").filter(|v| !v.is_null()) {
            check_properties(props, "chat.properties")?;
        }
        let events = self.agent_initial_events(chat.get("thread"))?;
        let org = cust.org.clone();
        let customer = customer.to_string();
        let chat_id = self.ids.id10();
        let mut agent_ids = vec![ctx.user.clone()];
        agent_ids.extend(agents.iter().map(|a| a.to_string()).filter(|a| *a != ctx.user));
        self.chats.insert(
            chat_id.clone(),
            Chat {
                id: chat_id.clone(),
                org,
                customer_id: customer.clone(),
                agent_ids,
                properties: chat.get("properties").and_then(Value::as_object).cloned().unwrap_or_default(),
                group_id: 0,
                threads: Vec::new(),
                seen: Default::default(),
            },
        );
        if let Some(c) = self.customers.get_mut(&customer) {
            c.chat_ids.push(chat_id.clone());
            c.stats.chats += 1;
        }
        let mut resp = self.agent_open_thread(ctx, &chat_id, active, chat.get("thread"), events);
        resp["chat_id"] = json!(chat_id);
        Ok(resp)
    }

    fn agent_resume_chat(&mut self, ctx: &Ctx, p: &Value) -> ApiResult<Value> {
        let chat = Value::Object(req_obj(p, "chat", "chat")?.clone());
        let chat_id = req_str(&chat, "id", "chat.id")?.to_string();
        let active = opt_bool(p, "active", "active")?.unwrap_or(true);
        let existing = self.chats.get(&chat_id).ok_or_else(|| ApiError::not_found("Chat"))?;
        if existing.active() {
            return Err(ApiError::of("chat_already_active"));
        }
        if let Some(props) = chat.get("properties").filter(|v| !v.is_null()) {
            check_properties(props, "chat.properties")?;
            if let Some(c) = self.chats.get_mut(&chat_id) {
                crate::customer::apply_props(&mut c.properties, props, false);
            }
        }
        let events = self.agent_initial_events(chat.get("thread"))?;
        Ok(self.agent_open_thread(ctx, &chat_id, active, chat.get("thread"), events))
    }

    /// Inactive chats, newest first, each with its latest thread.
    fn list_archives(&self, p: &Value) -> ApiResult<Value> {
        let pg = read_paging(p, 10, 100, true, "agent_archives")?;
        let mut chats: Vec<&Chat> =
            self.chats.values().filter(|c| !c.threads.is_empty() && !c.active()).collect();
        let (s, e) = crate::customer::page_of_chats(&mut chats, &pg);
        let list: Vec<Value> = chats[s..e]
            .iter()
            .map(|c| self.chat_json(c, c.threads.len().checked_sub(1), Viewer::Agent))
            .collect();
        let mut out = json!({"chats": list, "found_chats": chats.len()});
        page_ids(&pg, "agent_archives", s, e, chats.len(), &mut out);
        Ok(out)
    }

    fn follow_chat(&mut self, me: &str, p: &Value) -> ApiResult<Value> {
        let chat_id = req_str(p, "id", "id")?.to_string();
        let chat = self.chats.get(&chat_id).ok_or_else(|| ApiError::not_found("Chat"))?;
        let member = chat.agent_ids.iter().any(|a| a == me);
        let newly = self.followed.entry(me.to_string()).or_default().insert(chat_id.clone());
        if newly && !member {
            let v = json!({ "chat": self.chat_json(chat, chat.threads.len().checked_sub(1), Viewer::Agent) });
            self.push_agent(me, "incoming_chat", v, None);
        }
        Ok(json!({}))
    }

    fn unfollow_chat(&mut self, me: &str, p: &Value) -> ApiResult<Value> {
        let chat_id = req_str(p, "id", "id")?.to_string();
        if !self.chats.contains_key(&chat_id) {
            return Err(ApiError::not_found("Chat"));
        }
        if self.followed.get_mut(me).is_some_and(|f| f.remove(&chat_id)) {
            self.push_agent(me, "chat_unfollowed", json!({ "chat_id": chat_id }), None);
        }
        Ok(json!({}))
    }

    fn tag_thread(&mut self, tag: bool, p: &Value) -> ApiResult<Value> {
        let chat_id = req_str(p, "chat_id", "chat_id")?.to_string();
        let thread_id = req_str(p, "thread_id", "thread_id")?.to_string();
        let name = req_str(p, "tag", "tag")?.to_string();
        let chat = self.chats.get_mut(&chat_id).ok_or_else(|| ApiError::not_found("Chat"))?;
        let idx = chat.thread_idx(&thread_id).ok_or_else(|| ApiError::not_found("Thread"))?;
        let tags = &mut chat.threads[idx].tags;
        let changed = if tag {
            !tags.contains(&name) && {
                tags.push(name.clone());
                true
            }
        } else {
            let before = tags.len();
            tags.retain(|t| *t != name);
            tags.len() != before
        };
        if changed {
            let push = if tag { "thread_tagged" } else { "thread_untagged" };
            self.push_chat_agents(
                &chat_id,
                push,
                json!({"chat_id": chat_id, "thread_id": thread_id, "tag": name}),
            );
        }
        Ok(json!({}))
    }

    fn agent_update_customer(&mut self, p: &Value) -> ApiResult<Value> {
        let id = req_str(p, "id", "id")?.to_string();
        if !self.customers.contains_key(&id) {
            return Err(ApiError::not_found("Customer"));
        }
        let any = ["name", "email", "avatar", "session_fields"]
            .iter()
            .any(|f| p.get(*f).is_some_and(|v| !v.is_null()));
        if !any {
            return Err(ApiError::validation("name", "at least one customer field is required"));
        }
        let changed = self.apply_customer_fields(&id, p, "", false)?;
        self.customer_updated(&id, changed);
        // The updated customer, as the docs answer.
        Ok(self.customer_json(&self.customers[&id], true))
    }

    /// The customer is disconnected with `customer_banned`; the agents get `customer_banned`.
    fn ban_customer(&mut self, p: &Value) -> ApiResult<Value> {
        let id = req_str(p, "id", "id")?.to_string();
        let ban = req_obj(p, "ban", "ban")?;
        let days = Value::Object(ban.clone())
            .get("days")
            .and_then(Value::as_u64)
            .ok_or_else(|| ApiError::validation("ban.days", "must be a whole number of days"))?;
        if !self.customers.contains_key(&id) {
            return Err(ApiError::not_found("Customer"));
        }
        let role = Role::Customer(id.clone());
        self.disconnect_where(|c| c.role == role, "customer_banned", None);
        let agents: Vec<String> = self.agents.keys().cloned().collect();
        for a in agents {
            self.push_agent(&a, "customer_banned", json!({"customer_id": id, "ban": {"days": days}}), None);
        }
        Ok(json!({}))
    }

    fn multicast(&mut self, me: &str, p: &Value) -> ApiResult<Value> {
        let recipients = req_obj(p, "recipients", "recipients")?;
        let agents = recipients.get("agents").and_then(Value::as_object).ok_or_else(|| {
            ApiError::validation("recipients.agents", "is required (customers were removed)")
        })?;
        let content =
            p.get("content").filter(|v| !v.is_null()).ok_or_else(|| ApiError::missing("content"))?;
        let all = agents.get("all").and_then(Value::as_bool).unwrap_or(false);
        let ids: BTreeSet<String> = agents
            .get("ids")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        let groups = agents.get("groups").and_then(Value::as_array).is_some_and(|g| !g.is_empty());
        if !all && ids.is_empty() && !groups {
            return Err(ApiError::validation("recipients.agents", "needs `all`, `ids` or `groups`"));
        }
        // Every simulated agent is in every group.
        let to: Vec<String> =
            self.agents.keys().filter(|a| all || groups || ids.contains(*a)).cloned().collect();
        let mut payload = json!({"author_id": me, "content": content});
        if let Some(t) = p.get("type").and_then(Value::as_str) {
            payload["type"] = json!(t);
        }
        for a in to {
            self.push_agent(&a, "incoming_multicast", payload.clone(), None);
        }
        Ok(json!({}))
    }

    /// Online agents (accepting or not) by their number of chats with customers, fewest first.
    fn list_agents_for_transfer(&self, p: &Value) -> ApiResult<Value> {
        let chat_id = req_str(p, "chat_id", "chat_id")?;
        let chat = self.chats.get(chat_id).ok_or_else(|| ApiError::not_found("Chat"))?;
        let mut list: Vec<(usize, String)> = self
            .agents
            .values()
            .filter(|a| !chat.agent_ids.contains(&a.id) && (a.is_bot || self.agent_online(&a.id)))
            .map(|a| (a.chats.len(), a.id.clone()))
            .collect();
        list.sort();
        Ok(Value::Array(list.into_iter().map(|(n, id)| json!({"agent_id": id, "active_chats": n})).collect()))
    }

    /// An agent joins (or the chat's own customer is re-added): `user_added_to_chat`.
    fn add_user_to_chat(&mut self, me: &str, p: &Value) -> ApiResult<Value> {
        let chat_id = req_str(p, "chat_id", "chat_id")?.to_string();
        let user_id = req_str(p, "user_id", "user_id")?.to_string();
        let user_type = req_str(p, "user_type", "user_type")?.to_string();
        let visibility = req_str(p, "visibility", "visibility")?.to_string();
        if visibility != "all" && visibility != "agents" {
            return Err(ApiError::validation("visibility", "must be `all` or `agents`"));
        }
        let chat = self.chats.get(&chat_id).ok_or_else(|| ApiError::not_found("Chat"))?;
        if !chat.active() {
            return Err(ApiError::of("chat_inactive"));
        }
        let user = match user_type.as_str() {
            "agent" => {
                let a = self.agents.get(&user_id).ok_or_else(|| ApiError::not_found("Agent"))?;
                let mut u = self.agent_json(a);
                u["visibility"] = json!(visibility);
                u
            }
            "customer" => {
                if visibility != "all" {
                    return Err(ApiError::validation("visibility", "a customer is added with `all`"));
                }
                if chat.customer_id != user_id {
                    return Err(ApiError::validation("user_id", "a chat has one customer"));
                }
                let c = self.customers.get(&user_id).ok_or_else(|| ApiError::not_found("Customer"))?;
                self.customer_json(c, false)
            }
            _ => return Err(ApiError::validation("user_type", "must be `agent` or `customer`")),
        };
        let thread_id = chat.threads.last().map(|t| t.id.clone()).unwrap_or_default();
        if let Some(c) = self.chats.get_mut(&chat_id)
            && user_type == "agent"
            && !c.agent_ids.contains(&user_id)
        {
            c.agent_ids.push(user_id.clone());
            if let Some(t) = c.threads.last_mut() {
                t.user_ids.push(user_id.clone());
            }
        }
        let payload = json!({"chat_id": chat_id, "thread_id": thread_id, "user": user, "reason": "manual", "requester_id": me});
        self.push_chat(&chat_id, "user_added_to_chat", payload, None);
        Ok(json!({}))
    }

    /// An agent leaves (customers cannot be removed): `user_removed_from_chat`.
    fn remove_user_from_chat(&mut self, me: &str, p: &Value) -> ApiResult<Value> {
        let chat_id = req_str(p, "chat_id", "chat_id")?.to_string();
        let user_id = req_str(p, "user_id", "user_id")?.to_string();
        if req_str(p, "user_type", "user_type")? != "agent" {
            return Err(ApiError::validation("user_type", "only agents can be removed"));
        }
        let chat = self.chats.get(&chat_id).ok_or_else(|| ApiError::not_found("Chat"))?;
        if !chat.agent_ids.contains(&user_id) {
            return Err(ApiError::not_found("User"));
        }
        let thread_id = chat.threads.last().map(|t| t.id.clone()).unwrap_or_default();
        let payload = json!({"chat_id": chat_id, "thread_id": thread_id, "user_id": user_id, "reason": "manual", "requester_id": me});
        // Pushed while the agent is still a user, so it hears of it too.
        self.push_chat(&chat_id, "user_removed_from_chat", payload, None);
        if let Some(c) = self.chats.get_mut(&chat_id) {
            c.agent_ids.retain(|a| *a != user_id);
        }
        if let Some(a) = self.agents.get_mut(&user_id) {
            a.chats.remove(&chat_id);
        }
        Ok(json!({}))
    }

    /// The summary comes as `thread_summary_set` to the requester.
    fn request_thread_summary(&mut self, me: &str, p: &Value) -> ApiResult<Value> {
        let chat_id = req_str(p, "chat_id", "chat_id")?.to_string();
        let thread_id = req_str(p, "thread_id", "thread_id")?.to_string();
        let chat = self.chats.get(&chat_id).ok_or_else(|| ApiError::not_found("Chat"))?;
        let idx = chat.thread_idx(&thread_id).ok_or_else(|| ApiError::not_found("Thread"))?;
        let n = chat.threads[idx].events.len();
        let now = self.clock.now();
        let summary = json!({"status": "ok", "text": format!("{n} events"), "updated_at": now});
        self.push_agent(
            me,
            "thread_summary_set",
            json!({"chat_id": chat_id, "thread_id": thread_id, "summary": summary}),
            None,
        );
        Ok(json!({}))
    }
}
