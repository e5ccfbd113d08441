//! Recovery after a drop: what the simulator pushed while the customer's socket was down
//! reaches the application after the re-login, once and in order (`engine::recovery`).

use super::*;

/// Agent messages sent while the customer is disconnected (its logins refused for a while)
/// arrive after the re-login, marked as recovered, each once, in order with the rest.
pub fn agent_messages_sent_during_a_drop_arrive_once_in_order<T: Transport>() {
    let env = Env::with("recovery", SimConfig { bot: false, ..SimConfig::default() });
    let control = env.sim.control();
    let (client, mut events) = env.customer::<T>();
    let customer = T::wait(client.get_customer()).expect("get_customer");
    let chat = T::wait(client.start_chat(Default::default())).expect("start_chat");
    control.agent_message(&chat.chat_id, "before", None).expect("agent message");
    events.wait_for("the first agent message", |e| message_text(e) == Some("before"));

    // Down for a while: the first two logins after the drop are refused.
    control.reject_next_logins(2, "internal");
    assert_eq!(control.drop_customer(Some(&customer.id)), 1, "one socket cut");
    for i in 0..5 {
        control.agent_message(&chat.chat_id, &format!("during {i}"), None).expect("agent message");
    }
    let resynced = events.wait_for("resynced after the re-login", |e| matches!(e, Event::Resynced(_)));
    let Event::Resynced(r) = resynced else { unreachable!() };
    assert!(r.chats_checked >= 1 && r.chats_failed == 0, "{r:?}");
    control.agent_message(&chat.chat_id, "after", None).expect("agent message");
    events.wait_for("the message after the re-login", |e| message_text(e) == Some("after"));

    let got: Vec<(String, bool)> = events
        .drain()
        .iter()
        .filter_map(|e| match e {
            Event::IncomingEvent(ie) => message_text(e).map(|t| (t.to_string(), ie.recovered)),
            _ => None,
        })
        .collect();
    let texts: Vec<&str> = got.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(texts, ["before", "during 0", "during 1", "during 2", "during 3", "during 4", "after"]);
    let recovered: Vec<&str> = got.iter().filter(|(_, r)| *r).map(|(t, _)| t.as_str()).collect();
    assert_eq!(recovered.len(), r.events_recovered, "resynced counts what was marked recovered: {got:?}");
    assert!(!recovered.is_empty(), "pushed while the socket was down, so found by the recovery: {got:?}");
    assert!(recovered.iter().all(|t| t.starts_with("during")), "{got:?}");
}
