//! Jittered exponential backoff, with the official SDK's numbers (customer-sdk-behaviour.md
//! §9.3): `ms = min · 2^attempts`, one uniform draw `r` decides both the size
//! (`floor(r · jitter · ms)`) and the sign of the deviation, capped at `max`.
//! Randomness comes from the session's seeded RNG so a test can replay a run exactly.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BackoffConfig {
    pub min: Duration,
    pub max: Duration,
    /// 0.0 ..= 1.0
    pub jitter: f64,
}

impl BackoffConfig {
    /// After an unexpected socket close: 1 s → 5 s, jitter 0.5.
    pub const SOCKET: BackoffConfig =
        BackoffConfig { min: Duration::from_millis(1000), max: Duration::from_millis(5000), jitter: 0.5 };
    /// After a failed login: 300 ms → 60 s, jitter 0.3.
    pub const LOGIN: BackoffConfig =
        BackoffConfig { min: Duration::from_millis(300), max: Duration::from_millis(60_000), jitter: 0.3 };
    /// After server-initiated drops (`internal_error`, `connection_evicted`, …): 100 ms →
    /// 30 s, jitter 0.5. The official SDK waits a fixed 100 ms every time.
    pub const SHORT: BackoffConfig =
        BackoffConfig { min: Duration::from_millis(100), max: Duration::from_millis(30_000), jitter: 0.5 };
    /// After `service_temporarily_unavailable`: 1 s → 60 s, jitter 0.3.
    pub const SLOW: BackoffConfig =
        BackoffConfig { min: Duration::from_millis(1000), max: Duration::from_millis(60_000), jitter: 0.3 };
}

#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    pub(crate) config: BackoffConfig,
    attempts: u32,
}

impl Backoff {
    pub(crate) fn new(config: BackoffConfig) -> Backoff {
        Backoff { config, attempts: 0 }
    }

    pub(crate) fn reset(&mut self) {
        self.attempts = 0;
    }

    pub(crate) fn next(&mut self, rng: &mut fastrand::Rng) -> Duration {
        let min_ms = self.config.min.as_millis() as f64;
        let max_ms = self.config.max.as_millis() as f64;
        let mut ms = min_ms * 2f64.powi(self.attempts.min(62) as i32);
        self.attempts = self.attempts.saturating_add(1);
        let jitter = self.config.jitter.clamp(0.0, 1.0);
        if jitter > 0.0 {
            let r = rng.f64();
            let dev = (r * jitter * ms).floor();
            if ((r * 10.0).floor() as u64).is_multiple_of(2) {
                ms -= dev;
            } else {
                ms += dev;
            }
        }
        Duration::from_millis(ms.clamp(0.0, max_ms) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_within_jitter_and_caps_at_max() {
        let mut rng = fastrand::Rng::with_seed(7);
        let mut b = Backoff::new(BackoffConfig::LOGIN);
        let mut prev_nominal = 0.0;
        for attempt in 0..12 {
            let d = b.next(&mut rng).as_millis() as f64;
            let nominal = (300.0 * 2f64.powi(attempt)).min(60_000.0);
            assert!(d <= 60_000.0);
            assert!(
                d >= (nominal * 0.7).floor().min(60_000.0 * 0.7) - 1.0,
                "attempt {attempt}: {d} vs {nominal}"
            );
            assert!(nominal >= prev_nominal);
            prev_nominal = nominal;
        }
        b.reset();
        let first = b.next(&mut rng).as_millis();
        assert!((210..=390).contains(&first), "reset restarts at min: {first}");
    }

    #[test]
    fn same_seed_same_delays() {
        let run = |seed| {
            let mut rng = fastrand::Rng::with_seed(seed);
            let mut b = Backoff::new(BackoffConfig::SOCKET);
            (0..5).map(|_| b.next(&mut rng)).collect::<Vec<_>>()
        };
        assert_eq!(run(42), run(42));
        assert_ne!(run(42), run(43));
    }
}
