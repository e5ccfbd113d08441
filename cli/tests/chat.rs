//! `livechat chat` driven through piped stdin.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Lines of stdout until one contains `needle` (or 20 s pass).
fn read_until(lines: &mpsc::Receiver<String>, seen: &mut Vec<String>, needle: &str) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
        match lines.recv_timeout(left) {
            Ok(l) => {
                let hit = l.contains(needle);
                seen.push(l);
                if hit {
                    return true;
                }
            }
            Err(_) => return false,
        }
    }
    false
}

#[test]
fn chat_with_the_embedded_bot_over_stdin() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_livechat"))
        .arg("chat")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn livechat chat");
    let stdout = child.stdout.take().unwrap();
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for l in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    let mut stdin = child.stdin.take().unwrap();
    let mut seen = Vec::new();
    assert!(read_until(&lines, &mut seen, "● connected as customer"), "never connected: {seen:#?}");
    writeln!(stdin, "hello from the test").unwrap();
    assert!(
        read_until(&lines, &mut seen, "Sim Bot: You said: hello from the test"),
        "no bot reply: {seen:#?}"
    );
    writeln!(stdin, "/rate good").unwrap();
    assert!(read_until(&lines, &mut seen, "● rated good"), "rating not confirmed: {seen:#?}");
    writeln!(stdin, "/history").unwrap();
    assert!(
        read_until(&lines, &mut seen, "You: hello from the test"),
        "history lacks the message: {seen:#?}"
    );
    writeln!(stdin, "/quit").unwrap();
    assert!(read_until(&lines, &mut seen, "● bye"), "did not quit: {seen:#?}");
    let status = child.wait().unwrap();
    assert!(status.success(), "exit status {status:?}");
}
