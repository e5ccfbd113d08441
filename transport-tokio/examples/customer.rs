//! A minimal customer: log in with the `cookie` grant, start a chat, say hello to the
//! simulator's bot and print its reply.
//!
//! ```text
//! cargo run -p livechat-tokio --example customer                        # starts its own livechat-sim
//! cargo run -p livechat-tokio --example customer -- ws://127.0.0.1:PORT # a running livechat-sim
//! ```
//! With an endpoint, the token endpoint is the same host over `http://` (as livechat-sim
//! serves both on one port).

use std::time::Duration;

use futures_util::StreamExt;
use livechat_core::customer::{Endpoint, Event, SessionConfig};
use livechat_core::model::ChatEvent;
use livechat_sim::{Sim, SimConfig};
use livechat_tokio::{AccountsConfig, ClientOptions, CookieJar, CustomerApi, CustomerClient, Identity};

const ORGANIZATION: &str = "example-organization";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Dependencies capped at `info` whatever RUST_LOG says: below it they log tokens.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(livechat_core::log::env_directives("warn")))
        .with_writer(std::io::stderr)
        .try_init();
    // The simulator we talk to: the one named on the command line, or our own.
    let (sim, ws_url) = match std::env::args().nth(1) {
        Some(url) => (None, url),
        None => {
            let sim = Sim::start(SimConfig::default()).await?;
            let url = sim.url();
            println!("started livechat-sim on {url}");
            (Some(sim), url)
        }
    };
    let http_url = ws_url.replacen("ws://", "http://", 1).replacen("wss://", "https://", 1);

    let config = SessionConfig::new(ORGANIZATION, Endpoint::url(&ws_url));
    let accounts = AccountsConfig::new(ORGANIZATION, "example-client").with_base_url(&http_url);
    let client =
        CustomerClient::start(config, ClientOptions::new(Identity::cookie(accounts, CookieJar::default())));
    let mut events = client.events();

    // Calls made before the login completes are queued and sent right after it.
    let chat = client.start_chat(Default::default()).await?;
    println!("chat {} started", chat.chat_id);
    let sent = client.send_message(&chat.chat_id, "Hello from Rust!").await?;
    println!("me:  Hello from Rust! (event {})", sent.event_id);

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
    .map_err(|_| "no reply from the bot within 10 s")?
    .ok_or("the event stream ended")?;
    println!("bot: {reply}");

    client.destroy().await?;
    if let Some(sim) = sim {
        sim.shutdown().await;
    }
    Ok(())
}
