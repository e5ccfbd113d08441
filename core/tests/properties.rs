//! Property tests over random input sequences (frames, drops, timeouts, tokens, commands),
//! through the same driver the `session` fuzz target uses. After every input it checks:
//! no panic; every request completes at most once, and exactly once after `destroy`; no
//! frame but `login`/`ping` is sent before a successful login on that socket; at most 10
//! requests in flight (see `fuzz_driver::Harness` for the full list).

mod fuzz_driver;

use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_input_sequence_keeps_the_session_invariants(data in proptest::collection::vec(any::<u8>(), 2..3000)) {
        let stats = fuzz_driver::session(&data);
        prop_assert!(stats.max_in_flight <= 10);
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
