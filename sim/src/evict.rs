//! Bounded memory and disk: forgotten customers, expired tokens, unused organizations, the
//! frame log's size. (Uploaded files are bounded in `files.rs`, sockets' bookkeeping is removed
//! when they close.)

use crate::Shared;
use crate::state::State;
use std::collections::HashSet;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// `Host` headers kept for [`crate::Control::customer_hosts`].
pub const MAX_HOSTS: usize = 10_000;
/// Unexpired customer tokens kept; beyond it the ones expiring first go.
pub const MAX_TOKENS: usize = 200_000;

/// The JSONL frame log: rotated to `FILE.1` (one generation kept) beyond `max_bytes`.
pub struct FrameLog {
    w: BufWriter<File>,
    path: PathBuf,
    written: u64,
    max_bytes: u64,
}

impl FrameLog {
    pub fn create(path: PathBuf, max_bytes: u64) -> std::io::Result<FrameLog> {
        Ok(FrameLog { w: BufWriter::new(File::create(&path)?), path, written: 0, max_bytes })
    }

    pub fn write_line(&mut self, line: &str) {
        if self.written > 0 && self.written + line.len() as u64 + 1 > self.max_bytes {
            let _ = self.w.flush();
            let mut old = self.path.clone().into_os_string();
            old.push(".1");
            let _ = std::fs::rename(&self.path, &old);
            match File::create(&self.path) {
                Ok(f) => {
                    self.w = BufWriter::new(f);
                    self.written = 0;
                }
                Err(_) => return,
            }
        }
        if writeln!(self.w, "{line}").is_ok() {
            self.written += line.len() as u64 + 1;
        }
        let _ = self.w.flush();
    }
}

impl State {
    /// A customer that may be forgotten: no socket, no active chat.
    fn forgettable(&self, id: &str) -> bool {
        !self.customer_online(id)
            && self.customers.get(id).is_some_and(|c| {
                c.chat_ids.iter().all(|ch| self.chats.get(ch).is_none_or(|chat| !chat.active()))
            })
    }

    /// One sweep; returns how many customers were forgotten.
    pub(crate) fn evict(&mut self, now: Instant) -> usize {
        let ttl = self.cfg.evict_after;
        let mut candidates: Vec<(Instant, String)> = self
            .customers
            .values()
            .filter(|c| self.forgettable(&c.id))
            .map(|c| (c.last_seen, c.id.clone()))
            .collect();
        candidates.sort();
        let over = self.customers.len().saturating_sub(self.cfg.max_customers);
        let gone: HashSet<String> = candidates
            .into_iter()
            .enumerate()
            .filter(|(i, (seen, _))| *i < over || now.saturating_duration_since(*seen) >= ttl)
            .map(|(_, (_, id))| id)
            .collect();
        for id in &gone {
            let Some(c) = self.customers.remove(id) else { continue };
            for chat_id in c.chat_ids {
                self.queue.retain(|q| q != &chat_id);
                for a in self.agents.values_mut() {
                    a.chats.remove(&chat_id);
                }
                self.chats.remove(&chat_id);
            }
        }
        let unix = self.clock.peek_us() / 1_000_000;
        self.tokens.retain(|_, (cid, _, exp)| *exp > unix && !gone.contains(cid));
        if self.tokens.len() > MAX_TOKENS {
            let mut exps: Vec<i64> = self.tokens.values().map(|(_, _, e)| *e).collect();
            exps.sort_unstable();
            let cut = exps[self.tokens.len() - MAX_TOKENS];
            self.tokens.retain(|_, (_, _, e)| *e >= cut);
        }
        // Organizations nobody uses that are as `ensure_org` would make them again.
        let used: HashSet<&str> = self
            .customers
            .values()
            .map(|c| c.org.as_str())
            .chain(self.conns.values().map(|c| c.org.as_str()))
            .collect();
        let unused: Vec<String> = self
            .orgs
            .iter()
            .filter(|(id, o)| {
                !used.contains(id.as_str())
                    && o.groups.len() == 1
                    && o.groups.get(&0).is_some_and(|g| g.status == "online")
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in unused {
            self.orgs.remove(&id);
        }
        gone.len()
    }
}

/// How often the sweep runs for a given `evict_after`.
fn sweep_every(ttl: Duration) -> Duration {
    (ttl / 2).clamp(Duration::from_millis(20), Duration::from_secs(10))
}

pub(crate) fn spawn_sweeper(shared: Arc<Shared>) {
    let mut stop = shared.shutdown.clone();
    let every = sweep_every(shared.cfg.evict_after);
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stop.wait_for(|v| *v) => return,
            }
            let mut st = shared.state.lock().unwrap_or_else(|e| e.into_inner());
            st.evict(Instant::now());
            drop(st);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SimConfig;

    #[test]
    fn forgets_idle_customers_and_their_tokens_but_keeps_recent_ones() {
        let cfg =
            SimConfig { evict_after: Duration::from_secs(60), max_customers: 3, ..SimConfig::default() };
        let mut st = State::new(cfg);
        let ids: Vec<String> = (0..5)
            .map(|_| {
                let id = st.new_customer("o", None);
                st.issue_token(&id, "o");
                id
            })
            .collect();
        // Young, but over the cap: the two oldest go.
        assert_eq!(st.evict(Instant::now()), 2);
        assert_eq!(st.customers.len(), 3);
        assert_eq!(st.tokens.len(), 3);
        assert!(!st.customers.contains_key(&ids[0]) && st.customers.contains_key(&ids[4]));
        // Old: all go, and the organization with them.
        assert_eq!(st.evict(Instant::now() + Duration::from_secs(61)), 3);
        assert!(st.customers.is_empty() && st.tokens.is_empty() && st.orgs.is_empty());
    }

    #[test]
    fn frame_log_rotates() {
        let dir = std::env::temp_dir().join(format!("lcsim-rot-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let p = dir.join("log.jsonl");
        let mut log = FrameLog::create(p.clone(), 100).unwrap();
        for i in 0..10 {
            log.write_line(&format!("{i:040}"));
        }
        let cur = std::fs::metadata(&p).unwrap().len();
        let old = std::fs::metadata(dir.join("log.jsonl.1")).unwrap().len();
        assert!(cur <= 100 && old <= 100, "{cur} {old}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
