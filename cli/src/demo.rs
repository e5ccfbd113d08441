//! `livechat demo`: a scripted conversation against the embedded simulator, one ✓ line per
//! feature, a transcript at the end. Every wait has a timeout; the first failure ends the run
//! with a message naming the step.

use std::future::Future;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use livechat_core::BackoffConfig;
use livechat_core::customer::actions::StartChat;
use livechat_core::customer::{CustomerConfig, Endpoint, Event};
use livechat_core::model::{ChatEvent, Properties, RichMessagePostback, Thread};
use livechat_core::token::AccountsConfig;
use livechat_sim::{Control, Sim, SimConfig};
use livechat_tokio::{
    CustomerApi, CustomerClient, CustomerOptions, EventStream, Identity, Rating, UploadSource,
};
use serde_json::{Map, Value, json};

use crate::transcript::{self, Names};

const ORG: &str = "demo-org";
const CLIENT_ID: &str = "demo-client";
/// The longest any single wait may take.
const WAIT: Duration = Duration::from_secs(5);

type R<T> = Result<T, String>;

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// An error of the simulator's control API.
fn sim_err(e: livechat_sim::ApiError) -> String {
    format!("simulator control refused: {}: {}", e.kind, e.message)
}

/// Await `f`, at most [`WAIT`].
async fn within<T>(what: &str, f: impl Future<Output = T>) -> R<T> {
    tokio::time::timeout(WAIT, f).await.map_err(|_| format!("timed out after {WAIT:?} waiting for {what}"))
}

/// The next event for which `pick` returns `Some`, skipping others, at most [`WAIT`].
async fn wait_for<T>(
    events: &mut EventStream,
    what: &str,
    mut pick: impl FnMut(&Event) -> Option<T>,
) -> R<T> {
    within(what, async {
        loop {
            match events.next().await {
                Some(e) => {
                    if let Some(t) = pick(&e) {
                        return Ok(t);
                    }
                }
                None => return Err("the client's event stream ended".to_string()),
            }
        }
    })
    .await?
}

fn text_of(e: &ChatEvent) -> Option<&str> {
    match e {
        ChatEvent::Message(m) => Some(&m.text),
        _ => None,
    }
}

/// A bot or agent event in our chat.
fn incoming(e: &Event, chat_id: &str, customer_id: &str) -> Option<(String, ChatEvent)> {
    match e {
        Event::IncomingEvent(ie) if ie.chat_id == chat_id && ie.event.author_id() != Some(customer_id) => {
            Some((ie.thread_id.clone(), ie.event.clone()))
        }
        _ => None,
    }
}

fn props(ns: &str, pairs: &[(&str, Value)]) -> Properties {
    let mut inner = Map::new();
    for (k, v) in pairs {
        inner.insert(k.to_string(), v.clone());
    }
    let mut p = Properties::new();
    p.insert(ns.to_string(), inner);
    p
}

struct Demo {
    client: CustomerClient,
    events: EventStream,
    control: Control,
    customer_id: String,
    chat_id: String,
    thread_id: String,
    names: Names,
}

pub async fn run(debug: bool) -> i32 {
    let started = Instant::now();
    println!("livechat demo: a customer chats with the simulator's bot through the tokio client\n");
    match tokio::time::timeout(Duration::from_secs(60), script(debug)).await {
        Ok(Ok(())) => {
            println!("\nAll steps passed in {:.2} s.", started.elapsed().as_secs_f64());
            0
        }
        Ok(Err((step, e))) => {
            eprintln!("\n✗ demo failed at step `{step}`: {e}");
            1
        }
        Err(_) => {
            eprintln!("\n✗ demo failed: the whole run took more than 60 s");
            1
        }
    }
}

fn ok(step_started: Instant, line: String) {
    println!("✓ {line}  ({} ms)", step_started.elapsed().as_millis());
}

/// Runs one step: its ✓ line on success, `(step, error)` otherwise.
macro_rules! step {
    ($name:literal, $body:expr) => {{
        let t = Instant::now();
        match $body.await {
            Ok(line) => ok(t, line),
            Err(e) => return Err(($name, e)),
        }
    }};
}

async fn script(debug: bool) -> Result<(), (&'static str, String)> {
    // The simulator.
    let t = Instant::now();
    let sim = Sim::start(SimConfig::default()).await.map_err(|e| ("simulator", err(e)))?;
    ok(t, format!("simulator listening on {} (bot `{}` on duty)", sim.addr(), livechat_sim::BOT_AGENT_ID));

    // Login.
    let t = Instant::now();
    let mut d = connect(&sim, debug).await.map_err(|e| ("login", e))?;
    ok(t, format!("logged in with the cookie grant as customer {}: `connected`", d.customer_id));

    step!("start chat", d.start_chat());
    step!("messages", d.messages());
    step!("typing indicator", d.typing());
    step!("rich message", d.rich_message());
    step!("properties", d.properties());
    step!("file upload", d.file_upload());
    step!("reconnect", d.drop_and_reconnect());
    step!("rating", d.rating());
    let t = Instant::now();
    let threads = match d.history().await {
        Ok((line, threads)) => {
            ok(t, line);
            threads
        }
        Err(e) => return Err(("history", e)),
    };
    println!("\nTranscript of chat {}:", d.chat_id);
    print!("{}", transcript::render(&d.names, &threads));
    let _ = d.client.destroy().await;
    sim.shutdown().await;
    Ok(())
}

async fn connect(sim: &Sim, debug: bool) -> R<Demo> {
    let mut config = CustomerConfig::new(ORG, Endpoint::url(sim.url()));
    // Reconnect quickly after the forced drop (the default waits 1–5 s like the official SDK).
    config.connection.socket_backoff =
        BackoffConfig { min: Duration::from_millis(50), max: Duration::from_millis(500), jitter: 0.3 };
    let accounts = AccountsConfig::new(ORG, CLIENT_ID).with_base_url(sim.http_url());
    let mut options = CustomerOptions::new(Identity::cookie(accounts, Default::default()));
    options.debug_frames = debug;
    let client = CustomerClient::start(config, options);
    let mut events = client.events();
    let connected = wait_for(&mut events, "`connected`", |e| match e {
        Event::Connected(c) => Some(Ok(c.clone())),
        Event::Disconnected(d) if !d.will_reconnect => Some(Err(format!("disconnected: {}", d.reason))),
        _ => None,
    })
    .await??;
    let customer_id = connected.customer.id.clone();
    Ok(Demo {
        client,
        events,
        control: sim.control(),
        names: Names::new(Some(customer_id.clone())),
        customer_id,
        chat_id: String::new(),
        thread_id: String::new(),
    })
}

impl Demo {
    /// The next message from the bot or an agent in our chat.
    async fn next_reply(&mut self, what: &str) -> R<ChatEvent> {
        let (chat, me) = (self.chat_id.clone(), self.customer_id.clone());
        wait_for(&mut self.events, what, |e| incoming(e, &chat, &me).map(|(_, ev)| ev)).await
    }

    async fn start_chat(&mut self) -> R<String> {
        let first = "Hi! Where is my order #1042?";
        let req = StartChat::with_events(vec![ChatEvent::message(first)]);
        let started = within("start_chat", self.client.start_chat(req)).await?.map_err(err)?;
        self.chat_id = started.chat_id.clone();
        self.thread_id = started.thread_id.clone();
        if let Some(chat) = &started.chat {
            for u in &chat.users {
                self.names.learn(u);
            }
        }
        let reply = self.next_reply("the bot's answer to the first message").await?;
        let agent = self.names.name(reply.author_id());
        Ok(format!("chat {} started, thread {}, {agent} assigned", self.chat_id, self.thread_id))
    }

    async fn messages(&mut self) -> R<String> {
        let text = "It was shipped last Monday.";
        let sent =
            within("send_message", self.client.send_message(&self.chat_id, text)).await?.map_err(err)?;
        let reply = self.next_reply("the bot's echo").await?;
        let want = format!("You said: {text}");
        if text_of(&reply) != Some(want.as_str()) {
            return Err(format!("expected the bot to answer `{want}`, got {reply:?}"));
        }
        // And a message the agent side starts on its own.
        let agent_text = "Let me check that for you.";
        self.control.agent_message(&self.chat_id, agent_text, None).map_err(sim_err)?;
        let msg = self.next_reply("the agent's message").await?;
        if text_of(&msg) != Some(agent_text) {
            return Err(format!("expected `{agent_text}`, got {msg:?}"));
        }
        Ok(format!(
            "messages both ways: sent {} → bot `{}`; agent → customer `{agent_text}`",
            sent.event_id, want
        ))
    }

    async fn typing(&mut self) -> R<String> {
        self.control.typing(&self.chat_id, true).map_err(sim_err)?;
        let chat = self.chat_id.clone();
        let who = wait_for(&mut self.events, "`incoming_typing_indicator`", |e| match e {
            Event::IncomingTypingIndicator(t) if t.chat_id == chat && t.typing_indicator.is_typing => {
                Some(t.typing_indicator.author_id.clone())
            }
            _ => None,
        })
        .await?;
        self.control.typing(&self.chat_id, false).map_err(sim_err)?;
        wait_for(&mut self.events, "typing to stop", |e| match e {
            Event::IncomingTypingIndicator(t) if t.chat_id == chat && !t.typing_indicator.is_typing => {
                Some(())
            }
            _ => None,
        })
        .await?;
        Ok(format!("`incoming_typing_indicator`: {} is typing… and stopped", self.names.name(Some(&who))))
    }

    async fn rich_message(&mut self) -> R<String> {
        let rich = json!({
            "type": "rich_message", "template_id": "quick_replies",
            "elements": [{"title": "Did that answer your question?", "buttons": [
                {"text": "Yes", "type": "message", "value": "yes", "postback_id": "answer_yes"},
                {"text": "No", "type": "message", "value": "no", "postback_id": "answer_no"}
            ]}]
        });
        let event_id = self.control.agent_event(&self.chat_id, &rich, None).map_err(sim_err)?;
        let (chat, me) = (self.chat_id.clone(), self.customer_id.clone());
        let (thread_id, ev) = wait_for(&mut self.events, "the rich message", |e| {
            incoming(e, &chat, &me).filter(|(_, ev)| ev.kind() == "rich_message")
        })
        .await?;
        let ChatEvent::RichMessage(rm) = &ev else { return Err(format!("not a rich message: {ev:?}")) };
        let button = rm
            .elements
            .first()
            .and_then(|el| el.buttons.first())
            .and_then(|b| b.postback_id.clone())
            .ok_or("the rich message has no button with a postback id")?;
        let postback = RichMessagePostback::new(button.clone());
        within(
            "send_rich_message_postback",
            self.client.send_rich_message_postback(&self.chat_id, &thread_id, &event_id, postback),
        )
        .await?
        .map_err(err)?;
        let echoed = wait_for(&mut self.events, "`incoming_rich_message_postback`", |e| match e {
            Event::IncomingRichMessagePostback(p) if p.event_id == event_id => Some(p.postback.id.clone()),
            _ => None,
        })
        .await?;
        Ok(format!(
            "rich message {event_id} ({} buttons) answered with postback `{echoed}`",
            rm.elements.iter().map(|e| e.buttons.len()).sum::<usize>()
        ))
    }

    async fn properties(&mut self) -> R<String> {
        let chat_props = props("demo", &[("topic", json!("shipping")), ("order", json!(1042))]);
        let thread_props = props("demo", &[("priority", json!("high"))]);
        within("update_chat_properties", self.client.update_chat_properties(&self.chat_id, chat_props))
            .await?
            .map_err(err)?;
        within(
            "update_thread_properties",
            self.client.update_thread_properties(&self.chat_id, &self.thread_id, thread_props),
        )
        .await?
        .map_err(err)?;
        let chat = within("get_chat", self.client.get_chat(&self.chat_id, None)).await?.map_err(err)?;
        let demo = chat.properties.get("demo").ok_or("chat property namespace `demo` missing")?;
        if demo.get("topic") != Some(&json!("shipping")) || demo.get("order") != Some(&json!(1042)) {
            return Err(format!("chat properties read back wrong: {demo:?}"));
        }
        let thread = chat.thread.as_ref().ok_or("get_chat returned no thread")?;
        let priority = thread.properties.get("demo").and_then(|p| p.get("priority"));
        if priority != Some(&json!("high")) {
            return Err(format!("thread property demo.priority read back as {priority:?}"));
        }
        Ok("properties: chat demo.topic=shipping demo.order=1042, thread demo.priority=high (read back with get_chat)"
            .to_string())
    }

    async fn file_upload(&mut self) -> R<String> {
        let data = bytes::Bytes::from_static(b"Order #1042\nShipped: Monday\n");
        let size = data.len();
        let source =
            UploadSource::Bytes { name: "receipt.txt".into(), content_type: "text/plain".into(), data };
        let url = within("upload_file", self.client.upload_file(source, None)).await?.map_err(err)?;
        // The `incoming_event` push answering our own request completes the call; the
        // response carries the event as stored.
        let sent =
            within("send_event(file)", self.client.send_event(&self.chat_id, ChatEvent::file(url.clone())))
                .await?
                .map_err(err)?;
        let file = match sent.event {
            Some(ChatEvent::File(f)) if f.url == url => f,
            other => {
                return Err(format!("send_event did not come back as a file event with our URL: {other:?}"));
            }
        };
        Ok(format!(
            "uploaded {} ({size} B) → `file` event {} with URL {}",
            file.name.as_deref().unwrap_or("?"),
            file.id.as_deref().unwrap_or("?"),
            file.url
        ))
    }

    async fn drop_and_reconnect(&mut self) -> R<String> {
        let text = "Sent while the connection was down.";
        let cut = self.control.drop_customer(Some(&self.customer_id));
        if cut == 0 {
            return Err("the simulator found no socket of this customer to drop".into());
        }
        // Sent at once: the client has not noticed the cut yet, or is reconnecting.
        let send = self.client.send_message(&self.chat_id, text);
        let reason = wait_for(&mut self.events, "`disconnected`", |e| match e {
            Event::Disconnected(d) => Some(Ok((d.reason.to_string(), d.will_reconnect))),
            _ => None,
        })
        .await?
        .and_then(|(reason, again): (String, bool)| {
            if again { Ok(reason) } else { Err(format!("disconnected ({reason}) without reconnecting")) }
        })?;
        let t = Instant::now();
        wait_for(&mut self.events, "`connected` again", |e| matches!(e, Event::Connected(_)).then_some(()))
            .await?;
        let back_after = t.elapsed();
        let sent = within("the message sent during the drop", send).await?.map_err(err)?;
        // The bot answers it. If the server took the message just before the cut, that answer
        // was pushed to the dead socket (pushes are never re-sent), so look in the chat itself,
        // as an application re-syncing after a reconnect does.
        let want = format!("You said: {text}");
        let deadline = Instant::now() + WAIT;
        let events = loop {
            let chat = within("get_chat", self.client.get_chat(&self.chat_id, None)).await?.map_err(err)?;
            let events = chat.thread.map(|t| t.events).unwrap_or_default();
            if events.iter().any(|e| text_of(e) == Some(want.as_str())) {
                break events;
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "timed out after {WAIT:?}: the bot's answer after the reconnect is not in the chat"
                ));
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        };
        let copies = events.iter().filter(|e| text_of(e) == Some(text)).count();
        if copies != 1 {
            return Err(format!(
                "the message sent during the drop is in the chat {copies} times, expected once"
            ));
        }
        Ok(format!(
            "socket cut ({reason}), reconnected in {} ms; the message sent during the drop ({}) is in the chat exactly once",
            back_after.as_millis(),
            sent.event_id
        ))
    }

    async fn rating(&mut self) -> R<String> {
        let rating = Rating::good().with_comment("Quick and helpful, thanks!");
        within("rate_chat", self.client.rate_chat(&self.chat_id, rating)).await?.map_err(err)?;
        let chat = within("get_chat", self.client.get_chat(&self.chat_id, None)).await?.map_err(err)?;
        let rating =
            chat.thread.as_ref().and_then(|t| t.properties.get("rating")).cloned().unwrap_or_default();
        if rating.get("score") != Some(&json!(1)) {
            return Err(format!("thread property rating.score is not 1 after rate_chat: {rating:?}"));
        }
        Ok(format!(
            "rated the chat good with a comment (thread rating.score=1, comment {})",
            rating.get("comment").cloned().unwrap_or(Value::Null)
        ))
    }

    async fn history(&mut self) -> R<(String, Vec<Thread>)> {
        // Close this thread and open a second one, so the history spans threads.
        within("deactivate_chat", self.client.deactivate_chat(&self.chat_id)).await?.map_err(err)?;
        let mut resume = livechat_core::customer::actions::ResumeChat::new(&self.chat_id);
        resume.chat.thread = Some(livechat_core::customer::actions::InitialThread {
            events: vec![ChatEvent::message("One more thing: can I change the address?")],
            properties: None,
        });
        within("resume_chat", self.client.resume_chat(resume)).await?.map_err(err)?;
        self.next_reply("the bot's answer in the second thread").await?;

        let mut pages = Vec::new();
        let mut stream = std::pin::pin!(self.client.chat_history(&self.chat_id));
        while let Some(page) = within("a history page", stream.next()).await? {
            pages.push(page.map_err(err)?);
            if pages.len() > 100 {
                return Err("more than 100 history pages".into());
            }
        }
        if !pages.last().is_some_and(|p| p.done) {
            return Err("the history ended without a page marked done".into());
        }
        // Pages come newest first, threads oldest first within a page.
        let threads: Vec<Thread> = pages.iter().rev().flat_map(|p| p.threads.clone()).collect();
        let events: usize = threads.iter().map(|t| t.events.len()).sum();
        let first = threads.first().and_then(|t| t.events.first()).and_then(text_of);
        if first != Some("Hi! Where is my order #1042?") {
            return Err(format!("the oldest event is not the first message but {first:?}"));
        }
        Ok((
            format!(
                "history paged back to the start: {} page(s), {} thread(s), {events} events",
                pages.len(),
                threads.len()
            ),
            threads,
        ))
    }
}
