//! `livechat load` (small) and `livechat sim` through the built binary.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn a_small_load_run_writes_the_report() {
    let path = std::env::temp_dir().join(format!("livechat-load-{}.json", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_livechat"))
        .args(["load", "--sessions", "5", "--messages", "3", "--ramp-ms", "0", "--json"])
        .arg(&path)
        .output()
        .expect("run livechat load");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "load failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let _ = std::fs::remove_file(&path);
    for key in [
        "sessions",
        "messages",
        "messages_per_sec",
        "rtt_p50_ms",
        "rtt_p95_ms",
        "rtt_p99_ms",
        "echo_rtt_p50_ms",
        "rss_per_session_kib",
        "errors",
        "lost",
        "duplicated",
    ] {
        assert!(report.get(key).is_some(), "missing `{key}` in {report}");
    }
    assert_eq!(report["sessions"], 5);
    assert_eq!(report["messages"], 15);
    assert_eq!(
        (report["errors"].as_u64(), report["lost"].as_u64(), report["duplicated"].as_u64()),
        (Some(0), Some(0), Some(0))
    );
}

#[test]
fn sim_subcommand_prints_the_listening_line() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_livechat"))
        .args(["sim", "--port", "0", "--no-bot"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn livechat sim");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().expect("a first line").unwrap();
    let rest: Vec<String> = lines.by_ref().take(4).map_while(Result::ok).collect();
    let _ = child.kill();
    let _ = child.wait();
    assert!(first.starts_with("livechat-sim listening on 127.0.0.1:"), "{first}");
    assert!(rest.iter().any(|l| l == "bot: off"), "{rest:?}");
}

fn load(args: &[&str]) -> serde_json::Value {
    let path =
        std::env::temp_dir().join(format!("livechat-load-{}-{}.json", std::process::id(), args.join("_")));
    let out = Command::new(env!("CARGO_BIN_EXE_livechat"))
        .arg("load")
        .args(args)
        .arg("--json")
        .arg(&path)
        .output()
        .expect("run livechat load");
    assert!(
        out.status.success(),
        "load {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let report = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let _ = std::fs::remove_file(&path);
    report
}

#[test]
fn load_runs_on_the_smol_and_blocking_transports() {
    for transport in ["smol", "blocking"] {
        let report = load(&["-n", "4", "-m", "3", "--ramp-ms", "0", "--transport", transport]);
        assert_eq!(report["transport"], transport);
        assert_eq!(report["messages"], 12, "{report}");
        assert_eq!(report["replies_seen"], 12, "{report}");
        assert_eq!((report["errors"].as_u64(), report["lost"].as_u64()), (Some(0), Some(0)), "{report}");
    }
}

#[test]
fn chaos_cuts_sockets_and_nothing_is_lost_or_duplicated() {
    // Sessions wait at the barrier for the whole 300 ms ramp, so cuts every 20 ms land.
    let report = load(&["-n", "6", "-m", "30", "--ramp-ms", "300", "--chaos", "--chaos-interval-ms", "20"]);
    assert!(report["chaos_drops"].as_u64().unwrap_or(0) > 0, "no socket was cut: {report}");
    assert_eq!(report["messages"], 180, "{report}");
    assert_eq!(
        (report["errors"].as_u64(), report["lost"].as_u64(), report["duplicated"].as_u64()),
        (Some(0), Some(0), Some(0)),
        "{report}"
    );
    // Every bot reply reached the client once: pushed, or recovered after its drop.
    assert_eq!(
        (report["replies_missed"].as_u64(), report["replies_duplicated"].as_u64()),
        (Some(0), Some(0)),
        "{report}"
    );
}
