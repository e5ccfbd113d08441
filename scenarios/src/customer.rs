//! The customer scenarios: chatting, reconnects, properties, greetings, forms, uploads,
//! token refresh, exactly-once under drops, region switch, inactivity, early events and
//! cookie jars. Each runs on every transport through [`crate::scenarios!`].

use super::*;

/// Log in, start a chat, exchange messages with the bot, page history to the end.
pub fn chat_with_bot_and_page_history<T: Transport>() {
    let env = Env::new("chat");
    let (client, mut events) = env.customer::<T>();
    let chat = T::wait(client.start_chat(Default::default())).expect("start_chat");
    for i in 0..3 {
        let text = format!("message {i}");
        let sent = T::wait(client.send_message(&chat.chat_id, &text)).expect("send");
        assert!(!sent.event_id.is_empty());
        events.wait_for("the bot's reply", |e| message_text(e).is_some_and(|t| t.contains(&text)));
    }
    let pages = T::history(&client, &chat.chat_id);
    assert!(!pages.is_empty());
    let pages: Vec<HistoryPage> = pages.into_iter().map(|p| p.expect("history page")).collect();
    assert!(pages.last().is_some_and(|p| p.done), "the last page is marked done");
    let texts: Vec<String> = pages
        .iter()
        .rev()
        .flat_map(|p| p.threads.iter())
        .flat_map(|t| t.events.iter())
        .filter_map(|e| match e {
            livechat_core::model::ChatEvent::Message(m) => Some(m.text.clone()),
            _ => None,
        })
        .collect();
    for i in 0..3 {
        assert!(texts.iter().any(|t| t == &format!("message {i}")), "history lacks message {i}: {texts:?}");
    }
    T::wait(client.destroy()).expect("destroy");
}

/// A dropped socket: in-flight calls fail with CONNECTION_LOST (an in-flight `send_event`
/// is confirmed or re-sent instead), calls made while reconnecting are queued and all
/// complete after the next login.
pub fn reconnect_completes_calls_queued_meanwhile<T: Transport>() {
    let env = Env::new("reconnect");
    let control = env.sim.control();
    let (client, mut events) = env.customer::<T>();
    let customer = T::wait(client.get_customer()).expect("get_customer");
    let chat = T::wait(client.start_chat(Default::default())).expect("start_chat");

    // In flight when the socket dies: the server swallows them (no response, no effect).
    control.set_drop_responses(true);
    let lost = later::<T, _>(&client, |c| c.get_customer());
    let cid = chat.chat_id.clone();
    let unanswered_send = later::<T, _>(&client, move |c| c.send_message(&cid, "sent before the drop"));
    std::thread::sleep(Duration::from_millis(200));
    control.set_drop_responses(false);
    // The first two logins after the drop fail, so the reconnect takes a while.
    control.reject_next_logins(2, "internal");
    assert_eq!(control.drop_customer(Some(&customer.id)), 1, "one socket cut");
    events.wait_for("disconnected", |e| matches!(e, Event::Disconnected(d) if d.will_reconnect));

    // Made while reconnecting: queued, not failed.
    let queued_customer = later::<T, _>(&client, |c| c.get_customer());
    let cid = chat.chat_id.clone();
    let queued_send = later::<T, _>(&client, move |c| c.send_message(&cid, "sent while reconnecting"));
    let cid = chat.chat_id.clone();
    let queued_chat = later::<T, _>(&client, move |c| c.get_chat(&cid, None));
    let queued_statuses = later::<T, _>(&client, |c| c.list_group_statuses(ListGroupStatuses::all()));
    let cid = chat.chat_id.clone();
    let queued_props = later::<T, _>(&client, move |c| {
        c.update_chat_properties(&cid, props("rs", &[("queued", json!(true))]))
    });

    let err = join(lost).expect_err("an in-flight get_customer fails when its socket dies");
    assert_eq!(err.code, ErrorCode::ConnectionLost, "{err}");
    events.wait_for("connected again", |e| matches!(e, Event::Connected(_)));

    let again = join(queued_customer).expect("queued get_customer completes after the new login");
    assert_eq!(again.id, customer.id);
    let first = join(unanswered_send).expect("the swallowed send is re-sent after the login");
    let second = join(queued_send).expect("queued send_message");
    join(queued_chat).expect("queued get_chat");
    let statuses = join(queued_statuses).expect("queued list_group_statuses");
    assert_eq!(statuses.groups_status.get(&0), Some(&GroupStatus::Online));
    join(queued_props).expect("queued update_chat_properties");

    let texts = customer_messages(&env, &chat.chat_id, &customer.id);
    assert_eq!(texts, ["sent before the drop", "sent while reconnecting"], "each once, in order");
    assert_ne!(first.event_id, second.event_id);
    let chat_now = T::wait(client.get_chat(&chat.chat_id, None)).expect("get_chat");
    assert_eq!(chat_now.properties.get("rs").and_then(|m| m.get("queued")), Some(&json!(true)));
}

/// `customer_banned` destroys the client: later calls fail with the cause, CUSTOMER_BANNED,
/// and, as after `destroy()`, every stream ends (taken before or after) and no listener is left.
pub fn banned_customer_destroys_the_client<T: Transport>() {
    let env = Env::new("banned");
    let (client, mut events) = env.customer::<T>();
    let mut before = T::events(&client);
    let customer = T::wait(client.get_customer()).expect("get_customer");
    env.sim.control().disconnect_customer(Some(&customer.id), "customer_banned", None);
    events.wait_for("disconnected (destroyed)", |e| matches!(e, Event::Disconnected(d) if d.destroyed));
    let err = T::wait(client.get_customer()).expect_err("a destroyed client refuses calls");
    assert_eq!(err.code, livechat_core::ErrorCode::CustomerBanned, "{err}");
    hostile::assert_ended(&mut before, "a stream taken before the session destroyed itself");
    hostile::assert_ended(&mut T::events(&client), "a stream taken after");
    assert_eq!(hostile::lock_count(&client), (0, 0), "no listener or subscriber is left");
}

/// Every property method: update and delete chat, thread and event properties, each seen
/// in its push and in `get_chat`.
pub fn property_methods_update_and_delete<T: Transport>() {
    let env = Env::new("props");
    let (client, mut events) = env.customer::<T>();
    let chat = T::wait(client.start_chat(Default::default())).expect("start_chat");
    let (chat_id, thread_id) = (chat.chat_id.clone(), chat.thread_id.clone());
    let event_id = T::wait(client.send_message(&chat_id, "with properties")).expect("send").event_id;
    let set = props("rs", &[("flag", json!(true)), ("count", json!(3))]);
    let left = props("rs", &[("count", json!(3))]);
    let gone = deleted("rs", &["flag"]);

    T::wait(client.update_chat_properties(&chat_id, set.clone())).expect("update_chat_properties");
    events.wait_for(
        "chat_properties_updated",
        |e| matches!(e, Event::ChatPropertiesUpdated(u) if u.chat_id == chat_id && u.properties == set),
    );
    T::wait(client.update_thread_properties(&chat_id, &thread_id, set.clone()))
        .expect("update_thread_properties");
    events.wait_for(
        "thread_properties_updated",
        |e| matches!(e, Event::ThreadPropertiesUpdated(u) if u.thread_id == thread_id && u.properties == set),
    );
    T::wait(client.update_event_properties(&chat_id, &thread_id, &event_id, set.clone()))
        .expect("update_event_properties");
    events.wait_for(
        "event_properties_updated",
        |e| matches!(e, Event::EventPropertiesUpdated(u) if u.event_id == event_id && u.properties == set),
    );
    assert_properties::<T>(&client, &chat_id, &event_id, &set["rs"]);

    T::wait(client.delete_chat_properties(&chat_id, gone.clone())).expect("delete_chat_properties");
    events.wait_for(
        "chat_properties_deleted",
        |e| matches!(e, Event::ChatPropertiesDeleted(d) if d.chat_id == chat_id && d.properties == gone),
    );
    T::wait(client.delete_thread_properties(&chat_id, &thread_id, gone.clone()))
        .expect("delete_thread_properties");
    events.wait_for("thread_properties_deleted", |e| {
        matches!(e, Event::ThreadPropertiesDeleted(d) if d.thread_id == thread_id && d.properties == gone)
    });
    T::wait(client.delete_event_properties(&chat_id, &thread_id, &event_id, gone.clone()))
        .expect("delete_event_properties");
    events.wait_for(
        "event_properties_deleted",
        |e| matches!(e, Event::EventPropertiesDeleted(d) if d.event_id == event_id && d.properties == gone),
    );
    assert_properties::<T>(&client, &chat_id, &event_id, &left["rs"]);

    let err = T::wait(client.update_event_properties(&chat_id, &thread_id, "no-such-event", set.clone()))
        .expect_err("properties of a missing event");
    assert_eq!(err.code, ErrorCode::NotFound, "{err}");
}

fn assert_properties<T: Transport>(
    client: &T::Client,
    chat_id: &str,
    event_id: &str,
    want: &serde_json::Map<String, Value>,
) {
    let chat = T::wait(client.get_chat(chat_id, None)).expect("get_chat");
    assert_eq!(chat.properties.get("rs"), Some(want), "chat properties");
    let thread = chat.thread.expect("the chat has its thread");
    assert_eq!(thread.properties.get("rs"), Some(want), "thread properties");
    let event = thread.events.iter().find(|e| e.id() == Some(event_id)).expect("the event is in the thread");
    assert_eq!(event.properties().and_then(|p| p.get("rs")), Some(want), "event properties");
}

/// Greetings: shown (`incoming_greeting`), accepted, replaced, canceled; bad ids refused.
pub fn greetings_accept_and_cancel<T: Transport>() {
    let env = Env::new("greetings");
    let control = env.sim.control();
    let (client, mut events) = env.customer::<T>();
    let customer = T::wait(client.get_customer()).expect("get_customer");

    let first = control.trigger_greeting(&customer.id, "Can I help you?").expect("trigger_greeting");
    let shown = events
        .wait_for("incoming_greeting", |e| matches!(e, Event::IncomingGreeting(g) if g.unique_id == first));
    let Event::IncomingGreeting(greeting) = shown else { unreachable!() };
    let err = T::wait(client.accept_greeting(greeting.id + 1000, &greeting.unique_id))
        .expect_err("accept with a wrong greeting id");
    assert_eq!(err.code, ErrorCode::GreetingNotFound, "{err}");
    T::wait(client.accept_greeting(greeting.id, &greeting.unique_id)).expect("accept_greeting");
    events.wait_for("greeting_accepted", |e| matches!(e, Event::GreetingAccepted(a) if a.unique_id == first));

    let second = control.trigger_greeting(&customer.id, "Still there?").expect("trigger_greeting");
    assert_ne!(first, second);
    events.wait_for(
        "the first greeting canceled",
        |e| matches!(e, Event::GreetingCanceled(c) if c.unique_id == first),
    );
    events
        .wait_for("incoming_greeting", |e| matches!(e, Event::IncomingGreeting(g) if g.unique_id == second));
    T::wait(client.cancel_greeting(&second)).expect("cancel_greeting");
    events
        .wait_for("greeting_canceled", |e| matches!(e, Event::GreetingCanceled(c) if c.unique_id == second));

    let err = T::wait(client.cancel_greeting(&second)).expect_err("cancel a canceled greeting");
    assert_eq!(err.code, ErrorCode::GreetingNotFound, "{err}");
    let err = T::wait(client.cancel_greeting("no-such-greeting")).expect_err("cancel an unknown greeting");
    assert_eq!(err.code, ErrorCode::GreetingNotFound, "{err}");
}

/// `get_form` (prechat, postchat, unknown group) and group statuses: listed all or by id,
/// changes pushed as `groups_status_updated` and `availability_updated`.
pub fn forms_and_group_statuses<T: Transport>() {
    let env = Env::new("forms");
    let control = env.sim.control();
    let (client, mut events) = env.customer::<T>();

    let prechat = T::wait(client.get_form(0, FormType::Prechat)).expect("get_form prechat");
    assert!(prechat.enabled);
    let form = prechat.form.expect("an enabled form is sent");
    assert!(form.fields.iter().any(|f| f.kind == "email" && f.required == Some(true)), "{form:?}");
    let chooser = form.fields.iter().find(|f| f.kind == "group_chooser").expect("a group chooser");
    assert_eq!(chooser.options.first().and_then(|o| o.group_id), Some(0));
    let postchat = T::wait(client.get_form(0, FormType::Postchat)).expect("get_form postchat");
    let form = postchat.form.expect("an enabled form is sent");
    assert!(form.fields.iter().any(|f| f.kind == "rating"), "{form:?}");
    let err = T::wait(client.get_form(42, FormType::Prechat)).expect_err("a form of a missing group");
    assert_eq!(err.code, ErrorCode::GroupNotFound, "{err}");

    control.set_group_status(&env.org, 7, "online_for_queue").expect("group 7");
    events.wait_for("groups_status_updated (7)", |e| {
        matches!(e, Event::GroupsStatusUpdated(g) if g.status_of(7) == Some(&GroupStatus::OnlineForQueue))
    });
    let all = T::wait(client.list_group_statuses(ListGroupStatuses::all())).expect("list all");
    assert_eq!(
        all.groups_status,
        BTreeMap::from([(0, GroupStatus::Online), (7, GroupStatus::OnlineForQueue)]),
        "every group"
    );
    // Omitting the ids asks for every group too (an empty payload would be refused).
    let omitted =
        T::wait(client.list_group_statuses(ListGroupStatuses::default())).expect("list, ids omitted");
    assert_eq!(omitted.groups_status, all.groups_status);
    let info = T::wait(client.get_url_info("https://example.com/page")).expect("get_url_info");
    assert!(info.image_url.as_deref().is_some_and(|u| u.starts_with("https://")), "{info:?}");
    let some =
        T::wait(client.list_group_statuses(ListGroupStatuses::groups(vec![7, 99]))).expect("list by id");
    assert_eq!(
        some.groups_status,
        BTreeMap::from([(7, GroupStatus::OnlineForQueue)]),
        "missing ids are absent"
    );

    control.set_group_status(&env.org, 0, "offline").expect("group 0 offline");
    events.wait_for("availability_updated offline", |e| {
        matches!(e, Event::AvailabilityUpdated(Availability::Offline))
    });
    let zero = T::wait(client.list_group_statuses(ListGroupStatuses::groups(vec![0]))).expect("list group 0");
    assert_eq!(zero.groups_status.get(&0), Some(&GroupStatus::Offline));
    control.set_group_status(&env.org, 0, "online").expect("group 0 online");
    events.wait_for("availability_updated online", |e| {
        matches!(e, Event::AvailabilityUpdated(Availability::Online))
    });
}

/// Upload: a small file round-trips with progress up to 1.0; a big one is canceled at 10 %;
/// one over 10 MB is refused before anything is sent.
pub fn upload_with_progress_and_cancel<T: Transport>() {
    let env = Env::new("upload");
    let (client, _events) = env.customer::<T>();

    let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let (url, progress) = T::upload(&client, "notes.bin", data.clone(), None);
    let url = url.expect("upload_file");
    assert!(!progress.is_empty(), "progress was reported");
    assert!(progress.windows(2).all(|w| w[0] <= w[1]), "progress never goes back: {progress:?}");
    assert!(progress.iter().all(|p| (0.0..=1.0).contains(p)), "progress within 0..1: {progress:?}");
    assert_eq!(progress.last(), Some(&1.0), "progress ends at 1.0");
    let get = livechat_core::http::HttpRequest::new(livechat_core::http::Method::Get, url.clone());
    let back = livechat_http::execute(&get, Default::default()).expect("GET the uploaded file");
    assert_eq!(back.status, 200, "GET {url}");
    assert!(
        back.body == data,
        "the file comes back byte for byte ({} bytes vs {})",
        back.body.len(),
        data.len()
    );

    let big = vec![0x5a; 8 * 1024 * 1024];
    let (result, progress) = T::upload(&client, "big.bin", big, Some(0.1));
    let err = result.expect_err("a canceled upload fails");
    assert_eq!(err.code, ErrorCode::UploadCanceled, "{err}");
    assert!(progress.iter().any(|p| *p >= 0.1), "it got to 10 %: {progress:?}");
    assert!(progress.last().is_some_and(|p| *p < 1.0), "it stopped before the end: {progress:?}");

    let too_big = vec![0u8; 10 * 1024 * 1024 + 1];
    let (result, progress) = T::upload(&client, "too-big.bin", too_big, None);
    let err = result.expect_err("over 10 MB");
    assert_eq!(err.code, ErrorCode::TooBigFile, "{err}");
    assert!(progress.is_empty(), "nothing was sent: {progress:?}");
}

/// `access_token_expired`: the client fetches a fresh token, logs in again and goes on.
pub fn token_refresh_on_access_token_expired<T: Transport>() {
    let env = Env::new("token");
    let control = env.sim.control();
    let (client, mut events) = env.customer::<T>();
    let customer = T::wait(client.get_customer()).expect("get_customer");
    let before = T::token(&client).expect("a token after login");
    assert_eq!(before.entity_id, customer.id);
    let logins = control.stats().logins;

    control.disconnect_customer(Some(&customer.id), "access_token_expired", None);
    events.wait_for("disconnected (access_token_expired)", |e| {
        matches!(e, Event::Disconnected(d) if d.reason == DisconnectReason::AccessTokenExpired && d.will_reconnect)
    });
    events.wait_for("connected again", |e| matches!(e, Event::Connected(_)));
    let after = T::token(&client).expect("a token after the new login");
    assert_ne!(before.access_token.expose(), after.access_token.expose(), "a fresh token was fetched");
    assert_eq!(after.entity_id, customer.id, "the same customer (cookie kept)");
    assert!(control.stats().logins > logins, "logged in again");
    let again = T::wait(client.get_customer()).expect("get_customer after the refresh");
    assert_eq!(again.id, customer.id);
    let chat = T::wait(client.start_chat(Default::default())).expect("start_chat after the refresh");
    T::wait(client.send_message(&chat.chat_id, "still here")).expect("send after the refresh");

    // `auth.getFreshToken()`: a new token on demand, same customer, the session goes on.
    let logins = control.stats().logins;
    T::wait(client.refresh_token()).expect("refresh_token");
    let fresh = T::token(&client).expect("the fresh token");
    assert_ne!(fresh.access_token.expose(), after.access_token.expose(), "a new token, not the cached one");
    assert_eq!(fresh.entity_id, customer.id);
    assert_eq!(control.stats().logins, logins, "no new login was needed");
    T::wait(client.send_message(&chat.chat_id, "after refresh_token")).expect("send after refresh_token");
    // A failed fetch says why; the session keeps the token it has.
    control.set_token_endpoint_down(true);
    let err = T::wait(client.refresh_token()).expect_err("the token endpoint is down");
    assert_ne!(err.code, ErrorCode::RequestTimeout, "fails with the fetch's cause: {err}");
    assert_eq!(
        T::token(&client).map(|t| t.access_token.expose().to_string()),
        Some(fresh.access_token.expose().to_string())
    );
    control.set_token_endpoint_down(false);
    T::wait(client.get_customer()).expect("the session goes on");
}

/// The headline: 200 numbered messages, a few in flight at a time, while the simulator
/// cuts the socket at random moments. Every send returns Ok, and the server holds each
/// message exactly once, in order, under the event id its send returned.
pub fn exactly_once_delivery_under_random_drops<T: Transport>() {
    exactly_once_under_drops::<T>(8, 4, 0x1ce5_eed5);
}

/// The same with 40 drops, often hitting the socket right after a login, while the
/// exactly-once check is in flight. Fails today (duplicates): see
/// `tests/core_exactly_once_repro.rs` for the core bug behind it.
pub fn exactly_once_delivery_under_dense_drops<T: Transport>() {
    exactly_once_under_drops::<T>(40, 4, 0xd0_5e)
}

/// Messages sent by the exactly-once scenarios.
const MESSAGES: usize = 200;

fn exactly_once_under_drops<T: Transport>(drops: usize, in_flight: usize, seed: u64) {
    let env = Env::new("exactly-once");
    let (client, _events) = env.customer::<T>();
    let customer = T::wait(client.get_customer()).expect("get_customer");
    let chat = T::wait(client.start_chat(Default::default())).expect("start_chat");

    // Drop when this many sends have completed, after a random pause of up to 3 ms (the
    // next logged-in socket if the client is reconnecting then).
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut at: Vec<usize> = (0..drops).map(|_| rng.usize(3..MESSAGES - 3)).collect();
    at.sort_unstable();
    let done = Arc::new(AtomicUsize::new(0));
    let finished = Arc::new(AtomicBool::new(false));
    let dropper = {
        let (done, finished) = (done.clone(), finished.clone());
        let control = env.sim.control();
        let id = customer.id.clone();
        std::thread::spawn(move || {
            let mut cut = 0;
            for threshold in at {
                while done.load(Ordering::SeqCst) < threshold {
                    if finished.load(Ordering::SeqCst) {
                        return cut;
                    }
                    std::thread::sleep(Duration::from_micros(200));
                }
                std::thread::sleep(Duration::from_micros(rng.u64(0..3000)));
                // While the client is between sockets there is nothing to cut: try again.
                for _ in 0..500 {
                    let n = control.drop_customer(Some(&id));
                    if n > 0 || finished.load(Ordering::SeqCst) {
                        cut += n;
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
            cut
        })
    };

    let started = Instant::now();
    let mut window = VecDeque::new();
    let mut results = Vec::with_capacity(MESSAGES);
    for i in 0..MESSAGES {
        window.push_back((i, client.send_message(&chat.chat_id, &format!("n{i:03}"))));
        while window.len() >= in_flight || (i == MESSAGES - 1 && !window.is_empty()) {
            let Some((j, out)) = window.pop_front() else { break };
            results.push((j, T::wait(out)));
            done.fetch_add(1, Ordering::SeqCst);
        }
    }
    finished.store(true, Ordering::SeqCst);
    let cut = dropper.join().expect("dropper thread");
    let took = started.elapsed();

    let failed: Vec<String> =
        results.iter().filter_map(|(i, r)| r.as_ref().err().map(|e| format!("n{i:03}: {e}"))).collect();
    assert!(failed.is_empty(), "every send returns Ok; failed: {failed:?}");
    assert!(cut >= drops / 2, "only {cut} of {drops} drops hit a socket (over {took:?})");

    eprintln!("exactly-once: {cut} drops, {took:?}");
    let stored = server_messages(&env, &chat.chat_id, &customer.id);
    let texts: Vec<&str> = stored.iter().map(|(_, t)| t.as_str()).collect();
    let expected: Vec<String> = (0..MESSAGES).map(|i| format!("n{i:03}")).collect();
    if texts != expected {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for t in &texts {
            *counts.entry(t).or_default() += 1;
        }
        let dup: Vec<_> = counts.iter().filter(|(_, c)| **c > 1).collect();
        let lost: Vec<_> = expected.iter().filter(|e| !counts.contains_key(e.as_str())).collect();
        let first_bad = texts.iter().zip(&expected).position(|(a, b)| a != b);
        panic!(
            "server holds {} messages for {MESSAGES} sends ({cut} drops): duplicated {dup:?}, lost {lost:?}, \
             first out of place at {first_bad:?}",
            texts.len()
        );
    }
    for ((i, result), (stored_id, _)) in results.iter().zip(&stored) {
        let sent = result.as_ref().expect("checked above");
        assert_eq!(&sent.event_id, stored_id, "n{i:03}: the send returned the stored event's id");
    }
}

/// `misdirected_connection` with `{"region": "fra"}`: the client reconnects to the fra
/// server and goes on; a region it does not know pauses it instead.
pub fn region_switch_on_misdirected_connection<T: Transport>() {
    let env = Env::new("region");
    let control = env.sim.control();
    let port = env.sim.addr().port();
    let (dal_host, fra_host) = (format!("127.0.0.1:{port}"), format!("localhost:{port}"));
    let regions = BTreeMap::from([("fra".to_string(), format!("ws://{fra_host}"))]);
    let (client, mut events) = env.customer_with::<T>(|c| {
        c.connection.endpoint = Endpoint::Custom { default: env.sim.url(), regions };
    });
    let customer = T::wait(client.get_customer()).expect("get_customer");
    assert_eq!(
        control.customer_hosts(),
        std::slice::from_ref(&dal_host),
        "first connection to the default server"
    );

    control.disconnect_customer(Some(&customer.id), "misdirected_connection", Some(json!({"region": "fra"})));
    events.wait_for("disconnected (misdirected)", |e| {
        matches!(e, Event::Disconnected(d)
            if d.reason == DisconnectReason::MisdirectedConnection && d.will_reconnect
                && d.data == Some(json!({"region": "fra"})))
    });
    events.wait_for("connected to fra", |e| matches!(e, Event::Connected(_)));
    assert_eq!(control.customer_hosts(), [dal_host.clone(), fra_host.clone()], "reconnected to fra");
    let again = T::wait(client.get_customer()).expect("get_customer in fra");
    assert_eq!(again.id, customer.id);

    // The region sticks across an ordinary reconnect.
    control.drop_customer(Some(&customer.id));
    events.wait_for("connected again", |e| matches!(e, Event::Connected(_)));
    assert_eq!(control.customer_hosts().last(), Some(&fra_host), "still fra after a drop");

    // A region not in the map: paused, not looping.
    control.disconnect_customer(
        Some(&customer.id),
        "misdirected_connection",
        Some(json!({"region": "mars"})),
    );
    events.wait_for("paused (unknown region)", |e| {
        matches!(e, Event::Disconnected(d)
            if d.reason == DisconnectReason::MisdirectedConnection && !d.will_reconnect && !d.destroyed)
    });
    T::wait(client.connect()).expect("connect() resumes");
    events.wait_for("connected after connect()", |e| matches!(e, Event::Connected(_)));
    T::wait(client.get_customer()).expect("get_customer after connect()");
}

/// `inactivity_timeout` pauses the client: calls fail with NO_CONNECTION and nothing
/// reconnects until `connect()`.
pub fn inactivity_timeout_waits_for_connect<T: Transport>() {
    let env = Env::new("inactive");
    let control = env.sim.control();
    let (client, mut events) = env.customer::<T>();
    let customer = T::wait(client.get_customer()).expect("get_customer");

    control.disconnect_customer(Some(&customer.id), "inactivity_timeout", None);
    events.wait_for("disconnected (paused)", |e| {
        matches!(e, Event::Disconnected(d)
            if d.reason == DisconnectReason::InactivityTimeout && !d.will_reconnect && !d.destroyed)
    });
    let connections = control.stats().connections_total;
    let err = T::wait(client.get_customer()).expect_err("a paused client refuses calls");
    assert_eq!(err.code, ErrorCode::NoConnection, "{err}");
    std::thread::sleep(Duration::from_millis(1200));
    assert_eq!(control.stats().connections_total, connections, "no reconnect while paused");
    assert!(
        !events
            .drain()
            .iter()
            .rev()
            .take_while(|e| !matches!(e, Event::Disconnected(_)))
            .any(|e| matches!(e, Event::Connected(_))),
        "no connected event while paused"
    );
    let err = T::wait(client.get_customer()).expect_err("still paused");
    assert_eq!(err.code, ErrorCode::NoConnection, "{err}");

    T::wait(client.connect()).expect("connect()");
    events.wait_for("connected after connect()", |e| matches!(e, Event::Connected(_)));
    assert!(control.stats().connections_total > connections, "a new socket");
    let again = T::wait(client.get_customer()).expect("get_customer after connect()");
    assert_eq!(again.id, customer.id);
}

/// Two clients with their own cookie jars are two customers; one cannot see the other's chat.
/// A client connects as soon as it is built; the events of a login that finished before the
/// first listener was attached are kept for that listener, not lost.
pub fn events_before_the_first_listener_are_kept<T: Transport>() {
    let env = Env::new("backlog");
    let client = T::start(env.config(), env.cookie_grant());
    // Completes only after the login response was handled and `connected` emitted.
    T::wait(client.get_customer()).expect("get_customer");
    let mut events = Events::attach(&client);
    events.wait_for("connected from before the listener", |e| matches!(e, Event::Connected(_)));
}

pub fn separate_cookie_jars_are_separate_customers<T: Transport>() {
    let env = Env::new("identity");
    let (alice, _ea) = env.customer::<T>();
    let (bob, _eb) = env.customer::<T>();
    let a = T::wait(alice.get_customer()).expect("alice");
    let b = T::wait(bob.get_customer()).expect("bob");
    assert_ne!(a.id, b.id, "two cookie jars, two customers");
    assert_eq!(T::token(&alice).map(|t| t.entity_id), Some(a.id.clone()));
    assert_eq!(T::token(&bob).map(|t| t.entity_id), Some(b.id.clone()));

    let chat = T::wait(alice.start_chat(Default::default())).expect("alice starts a chat");
    T::wait(alice.send_message(&chat.chat_id, "for alice's eyes")).expect("send");
    let err = T::wait(bob.get_chat(&chat.chat_id, None)).expect_err("bob cannot read alice's chat");
    assert!(matches!(err.code, ErrorCode::Authorization | ErrorCode::NotFound), "{err}");
    let err = T::wait(bob.send_message(&chat.chat_id, "intruding")).expect_err("bob cannot write there");
    assert!(matches!(err.code, ErrorCode::Authorization | ErrorCode::NotFound), "{err}");
    let bobs = T::wait(bob.list_chats(ListChats::default())).expect("bob's chats");
    assert!(bobs.chats_summary.iter().all(|c| c.id != chat.chat_id), "alice's chat is not in bob's list");
    let alices = T::wait(alice.list_chats(ListChats::default())).expect("alice's chats");
    assert!(alices.chats_summary.iter().any(|c| c.id == chat.chat_id));
    assert_eq!(env.sim.control().customer_chats(&b.id), Vec::<String>::new());
    assert_eq!(customer_messages(&env, &chat.chat_id, &a.id), ["for alice's eyes"]);
    assert!(customer_messages(&env, &chat.chat_id, &b.id).is_empty());
}
