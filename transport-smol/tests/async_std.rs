//! The smol client's futures driven by async-std's executor (async-std is discontinued in
//! favour of smol, but existing async-std programs can use this crate unchanged): the
//! driver task lives on smol's global executor, the calls and streams are plain futures.

use futures_lite::StreamExt;
use livechat_core::customer::{CustomerConfig, Endpoint, Event};
use livechat_core::model::ChatEvent;
use livechat_scenarios::adapter::next_matching;
use livechat_sim::{SimConfig, SimThread};
use livechat_smol::{AccountsConfig, CustomerApi, CustomerClient, CustomerOptions, Identity};

fn reply_to<'a>(e: &'a Event, text: &str) -> Option<&'a str> {
    match e {
        Event::IncomingEvent(ev) => match &ev.event {
            ChatEvent::Message(m) if m.text.contains(text) => Some(m.text.as_str()),
            _ => None,
        },
        _ => None,
    }
}

#[test]
fn chats_with_the_bot_under_async_std() {
    let sim = SimThread::start(SimConfig::default()).expect("start livechat-sim");
    let mut config = CustomerConfig::new("org-async-std", Endpoint::url(sim.url()));
    config.connection.seed = Some(11);
    let accounts = AccountsConfig::new("org-async-std", "client-async-std").with_base_url(sim.http_url());
    async_std::task::block_on(async {
        let client = CustomerClient::start(
            config,
            CustomerOptions::new(Identity::cookie(accounts, Default::default())),
        );
        let mut events = client.events();
        next_matching(&mut events, |e| matches!(e, Event::Connected(_))).await;
        assert!(client.token().is_some(), "logged in with a token");

        // A call from a task spawned on async-std's executor, too.
        let c = client.clone();
        let chat = async_std::task::spawn(async move { c.start_chat(Default::default()).await })
            .await
            .expect("start_chat");
        let sent = client.send_message(&chat.chat_id, "hello from async-std").await.expect("send");
        assert!(!sent.event_id.is_empty());
        let reply =
            next_matching(&mut events, |e| reply_to(e, "You said: hello from async-std").is_some()).await;
        let Event::IncomingEvent(reply) = reply else { unreachable!() };
        assert_eq!(reply.chat_id, chat.chat_id);

        let pages: Vec<_> = client.chat_history(&chat.chat_id).collect().await;
        assert!(pages.last().is_some_and(|p| p.as_ref().is_ok_and(|p| p.done)));
        client.destroy().await.expect("destroy");
    });
}
