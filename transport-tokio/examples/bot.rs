//! An echo/FAQ bot agent, plus (for the demonstration) a customer who asks it two questions.
//!
//! ```text
//! cargo run -p livechat-tokio --example bot                      # starts livechat-sim, runs both
//! cargo run -p livechat-tokio --example bot -- ws://127.0.0.1:PORT            # bot + customer against a running sim
//! cargo run -p livechat-tokio --example bot -- --bot-only ws://127.0.0.1:PORT
//! cargo run -p livechat-tokio --example bot -- --customer-only ws://127.0.0.1:PORT
//! ```
//!
//! The bot logs in as the simulator's default agent (override with `LIVECHAT_AGENT_TOKEN` and
//! `LIVECHAT_ORGANIZATION_ID`), shows a typing indicator, then answers every customer
//! message: a canned answer when the question matches the FAQ, an echo otherwise. The
//! customer (the simulator's cookie grant) starts a chat, asks two questions, prints the
//! answers — whoever the agent is — and exits 0; `--customer-only` is what the Node chat SDK
//! conformance test (`tests/conformance/agent`) talks to.

use std::time::Duration;

use futures_util::StreamExt;
use livechat_tokio::Error;
use livechat_tokio::agent::{AgentConfig, AgentCredentials, AgentEvent, Recipients};
use livechat_tokio::customer::{CustomerConfig, Endpoint, Event};
use livechat_tokio::model::ChatEvent;
use livechat_tokio::token::AccountsConfig;
use livechat_tokio::{
    AgentApi, AgentClient, AgentOptions, CustomerApi, CustomerClient, CustomerOptions, Identity,
};

const QUESTIONS: [&str; 2] = ["What are your opening hours?", "How much does it cost?"];
const WAIT: Duration = Duration::from_secs(20);

/// The bot's knowledge: a keyword and its answer.
const FAQ: &[(&str, &str)] = &[
    ("hours", "We are open Monday to Friday, 9:00-17:00 CET."),
    ("cost", "Plans start at $20 per agent per month."),
    ("price", "Plans start at $20 per agent per month."),
    ("human", "I am a bot, but a human colleague reads this chat too."),
];

fn answer(question: &str) -> String {
    let q = question.to_lowercase();
    FAQ.iter()
        .find(|(keyword, _)| q.contains(keyword))
        .map(|(_, a)| a.to_string())
        .unwrap_or_else(|| format!("Echo: {question}"))
}

fn text(event: &ChatEvent) -> Option<&str> {
    match event {
        ChatEvent::Message(m) => Some(&m.text),
        _ => None,
    }
}

/// Start the bot and wait until it is logged in; it answers in a task of its own.
async fn start_bot(endpoint: &str) -> Result<AgentClient, Error> {
    let token =
        std::env::var("LIVECHAT_AGENT_TOKEN").unwrap_or_else(|_| livechat_sim::DEFAULT_AGENT_TOKEN.into());
    let org = std::env::var("LIVECHAT_ORGANIZATION_ID").unwrap_or_else(|_| "bot-example".into());
    let mut config =
        AgentConfig::new(org, AgentCredentials::bearer(token)).with_endpoint(Endpoint::url(endpoint));
    // Subscribe first, then connect: the first `ready` cannot be missed.
    config.connection.auto_connect = false;
    let bot = AgentClient::start(config, AgentOptions::default())?;
    let mut events = bot.events();
    bot.connect().await?;
    let me = loop {
        match tokio::time::timeout(WAIT, events.next()).await {
            Ok(Some(AgentEvent::Ready(ready))) => break ready.my_profile.map(|p| p.id).unwrap_or_default(),
            Ok(Some(_)) => {}
            _ => return Err(Error::new(livechat_tokio::ErrorCode::NoConnection, "the bot did not log in")),
        }
    };
    println!("bot: logged in as {me}");

    let client = bot.clone();
    tokio::spawn(async move {
        while let Some(event) = events.next().await {
            match event {
                AgentEvent::IncomingChat(chat) => println!("bot: got chat {}", chat.chat.id),
                AgentEvent::IncomingEvent(incoming) => {
                    let Some(question) = text(&incoming.event) else { continue };
                    if incoming.event.author_id() == Some(me.as_str()) {
                        continue; // our own answer
                    }
                    let chat_id = incoming.chat_id.clone();
                    let client = client.clone();
                    let reply = answer(question);
                    tokio::spawn(async move {
                        let _ = client.send_typing_indicator(&chat_id, true).await;
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        if let Err(e) = client.send_message(&chat_id, &reply, Recipients::All).await {
                            eprintln!("bot: could not answer: {e}");
                        }
                    });
                }
                AgentEvent::Disconnected(d) => println!("bot: disconnected ({:?})", d.reason),
                _ => {}
            }
        }
    });
    Ok(bot)
}

/// A customer who asks the questions one by one and prints each answer.
async fn run_customer(endpoint: &str) -> Result<(), Error> {
    let org = "bot-example-customers";
    let http = endpoint.replacen("ws://", "http://", 1).replacen("wss://", "https://", 1);
    let mut config = CustomerConfig::new(org, Endpoint::url(endpoint));
    config.connection.auto_connect = false;
    let accounts = AccountsConfig::new(org, "bot-example").with_base_url(http);
    let customer =
        CustomerClient::start(config, CustomerOptions::new(Identity::cookie(accounts, Default::default())));
    let mut events = customer.events();
    customer.connect().await?;
    let chat = customer.start_chat(Default::default()).await?;
    println!("customer: started chat {}", chat.chat_id);
    for question in QUESTIONS {
        println!("customer: {question}");
        customer.send_message(&chat.chat_id, question).await?;
        let reply = tokio::time::timeout(WAIT, async {
            while let Some(event) = events.next().await {
                if let Event::IncomingEvent(e) = event
                    && e.chat_id == chat.chat_id
                    && let Some(t) = text(&e.event)
                    && t != question
                {
                    return Some(t.to_string());
                }
            }
            None
        })
        .await;
        match reply {
            Ok(Some(reply)) => println!("agent: {reply}"),
            _ => {
                return Err(Error::new(
                    livechat_tokio::ErrorCode::RequestTimeout,
                    "no answer from the agent",
                ));
            }
        }
    }
    customer.deactivate_chat(&chat.chat_id).await?;
    customer.destroy().await?;
    println!("customer: done");
    Ok(())
}

#[tokio::main]
async fn main() {
    // Dependencies capped at `info` whatever RUST_LOG says: below it they log tokens.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(livechat_tokio::log::env_directives("warn")))
        .with_writer(std::io::stderr)
        .try_init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |f: &str| args.iter().any(|a| a == f);
    let endpoint = args.iter().find(|a| !a.starts_with("--")).cloned();
    let result = async {
        match endpoint {
            Some(endpoint) if flag("--customer-only") => run_customer(&endpoint).await,
            Some(endpoint) if flag("--bot-only") => {
                let _bot = start_bot(&endpoint).await?;
                // Answer until the process is stopped (Ctrl-C).
                std::future::pending::<Result<(), Error>>().await
            }
            Some(endpoint) => {
                let bot = start_bot(&endpoint).await?;
                run_customer(&endpoint).await?;
                bot.destroy().await
            }
            None => {
                // No server given: run a simulator (without its built-in bot) for the demo.
                let config = livechat_sim::SimConfig { bot: false, ..Default::default() };
                let sim = livechat_sim::Sim::start(config)
                    .await
                    .map_err(|e| Error::new(livechat_tokio::ErrorCode::NoConnection, e.to_string()))?;
                println!("started livechat-sim on {}", sim.url());
                let bot = start_bot(&sim.url()).await?;
                run_customer(&sim.url()).await?;
                bot.destroy().await?;
                sim.shutdown().await;
                Ok(())
            }
        }
    }
    .await;
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
