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

mod common;

use livechat_sim::{DEFAULT_AGENT_TOKEN, Target};
use livechat_tokio::customer::{CustomerConfig, Endpoint};
use livechat_tokio::{AccountsConfig, CustomerApi, CustomerClient, CustomerOptions, Identity, Secret};

const ORGANIZATION: &str = "example-organization";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    common::init_logging();
    let mut args = std::env::args().skip(1);
    let customers: usize = match args.next() {
        Some(n) => n.parse().map_err(|_| format!("not a number of customers: {n}"))?,
        None => 5,
    };
    let target = Target::new(args.next())?;
    if target.sim.is_some() {
        println!("started livechat-sim on {}", target.ws_url);
    }
    let (ws_url, http_url) = (&target.ws_url, &target.http_url);
    let agent_token =
        std::env::var("LIVECHAT_AGENT_TOKEN").unwrap_or_else(|_| DEFAULT_AGENT_TOKEN.to_string());

    let mut tasks = Vec::new();
    for n in 0..customers {
        let accounts = AccountsConfig::new(ORGANIZATION, "example-backend").with_base_url(http_url);
        // `entity_id: None`: the accounts service creates a new customer for us.
        let identity = Identity::agent_token(accounts, Secret::new(agent_token.clone()), None);
        let config = CustomerConfig::new(ORGANIZATION, Endpoint::url(ws_url));
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
    drop(target);
    if failed > 0 {
        return Err(format!("{failed} of {customers} customers failed").into());
    }
    println!("{customers} customers chatted with the bot");
    Ok(())
}

/// One customer: start a chat, send a message, wait for the bot's answer.
async fn chat_once(n: usize, config: CustomerConfig, identity: Identity) -> Result<String, String> {
    let client = CustomerClient::start(config, CustomerOptions::new(identity));
    let mut events = client.events();
    let fail = |what: &str, e: &dyn std::fmt::Display| format!("customer {n}: {what} failed: {e}");
    let chat = client.start_chat(Default::default()).await.map_err(|e| fail("start_chat", &e))?;
    let text = format!("Hello from customer {n}");
    client.send_message(&chat.chat_id, &text).await.map_err(|e| fail("send_message", &e))?;
    let customer_id = client.token().map(|t| t.entity_id).unwrap_or_default();
    let reply = common::reply(&mut events, &chat.chat_id, &customer_id)
        .await
        .map_err(|e| format!("customer {n}: {e}"))?;
    let _ = client.destroy().await;
    Ok(format!("customer {n} ({customer_id}): \"{text}\" -> \"{reply}\""))
}
