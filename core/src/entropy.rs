//! Randomness that must differ between clients and processes: the session RNG's default
//! seed (backoff jitter) and the prefix of the `custom_id`s that exactly-once sending relies
//! on. A fixed seed (`ConnectionConfig::seed`) is for tests that replay a run.
//!
//! No extra dependency: std's `RandomState` draws its keys from the operating system's
//! entropy source once per thread (and steps them for every new state), so hashing a fresh
//! `RandomState` gives bits no other process can predict or share. The process id, the wall
//! clock and a process-wide counter are mixed in as well, so two draws in one thread differ
//! even where the OS keys repeat.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// 64 bits from the OS entropy source (through `RandomState`), unique per call.
pub fn random_u64() -> u64 {
    let mut h = RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u32(std::process::id());
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default();
    h.write_u128(nanos);
    h.finish()
}

/// 128 random bits as 32 lowercase hex digits: an id prefix that does not collide across
/// clients and processes (two independent 64-bit draws).
pub fn random_hex_128() -> String {
    format!("{:016x}{:016x}", random_u64(), random_u64())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn draws_differ_within_a_process_and_across_threads() {
        let mut seen: HashSet<u64> = (0..10_000).map(|_| random_u64()).collect();
        assert_eq!(seen.len(), 10_000);
        let others: Vec<u64> =
            (0..4).map(|_| std::thread::spawn(random_u64)).map(|t| t.join().unwrap()).collect();
        for o in others {
            assert!(seen.insert(o), "a thread drew a value already seen");
        }
        let a = random_hex_128();
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, random_hex_128());
    }
}
