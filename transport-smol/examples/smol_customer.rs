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

mod common;

use common::BoxError;
use livechat_smol::customer::{CustomerConfig, Endpoint};
use livechat_smol::{AccountsConfig, CustomerApi, CustomerClient, CustomerOptions, Identity};

fn main() -> Result<(), BoxError> {
    common::init_logging();
    let org = common::arg("--org").unwrap_or_else(|| "org-example".into());
    let target = common::target()?;
    let (ws_url, http_url) = (target.ws_url.clone(), target.http_url.clone());
    println!("connecting to {ws_url}");
    let config = CustomerConfig::new(org.clone(), Endpoint::url(ws_url));
    let accounts = AccountsConfig::new(org, "example-client").with_base_url(http_url);
    let identity = Identity::cookie(accounts, Default::default());

    smol::block_on(async {
        let client = CustomerClient::start(config, CustomerOptions::new(identity));
        let mut events = client.events();
        let me = common::logged_in(&mut events).await?;
        println!("logged in as customer {me}");

        let chat = client.start_chat(Default::default()).await?;
        println!("started chat {}", chat.chat_id);
        client.send_message(&chat.chat_id, "Hello from livechat-smol!").await?;

        let reply = common::reply(&mut events, &chat.chat_id, &me).await?;
        println!("reply: {reply}");
        client.destroy().await?;
        Ok::<(), BoxError>(())
    })?;
    drop(target);
    Ok(())
}
