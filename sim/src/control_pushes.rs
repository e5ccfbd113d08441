//! Control methods that make the service-side pushes no client request produces: an event
//! edited in the agent app (`event_updated`), the customer's side storage replaced
//! (`customer_side_storage_updated`).

use serde_json::{Map, Value, json};

use crate::Control;
use crate::util::ApiError;

impl Control {
    /// Edit a message's text (as an agent would in the LiveChat app): the stored event
    /// changes and the chat's users get `event_updated` with the whole event.
    pub fn update_event(&self, chat_id: &str, event_id: &str, text: &str) -> Result<(), ApiError> {
        self.with(|st| {
            let chat = st.chats.get_mut(chat_id).ok_or_else(|| ApiError::not_found("Chat"))?;
            let (thread_id, event) = chat
                .threads
                .iter_mut()
                .find_map(|t| {
                    let id = t.id.clone();
                    t.events.iter_mut().find(|e| e.v["id"] == event_id).map(|e| (id, e))
                })
                .ok_or_else(|| ApiError::not_found("Event"))?;
            event.v["text"] = json!(text);
            let v = event.v.clone();
            st.push_chat(
                chat_id,
                "event_updated",
                json!({"chat_id": chat_id, "thread_id": thread_id, "event": v}),
                None,
            );
            Ok(())
        })
    }

    /// Replace the customer's side storage: its sockets get `customer_side_storage_updated`.
    /// Returns 1 when the customer was online to get it.
    pub fn set_customer_side_storage(&self, customer_id: &str, storage: Map<String, Value>) -> usize {
        self.with(|st| {
            let online = st.customer_online(customer_id);
            st.push_customer(
                customer_id,
                "customer_side_storage_updated",
                json!({"customer_side_storage": Value::Object(storage)}),
                None,
            );
            usize::from(online)
        })
    }
}
