//! The Customer SDK's method list, written once.
//!
//! Every transport implements [`Exec`] (one function: carry an [`Op`] to its driver and
//! give back the decoded result, as a future or as a value) and gets every method below
//! for free. Method names follow the v5 Customer SDK docs in Rust spelling
//! (`startChat` → [`CustomerApi::start_chat`]).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::actions::*;
use super::commands::CustomerCommand;
use super::events::Event;
use crate::client::Op;
use crate::engine::{HistoryId, HistoryPage};
pub use crate::hub::Listen;
use crate::model::{Chat, ChatEvent, Customer, DeletedProperties, FormType, Properties, RichMessagePostback};
use crate::request::CustomerRequest;

pub use crate::client::Exec;

/// `rateChat`'s rating: `score` 0 (bad) or 1 (good), and/or a comment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rating {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl Rating {
    pub fn good() -> Rating {
        Rating { score: Some(1), comment: None }
    }
    pub fn bad() -> Rating {
        Rating { score: Some(0), comment: None }
    }
    pub fn with_comment(mut self, comment: impl Into<String>) -> Rating {
        self.comment = Some(comment.into());
        self
    }
}

/// The Customer SDK v5 methods, for any transport.
pub trait CustomerApi: Exec<Command = CustomerCommand> + Listen<Event = Event> {
    crate::client::shared_calls!(CustomerRequest);

    fn accept_greeting(&self, greeting_id: u64, unique_id: &str) -> Self::Out<Empty> {
        self.call(&AcceptGreeting::new(greeting_id, unique_id))
    }

    fn cancel_greeting(&self, unique_id: &str) -> Self::Out<Empty> {
        self.call(&CancelGreeting::new(unique_id))
    }

    /// Delete rating properties of the chat's latest thread (`["score"]` when empty).
    fn cancel_rate(&self, chat_id: &str, properties: &[&str]) -> Self::Out<Empty> {
        let properties = properties.iter().map(|p| p.to_string()).collect();
        self.exec(
            "cancel_rate",
            Op::Side(CustomerCommand::CancelRate { chat_id: chat_id.to_string(), properties }),
        )
    }

    fn deactivate_chat(&self, chat_id: &str) -> Self::Out<Empty> {
        self.call(&DeactivateChat::new(chat_id))
    }

    fn delete_chat_properties(&self, chat_id: &str, properties: DeletedProperties) -> Self::Out<Empty> {
        self.call(&DeleteChatProperties::new(chat_id, properties))
    }

    fn delete_thread_properties(
        &self,
        chat_id: &str,
        thread_id: &str,
        properties: DeletedProperties,
    ) -> Self::Out<Empty> {
        self.call(&DeleteThreadProperties::new(chat_id, thread_id, properties))
    }

    fn delete_event_properties(
        &self,
        chat_id: &str,
        thread_id: &str,
        event_id: &str,
        properties: DeletedProperties,
    ) -> Self::Out<Empty> {
        self.call(&DeleteEventProperties::new(chat_id, thread_id, event_id, properties))
    }

    fn delete_event(&self, chat_id: &str, thread_id: &str, event_id: &str) -> Self::Out<Empty> {
        self.call(&DeleteEvent::new(chat_id, thread_id, event_id))
    }

    /// The chat with its latest thread (or `thread_id`).
    fn get_chat(&self, chat_id: &str, thread_id: Option<&str>) -> Self::Out<Chat> {
        match thread_id {
            Some(t) => self.call(&GetChat::thread(chat_id, t)),
            None => self.call(&GetChat::new(chat_id)),
        }
    }

    fn get_customer(&self) -> Self::Out<Customer> {
        self.call(&GetCustomer {})
    }

    fn get_form(&self, group_id: u64, kind: FormType) -> Self::Out<GetFormResponse> {
        self.call(&GetForm::new(group_id, kind))
    }

    /// Still in API 3.6 (removed in 3.7 and from the v5 SDK).
    fn get_predicted_agent(&self) -> Self::Out<GetPredictedAgentResponse> {
        self.call(&GetPredictedAgent::default())
    }

    /// `image_url` comes with a scheme: the service sends a scheme-less CDN address, which
    /// the Customer SDK prefixes with `https://` ([`GetUrlInfoResponse::image_url`]).
    /// `auth.getFreshToken()`: fetch a new token now (the cookie grant or your identity
    /// provider, asked for a fresh one), keep it for the next login and for uploads, and
    /// resolve once it came; read it with the client's `token()`. A failed fetch resolves
    /// with its error (`TOKEN_FETCH_FAILED`, …) and the session keeps the token it has.
    fn refresh_token(&self) -> Self::Out<()> {
        self.exec("refresh_token", Op::FreshToken)
    }

    fn get_url_info(&self, url: &str) -> Self::Out<GetUrlInfoResponse> {
        self.call(&GetUrlInfo::new(url))
    }

    /// At most 25 per page (checked before sending).
    fn list_chats(&self, req: ListChats) -> Self::Out<ListChatsResponse> {
        self.call(&req)
    }

    /// Neither `all` nor `group_ids` (`Default::default()`) asks for every group, as the
    /// Customer SDK documents for omitted ids (the service refuses an empty payload).
    fn list_group_statuses(&self, req: ListGroupStatuses) -> Self::Out<ListGroupStatusesResponse> {
        if req.all.is_none() && req.group_ids.is_none() {
            return self.call(&ListGroupStatuses::all());
        }
        self.call(&req)
    }

    fn list_threads(&self, req: ListThreads) -> Self::Out<ListThreadsResponse> {
        self.call(&req)
    }

    /// `seen_up_to`: RFC 3339 timestamp.
    fn mark_events_as_seen(&self, chat_id: &str, seen_up_to: &str) -> Self::Out<Empty> {
        self.call(&MarkEventsAsSeen::new(chat_id, seen_up_to))
    }

    /// Rate the chat's latest thread; `MISSING_CHAT_THREAD` if it has none.
    fn rate_chat(&self, chat_id: &str, rating: Rating) -> Self::Out<Empty> {
        self.exec("rate_chat", Op::Side(CustomerCommand::RateChat { chat_id: chat_id.to_string(), rating }))
    }

    fn request_welcome_message(
        &self,
        req: RequestWelcomeMessage,
    ) -> Self::Out<RequestWelcomeMessageResponse> {
        self.call(&req)
    }

    fn resume_chat(&self, req: ResumeChat) -> Self::Out<ResumeChatResponse> {
        self.call(&req)
    }

    /// Send an event, exactly once: it gets a `custom_id`, and a send caught in a
    /// connection drop is confirmed in the chat or re-sent after the next login.
    fn send_event(&self, chat_id: &str, event: ChatEvent) -> Self::Out<SendEventResponse> {
        self.call(&SendEvent::new(chat_id, event))
    }

    /// A text message (`send_event` with a `message` event).
    fn send_message(&self, chat_id: &str, text: &str) -> Self::Out<SendEventResponse> {
        self.send_event(chat_id, ChatEvent::message(text))
    }

    fn send_rich_message_postback(
        &self,
        chat_id: &str,
        thread_id: &str,
        event_id: &str,
        postback: RichMessagePostback,
    ) -> Self::Out<Empty> {
        self.call(&SendRichMessagePostback::new(chat_id, thread_id, event_id, postback))
    }

    fn send_greeting_button_clicked(&self, greeting_unique_id: &str, button_id: &str) -> Self::Out<Empty> {
        self.call(&SendGreetingButtonClicked::new(greeting_unique_id, button_id))
    }

    /// At most 100 fields (checked before sending).
    fn set_customer_session_fields(&self, fields: &[(&str, &str)]) -> Self::Out<Empty> {
        self.call(&SetCustomerSessionFields::from_pairs(fields.iter().copied()))
    }

    /// Sent only to an active chat while connected; otherwise dropped, as in the SDK.
    fn set_sneak_peek(&self, chat_id: &str, text: &str) -> Self::Out<Value> {
        self.exec(
            "set_sneak_peek",
            Op::Side(CustomerCommand::SneakPeek { chat_id: chat_id.to_string(), text: text.to_string() }),
        )
    }

    fn start_chat(&self, req: StartChat) -> Self::Out<StartChatResponse> {
        self.call(&req)
    }

    fn update_chat_properties(&self, chat_id: &str, properties: Properties) -> Self::Out<Empty> {
        self.call(&UpdateChatProperties::new(chat_id, properties))
    }

    fn update_thread_properties(
        &self,
        chat_id: &str,
        thread_id: &str,
        properties: Properties,
    ) -> Self::Out<Empty> {
        self.call(&UpdateThreadProperties::new(chat_id, thread_id, properties))
    }

    fn update_event_properties(
        &self,
        chat_id: &str,
        thread_id: &str,
        event_id: &str,
        properties: Properties,
    ) -> Self::Out<Empty> {
        self.call(&UpdateEventProperties::new(chat_id, thread_id, event_id, properties))
    }

    fn update_customer(&self, req: UpdateCustomer) -> Self::Out<Empty> {
        self.call(&req)
    }

    /// Merge into the stored page; sent now when connected (the result is the response
    /// payload), otherwise with the next login (the result is `null`).
    fn update_customer_page(&self, url: Option<&str>, title: Option<&str>) -> Self::Out<Value> {
        self.exec(
            "update_customer_page",
            Op::Side(CustomerCommand::UpdatePage {
                url: url.map(str::to_string),
                title: title.map(str::to_string),
            }),
        )
    }

    /// Start a history iterator (transports wrap it as a stream or iterator of pages).
    fn history_open(&self, chat_id: &str) -> Self::Out<HistoryId> {
        self.exec("history_open", Op::HistoryOpen { chat_id: chat_id.to_string() })
    }

    /// The next page, oldest thread first; `done` on the last page.
    fn history_next(&self, history: HistoryId) -> Self::Out<HistoryPage> {
        self.exec("history_next", Op::HistoryNext { history })
    }

    fn history_close(&self, history: HistoryId) -> Self::Out<()> {
        self.exec("history_close", Op::HistoryClose { history })
    }
}
