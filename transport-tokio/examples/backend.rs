//! A backend integration acting for many customers: each one gets its token through the
//! `agent_token` grant (an agent's token with `customers:own`), starts a chat and exchanges
//! a message with the simulator's bot.
//!
//! ```text
//! cargo run -p livechat-tokio --example backend                             # 5 customers, own livechat-sim
//! cargo run -p livechat-tokio --example backend -- 20                       # 20 customers
//! cargo run -p livechat-tokio --example backend -- 20 ws://127.0.0.1:PORT   # a running livechat-sim
//! ```
//! The agent token is the simulator's default (`livechat_sim::DEFAULT_AGENT_TOKEN`), or
//! `$LIVECHAT_AGENT_TOKEN` when set.

use std::time::Duration;

use futures_util::StreamExt;
use livechat_core::customer::{Endpoint, Event, SessionConfig};
use livechat_core::model::ChatEvent;
use livechat_sim::{DEFAULT_AGENT_TOKEN, Sim, SimConfig};
use livechat_tokio::{AccountsConfig, ClientOptions, CustomerApi, CustomerClient, Identity, Secret};

const ORGANIZATION: &str = "example-organization";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Dependencies capped at `info` whatever RUST_LOG says: below it they log tokens.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(livechat_core::log::env_directives("warn")))
        .with_writer(std::io::stderr)
        .try_init();
    let mut args = std::env::args().skip(1);
    let customers: usize = match args.next() {
        Some(n) => n.parse().map_err(|_| format!("not a number of customers: {n}"))?,
        None => 5,
    };
    let (sim, ws_url) = match args.next() {
        Some(url) => (None, url),
        None => {
            let sim = Sim::start(SimConfig::default()).await?;
            let url = sim.url();
            println!("started livechat-sim on {url}");
            (Some(sim), url)
        }
    };
    let http_url = ws_url.replacen("ws://", "http://", 1).replacen("wss://", "https://", 1);
    let agent_token =
        std::env::var("LIVECHAT_AGENT_TOKEN").unwrap_or_else(|_| DEFAULT_AGENT_TOKEN.to_string());

    let mut tasks = Vec::new();
    for n in 0..customers {
        let accounts = AccountsConfig::new(ORGANIZATION, "example-backend").with_base_url(&http_url);
        // `entity_id: None`: the accounts service creates a new customer for us.
        let identity = Identity::agent_token(accounts, Secret::new(agent_token.clone()), None);
        let config = SessionConfig::new(ORGANIZATION, Endpoint::url(&ws_url));
        tasks.push(tokio::spawn(chat_once(n, config, identity)));
    }
    let mut failed = 0;
    for task in tasks {
        match task.await? {
            Ok(line) => println!("{line}"),
            Err(e) => {
                failed += 1;
                eprintln!("{e}");
            }
        }
    }
    if let Some(sim) = sim {
        sim.shutdown().await;
    }
    if failed > 0 {
        return Err(format!("{failed} of {customers} customers failed").into());
    }
    println!("{customers} customers chatted with the bot");
    Ok(())
}

/// One customer: start a chat, send a message, wait for the bot's answer.
async fn chat_once(n: usize, config: SessionConfig, identity: Identity) -> Result<String, String> {
    let client = CustomerClient::start(config, ClientOptions::new(identity));
    let mut events = client.events();
    let fail = |what: &str, e: &dyn std::fmt::Display| format!("customer {n}: {what} failed: {e}");
    let chat = client.start_chat(Default::default()).await.map_err(|e| fail("start_chat", &e))?;
    let text = format!("Hello from customer {n}");
    client.send_message(&chat.chat_id, &text).await.map_err(|e| fail("send_message", &e))?;
    let customer_id = client.token().map(|t| t.entity_id).unwrap_or_default();
    let reply = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(event) = events.next().await {
            if let Event::IncomingEvent(incoming) = event
                && incoming.chat_id == chat.chat_id
                && let ChatEvent::Message(message) = incoming.event
                && message.author_id.as_deref() != Some(customer_id.as_str())
            {
                return Some(message.text);
            }
        }
        None
    })
    .await
    .ok()
    .flatten()
    .ok_or_else(|| format!("customer {n}: no reply from the bot within 10 s"))?;
    let _ = client.destroy().await;
    Ok(format!("customer {n} ({customer_id}): \"{text}\" -> \"{reply}\""))
}
