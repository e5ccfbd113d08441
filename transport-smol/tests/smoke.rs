//! The smol client against livechat-sim over real sockets: what the shared scenarios do not
//! cover yet (uploads, an application identity provider, `token()`).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_lite::{StreamExt, future};
use livechat_core::customer::{CustomerConfig, Endpoint, Event};
use livechat_core::token::Token;
use livechat_core::{Error, ErrorCode};
use livechat_sim::{SimConfig, SimThread};
use livechat_smol::{
    AccountsConfig, BoxFuture, CustomerApi, CustomerClient, CustomerOptions, EventStream, Identity,
    IdentityProvider, Secret, UploadSource,
};

async fn next_matching(events: &mut EventStream, f: impl Fn(&Event) -> bool) -> Event {
    future::or(
        async {
            loop {
                let e = events.next().await.expect("event stream ended");
                if f(&e) {
                    return e;
                }
            }
        },
        async {
            async_io::Timer::after(Duration::from_secs(10)).await;
            panic!("timed out waiting for an event")
        },
    )
    .await
}

fn cookie_client(sim: &SimThread, org: &str) -> CustomerClient {
    let config = CustomerConfig::new(org, Endpoint::url(sim.url()));
    let accounts = AccountsConfig::new(org, "client-smoke").with_base_url(sim.http_url());
    CustomerClient::start(config, CustomerOptions::new(Identity::cookie(accounts, Default::default())))
}

#[test]
fn uploads_a_file_with_progress_and_cancels_another() {
    let sim = SimThread::start(SimConfig::default()).unwrap();
    let client = cookie_client(&sim, "org-upload");
    smol::block_on(async {
        let mut events = client.events();
        next_matching(&mut events, |e| matches!(e, Event::Connected(_))).await;
        assert!(client.token().is_some());

        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        let data = vec![7u8; 300 * 1024];
        let source = UploadSource::Bytes {
            name: "notes.bin".into(),
            content_type: "application/octet-stream".into(),
            data: data.into(),
        };
        let url = client
            .upload_file(source, Some(Arc::new(move |p| s.lock().unwrap().push(p))))
            .await
            .expect("upload");
        assert!(url.contains("notes.bin"), "{url}");
        let seen = seen.lock().unwrap().clone();
        assert!(seen.windows(2).all(|w| w[0] <= w[1]), "progress only grows: {seen:?}");
        assert_eq!(seen.last().copied(), Some(1.0));

        let source = UploadSource::Bytes {
            name: "never.bin".into(),
            content_type: "application/octet-stream".into(),
            data: vec![1u8; 1024].into(),
        };
        let upload = client.upload_file(source, None);
        upload.cancel();
        let err = upload.await.expect_err("canceled");
        assert_eq!(err.code, ErrorCode::UploadCanceled);

        let big = vec![0u8; 10 * 1024 * 1024 + 1];
        let source = UploadSource::Bytes {
            name: "big.bin".into(),
            content_type: "application/octet-stream".into(),
            data: big.into(),
        };
        let err = client.upload_file(source, None).await.expect_err("too big");
        assert_ne!(err.code, ErrorCode::UploadCanceled);
    });
}

/// The application's own token service: asks the simulator for a customer token.
struct SimTokens {
    control: livechat_sim::Control,
    org: String,
    asked: Mutex<Vec<bool>>,
}

impl IdentityProvider for SimTokens {
    fn token(&self, fresh: bool) -> BoxFuture<Result<Token, Error>> {
        self.asked.lock().unwrap().push(fresh);
        let (access_token, entity_id) = self.control.issue_customer_token(&self.org);
        Box::pin(async move {
            Ok(Token {
                access_token: Secret::new(access_token),
                entity_id,
                token_type: "Bearer".into(),
                expires_in: Duration::from_secs(3600),
                organization_id: None,
                issued_at: Instant::now(),
            })
        })
    }
}

#[test]
fn logs_in_with_an_application_identity_provider() {
    let sim = SimThread::start(SimConfig::default()).unwrap();
    let provider = Arc::new(SimTokens {
        control: sim.control(),
        org: "org-provider".into(),
        asked: Mutex::new(Vec::new()),
    });
    let config = CustomerConfig::new("org-provider", Endpoint::url(sim.url()));
    let client = CustomerClient::start(config, CustomerOptions::new(Identity::Provider(provider.clone())));
    smol::block_on(async {
        let mut events = client.events();
        let Event::Connected(c) = next_matching(&mut events, |e| matches!(e, Event::Connected(_))).await
        else {
            unreachable!()
        };
        assert_eq!(client.token().map(|t| t.entity_id), Some(c.customer.id.clone()));
        let customer = client.get_customer().await.expect("get_customer");
        assert_eq!(customer.id, c.customer.id);
    });
    assert!(!provider.asked.lock().unwrap().is_empty());
    // Dropping the last handle stops the driver task; its streams end.
    let mut events = client.events();
    drop(client);
    let ended = smol::block_on(future::or(async { events.next().await.is_none() }, async {
        async_io::Timer::after(Duration::from_secs(5)).await;
        false
    }));
    assert!(ended, "the event stream ends once every handle is gone");
}

#[test]
fn a_full_event_stream_keeps_its_bound_and_counts_what_it_dropped() {
    let sim = SimThread::start(SimConfig::default()).unwrap();
    let org = "org-event-bound";
    let config = CustomerConfig::new(org, Endpoint::url(sim.url()));
    let accounts = AccountsConfig::new(org, "client-smoke").with_base_url(sim.http_url());
    let mut options = CustomerOptions::new(Identity::cookie(accounts, Default::default()));
    options.event_buffer = 2;
    let client = CustomerClient::start(config, options);
    smol::block_on(async {
        // Never read while the login and a few pushes happen: more than 2 events come.
        let mut events = client.events();
        let chat = client.start_chat(Default::default()).await.expect("start_chat");
        for on in [true, false, true, false] {
            sim.control().typing(&chat.chat_id, on).expect("typing");
        }
        // Pushes sent before this response have been handled when it arrives.
        client.get_customer().await.expect("get_customer");
        assert!(events.dropped() > 0, "more events than the bound of 2 came");
        let mut got = 0;
        while future::poll_once(events.next()).await.flatten().is_some() {
            got += 1;
        }
        assert_eq!(got, 2, "the stream held exactly its bound");
    });
}
