//! Property tests over random input sequences (frames, drops, timeouts, tokens, commands,
//! hostile redirects, large frames), customer and agent side alike, through the same driver
//! the `session` fuzz target uses. After every input it checks: no panic; every request
//! completes at most once, and exactly once after `destroy`; no call outlives its deadline;
//! an unanswered ping closes its socket in time; sockets go only to configured servers; no
//! frame but `login`/`ping` is sent before a successful login on that socket; requests in
//! flight stay within the limit (see `fuzz_driver::Harness` for the full list).

mod fuzz_driver;

use fuzz_driver::Op;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_input_sequence_keeps_the_session_invariants(data in proptest::collection::vec(any::<u8>(), 2..3000)) {
        let stats = fuzz_driver::session(&data);
        prop_assert!(stats.max_in_flight <= 10);
    }

    /// Logged in first (either side, any configuration), then anything: the random part
    /// starts where most of the session's behaviour is.
    #[test]
    fn any_input_after_a_login_keeps_the_session_invariants(
        header in any::<[u8; 2]>(),
        rest in proptest::collection::vec(any::<u8>(), 0..2000),
    ) {
        let login = [Op::Connect, Op::Open, Op::TokenOk { customer: 0, lifetime: 0 }, Op::Serve { pick: 0, variant: 0 }];
        let mut data = fuzz_driver::script(header, &login);
        data.extend(rest);
        let stats = fuzz_driver::session(&data);
        prop_assert!(stats.logins >= 1, "the login prefix did not log in: {stats:?}");
    }

    #[test]
    fn any_frame_decodes_or_is_rejected_without_panic(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = fuzz_driver::frame(&data);
    }
}

/// Valid JSON shaped like frames, with random field values.
fn frame_like() -> impl Strategy<Value = String> {
    let kinds = prop_oneof![Just("response"), Just("push"), Just("weird"), Just("")];
    let actions = prop_oneof![
        Just("incoming_event".to_string()),
        Just("incoming_chat".to_string()),
        Just("customer_disconnected".to_string()),
        Just("login".to_string()),
        "[a-z_]{1,20}"
    ];
    (kinds, actions, any::<Option<bool>>(), "[0-9a-z]{0,6}", any::<i64>()).prop_map(|(k, a, s, rid, n)| {
        serde_json::json!({"type": k, "action": a, "success": s, "request_id": rid,
            "payload": {"chat_id": rid, "event": {"type": a, "id": n}, "reason": a, "error": {"type": a}}})
        .to_string()
    })
}

proptest! {
    #[test]
    fn frame_shaped_json_never_panics(text in frame_like()) {
        let _ = fuzz_driver::frame(text.as_bytes());
    }
}
