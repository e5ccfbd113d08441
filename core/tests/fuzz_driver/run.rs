//! Applying ops: the harness as transport (sockets, tokens, time) and as application
//! (calls), and the end of a run.

use std::time::{Duration, Instant};

use arbitrary::Unstructured;
use livechat_core::customer::{RequestOptions, State};
use livechat_core::token::{Secret, Token};
use livechat_core::{Error, ErrorCode};
use serde_json::json;

use super::checks::{CallKind, region_ok};
use super::harness::{ConnTrack, Harness, InputLog, Stats};
use super::ops::{Header, Op};
use super::server::{CHATS, pick};
use super::side::FuzzSide;

/// Ops read from one input at most (keeps every run short).
const MAX_OPS: usize = 400;

/// Run a whole script on the side its header names, then destroy and check the end state.
pub fn run<S: FuzzSide>(header: Header, u: &mut Unstructured<'_>) -> Stats {
    let mut h = Harness::<S>::new(header);
    let mut budget = MAX_OPS;
    while budget > 0
        && let Some(op) = Op::read(u)
    {
        h.step(op);
        budget -= 1;
    }
    h.finish()
}

impl<S: FuzzSide> Harness<S> {
    pub fn step(&mut self, op: Op) {
        self.stats.ops += 1;
        self.input = InputLog::default();
        let now = self.now;
        match op {
            Op::Open => {
                if let Some(idx) = self.live.filter(|i| !self.conns[*i].opened && !self.conns[*i].closed) {
                    self.conns[idx].opened = true;
                    let id = self.conns[idx].id;
                    self.session.handle_transport_open(now, id);
                }
            }
            Op::TransportClosed(code) => {
                if let Some(idx) = self.live.filter(|i| !self.conns[*i].closed) {
                    self.conns[idx].closed = true;
                    let id = self.conns[idx].id;
                    let code = pick(&[None, Some(1000), Some(1006), Some(4000)], code);
                    self.session.handle_transport_closed(now, id, code, "bye");
                }
            }
            Op::TokenOk { customer, lifetime } => {
                if self.token_wanted {
                    self.token_wanted = false;
                    let entity = if customer % 8 == 7 { "cust-b" } else { "cust-a" };
                    let secs = pick(&[28_800, 3_600, 30, 0, u64::MAX], lifetime);
                    let token = Token {
                        access_token: Secret::new("dal:fuzz-token"),
                        entity_id: entity.to_string(),
                        token_type: "Bearer".into(),
                        expires_in: Duration::from_secs(secs),
                        organization_id: None,
                        issued_at: now,
                    };
                    self.session.handle_token(now, Ok(token));
                }
            }
            Op::TokenErr(e) => {
                if self.token_wanted {
                    self.token_wanted = false;
                    let err = match e % 5 {
                        0 => Error::new(ErrorCode::TokenFetchFailed, "connection reset"),
                        1 => Error::new(ErrorCode::SsoIdentityException, "server_error"),
                        2 => Error::new(ErrorCode::SsoIdentityException, "identity_lost"),
                        3 => Error::new(ErrorCode::SsoOauthException, "invalid_client"),
                        _ => Error::new(ErrorCode::SsoOauthException, "temporarily_unavailable"),
                    };
                    self.session.handle_token(now, Err(err));
                }
            }
            Op::Advance { secs, quarter_ms } => {
                let target = now
                    + Duration::from_secs(u64::from(secs % 61))
                    + Duration::from_millis(u64::from(quarter_ms) * 4);
                return self.advance_to(target);
            }
            Op::Dict { template, pick, variant } => {
                let text = self.dict_frame(template, pick, variant);
                return self.feed(&text);
            }
            Op::Raw(bytes) => return self.feed(&String::from_utf8_lossy(&bytes)),
            Op::Serve { pick, variant } => return self.serve(pick, variant),
            Op::Request { action, payload, timeout } => {
                let action = pick(S::ACTIONS, action);
                let payload = S::request_payload(action, payload);
                let opts = RequestOptions {
                    timeout: (timeout % 4 == 3).then(|| Duration::from_secs(u64::from(timeout >> 2))),
                    exactly_once: timeout & 0x80 == 0,
                };
                let id = self.session.request(now, action, payload, opts);
                let kind = if action == "send_event" && opts.exactly_once {
                    CallKind::ExactlyOnce
                } else {
                    CallKind::Plain
                };
                self.issue(id, kind, opts.timeout);
            }
            Op::SendEvent { chat, flags } => {
                let chat = pick(&CHATS, chat);
                let mut event = json!({"type": "message", "text": "hello", "recipients": "all"});
                if flags & 2 != 0 {
                    event["custom_id"] = json!(format!("mine-{}", flags >> 2));
                }
                let opts = RequestOptions { timeout: None, exactly_once: flags & 1 == 0 };
                let id =
                    self.session.request(now, "send_event", json!({"chat_id": chat, "event": event}), opts);
                let kind = if opts.exactly_once { CallKind::ExactlyOnce } else { CallKind::Plain };
                self.issue(id, kind, None);
            }
            Op::History { op, which } => {
                let chosen = self.histories.get(which as usize % self.histories.len().max(1)).copied();
                match (op % 4, chosen) {
                    (0, _) => {
                        let h = self.session.history_open(pick(&CHATS, which));
                        self.histories.push(h);
                    }
                    (1 | 2, Some(h)) => {
                        let id = self.session.history_next(now, h);
                        self.issue(id, CallKind::History(h.0), None);
                    }
                    (3, Some(h)) => self.session.history_close(h),
                    _ => {}
                }
            }
            Op::Rate { chat, cancel } => {
                let chat = pick(&CHATS, chat);
                if let Some(id) = S::rate(&mut self.session, now, chat, cancel) {
                    self.issue(id, CallKind::Rate, None);
                }
            }
            Op::Connect => self.session.connect(now),
            Op::Disconnect => self.session.disconnect(now),
            Op::Destroy => self.session.destroy(now),
            Op::Misc { op, chat } => {
                if let Some((id, exactly_once)) = S::misc(&mut self.session, now, op, pick(&CHATS, chat)) {
                    let kind = if exactly_once { CallKind::ExactlyOnce } else { CallKind::Plain };
                    self.issue(id, kind, None);
                }
            }
            Op::Stale { template } => {
                let stale = self.conns.iter().filter(|c| c.closed).map(|c| c.id).next_back();
                if let Some(id) = stale {
                    let text = self.dict_frame(template, 0, template);
                    self.session.handle_frame(now, id, &text);
                    assert!(
                        self.session.poll_output().is_none(),
                        "a frame for old socket {id:?} had effects"
                    );
                }
            }
            Op::Misdirected { how, region } => return self.misdirect(how, &String::from_utf8_lossy(&region)),
            Op::Large { kind, reps, elem } => {
                if let Some(text) = self.large_frame(kind, reps, elem) {
                    self.feed(&text);
                }
                return;
            }
            Op::Chatter { secs, template } => {
                for i in 0..secs % 61 {
                    self.advance_to(self.now + Duration::from_secs(1));
                    let text = self.chatter_push(template, i);
                    self.feed(&text);
                }
                return;
            }
        }
        self.drain();
    }

    /// A redirect to `region`; one the specs do not allow must pause the session with a
    /// `frame_rejected`, whichever way it came.
    fn misdirect(&mut self, how: u8, region: &str) {
        let (text, named) = self.misdirected_frame(how, region);
        let login_unanswered = self
            .live_conn()
            .is_some_and(|c| c.login_rid.as_ref().is_some_and(|l| c.outstanding.iter().any(|s| &s.rid == l)));
        let heard = self.live_conn().is_some_and(ConnTrack::usable)
            && self.session.state() != State::Destroyed
            && (how & 1 == 0 || login_unanswered);
        let rejected = self.input.rejected;
        self.feed(&text);
        if heard && let Some(r) = named.filter(|r| !region_ok(r)) {
            assert_eq!(self.session.state(), State::Paused, "redirect to region {r:?} was not refused");
            assert!(
                self.input.rejected > rejected,
                "redirect to region {r:?} refused without frame_rejected"
            );
        }
    }

    /// Let time pass, firing due timers the way a transport's sleep loop would.
    pub(super) fn advance_to(&mut self, target: Instant) {
        let mut same_instant = 0;
        while let Some(at) = self.session.poll_timeout().filter(|at| *at <= target) {
            if at <= self.now {
                same_instant += 1;
                assert!(same_instant < 64, "timers keep firing at one instant");
            } else {
                same_instant = 0;
                self.now = at;
            }
            self.session.handle_timeout(self.now);
            self.drain();
        }
        self.now = self.now.max(target);
        self.drain();
    }

    /// Destroy, drain, and check that every request the application got back completed
    /// exactly once and nothing is left to wake up for.
    pub fn finish(mut self) -> Stats {
        self.stats.end_state = Some(self.session.state());
        self.session.destroy(self.now);
        self.drain();
        assert_eq!(self.session.state(), State::Destroyed);
        let missing: Vec<_> = self.calls.open.keys().collect();
        assert!(missing.is_empty(), "requests never completed after destroy: {missing:?}");
        assert_eq!(self.session.pending_requests(), 0, "requests still pending after destroy");
        assert_eq!(self.session.poll_timeout(), None, "a destroyed session still wants a timeout");
        self.stats
    }
}
