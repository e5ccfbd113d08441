//! Token endpoint, upload, and the control API over HTTP.

mod common;

use common::*;
use serde_json::{Value, json};

const TOKEN: &str = "/v2/customer/token";

#[tokio::test]
async fn cookie_grant_creates_then_reuses_the_identity() {
    let sim = sim().await;
    let body =
        json!({"grant_type": "cookie", "client_id": "c1", "response_type": "token", "organization_id": ORG});
    let (s, head, t1) = post_json(&sim, TOKEN, &[], body.clone()).await;
    assert_eq!(s, 200, "{t1}");
    assert_eq!(t1["token_type"], "Bearer");
    assert_eq!(t1["expires_in"], 28800);
    assert_eq!(t1["organization_id"], ORG);
    assert_eq!(t1["client_id"], "c1");
    let id = t1["entity_id"].as_str().unwrap().to_string();
    let set_cookie =
        head.lines().find(|l| l.to_ascii_lowercase().starts_with("set-cookie:")).expect("Set-Cookie");
    assert!(set_cookie.contains(&format!("__lc_cid={id}")));
    let cookie = format!("__lc_cid={id}");
    let (_, _, t2) = post_json(&sim, TOKEN, &[("Cookie", &cookie)], body.clone()).await;
    assert_eq!(t2["entity_id"], id.as_str());
    assert_ne!(t2["access_token"], t1["access_token"]);
    // Without the cookie: a new customer.
    let (_, _, t3) = post_json(&sim, TOKEN, &[], body).await;
    assert_ne!(t3["entity_id"], id.as_str());
    // The token logs in on RTM as that customer.
    let mut c = Client::customer(&sim, ORG).await;
    let p = c.ok("login", json!({"token": format!("Bearer {}", t2["access_token"].as_str().unwrap())})).await;
    assert_eq!(p["customer"]["id"], id.as_str());
}

#[tokio::test]
async fn token_errors_have_the_documented_shapes() {
    let sim = sim().await;
    let cases = [
        (json!({"client_id": "c", "response_type": "token"}), "oauth_exception", "missing_grant"),
        (
            json!({"grant_type": "magic", "client_id": "c", "response_type": "token"}),
            "oauth_exception",
            "unsupported_grant_type",
        ),
        (
            json!({"grant_type": "cookie", "response_type": "token", "organization_id": ORG}),
            "oauth_exception",
            "invalid_client",
        ),
        (
            json!({"grant_type": "cookie", "client_id": "c", "response_type": "code", "organization_id": ORG}),
            "oauth_exception",
            "unsupported_response_type",
        ),
        (
            json!({"grant_type": "cookie", "client_id": "c", "response_type": "token"}),
            "oauth_exception",
            "invalid_request",
        ),
        (
            json!({"grant_type": "agent_token", "client_id": "c", "response_type": "token"}),
            "identity_exception",
            "unauthorized",
        ),
    ];
    for (body, key, value) in cases {
        let (s, _, v) = post_json(&sim, TOKEN, &[], body.clone()).await;
        assert!(s >= 400, "{body} → {s}");
        assert_eq!(v[key], value, "{body} → {v}");
    }
    let (s, _, _) = http(&sim, "POST", TOKEN, &[], b"\xff\xfe not a body").await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn agent_token_grant_issues_tokens_for_new_and_existing_customers() {
    let sim = sim_with(|c| c.token_expires_in = 60).await;
    let auth = format!("Bearer {}", livechat_sim::DEFAULT_AGENT_TOKEN);
    let body = json!({"grant_type": "agent_token", "client_id": "c", "response_type": "token", "organization_id": ORG});
    let (s, _, t) = post_json(&sim, TOKEN, &[("Authorization", &auth)], body.clone()).await;
    assert_eq!(s, 200, "{t}");
    assert_eq!(t["expires_in"], 60);
    let id = t["entity_id"].as_str().unwrap();
    let mut again = body.clone();
    again["entity_id"] = json!(id);
    let (_, _, t2) = post_json(&sim, TOKEN, &[("Authorization", &auth)], again).await;
    assert_eq!(t2["entity_id"], id);
    let (s, _, e) = post_json(&sim, TOKEN, &[("Authorization", "Bearer wrong")], body.clone()).await;
    assert_eq!((s, e["identity_exception"].as_str()), (401, Some("unauthorized")));
    // PATs cannot mint customer tokens.
    let (s, _, _) = post_json(&sim, TOKEN, &[("Authorization", "Basic Zm9vOmJhcg==")], body).await;
    assert_eq!(s, 401);
}

fn multipart(name: &str, data: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----simboundary7MA4YWxkTrZu0gW";
    let mut b = Vec::new();
    b.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
    b.extend_from_slice(data);
    b.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), b)
}

#[tokio::test]
async fn upload_within_limit_is_served_back_and_over_limit_is_refused() {
    let sim = sim().await;
    let (token, _) = sim.issue_customer_token(ORG);
    let auth = format!("Bearer {token}");
    let path = format!("/v3.6/customer/action/upload_file?organization_id={ORG}");
    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let (ct, body) = multipart("notes.txt", &data);
    let (s, _, resp) =
        http(&sim, "POST", &path, &[("Authorization", &auth), ("Content-Type", &ct)], &body).await;
    assert_eq!(s, 200, "{}", String::from_utf8_lossy(&resp));
    let v: Value = serde_json::from_slice(&resp).unwrap();
    let url = v["url"].as_str().unwrap();
    let prefix = format!("{}/", sim.http_url());
    assert!(url.starts_with(&prefix), "{url}");
    let (s, _, served) = http(&sim, "GET", &url[prefix.len() - 1..], &[], b"").await;
    assert_eq!(s, 200);
    assert_eq!(served, data);
    // The file can be sent as an event.
    let (mut c, _) = Client::login(&sim, ORG).await;
    let (chat_id, _) = start_chat(&mut c, "file incoming").await;
    let p = c.ok("send_event", json!({"chat_id": chat_id, "event": {"type": "file", "url": url}})).await;
    assert!(p["event_id"].is_string());
    let ev =
        c.recv_until(|f| f["action"] == "incoming_event" && f["payload"]["event"]["type"] == "file").await.0;
    assert_eq!(ev["payload"]["event"]["name"], "notes.txt");
    assert_eq!(ev["payload"]["event"]["content_type"], "text/plain");
    // Over 10 MB.
    let big = vec![7u8; 10 * 1024 * 1024 + 1];
    let (ct, body) = multipart("big.bin", &big);
    let (s, _, resp) =
        http(&sim, "POST", &path, &[("Authorization", &auth), ("Content-Type", &ct)], &body).await;
    assert_eq!(s, 413);
    let v: Value = serde_json::from_slice(&resp).unwrap();
    assert_eq!(v["error"]["type"], "entity_too_large");
    // Without a valid token.
    let (ct, body) = multipart("a.txt", b"x");
    let (s, _, _) =
        http(&sim, "POST", &path, &[("Authorization", "Bearer nope"), ("Content-Type", &ct)], &body).await;
    assert_eq!(s, 401);
}

#[tokio::test]
async fn control_api_disconnects_with_reason_and_data() {
    let sim = sim().await;
    let (mut a, id) = Client::login(&sim, ORG).await;
    let (mut b, _) = Client::login(&sim, ORG).await;
    let (s, _, r) = post_json(
        &sim,
        "/_sim/disconnect",
        &[],
        json!({"customer_id": id, "reason": "misdirected_connection", "data": {"region": "fra"}}),
    )
    .await;
    assert_eq!((s, r["disconnected"].as_u64()), (200, Some(1)));
    let f = a.recv().await;
    assert_eq!(f["action"], "customer_disconnected");
    assert_eq!(f["payload"], json!({"reason": "misdirected_connection", "data": {"region": "fra"}}));
    assert!(matches!(a.next_within(std::time::Duration::from_secs(2)).await, Next::Closed(_)));
    // The other customer is untouched.
    b.ok("ping", json!({})).await;
    // Abrupt drop: no frame, just gone.
    assert_eq!(sim.control().drop_customer(None), 1);
    assert!(matches!(b.next_within(std::time::Duration::from_secs(2)).await, Next::Closed(_)));
    let (s, _, body) = http(&sim, "GET", "/_sim/stats", &[], b"").await;
    assert_eq!(s, 200);
    let stats: Value = serde_json::from_slice(&body).unwrap();
    assert!(stats["logins"].as_u64().unwrap() >= 2, "{stats}");
    let st = sim.control().stats();
    assert!(st.logins >= 2 && st.connections_total >= 2 && st.frames_in >= 3, "{st:?}");
}

#[tokio::test]
async fn rejected_logins_greetings_and_agent_pushes_via_control() {
    let sim = sim().await;
    let ctl = sim.control();
    let (token, id) = sim.issue_customer_token(ORG);
    ctl.reject_next_logins(1, "customer_banned");
    let mut c = Client::customer(&sim, ORG).await;
    assert_eq!(c.err("login", json!({"token": format!("Bearer {token}")})).await["type"], "customer_banned");
    c.ok("login", json!({"token": format!("Bearer {token}")})).await;
    let unique = ctl.trigger_greeting(&id, "Need help?").unwrap();
    let g = c.push("incoming_greeting").await;
    assert_eq!(g["payload"]["unique_id"], unique.as_str());
    assert_eq!(g["payload"]["event"]["text"], "Need help?");
    let gid = g["payload"]["id"].clone();
    assert_eq!(
        c.err("accept_greeting", json!({"greeting_id": gid, "unique_id": "nope"})).await["type"],
        "greeting_not_found"
    );
    c.ok("accept_greeting", json!({"greeting_id": gid, "unique_id": unique})).await;
    assert_eq!(c.push("greeting_accepted").await["payload"]["unique_id"], unique.as_str());
    let (chat_id, _) = start_chat(&mut c, "hi").await;
    c.push("incoming_event").await; // bot reply
    let eid = ctl.agent_message(&chat_id, "an agent speaks", None).unwrap();
    let e = c.push("incoming_event").await;
    assert_eq!(
        (e["payload"]["event"]["id"].as_str(), e["payload"]["event"]["text"].as_str()),
        (Some(eid.as_str()), Some("an agent speaks"))
    );
    let rich = json!({"type": "rich_message", "template_id": "quick_replies", "elements": [{
        "title": "Pick one", "buttons": [{"text": "Yes", "type": "message", "value": "yes", "postback_id": "yes"}]}]});
    let rid = ctl.agent_event(&chat_id, &rich, None).unwrap();
    let e = c.push("incoming_event").await;
    assert_eq!(e["payload"]["event"]["id"], rid.as_str());
    assert_eq!(e["payload"]["event"]["type"], "rich_message");
    assert_eq!(e["payload"]["event"]["elements"][0]["buttons"][0]["postback_id"], "yes");
    assert!(ctl.agent_event(&chat_id, &json!({"type": "message"}), None).is_err());
    ctl.typing(&chat_id, true).unwrap();
    assert_eq!(c.push("incoming_typing_indicator").await["payload"]["typing_indicator"]["is_typing"], true);
    ctl.thinking(&chat_id, Some("Thinking..."), None).unwrap();
    assert_eq!(c.push("incoming_thinking_indicator").await["payload"]["title"], "Thinking...");
    ctl.event_preview(&chat_id, "partial").unwrap();
    let p = c.push("incoming_event_preview").await;
    assert_eq!(p["payload"]["event"]["text"], "partial");
    assert!(p["payload"]["event"].get("id").is_none());
    ctl.set_group_status(ORG, 0, "offline").unwrap();
    assert_eq!(
        c.push("groups_status_updated").await["payload"]["groups"],
        json!([{"id": 0, "status": "offline"}])
    );
    let gs = c.ok("list_group_statuses", json!({"all": true})).await;
    assert_eq!(gs["groups_status"], json!({"0": "offline"}));
    assert_eq!(c.err("list_group_statuses", json!({})).await["type"], "validation");
}

#[tokio::test]
async fn queueing_when_no_agent_is_free_then_routing_when_one_frees() {
    let sim = sim().await;
    let ctl = sim.control();
    ctl.set_routing_status(livechat_sim::BOT_AGENT_ID, "not_accepting_chats").unwrap();
    let (mut c, _) = Client::login(&sim, ORG).await;
    let (chat_id, thread_id) = start_chat(&mut c, "anyone?").await;
    let chat = c.push("incoming_chat").await;
    assert_eq!(chat["payload"]["chat"]["thread"]["queue"]["position"], 1);
    let q = c.push("queue_position_updated").await;
    assert_eq!(
        q["payload"],
        json!({"chat_id": chat_id, "thread_id": thread_id, "queue": {"position": 1, "wait_time": 30}})
    );
    ctl.set_routing_status(livechat_sim::BOT_AGENT_ID, "accepting_chats").unwrap();
    let added = c.push("user_added_to_chat").await;
    assert_eq!(added["payload"]["user"]["id"], livechat_sim::BOT_AGENT_ID);
    // Now the bot answers.
    c.ok("send_event", json!({"chat_id": chat_id, "event": {"type": "message", "text": "hello?"}})).await;
    let r = c
        .recv_until(|f| {
            f["action"] == "incoming_event"
                && f["payload"]["event"]["author_id"] == livechat_sim::BOT_AGENT_ID
        })
        .await
        .0;
    assert_eq!(r["payload"]["event"]["text"], "You said: hello?");
}
