//! Every v3.6 customer push, from samples built on the field tables of customer-api-3.6.md §4,
//! parsed through `Event::from_push`.

use livechat_core::customer::Event;
use livechat_core::customer::events::EventKind;
use livechat_core::customer::pushes::*;
use livechat_core::model::{ChatEvent, GroupStatus, Recipients, User};
use serde_json::{Value, json};

fn push(action: &str, payload: Value) -> Event {
    let ev = Event::from_push(action, payload).unwrap_or_else(|e| panic!("{action}: {e}"));
    assert_eq!(ev.kind().as_str(), action, "wrong event kind");
    ev
}

#[test]
fn incoming_chat() {
    let Event::IncomingChat(p) = push(
        "incoming_chat",
        json!({
            "requester_id": "c1",
            "chat": {
                "id": "PJ0MRSHTDG",
                "users": [
                    {"id": "c1", "type": "customer", "name": "Jane", "present": true,
                     "events_seen_up_to": "2019-12-17T07:57:41.512000Z"},
                    {"id": "a@x.com", "type": "agent", "name": "Bob", "avatar": "https://a", "job_title": "Support",
                     "present": true}
                ],
                "properties": {"routing": {"continuous": false}},
                "access": {"group_ids": [0]},
                "thread": {
                    "id": "K600PKZON8", "created_at": "2019-12-17T07:57:41.512000Z", "active": true,
                    "user_ids": ["c1", "a@x.com"],
                    "events": [{"id": "K600PKZON8_1", "type": "message", "text": "hi", "author_id": "c1",
                                "created_at": "2019-12-17T07:57:41.512000Z"}],
                    "properties": {"lc2": {"queue_pos": 2}},
                    "access": {"group_ids": [0]},
                    "queue": {"position": 2, "wait_time": 120, "queued_at": "2019-12-17T07:57:41.512000Z"}
                },
                "transferred_from": {"group_ids": [1], "agent_ids": ["b@x.com"]}
            }
        }),
    ) else {
        panic!()
    };
    assert_eq!(p.requester_id.as_deref(), Some("c1"));
    assert_eq!(p.chat.id, "PJ0MRSHTDG");
    assert_eq!(p.chat.users.len(), 2);
    assert!(matches!(p.chat.users[1], User::Agent(ref a) if a.job_title.as_deref() == Some("Support")));
    let t = p.chat.thread.as_ref().unwrap();
    assert!(t.active);
    assert_eq!(t.queue.as_ref().unwrap().wait_time, Some(120));
    assert_eq!(t.events[0].id(), Some("K600PKZON8_1"));
    assert_eq!(t.properties["lc2"]["queue_pos"], 2);
    assert_eq!(p.chat.transferred_from.as_ref().unwrap().agent_ids, ["b@x.com"]);
    assert_eq!(p.chat.access.as_ref().unwrap().group_ids, [0]);
}

#[test]
fn chat_deactivated_with_and_without_user() {
    let Event::ChatDeactivated(p) =
        push("chat_deactivated", json!({"chat_id": "C", "thread_id": "T", "user_id": "c1"}))
    else {
        panic!()
    };
    assert_eq!((p.chat_id.as_str(), p.thread_id.as_str(), p.user_id.as_deref()), ("C", "T", Some("c1")));
    let Event::ChatDeactivated(p) = push("chat_deactivated", json!({"chat_id": "C", "thread_id": "T"}))
    else {
        panic!()
    };
    assert_eq!(p.user_id, None);
}

#[test]
fn chat_transferred() {
    let Event::ChatTransferred(p) = push(
        "chat_transferred",
        json!({"chat_id": "C", "thread_id": "T", "requester_id": "a@x.com", "reason": "manual",
               "transferred_to": {"group_ids": [19], "agent_ids": ["b@x.com"]},
               "queue": {"position": 42, "wait_time": 1337, "queued_at": "2019-12-09T12:01:18.909000Z"}}),
    ) else {
        panic!()
    };
    assert_eq!(p.transferred_to.group_ids, [19]);
    assert_eq!(p.queue.unwrap().position, Some(42));
    assert_eq!(p.reason.as_deref(), Some("manual"));
}

#[test]
fn user_added_and_removed() {
    let Event::UserAddedToChat(p) = push(
        "user_added_to_chat",
        json!({"chat_id": "C", "thread_id": "T", "reason": "manual", "requester_id": "a@x.com",
               "user": {"id": "b@x.com", "type": "agent", "name": "B", "present": false}}),
    ) else {
        panic!()
    };
    assert_eq!(p.user.id(), "b@x.com");
    assert_eq!(p.user.present(), Some(false));
    assert_eq!(p.reason.as_deref(), Some("manual"));
    assert_eq!(p.requester_id.as_deref(), Some("a@x.com"));

    // An unknown user type in the push is kept, the push still parses.
    let Event::UserAddedToChat(p) =
        push("user_added_to_chat", json!({"chat_id": "C", "user": {"id": "z", "type": "droid"}}))
    else {
        panic!()
    };
    assert!(matches!(p.user, User::Other(_)));
    assert_eq!(p.thread_id, None);

    let Event::UserRemovedFromChat(p) = push(
        "user_removed_from_chat",
        json!({"chat_id": "C", "thread_id": "T", "user_id": "b@x.com", "reason": "manual"}),
    ) else {
        panic!()
    };
    assert_eq!(p.user_id, "b@x.com");
    assert_eq!(p.requester_id, None);
}

#[test]
fn event_pushes() {
    let Event::IncomingEventPreview(p) = push(
        "incoming_event_preview",
        json!({"chat_id": "C", "thread_id": "T", "event": {"created_at": "2025-01-01T00:00:00.000000Z",
               "type": "message", "text": "typ", "author_id": "a", "custom_id": "cx"}}),
    ) else {
        panic!()
    };
    assert_eq!(p.event.id(), None);
    assert!(matches!(p.event, ChatEvent::Message(ref m) if m.text == "typ"));

    let Event::IncomingEvent(p) = push(
        "incoming_event",
        json!({"chat_id": "C", "thread_id": "T", "event": {"id": "T_3", "type": "file", "url": "https://u",
               "name": "a.pdf", "content_type": "application/pdf", "size": 10}}),
    ) else {
        panic!()
    };
    assert_eq!(p.event.kind(), "file");
    assert!(matches!(p.event, ChatEvent::File(ref f) if !f.is_image() && f.size == Some(10)));

    // An unknown event type does not break the push.
    let Event::IncomingEvent(p) = push(
        "incoming_event",
        json!({"chat_id": "C", "thread_id": "T", "event": {"id": "T_4", "type": "poll", "q": "?"}}),
    ) else {
        panic!()
    };
    assert!(p.event.is_unknown());
    assert_eq!(p.event.id(), Some("T_4"));

    let Event::EventDeleted(p) =
        push("event_deleted", json!({"chat_id": "C", "thread_id": "T", "event_id": "T_3"}))
    else {
        panic!()
    };
    assert_eq!(p.event_id, "T_3");

    let Event::EventUpdated(p) = push(
        "event_updated",
        json!({"chat_id": "C", "thread_id": "T", "event": {"id": "T_1", "type": "custom", "content": {"a": 1}}}),
    ) else {
        panic!()
    };
    assert!(matches!(p.event, ChatEvent::Custom(ref c) if c.content == Some(json!({"a": 1}))));

    let Event::IncomingRichMessagePostback(p) = push(
        "incoming_rich_message_postback",
        json!({"user_id": "c1", "chat_id": "C", "thread_id": "T", "event_id": "T_2",
               "postback": {"id": "Buy", "toggled": true, "button_type": "message", "button_value": "buy",
                            "ecommerce": {"product_id": "p1", "option_id": "o1", "quantity": 3}}}),
    ) else {
        panic!()
    };
    assert!(p.postback.toggled);
    assert_eq!(p.postback.button_value.as_deref(), Some("buy"));
    assert_eq!(p.postback.ecommerce.unwrap().quantity, Some(3));
}

#[test]
fn property_pushes() {
    let Event::ChatPropertiesUpdated(p) =
        push("chat_properties_updated", json!({"chat_id": "C", "properties": {"rating": {"score": 1}}}))
    else {
        panic!()
    };
    assert_eq!(p.properties["rating"]["score"], 1);
    let Event::ChatPropertiesDeleted(p) = push(
        "chat_properties_deleted",
        json!({"chat_id": "C", "properties": {"rating": ["score", "comment"]}}),
    ) else {
        panic!()
    };
    assert_eq!(p.properties["rating"], ["score", "comment"]);
    let Event::ThreadPropertiesUpdated(p) = push(
        "thread_properties_updated",
        json!({"chat_id": "C", "thread_id": "T", "properties": {"lc2": {"queue_pos": 3, "queue_waiting_time": 60}}}),
    ) else {
        panic!()
    };
    assert_eq!(p.properties["lc2"]["queue_waiting_time"], 60);
    let Event::ThreadPropertiesDeleted(p) = push(
        "thread_properties_deleted",
        json!({"chat_id": "C", "thread_id": "T", "properties": {"lc2": ["x"]}}),
    ) else {
        panic!()
    };
    assert_eq!(p.thread_id, "T");
    let Event::EventPropertiesUpdated(p) = push(
        "event_properties_updated",
        json!({"chat_id": "C", "thread_id": "T", "event_id": "E", "properties": {"ns": {"k": "v"}}}),
    ) else {
        panic!()
    };
    assert_eq!(p.properties["ns"]["k"], "v");
    let Event::EventPropertiesDeleted(p) = push(
        "event_properties_deleted",
        json!({"chat_id": "C", "thread_id": "T", "event_id": "E", "properties": {"ns": ["k"]}}),
    ) else {
        panic!()
    };
    assert_eq!(p.event_id, "E");
}

#[test]
fn customer_pushes() {
    let Event::CustomerUpdated(p) = push(
        "customer_updated",
        json!({"id": "c1", "name": "New", "session_fields": [{"a": "b"}], "address": {"country": "PL"}}),
    ) else {
        panic!()
    };
    assert_eq!(p.name.as_deref(), Some("New"));
    assert_eq!(p.email, None);
    assert_eq!(p.session_fields.unwrap()[0]["a"], "b");
    assert_eq!(p.address.unwrap().country.as_deref(), Some("PL"));

    let Event::CustomerSideStorageUpdated(p) = push(
        "customer_side_storage_updated",
        json!({"customer_side_storage": {"visitor_id": "v1", "k": "v"}}),
    ) else {
        panic!()
    };
    assert_eq!(p.customer_side_storage["visitor_id"], "v1");

    let Event::CustomerDisconnected(p) =
        push("customer_disconnected", json!({"reason": "misdirected_connection", "data": {"region": "fra"}}))
    else {
        panic!()
    };
    assert_eq!(p.reason, "misdirected_connection");
    assert_eq!(p.data.unwrap()["region"], "fra");
    let Event::CustomerDisconnected(p) =
        push("customer_disconnected", json!({"reason": "connection_timeout"}))
    else {
        panic!()
    };
    assert_eq!(p.data, None);

    let Event::GroupsStatusUpdated(p) = push(
        "groups_status_updated",
        json!({"groups": [{"id": 0, "status": "online"}, {"id": 3, "status": "online_for_queue"},
                          {"id": 5, "status": "offline"}, {"id": 7, "status": "sleepy"}]}),
    ) else {
        panic!()
    };
    assert_eq!(p.status_of(0), Some(&GroupStatus::Online));
    assert_eq!(p.groups[1].status, GroupStatus::OnlineForQueue);
    assert_eq!(p.groups[2].status, GroupStatus::Offline);
    assert_eq!(p.groups[3].status, GroupStatus::Other("sleepy".into()));
}

#[test]
fn indicator_and_other_pushes() {
    let Event::IncomingThinkingIndicator(p) = push(
        "incoming_thinking_indicator",
        json!({"chat_id": "C", "thread_id": "T", "author_id": "bot", "sent_at": "2025-01-01T00:00:00.123456Z",
               "title": "Thinking...", "description": "Looking it up", "custom_id": "x"}),
    ) else {
        panic!()
    };
    assert_eq!(p.title.as_deref(), Some("Thinking..."));
    assert_eq!(p.sent_at.as_deref(), Some("2025-01-01T00:00:00.123456Z"));

    let Event::IncomingTypingIndicator(p) = push(
        "incoming_typing_indicator",
        json!({"chat_id": "C", "thread_id": "T",
               "typing_indicator": {"author_id": "a", "recipients": "all", "timestamp": 1574245378, "is_typing": true}}),
    ) else {
        panic!()
    };
    assert!(p.typing_indicator.is_typing);
    assert_eq!(p.typing_indicator.timestamp, Some(1574245378));
    assert_eq!(p.typing_indicator.recipients, Some(Recipients::All));

    let Event::IncomingMulticast(p) =
        push("incoming_multicast", json!({"author_id": "a", "type": "lc2", "content": {"x": [1]}}))
    else {
        panic!()
    };
    assert_eq!(p.content["x"][0], 1);
    assert_eq!(p.kind.as_deref(), Some("lc2"));

    let Event::EventsMarkedAsSeen(p) = push(
        "events_marked_as_seen",
        json!({"user_id": "a", "chat_id": "C", "seen_up_to": "2017-10-12T15:19:21.010200Z"}),
    ) else {
        panic!()
    };
    assert_eq!(p.seen_up_to, "2017-10-12T15:19:21.010200Z");

    let Event::QueuePositionUpdated(p) = push(
        "queue_position_updated",
        json!({"chat_id": "C", "thread_id": "T", "queue": {"position": 4, "wait_time": 90}}),
    ) else {
        panic!()
    };
    assert_eq!(p.queue, QueuePosition { position: Some(4), wait_time: Some(90) });
}

#[test]
fn greeting_pushes() {
    let Event::IncomingGreeting(g) = push(
        "incoming_greeting",
        json!({
            "id": 7, "unique_id": "Q10X0W041P", "displayed_first_time": true, "addon": "email",
            "subtype": "announcement", "is_exit_intent": false,
            "event": {"id": "Q_1", "type": "rich_message", "template_id": "cards", "created_at": "2019-12-17T07:57:41.512000Z",
                      "elements": [{"title": "Hi", "buttons": [{"text": "Go", "type": "url", "value": "https://x",
                                                                 "button_id": "btn-1"}]}]},
            "agent": {"id": "a@x.com", "name": "Bob", "avatar": "https://a", "job_title": "Support",
                      "is_bot": false, "type": "agent"}
        }),
    ) else {
        panic!()
    };
    assert_eq!(g.id, 7);
    assert_eq!(g.unique_id, "Q10X0W041P");
    assert!(g.displayed_first_time);
    assert_eq!(g.is_exit_intent, Some(false));
    assert_eq!(g.agent.as_ref().unwrap().is_bot, Some(false));
    let Some(ChatEvent::RichMessage(rm)) = &g.event else { panic!("greeting event: {:?}", g.event) };
    assert_eq!(rm.elements[0].buttons[0].button_id.as_deref(), Some("btn-1"));

    let Event::GreetingAccepted(p) = push("greeting_accepted", json!({"unique_id": "U"})) else { panic!() };
    assert_eq!(p.unique_id, "U");
    let Event::GreetingCanceled(p) = push("greeting_canceled", json!({"unique_id": "U2"})) else { panic!() };
    assert_eq!(p.unique_id, "U2");

    let Event::IncomingWelcomeMessage(p) = push(
        "incoming_welcome_message",
        json!({"id": "wm-1", "event": {"created_at": "2025-01-01T00:00:00.000000Z", "type": "message",
                                       "text": "Welcome!", "author_id": "bot"}}),
    ) else {
        panic!()
    };
    assert_eq!(p.id.as_deref(), Some("wm-1"));
    assert_eq!(p.event.author_id(), Some("bot"));
}

#[test]
fn every_push_kind_is_covered_and_unknown_pushes_are_kept() {
    // 29 push kinds plus the 12 client-only kinds (`resynced` the latest) and UnknownPush.
    assert_eq!(EventKind::ALL.len(), 29 + 12 + 1);
    assert_eq!(EventKind::from_name("resynced"), Some(EventKind::Resynced));
    let ev = push_unknown();
    assert!(matches!(ev, Event::UnknownPush { ref action, .. } if action == "brand_new_push"));
}

fn push_unknown() -> Event {
    Event::from_push("brand_new_push", json!({"x": 1})).unwrap()
}

#[test]
fn a_known_push_with_a_wrong_shape_is_an_error_naming_it() {
    let err = Event::from_push("incoming_event", json!({"chat_id": 5})).unwrap_err();
    assert_eq!(err.action, "incoming_event");
    assert!(err.message.contains("chat_id") || err.message.contains("invalid type"), "{}", err.message);
}

/// Every queued, cloned and buffered event costs its enum's size: large payloads are boxed
/// so one rich variant does not make every `connection_recovered` 600 bytes.
#[test]
fn events_stay_small_so_queues_stay_cheap() {
    assert!(std::mem::size_of::<livechat_core::customer::Event>() <= 128);
    assert!(std::mem::size_of::<livechat_core::agent::AgentEvent>() <= 128);
}
