//! Identities over their lifetime, on every transport: an agent swapping its credentials on
//! the open socket (by hand and from a provider before they expire), a customer token
//! renewed ahead of expiry so the `access_token_expired` reconnect needs no token endpoint,
//! and a customer restored from a saved cookie jar by a second process.
//!
//! A transport's `tests/scenarios.rs` implements [`IdentityTransport`] and expands
//! [`identity_scenarios!`](crate::identity_scenarios).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use livechat_core::agent::actions::ListChats as AgentListChats;
use livechat_core::agent::{AgentApi, AgentConfig, AgentCredentials, AgentEvent, ExpiringCredentials};
use livechat_core::customer::actions::ListChats;
use livechat_core::customer::{CustomerApi, DisconnectReason, Endpoint, Event, Exec};
use livechat_core::hub::Listen;
use livechat_core::identity::{CookieJar, Grant};
use livechat_core::{Error, ErrorCode};
use livechat_sim::{DEFAULT_AGENT_TOKEN, SimConfig};
use serde_json::{Value, json};

use crate::{Env, Transport, customer_messages, join, later};

/// A blocking credentials provider; each transport wraps it in its own provider type.
pub type Provider = Arc<dyn Fn() -> Result<ExpiringCredentials, Error> + Send + Sync>;

/// What the identity scenarios need beyond [`Transport`].
pub trait IdentityTransport: Transport {
    type Agent: AgentApi + Clone + Send + Sync + 'static;
    /// Start an agent client (with this credentials provider, if any).
    fn start_agent(config: AgentConfig, provider: Option<Provider>) -> Self::Agent;
    fn wait_agent<V: Send + 'static>(out: <Self::Agent as Exec>::Out<V>) -> Result<V, Error>;
    /// The client's cookie jar as it is now.
    fn cookie_jar(client: &Self::Client) -> Option<CookieJar>;
}

const WAIT: Duration = Duration::from_secs(10);

/// Poll `f` until it holds (10 s at most); panics naming `what` otherwise.
fn eventually(what: &str, f: impl Fn() -> bool) {
    let end = Instant::now() + WAIT;
    while !f() {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// An agent started paused, with its events recorded, then connected and `ready`.
fn ready_agent<T: IdentityTransport>(
    env: &Env,
    tweak: impl FnOnce(AgentConfig) -> AgentConfig,
    provider: Option<Provider>,
) -> (T::Agent, mpsc::Receiver<AgentEvent>) {
    let mut config = AgentConfig::new(env.org.clone(), AgentCredentials::bearer(DEFAULT_AGENT_TOKEN))
        .with_endpoint(Endpoint::url(env.sim.url()));
    config.connection.auto_connect = false;
    let agent = T::start_agent(tweak(config), provider);
    let (tx, rx) = mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    agent.on_any(move |e| {
        if let Ok(t) = tx.lock() {
            let _ = t.send(e.clone());
        }
    });
    T::wait_agent(agent.connect()).expect("connect");
    wait_agent_event(&rx, "ready", |e| matches!(e, AgentEvent::Ready(_)));
    (agent, rx)
}

fn wait_agent_event(rx: &mpsc::Receiver<AgentEvent>, what: &str, f: impl Fn(&AgentEvent) -> bool) {
    let end = Instant::now() + WAIT;
    loop {
        match rx.recv_timeout(end.saturating_duration_since(Instant::now())) {
            Ok(e) if f(&e) => return,
            Ok(_) => {}
            Err(_) => panic!("timed out waiting for {what}"),
        }
    }
}

/// Swap to a second valid token while connected: calls go on and the simulator saw the
/// `update_session`. A bad token fails clearly and the session keeps the working one.
pub fn agent_swaps_its_token_while_connected<T: IdentityTransport>() {
    let env = Env::new("agent-swap");
    let control = env.sim.control();
    control.add_agent_token("dal:second-agent-token");
    let (agent, rx) = ready_agent::<T>(&env, |c| c, None);
    T::wait_agent(agent.list_chats(AgentListChats::default())).expect("list_chats before");

    T::wait_agent(agent.update_session(AgentCredentials::bearer("dal:second-agent-token")))
        .expect("a valid new token is taken");
    assert_eq!(control.session_updates(), (1, 0), "the simulator saw the update_session");
    T::wait_agent(agent.list_chats(AgentListChats::default())).expect("calls go on after the swap");

    let err = T::wait_agent(agent.update_session(AgentCredentials::bearer("dal:not-a-token")))
        .expect_err("a bad token is refused");
    assert_eq!(err.code, ErrorCode::Authentication, "{err}");
    assert!(err.message.contains("keeps the old ones"), "{err}");
    assert!(!err.message.contains("dal:not-a-token"), "no token in errors: {err}");
    assert_eq!(control.session_updates(), (1, 1));
    T::wait_agent(agent.list_chats(AgentListChats::default())).expect("the session keeps working");

    // A new socket logs in with the credentials the session kept.
    assert_eq!(control.drop_agent(None), 1);
    wait_agent_event(&rx, "ready after the drop", |e| matches!(e, AgentEvent::Ready(_)));
    T::wait_agent(agent.list_chats(AgentListChats::default())).expect("calls after the new login");
    T::wait_agent(agent.destroy()).expect("destroy");
}

/// Credentials that run out soon are renewed by the provider before they do, on the open
/// socket (`update_session`), without a new login.
pub fn agent_provider_renews_credentials_before_they_expire<T: IdentityTransport>() {
    let env = Env::new("agent-renew");
    let control = env.sim.control();
    control.add_agent_token("dal:renewed-agent-token");
    let asked = Arc::new(AtomicUsize::new(0));
    let counter = asked.clone();
    let provider: Provider = Arc::new(move || {
        counter.fetch_add(1, Ordering::SeqCst);
        let c = AgentCredentials::bearer("dal:renewed-agent-token");
        Ok(ExpiringCredentials::new(c, Duration::from_secs(3600)))
    });
    // Four seconds to live: renewed half-way, two seconds in.
    let (agent, _rx) =
        ready_agent::<T>(&env, |c| c.with_credentials_expiry(Duration::from_secs(4)), Some(provider));
    let logins = control.stats().logins;
    eventually("the renewal's update_session", || control.session_updates().0 == 1);
    assert_eq!(asked.load(Ordering::SeqCst), 1, "the provider was asked once");
    assert_eq!(control.stats().logins, logins, "renewed on the open socket, no new login");
    T::wait_agent(agent.list_chats(AgentListChats::default())).expect("calls go on after the renewal");
    T::wait_agent(agent.destroy()).expect("destroy");
}

/// A token that runs out soon is renewed in the background while connected; when the
/// service then ends the socket with `access_token_expired`, the reconnect uses it at once:
/// it completes the calls queued meanwhile although the token endpoint is down by then.
pub fn customer_token_renewed_ahead_survives_a_token_endpoint_outage<T: IdentityTransport>() {
    let env = Env::with("token-ahead", SimConfig { token_expires_in: 4, ..SimConfig::default() });
    let control = env.sim.control();
    let (client, mut events) = env.customer::<T>();
    let customer = T::wait(client.get_customer()).expect("get_customer");
    let first = T::token(&client).expect("a token").access_token.expose().to_string();
    let grants = control.token_grants();

    eventually("a token renewed in the background", || {
        T::token(&client).is_some_and(|t| t.access_token.expose() != first)
    });
    assert_eq!(control.token_grants(), grants + 1, "one background fetch");
    let renewed = T::token(&client).expect("a token");
    assert_eq!(renewed.entity_id, customer.id, "the same customer");
    control.set_token_endpoint_down(true);

    control.disconnect_customer(Some(&customer.id), "access_token_expired", None);
    events.wait_for(
        "disconnected (access_token_expired)",
        |e| matches!(e, Event::Disconnected(d) if d.reason == DisconnectReason::AccessTokenExpired),
    );
    let queued = later::<T, _>(&client, |c| c.get_customer());
    events.wait_for("connected again", |e| matches!(e, Event::Connected(_)));
    let again = join(queued).expect("the queued call completes after the new login");
    assert_eq!(again.id, customer.id);
    assert_eq!(control.token_grants(), grants + 1, "the reconnect fetched nothing");
    let used = T::token(&client).expect("a token");
    assert_eq!(used.access_token.expose(), renewed.access_token.expose(), "logged in with the renewed token");
    control.set_token_endpoint_down(false);
}

// ------------------------------------------------------------------ two processes, one customer

const HELPER: &str = "LIVECHAT_JAR_HELPER";

fn helper_dir(org: &str) -> PathBuf {
    std::env::temp_dir().join(format!("livechat-jar-{org}-{}-{}", std::process::id(), fastrand::u64(..)))
}

/// One run of the helper process: `args` is `sim_ws sim_http org jar_file out_file`.
fn helper_run<T: IdentityTransport>(args: &str) {
    let parts: Vec<&str> = args.split('\n').collect();
    let [ws, http, org, jar_file, out_file] = parts[..] else { panic!("helper arguments: {args:?}") };
    let jar = match std::fs::read_to_string(jar_file) {
        Ok(text) => CookieJar::from_json(&text).expect("the saved jar reads back"),
        Err(_) => CookieJar::default(),
    };
    let restored = !jar.is_empty();
    let accounts = livechat_core::token::AccountsConfig::new(org, "client-restart").with_base_url(http);
    let config = livechat_core::customer::CustomerConfig::new(org, Endpoint::url(ws));
    let client = T::start(config, Grant::Cookie { accounts, jar });
    let customer = T::wait(client.get_customer()).expect("get_customer");
    let mut out = json!({"customer_id": customer.id});
    if restored {
        let chats = T::wait(client.list_chats(ListChats::default())).expect("list_chats");
        let ids: Vec<&str> = chats.chats_summary.iter().map(|c| c.id.as_str()).collect();
        out["chats"] = json!(ids);
    } else {
        let chat = T::wait(client.start_chat(Default::default())).expect("start_chat");
        T::wait(client.send_message(&chat.chat_id, "before the restart")).expect("send");
        out["chat_id"] = json!(chat.chat_id);
    }
    let saved = T::cookie_jar(&client).expect("a cookie-grant client has a jar");
    assert!(!saved.is_empty(), "the token response set the identity cookie");
    std::fs::write(jar_file, saved.to_json()).expect("write the jar");
    std::fs::write(out_file, out.to_string()).expect("write the result");
    let _ = T::wait(client.destroy());
}

/// Run this test's own binary as the helper process, once.
fn run_helper(test_name: &str, args: &[&str], out: &Path) -> Value {
    let exe = std::env::current_exe().expect("the test binary");
    let status = std::process::Command::new(exe)
        .args([test_name, "--exact", "--nocapture", "--test-threads=1"])
        .env(HELPER, args.join("\n"))
        .status()
        .expect("start the helper process");
    assert!(status.success(), "the helper process failed: {status}");
    let text = std::fs::read_to_string(out).expect("the helper wrote its result");
    serde_json::from_str(&text).expect("the helper's result is JSON")
}

/// A process creates a customer, chats and saves its cookie jar to a file; a second
/// process loads the jar and is the same customer, with its chat. (A third one without the
/// jar is someone else.) `test_name` is the name of the test running this, so the test
/// binary can run itself as the helper process.
pub fn cookie_jar_restores_the_customer_in_a_new_process<T: IdentityTransport>(test_name: &str) {
    if let Ok(args) = std::env::var(HELPER) {
        return helper_run::<T>(&args);
    }
    let env = Env::new("restart");
    let dir = helper_dir(&env.org);
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let jar_file = dir.join("jar.json");
    let out = dir.join("out.json");
    let (ws, http) = (env.sim.url(), env.sim.http_url());
    let args = |jar: &Path| {
        [ws.clone(), http.clone(), env.org.clone(), jar.display().to_string(), out.display().to_string()]
    };
    let a1 = args(&jar_file);
    let first = run_helper(test_name, &a1.iter().map(String::as_str).collect::<Vec<_>>(), &out);
    let saved = std::fs::read_to_string(&jar_file).expect("the first process saved its jar");
    assert!(saved.starts_with(r#"{"version":1,"cookies":["#), "the documented shape: {saved}");

    let second = run_helper(test_name, &a1.iter().map(String::as_str).collect::<Vec<_>>(), &out);
    assert_eq!(second["customer_id"], first["customer_id"], "the restarted process is the same customer");
    let chats = second["chats"].as_array().cloned().unwrap_or_default();
    assert!(chats.contains(&first["chat_id"]), "and sees its chat: {second}");
    let (customer, chat) = (first["customer_id"].as_str().unwrap(), first["chat_id"].as_str().unwrap());
    assert_eq!(customer_messages(&env, chat, customer), ["before the restart"]);

    let a3 = args(&dir.join("no-jar.json"));
    let third = run_helper(test_name, &a3.iter().map(String::as_str).collect::<Vec<_>>(), &out);
    assert_ne!(third["customer_id"], first["customer_id"], "without the jar, a new customer");
    let _ = std::fs::remove_dir_all(&dir);
}

/// One `#[test]` per identity scenario for transport `$t` (an [`IdentityTransport`]).
#[macro_export]
macro_rules! identity_scenarios {
    ($t:ty) => {
        #[test]
        fn agent_swaps_its_token_while_connected() {
            $crate::identity::agent_swaps_its_token_while_connected::<$t>();
        }
        #[test]
        fn agent_provider_renews_credentials_before_they_expire() {
            $crate::identity::agent_provider_renews_credentials_before_they_expire::<$t>();
        }
        #[test]
        fn customer_token_renewed_ahead_survives_a_token_endpoint_outage() {
            $crate::identity::customer_token_renewed_ahead_survives_a_token_endpoint_outage::<$t>();
        }
        #[test]
        fn cookie_jar_restores_the_customer_in_a_new_process() {
            $crate::identity::cookie_jar_restores_the_customer_in_a_new_process::<$t>(
                "cookie_jar_restores_the_customer_in_a_new_process",
            );
        }
    };
}
