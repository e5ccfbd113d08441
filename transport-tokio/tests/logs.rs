//! Finding 9 of issue #10: no token reaches a log at `trace` level.
//!
//! Everything is logged at `trace` to two buffers: one through the filter the CLI and the
//! examples use (`livechat_core::log::capped_directives`), one with no cap at all. A
//! customer logs in through the `cookie` grant (ureq fetches the token) with frame logging
//! on, and an agent logs in with its bearer token. The uncapped buffer shows the leak is
//! real (tungstenite and ureq do log the tokens); the capped one must hold none of them.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use livechat_core::agent::{AgentConfig, AgentCredentials, AgentEvent};
use livechat_core::customer::{CustomerConfig, Endpoint, Event};
use livechat_core::token::AccountsConfig;
use livechat_sim::{DEFAULT_AGENT_TOKEN, Sim, SimConfig};
use livechat_tokio::{
    AgentApi, AgentClient, AgentOptions, CustomerApi, CustomerClient, CustomerOptions, Identity,
};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Capture {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_logs_through_the_capped_filter_hold_no_token() {
    let (capped, uncapped) = (Capture::default(), Capture::default());
    let (c, u) = (capped.clone(), uncapped.clone());
    // Even a user asking for tungstenite and ureq at trace gets them capped.
    let directives =
        livechat_core::log::capped_directives(Some("trace,tungstenite=trace,ureq=trace"), "warn");
    let subscriber = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(move || c.clone())
                .with_filter(EnvFilter::new(directives)),
        )
        .with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(move || u.clone())
                .with_filter(EnvFilter::new("trace")),
        );
    // As `fmt().init()` does: also turns on the `log` bridge, through which tungstenite and
    // ureq (they use the `log` crate) reach the subscriber.
    subscriber.try_init().expect("the only subscriber of this test binary");

    let sim = Sim::start(SimConfig::default()).await.expect("start livechat-sim");
    let org = "org-logs";

    let mut config = CustomerConfig::new(org, Endpoint::url(sim.url()));
    config.connection.auto_connect = false;
    let accounts = AccountsConfig::new(org, "client-logs").with_base_url(sim.http_url());
    let mut options = CustomerOptions::new(Identity::cookie(accounts, Default::default()));
    options.debug_frames = true;
    let customer = CustomerClient::start(config, options);
    let mut events = customer.events();
    customer.connect().await.expect("connect");
    tokio::time::timeout(WAIT, async {
        while let Some(e) = events.next().await {
            if matches!(e, Event::Connected(_)) {
                return;
            }
        }
    })
    .await
    .expect("customer connected");
    customer.get_customer().await.expect("a call after login");
    let token = customer.token().expect("the customer has a token");
    let customer_token = token.access_token.expose().to_string();

    let mut config = AgentConfig::new(org, AgentCredentials::bearer(DEFAULT_AGENT_TOKEN))
        .with_endpoint(Endpoint::url(sim.url()));
    config.connection.auto_connect = false;
    let agent = AgentClient::start(config, AgentOptions::default().debug(true)).expect("agent config");
    let mut agent_events = agent.events();
    agent.connect().await.expect("connect");
    tokio::time::timeout(WAIT, async {
        while let Some(e) = agent_events.next().await {
            if matches!(e, AgentEvent::Ready(_)) {
                return;
            }
        }
    })
    .await
    .expect("agent ready");
    customer.destroy().await.expect("destroy");
    agent.destroy().await.expect("destroy");

    let (capped, uncapped) = (capped.text(), uncapped.text());
    // Logging was on: our own frames (redacted) are in both.
    assert!(capped.contains("\"action\":\"login\""), "the capped log has the login frames:\n{capped}");
    // The danger is real: without the caps, the dependencies log the tokens.
    assert!(
        uncapped.contains(DEFAULT_AGENT_TOKEN) || uncapped.contains(&customer_token),
        "the uncapped log shows no token, so this test would not see a leak"
    );
    for secret in [customer_token.as_str(), DEFAULT_AGENT_TOKEN, "dal:sim_"] {
        assert!(!capped.contains(secret), "`{secret}` is in the capped log");
    }
}
