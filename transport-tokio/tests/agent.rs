//! The tokio agent client against livechat-sim: a Rust agent and a Rust customer chat in
//! both directions; `ready` after login and after a drop; the pre-login queue; destroy;
//! `agent_disconnected` with a pause reason.

use livechat_core::hub::Listen;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use livechat_core::ErrorCode;
use livechat_core::agent::actions::{
    ListChats, RoutingStatus, SendThinkingIndicator, TransferChat, TransferTarget,
};
use livechat_core::agent::{
    AgentConfig, AgentCredentials, AgentEvent, AgentEventKind, DisconnectReason, Recipients,
};
use livechat_core::customer::actions::ResumeChat;
use livechat_core::customer::{Endpoint, Event, SessionConfig};
use livechat_core::model::ChatEvent;
use livechat_core::token::AccountsConfig;
use livechat_sim::{
    BOT_AGENT_ID, DEFAULT_AGENT_ACCOUNT_ID, DEFAULT_AGENT_ID, DEFAULT_AGENT_PAT, DEFAULT_AGENT_TOKEN, Sim,
    SimConfig,
};
use livechat_tokio::{
    AgentApi, AgentClient, AgentEventStream, AgentOptions, ClientOptions, CustomerApi, CustomerClient,
    EventStream, Identity,
};

const WAIT: Duration = Duration::from_secs(10);

async fn next_matching<E: std::fmt::Debug>(
    events: &mut EventStream<E>,
    what: &str,
    f: impl Fn(&E) -> bool,
) -> E {
    tokio::time::timeout(WAIT, async {
        loop {
            let e = events.next().await.expect("event stream ended");
            if f(&e) {
                return e;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

fn text(e: &ChatEvent) -> Option<&str> {
    match e {
        ChatEvent::Message(m) => Some(&m.text),
        _ => None,
    }
}

fn agent_config(sim: &Sim, credentials: AgentCredentials) -> AgentConfig {
    let mut config = AgentConfig::new("org-agent", credentials).with_endpoint(Endpoint::url(sim.url()));
    config.connection.seed = Some(11);
    config
}

/// Subscribe before connecting, so `ready` cannot slip past the stream.
async fn start_agent(sim: &Sim, credentials: AgentCredentials) -> (AgentClient, AgentEventStream) {
    let mut config = agent_config(sim, credentials);
    config.connection.auto_connect = false;
    let client = AgentClient::start(config, AgentOptions::default().debug(true)).expect("valid agent config");
    let mut events = client.events();
    client.connect().await.expect("connect");
    let ready = next_matching(&mut events, "ready", |e| matches!(e, AgentEvent::Ready(_))).await;
    let AgentEvent::Ready(ready) = ready else { unreachable!() };
    assert_eq!(ready.my_profile.as_ref().map(|p| p.id.as_str()), Some(DEFAULT_AGENT_ID));
    (client, events)
}

async fn customer(sim: &Sim, org: &str) -> (CustomerClient, EventStream) {
    let mut config = SessionConfig::new(org, Endpoint::url(sim.url()));
    config.connection.seed = Some(7);
    let accounts = AccountsConfig::new(org, "client-1").with_base_url(sim.http_url());
    config.connection.auto_connect = false;
    let client =
        CustomerClient::start(config, ClientOptions::new(Identity::cookie(accounts, Default::default())));
    let mut events = client.events();
    client.connect().await.expect("connect");
    next_matching(&mut events, "customer connected", |e| matches!(e, Event::Connected(_))).await;
    (client, events)
}

fn tracing() {
    let _ = tracing_subscriber::fmt().with_env_filter("livechat_tokio=debug").with_test_writer().try_init();
}

/// The customer starts a chat and writes; the logged-in agent (preferred over the bot) gets
/// it. Returns the chat id.
async fn customer_opens_chat(
    customer: &CustomerClient,
    agent_events: &mut AgentEventStream,
    first: &str,
) -> String {
    let started = customer.start_chat(Default::default()).await.expect("start_chat");
    let chat_id = started.chat_id.clone();
    let incoming = next_matching(
        agent_events,
        "incoming_chat",
        |e| matches!(e, AgentEvent::IncomingChat(c) if c.chat.id == chat_id),
    )
    .await;
    let AgentEvent::IncomingChat(incoming) = incoming else { unreachable!() };
    assert!(incoming.chat.users.iter().any(|u| u.id() == DEFAULT_AGENT_ID), "{incoming:?}");
    customer.send_message(&chat_id, first).await.expect("customer send");
    next_matching(
        agent_events,
        "the customer's message",
        |e| matches!(e, AgentEvent::IncomingEvent(i) if text(&i.event) == Some(first)),
    )
    .await;
    chat_id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_and_customer_chat_both_ways_with_typing_transfer_and_deactivation() {
    tracing();
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let (agent, mut agent_events) = start_agent(&sim, AgentCredentials::bearer(DEFAULT_AGENT_TOKEN)).await;
    let details = agent.agent_details().await.expect("agent_details");
    assert_eq!(details["my_profile"]["id"], DEFAULT_AGENT_ID);

    let (customer, mut customer_events) = customer(&sim, "org-both-ways").await;
    let chat_id = customer_opens_chat(&customer, &mut agent_events, "is anyone there?").await;

    // Agent → customer: typing, then a message.
    agent.send_typing_indicator(&chat_id, true).await.expect("typing");
    let typing =
        next_matching(&mut customer_events, "typing", |e| matches!(e, Event::IncomingTypingIndicator(_)))
            .await;
    let Event::IncomingTypingIndicator(typing) = typing else { unreachable!() };
    assert_eq!(typing.typing_indicator.author_id, DEFAULT_AGENT_ID);
    assert!(typing.typing_indicator.is_typing);
    let sent = agent.send_message(&chat_id, "yes, hello!", Recipients::All).await.expect("send_message");
    assert!(!sent.event_id.is_empty());
    let got = next_matching(
        &mut customer_events,
        "the agent's message",
        |e| matches!(e, Event::IncomingEvent(i) if text(&i.event).is_some()),
    )
    .await;
    let Event::IncomingEvent(got) = got else { unreachable!() };
    // The first message the customer sees is the human agent's: the bot did not answer.
    assert_eq!(text(&got.event), Some("yes, hello!"));
    assert_eq!(got.event.author_id(), Some(DEFAULT_AGENT_ID));
    assert_eq!(got.event.id(), Some(sent.event_id.as_str()));

    // Customer → agent: what they are typing (sneak peek), then a message.
    customer.set_sneak_peek(&chat_id, "great, I nee").await.expect("sneak peek");
    let peek =
        next_matching(&mut agent_events, "sneak peek", |e| matches!(e, AgentEvent::IncomingSneakPeek(_)))
            .await;
    let AgentEvent::IncomingSneakPeek(peek) = peek else { unreachable!() };
    assert_eq!(peek.sneak_peek.text, "great, I nee");
    customer.send_message(&chat_id, "great, I need help").await.expect("customer send");
    next_matching(
        &mut agent_events,
        "the reply",
        |e| matches!(e, AgentEvent::IncomingEvent(i) if text(&i.event) == Some("great, I need help")),
    )
    .await;

    // An agents-only message never reaches the customer.
    agent.send_message(&chat_id, "internal note", Recipients::Agents).await.expect("note");
    // Thinking indicator and preview reach the customer.
    agent
        .send_thinking_indicator(SendThinkingIndicator {
            chat_id: chat_id.clone(),
            title: Some("Looking it up".into()),
            ..Default::default()
        })
        .await
        .expect("thinking");
    next_matching(&mut customer_events, "thinking", |e| matches!(e, Event::IncomingThinkingIndicator(_)))
        .await;
    agent.send_event_preview(&chat_id, "Here is wh").await.expect("preview");
    next_matching(&mut customer_events, "preview", |e| matches!(e, Event::IncomingEventPreview(_))).await;
    agent.send_event(&chat_id, ChatEvent::message("Here is what I found.")).await.expect("send_event");
    let got = next_matching(
        &mut customer_events,
        "message after preview",
        |e| matches!(e, Event::IncomingEvent(i) if text(&i.event).is_some()),
    )
    .await;
    let Event::IncomingEvent(got) = got else { unreachable!() };
    assert_eq!(text(&got.event), Some("Here is what I found."), "the agents-only note was skipped");

    // Typed reads.
    let list = agent.list_chats(ListChats::new()).await.expect("list_chats");
    assert!(list.chats_summary.iter().any(|c| c.id == chat_id));
    let chat = agent.get_chat(&chat_id, None).await.expect("get_chat");
    let texts: Vec<&str> =
        chat.thread.as_ref().map(|t| t.events.iter().filter_map(text).collect()).unwrap_or_default();
    assert_eq!(
        texts,
        ["is anyone there?", "yes, hello!", "great, I need help", "internal note", "Here is what I found."]
    );
    let raw = agent.call_raw("get_chat", serde_json::json!({"chat_id": chat_id})).await.expect("call_raw");
    assert_eq!(raw["id"], chat_id.as_str());
    agent.mark_events_as_seen(&chat_id, "2100-01-01T00:00:00.000000Z").await.expect("seen");

    // Deactivation reaches both sides.
    agent.deactivate_chat(&chat_id).await.expect("deactivate");
    next_matching(
        &mut customer_events,
        "customer chat_deactivated",
        |e| matches!(e, Event::ChatDeactivated(d) if d.chat_id == chat_id),
    )
    .await;
    next_matching(
        &mut agent_events,
        "agent chat_deactivated",
        |e| matches!(e, AgentEvent::ChatDeactivated(d) if d.chat_id == chat_id),
    )
    .await;

    // The customer comes back: the agent gets the chat again and hands it to the bot; the
    // transfer reaches both sides and the bot takes over.
    customer.resume_chat(ResumeChat::new(&chat_id)).await.expect("resume_chat");
    next_matching(
        &mut agent_events,
        "incoming_chat again",
        |e| matches!(e, AgentEvent::IncomingChat(c) if c.chat.id == chat_id),
    )
    .await;
    agent
        .transfer_chat(TransferChat {
            id: chat_id.clone(),
            target: Some(TransferTarget::agents([BOT_AGENT_ID])),
            ..Default::default()
        })
        .await
        .expect("transfer");
    next_matching(
        &mut customer_events,
        "customer chat_transferred",
        |e| matches!(e, Event::ChatTransferred(t) if t.chat_id == chat_id),
    )
    .await;
    let t = next_matching(
        &mut agent_events,
        "agent chat_transferred",
        |e| matches!(e, AgentEvent::ChatTransferred(t) if t.chat_id == chat_id),
    )
    .await;
    let AgentEvent::ChatTransferred(t) = t else { unreachable!() };
    assert_eq!(t.transferred_to.agent_ids, [BOT_AGENT_ID]);
    customer.send_message(&chat_id, "bot?").await.expect("to the bot");
    next_matching(
        &mut customer_events,
        "bot reply",
        |e| matches!(e, Event::IncomingEvent(i) if text(&i.event) == Some("You said: bot?")),
    )
    .await;

    // Routing status round trip.
    agent.set_routing_status(RoutingStatus::NotAcceptingChats).await.expect("routing");
    next_matching(&mut agent_events, "routing_status_set", |e| matches!(e, AgentEvent::RoutingStatusSet(_)))
        .await;
    agent.destroy().await.expect("destroy");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personal_access_token_agent_chats_with_a_customer() {
    tracing();
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let (agent, mut agent_events) = start_agent(
        &sim,
        AgentCredentials::personal_access_token(DEFAULT_AGENT_ACCOUNT_ID, DEFAULT_AGENT_PAT),
    )
    .await;
    let (customer, mut customer_events) = customer(&sim, "org-pat").await;
    let chat_id = customer_opens_chat(&customer, &mut agent_events, "hello PAT agent").await;
    agent.send_message(&chat_id, "hello customer", Recipients::All).await.expect("send");
    next_matching(
        &mut customer_events,
        "agent message",
        |e| matches!(e, Event::IncomingEvent(i) if text(&i.event) == Some("hello customer")),
    )
    .await;
    agent.destroy().await.expect("destroy");

    // The console's pre-encoded form logs in too.
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD
        .encode(format!("{DEFAULT_AGENT_ACCOUNT_ID}:{DEFAULT_AGENT_PAT}"));
    let (again, _events) = start_agent(&sim, AgentCredentials::encoded_pat(encoded)).await;
    again.destroy().await.expect("destroy");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_again_after_a_forced_drop() {
    tracing();
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let (agent, mut events) = start_agent(&sim, AgentCredentials::bearer(DEFAULT_AGENT_TOKEN)).await;
    let readies = Arc::new(Mutex::new(0));
    let counter = readies.clone();
    agent.on(AgentEventKind::Ready, move |_| *counter.lock().unwrap() += 1);
    assert_eq!(sim.control().drop_agent(None), 1);
    let d = next_matching(&mut events, "disconnected", |e| matches!(e, AgentEvent::Disconnected(_))).await;
    let AgentEvent::Disconnected(d) = d else { unreachable!() };
    assert!(d.will_reconnect, "{d:?}");
    next_matching(&mut events, "ready again", |e| matches!(e, AgentEvent::Ready(_))).await;
    // Streams get an event just before callbacks do.
    tokio::time::timeout(WAIT, async {
        while *readies.lock().unwrap() == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the ready callback ran");
    assert_eq!(*readies.lock().unwrap(), 1);
    // The session works after the re-login.
    agent.list_chats(ListChats::new()).await.expect("list_chats after reconnect");
    agent.destroy().await.expect("destroy");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_made_before_ready_are_sent_after_login_in_call_order() {
    tracing();
    let log = std::env::temp_dir().join(format!("livechat-agent-queue-{}.jsonl", std::process::id()));
    let sim = Sim::start(SimConfig { frame_log: Some(log.clone()), ..SimConfig::default() }).await.unwrap();
    // A chat to write into, served by a first agent connection.
    let (first, mut first_events) = start_agent(&sim, AgentCredentials::bearer(DEFAULT_AGENT_TOKEN)).await;
    let (customer, mut customer_events) = customer(&sim, "org-queue").await;
    let chat_id = customer_opens_chat(&customer, &mut first_events, "queue test").await;
    first.destroy().await.expect("destroy first");

    // Logins are answered late, so the calls below certainly precede `ready`.
    sim.control().set_response_delay(Duration::from_millis(300));
    let order = Arc::new(Mutex::new(Vec::<String>::new()));
    let second = AgentClient::start(
        agent_config(&sim, AgentCredentials::bearer(DEFAULT_AGENT_TOKEN)),
        AgentOptions::default(),
    )
    .unwrap();
    let o = order.clone();
    second.on(AgentEventKind::Ready, move |_| o.lock().unwrap().push("ready".into()));
    let calls: Vec<_> = ["one", "two", "three"]
        .into_iter()
        .map(|t| {
            let o = order.clone();
            let f = second.send_message(&chat_id, t, Recipients::All);
            async move {
                let r = f.await;
                o.lock().unwrap().push(t.to_string());
                r
            }
        })
        .collect();
    let results =
        tokio::time::timeout(WAIT, futures_util::future::join_all(calls)).await.expect("calls done");
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    sim.control().clear_faults();
    assert_eq!(order.lock().unwrap()[0], "ready", "{:?}", order.lock().unwrap());
    for expected in ["one", "two", "three"] {
        next_matching(
            &mut customer_events,
            expected,
            |e| matches!(e, Event::IncomingEvent(i) if text(&i.event) == Some(expected)),
        )
        .await;
    }
    let chat = second.get_chat(&chat_id, None).await.expect("get_chat");
    let texts: Vec<&str> = chat.thread.as_ref().unwrap().events.iter().filter_map(text).collect();
    assert_eq!(texts, ["queue test", "one", "two", "three"]);

    // On the wire: the second connection's login response went out before its first
    // send_event came in.
    let frames = std::fs::read_to_string(&log).unwrap();
    let frames: Vec<serde_json::Value> = frames.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
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
            let inner: serde_json::Value = serde_json::from_str(f["frame"].as_str().unwrap()).unwrap();
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
    second.destroy().await.expect("destroy");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroy_fails_pending_and_queued_calls_and_ends_streams() {
    tracing();
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let (agent, mut events) = start_agent(&sim, AgentCredentials::bearer(DEFAULT_AGENT_TOKEN)).await;
    sim.control().set_drop_responses(true);
    let pending = agent.list_chats(ListChats::new());
    let pending2 = agent.call_raw("list_routing_statuses", serde_json::json!({}));
    // Let them reach the socket.
    tokio::time::sleep(Duration::from_millis(100)).await;
    agent.destroy().await.expect("destroy");
    let e = tokio::time::timeout(Duration::from_secs(2), pending)
        .await
        .expect("completed by destroy, not by its 20 s deadline")
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::SdkDestroyed, "{e:?}");
    let e = pending2.await.unwrap_err();
    assert_eq!(e.code, ErrorCode::SdkDestroyed);
    let e = agent.list_chats(ListChats::new()).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::SdkDestroyed, "calls after destroy: {e:?}");
    // Streams end once destroyed, and so does one taken after; no listener is left.
    let end = tokio::time::timeout(WAIT, async { while events.next().await.is_some() {} }).await;
    assert!(end.is_ok(), "the event stream ended");
    let mut late = agent.events();
    let end = tokio::time::timeout(WAIT, async { while late.next().await.is_some() {} }).await;
    assert!(end.is_ok(), "a stream taken after destroy ended");
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
    let queued = dead.send_message("CH1", "never sent", Recipients::All);
    let details = dead.agent_details().await.unwrap_err();
    assert_eq!(details.code, ErrorCode::NoConnection);
    dead.destroy().await.expect("destroy");
    let e = tokio::time::timeout(Duration::from_secs(2), queued)
        .await
        .expect("completed by destroy, not by its 20 s deadline")
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::SdkDestroyed);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_disconnected_with_a_pause_reason_waits_for_connect() {
    tracing();
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let (agent, mut events) = start_agent(&sim, AgentCredentials::bearer(DEFAULT_AGENT_TOKEN)).await;
    assert_eq!(sim.control().disconnect_agent(Some(DEFAULT_AGENT_ID), "agent_logged_out_remotely", None), 1);
    let d = next_matching(&mut events, "disconnected", |e| matches!(e, AgentEvent::Disconnected(_))).await;
    let AgentEvent::Disconnected(d) = d else { unreachable!() };
    assert_eq!(d.reason, DisconnectReason::AgentLoggedOutRemotely);
    assert!(!d.will_reconnect && !d.destroyed, "{d:?}");
    // Paused: no reconnect on its own.
    let quiet = tokio::time::timeout(Duration::from_millis(1500), async {
        loop {
            if let Some(AgentEvent::Ready(_)) = events.next().await {
                return;
            }
        }
    })
    .await;
    assert!(quiet.is_err(), "a paused session does not log in again by itself");
    assert_eq!(sim.control().stats().connections_open, 0);
    agent.connect().await.expect("connect");
    next_matching(&mut events, "ready after connect()", |e| matches!(e, AgentEvent::Ready(_))).await;
    agent.destroy().await.expect("destroy");
    sim.shutdown().await;
}
