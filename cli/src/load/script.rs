//! One load session, written once for every transport: log in, start a chat, wait until
//! every session has (a barrier), exchange M messages with the simulator's bot, then check
//! the chat as stored (exactly once).
//!
//! A transport takes part through [`LoadClient`], a handful of calls and an event wait with
//! a timeout; its calls are awaited (tokio, smol) or already done when the future is first
//! polled (blocking, run under `block_on` on the session's own thread).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use livechat_core::customer::Event;
use livechat_core::model::{Chat, ChatEvent};
use livechat_core::{Error, ErrorCode};

use super::Shared;

/// How long a session waits for an event (connected, a bot reply) before it gives up.
pub const WAIT: Duration = Duration::from_secs(30);

/// What the load script needs from a client. Calls need no timeout of their own: the SDK
/// fails every request at its deadline (`request_timeout`, `queue_timeout`).
pub trait LoadClient: Sized {
    /// The next event; `None` after `timeout`, or once the client is gone.
    async fn next_event(&mut self, timeout: Duration) -> Option<Event>;
    async fn start_chat(&self) -> Result<String, Error>;
    async fn send_message(&self, chat_id: &str, text: &str) -> Result<(), Error>;
    async fn get_chat(&self, chat_id: &str) -> Result<Chat, Error>;
    async fn destroy(self);
}

#[derive(Default)]
pub struct SessionResult {
    /// Send → the bot's reply seen, per message whose reply arrived on a live socket.
    pub rtts: Vec<Duration>,
    /// Replies pushed while the socket was down, found by the recovery after the re-login.
    pub replies_recovered: usize,
    /// Replies emitted more than once (must stay 0).
    pub replies_duplicated: usize,
    pub reply_ids: std::collections::HashSet<String>,
    /// Messages the server confirmed.
    pub sent: usize,
    pub errors: Vec<String>,
    pub lost: usize,
    pub duplicated: usize,
    pub first_send: Option<Instant>,
    pub last_reply: Option<Instant>,
}

/// Runs session `i` on `client` and records the outcome.
pub async fn session<C: LoadClient>(
    i: usize,
    mut client: C,
    messages: usize,
    shared: Arc<Shared>,
) -> SessionResult {
    let mut r = SessionResult::default();
    let mut me = None;
    let mut arrived = false;
    if let Err(e) = script(i, &mut client, messages, &shared, &mut r, &mut me, &mut arrived).await {
        r.errors.push(e);
    }
    if !arrived {
        // A session that failed early still counts at the barrier, or the others wait forever.
        shared.all_live.wait().await;
    }
    if let Some(me) = me {
        shared.left(&me);
    }
    client.destroy().await;
    r
}

async fn script<C: LoadClient>(
    i: usize,
    client: &mut C,
    messages: usize,
    shared: &Shared,
    r: &mut SessionResult,
    customer_id: &mut Option<String>,
    arrived: &mut bool,
) -> Result<(), String> {
    let me = loop {
        match client.next_event(WAIT).await {
            Some(Event::Connected(c)) => break c.customer.id.clone(),
            Some(Event::Disconnected(d)) if !d.will_reconnect => return Err(format!("login: {}", d.reason)),
            Some(_) => {}
            None => return Err("no `connected` event within 30 s".into()),
        }
    };
    let chat_id = client.start_chat().await.map_err(|e| format!("start_chat: {e}"))?;
    // `--chaos` cuts sockets from here on: the conversation, not the chat's creation (a
    // `start_chat` cut in flight fails with CONNECTION_LOST, and may or may not have started it).
    shared.connected(&me);
    *customer_id = Some(me.clone());
    // Every session is logged in with a chat before any sends: the messages run with all N
    // sessions live at once, and the memory peak counts all of them.
    *arrived = true;
    if shared.all_live.wait().await.is_leader() {
        shared.sample_live();
    }
    for k in 0..messages {
        let text = format!("load {i} {k}");
        let want = format!("You said: {text}");
        let t = Instant::now();
        r.first_send.get_or_insert(t);
        client.send_message(&chat_id, &text).await.map_err(|e| format!("send {k}: {e}"))?;
        r.sent += 1;
        // The bot's reply: pushed, or, when it was pushed while the socket was down, found
        // by the SDK's recovery after the re-login (`recovered`; not timed: it waited for
        // the reconnect). Either way it must come exactly once.
        loop {
            match client.next_event(WAIT).await {
                Some(Event::IncomingEvent(ie)) if ie.event.author_id() != Some(me.as_str()) => {
                    if let Some(id) = ie.event.id()
                        && !r.reply_ids.insert(id.to_string())
                    {
                        r.replies_duplicated += 1;
                        continue;
                    }
                    if !matches!(&ie.event, ChatEvent::Message(m) if m.text == want) {
                        continue;
                    }
                    let now = Instant::now();
                    if ie.recovered {
                        r.replies_recovered += 1;
                    } else {
                        r.rtts.push(now - t);
                    }
                    r.last_reply = Some(now);
                    break;
                }
                Some(Event::Disconnected(d)) if !d.will_reconnect => {
                    return Err(format!("disconnected for good: {}", d.reason));
                }
                Some(_) => {}
                None => return Err(format!("no bot reply to message {k} within 30 s")),
            }
        }
    }
    // Exactly once, as stored: each message must be in the chat once.
    // A read cut by a drop fails with CONNECTION_LOST, as documented; retry it as an app would.
    let mut attempts = 0;
    let stored = loop {
        match client.get_chat(&chat_id).await {
            Err(e) if e.code == ErrorCode::ConnectionLost && attempts < 5 => attempts += 1,
            other => break other.map_err(|e| format!("get_chat: {e}"))?,
        }
    };
    let events = stored.thread.map(|t| t.events).unwrap_or_default();
    // Count each own message text once (linear: at 1 × 2,000 a check of every message
    // against every event cost more CPU than the exchanges it checks).
    let mut copies: HashMap<&str, usize> = HashMap::new();
    for e in &events {
        if let ChatEvent::Message(m) = e
            && e.author_id() == Some(me.as_str())
        {
            *copies.entry(m.text.as_str()).or_default() += 1;
        }
    }
    for k in 0..messages {
        match copies.get(format!("load {i} {k}").as_str()).copied().unwrap_or(0) {
            0 => r.lost += 1,
            1 => {}
            n => r.duplicated += n - 1,
        }
    }
    Ok(())
}
