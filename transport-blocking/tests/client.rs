//! Focused tests of the blocking transport against livechat-sim over real sockets.
//! Nothing here asserts on wall-clock durations.

use livechat_core::hub::Listen;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use livechat_blocking::{
    CustomerApi, CustomerClient, CustomerOptions, EventReceiver, Identity, UploadSource,
};
use livechat_core::ErrorCode;
use livechat_core::customer::{CustomerConfig, Event, EventKind};
use livechat_scenarios::Env;

const LIMIT: Duration = Duration::from_secs(10);

fn options(env: &Env) -> CustomerOptions {
    CustomerOptions::new(Identity::Grant(env.cookie_grant()))
}

fn wait_for(events: &EventReceiver, what: &str, f: impl Fn(&Event) -> bool) -> Event {
    loop {
        match events.recv_timeout(LIMIT) {
            Ok(e) if f(&e) => return e,
            Ok(_) => {}
            Err(e) => panic!("waiting for {what}: {e}"),
        }
    }
}

fn connected(env: &Env, config: CustomerConfig, options: CustomerOptions) -> (CustomerClient, EventReceiver) {
    let _ = env;
    let client = CustomerClient::start(config, options);
    let events = client.events();
    wait_for(&events, "connected", |e| matches!(e, Event::Connected(_)));
    (client, events)
}

#[test]
fn dropping_the_last_handle_ends_the_thread() {
    let env = Env::new("drop");
    let _ =
        tracing_subscriber::fmt().with_env_filter("livechat_blocking=debug").with_test_writer().try_init();
    let mut opts = options(&env);
    opts.debug_frames = true;
    let (client, events) = connected(&env, env.config(), opts);
    let thread = client.driver_thread();
    let other = client.clone();
    drop(client);
    assert!(other.get_customer().is_ok(), "a remaining clone keeps the client alive");
    drop(other);
    thread.join();
    assert!(thread.is_finished());
    // The event receiver ends with the client.
    assert!(events.into_iter().all(|e| !matches!(e, Event::IncomingEvent(_))));
}

#[test]
fn destroy_ends_the_thread_and_later_calls_fail() {
    let env = Env::new("destroy");
    let (client, _events) = connected(&env, env.config(), options(&env));
    client.destroy().expect("destroy");
    client.driver_thread().join();
    assert_eq!(client.get_customer().unwrap_err().code, ErrorCode::SdkDestroyed);
}

#[test]
fn a_stalled_server_times_the_call_out_at_the_call_bound() {
    let env = Env::new("stalled-local");
    let mut config = env.config();
    // The session would wait far longer; the call's own bound answers first.
    config.connection.request_timeout = Duration::from_secs(600);
    let (client, _events) = connected(&env, config, options(&env));
    env.sim.control().set_drop_responses(true);
    let quick = client.with_call_timeout(Duration::from_millis(300));
    let err = quick.get_customer().expect_err("no answer comes");
    assert_eq!(err.code, ErrorCode::RequestTimeout, "{err}");
    env.sim.control().set_drop_responses(false);
    assert!(client.get_customer().is_ok(), "the session goes on");
}

#[test]
fn a_stalled_server_times_the_call_out_in_the_session() {
    let env = Env::new("stalled-session");
    let mut config = env.config();
    config.connection.request_timeout = Duration::from_millis(300);
    let (client, _events) = connected(&env, config, options(&env));
    env.sim.control().set_drop_responses(true);
    // Default bound: request_timeout + queue_timeout + 5 s; the session answers first.
    let err = client.get_customer().expect_err("no answer comes");
    assert_eq!(err.code, ErrorCode::RequestTimeout, "{err}");
}

#[test]
fn a_call_from_a_callback_is_refused_instead_of_deadlocking() {
    let env = Env::new("reentrant");
    let mut config = env.config();
    config.connection.auto_connect = false;
    let client = CustomerClient::start(config, options(&env));
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let inner = client.clone();
    let id = client.on(EventKind::Connected, move |_| {
        let _ = tx.lock().unwrap().send(inner.get_customer());
    });
    client.connect().expect("connect");
    let result = rx.recv_timeout(LIMIT).expect("the callback ran");
    assert_eq!(result.unwrap_err().code, ErrorCode::InvalidRequest);
    // The callback holds a clone: remove it so the client can end.
    assert!(client.off(id));
}

#[test]
fn history_pages_end_and_uploads_report_progress_and_cancel() {
    let env = Env::new("history-upload");
    let (client, _events) = connected(&env, env.config(), options(&env));
    let chat = client.start_chat(Default::default()).expect("start_chat");
    client.send_message(&chat.chat_id, "for the record").expect("send");
    let pages: Vec<_> = client.chat_history(&chat.chat_id).collect();
    assert!(pages.last().is_some_and(|p| p.as_ref().is_ok_and(|p| p.done)), "{pages:?}");

    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let data = vec![7u8; 300 * 1024];
    let source = UploadSource::Bytes {
        name: "a.bin".into(),
        content_type: "application/octet-stream".into(),
        data: data.clone().into(),
    };
    let url = client
        .upload_file(source, Some(Arc::new(move |p| s.lock().unwrap().push(p))))
        .wait()
        .expect("upload");
    assert!(url.starts_with("http"), "{url}");
    let seen = seen.lock().unwrap().clone();
    assert!(seen.windows(2).all(|w| w[0] <= w[1]) && seen.last() == Some(&1.0), "{seen:?}");

    let flag = Arc::new(Mutex::new(None::<Arc<AtomicBool>>));
    let f = flag.clone();
    let source = UploadSource::Bytes {
        name: "b.bin".into(),
        content_type: "application/octet-stream".into(),
        data: data.into(),
    };
    let upload = client.upload_file(
        source,
        Some(Arc::new(move |_| {
            if let Some(c) = f.lock().unwrap().as_ref() {
                c.store(true, Ordering::Relaxed);
            }
        })),
    );
    *flag.lock().unwrap() = Some(upload.canceler());
    upload.cancel();
    assert_eq!(upload.wait().unwrap_err().code, ErrorCode::UploadCanceled);

    let too_big = UploadSource::Bytes {
        name: "c.bin".into(),
        content_type: "application/octet-stream".into(),
        data: vec![0u8; 10 * 1024 * 1024 + 1].into(),
    };
    assert_eq!(client.upload_file(too_big, None).wait().unwrap_err().code, ErrorCode::TooBigFile);
}

#[test]
fn many_threads_share_one_client() {
    let env = Env::new("threads");
    let (client, _events) = connected(&env, env.config(), options(&env));
    let chat = client.start_chat(Default::default()).expect("start_chat");
    let workers: Vec<_> = (0..8)
        .map(|t| {
            let (client, chat_id) = (client.clone(), chat.chat_id.clone());
            std::thread::spawn(move || {
                for i in 0..10 {
                    client.send_message(&chat_id, &format!("t{t} m{i}")).expect("send");
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("worker");
    }
    let texts: Vec<String> = client
        .chat_history(&chat.chat_id)
        .map(|p| p.expect("page"))
        .flat_map(|p| p.threads)
        .flat_map(|t| t.events)
        .filter_map(|e| match e {
            livechat_core::model::ChatEvent::Message(m) if !m.text.starts_with("You said") => Some(m.text),
            _ => None,
        })
        .collect();
    assert_eq!(texts.len(), 80, "{texts:?}");
}

#[test]
fn a_full_event_receiver_keeps_its_bound_and_counts_what_it_dropped() {
    let env = Env::new("event-bound");
    let mut opts = options(&env);
    opts.event_buffer = 2;
    let client = CustomerClient::start(env.config(), opts);
    // Never read while the login and a few pushes happen: more than 2 events come.
    let events = client.events();
    let chat = client.start_chat(Default::default()).expect("start_chat");
    for on in [true, false, true, false] {
        env.sim.control().typing(&chat.chat_id, on).expect("typing");
    }
    // Pushes sent before this response have been handled when it arrives.
    client.get_customer().expect("get_customer");
    assert!(events.dropped() > 0, "more events than the bound of 2 came");
    let mut got = 0;
    while events.try_recv().is_ok() {
        got += 1;
    }
    assert_eq!(got, 2, "the receiver held exactly its bound");
    // Reading made room again.
    env.sim.control().typing(&chat.chat_id, true).expect("typing");
    client.get_customer().expect("get_customer");
    assert!(events.try_recv().is_ok(), "room again after reading");
    // A full receiver that is dropped is removed from the client, not kept counting drops.
    for on in [false, true, false] {
        env.sim.control().typing(&chat.chat_id, on).expect("typing");
    }
    client.get_customer().expect("get_customer");
    assert!(events.dropped() > 2);
    let subscribers = || client.hub().lock().unwrap().subscriber_count();
    assert_eq!(subscribers(), 1);
    drop(events);
    env.sim.control().typing(&chat.chat_id, true).expect("typing");
    client.get_customer().expect("get_customer");
    assert_eq!(subscribers(), 0);
}
