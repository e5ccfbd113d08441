//! `livechat demo` end to end: the built binary, its exit code and its ✓ lines.

use std::process::Command;

#[test]
fn demo_passes_every_step() {
    let out = Command::new(env!("CARGO_BIN_EXE_livechat")).arg("demo").output().expect("run livechat demo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "demo failed ({:?})\nstdout:\n{stdout}\nstderr:\n{stderr}", out.status);
    for needle in [
        "✓ simulator listening on",
        "`connected`",
        "✓ chat ",
        "✓ messages both ways",
        "✓ `incoming_typing_indicator`",
        "answered with postback `answer_yes`",
        "✓ properties: chat demo.topic=shipping",
        "✓ uploaded receipt.txt",
        "reconnected in",
        "is in the chat exactly once",
        "✓ rated the chat good",
        "✓ history paged back to the start",
        "Transcript of chat",
        "You: Sent while the connection was down.",
        "[rich message, quick_replies:",
        "[file receipt.txt",
        "All steps passed",
    ] {
        assert!(stdout.contains(needle), "missing `{needle}` in:\n{stdout}");
    }
    assert_eq!(stdout.matches("✓ ").count(), 11, "one ✓ per step:\n{stdout}");
}

#[test]
fn debug_prints_frames_with_tokens_redacted() {
    let out = Command::new(env!("CARGO_BIN_EXE_livechat"))
        .args(["demo", "--debug"])
        .output()
        .expect("run livechat demo --debug");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "demo --debug failed:\n{stderr}");
    assert!(stderr.contains("\"action\":\"login\""), "no login frame logged:\n{stderr}");
    assert!(!stderr.contains("Bearer dal:"), "a token leaked into the log");
}
