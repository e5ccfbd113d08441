//! Requests serialise to the exact wire payloads of customer-api-3.6.md §3, and the main
//! responses parse from samples built on its field tables.

use std::collections::BTreeMap;
use std::fmt::Debug;

use livechat_core::customer::actions::*;
use livechat_core::model::*;
use livechat_core::request::{CustomerRequest, Request, decode_response};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

/// `req` serialises to exactly `expected`, parses back from it, and names `action`.
fn wire<R>(req: R, action: &str, expected: Value)
where
    R: CustomerRequest + DeserializeOwned + PartialEq + Debug,
{
    assert_eq!(R::ACTION, action);
    assert_eq!(serde_json::to_value(&req).unwrap(), expected, "{action}");
    assert_eq!(serde_json::from_value::<R>(expected).unwrap(), req, "{action}");
}

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

fn props(v: Value) -> Properties {
    serde_json::from_value(v).unwrap()
}

#[test]
fn login_request_wire_shape_and_redacted_debug() {
    wire(Login::new("Bearer dal:abc"), "login", json!({"token": "Bearer dal:abc"}));

    let full = Login {
        token: "Bearer dal:secret-token".into(),
        customer: Some(LoginCustomer {
            name: Some("Jane".into()),
            email: Some("jane@example.com".into()),
            avatar: None,
            session_fields: Some(vec![obj(json!({"plan": "pro"})), obj(json!({"a": "b"}))]),
            address: Some(Address { city: Some("Berlin".into()), ..Address::default() }),
        }),
        customer_page: Some(CustomerPage { url: "https://shop.example/".into(), title: Some("Shop".into()) }),
        customer_side_storage: Some(obj(json!({"k": "v"}))),
        is_mobile: Some(false),
        group_id: Some(0),
        referrer: Some("https://google.com/".into()),
        application: Some(Application {
            name: "livechat-rs".into(),
            version: "0.1.0".into(),
            channel_type: Some("code".into()),
        }),
        pushes: Some(BTreeMap::from([("3.6".to_string(), vec!["incoming_chat".to_string()])])),
        tab_id: Some("tab-1".into()),
    };
    let debug = format!("{full:?}");
    assert!(!debug.contains("secret-token"), "{debug}");
    assert!(debug.contains("token: \"<redacted>\""), "{debug}");
    assert!(debug.contains("tab-1"), "{debug}");
    wire(
        full,
        "login",
        json!({
            "token": "Bearer dal:secret-token",
            "customer": {"name": "Jane", "email": "jane@example.com",
                         "session_fields": [{"plan": "pro"}, {"a": "b"}], "address": {"city": "Berlin"}},
            "customer_page": {"url": "https://shop.example/", "title": "Shop"},
            "customer_side_storage": {"k": "v"},
            "is_mobile": false,
            "group_id": 0,
            "referrer": "https://google.com/",
            "application": {"name": "livechat-rs", "version": "0.1.0", "channel_type": "code"},
            "pushes": {"3.6": ["incoming_chat"]},
            "tab_id": "tab-1"
        }),
    );
}

#[test]
fn chat_requests_wire_shape() {
    wire(ListChats::new(), "list_chats", json!({}));
    wire(
        ListChats { limit: Some(25), sort_order: Some(SortOrder::Asc), page_id: None },
        "list_chats",
        json!({"limit": 25, "sort_order": "asc"}),
    );
    wire(ListChats::page("MTUxNzM5ODEzMTQ5Ng=="), "list_chats", json!({"page_id": "MTUxNzM5ODEzMTQ5Ng=="}));
    wire(
        ListThreads {
            sort_order: Some(SortOrder::Desc),
            min_events_count: Some(20),
            ..ListThreads::new("C")
        },
        "list_threads",
        json!({"chat_id": "C", "sort_order": "desc", "min_events_count": 20}),
    );
    wire(ListThreads::page("C", "P2"), "list_threads", json!({"chat_id": "C", "page_id": "P2"}));
    wire(GetChat::new("C"), "get_chat", json!({"chat_id": "C"}));
    wire(GetChat::thread("C", "T"), "get_chat", json!({"chat_id": "C", "thread_id": "T"}));
    wire(StartChat::new(), "start_chat", json!({}));
    let mut start = StartChat::with_events(vec![ChatEvent::message("hello").with_custom_id("c-1")]);
    start.active = Some(true);
    start.continuous = Some(false);
    if let Some(chat) = start.chat.as_mut() {
        chat.access = Some(Access { group_ids: vec![1] });
        chat.properties = Some(props(json!({"source": {"customer_client_id": "x"}})));
    }
    wire(
        start,
        "start_chat",
        json!({"chat": {"properties": {"source": {"customer_client_id": "x"}}, "access": {"group_ids": [1]},
                        "thread": {"events": [{"type": "message", "text": "hello", "custom_id": "c-1"}]}},
               "active": true, "continuous": false}),
    );
    let mut resume = ResumeChat::new("C");
    resume.chat.thread = Some(InitialThread {
        events: vec![ChatEvent::file("https://cdn.livechat-files.com/api/file/x.png")],
        properties: Some(props(json!({"lc2": {"greeting_unique_id": "U"}}))),
    });
    resume.continuous = Some(true);
    wire(
        resume,
        "resume_chat",
        json!({"chat": {"id": "C", "thread": {
                   "events": [{"type": "file", "url": "https://cdn.livechat-files.com/api/file/x.png"}],
                   "properties": {"lc2": {"greeting_unique_id": "U"}}}},
               "continuous": true}),
    );
    wire(DeactivateChat::new("C"), "deactivate_chat", json!({"id": "C"}));
}

#[test]
fn event_requests_wire_shape() {
    wire(
        SendEvent::new("PW94SJTGW6", ChatEvent::message("hello world").with_recipients(Recipients::All)),
        "send_event",
        json!({"chat_id": "PW94SJTGW6", "event": {"type": "message", "text": "hello world", "recipients": "all"}}),
    );
    wire(
        SendEvent::new("C", ChatEvent::custom(json!({"k": 1}))).attach_to_last_thread(),
        "send_event",
        json!({"chat_id": "C", "event": {"type": "custom", "content": {"k": 1}}, "attach_to_last_thread": true}),
    );
    wire(
        DeleteEvent::new("C", "T", "E"),
        "delete_event",
        json!({"chat_id": "C", "thread_id": "T", "event_id": "E"}),
    );
    wire(
        SendRichMessagePostback::new("C", "T", "E", RichMessagePostback::new("Yes")),
        "send_rich_message_postback",
        json!({"chat_id": "C", "thread_id": "T", "event_id": "E", "postback": {"id": "Yes", "toggled": true}}),
    );
    let pb = RichMessagePostback {
        id: "buy".into(),
        toggled: true,
        button_type: Some("message".into()),
        button_value: Some("Buy".into()),
        ecommerce: Some(EcommercePostback { product_id: "p1".into(), option_id: None, quantity: Some(2) }),
    };
    wire(
        SendRichMessagePostback::new("C", "T", "E", pb),
        "send_rich_message_postback",
        json!({"chat_id": "C", "thread_id": "T", "event_id": "E", "postback": {
            "id": "buy", "toggled": true, "button_type": "message", "button_value": "Buy",
            "ecommerce": {"product_id": "p1", "quantity": 2}}}),
    );
    wire(
        SendSneakPeek::new("C", "I am typ"),
        "send_sneak_peek",
        json!({"chat_id": "C", "sneak_peek_text": "I am typ"}),
    );
}

#[test]
fn property_requests_wire_shape() {
    let p = props(json!({"rating": {"score": 1, "comment": "ok"}}));
    let d: DeletedProperties = BTreeMap::from([("rating".to_string(), vec!["score".to_string()])]);
    wire(
        UpdateChatProperties::new("C", p.clone()),
        "update_chat_properties",
        json!({"id": "C", "properties": {"rating": {"score": 1, "comment": "ok"}}}),
    );
    wire(
        DeleteChatProperties::new("C", d.clone()),
        "delete_chat_properties",
        json!({"id": "C", "properties": {"rating": ["score"]}}),
    );
    wire(
        UpdateThreadProperties::new("C", "T", p.clone()),
        "update_thread_properties",
        json!({"chat_id": "C", "thread_id": "T", "properties": {"rating": {"score": 1, "comment": "ok"}}}),
    );
    wire(
        DeleteThreadProperties::new("C", "T", d.clone()),
        "delete_thread_properties",
        json!({"chat_id": "C", "thread_id": "T", "properties": {"rating": ["score"]}}),
    );
    wire(
        UpdateEventProperties::new("C", "T", "E", p),
        "update_event_properties",
        json!({"chat_id": "C", "thread_id": "T", "event_id": "E",
               "properties": {"rating": {"score": 1, "comment": "ok"}}}),
    );
    wire(
        DeleteEventProperties::new("C", "T", "E", d),
        "delete_event_properties",
        json!({"chat_id": "C", "thread_id": "T", "event_id": "E", "properties": {"rating": ["score"]}}),
    );
}

#[test]
fn customer_and_other_requests_wire_shape() {
    wire(
        UpdateCustomer {
            name: Some("Jane".into()),
            session_fields: Some(vec![obj(json!({"plan": "pro"}))]),
            omnichannel: Some(Omnichannel {
                fbmessenger: Some(FbMessenger {
                    id: "fb1".into(),
                    first_name: Some("J".into()),
                    is_verified_user: Some(true),
                    ..FbMessenger::default()
                }),
                twilio: Some(Twilio { phone_number: "+1800".into() }),
            }),
            address: Some(Address { country: Some("US".into()), ..Address::default() }),
            ..UpdateCustomer::default()
        },
        "update_customer",
        json!({"name": "Jane", "session_fields": [{"plan": "pro"}],
               "omnichannel": {"fbmessenger": {"id": "fb1", "first_name": "J", "is_verified_user": true},
                               "twilio": {"phone_number": "+1800"}},
               "address": {"country": "US"}}),
    );
    wire(
        UpdateCustomerPage { title: Some("Shop".into()), ..UpdateCustomerPage::new("https://shop/") },
        "update_customer_page",
        json!({"url": "https://shop/", "title": "Shop"}),
    );
    wire(
        SetCustomerSessionFields::from_pairs([("plan", "pro"), ("cart", "3")]),
        "set_customer_session_fields",
        json!({"session_fields": [{"plan": "pro"}, {"cart": "3"}]}),
    );
    wire(GetCustomer {}, "get_customer", json!({}));
    wire(ListGroupStatuses::all(), "list_group_statuses", json!({"all": true}));
    wire(ListGroupStatuses::groups(vec![1, 2]), "list_group_statuses", json!({"group_ids": [1, 2]}));
    wire(GetForm::new(0, FormType::Prechat), "get_form", json!({"group_id": 0, "type": "prechat"}));
    wire(GetPredictedAgent::default(), "get_predicted_agent", json!({}));
    wire(GetUrlInfo::new("https://x.com"), "get_url_info", json!({"url": "https://x.com"}));
    wire(
        MarkEventsAsSeen::new("C", "2017-10-12T15:19:21.010200Z"),
        "mark_events_as_seen",
        json!({"chat_id": "C", "seen_up_to": "2017-10-12T15:19:21.010200Z"}),
    );
    wire(AcceptGreeting::new(7, "U"), "accept_greeting", json!({"greeting_id": 7, "unique_id": "U"}));
    wire(CancelGreeting::new("U"), "cancel_greeting", json!({"unique_id": "U"}));
    wire(RequestWelcomeMessage::default(), "request_welcome_message", json!({}));
    wire(
        RequestWelcomeMessage { id: Some("wm".into()), group_id: Some(2) },
        "request_welcome_message",
        json!({"id": "wm", "group_id": 2}),
    );
    wire(
        SendGreetingButtonClicked::new("U", "btn-1"),
        "send_greeting_button_clicked",
        json!({"greeting_unique_id": "U", "button_id": "btn-1"}),
    );
    wire(Ping {}, "ping", json!({}));
    wire(ActivateCustomerPage {}, "activate_customer_page", json!({}));
    wire(DeactivateCustomerPage {}, "deactivate_customer_page", json!({}));
}

#[test]
fn the_action_list_is_complete_and_unique() {
    assert_eq!(ACTIONS.len(), 30 + 1 + 2);
    let mut sorted = ACTIONS.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), ACTIONS.len());
}

#[test]
fn empty_accepts_anything() {
    assert_eq!(decode_response::<DeactivateChat>(json!({})).unwrap(), Empty {});
    assert_eq!(decode_response::<Ping>(json!({"unexpected": [1, 2]})).unwrap(), Empty {});
    assert_eq!(serde_json::from_value::<Empty>(Value::Null).unwrap(), Empty {});
    assert_eq!(serde_json::to_value(Empty {}).unwrap(), json!({}));
}

#[test]
fn login_response() {
    let r = decode_response::<Login>(json!({
        "customer_id": "c1",
        "customer": {
            "id": "c1", "type": "customer", "name": "Jane", "email": "jane@example.com",
            "session_fields": [{"plan": "pro"}],
            "statistics": {"chats_count": 2, "threads_count": 5, "visits_count": 11, "page_views_count": 40,
                           "greetings_shown_count": 3, "greetings_accepted_count": 1}
        },
        "has_active_thread": true,
        "chats": [{"chat_id": "C1", "has_unread_events": true}, {"chat_id": "C2", "has_unread_events": false,
                                                                  "has_active_thread": false}],
        "greeting": {"id": 7, "unique_id": "U", "displayed_first_time": false, "accepted": true,
                     "event": {"id": "G_1", "type": "message", "text": "Hello", "created_at": "2019-12-17T07:57:41.512000Z"},
                     "agent": {"id": "a@x.com", "name": "Bob", "is_bot": false, "type": "agent"}},
        "__priv_dynamic_config": {
            "online_groups_ids": [0, 1],
            "customer_groups": {"monitoring": {"id": 0, "static_config_url": "/s", "language_config_url": "/l"}}
        }
    }))
    .unwrap();
    assert_eq!(r.customer.id, "c1");
    assert_eq!(r.customer_id.as_deref(), Some("c1"));
    assert_eq!(r.customer.statistics.unwrap().page_views_count, 40);
    assert!(r.has_active_thread);
    assert_eq!(r.chats[1].has_active_thread, Some(false));
    assert_eq!(r.chats[0].has_active_thread, None);
    let g = r.greeting.as_ref().unwrap();
    assert_eq!(g.accepted, Some(true));
    assert_eq!(g.event.as_ref().unwrap().kind(), "message");
    let dc = r.dynamic_config.as_ref().unwrap();
    assert_eq!(dc["customer_groups"]["monitoring"]["id"], 0);
    assert_eq!(dc["online_groups_ids"][1], 1);
    let back = serde_json::to_value(&r).unwrap();
    assert!(back.get("__priv_dynamic_config").is_some());
}

#[test]
fn list_chats_response() {
    let r = decode_response::<ListChats>(json!({
        "chats_summary": [{
            "id": "PJ0MRSHTDG",
            "last_thread_id": "K600PKZON8",
            "last_thread_created_at": "2020-05-07T07:11:28.288340Z",
            "users": [{"id": "c1", "type": "customer", "present": true},
                      {"id": "a@x.com", "type": "agent", "name": "Bob", "present": true}],
            "last_event_per_type": {
                "message": {"thread_id": "K600PKZON8", "thread_order": 3, "thread_created_at": "2020-05-07T07:11:28.288340Z",
                            "event": {"id": "K600PKZON8_2", "type": "message", "text": "bye",
                                      "created_at": "2020-05-07T07:12:00.000000Z", "author_id": "c1"}},
                "system_message": {"thread_id": "K600PKZON8", "thread_order": 3,
                                   "thread_created_at": "2020-05-07T07:11:28.288340Z",
                                   "event": {"id": "K600PKZON8_1", "type": "system_message",
                                             "system_message_type": "routing.assigned_other", "text": "Assigned",
                                             "text_vars": {"agent": "Bob"},
                                             "created_at": "2020-05-07T07:11:29.000000Z"}}
            },
            "properties": {"routing": {"idle": false}},
            "access": {"group_ids": [0]},
            "active": true
        }],
        "total_chats": 1,
        "next_page_id": "MTU4OD"
    }))
    .unwrap();
    assert_eq!(r.total_chats, 1);
    assert_eq!(r.next_page_id.as_deref(), Some("MTU4OD"));
    assert_eq!(r.previous_page_id, None);
    let s = &r.chats_summary[0];
    assert!(s.active);
    assert_eq!(s.users.len(), 2);
    assert_eq!(s.last_event_per_type["message"].thread_order, Some(3));
    let ChatEvent::SystemMessage(sm) = &s.last_event_per_type["system_message"].event else { panic!() };
    assert_eq!(sm.text_vars.as_ref().unwrap()["agent"], "Bob");
    assert_eq!(s.last_event().unwrap().event.id(), Some("K600PKZON8_2"));
}

#[test]
fn list_threads_response() {
    let r = decode_response::<ListThreads>(json!({
        "threads": [{
            "id": "K600PKZON8", "created_at": "2020-05-07T07:11:28.288340Z", "active": false,
            "user_ids": ["c1", "a@x.com"],
            "events": [
                {"id": "K600PKZON8_1", "type": "message", "text": "hi", "author_id": "c1",
                 "created_at": "2020-05-07T07:11:28.288340Z", "properties": {"lc2": {"welcome_message": true}}},
                {"id": "K600PKZON8_2", "type": "vote", "choice": 1, "created_at": "2020-05-07T07:11:30.000000Z"}
            ],
            "properties": {"rating": {"score": 1}},
            "access": {"group_ids": [0]},
            "previous_thread_id": "K600PKZOM0"
        }],
        "found_threads": 42,
        "next_page_id": "MTU4OD",
        "previous_page_id": "MTU4OC"
    }))
    .unwrap();
    assert_eq!(r.found_threads, 42);
    assert_eq!(r.previous_page_id.as_deref(), Some("MTU4OC"));
    let t = &r.threads[0];
    assert!(!t.active);
    assert_eq!(t.previous_thread_id.as_deref(), Some("K600PKZOM0"));
    assert_eq!(t.next_thread_id, None);
    assert_eq!(t.events[0].properties().unwrap()["lc2"]["welcome_message"], true);
    // The unknown event type is kept in place, not dropped.
    assert_eq!(t.events.len(), 2);
    assert!(t.events[1].is_unknown());
    assert_eq!(t.events[1].kind(), "vote");
}

#[test]
fn get_chat_response_with_several_event_types() {
    let chat = decode_response::<GetChat>(json!({
        "id": "PJ0MRSHTDG",
        "users": [{"id": "c1", "type": "customer", "name": "Jane", "present": true,
                   "events_seen_up_to": "2020-05-07T07:11:28.288340Z"},
                  {"id": "a@x.com", "type": "agent", "name": "Bob", "avatar": "https://a", "present": true}],
        "access": {"group_ids": [0]},
        "properties": {"routing": {"continuous": false}},
        "thread": {
            "id": "K600PKZON8", "created_at": "2020-05-07T07:11:28.288340Z", "active": true,
            "user_ids": ["c1", "a@x.com"],
            "events": [
                {"id": "K_1", "type": "filled_form", "form_id": "pre", "form_type": "prechat", "author_id": "c1",
                 "created_at": "2020-05-07T07:11:28.288340Z",
                 "fields": [{"type": "email", "id": "e", "label": "E-mail:", "answer": "jane@example.com"}]},
                {"id": "K_2", "type": "message", "text": "Hello", "author_id": "c1", "custom_id": "cx",
                 "created_at": "2020-05-07T07:11:29.000000Z"},
                {"id": "K_3", "type": "file", "author_id": "a@x.com", "created_at": "2020-05-07T07:11:30.000000Z",
                 "name": "cat.png", "url": "https://cdn.livechat-files.com/api/file/lc/att/cat.png",
                 "content_type": "image/png", "size": 1024, "width": 640, "height": 480,
                 "thumbnail_url": "https://cdn/t.png", "thumbnail2x_url": "https://cdn/t2.png",
                 "alternative_text": "a cat"},
                {"id": "K_4", "type": "system", "source": "ai_agents", "subtype": "custom_skill_started",
                 "version": 1, "details": "{\"skill\":\"refund\"}", "created_at": "2020-05-07T07:11:31.000000Z"},
                {"id": "K_5", "type": "custom", "author_id": "c1", "content": {"order": 5},
                 "created_at": "2020-05-07T07:11:32.000000Z"},
                {"id": "K_6", "type": "system_message", "system_message_type": "agent_joined", "text": "Bob joined",
                 "created_at": "2020-05-07T07:11:33.000000Z"}
            ],
            "properties": {"lc2": {"greeting_unique_id": "U"}}
        }
    }))
    .unwrap();
    assert_eq!(chat.id, "PJ0MRSHTDG");
    assert_eq!(chat.user("c1").unwrap().events_seen_up_to(), Some("2020-05-07T07:11:28.288340Z"));
    assert_eq!(chat.properties["routing"]["continuous"], false);
    let t = chat.thread.as_ref().unwrap();
    let kinds: Vec<&str> = t.events.iter().map(ChatEvent::kind).collect();
    assert_eq!(kinds, ["filled_form", "message", "file", "system", "custom", "system_message"]);
    assert!(t.events.iter().all(|e| !e.is_unknown()));
    let ChatEvent::FilledForm(ff) = &t.events[0] else { panic!() };
    assert_eq!(ff.form_type.as_deref(), Some("prechat"));
    assert_eq!(t.events[1].custom_id(), Some("cx"));
    let ChatEvent::File(f) = &t.events[2] else { panic!() };
    assert!(f.is_image());
    assert_eq!(f.thumbnail2x_url.as_deref(), Some("https://cdn/t2.png"));
    assert_eq!(f.alternative_text.as_deref(), Some("a cat"));
    let ChatEvent::System(s) = &t.events[3] else { panic!() };
    assert_eq!(s.details.as_deref(), Some("{\"skill\":\"refund\"}"));
    assert_eq!(t.events[5].author_id(), None);

    // A chat whose thread was removed.
    let chat = decode_response::<GetChat>(json!({"id": "C", "users": [], "thread": null})).unwrap();
    assert_eq!(chat.thread, None);
}

#[test]
fn push_completed_responses_accept_the_merged_payload() {
    let r = decode_response::<SendEvent>(json!({
        "event_id": "K_9",
        "chat_id": "C", "thread_id": "T",
        "event": {"id": "K_9", "type": "message", "text": "hi", "custom_id": "c-9"}
    }))
    .unwrap();
    assert_eq!(r.event_id, "K_9");
    assert_eq!(r.event.unwrap().custom_id(), Some("c-9"));
    // The plain response alone is enough too.
    let r = decode_response::<SendEvent>(json!({"event_id": "K_9"})).unwrap();
    assert_eq!((r.chat_id, r.event), (None, None));

    let r = decode_response::<StartChat>(json!({
        "chat_id": "C", "thread_id": "T", "event_ids": ["T_1"], "requester_id": "c1",
        "chat": {"id": "C", "users": [{"id": "c1", "type": "customer"}],
                 "thread": {"id": "T", "active": true, "events": [{"id": "T_1", "type": "message", "text": "x"}]}}
    }))
    .unwrap();
    assert_eq!(r.event_ids.unwrap(), ["T_1"]);
    assert_eq!(r.chat.unwrap().thread.unwrap().events[0].id(), Some("T_1"));

    let r = decode_response::<ResumeChat>(json!({"thread_id": "T2", "chat": {"id": "C"}})).unwrap();
    assert_eq!(r.thread_id, "T2");
    assert_eq!(r.event_ids, None);
    assert_eq!(r.chat.unwrap().id, "C");

    assert!(decode_response::<StartChat>(json!({"thread_id": "T"})).is_err());
}

#[test]
fn other_responses() {
    let c = decode_response::<GetCustomer>(json!({"id": "c1", "type": "customer", "email": "j@x"})).unwrap();
    assert_eq!(c.email.as_deref(), Some("j@x"));

    let r = decode_response::<ListGroupStatuses>(json!({"groups_status": {"0": "online", "1": "offline",
                                                                          "5": "online_for_queue"}}))
    .unwrap();
    assert_eq!(r.groups_status[&5], GroupStatus::OnlineForQueue);
    assert_eq!(r.groups_status[&1], GroupStatus::Offline);

    let r = decode_response::<GetForm>(json!({"enabled": true, "form": {"id": "f", "fields": [
        {"type": "header", "id": "h", "label": "Hi"},
        {"type": "radio", "id": "r", "label": "Pick", "required": true,
         "options": [{"id": "0", "label": "A"}, {"id": "1", "label": "B"}]}]}}))
    .unwrap();
    assert!(r.enabled);
    assert_eq!(r.form.unwrap().fields[1].options[1].label.as_deref(), Some("B"));
    let r = decode_response::<GetForm>(json!({"enabled": false})).unwrap();
    assert_eq!(r.form, None);

    let r = decode_response::<GetPredictedAgent>(json!({
        "agent": {"id": "a", "name": "Bob", "avatar": "https://a", "is_bot": false, "job_title": "Support", "type": "agent"},
        "queue": true
    }))
    .unwrap();
    assert!(r.queue);
    assert_eq!(r.agent.job_title.as_deref(), Some("Support"));

    let r = decode_response::<GetUrlInfo>(json!({
        "url": "https://x.com", "title": "X", "description": "d", "image_url": "//cdn/x.png",
        "image_original_url": "https://x.com/x.png", "image_width": 200, "image_height": 100
    }))
    .unwrap();
    assert_eq!(r.image_height, Some(100));
    assert_eq!(r.image_url.as_deref(), Some("https://cdn/x.png"), "given a scheme, as the Customer SDK does");
    for (sent, got) in [("cdn/y.png", "https://cdn/y.png"), ("http://cdn/z.png", "http://cdn/z.png")] {
        let r = decode_response::<GetUrlInfo>(json!({ "image_url": sent })).unwrap();
        assert_eq!(r.image_url.as_deref(), Some(got));
    }

    let r = decode_response::<RequestWelcomeMessage>(json!({
        "id": "wm", "queue": false,
        "predicted_agent": {"id": "bot", "name": "AI", "is_bot": true, "bot_type": "ai_agent", "type": "agent"}
    }))
    .unwrap();
    assert_eq!(r.predicted_agent.unwrap().bot_type.as_deref(), Some("ai_agent"));
    assert_eq!(r.queue, Some(false));

    let r = decode_response::<UpdateCustomerPage>(json!({})).unwrap();
    assert_eq!(r.groups, None);
    let r =
        decode_response::<UpdateCustomerPage>(json!({"groups": [{"id": 2, "status": "offline"}]})).unwrap();
    assert_eq!(r.groups.unwrap()[0], GroupStatusEntry { id: 2, status: GroupStatus::Offline });
}

#[test]
fn unknown_fields_are_ignored_everywhere() {
    let r = decode_response::<GetChat>(json!({
        "id": "C", "future_field": {"x": 1},
        "users": [{"id": "c1", "type": "customer", "hobbies": ["chess"]}],
        "thread": {"id": "T", "active": true, "color": "blue",
                   "events": [{"id": "E", "type": "message", "text": "t", "sentiment": 0.9}]}
    }))
    .unwrap();
    assert!(matches!(r.users[0], User::Customer(_)));
    assert!(matches!(r.thread.unwrap().events[0], ChatEvent::Message(_)));
}

#[test]
fn request_trait_ties_types() {
    fn action_of<R: Request>(_: &R) -> &'static str {
        R::ACTION
    }
    assert_eq!(action_of(&SendEvent::new("C", ChatEvent::message("x"))), "send_event");
    assert_eq!(<GetChat as Request>::ACTION, "get_chat");
}

#[test]
fn each_request_type_checks_its_payload_and_raw_calls_get_the_same_checks() {
    // On the type: the documented limits, named in the error.
    let err = ListThreads::check(&json!({"chat_id": "CH1", "limit": 101})).unwrap_err();
    assert!(err.message.contains("`limit` is too high"), "{err}");
    assert!(ListThreads::check(&json!({"chat_id": "CH1", "min_events_count": 25})).is_ok());
    let err = ListChats::check(&json!({"limit": 26})).unwrap_err();
    assert!(err.message.contains("max 25"), "{err}");
    // A shared action has the same rules on both sides.
    let empty = json!({"chat_id": "CH1", "event": {"type": "message", "text": " "}});
    assert!(SendEvent::check(&empty).unwrap_err().message.contains("non-empty `text`"));
    assert!(GetChat::check(&json!({"chat_id": ""})).is_err());
    // By action name, as a raw call is checked: every action's checks first, then the type's.
    assert!(check("list_threads", &json!({"chat_id": "CH1", "limit": 101})).is_err());
    assert!(check("ping", &json!({})).unwrap_err().message.contains("sent by the session itself"));
    assert!(check("get_customer", &json!([])).unwrap_err().message.contains("must be a JSON object"));
    assert!(check("brand_new_action", &json!({"anything": 1})).is_ok());
    let agent_err = livechat_core::agent::actions::check("follow_chat", &json!({"id": " "})).unwrap_err();
    assert!(agent_err.message.contains("follow_chat: `id` is required"), "{agent_err}");
}
