//! The blocking agent client against livechat-sim (on its own thread): a Rust agent and a
//! blocking Rust customer chat in both directions; `ready` after login and after a forced
//! drop; destroy fails a pending call with `SDK_DESTROYED` and ends the receivers.

use livechat_core::hub::Listen;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use livechat_blocking::{
    AgentApi, AgentClient, AgentEventReceiver, AgentOptions, ClientOptions, CustomerApi, CustomerClient,
    EventReceiver, Identity,
};
use livechat_core::ErrorCode;
use livechat_core::agent::actions::ListChats;
use livechat_core::agent::{AgentConfig, AgentCredentials, AgentEvent, AgentEventKind, Recipients};
use livechat_core::customer::{Endpoint, Event, SessionConfig};
use livechat_core::model::ChatEvent;
use livechat_core::token::AccountsConfig;
use livechat_sim::{DEFAULT_AGENT_ID, DEFAULT_AGENT_TOKEN, SimConfig, SimThread};

const WAIT: Duration = Duration::from_secs(10);

fn wait_for<E: std::fmt::Debug>(events: &EventReceiver<E>, what: &str, f: impl Fn(&E) -> bool) -> E {
    let deadline = Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match events.recv_timeout(left) {
            Ok(e) if f(&e) => return e,
            Ok(_) => {}
            Err(e) => panic!("waiting for {what}: {e}"),
        }
    }
}

fn text(e: &ChatEvent) -> Option<&str> {
    match e {
        ChatEvent::Message(m) => Some(&m.text),
        _ => None,
    }
}

fn tracing() {
    let _ =
        tracing_subscriber::fmt().with_env_filter("livechat_blocking=debug").with_test_writer().try_init();
}

/// Subscribe before connecting, so `ready` cannot slip past the receiver.
fn start_agent(sim: &SimThread) -> (AgentClient, AgentEventReceiver) {
    let mut config = AgentConfig::new("org-agent", AgentCredentials::bearer(DEFAULT_AGENT_TOKEN))
        .with_endpoint(Endpoint::url(sim.url()));
    config.connection.seed = Some(11);
    config.connection.auto_connect = false;
    let client = AgentClient::start(config, AgentOptions::default().debug(true)).expect("valid agent config");
    let events = client.events();
    client.connect().expect("connect");
    let ready = wait_for(&events, "ready", |e| matches!(e, AgentEvent::Ready(_)));
    let AgentEvent::Ready(ready) = ready else { unreachable!() };
    assert_eq!(ready.my_profile.as_ref().map(|p| p.id.as_str()), Some(DEFAULT_AGENT_ID));
    (client, events)
}

fn customer(sim: &SimThread, org: &str) -> (CustomerClient, EventReceiver) {
    let mut config = SessionConfig::new(org, Endpoint::url(sim.url()));
    config.connection.seed = Some(7);
    config.connection.auto_connect = false;
    let accounts = AccountsConfig::new(org, "client-1").with_base_url(sim.http_url());
    let client =
        CustomerClient::start(config, ClientOptions::new(Identity::cookie(accounts, Default::default())));
    let events = client.events();
    client.connect().expect("connect");
    wait_for(&events, "customer connected", |e| matches!(e, Event::Connected(_)));
    (client, events)
}

#[test]
fn agent_and_customer_chat_both_ways() {
    tracing();
    let sim = SimThread::start(SimConfig::default()).unwrap();
    let (agent, agent_events) = start_agent(&sim);
    let details = agent.agent_details().expect("agent_details");
    assert_eq!(details["my_profile"]["id"], DEFAULT_AGENT_ID);

    let (customer, customer_events) = customer(&sim, "org-both-ways");
    let started = customer.start_chat(Default::default()).expect("start_chat");
    let chat_id = started.chat_id.clone();
    let incoming = wait_for(
        &agent_events,
        "incoming_chat",
        |e| matches!(e, AgentEvent::IncomingChat(c) if c.chat.id == chat_id),
    );
    let AgentEvent::IncomingChat(incoming) = incoming else { unreachable!() };
    assert!(incoming.chat.users.iter().any(|u| u.id() == DEFAULT_AGENT_ID), "{incoming:?}");

    // Customer → agent.
    customer.send_message(&chat_id, "is anyone there?").expect("customer send");
    wait_for(
        &agent_events,
        "the customer's message",
        |e| matches!(e, AgentEvent::IncomingEvent(i) if text(&i.event) == Some("is anyone there?")),
    );

    // Agent → customer: typing, then a message.
    agent.send_typing_indicator(&chat_id, true).expect("typing");
    let typing = wait_for(&customer_events, "typing", |e| matches!(e, Event::IncomingTypingIndicator(_)));
    let Event::IncomingTypingIndicator(typing) = typing else { unreachable!() };
    assert_eq!(typing.typing_indicator.author_id, DEFAULT_AGENT_ID);
    let sent = agent.send_message(&chat_id, "yes, hello!", Recipients::All).expect("send_message");
    assert!(!sent.event_id.is_empty());
    let got = wait_for(
        &customer_events,
        "the agent's message",
        |e| matches!(e, Event::IncomingEvent(i) if text(&i.event).is_some()),
    );
    let Event::IncomingEvent(got) = got else { unreachable!() };
    assert_eq!(text(&got.event), Some("yes, hello!"));
    assert_eq!(got.event.author_id(), Some(DEFAULT_AGENT_ID));
    assert_eq!(got.event.id(), Some(sent.event_id.as_str()));

    // And back again.
    customer.send_message(&chat_id, "great, I need help").expect("customer send");
    wait_for(
        &agent_events,
        "the reply",
        |e| matches!(e, AgentEvent::IncomingEvent(i) if text(&i.event) == Some("great, I need help")),
    );

    // Typed and raw reads see the whole conversation.
    let list = agent.list_chats(ListChats::new()).expect("list_chats");
    assert!(list.chats_summary.iter().any(|c| c.id == chat_id));
    let chat = agent.get_chat(&chat_id, None).expect("get_chat");
    let texts: Vec<&str> =
        chat.thread.as_ref().map(|t| t.events.iter().filter_map(text).collect()).unwrap_or_default();
    assert_eq!(texts, ["is anyone there?", "yes, hello!", "great, I need help"]);
    let raw = agent.call_raw("get_chat", serde_json::json!({"chat_id": chat_id})).expect("call_raw");
    assert_eq!(raw["id"], chat_id.as_str());

    agent.destroy().expect("destroy");
    agent.driver_thread().join();
    customer.destroy().expect("customer destroy");
}

#[test]
fn ready_after_login_and_again_after_a_forced_drop() {
    tracing();
    let sim = SimThread::start(SimConfig::default()).unwrap();
    // `start_agent` already asserted the first `ready` (subscribed before connect()).
    let (agent, events) = start_agent(&sim);
    let readies = Arc::new(Mutex::new(0));
    let counter = readies.clone();
    agent.on(AgentEventKind::Ready, move |_| *counter.lock().unwrap() += 1);
    assert_eq!(sim.control().drop_agent(None), 1);
    let d = wait_for(&events, "disconnected", |e| matches!(e, AgentEvent::Disconnected(_)));
    let AgentEvent::Disconnected(d) = d else { unreachable!() };
    assert!(d.will_reconnect, "{d:?}");
    wait_for(&events, "ready again", |e| matches!(e, AgentEvent::Ready(_)));
    // Receivers get an event just before callbacks do.
    let deadline = Instant::now() + WAIT;
    while *readies.lock().unwrap() == 0 {
        assert!(Instant::now() < deadline, "the ready callback ran");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(*readies.lock().unwrap(), 1);
    // The session works after the re-login.
    agent.list_chats(ListChats::new()).expect("list_chats after reconnect");
    agent.destroy().expect("destroy");
}

#[test]
fn destroy_fails_a_pending_call_and_ends_receivers() {
    tracing();
    let sim = SimThread::start(SimConfig::default()).unwrap();
    let (agent, events) = start_agent(&sim);
    sim.control().set_drop_responses(true);
    // The pending call blocks on another thread; its request reaches the server, which
    // never answers.
    let caller = agent.clone();
    let pending = std::thread::spawn(move || caller.list_chats(ListChats::new()));
    let caller = agent.clone();
    let pending_raw =
        std::thread::spawn(move || caller.call_raw("list_routing_statuses", serde_json::json!({})));
    std::thread::sleep(Duration::from_millis(200));
    assert!(!pending.is_finished() && !pending_raw.is_finished(), "the calls are still waiting");
    agent.destroy().expect("destroy");
    let e = pending.join().unwrap().unwrap_err();
    assert_eq!(e.code, ErrorCode::SdkDestroyed, "{e:?}");
    let e = pending_raw.join().unwrap().unwrap_err();
    assert_eq!(e.code, ErrorCode::SdkDestroyed, "{e:?}");
    // Later calls fail the same way; the driver thread ends, and so do the receivers.
    let e = agent.list_chats(ListChats::new()).unwrap_err();
    assert_eq!(e.code, ErrorCode::SdkDestroyed, "calls after destroy: {e:?}");
    agent.driver_thread().join();
    let late = agent.events();
    let end = std::thread::spawn(move || events.into_iter().count() + late.into_iter().count());
    let deadline = Instant::now() + WAIT;
    while !end.is_finished() {
        assert!(Instant::now() < deadline, "the event receivers (taken before and after destroy) ended");
        std::thread::sleep(Duration::from_millis(10));
    }
    agent.on_any(|_| {});
    assert_eq!(agent.hub().lock().unwrap().listener_count(), 0, "no listener registers after destroy");
    sim.control().clear_faults();

    // Queued before any login: a client whose server never answers.
    let dead = AgentClient::start(
        AgentConfig::new("org", AgentCredentials::bearer("x"))
            .with_endpoint(Endpoint::url("ws://127.0.0.1:9")),
        AgentOptions::default(),
    )
    .unwrap();
    let caller = dead.clone();
    let queued = std::thread::spawn(move || caller.send_message("CH1", "never sent", Recipients::All));
    assert_eq!(dead.agent_details().unwrap_err().code, ErrorCode::NoConnection);
    std::thread::sleep(Duration::from_millis(100));
    dead.destroy().expect("destroy");
    assert_eq!(queued.join().unwrap().unwrap_err().code, ErrorCode::SdkDestroyed);
}

#[test]
fn calls_from_a_callback_fail_fast_instead_of_waiting_for_themselves() {
    let sim = SimThread::start(SimConfig::default()).unwrap();
    let (agent, _events) = start_agent(&sim);
    let (tx, rx) = std::sync::mpsc::channel();
    let inner = agent.clone();
    let tx = Mutex::new(tx);
    agent.once(AgentEventKind::Ready, move |_| {
        let _ = tx.lock().unwrap().send(inner.list_chats(ListChats::new()).map(|_| ()));
    });
    assert_eq!(sim.control().drop_agent(None), 1);
    let r = rx.recv_timeout(WAIT).expect("the callback ran");
    assert_eq!(r.unwrap_err().code, ErrorCode::InvalidRequest);
    agent.destroy().expect("destroy");
}
