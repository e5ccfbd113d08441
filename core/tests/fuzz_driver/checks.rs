//! Invariants that need a model of their own: how long each call may live (from the
//! documented deadlines), and where a socket may go (from the configured endpoint).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use livechat_core::customer::{Endpoint, RequestId};

/// What kind of call an id was handed out for: it decides its bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallKind {
    /// One request: queued, then in flight.
    Plain,
    /// An exactly-once `send_event`: as `Plain`, then possibly unconfirmed, re-sent, …
    ExactlyOnce,
    /// `rate_chat` / `cancel_rate`: `list_threads`, then the update.
    Rate,
    /// `history_next` on `history`, behind the ones still open on it.
    History(u64),
}

#[derive(Debug)]
pub struct Call {
    pub kind: CallKind,
    pub issued: Instant,
    /// It must have completed by then.
    pub bound: Instant,
    /// Its in-flight timeout.
    pub timeout: Duration,
    /// The `custom_id` it last went out with (exactly-once sends).
    pub custom_id: Option<String>,
}

/// Every call the application got an id for and that has not completed, with its bound.
///
/// With `W` = `queue_timeout` (a queued call's longest wait; `first_connect_timeout`
/// only shortens it), `T` its request timeout and `U` = `queue_timeout` (the longest wait
/// for a confirmation):
/// * a request completes by `issued + W + T`;
/// * an exactly-once send by `issued + W + T + U`, and by `sent + T + U` after every time
///   it goes out (a re-send after a confirmation that did not find it starts over);
/// * `rate_chat` by `issued + 2 (W + T)` (two requests in a row);
/// * the `k`-th `history_next` waiting on one iterator by `issued + (k + 1)(W + T)`.
///
/// A user call goes out with its own id as `request_id` (the engine numbers both from one
/// counter), which is how a `Send` is matched to its call.
#[derive(Debug, Default)]
pub struct CallBook {
    pub open: BTreeMap<RequestId, Call>,
    queue_timeout: Duration,
}

impl CallBook {
    pub fn new(queue_timeout: Duration) -> CallBook {
        CallBook { open: BTreeMap::new(), queue_timeout }
    }

    pub fn issue(&mut self, id: RequestId, kind: CallKind, timeout: Duration, now: Instant) {
        let (w, t, u) = (self.queue_timeout, timeout, self.queue_timeout);
        let bound = match &kind {
            CallKind::Plain => now + w + t,
            CallKind::ExactlyOnce => now + w + t + u,
            CallKind::Rate => now + 2 * (w + t),
            CallKind::History(h) => {
                let ahead = self.open.values().filter(|c| c.kind == CallKind::History(*h)).count() as u32;
                now + (ahead + 1) * (w + t)
            }
        };
        let call = Call { kind, issued: now, bound, timeout, custom_id: None };
        assert!(self.open.insert(id, call).is_none(), "request id {id} handed out twice");
    }

    /// Call `id` went out on a socket at `now` (with `custom_id`, for a `send_event`).
    pub fn sent(&mut self, id: RequestId, custom_id: Option<&str>, now: Instant) {
        let u = self.queue_timeout;
        let Some(c) = self.open.get_mut(&id) else { return };
        let again = match c.kind {
            CallKind::ExactlyOnce => now + c.timeout + u,
            _ => now + c.timeout,
        };
        c.bound = c.bound.max(again);
        if let Some(custom) = custom_id {
            c.custom_id = Some(custom.to_string());
        }
    }

    /// The earliest bound of an open call.
    pub fn next_bound(&self) -> Option<(RequestId, Instant)> {
        self.open.iter().map(|(id, c)| (*id, c.bound)).min_by_key(|(_, b)| *b)
    }

    /// No open call has outlived its bound at `now`.
    pub fn check(&self, now: Instant, start: Instant) {
        if let Some((id, bound)) = self.next_bound()
            && now > bound
        {
            let c = &self.open[&id];
            panic!(
                "request {id} ({:?}) issued at +{:?} is still pending at +{:?}, past its bound +{:?}",
                c.kind,
                c.issued - start,
                now - start,
                bound - start
            );
        }
    }
}

/// A region name as the specs allow it: `[a-z0-9-]{1,32}`, case-insensitively.
pub fn region_ok(region: &str) -> bool {
    (1..=32).contains(&region.len()) && region.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Every socket goes to one of the configured servers: for `Endpoint::Region` the
/// LiveChat host of a valid region name, for `Endpoint::Custom` one of its URLs; then
/// `/v<version>/<side>/rtm/ws?organization_id=…`, with no user info and no white space.
pub fn check_open_url(endpoint: &Endpoint, side_path: &str, url: &str) {
    assert!(!url.contains('@'), "Open of {url:?}: user info in the URL");
    assert!(!url.chars().any(|c| c.is_whitespace() || c.is_control()), "Open of {url:?}: white space");
    let tail = format!("/v3.6/{side_path}/rtm/ws?organization_id=org-fuzz");
    let base = url.strip_suffix(&tail).unwrap_or_else(|| panic!("Open of {url:?}: not ending in {tail}"));
    let allowed = match endpoint {
        Endpoint::Custom { default, regions } => {
            std::iter::once(default).chain(regions.values()).any(|u| u.trim_end_matches('/') == base)
        }
        Endpoint::Region(_) => match base.strip_prefix("wss://") {
            Some("api.livechatinc.com") => true,
            Some(host) => host
                .strip_prefix("api-")
                .and_then(|h| h.strip_suffix(".livechatinc.com"))
                .is_some_and(|r| region_ok(r) && r.bytes().all(|b| !b.is_ascii_uppercase())),
            None => false,
        },
    };
    assert!(allowed, "Open of {url:?}: {base:?} is not a configured server of {endpoint:?}");
}
