//! The tokio client against livechat-sim over a real socket.

use std::time::Duration;

use futures_util::StreamExt;
use livechat_core::customer::{CustomerConfig, Endpoint, Event};
use livechat_core::token::AccountsConfig;
use livechat_scenarios::adapter::next_matching;
use livechat_sim::{Sim, SimConfig};
use livechat_tokio::{CustomerApi, CustomerClient, CustomerOptions, Identity};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chats_with_the_bot_through_the_cookie_grant() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let mut config = CustomerConfig::new("org-smoke", Endpoint::url(sim.url()));
    config.connection.seed = Some(7);
    let accounts = AccountsConfig::new("org-smoke", "client-1").with_base_url(sim.http_url());
    let _ = tracing_subscriber::fmt().with_env_filter("livechat_tokio=debug").with_test_writer().try_init();
    let mut options = CustomerOptions::new(Identity::cookie(accounts, Default::default()));
    options.debug_frames = true;
    let client = CustomerClient::start(config, options);
    let mut events = client.events();
    next_matching(&mut events, |e| matches!(e, Event::Connected(_))).await;

    let started = client.start_chat(Default::default()).await.expect("start_chat");
    let sent = client.send_message(&started.chat_id, "hello bot").await.expect("send");
    assert!(!sent.event_id.is_empty());
    let reply = next_matching(&mut events, |e| matches!(e, Event::IncomingEvent(_))).await;
    let Event::IncomingEvent(reply) = reply else { unreachable!() };
    assert_eq!(reply.chat_id, started.chat_id);
    let customer = client.get_customer().await.expect("get_customer");
    assert!(!customer.id.is_empty());
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_history_ends_after_an_error_instead_of_repeating_it() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let config = CustomerConfig::new("org-history-err", Endpoint::url(sim.url()));
    let accounts = AccountsConfig::new("org-history-err", "client-1").with_base_url(sim.http_url());
    let client =
        CustomerClient::start(config, CustomerOptions::new(Identity::cookie(accounts, Default::default())));
    client.destroy().await.expect("destroy");
    let pages: Vec<_> = tokio::time::timeout(Duration::from_secs(5), client.chat_history("CH1").collect())
        .await
        .expect("the history stream must end");
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].as_ref().unwrap_err().code, livechat_core::ErrorCode::SdkDestroyed);
    sim.shutdown().await;
}
