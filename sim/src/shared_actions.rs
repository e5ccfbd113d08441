//! Actions both sides share with the same payloads and pushes: chat, thread and event
//! properties (update and delete) and rich message postbacks. Only the access rule
//! differs: a customer acts on its own chats, an agent on any it can open.

use serde_json::{Value, json};

use crate::customer::apply_props;
use crate::state::{Chat, State};
use crate::util::*;

/// Who is asking: the access rule of [`State::chat_for`].
#[derive(Clone, Copy)]
pub enum Who<'a> {
    Customer(&'a str),
    Agent(&'a str),
}

impl Who<'_> {
    pub fn user(&self) -> &str {
        match self {
            Who::Customer(id) | Who::Agent(id) => id,
        }
    }
}

/// The request's `properties`, required.
fn properties_of(p: &Value) -> ApiResult<&Value> {
    p.get("properties").filter(|v| !v.is_null()).ok_or_else(|| ApiError::missing("properties"))
}

/// A delete names properties; an update gives them with their values.
fn check_change(props: &Value, del: bool) -> ApiResult<()> {
    if del { check_property_names(props, "properties") } else { check_properties(props, "properties") }
}

impl State {
    /// The chat `who` may act on.
    pub fn chat_for(&self, who: Who<'_>, chat_id: &str) -> ApiResult<&Chat> {
        match who {
            Who::Customer(cid) => self.chat_for_customer(cid, chat_id),
            Who::Agent(_) => self.chats.get(chat_id).ok_or_else(|| ApiError::not_found("Chat")),
        }
    }

    /// `None`: not one of these actions.
    pub fn shared_action(&mut self, who: Who<'_>, action: &str, p: &Value) -> Option<ApiResult<Value>> {
        const ACTIONS: &[&str] = &[
            "send_rich_message_postback",
            "update_chat_properties",
            "delete_chat_properties",
            "update_thread_properties",
            "delete_thread_properties",
            "update_event_properties",
            "delete_event_properties",
        ];
        ACTIONS.contains(&action).then(|| self.run_shared_action(who, action, p))
    }

    fn run_shared_action(&mut self, who: Who<'_>, action: &str, p: &Value) -> ApiResult<Value> {
        match action {
            "send_rich_message_postback" => {
                let chat_id = req_str(p, "chat_id", "chat_id")?.to_string();
                let thread_id = req_str(p, "thread_id", "thread_id")?.to_string();
                let event_id = req_str(p, "event_id", "event_id")?.to_string();
                let pb = req_obj(p, "postback", "postback")?;
                let pbv = Value::Object(pb.clone());
                req_str(&pbv, "id", "postback.id")?;
                opt_bool(&pbv, "toggled", "postback.toggled")?
                    .ok_or_else(|| ApiError::missing("postback.toggled"))?;
                let chat = self.chat_for(who, &chat_id)?;
                let ti = chat.thread_idx(&thread_id).ok_or_else(|| ApiError::not_found("Thread"))?;
                if !chat.threads[ti].events.iter().any(|e| e.id() == event_id) {
                    return Err(ApiError::not_found("Event"));
                }
                if chat.threads[ti].active {
                    let payload = json!({"user_id": who.user(), "chat_id": chat_id, "thread_id": thread_id, "event_id": event_id, "postback": pbv});
                    self.push_chat(&chat_id, "incoming_rich_message_postback", payload, None);
                }
                Ok(json!({}))
            }
            "update_chat_properties" | "delete_chat_properties" => {
                let chat_id = req_str(p, "id", "id")?.to_string();
                let props = properties_of(p)?;
                self.chat_for(who, &chat_id)?;
                let del = action.starts_with("delete");
                check_change(props, del)?;
                if let Some(c) = self.chats.get_mut(&chat_id) {
                    apply_props(&mut c.properties, props, del);
                }
                let push = if del { "chat_properties_deleted" } else { "chat_properties_updated" };
                self.push_chat(&chat_id, push, json!({"chat_id": chat_id, "properties": props}), None);
                Ok(json!({}))
            }
            "update_thread_properties" | "delete_thread_properties" => {
                let chat_id = req_str(p, "chat_id", "chat_id")?.to_string();
                let thread_id = req_str(p, "thread_id", "thread_id")?.to_string();
                let props = properties_of(p)?;
                let chat = self.chat_for(who, &chat_id)?;
                let ti = chat.thread_idx(&thread_id).ok_or_else(|| ApiError::not_found("Thread"))?;
                let del = action.starts_with("delete");
                check_change(props, del)?;
                if let Some(c) = self.chats.get_mut(&chat_id) {
                    apply_props(&mut c.threads[ti].properties, props, del);
                }
                let push = if del { "thread_properties_deleted" } else { "thread_properties_updated" };
                let payload = json!({"chat_id": chat_id, "thread_id": thread_id, "properties": props});
                self.push_chat(&chat_id, push, payload, None);
                Ok(json!({}))
            }
            "update_event_properties" | "delete_event_properties" => {
                let chat_id = req_str(p, "chat_id", "chat_id")?.to_string();
                let thread_id = req_str(p, "thread_id", "thread_id")?.to_string();
                let event_id = req_str(p, "event_id", "event_id")?.to_string();
                let props = properties_of(p)?;
                let chat = self.chat_for(who, &chat_id)?;
                let ti = chat.thread_idx(&thread_id).ok_or_else(|| ApiError::not_found("Thread"))?;
                let ei = chat.threads[ti]
                    .events
                    .iter()
                    .position(|e| e.id() == event_id && !e.deleted)
                    .ok_or_else(|| ApiError::not_found("Event"))?;
                let del = action.starts_with("delete");
                check_change(props, del)?;
                if let Some(c) = self.chats.get_mut(&chat_id) {
                    let ev = &mut c.threads[ti].events[ei].v;
                    if !ev["properties"].is_object() {
                        ev["properties"] = json!({});
                    }
                    if let Some(m) = ev["properties"].as_object_mut() {
                        apply_props(m, props, del);
                    }
                }
                let push = if del { "event_properties_deleted" } else { "event_properties_updated" };
                let payload = json!({"chat_id": chat_id, "thread_id": thread_id, "event_id": event_id, "properties": props});
                self.push_chat(&chat_id, push, payload, None);
                Ok(json!({}))
            }
            _ => Err(ApiError::validation("action", &format!("`{action}` is not a known action"))),
        }
    }
}
