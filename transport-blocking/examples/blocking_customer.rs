//! A minimal customer: log in with the `cookie` grant, start a chat, say hello and print
//! the reply. No async runtime anywhere.
//!
//! ```sh
//! cargo run -p livechat-blocking --example blocking_customer                         # starts a simulator
//! cargo run -p livechat-blocking --example blocking_customer -- ws://127.0.0.1:8080  # a running one
//! ```

use std::time::Duration;

use livechat_blocking::{AccountsConfig, ClientOptions, CookieJar, CustomerApi, CustomerClient, Identity};
use livechat_core::customer::{Endpoint, Event, SessionConfig};
use livechat_core::model::ChatEvent;
use livechat_sim::{SimConfig, SimThread};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Dependencies capped at `info` whatever RUST_LOG says: below it they log tokens.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(livechat_core::log::env_directives("warn")))
        .with_writer(std::io::stderr)
        .try_init();
    // Keep the simulator (if we start one) alive until the end.
    let (_sim, url) = match std::env::args().nth(1) {
        Some(url) => (None, url),
        None => {
            let sim = SimThread::start(SimConfig::default())?;
            let url = sim.url();
            (Some(sim), url)
        }
    };
    let endpoint = Endpoint::url(url);
    let http = endpoint.http_base(None).ok_or("no HTTP base for the endpoint")?;
    let org = "org-example";
    let accounts = AccountsConfig::new(org, "client-example").with_base_url(http);
    let client = CustomerClient::start(
        SessionConfig::new(org, endpoint),
        ClientOptions::new(Identity::cookie(accounts, CookieJar::default())),
    );
    let events = client.events();

    let chat = client.start_chat(Default::default())?;
    println!("chat {} started", chat.chat_id);
    let me = client.get_customer()?.id;
    client.send_message(&chat.chat_id, "Hello from livechat-blocking!")?;
    println!("me: Hello from livechat-blocking!");

    loop {
        match events.recv_timeout(Duration::from_secs(15))? {
            Event::IncomingEvent(e)
                if e.chat_id == chat.chat_id && e.event.author_id() != Some(me.as_str()) =>
            {
                if let ChatEvent::Message(m) = &e.event {
                    println!("{}: {}", e.event.author_id().unwrap_or("agent"), m.text);
                    break;
                }
            }
            _ => {}
        }
    }
    client.destroy()?;
    Ok(())
}
