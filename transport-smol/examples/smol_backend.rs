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

mod common;

use common::BoxError;
use livechat_smol::customer::{CustomerConfig, Endpoint};
use livechat_smol::{AccountsConfig, CustomerApi, CustomerClient, CustomerOptions, Identity, Secret};

/// One customer: log in, start a chat, say hello, return the reply.
async fn customer(n: usize, config: CustomerConfig, identity: Identity) -> Result<String, BoxError> {
    let client = CustomerClient::start(config, CustomerOptions::new(identity));
    let mut events = client.events();
    let me = common::logged_in(&mut events).await?;
    let chat = client.start_chat(Default::default()).await?;
    let text = format!("Hello from backend customer #{n}");
    client.send_message(&chat.chat_id, &text).await?;
    let reply = common::reply(&mut events, &chat.chat_id, &me).await?;
    client.destroy().await?;
    Ok(format!("customer #{n} ({me}): {reply}"))
}

fn main() -> Result<(), BoxError> {
    common::init_logging();
    let org = common::arg("--org").unwrap_or_else(|| "org-backend-example".into());
    let count: usize = common::arg("--customers").map(|c| c.parse()).transpose()?.unwrap_or(5);
    let agent_token =
        common::arg("--agent-token").unwrap_or_else(|| livechat_sim::DEFAULT_AGENT_TOKEN.into());
    let target = common::target()?;
    let (ws_url, http_url) = (target.ws_url.clone(), target.http_url.clone());
    println!("logging in {count} customers at {ws_url} with the agent_token grant");
    let accounts = AccountsConfig::new(org.clone(), "example-backend").with_base_url(http_url);

    let results = smol::block_on(async {
        let tasks: Vec<_> = (1..=count)
            .map(|n| {
                let config = CustomerConfig::new(org.clone(), Endpoint::url(ws_url.clone()));
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
    drop(target);
    if failed > 0 {
        return Err(format!("{failed} of {count} customers failed").into());
    }
    Ok(())
}
