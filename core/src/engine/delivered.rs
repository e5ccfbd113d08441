//! What the application has been given of each chat: the newest event delivered (a
//! high-water mark) and a small window of recent event ids. Every chat-timeline event
//! passes here before it is emitted, whether it came by push or by recovery, so each
//! reaches the application once (`engine::recovery`).

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::side::Timeline;
use crate::model::Chat;

/// Recent event ids kept per chat: enough for a push racing the recovery of the same
/// events (they are the newest of the chat); older ones are covered by the mark's time.
pub const RECENT_IDS: usize = 16;
/// Chats with a mark, at most; the least recently active is forgotten first.
pub const MAX_MARKED_CHATS: usize = 1_000;
/// Chat ids remembered as known (so a chat listed after a drop is not taken for a new one).
const MAX_KNOWN_CHATS: usize = 10_000;

/// What the session delivered of one chat.
#[derive(Debug, Clone, Default)]
pub struct ChatMark {
    /// The thread of the newest event delivered.
    pub thread_id: String,
    /// The newest event delivered: its id and `created_at`.
    pub last_id: Option<String>,
    pub last_at: Option<String>,
    /// Hashes of the latest ids (a ring of [`RECENT_IDS`]): 8 bytes each, inline, instead of
    /// a string each; two ids colliding within the window is a 2⁻⁶⁰ event.
    recent: [u64; RECENT_IDS],
    recent_len: u8,
    recent_next: u8,
    /// The thread is active as far as the application was told.
    pub active: bool,
    /// An `incoming_chat` for `thread_id` was delivered (or the chat was seen whole).
    chat_seen: bool,
    /// Order of the latest delivery, to check the most recently active chats first.
    pub touched: u64,
}

fn id_hash(id: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    // Fixed keys: the same id hashes the same for the whole process.
    let mut h = std::collections::hash_map::DefaultHasher::new();
    id.hash(&mut h);
    h.finish()
}

impl ChatMark {
    fn has(&self, id: &str) -> bool {
        self.has_hash(id_hash(id))
    }

    fn has_hash(&self, h: u64) -> bool {
        self.recent[..usize::from(self.recent_len)].contains(&h)
    }

    fn record(&mut self, thread_id: &str, id: &str, at: Option<&str>) {
        if self.thread_id != thread_id {
            self.thread_id = thread_id.to_string();
            self.chat_seen = false;
            self.active = true;
        }
        let h = id_hash(id);
        if self.has_hash(h) {
            return;
        }
        self.recent[usize::from(self.recent_next)] = h;
        self.recent_next = ((usize::from(self.recent_next) + 1) % RECENT_IDS) as u8;
        self.recent_len = (usize::from(self.recent_len) + 1).min(RECENT_IDS) as u8;
        // The mark only moves forward: an older event found late does not pull it back.
        if at.is_none() || self.last_at.is_none() || at >= self.last_at.as_deref() {
            self.last_id = Some(id.to_string());
            self.last_at = at.map(str::to_string);
        }
    }

    /// Older than the mark, in the mark's thread: delivered already (or deliberately
    /// skipped) even if its id has left the window.
    fn is_behind(&self, thread_id: &str, at: Option<&str>) -> bool {
        self.thread_id == thread_id
            && matches!((at, self.last_at.as_deref()), (Some(at), Some(last)) if at < last)
    }
}

/// What to do with one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Deliver,
    /// Delivered before (by push or by recovery): dropped.
    Duplicate,
    /// The chat is being recovered: kept until what the drop hid has gone out first.
    Hold(String),
}

/// The marks of every chat, and the chats whose recovery is running.
#[derive(Debug, Default)]
pub struct Delivered {
    /// Boxed: a map allocates room for several entries, and a mark is ~200 bytes.
    marks: HashMap<String, Box<ChatMark>>,
    known: HashSet<String>,
    /// Chats being recovered: their new events wait here (see [`Verdict::Hold`]).
    holding: HashSet<String>,
    tick: u64,
}

impl Delivered {
    pub fn mark(&self, chat_id: &str) -> Option<&ChatMark> {
        self.marks.get(chat_id).map(|m| &**m)
    }

    pub fn is_known(&self, chat_id: &str) -> bool {
        // A chat with a mark is known without an entry here (one allocation less per session).
        self.known.contains(chat_id) || self.marks.contains_key(chat_id)
    }

    pub fn know(&mut self, chat_id: &str) {
        if self.known.len() < MAX_KNOWN_CHATS {
            self.known.insert(chat_id.to_string());
        }
    }

    /// The chats with a mark, most recently active first, at most `n`.
    pub fn most_recent(&self, n: usize) -> Vec<String> {
        let mut chats: Vec<(&String, u64)> = self.marks.iter().map(|(c, m)| (c, m.touched)).collect();
        chats.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        chats.into_iter().take(n).map(|(c, _)| c.clone()).collect()
    }

    pub fn hold(&mut self, chat_id: &str) {
        self.holding.insert(chat_id.to_string());
    }

    pub fn release(&mut self, chat_id: &str) {
        self.holding.remove(chat_id);
    }

    fn mark_mut(&mut self, chat_id: &str) -> &mut ChatMark {
        self.tick += 1;
        if !self.marks.contains_key(chat_id) && self.marks.len() >= MAX_MARKED_CHATS {
            // Forget the least recently active chat (rare: only past 1,000 chats).
            if let Some(oldest) = self.marks.iter().min_by_key(|(_, m)| m.touched).map(|(c, _)| c.clone()) {
                self.marks.remove(&oldest);
            }
        }
        let tick = self.tick;
        let mark = self.marks.entry(chat_id.to_string()).or_default();
        mark.touched = tick;
        mark
    }

    /// Decide about one event and, when it is delivered, move the chat's mark.
    /// `holding_applies`: false while the recovery itself emits (its events go out first).
    pub fn admit(&mut self, t: Timeline<'_>, holding_applies: bool) -> Verdict {
        let chat_id = match t {
            Timeline::Event(e) => e.chat_id.as_str(),
            Timeline::Chat(c) => c.id.as_str(),
            Timeline::Deactivated(d) => d.chat_id.as_str(),
        };
        if holding_applies && self.holding.contains(chat_id) {
            return Verdict::Hold(chat_id.to_string());
        }
        let mark = self.marks.get(chat_id);
        match t {
            Timeline::Event(e) => {
                let Some(id) = e.event.id() else { return Verdict::Deliver };
                if mark.is_some_and(|m| m.has(id) || m.is_behind(&e.thread_id, e.event.created_at())) {
                    return Verdict::Duplicate;
                }
                self.mark_mut(chat_id).record(&e.thread_id, id, e.event.created_at());
            }
            Timeline::Chat(chat) => {
                let thread = chat.thread.as_ref();
                if let (Some(m), Some(t)) = (mark, thread)
                    && m.chat_seen
                    && m.thread_id == t.id
                {
                    return Verdict::Duplicate;
                }
                self.record_chat(chat);
            }
            Timeline::Deactivated(d) => {
                if mark.is_some_and(|m| m.thread_id == d.thread_id && !m.active) {
                    return Verdict::Duplicate;
                }
                let m = self.mark_mut(chat_id);
                if m.thread_id.is_empty() || m.thread_id == d.thread_id {
                    m.thread_id = d.thread_id.clone();
                    m.active = false;
                }
            }
        }
        Verdict::Deliver
    }

    /// A whole chat was seen (an `incoming_chat`): its thread's events count as delivered.
    pub fn record_chat(&mut self, chat: &Chat) {
        let thread = chat.thread.as_ref().map(|t| {
            let events = t.events.iter().filter_map(|e| Some((e.id()?, e.created_at())));
            (t.id.as_str(), t.active, events)
        });
        self.record_thread(&chat.id, thread);
    }

    /// The same from a response's JSON (the session's own `start_chat`, a `get_chat` of a
    /// chat without a mark), read in place.
    pub fn record_chat_value(&mut self, chat: &Value) {
        let Some(chat_id) = chat.get("id").and_then(Value::as_str) else { return };
        let thread = chat.get("thread").and_then(|t| {
            let id = t.get("id")?.as_str()?;
            let active = t.get("active").and_then(Value::as_bool).unwrap_or(true);
            let events = t.get("events").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
            let events = events
                .iter()
                .filter_map(|e| Some((e.get("id")?.as_str()?, e.get("created_at").and_then(Value::as_str))));
            Some((id, active, events))
        });
        self.record_thread(chat_id, thread);
    }

    fn record_thread<'a>(
        &mut self,
        chat_id: &str,
        thread: Option<(&str, bool, impl Iterator<Item = (&'a str, Option<&'a str>)>)>,
    ) {
        let m = self.mark_mut(chat_id);
        if let Some((thread_id, active, events)) = thread {
            if m.thread_id != thread_id {
                *m = ChatMark { touched: m.touched, ..ChatMark::default() };
                m.thread_id = thread_id.to_string();
            }
            for (id, at) in events {
                m.record(thread_id, id, at);
            }
            m.active = active;
            m.chat_seen = true;
        }
    }

    /// One of the session's own events was stored (a `send_event` completed): it is not
    /// emitted, but a recovery must not emit it either.
    pub fn record_own(&mut self, chat_id: &str, thread_id: &str, event: &Value) {
        let Some(id) = event.get("id").and_then(Value::as_str) else { return };
        let at = event.get("created_at").and_then(Value::as_str);
        self.mark_mut(chat_id).record(thread_id, id, at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pushes::IncomingEvent;

    fn event(id: &str, at: u32) -> IncomingEvent {
        let event = serde_json::from_value(serde_json::json!({"id": id, "type": "message", "text": "x",
            "created_at": format!("2026-12-02T10:{:02}:{:02}.000000Z", at / 60, at % 60)}))
        .unwrap();
        IncomingEvent { chat_id: "CH".into(), thread_id: "T".into(), event, recovered: false }
    }

    #[test]
    fn duplicates_are_caught_by_the_window_and_beyond_it_by_the_mark() {
        let mut d = Delivered::default();
        for i in 0..40 {
            assert_eq!(d.admit(Timeline::Event(&event(&format!("E{i}"), i)), true), Verdict::Deliver);
        }
        // In the window (the last 16) and far behind it: both already delivered.
        assert_eq!(d.admit(Timeline::Event(&event("E39", 39)), true), Verdict::Duplicate);
        assert_eq!(d.admit(Timeline::Event(&event("E3", 3)), true), Verdict::Duplicate);
        // Same time as the newest but another id: new.
        assert_eq!(d.admit(Timeline::Event(&event("E39b", 39)), true), Verdict::Deliver);
        // Held while its chat is checked, unless the recovery itself emits it.
        d.hold("CH");
        assert_eq!(d.admit(Timeline::Event(&event("E50", 50)), true), Verdict::Hold("CH".into()));
        assert_eq!(d.admit(Timeline::Event(&event("E50", 50)), false), Verdict::Deliver);
    }

    #[test]
    fn marks_are_bounded() {
        let mut d = Delivered::default();
        for i in 0..(MAX_MARKED_CHATS + 10) {
            let mut e = event("E1", 1);
            e.chat_id = format!("CH{i}");
            d.admit(Timeline::Event(&e), true);
        }
        assert_eq!(d.marks.len(), MAX_MARKED_CHATS);
        assert!(d.mark("CH0").is_none(), "the least recently active chat is forgotten first");
        assert!(d.mark(&format!("CH{}", MAX_MARKED_CHATS + 9)).is_some());
    }
}
