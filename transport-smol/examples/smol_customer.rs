//! A minimal customer: logs in with the `cookie` grant, starts a chat, says hello and
//! prints the first reply.
//!
//! ```text
//! cargo run -p livechat-smol --example smol_customer                    # starts its own livechat-sim
//! cargo run -p livechat-smol --example smol_customer -- --endpoint ws://127.0.0.1:8080 [--org ORG]
//! ```
//!
//! With `--endpoint` the token endpoint is the same host over HTTP (as livechat-sim serves
//! it); `--accounts URL` overrides that.

use std::time::Duration;

use futures_lite::{StreamExt, future};
use livechat_core::customer::{Endpoint, Event, SessionConfig};
use livechat_core::model::ChatEvent;
use livechat_smol::{AccountsConfig, ClientOptions, CustomerApi, CustomerClient, Identity};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// `fut`, or an error after `secs` seconds.
async fn within<T>(secs: u64, what: &str, fut: impl Future<Output = T>) -> Result<T, BoxError> {
    future::or(async { Ok(fut.await) }, async {
        async_io::Timer::after(Duration::from_secs(secs)).await;
        Err(format!("timed out waiting for {what}").into())
    })
    .await
}

fn arg(name: &str) -> Option<String> {
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == name {
            return args.next();
        }
    }
    None
}

fn main() -> Result<(), BoxError> {
    // Dependencies capped at `info` whatever RUST_LOG says: below it they log tokens.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(livechat_core::log::env_directives("warn")))
        .with_writer(std::io::stderr)
        .try_init();
    let org = arg("--org").unwrap_or_else(|| "org-example".into());
    // No endpoint: run the simulator on this process, on its own thread and port.
    let (sim, ws_url, http_url) = match arg("--endpoint") {
        Some(url) => {
            let http = arg("--accounts").unwrap_or_else(|| url.replacen("ws", "http", 1));
            (None, url, http)
        }
        None => {
            let sim = livechat_sim::SimThread::start(Default::default())?;
            let (ws, http) = (sim.url(), sim.http_url());
            (Some(sim), ws, http)
        }
    };
    println!("connecting to {ws_url}");
    let config = SessionConfig::new(org.clone(), Endpoint::url(ws_url));
    let accounts = AccountsConfig::new(org, "example-client").with_base_url(http_url);
    let identity = Identity::cookie(accounts, Default::default());

    smol::block_on(async {
        let client = CustomerClient::start(config, ClientOptions::new(identity));
        let mut events = client.events();
        let connected = within(10, "login", async {
            while let Some(e) = events.next().await {
                if let Event::Connected(c) = e {
                    return Some(c);
                }
            }
            None
        })
        .await?
        .ok_or("the client stopped before logging in")?;
        let me = connected.customer.id.clone();
        println!("logged in as customer {me}");

        let chat = client.start_chat(Default::default()).await?;
        println!("started chat {}", chat.chat_id);
        client.send_message(&chat.chat_id, "Hello from livechat-smol!").await?;

        let reply = within(10, "a reply", async {
            while let Some(e) = events.next().await {
                if let Event::IncomingEvent(ev) = e
                    && ev.chat_id == chat.chat_id
                    && let ChatEvent::Message(m) = ev.event
                    && m.author_id.as_deref().is_some_and(|a| a != me)
                {
                    return Some(m.text);
                }
            }
            None
        })
        .await?
        .ok_or("the client stopped before a reply came")?;
        println!("reply: {reply}");
        client.destroy().await?;
        Ok::<(), BoxError>(())
    })?;
    drop(sim);
    Ok(())
}
