//! `livechat` at `RUST_LOG=trace` logs no token (issue #10, finding 9): the demo logs in a
//! customer through the `cookie` grant (ureq) and over RTM (tungstenite); both log tokens
//! below `info`, and the CLI caps them whatever RUST_LOG asks for.

use std::process::Command;

/// What the simulator's tokens look like: customer tokens start with this, and the agent
/// token is `livechat_sim::DEFAULT_AGENT_TOKEN`.
const TOKENS: [&str; 2] = ["dal:sim_", "dal:sim-agent-token"];

fn demo_stderr(rust_log: &str, debug: bool) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_livechat"));
    cmd.arg("demo").env("RUST_LOG", rust_log);
    if debug {
        cmd.arg("--debug");
    }
    let out = cmd.output().expect("run livechat demo");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "demo failed ({:?}):\n{stderr}", out.status);
    stderr
}

#[test]
fn rust_log_trace_logs_no_token() {
    for rust_log in ["trace", "trace,tungstenite=trace,tokio_tungstenite=trace,ureq=trace,ureq_proto=trace"] {
        let stderr = demo_stderr(rust_log, false);
        // Logging was on at trace: our transports' connect lines are there.
        assert!(stderr.contains("connecting"), "RUST_LOG={rust_log}: nothing was logged:\n{stderr}");
        for token in TOKENS {
            assert!(!stderr.contains(token), "RUST_LOG={rust_log}: `{token}` is in the log");
        }
    }
}

#[test]
fn debug_with_rust_log_trace_logs_no_token() {
    let stderr = demo_stderr("trace", true);
    assert!(stderr.contains("\"action\":\"login\""), "no login frame logged:\n{stderr}");
    for token in TOKENS {
        assert!(!stderr.contains(token), "`{token}` is in the --debug log");
    }
}
