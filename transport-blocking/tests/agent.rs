//! What only the blocking agent client has: a call made from an event callback (which runs
//! on the driver thread, so waiting there would wait for itself) fails fast. The agent
//! scenarios every transport shares are in `livechat_scenarios::agent`, run by
//! `tests/scenarios.rs`.

use std::sync::Mutex;
use std::time::Duration;

use livechat_blocking::{AgentApi, AgentClient, AgentOptions};
use livechat_core::ErrorCode;
use livechat_core::agent::actions::ListChats;
use livechat_core::agent::{AgentConfig, AgentCredentials, AgentEvent, AgentEventKind};
use livechat_core::customer::Endpoint;
use livechat_core::hub::Listen;
use livechat_sim::{DEFAULT_AGENT_TOKEN, SimConfig, SimThread};

const WAIT: Duration = Duration::from_secs(10);

#[test]
fn calls_from_a_callback_fail_fast_instead_of_waiting_for_themselves() {
    let sim = SimThread::start(SimConfig::default()).unwrap();
    let mut config = AgentConfig::new("org-agent", AgentCredentials::bearer(DEFAULT_AGENT_TOKEN))
        .with_endpoint(Endpoint::url(sim.url()));
    config.connection.auto_connect = false;
    let agent = AgentClient::start(config, AgentOptions::default()).expect("valid agent config");
    let events = agent.events();
    agent.connect().expect("connect");
    // Subscribed before connect(), so `ready` cannot slip past the receiver.
    loop {
        match events.recv_timeout(WAIT) {
            Ok(AgentEvent::Ready(_)) => break,
            Ok(_) => {}
            Err(e) => panic!("waiting for ready: {e}"),
        }
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let inner = agent.clone();
    let tx = Mutex::new(tx);
    agent.once(AgentEventKind::Ready, move |_| {
        let _ = tx.lock().unwrap().send(inner.list_chats(ListChats::new()).map(|_| ()));
    });
    assert_eq!(sim.control().drop_agent(None), 1);
    let r = rx.recv_timeout(WAIT).expect("the callback ran");
    assert_eq!(r.unwrap_err().code, ErrorCode::InvalidRequest);
    agent.destroy().expect("destroy");
}
