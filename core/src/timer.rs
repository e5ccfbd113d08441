//! One small table of named timers (quinn's `TimerTable` shape). Request deadlines live in
//! the request table; everything else the session waits for is here.

use std::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Timer {
    /// Next connection attempt.
    Reconnect = 0,
    /// Socket open + token + login must finish by then.
    Login = 1,
    /// Send the next keepalive `ping`.
    Ping = 2,
    /// Nothing heard for a while: emit `connection_unstable`.
    Unstable = 3,
    /// Nothing heard for too long: the socket is dead.
    Dead = 4,
    /// The outstanding `ping` must be answered by then, or the socket is dead.
    PingDeadline = 5,
    /// Logged in long enough: the backoffs start over.
    Stable = 6,
}

impl Timer {
    pub(crate) const VALUES: [Timer; 7] = [
        Timer::Reconnect,
        Timer::Login,
        Timer::Ping,
        Timer::Unstable,
        Timer::Dead,
        Timer::PingDeadline,
        Timer::Stable,
    ];
}

#[derive(Debug, Clone, Default)]
pub(crate) struct TimerTable {
    data: [Option<Instant>; 7],
}

impl TimerTable {
    pub(crate) fn set(&mut self, timer: Timer, at: Instant) {
        self.data[timer as usize] = Some(at);
    }
    pub(crate) fn stop(&mut self, timer: Timer) {
        self.data[timer as usize] = None;
    }
    pub(crate) fn stop_all(&mut self) {
        self.data = Default::default();
    }
    /// Stop and report whether the timer had expired at `now`.
    pub(crate) fn take_expired(&mut self, timer: Timer, now: Instant) -> bool {
        match self.data[timer as usize] {
            Some(at) if at <= now => {
                self.data[timer as usize] = None;
                true
            }
            _ => false,
        }
    }
    pub(crate) fn next(&self) -> Option<Instant> {
        self.data.iter().flatten().min().copied()
    }
}
