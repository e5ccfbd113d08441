//! What the service sends and this version does not model survives a decode and a
//! re-encode (a relay or a store of chats loses nothing).

use livechat_core::model::{Chat, ChatEvent, User};
use serde_json::{Value, json};

#[test]
fn a_chat_keeps_every_field_it_does_not_model() {
    let sent = json!({
        "id": "CH1",
        "is_followed": true,
        "users": [
            {"id": "cu", "type": "customer", "name": "C", "visit": {"started_at": "2026-12-02T10:00:00Z"}, "followed": false},
            {"id": "ag@x", "type": "agent", "name": "A", "email": "ag@x", "visibility": "all", "permission": "normal"}
        ],
        "thread": {
            "id": "T1", "active": true, "tags": ["vip"], "summary": {"status": "ok"},
            "customer_visit": {"ip": "1.2.3.4"},
            "events": [
                {"id": "E1", "type": "message", "text": "hi", "author_id": "cu", "brand_new_field": {"x": 1}},
                {"id": "E2", "type": "file", "url": "https://f/x", "author_id": "ag@x", "thumbnail_url": "https://f/t",
                 "future": [1, 2]},
                {"id": "E3", "type": "a_type_from_the_future", "anything": true}
            ]
        }
    });
    let chat: Chat = serde_json::from_value(sent.clone()).unwrap();
    assert_eq!(chat.extra.get("is_followed"), Some(&json!(true)));
    let thread = chat.thread.as_ref().unwrap();
    assert_eq!(thread.extra.get("tags"), Some(&json!(["vip"])));
    let ChatEvent::Message(m) = &thread.events[0] else { panic!("{:?}", thread.events[0]) };
    assert_eq!(m.extra.get("brand_new_field"), Some(&json!({"x": 1})));
    assert!(m.extra.get("type").is_none(), "the tag is the enum, not an extra field");
    let User::Customer(c) = &chat.users[0] else { panic!() };
    assert_eq!(c.extra.get("followed"), Some(&json!(false)));
    // Re-encoded, it is what was sent.
    assert_eq!(serde_json::to_value(&chat).unwrap(), sent);
}

#[test]
fn an_event_with_only_known_fields_re_encodes_without_additions() {
    let sent = json!({"id": "E1", "type": "message", "text": "hi"});
    let e: ChatEvent = serde_json::from_value(sent.clone()).unwrap();
    let back: Value = serde_json::to_value(&e).unwrap();
    assert_eq!(back, sent);
}
