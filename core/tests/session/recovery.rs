//! Recovery after a re-login: events pushed while the socket was down are fetched and
//! emitted once, in order, marked as recovered (`engine::recovery`).

use super::*;
use livechat_core::engine::Resynced;
use support::agent_config;

fn msg(id: &str, author: &str, text: &str, at: u32) -> Value {
    json!({"id": id, "type": "message", "text": text, "author_id": author,
        "created_at": format!("2026-12-02T10:00:{at:02}.000000Z")})
}

fn incoming(chat: &str, thread: &str, event: Value) -> Value {
    json!({"chat_id": chat, "thread_id": thread, "event": event})
}

fn chat(id: &str, thread: &str, active: bool, events: Vec<Value>) -> Value {
    json!({"id": id, "users": [], "thread": {"id": thread, "active": active, "events": events}})
}

/// Incoming events as (chat, event id, recovered), in emission order.
fn incoming_events(events: &[Event]) -> Vec<(String, String, bool)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::IncomingEvent(ie) => {
                Some((ie.chat_id.clone(), ie.event.id().unwrap_or_default().to_string(), ie.recovered))
            }
            _ => None,
        })
        .collect()
}

fn resynced(events: &[Event]) -> Vec<Resynced> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Resynced(r) => Some(r.clone()),
            _ => None,
        })
        .collect()
}

/// Logged in, with chat CH1 (thread T1) delivered up to the agent's message E1.
fn with_chat() -> Peer {
    let mut p = Peer::new(config());
    p.login();
    p.push("incoming_chat", json!({"chat": chat("CH1", "T1", true, vec![msg("E0", "cust-1", "hi", 0)])}));
    p.push("incoming_event", incoming("CH1", "T1", msg("E1", "agent-1", "hello", 1)));
    p.take_events();
    p
}

/// Drop the socket and log in again; the frames the login sent are kept.
fn drop_and_relogin(p: &mut Peer) {
    p.server_close();
    p.take_sent();
    p.login();
}

fn answer_list(p: &mut Peer, summaries: Value) {
    let list = p.last_sent("list_chats");
    p.respond(&list, json!({"chats_summary": summaries, "total_chats": 1}));
}

#[test]
fn events_pushed_during_a_drop_are_recovered_once_in_order_and_marked() {
    let mut p = with_chat();
    drop_and_relogin(&mut p);
    let check = p.last_sent("get_chat");
    assert_eq!(check["payload"], json!({"chat_id": "CH1"}));
    assert!(p.events.iter().all(|e| !matches!(e, Event::Resynced(_))), "no resynced before the answers");
    p.respond(
        &check,
        chat(
            "CH1",
            "T1",
            true,
            vec![
                msg("E0", "cust-1", "hi", 0),
                msg("E1", "agent-1", "hello", 1),
                msg("E2", "agent-1", "missed one", 2),
                msg("E3", "agent-1", "missed two", 3),
            ],
        ),
    );
    answer_list(&mut p, json!([{"id": "CH1", "active": true}]));
    let events = p.take_events();
    assert_eq!(
        incoming_events(&events),
        vec![("CH1".into(), "E2".into(), true), ("CH1".into(), "E3".into(), true)],
        "only what the drop hid, in order: {events:?}"
    );
    assert_eq!(
        resynced(&events),
        vec![Resynced { chats_checked: 1, events_recovered: 2, new_chats: 0, chats_failed: 0 }]
    );
    // A later push of an event already recovered is not emitted again.
    p.push("incoming_event", incoming("CH1", "T1", msg("E3", "agent-1", "missed two", 3)));
    p.push("incoming_event", incoming("CH1", "T1", msg("E4", "agent-1", "new", 4)));
    assert_eq!(incoming_events(&p.take_events()), vec![("CH1".into(), "E4".into(), false)]);
}

#[test]
fn a_push_racing_the_recovery_waits_and_is_emitted_once_after_what_was_missed() {
    let mut p = with_chat();
    drop_and_relogin(&mut p);
    let check = p.last_sent("get_chat");
    // Pushed after the re-login, before the chat's check answers: E3 is also in the answer.
    p.push("incoming_event", incoming("CH1", "T1", msg("E3", "agent-1", "raced", 3)));
    p.push("incoming_event", incoming("CH1", "T1", msg("E4", "agent-1", "after", 4)));
    assert!(incoming_events(&p.events).is_empty(), "held until the check answers");
    p.respond(
        &check,
        chat(
            "CH1",
            "T1",
            true,
            vec![
                msg("E1", "agent-1", "hello", 1),
                msg("E2", "agent-1", "missed", 2),
                msg("E3", "agent-1", "raced", 3),
            ],
        ),
    );
    assert_eq!(
        incoming_events(&p.take_events()),
        vec![
            ("CH1".into(), "E2".into(), true),
            ("CH1".into(), "E3".into(), true),
            ("CH1".into(), "E4".into(), false)
        ]
    );
}

#[test]
fn a_drop_during_the_recovery_recovers_after_the_next_login() {
    let mut p = with_chat();
    drop_and_relogin(&mut p);
    assert_eq!(p.sent_with("get_chat").len(), 1);
    // The socket dies again before anything is answered: no resynced yet.
    drop_and_relogin(&mut p);
    let events = p.take_events();
    assert!(resynced(&events).is_empty(), "{events:?}");
    let check = p.last_sent("get_chat");
    p.respond(
        &check,
        chat("CH1", "T1", true, vec![msg("E1", "agent-1", "hello", 1), msg("E2", "agent-1", "x", 2)]),
    );
    answer_list(&mut p, json!([]));
    let events = p.take_events();
    assert_eq!(incoming_events(&events), vec![("CH1".into(), "E2".into(), true)]);
    assert_eq!(resynced(&events).len(), 1);
}

#[test]
fn a_chat_deactivated_during_the_drop_is_reported_after_its_last_events() {
    let mut p = with_chat();
    drop_and_relogin(&mut p);
    let check = p.last_sent("get_chat");
    p.respond(
        &check,
        chat("CH1", "T1", false, vec![msg("E1", "agent-1", "hello", 1), msg("E2", "agent-1", "bye", 2)]),
    );
    let events = p.take_events();
    let order: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::IncomingEvent(ie) => Some(format!("event {}", ie.event.id().unwrap_or_default())),
            Event::ChatDeactivated(d) => Some(format!("deactivated {} {}", d.thread_id, d.recovered)),
            _ => None,
        })
        .collect();
    assert_eq!(order, vec!["event E2", "deactivated T1 true"]);
    // The real push, late, is not a second deactivation.
    p.push("chat_deactivated", json!({"chat_id": "CH1", "thread_id": "T1"}));
    assert!(!p.take_events().iter().any(|e| matches!(e, Event::ChatDeactivated(_))));
}

#[test]
fn a_new_thread_started_during_the_drop_comes_after_the_rest_of_the_old_one() {
    let mut p = with_chat();
    drop_and_relogin(&mut p);
    let check = p.last_sent("get_chat");
    p.respond(&check, chat("CH1", "T2", true, vec![msg("F1", "agent-1", "new thread", 9)]));
    let tail = p.last_sent("get_chat");
    assert_eq!(
        tail["payload"],
        json!({"chat_id": "CH1", "thread_id": "T1"}),
        "the rest of the old thread first"
    );
    p.respond(
        &tail,
        chat("CH1", "T1", false, vec![msg("E1", "agent-1", "hello", 1), msg("E2", "agent-1", "last", 2)]),
    );
    let events = p.take_events();
    let order: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::IncomingEvent(ie) => Some(format!("event {}", ie.event.id().unwrap_or_default())),
            Event::ChatDeactivated(d) => Some(format!("deactivated {}", d.thread_id)),
            Event::IncomingChat(c) => Some(format!("chat {}", c.chat.thread.as_ref().unwrap().id)),
            _ => None,
        })
        .collect();
    assert_eq!(order, vec!["event E2", "deactivated T1", "chat T2"]);
}

#[test]
fn a_chat_started_during_the_drop_comes_as_incoming_chat() {
    let mut p = with_chat();
    drop_and_relogin(&mut p);
    let check = p.last_sent("get_chat");
    p.respond(&check, chat("CH1", "T1", true, vec![msg("E1", "agent-1", "hello", 1)]));
    answer_list(
        &mut p,
        json!([{"id": "CH1", "active": true}, {"id": "CH9", "active": true}, {"id": "OLD", "active": false}]),
    );
    let new = p.last_sent("get_chat");
    assert_eq!(new["payload"], json!({"chat_id": "CH9"}), "only the unknown active chat");
    p.respond(&new, chat("CH9", "T9", true, vec![msg("G1", "agent-1", "started for you", 5)]));
    let events = p.take_events();
    let chats: Vec<(String, bool)> = events
        .iter()
        .filter_map(|e| match e {
            Event::IncomingChat(c) => Some((c.chat.id.clone(), c.recovered)),
            _ => None,
        })
        .collect();
    assert_eq!(chats, vec![("CH9".to_string(), true)]);
    assert_eq!(
        resynced(&events),
        vec![Resynced { chats_checked: 2, events_recovered: 1, new_chats: 1, chats_failed: 0 }]
    );
}

#[test]
fn the_sessions_own_sends_are_never_recovered_as_events() {
    let mut p = with_chat();
    let id = p.req("send_event", json!({"chat_id": "CH1", "event": {"type": "message", "text": "mine"}}));
    let req = p.last_sent("send_event");
    let custom = req["payload"]["event"]["custom_id"].clone();
    let mut own = msg("E2", "cust-1", "mine", 2);
    own["custom_id"] = custom;
    p.respond(&req, json!({"event_id": "E2"}));
    p.push_response(&req, "incoming_event", incoming("CH1", "T1", own.clone()));
    assert_eq!(p.ok(id)["event_id"], "E2");
    drop_and_relogin(&mut p);
    let check = p.last_sent("get_chat");
    p.respond(
        &check,
        chat(
            "CH1",
            "T1",
            true,
            vec![msg("E1", "agent-1", "hello", 1), own, msg("E3", "agent-1", "reply", 3)],
        ),
    );
    assert_eq!(incoming_events(&p.take_events()), vec![("CH1".into(), "E3".into(), true)]);
}

#[test]
fn a_failed_check_releases_the_held_pushes_and_is_counted() {
    let mut p = with_chat();
    drop_and_relogin(&mut p);
    let check = p.last_sent("get_chat");
    p.push("incoming_event", incoming("CH1", "T1", msg("E5", "agent-1", "held", 5)));
    p.respond_err(&check, "internal", None);
    answer_list(&mut p, json!([]));
    let events = p.take_events();
    assert_eq!(incoming_events(&events), vec![("CH1".into(), "E5".into(), false)]);
    assert_eq!(resynced(&events)[0].chats_failed, 1);
}

#[test]
fn recovery_can_be_turned_off() {
    let mut c = config();
    c.connection.recovery.enabled = false;
    let mut p = Peer::new(c);
    p.login();
    p.push("incoming_event", incoming("CH1", "T1", msg("E1", "agent-1", "hello", 1)));
    assert_eq!(incoming_events(&p.take_events()).len(), 1);
    drop_and_relogin(&mut p);
    assert!(p.sent_with("get_chat").is_empty() && p.sent_with("list_chats").is_empty());
    // Duplicates are still dropped.
    p.push("incoming_event", incoming("CH1", "T1", msg("E1", "agent-1", "hello", 1)));
    p.push("incoming_event", incoming("CH1", "T1", msg("E2", "agent-1", "next", 2)));
    assert_eq!(incoming_events(&p.take_events()), vec![("CH1".into(), "E2".into(), false)]);
}

#[test]
fn the_first_login_fetches_nothing() {
    let mut p = Peer::new(config());
    p.login();
    assert!(p.sent_with("get_chat").is_empty() && p.sent_with("list_chats").is_empty());
}

#[test]
fn the_agent_side_recovers_its_chats_too() {
    use livechat_core::agent::AgentEvent;
    let mut p = Peer::agent(agent_config());
    p.login();
    p.push("incoming_event", incoming("CH1", "T1", msg("E1", "cust-1", "hello", 1)));
    p.take_events();
    p.server_close();
    p.take_sent();
    p.login();
    let check = p.last_sent("get_chat");
    p.respond(
        &check,
        chat(
            "CH1",
            "T1",
            true,
            vec![msg("E1", "cust-1", "hello", 1), msg("E2", "cust-1", "are you there?", 2)],
        ),
    );
    let list = p.last_sent("list_chats");
    p.respond(&list, json!({"chats_summary": [], "found_chats": 0}));
    let events = p.take_events();
    let got: Vec<(String, bool)> = events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::IncomingEvent(ie) => {
                Some((ie.event.id().unwrap_or_default().to_string(), ie.recovered))
            }
            _ => None,
        })
        .collect();
    assert_eq!(got, vec![("E2".to_string(), true)]);
    assert!(events.iter().any(|e| matches!(e, AgentEvent::Resynced(r) if r.events_recovered == 1)));
}
