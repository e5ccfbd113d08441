//! A minimal customer: log in with the `cookie` grant, start a chat, say hello to the
//! simulator's bot and print its reply.
//!
//! ```text
//! cargo run -p livechat-tokio --example customer                        # starts its own livechat-sim
//! cargo run -p livechat-tokio --example customer -- ws://127.0.0.1:PORT # a running livechat-sim
//! ```
//! With an endpoint, the token endpoint is the same host over `http://` (as livechat-sim
//! serves both on one port).

mod common;

use livechat_sim::Target;
use livechat_tokio::customer::{CustomerConfig, Endpoint};
use livechat_tokio::{AccountsConfig, CookieJar, CustomerApi, CustomerClient, CustomerOptions, Identity};

const ORGANIZATION: &str = "example-organization";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    common::init_logging();
    // The simulator we talk to: the one named on the command line, or our own.
    let target = Target::new(std::env::args().nth(1))?;
    if target.sim.is_some() {
        println!("started livechat-sim on {}", target.ws_url);
    }
    let (ws_url, http_url) = (&target.ws_url, &target.http_url);

    let config = CustomerConfig::new(ORGANIZATION, Endpoint::url(ws_url));
    let accounts = AccountsConfig::new(ORGANIZATION, "example-client").with_base_url(http_url);
    let client =
        CustomerClient::start(config, CustomerOptions::new(Identity::cookie(accounts, CookieJar::default())));
    let mut events = client.events();

    // Calls made before the login completes are queued and sent right after it.
    let chat = client.start_chat(Default::default()).await?;
    println!("chat {} started", chat.chat_id);
    let sent = client.send_message(&chat.chat_id, "Hello from Rust!").await?;
    println!("me:  Hello from Rust! (event {})", sent.event_id);

    let customer_id = client.token().map(|t| t.entity_id).unwrap_or_default();
    let reply = common::reply(&mut events, &chat.chat_id, &customer_id).await?;
    println!("bot: {reply}");

    client.destroy().await?;
    Ok(())
}
