//! Property tests: typed models never fail on odd JSON and re-serialise stably.

use livechat_core::model::{ChatEvent, User};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

const KEYS: &[&str] = &[
    "type",
    "id",
    "custom_id",
    "text",
    "url",
    "form_id",
    "fields",
    "template_id",
    "elements",
    "system_message_type",
    "content",
    "properties",
    "recipients",
    "details",
    "answer",
    "buttons",
    "name",
];
const TYPES: &[&str] = &[
    "message",
    "file",
    "form",
    "filled_form",
    "rich_message",
    "system_message",
    "system",
    "custom",
    "customer",
    "agent",
    "mystery",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<u32>().prop_map(Value::from),
        prop::sample::select(TYPES).prop_map(Value::from),
        "[a-z]{0,6}".prop_map(Value::from),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..6).prop_map(|kv| {
                Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect::<Map<_, _>>())
            }),
        ]
    })
}

/// An object whose `type` is one of the interesting ones, with random other fields.
fn typed_object() -> impl Strategy<Value = Value> {
    (prop::sample::select(TYPES), prop::collection::vec((prop::sample::select(KEYS), json_value()), 0..6))
        .prop_map(|(t, kv)| {
            let mut m: Map<String, Value> = kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
            m.insert("type".into(), json!(t));
            Value::Object(m)
        })
}

/// A well-formed event of each known type, plus random extra fields that may or may not break it.
fn plausible_event() -> impl Strategy<Value = Value> {
    let base = prop_oneof![
        "[a-z ]{0,8}".prop_map(|t| json!({"type": "message", "text": t})),
        "[a-z]{1,8}".prop_map(|u| json!({"type": "file", "url": u, "width": 3, "height": 4})),
        Just(json!({"type": "form", "form_id": "f", "fields": [{"type": "name", "id": "1", "label": "N"}]})),
        Just(json!({"type": "filled_form", "form_id": "f", "fields": [
            {"type": "name", "answer": "x"}, {"type": "radio", "answer": {"id": "1"}}, {"type": "c", "answer": 3}]})),
        Just(json!({"type": "rich_message", "template_id": "cards", "elements": [
            {"title": "t", "buttons": [{"type": "url", "value": "v"}, {"type": "zap"}]}]})),
        Just(json!({"type": "system_message", "system_message_type": "agent_joined"})),
        Just(json!({"type": "system", "details": "{}", "version": 2})),
        json_value().prop_map(|c| json!({"type": "custom", "content": c})),
    ];
    (base, prop::collection::vec((prop::sample::select(KEYS), json_value()), 0..3)).prop_map(|(mut b, kv)| {
        for (k, v) in kv {
            if k != "type" {
                b[k] = v;
            }
        }
        b
    })
}

proptest! {
    #[test]
    fn chat_event_never_fails_and_round_trips(
        v in prop_oneof![json_value(), typed_object(), plausible_event(), plausible_event()]
    ) {
        let ev: ChatEvent = serde_json::from_value(v.clone()).expect("ChatEvent must accept any JSON");
        if let ChatEvent::Unknown(raw) = &ev {
            prop_assert_eq!(raw, &v);
        }
        let again: ChatEvent = serde_json::from_value(serde_json::to_value(&ev).unwrap()).unwrap();
        prop_assert_eq!(&again, &ev);
        prop_assert_eq!(again.kind(), ev.kind());
        prop_assert_eq!(again.id(), ev.id());
    }

    #[test]
    fn user_never_fails_and_round_trips(v in prop_oneof![json_value(), typed_object()]) {
        let user: User = serde_json::from_value(v.clone()).expect("User must accept any JSON");
        if let User::Other(raw) = &user {
            prop_assert_eq!(raw, &v);
        }
        let again: User = serde_json::from_value(serde_json::to_value(&user).unwrap()).unwrap();
        prop_assert_eq!(again, user);
    }
}
