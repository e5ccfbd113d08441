//! A backend acting for many customers with the `agent_token` grant: each customer gets
//! its own client (one driver thread each), starts a chat and waits for the bot's reply.
//!
//! ```sh
//! cargo run -p livechat-blocking --example blocking_backend                         # starts a simulator
//! cargo run -p livechat-blocking --example blocking_backend -- ws://127.0.0.1:8080  # a running one
//! ```
//!
//! The agent token is `LIVECHAT_AGENT_TOKEN`, or the simulator's default one.

mod common;

use livechat_blocking::customer::{CustomerConfig, Endpoint};
use livechat_blocking::{AccountsConfig, CustomerApi, CustomerClient, CustomerOptions, Identity, Secret};
use livechat_sim::{DEFAULT_AGENT_TOKEN, Target};

const CUSTOMERS: usize = 5;

fn customer(
    n: usize,
    endpoint: Endpoint,
    accounts: AccountsConfig,
    agent_token: Secret,
) -> Result<String, String> {
    let org = accounts.organization_id.clone();
    let client = CustomerClient::start(
        CustomerConfig::new(org, endpoint),
        CustomerOptions::new(Identity::agent_token(accounts, agent_token, None)),
    );
    let events = client.events();
    let me = client.get_customer().map_err(|e| e.to_string())?.id;
    let chat = client.start_chat(Default::default()).map_err(|e| e.to_string())?;
    let text = format!("Order status for customer {n}, please.");
    client.send_message(&chat.chat_id, &text).map_err(|e| e.to_string())?;
    let (_, reply) = common::reply(&events, &chat.chat_id, &me).map_err(|e| format!("customer {n}: {e}"))?;
    client.destroy().map_err(|e| e.to_string())?;
    Ok(format!("customer {n} ({me}): {reply}"))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    common::init_logging();
    let target = Target::new(std::env::args().nth(1))?;
    let endpoint = Endpoint::url(&target.ws_url);
    let http = &target.http_url;
    let accounts = AccountsConfig::new("org-backend", "client-backend").with_base_url(http);
    let agent_token =
        Secret::new(std::env::var("LIVECHAT_AGENT_TOKEN").unwrap_or_else(|_| DEFAULT_AGENT_TOKEN.into()));

    let workers: Vec<_> = (1..=CUSTOMERS)
        .map(|n| {
            let (endpoint, accounts, agent_token) = (endpoint.clone(), accounts.clone(), agent_token.clone());
            std::thread::spawn(move || customer(n, endpoint, accounts, agent_token))
        })
        .collect();
    let mut failed = 0;
    for w in workers {
        match w.join().map_err(|_| "a customer thread panicked".to_string()).and_then(|r| r) {
            Ok(line) => println!("{line}"),
            Err(e) => {
                eprintln!("{e}");
                failed += 1;
            }
        }
    }
    if failed > 0 {
        return Err(format!("{failed} of {CUSTOMERS} customers got no reply").into());
    }
    println!("all {CUSTOMERS} customers got a reply");
    Ok(())
}
