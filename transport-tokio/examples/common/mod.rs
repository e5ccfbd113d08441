//! What the tokio examples share: logging, and waiting for the bot's reply.

use std::time::Duration;

use futures_util::StreamExt;
use livechat_tokio::customer::Event;
use livechat_tokio::model::ChatEvent;

/// Logs to stderr at `warn` (`RUST_LOG` to change), dependencies capped at `info` whatever
/// `RUST_LOG` says: below it they log tokens.
pub fn init_logging() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(livechat_tokio::log::env_directives("warn")))
        .with_writer(std::io::stderr)
        .try_init();
}

/// The text of the first message in `chat_id` that `me` did not write, within 10 s.
pub async fn reply(
    events: &mut livechat_tokio::EventStream,
    chat_id: &str,
    me: &str,
) -> Result<String, String> {
    let first = async {
        while let Some(event) = events.next().await {
            if let Event::IncomingEvent(incoming) = event
                && incoming.chat_id == chat_id
                && let ChatEvent::Message(message) = incoming.event
                && message.author_id.as_deref() != Some(me)
            {
                return Some(message.text);
            }
        }
        None
    };
    tokio::time::timeout(Duration::from_secs(10), first)
        .await
        .map_err(|_| "no reply from the bot within 10 s".to_string())?
        .ok_or_else(|| "the event stream ended".to_string())
}
