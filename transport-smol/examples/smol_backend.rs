//! A backend integration: logs in several customers with the `agent_token` grant (an
//! agent's token acting for customers), and has each one send a message and wait for the
//! bot's reply, all at once on smol's executor.
//!
//! ```text
//! cargo run -p livechat-smol --example smol_backend                     # starts its own livechat-sim
//! cargo run -p livechat-smol --example smol_backend -- --customers 20
//! cargo run -p livechat-smol --example smol_backend -- --endpoint ws://127.0.0.1:8080 \
//!     --accounts http://127.0.0.1:8080 --agent-token 'dal:sim-agent-token'
//! ```
//!
//! Without `--agent-token` it uses livechat-sim's default agent token.

use std::time::Duration;

use futures_lite::{StreamExt, future};
use livechat_core::customer::{Endpoint, Event, SessionConfig};
use livechat_core::model::ChatEvent;
use livechat_smol::{AccountsConfig, ClientOptions, CustomerApi, CustomerClient, Identity, Secret};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

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

/// One customer: log in, start a chat, say hello, return the reply.
async fn customer(n: usize, config: SessionConfig, identity: Identity) -> Result<String, BoxError> {
    let client = CustomerClient::start(config, ClientOptions::new(identity));
    let mut events = client.events();
    let me = within(10, "login", async {
        while let Some(e) = events.next().await {
            if let Event::Connected(c) = e {
                return Some(c.customer.id);
            }
        }
        None
    })
    .await?
    .ok_or("the client stopped before logging in")?;
    let chat = client.start_chat(Default::default()).await?;
    let text = format!("Hello from backend customer #{n}");
    client.send_message(&chat.chat_id, &text).await?;
    let reply = within(10, "the reply", async {
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
    client.destroy().await?;
    Ok(format!("customer #{n} ({me}): {reply}"))
}

fn main() -> Result<(), BoxError> {
    // Dependencies capped at `info` whatever RUST_LOG says: below it they log tokens.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(livechat_core::log::env_directives("warn")))
        .with_writer(std::io::stderr)
        .try_init();
    let org = arg("--org").unwrap_or_else(|| "org-backend-example".into());
    let count: usize = arg("--customers").map(|c| c.parse()).transpose()?.unwrap_or(5);
    let agent_token = arg("--agent-token").unwrap_or_else(|| livechat_sim::DEFAULT_AGENT_TOKEN.into());
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
    println!("logging in {count} customers at {ws_url} with the agent_token grant");
    let accounts = AccountsConfig::new(org.clone(), "example-backend").with_base_url(http_url);

    let results = smol::block_on(async {
        let tasks: Vec<_> = (1..=count)
            .map(|n| {
                let config = SessionConfig::new(org.clone(), Endpoint::url(ws_url.clone()));
                // `entity_id: None`: a new customer each; pass an id to act for a known one.
                let identity =
                    Identity::agent_token(accounts.clone(), Secret::new(agent_token.clone()), None);
                smol::spawn(customer(n, config, identity))
            })
            .collect();
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await);
        }
        results
    });
    let mut failed = 0;
    for r in results {
        match r {
            Ok(line) => println!("{line}"),
            Err(e) => {
                failed += 1;
                eprintln!("error: {e}");
            }
        }
    }
    drop(sim);
    if failed > 0 {
        return Err(format!("{failed} of {count} customers failed").into());
    }
    Ok(())
}
