//! Replays the fuzz seed corpus (`fuzz/seeds/<target>/`) and every minimized crash
//! (`fuzz/regressions/<target>/`) through the fuzz targets' own entry points
//! (`fuzz_driver`), so `cargo test` on stable runs what the fuzzers run.
//!
//! Frame seeds are named by what they must decode to: `push-*` a push whose payload
//! `Event::from_push` accepts (a typed event, or `UnknownPush` when the name says
//! `unknown`), `response-*` a successful response, `error-*` an error response, `bad-*` a
//! `FrameError` (or not UTF-8). Session seeds are scripts written by [`session_scripts`];
//! `LIVECHAT_WRITE_SEEDS=1 cargo test -p livechat-core --test corpus` rewrites them.

mod fuzz_driver;

use std::fs;
use std::path::{Path, PathBuf};

use fuzz_driver::{FrameOutcome, Op, Stats};
use livechat_core::customer::{EventKind, State};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// Files of `fuzz/<kind>/<target>/`, sorted; none if the folder does not exist.
fn files(kind: &str, target: &str) -> Vec<PathBuf> {
    let Ok(dir) = fs::read_dir(fuzz_dir().join(kind).join(target)) else { return Vec::new() };
    let mut files: Vec<PathBuf> =
        dir.map(|e| e.unwrap().path()).filter(|p| p.is_file() && !p.ends_with("README.md")).collect();
    files.sort();
    files
}

fn name(path: &Path) -> &str {
    path.file_name().and_then(|n| n.to_str()).unwrap()
}

#[test]
fn frame_seeds_decode_to_what_their_names_say() {
    let seeds = files("seeds", "frame");
    assert!(seeds.len() >= 25, "only {} frame seeds", seeds.len());
    for path in &seeds {
        let name = name(path);
        let outcome = fuzz_driver::frame(&fs::read(path).unwrap());
        match name.split('-').next().unwrap() {
            "push" => match &outcome {
                FrameOutcome::Push { event: Ok(kind), .. } => {
                    let unknown = name.contains("unknown");
                    assert_eq!(*kind == EventKind::UnknownPush, unknown, "{name}: {outcome:?}");
                }
                other => panic!("{name}: expected a push the event parser accepts, got {other:?}"),
            },
            "response" => {
                assert!(matches!(outcome, FrameOutcome::Response { ok: true, .. }), "{name}: {outcome:?}")
            }
            "error" => {
                assert!(matches!(outcome, FrameOutcome::Response { ok: false, .. }), "{name}: {outcome:?}")
            }
            "bad" => assert!(
                matches!(outcome, FrameOutcome::Rejected(_) | FrameOutcome::NotUtf8),
                "{name}: {outcome:?}"
            ),
            _ => panic!("{name}: frame seeds are named push-*, response-*, error-* or bad-*"),
        }
    }
}

#[test]
fn session_seeds_replay() {
    let seeds = files("seeds", "session");
    assert!(seeds.len() >= 5, "only {} session seeds", seeds.len());
    for path in seeds {
        fuzz_driver::session(&fs::read(&path).unwrap());
    }
}

#[test]
fn regressions_replay() {
    for path in files("regressions", "frame") {
        let _ = fuzz_driver::frame(&fs::read(&path).unwrap());
    }
    for path in files("regressions", "session") {
        fuzz_driver::session(&fs::read(&path).unwrap());
    }
}

// ---------------------------------------------------------------------- session scripts

use Op::*;

const LOGIN: [Op; 3] = [Open, TokenOk { customer: 0, lifetime: 0 }, Serve { pick: 0, variant: 0 }];

fn with_login(rest: &[Op]) -> Vec<Op> {
    LOGIN.iter().cloned().chain(rest.iter().cloned()).collect()
}

/// A `customer_disconnected` / `agent_disconnected` push from the dictionary (reason index
/// into the driver's list).
fn disconnected(reason: u8, region_pick: u8) -> Op {
    Dict { template: 8, pick: region_pick, variant: reason }
}

/// A `misdirected_connection` push (`login_error`: a `misdirected_request` login error)
/// naming `region`, upper-cased when `upper`.
fn misdirected(login_error: bool, upper: bool, region: &str) -> Op {
    Misdirected { how: u8::from(login_error) | (u8::from(upper) << 1), region: region.as_bytes().to_vec() }
}

/// Header bytes: the first one's bit 7 is the agent side, the second one's bits 6–7 the
/// endpoint (0 custom, 1 `Region("us")`, 2 `Region("fra")`, 3 `Region("Europe")`).
const AGENT: u8 = 0x80;
const REGION_US: u8 = 0x40;
const REGION_EUROPE: u8 = 0xc0;

fn count(s: &Stats, event: &str) -> usize {
    s.events.get(event).copied().unwrap_or(0)
}

/// Named scripts, each with a check that it reaches the states it was written for.
#[allow(clippy::type_complexity)]
fn session_scripts() -> Vec<(&'static str, [u8; 2], Vec<Op>, fn(&Stats))> {
    let req = |action: u8| Request { action, payload: 0, timeout: 0 };
    vec![
        (
            "happy-path",
            [0, 0],
            with_login(&[
                req(3), // start_chat
                Serve { pick: 0, variant: 2 },
                SendEvent { chat: 0, flags: 0 },
                Serve { pick: 0, variant: 2 },
                History { op: 0, which: 0 },
                History { op: 1, which: 0 },
                Serve { pick: 0, variant: 3 }, // a page with a next_page_id
                History { op: 1, which: 0 },
                Serve { pick: 0, variant: 1 }, // the last page
                History { op: 1, which: 0 },   // done: completes at once
                Rate { chat: 0, cancel: false },
                Serve { pick: 0, variant: 1 },
                Serve { pick: 0, variant: 1 },
                Advance { secs: 15, quarter_ms: 0 }, // keepalive ping
                Serve { pick: 0, variant: 0 },
                Dict { template: 5, pick: 0, variant: 0 },
                Dict { template: 9, pick: 0, variant: 1 },
                Dict { template: 10, pick: 0, variant: 0 },
                Dict { template: 11, pick: 0, variant: 2 },
                Dict { template: 13, pick: 0, variant: 0 },
                req(0), // get_customer
                Serve { pick: 0, variant: 0 },
            ]),
            |s| {
                assert_eq!(s.logins, 1, "{s:?}");
                assert!(s.ok >= 7, "{s:?}");
                assert!(s.events.contains_key("incoming_event"), "{s:?}");
                assert!(s.events.contains_key("queue_position_updated"), "{s:?}");
            },
        ),
        (
            "reconnect-exactly-once",
            [0, 1],
            with_login(&[
                SendEvent { chat: 0, flags: 0 },
                SendEvent { chat: 0, flags: 0 },
                SendEvent { chat: 1, flags: 0 },
                TransportClosed(1),
                Advance { secs: 6, quarter_ms: 0 },
                Open,
                Serve { pick: 0, variant: 0 },    // login
                Serve { pick: 0, variant: 0b10 }, // confirmation of CH1: one event found
                Serve { pick: 0, variant: 0 },    // confirmation of CH2: none found
                Serve { pick: 0, variant: 0 },    // the recovery's list_chats
                Serve { pick: 0, variant: 0 },
                Serve { pick: 0, variant: 0 },
            ]),
            |s| {
                assert_eq!(s.logins, 2, "{s:?}");
                assert_eq!(s.ok, 3, "{s:?}");
            },
        ),
        (
            "misdirected-region",
            [0, 2],
            with_login(&[
                req(1),
                disconnected(7, 1), // misdirected_connection {region: fra}
                Advance { secs: 0, quarter_ms: 1 },
                Open,
                Serve { pick: 0, variant: 0 },
                req(1),
                Serve { pick: 0, variant: 0 },
                disconnected(7, 3), // misdirected_connection {region: mars}: unknown, pauses
                req(0),
                Connect,
            ]),
            |s| {
                assert_eq!(s.logins, 2, "{s:?}");
                // In flight at the switch, then the call made while paused: it fails with
                // the cause of the pause, not a bare NO_CONNECTION.
                assert_eq!(s.failed.get("MISDIRECTED_CONNECTION"), Some(&2), "{s:?}");
                assert_eq!(s.failed.get("NO_CONNECTION"), None, "{s:?}");
            },
        ),
        (
            "login-errors",
            [0, 3],
            vec![
                Open,
                TokenOk { customer: 0, lifetime: 0 },
                Dict { template: 1, pick: 5, variant: 0 }, // authentication: fresh token
                Advance { secs: 2, quarter_ms: 0 },
                Open,
                TokenOk { customer: 0, lifetime: 0 },
                Dict { template: 1, pick: 5, variant: 8 }, // service_unavailable: slow backoff
                Advance { secs: 3, quarter_ms: 0 },
                Open,
                Dict { template: 1, pick: 5, variant: 0x17 }, // misdirected_request, region fra
                Advance { secs: 0, quarter_ms: 1 },
                Open,
                Dict { template: 1, pick: 5, variant: 1 }, // users_limit_reached: paused
                Connect,
                Open,
                TokenErr(0),
                Advance { secs: 10, quarter_ms: 0 },
                TokenOk { customer: 0, lifetime: 0 },
                Open,
                Dict { template: 0, pick: 5, variant: 0 },
                Dict { template: 1, pick: 5, variant: 3 }, // late error for the old login: ignored
            ],
            |s| assert_eq!(s.logins, 1, "{s:?}"),
        ),
        (
            "timeouts-and-limits",
            [0b10_0000, 4], // request_timeout 1 s
            with_login(&[
                req(0),
                req(1),
                req(0),
                req(1),
                req(0),
                req(1),
                req(0),
                req(1),
                req(0),
                req(1),
                req(0),
                req(1),
                Advance { secs: 2, quarter_ms: 0 },
                Serve { pick: 0, variant: 0 },
                Advance { secs: 45, quarter_ms: 0 }, // the dead-socket timer
                Advance { secs: 6, quarter_ms: 0 },
                Open,
                Serve { pick: 0, variant: 0 },
                req(12), // ping: refused locally
                req(11), // login: refused locally
            ]),
            |s| {
                assert_eq!(s.max_in_flight, 10, "{s:?}");
                assert!(s.failed.get("REQUEST_TIMEOUT").is_some_and(|n| *n >= 10), "{s:?}");
                assert_eq!(s.failed.get("INVALID_REQUEST"), Some(&2), "{s:?}");
                assert_eq!(s.logins, 2, "{s:?}");
            },
        ),
        (
            "identity-change",
            [0, 5],
            with_login(&[
                req(0),
                disconnected(1, 0), // access_token_expired: fresh token
                Advance { secs: 1, quarter_ms: 0 },
                Open,
                TokenOk { customer: 7, lifetime: 0 }, // cust-b
                Serve { pick: 0, variant: 128 },      // the login names cust-b
            ]),
            |s| {
                assert!(s.events.contains_key("identity_changed"), "{s:?}");
                assert!(!s.events.contains_key("identity_mismatch"), "{s:?}");
                assert_eq!(s.logins, 2, "{s:?}");
            },
        ),
        (
            "identity-mismatch",
            [0, 5],
            with_login(&[
                req(0),
                disconnected(1, 0), // access_token_expired: fresh token
                Advance { secs: 1, quarter_ms: 0 },
                Open,
                TokenOk { customer: 7, lifetime: 0 }, // cust-b
                Serve { pick: 0, variant: 0 },        // the login names cust-a: refused
            ]),
            |s| {
                assert_eq!(s.events.get("identity_mismatch"), Some(&1), "{s:?}");
                assert_eq!(s.logins, 1, "{s:?}");
            },
        ),
        (
            "destroy-mid-flight",
            [0, 6],
            with_login(&[
                History { op: 0, which: 1 },
                History { op: 1, which: 0 },
                History { op: 1, which: 0 },
                Rate { chat: 1, cancel: true },
                SendEvent { chat: 2, flags: 3 },
                req(3),
                Serve { pick: 4, variant: 0 }, // start_chat response, push still to come
                Destroy,
                req(0),
            ]),
            |s| assert!(s.failed.get("SDK_DESTROYED").is_some_and(|n| *n >= 5), "{s:?}"),
        ),
        (
            "garbage-after-login",
            [1, 7], // auto_connect off
            vec![
                Connect,
                Open,
                TokenOk { customer: 0, lifetime: 2 },
                Serve { pick: 0, variant: 0 },
                Raw(b"{\"action\":".to_vec()),
                Raw(b"[]".to_vec()),
                Raw(b"{\"action\":\"incoming_event\",\"type\":\"push\",\"payload\":{\"chat_id\":5}}".to_vec()),
                Dict { template: 15, pick: 0, variant: 0 },
                Dict { template: 15, pick: 0, variant: 6 },
                Dict { template: 3, pick: 6, variant: 0 },
                Stale { template: 0 },
                Disconnect,
                Stale { template: 5 },
            ],
            |s| {
                assert!(s.events.get("frame_rejected").is_some_and(|n| *n >= 4), "{s:?}");
                assert_eq!(s.logins, 1, "{s:?}");
            },
        ),
        (
            "agent-side",
            [AGENT, 8],
            with_login(&[
                Misc { op: 0, chat: 0 }, // send_message: exactly-once, completes on the response
                Serve { pick: 0, variant: 2 },
                req(0), // list_chats
                Serve { pick: 0, variant: 0 },
                Request { action: 9, payload: 2, timeout: 0 }, // add_user_to_chat a customer, no visibility
                Misc { op: 2, chat: 0 },                       // set_credentials: update_session
                Serve { pick: 0, variant: 0 },
                Dict { template: 13, pick: 0, variant: 0 }, // routing_status_set
                Dict { template: 13, pick: 0, variant: 2 }, // queue_positions_updated
                disconnected(4, 0),                         // agent_disconnected internal_error
                Advance { secs: 1, quarter_ms: 0 },
                Open,
                Serve { pick: 0, variant: 0 }, // login
                Serve { pick: 0, variant: 0 }, // the recovery's list_chats
                History { op: 0, which: 0 },
                History { op: 1, which: 0 },
                Serve { pick: 0, variant: 1 },
                Serve { pick: 0, variant: 1 },
            ]),
            |s| {
                assert!(s.agent, "{s:?}");
                assert_eq!((s.logins, count(s, "ready")), (2, 2), "{s:?}");
                assert_eq!(s.ok, 4, "{s:?}");
                assert_eq!(s.failed.get("INVALID_REQUEST"), Some(&1), "{s:?}");
                assert_eq!(count(s, "routing_status_set"), 1, "{s:?}");
                assert_eq!(count(s, "queue_positions_updated"), 1, "{s:?}");
                assert!(
                    s.opened_urls.iter().all(|u| u.starts_with("ws://dal.sim/v3.6/agent/rtm/ws")),
                    "{s:?}"
                );
            },
        ),
        (
            "hostile-region",
            [0, REGION_US | 9],
            with_login(&[
                req(1),
                misdirected(false, false, "fra"), // a valid region: followed
                Advance { secs: 0, quarter_ms: 1 },
                Open,
                Serve { pick: 0, variant: 0 },
                misdirected(false, false, "evil.example/"), // refused: paused
                req(0),
                Connect,
                Open,
                Serve { pick: 0, variant: 0 },
                misdirected(false, true, "x@127.0.0.1:19070/"), // refused (upper-cased)
            ]),
            |s| {
                assert_eq!(s.logins, 3, "{s:?}");
                assert_eq!(count(s, "frame_rejected"), 2, "{s:?}");
                // The call in flight at the switch, then the call made while paused.
                assert_eq!(s.failed.get("MISDIRECTED_CONNECTION"), Some(&2), "{s:?}");
                assert_eq!(s.end_state, Some(State::Paused), "{s:?}");
                let hosts: Vec<&str> = s.opened_urls.iter().map(|u| u.split('/').nth(2).unwrap()).collect();
                assert_eq!(
                    hosts,
                    ["api.livechatinc.com", "api-fra.livechatinc.com", "api-fra.livechatinc.com"]
                );
            },
        ),
        (
            "hostile-region-login",
            [AGENT, REGION_EUROPE | 10],
            vec![
                Open,
                misdirected(true, false, "evil.example/"), // a login error naming a host: paused
                Connect,
                Open,
                misdirected(true, true, "US-South1"), // a valid region, any case: followed
                Advance { secs: 0, quarter_ms: 1 },
                Open,
                Serve { pick: 0, variant: 0 },
            ],
            |s| {
                assert_eq!(s.logins, 1, "{s:?}");
                assert_eq!(count(s, "frame_rejected"), 1, "{s:?}");
                assert_eq!(s.end_state, Some(State::Connected), "{s:?}");
                let hosts: Vec<&str> = s.opened_urls.iter().map(|u| u.split('/').nth(2).unwrap()).collect();
                assert_eq!(
                    hosts,
                    ["api-fra.livechatinc.com", "api-fra.livechatinc.com", "api-us-south1.livechatinc.com"]
                );
            },
        ),
        (
            "large-payload",
            [0, 11],
            with_login(&[
                Large { kind: 0, reps: 63, elem: 0 }, // unknown push, 128 KiB of `0,`: refused unparsed
                Large { kind: 2, reps: 63, elem: 1 }, // incoming_event carrying 192 KiB of `[],`
                Large { kind: 4, reps: 0, elem: 0 },  // 1 byte over MAX_FRAME_LEN: refused
                Large { kind: 4, reps: 1, elem: 0 },  // exactly MAX_FRAME_LEN: decoded (a bad incoming_event)
                req(2),                               // get_chat
                Large { kind: 3, reps: 63, elem: 2 }, // its answer, with 192 KiB of `{},`
                req(0),
                Serve { pick: 0, variant: 0 },
            ]),
            |s| {
                assert_eq!((s.too_large, s.over_max), (1, 1), "{s:?}");
                assert_eq!(count(s, "frame_rejected"), 3, "{s:?}");
                assert_eq!((s.logins, s.ok), (1, 2), "{s:?}");
                assert_eq!(s.end_state, Some(State::Connected), "{s:?}");
            },
        ),
        (
            "ping-silence",
            [0, 12],
            with_login(&[
                req(0),
                Advance { secs: 15, quarter_ms: 0 }, // the keepalive ping goes out
                Chatter { secs: 12, template: 0 },   // pushes every second, no answer
                Advance { secs: 6, quarter_ms: 0 },
                Open,
                Serve { pick: 0, variant: 0 },
            ]),
            |s| {
                assert_eq!((s.pings, s.ping_closes), (1, 1), "{s:?}");
                assert_eq!(s.logins, 2, "{s:?}");
                assert_eq!(s.failed.get("REQUEST_TIMEOUT"), Some(&1), "{s:?}");
                // Pushes at +16 s … +24 s arrive; the socket is closed at +25 s sharp.
                assert_eq!(count(s, "incoming_event"), 9, "{s:?}");
            },
        ),
        (
            "forged-confirmation",
            [0, 13],
            with_login(&[
                SendEvent { chat: 0, flags: 0 },
                TransportClosed(1),
                Advance { secs: 6, quarter_ms: 0 },
                Open,
                Serve { pick: 0, variant: 0 },    // login
                Serve { pick: 0, variant: 0xc1 }, // confirmation: only another author's event has our custom_id
                Serve { pick: 0, variant: 0 },    // the recovery's list_chats
                Serve { pick: 0, variant: 2 },    // the re-sent event
            ]),
            |s| {
                assert_eq!((s.resends, s.ok), (1, 1), "{s:?}");
                assert_eq!(s.logins, 2, "{s:?}");
            },
        ),
        (
            "silent-server",
            [AGENT, 14],
            vec![
                Open,
                Serve { pick: 0, variant: 0 },
                Misc { op: 0, chat: 0 }, // send_message: unconfirmed after its timeout
                req(0),
                Advance { secs: 60, quarter_ms: 0 },
                Advance { secs: 60, quarter_ms: 0 },
                Advance { secs: 60, quarter_ms: 0 },
            ],
            |s| {
                assert_eq!(s.failed.get("REQUEST_TIMEOUT"), Some(&2), "{s:?}");
                assert_eq!((s.pings, s.ping_closes), (1, 1), "{s:?}");
                assert_eq!(s.end_state, Some(State::Reconnecting), "{s:?}");
            },
        ),
    ]
}

#[test]
fn session_scripts_reach_their_states_and_match_the_seed_files() {
    let dir = fuzz_dir().join("seeds/session");
    let write = std::env::var_os("LIVECHAT_WRITE_SEEDS").is_some();
    for (name, config, ops, check) in session_scripts() {
        let bytes = fuzz_driver::script(config, &ops);
        let stats = fuzz_driver::session(&bytes);
        assert_eq!(stats.ops, ops.len(), "{name}: the script did not decode to its own ops");
        check(&stats);
        let path = dir.join(format!("script-{name}.bin"));
        if write {
            fs::create_dir_all(&dir).unwrap();
            fs::write(&path, &bytes).unwrap();
        } else {
            let on_disk = fs::read(&path).unwrap_or_default();
            assert!(on_disk == bytes, "{}: out of date; rerun with LIVECHAT_WRITE_SEEDS=1", path.display());
        }
    }
}
