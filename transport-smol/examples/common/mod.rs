//! What the smol examples share: logging, command-line flags, where to connect, and waiting
//! for the login and for the bot's reply.

use std::time::Duration;

use futures_lite::{StreamExt, future};
use livechat_smol::EventStream;
use livechat_smol::customer::Event;
use livechat_smol::model::ChatEvent;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Logs to stderr at `warn` (`RUST_LOG` to change), dependencies capped at `info` whatever
/// `RUST_LOG` says: below it they log tokens.
pub fn init_logging() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(livechat_smol::log::env_directives("warn")))
        .with_writer(std::io::stderr)
        .try_init();
}

/// The value after `name` on the command line.
pub fn arg(name: &str) -> Option<String> {
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == name {
            return args.next();
        }
    }
    None
}

/// `--endpoint` (and `--accounts` for another token endpoint), or a simulator started on
/// this process, on its own thread and port.
pub fn target() -> Result<livechat_sim::Target, BoxError> {
    let mut target = livechat_sim::Target::new(arg("--endpoint"))?;
    if let Some(accounts) = arg("--accounts") {
        target.http_url = accounts;
    }
    Ok(target)
}

/// `fut`, or an error after `secs` seconds.
async fn within<T>(secs: u64, what: &str, fut: impl Future<Output = T>) -> Result<T, BoxError> {
    future::or(async { Ok(fut.await) }, async {
        async_io::Timer::after(Duration::from_secs(secs)).await;
        Err(format!("timed out waiting for {what}").into())
    })
    .await
}

/// The customer id of the first login, within 10 s.
pub async fn logged_in(events: &mut EventStream) -> Result<String, BoxError> {
    let first = async {
        while let Some(e) = events.next().await {
            if let Event::Connected(c) = e {
                return Some(c.customer.id);
            }
        }
        None
    };
    Ok(within(10, "login", first).await?.ok_or("the client stopped before logging in")?)
}

/// The text of the first message in `chat_id` that `me` did not write, within 10 s.
pub async fn reply(events: &mut EventStream, chat_id: &str, me: &str) -> Result<String, BoxError> {
    let first = async {
        while let Some(e) = events.next().await {
            if let Event::IncomingEvent(ev) = e
                && ev.chat_id == chat_id
                && let ChatEvent::Message(m) = ev.event
                && m.author_id.as_deref().is_some_and(|a| a != me)
            {
                return Some(m.text);
            }
        }
        None
    };
    Ok(within(10, "a reply", first).await?.ok_or("the client stopped before a reply came")?)
}
