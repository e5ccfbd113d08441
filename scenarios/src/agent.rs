//! The agent client on every transport, against a customer client of the same transport:
//! a chat in both directions (typing, sneak peek, thinking, preview, agents-only notes,
//! deactivation, transfer to the bot, routing status); personal access tokens; `ready`
//! after login and after a drop; the pre-login queue in call order; destroy; and
//! `agent_disconnected` with a pause reason.
//!
//! A transport's `tests/scenarios.rs` implements [`AgentTransport`] and expands
//! [`agent_scenarios!`](crate::agent_scenarios).

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use livechat_core::agent::actions::{
    ListChats, RoutingStatus, SendThinkingIndicator, TransferChat, TransferTarget,
};
use livechat_core::agent::{
    AgentApi, AgentConfig, AgentCredentials, AgentEvent, AgentEventKind, DisconnectReason, Exec, Recipients,
};
use livechat_core::customer::actions::ResumeChat;
use livechat_core::customer::{CustomerApi, Endpoint, Event};
use livechat_core::engine::CloseInfo;
use livechat_core::hub::Listen;
use livechat_core::model::ChatEvent;
use livechat_core::{Error, ErrorCode};
use livechat_sim::{
    BOT_AGENT_ID, DEFAULT_AGENT_ACCOUNT_ID, DEFAULT_AGENT_ID, DEFAULT_AGENT_PAT, DEFAULT_AGENT_TOKEN,
    SimConfig,
};
use serde_json::{Value, json};

use crate::identity::IdentityTransport;
use crate::{Env, EventSource, Next};

/// What the agent scenarios need beyond [`IdentityTransport`].
pub trait AgentTransport: IdentityTransport {
    /// A new event stream (receiver, iterator) of the agent, read with a deadline.
    fn agent_events(agent: &Self::Agent) -> Box<dyn EventSource<AgentEvent>>;
}

const WAIT: Duration = Duration::from_secs(10);

pub(crate) type AgentEvents = Box<dyn EventSource<AgentEvent>>;

/// The next agent event matching `f` (10 s at most); panics naming `what` otherwise.
pub(crate) fn next_matching(
    events: &mut AgentEvents,
    what: &str,
    f: impl Fn(&AgentEvent) -> bool,
) -> AgentEvent {
    let end = Instant::now() + WAIT;
    loop {
        match events.next_within(end.saturating_duration_since(Instant::now())) {
            Next::Event(e) if f(&e) => return e,
            Next::Event(_) => {}
            Next::Ended => panic!("the agent's event stream ended waiting for {what}"),
            Next::TimedOut => panic!("timed out waiting for {what}"),
        }
    }
}

fn text(e: &ChatEvent) -> Option<&str> {
    match e {
        ChatEvent::Message(m) => Some(&m.text),
        _ => None,
    }
}

fn agent_config(env: &Env, credentials: AgentCredentials) -> AgentConfig {
    let mut config =
        AgentConfig::new(env.org.clone(), credentials).with_endpoint(Endpoint::url(env.sim.url()));
    config.connection.seed = Some(11);
    config
}

/// Subscribe before connecting, so `ready` cannot slip past the stream.
pub(crate) fn start_agent<T: AgentTransport>(
    env: &Env,
    credentials: AgentCredentials,
) -> (T::Agent, AgentEvents) {
    let mut config = agent_config(env, credentials);
    config.connection.auto_connect = false;
    let agent = T::start_agent(config, None);
    let mut events = T::agent_events(&agent);
    T::wait_agent(agent.connect()).expect("connect");
    let ready = next_matching(&mut events, "ready", |e| matches!(e, AgentEvent::Ready(_)));
    let AgentEvent::Ready(ready) = ready else { unreachable!() };
    assert_eq!(ready.my_profile.as_ref().map(|p| p.id.as_str()), Some(DEFAULT_AGENT_ID));
    (agent, events)
}

/// An agent call issued on its own thread, to wait for later (see [`crate::later`]).
fn later<T: AgentTransport, V: Send + 'static>(
    agent: &T::Agent,
    call: impl FnOnce(&T::Agent) -> <T::Agent as Exec>::Out<V> + Send + 'static,
) -> JoinHandle<Result<V, Error>> {
    let agent = agent.clone();
    let handle = std::thread::spawn(move || T::wait_agent(call(&agent)));
    // Give the call time to reach the session before the caller goes on.
    std::thread::sleep(Duration::from_millis(20));
    handle
}

/// The result of a [`later`] call, which must come within `limit` (a generous guard).
fn join_within<V>(handle: JoinHandle<Result<V, Error>>, what: &str, limit: Duration) -> Result<V, Error> {
    let end = Instant::now() + limit;
    while !handle.is_finished() {
        assert!(Instant::now() < end, "{what}");
        std::thread::sleep(Duration::from_millis(10));
    }
    handle.join().unwrap_or_else(|_| panic!("the calling thread panicked"))
}

/// The customer starts a chat and writes; the logged-in agent (preferred over the bot) gets
/// it. Returns the chat id.
pub(crate) fn customer_opens_chat<T: AgentTransport>(
    customer: &T::Client,
    agent_events: &mut AgentEvents,
    first: &str,
) -> String {
    let started = T::wait(customer.start_chat(Default::default())).expect("start_chat");
    let chat_id = started.chat_id.clone();
    let incoming = next_matching(
        agent_events,
        "incoming_chat",
        |e| matches!(e, AgentEvent::IncomingChat(c) if c.chat.id == chat_id),
    );
    let AgentEvent::IncomingChat(incoming) = incoming else { unreachable!() };
    assert!(incoming.chat.users.iter().any(|u| u.id() == DEFAULT_AGENT_ID), "{incoming:?}");
    T::wait(customer.send_message(&chat_id, first)).expect("customer send");
    next_matching(
        agent_events,
        "the customer's message",
        |e| matches!(e, AgentEvent::IncomingEvent(i) if text(&i.event) == Some(first)),
    );
    chat_id
}

pub(crate) fn customer_text(e: &Event, want: &str) -> bool {
    matches!(e, Event::IncomingEvent(i) if text(&i.event) == Some(want))
}

pub fn agent_and_customer_chat_both_ways_with_typing_transfer_and_deactivation<T: AgentTransport>() {
    let env = Env::new("agent-both-ways");
    let (agent, mut agent_events) = start_agent::<T>(&env, AgentCredentials::bearer(DEFAULT_AGENT_TOKEN));
    let details = T::wait_agent(agent.agent_details()).expect("agent_details");
    assert_eq!(details["my_profile"]["id"], DEFAULT_AGENT_ID);

    let (customer, mut customer_events) = env.customer::<T>();
    let chat_id = customer_opens_chat::<T>(&customer, &mut agent_events, "is anyone there?");

    // Agent → customer: typing, then a message.
    T::wait_agent(agent.send_typing_indicator(&chat_id, true)).expect("typing");
    let typing = customer_events.wait_for("typing", |e| matches!(e, Event::IncomingTypingIndicator(_)));
    let Event::IncomingTypingIndicator(typing) = typing else { unreachable!() };
    assert_eq!(typing.typing_indicator.author_id, DEFAULT_AGENT_ID);
    assert!(typing.typing_indicator.is_typing);
    let sent =
        T::wait_agent(agent.send_message(&chat_id, "yes, hello!", Recipients::All)).expect("send_message");
    assert!(!sent.event_id.is_empty());
    let got = customer_events.wait_for(
        "the agent's message",
        |e| matches!(e, Event::IncomingEvent(i) if text(&i.event).is_some()),
    );
    let Event::IncomingEvent(got) = got else { unreachable!() };
    // The first message the customer sees is the human agent's: the bot did not answer.
    assert_eq!(text(&got.event), Some("yes, hello!"));
    assert_eq!(got.event.author_id(), Some(DEFAULT_AGENT_ID));
    assert_eq!(got.event.id(), Some(sent.event_id.as_str()));

    // Customer → agent: what they are typing (sneak peek), then a message.
    T::wait(customer.set_sneak_peek(&chat_id, "great, I nee")).expect("sneak peek");
    let peek =
        next_matching(&mut agent_events, "sneak peek", |e| matches!(e, AgentEvent::IncomingSneakPeek(_)));
    let AgentEvent::IncomingSneakPeek(peek) = peek else { unreachable!() };
    assert_eq!(peek.sneak_peek.text, "great, I nee");
    T::wait(customer.send_message(&chat_id, "great, I need help")).expect("customer send");
    next_matching(
        &mut agent_events,
        "the reply",
        |e| matches!(e, AgentEvent::IncomingEvent(i) if text(&i.event) == Some("great, I need help")),
    );

    // An agents-only message never reaches the customer.
    T::wait_agent(agent.send_message(&chat_id, "internal note", Recipients::Agents)).expect("note");
    // Thinking indicator and preview reach the customer.
    T::wait_agent(agent.send_thinking_indicator(SendThinkingIndicator {
        chat_id: chat_id.clone(),
        title: Some("Looking it up".into()),
        ..Default::default()
    }))
    .expect("thinking");
    customer_events.wait_for("thinking", |e| matches!(e, Event::IncomingThinkingIndicator(_)));
    T::wait_agent(agent.send_event_preview(&chat_id, "Here is wh")).expect("preview");
    customer_events.wait_for("preview", |e| matches!(e, Event::IncomingEventPreview(_)));
    T::wait_agent(agent.send_event(&chat_id, ChatEvent::message("Here is what I found.")))
        .expect("send_event");
    let got = customer_events.wait_for(
        "message after preview",
        |e| matches!(e, Event::IncomingEvent(i) if text(&i.event).is_some()),
    );
    let Event::IncomingEvent(got) = got else { unreachable!() };
    assert_eq!(text(&got.event), Some("Here is what I found."), "the agents-only note was skipped");

    // Typed reads.
    let list = T::wait_agent(agent.list_chats(ListChats::new())).expect("list_chats");
    assert!(list.chats_summary.iter().any(|c| c.id == chat_id));
    let chat = T::wait_agent(agent.get_chat(&chat_id, None)).expect("get_chat");
    let texts: Vec<&str> =
        chat.thread.as_ref().map(|t| t.events.iter().filter_map(text).collect()).unwrap_or_default();
    assert_eq!(
        texts,
        ["is anyone there?", "yes, hello!", "great, I need help", "internal note", "Here is what I found."]
    );
    let raw = T::wait_agent(agent.call_raw("get_chat", json!({"chat_id": chat_id}))).expect("call_raw");
    assert_eq!(raw["id"], chat_id.as_str());
    T::wait_agent(agent.mark_events_as_seen(&chat_id, "2100-01-01T00:00:00.000000Z")).expect("seen");

    // Deactivation reaches both sides.
    T::wait_agent(agent.deactivate_chat(&chat_id)).expect("deactivate");
    customer_events.wait_for(
        "customer chat_deactivated",
        |e| matches!(e, Event::ChatDeactivated(d) if d.chat_id == chat_id),
    );
    next_matching(
        &mut agent_events,
        "agent chat_deactivated",
        |e| matches!(e, AgentEvent::ChatDeactivated(d) if d.chat_id == chat_id),
    );

    // The customer comes back: the agent gets the chat again and hands it to the bot; the
    // transfer reaches both sides and the bot takes over.
    T::wait(customer.resume_chat(ResumeChat::new(&chat_id))).expect("resume_chat");
    next_matching(
        &mut agent_events,
        "incoming_chat again",
        |e| matches!(e, AgentEvent::IncomingChat(c) if c.chat.id == chat_id),
    );
    T::wait_agent(agent.transfer_chat(TransferChat {
        id: chat_id.clone(),
        target: Some(TransferTarget::agents([BOT_AGENT_ID])),
        ..Default::default()
    }))
    .expect("transfer");
    customer_events.wait_for(
        "customer chat_transferred",
        |e| matches!(e, Event::ChatTransferred(t) if t.chat_id == chat_id),
    );
    let t = next_matching(
        &mut agent_events,
        "agent chat_transferred",
        |e| matches!(e, AgentEvent::ChatTransferred(t) if t.chat_id == chat_id),
    );
    let AgentEvent::ChatTransferred(t) = t else { unreachable!() };
    assert_eq!(t.transferred_to.agent_ids, [BOT_AGENT_ID]);
    T::wait(customer.send_message(&chat_id, "bot?")).expect("to the bot");
    customer_events.wait_for("bot reply", |e| customer_text(e, "You said: bot?"));

    // Routing status round trip.
    T::wait_agent(agent.set_routing_status(RoutingStatus::NotAcceptingChats)).expect("routing");
    next_matching(&mut agent_events, "routing_status_set", |e| matches!(e, AgentEvent::RoutingStatusSet(_)));
    T::wait_agent(agent.destroy()).expect("destroy");
    T::wait(customer.destroy()).expect("customer destroy");
}

pub fn personal_access_token_agent_chats_with_a_customer<T: AgentTransport>() {
    let env = Env::new("agent-pat");
    let pat = AgentCredentials::personal_access_token(DEFAULT_AGENT_ACCOUNT_ID, DEFAULT_AGENT_PAT);
    let (agent, mut agent_events) = start_agent::<T>(&env, pat);
    let (customer, mut customer_events) = env.customer::<T>();
    let chat_id = customer_opens_chat::<T>(&customer, &mut agent_events, "hello PAT agent");
    T::wait_agent(agent.send_message(&chat_id, "hello customer", Recipients::All)).expect("send");
    customer_events.wait_for("agent message", |e| customer_text(e, "hello customer"));
    T::wait_agent(agent.destroy()).expect("destroy");

    // The console's pre-encoded form logs in too.
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD
        .encode(format!("{DEFAULT_AGENT_ACCOUNT_ID}:{DEFAULT_AGENT_PAT}"));
    let (again, _events) = start_agent::<T>(&env, AgentCredentials::encoded_pat(encoded));
    T::wait_agent(again.destroy()).expect("destroy");
}

pub fn ready_again_after_a_forced_drop<T: AgentTransport>() {
    let env = Env::new("agent-drop");
    // `start_agent` already asserted the first `ready` (subscribed before connect()).
    let (agent, mut events) = start_agent::<T>(&env, AgentCredentials::bearer(DEFAULT_AGENT_TOKEN));
    let readies = Arc::new(Mutex::new(0));
    let counter = readies.clone();
    agent.on(AgentEventKind::Ready, move |_| *counter.lock().unwrap() += 1);
    assert_eq!(env.sim.control().drop_agent(None), 1);
    let d = next_matching(&mut events, "disconnected", |e| matches!(e, AgentEvent::Disconnected(_)));
    let AgentEvent::Disconnected(d) = d else { unreachable!() };
    assert!(d.will_reconnect, "{d:?}");
    next_matching(&mut events, "ready again", |e| matches!(e, AgentEvent::Ready(_)));
    // Streams get an event just before callbacks do.
    let end = Instant::now() + WAIT;
    while *readies.lock().unwrap() == 0 {
        assert!(Instant::now() < end, "the ready callback ran");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(*readies.lock().unwrap(), 1);
    // The session works after the re-login.
    T::wait_agent(agent.list_chats(ListChats::new())).expect("list_chats after reconnect");
    T::wait_agent(agent.destroy()).expect("destroy");
}

/// A server Close frame (4001) with no `agent_disconnected` push: `connection_lost` with the
/// close code and reason, the Close answered (counted by the simulator), `ready` again on its
/// own and calls work.
pub fn a_server_close_frame_is_answered_and_the_agent_reconnects<T: AgentTransport>() {
    let env = Env::new("agent-close");
    let (agent, mut events) = start_agent::<T>(&env, AgentCredentials::bearer(DEFAULT_AGENT_TOKEN));
    let control = env.sim.control();
    assert_eq!(control.close_agent(Some(DEFAULT_AGENT_ID), 4001, "closed by test"), 1);
    let d = next_matching(&mut events, "disconnected", |e| matches!(e, AgentEvent::Disconnected(_)));
    let AgentEvent::Disconnected(d) = d else { unreachable!() };
    assert_eq!(d.reason, DisconnectReason::ConnectionLost, "{d:?}");
    let close = CloseInfo { code: Some(4001), reason: "closed by test".into() };
    assert_eq!(d.close, Some(close), "{d:?}");
    assert!(d.will_reconnect && !d.destroyed, "{d:?}");
    let end = Instant::now() + WAIT;
    while control.stats().closes_answered + control.stats().closes_unanswered == 0 {
        assert!(Instant::now() < end, "the simulator never settled the closing handshake");
        std::thread::sleep(Duration::from_millis(20));
    }
    let s = control.stats();
    assert_eq!((s.closes_sent, s.closes_answered, s.closes_unanswered), (1, 1, 0), "the Close was answered");
    next_matching(&mut events, "ready again", |e| matches!(e, AgentEvent::Ready(_)));
    T::wait_agent(agent.list_chats(ListChats::new())).expect("list_chats after the reconnect");
    T::wait_agent(agent.destroy()).expect("destroy");
}

pub fn calls_made_before_ready_are_sent_after_login_in_call_order<T: AgentTransport>() {
    let log =
        std::env::temp_dir().join(format!("livechat-agent-queue-{}-{}.jsonl", T::NAME, std::process::id()));
    let env = Env::with("agent-queue", SimConfig { frame_log: Some(log.clone()), ..SimConfig::default() });
    // A chat to write into, served by a first agent connection.
    let (first, mut first_events) = start_agent::<T>(&env, AgentCredentials::bearer(DEFAULT_AGENT_TOKEN));
    let (customer, mut customer_events) = env.customer::<T>();
    let chat_id = customer_opens_chat::<T>(&customer, &mut first_events, "queue test");
    T::wait_agent(first.destroy()).expect("destroy first");

    // Logins are answered late, so the calls below certainly precede `ready`.
    env.sim.control().set_response_delay(Duration::from_millis(300));
    let order = Arc::new(Mutex::new(Vec::<String>::new()));
    let second = T::start_agent(agent_config(&env, AgentCredentials::bearer(DEFAULT_AGENT_TOKEN)), None);
    let o = order.clone();
    second.on(AgentEventKind::Ready, move |_| o.lock().unwrap().push("ready".into()));
    let calls: Vec<_> = ["one", "two", "three"]
        .into_iter()
        .map(|t| {
            let chat_id = chat_id.clone();
            later::<T, _>(&second, move |a| a.send_message(&chat_id, t, Recipients::All))
        })
        .collect();
    // Each result is recorded once it is in, after `ready` if the calls waited for login.
    for (call, t) in calls.into_iter().zip(["one", "two", "three"]) {
        let r = join_within(call, "calls done", WAIT);
        assert!(r.is_ok(), "{t}: {r:?}");
        order.lock().unwrap().push(t.to_string());
    }
    env.sim.control().clear_faults();
    assert_eq!(order.lock().unwrap()[0], "ready", "{:?}", order.lock().unwrap());
    for expected in ["one", "two", "three"] {
        customer_events.wait_for(expected, |e| customer_text(e, expected));
    }
    let chat = T::wait_agent(second.get_chat(&chat_id, None)).expect("get_chat");
    let texts: Vec<&str> = chat.thread.as_ref().unwrap().events.iter().filter_map(text).collect();
    assert_eq!(texts, ["queue test", "one", "two", "three"]);

    // On the wire: the second connection's login response went out before its first
    // send_event came in, and the sends came in call order.
    let frames = std::fs::read_to_string(&log).unwrap();
    let frames: Vec<Value> = frames.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let conn_of_login = frames
        .iter()
        .filter(|f| f["dir"] == "in" && f["frame"].as_str().unwrap_or("").contains("\"login\""))
        .map(|f| f["conn"].clone())
        .collect::<Vec<_>>();
    let second_conn = conn_of_login.last().unwrap().clone();
    let mine: Vec<(String, String)> = frames
        .iter()
        .filter(|f| f["conn"] == second_conn)
        .map(|f| {
            let inner: Value = serde_json::from_str(f["frame"].as_str().unwrap()).unwrap();
            let what = inner["action"].as_str().unwrap_or("").to_string();
            let what = match inner["payload"]["event"]["text"].as_str() {
                Some(t) if what == "send_event" => format!("send_event:{t}"),
                _ => what,
            };
            (f["dir"].as_str().unwrap().to_string(), what)
        })
        .filter(|(_, w)| w != "ping")
        .collect();
    let pos = |dir: &str, what: &str| mine.iter().position(|(d, w)| d == dir && w == what).unwrap();
    let login_out = pos("out", "login");
    let sends: Vec<usize> =
        ["one", "two", "three"].iter().map(|t| pos("in", &format!("send_event:{t}"))).collect();
    assert!(login_out < sends[0] && sends[0] < sends[1] && sends[1] < sends[2], "{mine:?}");
    let _ = std::fs::remove_file(&log);
    T::wait_agent(second.destroy()).expect("destroy");
    T::wait(customer.destroy()).expect("customer destroy");
}

pub fn destroy_fails_pending_and_queued_calls_and_ends_streams<T: AgentTransport>() {
    let env = Env::new("agent-destroy");
    let (agent, events) = start_agent::<T>(&env, AgentCredentials::bearer(DEFAULT_AGENT_TOKEN));
    env.sim.control().set_drop_responses(true);
    // The requests reach the server, which never answers.
    let pending = later::<T, _>(&agent, |a| a.list_chats(ListChats::new()));
    let pending_raw = later::<T, _>(&agent, |a| a.call_raw("list_routing_statuses", json!({})));
    std::thread::sleep(Duration::from_millis(100));
    assert!(!pending.is_finished() && !pending_raw.is_finished(), "the calls are still waiting");
    T::wait_agent(agent.destroy()).expect("destroy");
    let by_destroy = "completed by destroy, not by its 20 s deadline";
    let e = join_within(pending, by_destroy, Duration::from_secs(2)).unwrap_err();
    assert_eq!(e.code, ErrorCode::SdkDestroyed, "{e:?}");
    let e = join_within(pending_raw, by_destroy, Duration::from_secs(2)).unwrap_err();
    assert_eq!(e.code, ErrorCode::SdkDestroyed, "{e:?}");
    let e = T::wait_agent(agent.list_chats(ListChats::new())).unwrap_err();
    assert_eq!(e.code, ErrorCode::SdkDestroyed, "calls after destroy: {e:?}");
    // Streams end once destroyed, and so does one taken after; no listener is left.
    for (what, mut stream) in
        [("the event stream", events), ("a stream taken after destroy", T::agent_events(&agent))]
    {
        let end = Instant::now() + WAIT;
        loop {
            assert!(Instant::now() < end, "{what} ended");
            match stream.next_within(end.saturating_duration_since(Instant::now())) {
                Next::Ended => break,
                Next::Event(_) => {}
                Next::TimedOut => panic!("{what} ended"),
            }
        }
    }
    agent.on_any(|_| {});
    assert_eq!(agent.hub().lock().unwrap().listener_count(), 0, "no listener registers after destroy");
    env.sim.control().clear_faults();

    // Queued before any login: a client whose server never answers.
    let dead = T::start_agent(
        AgentConfig::new("org", AgentCredentials::bearer("x"))
            .with_endpoint(Endpoint::url("ws://127.0.0.1:9")),
        None,
    );
    let queued = later::<T, _>(&dead, |a| a.send_message("CH1", "never sent", Recipients::All));
    let details = T::wait_agent(dead.agent_details()).unwrap_err();
    assert_eq!(details.code, ErrorCode::NoConnection);
    T::wait_agent(dead.destroy()).expect("destroy");
    let e = join_within(queued, by_destroy, Duration::from_secs(2)).unwrap_err();
    assert_eq!(e.code, ErrorCode::SdkDestroyed);
}

pub fn agent_disconnected_with_a_pause_reason_waits_for_connect<T: AgentTransport>() {
    let env = Env::new("agent-paused");
    let (agent, mut events) = start_agent::<T>(&env, AgentCredentials::bearer(DEFAULT_AGENT_TOKEN));
    let control = env.sim.control();
    assert_eq!(control.disconnect_agent(Some(DEFAULT_AGENT_ID), "agent_logged_out_remotely", None), 1);
    let d = next_matching(&mut events, "disconnected", |e| matches!(e, AgentEvent::Disconnected(_)));
    let AgentEvent::Disconnected(d) = d else { unreachable!() };
    assert_eq!(d.reason, DisconnectReason::AgentLoggedOutRemotely);
    assert!(!d.will_reconnect && !d.destroyed, "{d:?}");
    // Paused: no reconnect on its own.
    let end = Instant::now() + Duration::from_millis(1500);
    while let Next::Event(e) = events.next_within(end.saturating_duration_since(Instant::now())) {
        assert!(!matches!(e, AgentEvent::Ready(_)), "a paused session does not log in again by itself");
    }
    assert_eq!(control.stats().connections_open, 0);
    T::wait_agent(agent.connect()).expect("connect");
    next_matching(&mut events, "ready after connect()", |e| matches!(e, AgentEvent::Ready(_)));
    T::wait_agent(agent.destroy()).expect("destroy");
}

/// One `#[test]` per agent scenario for transport `$t` (an [`AgentTransport`]).
#[macro_export]
macro_rules! agent_scenarios {
    ($t:ty) => {
        $crate::agent_scenarios!(@each $t;
            agent_and_customer_chat_both_ways_with_typing_transfer_and_deactivation,
            personal_access_token_agent_chats_with_a_customer,
            ready_again_after_a_forced_drop,
            a_server_close_frame_is_answered_and_the_agent_reconnects,
            calls_made_before_ready_are_sent_after_login_in_call_order,
            destroy_fails_pending_and_queued_calls_and_ends_streams,
            agent_disconnected_with_a_pause_reason_waits_for_connect,
        );
        #[test]
        fn a_queued_chat_is_assigned_and_the_customer_sees_each_step() {
            $crate::agent_actions::a_queued_chat_is_assigned_and_the_customer_sees_each_step::<$t>();
        }
        #[test]
        fn agent_actions_archives_tags_customers_and_multicast() {
            $crate::agent_actions::agent_actions_archives_tags_customers_and_multicast::<$t>();
        }
    };
    (@each $t:ty; $($name:ident,)*) => {
        $(
            #[test]
            fn $name() {
                $crate::agent::$name::<$t>();
            }
        )*
    };
}
