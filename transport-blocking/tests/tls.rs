//! The blocking transport over `wss://`. The driver thread watches the TCP stream under
//! rustls for readability, but rustls (and tungstenite above it) may hold data already read
//! from the socket, which no readiness event will announce again. A TLS-terminating relay in
//! front of livechat-sim carries a real session; every session timer is ten minutes away,
//! so only a command or the socket can wake the thread, and a message stranded in a buffer
//! would time the calls (bounded at 20 s) out. Nothing here asserts on durations.
//!
//! `tests/tls/`: a test CA (`ca.pem`) and a certificate for `localhost` / `127.0.0.1` that it
//! signed (`localhost.pem`, key `localhost.key`), valid 2000–2100; for these tests only.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use livechat_blocking::{CustomerApi, CustomerClient, CustomerOptions, Identity};
use livechat_core::customer::{Endpoint, Event};
use livechat_core::model::ChatEvent;
use livechat_scenarios::Env;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

const CA: &[u8] = include_bytes!("tls/ca.pem");
const CERT: &[u8] = include_bytes!("tls/localhost.pem");
const KEY: &[u8] = include_bytes!("tls/localhost.key");
const LIMIT: Duration = Duration::from_secs(20);

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn client_tls() -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_slice(CA).expect("CA")).expect("add the CA");
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

fn server_tls() -> Arc<rustls::ServerConfig> {
    let config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from_pem_slice(CERT).expect("certificate")],
            PrivateKeyDer::from_pem_slice(KEY).expect("key"),
        )
        .expect("server config");
    Arc::new(config)
}

/// Accept TLS on a port of its own and relay the plaintext to `upstream`, one thread per
/// connection.
fn relay(upstream: SocketAddr) -> SocketAddr {
    let config = server_tls();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { return };
            let config = config.clone();
            std::thread::spawn(move || relay_one(conn, upstream, config));
        }
    });
    addr
}

/// Test plumbing, so it simply takes turns reading each side with a short timeout.
fn relay_one(client: TcpStream, upstream: SocketAddr, config: Arc<rustls::ServerConfig>) {
    let Ok(mut server) = TcpStream::connect(upstream) else { return };
    let Ok(conn) = rustls::ServerConnection::new(config) else { return };
    let tick = Some(Duration::from_millis(1));
    for s in [&client, &server] {
        let _ = s.set_nodelay(true);
        let _ = s.set_read_timeout(tick);
    }
    let mut tls = rustls::StreamOwned::new(conn, client);
    let mut buf = vec![0; 64 * 1024];
    let waiting = |e: &std::io::Error| matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut);
    loop {
        match tls.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => {
                if server.write_all(&buf[..n]).is_err() {
                    return;
                }
            }
            Err(e) if waiting(&e) => {}
            Err(_) => return,
        }
        match server.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => {
                if tls.write_all(&buf[..n]).and_then(|()| tls.flush()).is_err() {
                    return;
                }
            }
            Err(e) if waiting(&e) => {}
            Err(_) => return,
        }
    }
}

#[test]
fn a_wss_session_runs_with_every_timer_far_away() {
    let env = Env::new("wss");
    let port = relay(env.sim.addr()).port();
    let mut config = env.quiet_config();
    config.connection.endpoint = Endpoint::url(format!("wss://127.0.0.1:{port}"));
    let mut options = CustomerOptions::new(Identity::Grant(env.cookie_grant()));
    options.tls = Some(client_tls());
    let client = CustomerClient::start(config, options).with_call_timeout(LIMIT);
    let events = client.events();
    client.connect().expect("connect");
    let next = |what: &str| events.recv_timeout(LIMIT).unwrap_or_else(|e| panic!("waiting for {what}: {e}"));
    while !matches!(next("connected"), Event::Connected(_)) {}

    for i in 0..20 {
        client.get_customer().unwrap_or_else(|e| panic!("call {i}: {e}"));
    }

    // The bot answers each message: pushes arrive next to responses, several frames to a
    // TLS record and several records to a read.
    let me = client.get_customer().expect("get_customer").id;
    let chat = client.start_chat(Default::default()).expect("start_chat");
    for i in 0..5 {
        client.send_message(&chat.chat_id, &format!("hello {i}")).expect("send");
        loop {
            if let Event::IncomingEvent(e) = next("the bot's answer")
                && e.chat_id == chat.chat_id
                && e.event.author_id() != Some(me.as_str())
                && matches!(e.event, ChatEvent::Message(_))
            {
                break;
            }
        }
    }

    // Messages just under the 16 KB limit make a history response far larger than a TLS
    // record (16 KiB): frames end in the middle of records and records in the middle of
    // reads.
    let long: Vec<String> = (0..12).map(|i| format!("{i:02}{}", "x".repeat(15_000))).collect();
    for text in &long {
        client.send_message(&chat.chat_id, text).expect("send a long message");
    }
    // The bot's echoes are long too; compare the customer's own texts by their numbers.
    let found: Vec<String> = client
        .chat_history(&chat.chat_id)
        .map(|p| p.expect("page"))
        .flat_map(|p| p.threads)
        .flat_map(|t| t.events)
        .filter_map(|e| match e {
            ChatEvent::Message(m) if long.contains(&m.text) => Some(m.text[..2].to_string()),
            _ => None,
        })
        .collect();
    let sent: Vec<String> = long.iter().map(|t| t[..2].to_string()).collect();
    assert_eq!(found, sent, "the long messages come back in the history");
    client.destroy().expect("destroy");
}
