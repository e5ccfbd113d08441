//! What the blocking examples share: logging, and waiting for the bot's reply.

use std::time::Duration;

use livechat_blocking::EventReceiver;
use livechat_blocking::customer::Event;
use livechat_blocking::model::ChatEvent;

/// Logs to stderr at `warn` (`RUST_LOG` to change), dependencies capped at `info` whatever
/// `RUST_LOG` says: below it they log tokens.
pub fn init_logging() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(livechat_blocking::log::env_directives("warn")))
        .with_writer(std::io::stderr)
        .try_init();
}

/// `(author, text)` of the first message in `chat_id` that `me` did not write, within 15 s
/// of the last event.
pub fn reply(events: &EventReceiver, chat_id: &str, me: &str) -> Result<(String, String), String> {
    loop {
        match events.recv_timeout(Duration::from_secs(15)).map_err(|e| e.to_string())? {
            Event::IncomingEvent(e) if e.chat_id == chat_id && e.event.author_id() != Some(me) => {
                if let ChatEvent::Message(m) = &e.event {
                    let author = e.event.author_id().unwrap_or("agent").to_string();
                    return Ok((author, m.text.clone()));
                }
            }
            _ => {}
        }
    }
}
