//! Keepalive and connection quality: one `ping` at a time with its own deadline, outside
//! the in-flight limit; `connection_unstable` / `connection_recovered`; the dead-socket
//! timer; and the "stable" mark after which the backoffs start over.

use std::time::Instant;

use super::{CloseInfo, CommonEvent, Engine, Origin, Side, payload_of};
use crate::actions::Ping;
use crate::request::Request;
use crate::timer::Timer;

impl<S: Side> Engine<S> {
    /// A keepalive or connection-quality timer fired.
    pub(super) fn on_keepalive_timer(&mut self, now: Instant, timer: Timer) {
        match timer {
            // One ping at a time, outside the in-flight limit (it never takes a slot a
            // caller needs); its own deadline judges the socket.
            Timer::Ping if self.logged_in() => {
                if self.ping_out.is_none() {
                    let id = self.alloc_id();
                    self.insert(id, Ping::ACTION, payload_of(&Ping {}), Origin::Ping, None, None);
                    self.ping_out = Some(id.0);
                    self.timers.set(Timer::PingDeadline, now + self.config.keepalive.ping_timeout);
                    self.transmit(now, id.0);
                }
                self.timers.set(Timer::Ping, now + self.config.keepalive.ping_interval);
            }
            Timer::PingDeadline if self.ping_out.is_some() && self.conn.is_some() => {
                let reason =
                    format!("ping unanswered for {} ms", self.config.keepalive.ping_timeout.as_millis());
                tracing::warn!(%reason, "the socket is dead; reconnecting");
                self.connection_lost(now, true, CloseInfo { code: None, reason });
            }
            // Logged in long enough to call the connection healthy.
            Timer::Stable => {
                self.socket_backoff.reset();
                self.login_backoff.reset();
                self.slow_backoff.reset();
                self.short_backoff.reset();
                self.use_slow_backoff = false;
            }
            Timer::Unstable if self.logged_in() && !self.unstable => {
                self.unstable = true;
                self.emit_common(CommonEvent::ConnectionUnstable);
            }
            Timer::Dead if self.conn.is_some() => {
                let reason = format!("nothing heard for {} ms", self.config.keepalive.dead_after.as_millis());
                self.connection_lost(now, true, CloseInfo { code: None, reason });
            }
            _ => {}
        }
    }

    pub(super) fn heard(&mut self, now: Instant) {
        self.last_rx = Some(now);
        if self.unstable {
            self.unstable = false;
            self.emit_common(CommonEvent::ConnectionRecovered);
        }
        if self.logged_in() {
            self.arm_quality_timers(now);
        }
    }

    pub(super) fn arm_quality_timers(&mut self, now: Instant) {
        let last = self.last_rx.unwrap_or(now);
        self.timers.set(Timer::Unstable, last + self.config.keepalive.unstable_after);
        self.timers.set(Timer::Dead, last + self.config.keepalive.dead_after);
    }
}
