//! The agent actions beyond chatting, over a real socket on every transport: thread tags,
//! archives and resuming, following, customers (get, update, ban), multicast, transfer
//! candidates, away status. Expanded by [`agent_scenarios!`](crate::agent_scenarios).

use livechat_core::agent::actions::{
    ListArchives, Multicast, MulticastAgents, MulticastRecipients, ResumeChat, UpdateCustomer,
};
use livechat_core::agent::{AgentApi, AgentCredentials, AgentEvent};
use livechat_core::customer::{CustomerApi, DisconnectReason, Event};
use livechat_sim::{DEFAULT_AGENT_ID, DEFAULT_AGENT_TOKEN, SimConfig};
use serde_json::json;

use crate::Env;
use crate::agent::{AgentTransport, customer_opens_chat, next_matching, start_agent};

pub fn agent_actions_archives_tags_customers_and_multicast<T: AgentTransport>() {
    let env = Env::with("agent-actions", SimConfig { bot: false, ..SimConfig::default() });
    let (agent, mut events) = start_agent::<T>(&env, AgentCredentials::bearer(DEFAULT_AGENT_TOKEN));
    let (customer, mut customer_events) = env.customer::<T>();
    let me = T::wait(customer.get_customer()).expect("get_customer");
    let chat_id = customer_opens_chat::<T>(&customer, &mut events, "hello agent");
    let chat = T::wait_agent(agent.get_chat(&chat_id, None)).expect("get_chat");
    let thread_id = chat.thread.as_ref().expect("a thread").id.clone();

    // Thread tags, each with its push.
    T::wait_agent(agent.tag_thread(&chat_id, &thread_id, "vip")).expect("tag_thread");
    next_matching(
        &mut events,
        "thread_tagged",
        |e| matches!(e, AgentEvent::ThreadTagged(t) if t.tag == "vip"),
    );
    T::wait_agent(agent.untag_thread(&chat_id, &thread_id, "vip")).expect("untag_thread");
    next_matching(&mut events, "thread_untagged", |e| matches!(e, AgentEvent::ThreadUntagged(_)));

    // Customers: read, update (the customer hears of it), in the agent's view.
    let seen = T::wait_agent(agent.get_customer(&me.id)).expect("get_customer");
    assert_eq!(seen.id, me.id);
    let update =
        UpdateCustomer { id: me.id.clone(), name: Some("Renamed".into()), ..UpdateCustomer::default() };
    let updated = T::wait_agent(agent.update_customer(update)).expect("update_customer");
    assert_eq!(updated.name.as_deref(), Some("Renamed"));
    customer_events.wait_for(
        "customer_updated",
        |e| matches!(e, Event::CustomerUpdated(u) if u.name.as_deref() == Some("Renamed")),
    );
    let err = T::wait_agent(
        agent.update_customer(UpdateCustomer { id: me.id.clone(), ..UpdateCustomer::default() }),
    )
    .expect_err("nothing to update is refused before sending");
    assert!(err.message.contains("update_customer"), "{err}");

    // Multicast to this agent; transfer candidates; away status.
    let note = Multicast {
        recipients: MulticastRecipients {
            agents: Some(MulticastAgents {
                ids: Some(vec![DEFAULT_AGENT_ID.into()]),
                ..MulticastAgents::default()
            }),
        },
        content: json!({"note": "stand-up in 5"}),
        kind: Some("note".into()),
    };
    T::wait_agent(agent.multicast(note)).expect("multicast");
    next_matching(
        &mut events,
        "incoming_multicast",
        |e| matches!(e, AgentEvent::IncomingMulticast(m) if m.content == json!({"note": "stand-up in 5"})),
    );
    T::wait_agent(agent.list_agents_for_transfer(&chat_id)).expect("list_agents_for_transfer");
    T::wait_agent(agent.set_away_status(true)).expect("set_away_status");
    T::wait_agent(agent.set_away_status(false)).expect("set_away_status");

    // Archive, find it in the archives, resume it as the agent.
    T::wait_agent(agent.deactivate_chat(&chat_id)).expect("deactivate_chat");
    let archives = T::wait_agent(agent.list_archives(ListArchives::new())).expect("list_archives");
    assert!(archives.chats.iter().any(|c| c.id == chat_id), "{archives:?}");
    let resumed = T::wait_agent(agent.resume_chat(ResumeChat::new(chat_id.clone()))).expect("resume_chat");
    assert_ne!(resumed.thread_id, thread_id);
    customer_events
        .wait_for("the resumed chat", |e| matches!(e, Event::IncomingChat(c) if c.chat.id == chat_id));

    // Following a chat the agent serves changes nothing; unfollowing then is a no-op too.
    T::wait_agent(agent.follow_chat(&chat_id)).expect("follow_chat");
    T::wait_agent(agent.unfollow_chat(&chat_id)).expect("unfollow_chat");

    // A ban disconnects the customer for good and tells the agents.
    T::wait_agent(agent.ban_customer(&me.id, 1)).expect("ban_customer");
    next_matching(
        &mut events,
        "customer_banned",
        |e| matches!(e, AgentEvent::CustomerBanned(b) if b.customer_id == me.id),
    );
    customer_events.wait_for("customer_banned", |e| {
        matches!(e, Event::Disconnected(d) if d.reason == DisconnectReason::CustomerBanned && !d.will_reconnect)
    });
}

/// A chat waits in the queue while no agent accepts (`queue_position_updated`), is assigned
/// when one starts accepting (`user_added_to_chat`), and loses the agent when it is removed
/// (`user_removed_from_chat`): the customer sees each, on every transport.
pub fn a_queued_chat_is_assigned_and_the_customer_sees_each_step<T: AgentTransport>() {
    use livechat_core::agent::actions::{RemoveUserFromChat, RoutingStatus};
    let env = Env::with("agent-queue", SimConfig { bot: false, ..SimConfig::default() });
    let (agent, _events) = start_agent::<T>(&env, AgentCredentials::bearer(DEFAULT_AGENT_TOKEN));
    T::wait_agent(agent.set_routing_status(RoutingStatus::NotAcceptingChats)).expect("not accepting");
    let (customer, mut customer_events) = env.customer::<T>();
    let chat = T::wait(customer.start_chat(Default::default())).expect("start_chat");
    customer_events.wait_for("queue_position_updated", |e| matches!(e, Event::QueuePositionUpdated(_)));
    T::wait_agent(agent.set_routing_status(RoutingStatus::AcceptingChats)).expect("accepting");
    customer_events.wait_for(
        "user_added_to_chat (the agent)",
        |e| matches!(e, Event::UserAddedToChat(u) if u.user.id() == DEFAULT_AGENT_ID),
    );
    let remove = RemoveUserFromChat {
        chat_id: chat.chat_id.clone(),
        user_id: DEFAULT_AGENT_ID.into(),
        user_type: "agent".into(),
        ignore_requester_presence: None,
    };
    T::wait_agent(agent.remove_user_from_chat(remove)).expect("remove_user_from_chat");
    customer_events.wait_for(
        "user_removed_from_chat",
        |e| matches!(e, Event::UserRemovedFromChat(u) if u.user_id == DEFAULT_AGENT_ID),
    );
}
