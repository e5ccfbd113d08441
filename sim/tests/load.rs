//! Load smoke test: many concurrent customers chatting with the bot; nothing lost or duplicated.

mod common;

use common::*;
use serde_json::json;
use std::collections::HashMap;
use std::time::Duration;

const CUSTOMERS: usize = 200;
const MESSAGES: usize = 5;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_customers_each_get_every_bot_reply_exactly_once() {
    let sim = sim().await;
    let mut tasks = Vec::new();
    for n in 0..CUSTOMERS {
        let (token, _) = sim.issue_customer_token(ORG);
        let url = format!("{}/v3.6/customer/rtm/ws?organization_id={ORG}", sim.url());
        tasks.push(tokio::spawn(async move {
            let mut c = Client::connect(&url).await;
            c.ok("login", json!({"token": format!("Bearer {token}")})).await;
            let p = c.ok("start_chat", json!({})).await;
            let chat_id = p["chat_id"].as_str().unwrap().to_string();
            for m in 0..MESSAGES {
                c.send(json!({"request_id": format!("m{m}"), "action": "send_event",
                    "payload": {"chat_id": chat_id, "event": {"type": "message", "text": format!("c{n} m{m}")}}}))
                .await;
            }
            // Collect until every reply arrived, then make sure nothing more comes.
            let mut replies: HashMap<String, usize> = HashMap::new();
            let mut responses = 0;
            while replies.values().sum::<usize>() < MESSAGES || responses < MESSAGES {
                let f = c.recv().await;
                if f["type"] == "response" {
                    assert_eq!(f["success"], true, "{f}");
                    responses += 1;
                } else if f["action"] == "incoming_event"
                    && f["payload"]["event"]["author_id"] == livechat_sim::BOT_AGENT_ID
                {
                    *replies.entry(f["payload"]["event"]["text"].as_str().unwrap().to_string()).or_default() += 1;
                }
            }
            c.quiet(Duration::from_millis(100)).await;
            for m in 0..MESSAGES {
                assert_eq!(replies.get(&format!("You said: c{n} m{m}")), Some(&1), "customer {n}: {replies:?}");
            }
        }));
    }
    let all = async {
        for t in tasks {
            t.await.expect("customer task");
        }
    };
    tokio::time::timeout(Duration::from_secs(20), all).await.expect("load test took over 20 s");
    let st = sim.control().stats();
    assert_eq!(st.logins, CUSTOMERS as u64);
}
