//! Deterministic mode and the JSONL frame log.

mod common;

use common::*;
use serde_json::{Value, json};

async fn scenario(sim: &livechat_sim::Sim) -> Value {
    let (mut c, id) = Client::login(sim, ORG).await;
    let (chat_id, _) = start_chat(&mut c, "same every time").await;
    c.push("incoming_event").await;
    let chat = c.ok("get_chat", json!({"chat_id": chat_id})).await;
    json!({"customer": id, "chat": chat_id, "events": chat["thread"]["events"]})
}

#[tokio::test]
async fn deterministic_mode_replays_ids_and_timestamps() {
    let det = |c: &mut livechat_sim::SimConfig| {
        c.deterministic = true;
        c.seed = 7;
    };
    let a = scenario(&sim_with(det).await).await;
    let b = scenario(&sim_with(det).await).await;
    assert_eq!(a, b);
    assert!(a["events"][0]["created_at"].as_str().unwrap().starts_with("2025-01-01T00:00:00."), "{a}");
    let c = scenario(&sim().await).await;
    assert_ne!(a["chat"], c["chat"], "random seeds differ from the fixed one");
}

#[tokio::test]
async fn frame_log_records_both_directions_without_tokens() {
    let path = std::env::temp_dir().join(format!("livechat-sim-frames-{}.jsonl", std::process::id()));
    let p = path.clone();
    let sim = sim_with(move |c| c.frame_log = Some(p)).await;
    let (token, _) = sim.issue_customer_token(ORG);
    let mut c = Client::customer(&sim, ORG).await;
    c.ok("login", json!({"token": format!("Bearer {token}")})).await;
    c.ok("ping", json!({})).await;
    drop(c);
    let text = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    assert!(!text.contains(&token), "token leaked into the frame log");
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert_eq!(lines.iter().filter(|l| l["dir"] == "in").count(), 2);
    assert_eq!(lines.iter().filter(|l| l["dir"] == "out").count(), 2);
    assert!(lines.iter().all(|l| l["conn"] == lines[0]["conn"]));
    assert!(lines[0]["frame"].as_str().unwrap().contains("[redacted]"));
}
