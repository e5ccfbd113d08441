//! A minimal customer: log in with the `cookie` grant, start a chat, say hello and print
//! the reply. No async runtime anywhere.
//!
//! ```sh
//! cargo run -p livechat-blocking --example blocking_customer                         # starts a simulator
//! cargo run -p livechat-blocking --example blocking_customer -- ws://127.0.0.1:8080  # a running one
//! ```

mod common;

use livechat_blocking::customer::{CustomerConfig, Endpoint};
use livechat_blocking::{AccountsConfig, CookieJar, CustomerApi, CustomerClient, CustomerOptions, Identity};
use livechat_sim::Target;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    common::init_logging();
    // Keep the simulator (if we start one) alive until the end.
    let target = Target::new(std::env::args().nth(1))?;
    let endpoint = Endpoint::url(&target.ws_url);
    let http = &target.http_url;
    let org = "org-example";
    let accounts = AccountsConfig::new(org, "client-example").with_base_url(http);
    let client = CustomerClient::start(
        CustomerConfig::new(org, endpoint),
        CustomerOptions::new(Identity::cookie(accounts, CookieJar::default())),
    );
    let events = client.events();

    let chat = client.start_chat(Default::default())?;
    println!("chat {} started", chat.chat_id);
    let me = client.get_customer()?.id;
    client.send_message(&chat.chat_id, "Hello from livechat-blocking!")?;
    println!("me: Hello from livechat-blocking!");

    let (author, text) = common::reply(&events, &chat.chat_id, &me)?;
    println!("{author}: {text}");
    client.destroy()?;
    Ok(())
}
