//! `livechat chat`: an interactive customer chat on stdin/stdout.
//!
//! Lines are messages; `/history`, `/rate good|bad`, `/file PATH`, `/quit` are commands.
//! Incoming messages, typing, agents joining and the connection state are printed as they
//! happen. Against the embedded simulator unless `--organization-id` is given.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use livechat_core::customer::actions::{ResumeChat, StartChat};
use livechat_core::customer::{CustomerConfig, Endpoint, Event};
use livechat_core::model::{ChatEvent, Thread};
use livechat_core::token::{AccountsConfig, Token};
use livechat_core::{Error, ErrorCode};
use livechat_sim::{Sim, SimConfig};
use livechat_tokio::{CustomerApi, CustomerClient, CustomerOptions, Identity, Rating, Secret, UploadSource};
use tokio::io::AsyncBufReadExt;

use crate::transcript::{self, Names};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Your LiveChat organization id; connects to the real service instead of the simulator.
    #[arg(long, requires = "client_id")]
    organization_id: Option<String>,
    /// The Client ID of your LiveChat app (for the token grants).
    #[arg(long)]
    client_id: Option<String>,
    /// A customer access token you already have (`dal:…`); it cannot be refreshed.
    #[arg(long, conflicts_with = "agent_token")]
    token: Option<String>,
    /// The customer id the `--token` belongs to (or, with `--agent-token`, the customer to act
    /// for; a new customer otherwise).
    #[arg(long)]
    customer_id: Option<String>,
    /// An agent token (`customers:own` scope) for the `agent_token` grant.
    #[arg(long)]
    agent_token: Option<String>,
    /// Data-center region of the organization: `dal` or `fra`.
    #[arg(long, default_value = "dal")]
    region: String,
    /// Group to chat with.
    #[arg(long)]
    group: Option<u64>,
}

/// What the event printer and the command loop share.
struct Shared {
    names: Names,
    chat_id: Option<String>,
}

type Share = Arc<Mutex<Shared>>;

fn lock(s: &Share) -> std::sync::MutexGuard<'_, Shared> {
    s.lock().unwrap_or_else(|p| p.into_inner())
}

pub async fn run(args: Args, debug: bool) -> i32 {
    let mut sim = None;
    let (config, identity) = match &args.organization_id {
        None => {
            let s = match Sim::start(SimConfig::default()).await {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("livechat chat: cannot start the embedded simulator: {e}");
                    return 1;
                }
            };
            println!("● embedded simulator at {} (the bot echoes what you say)", s.url());
            let config = CustomerConfig::new("chat-org", Endpoint::url(s.url()));
            let accounts = AccountsConfig::new("chat-org", "chat-client").with_base_url(s.http_url());
            sim = Some(s);
            (config, Identity::cookie(accounts, Default::default()))
        }
        Some(org) => {
            let config = CustomerConfig::new(org.clone(), Endpoint::Region(args.region.clone()));
            let mut accounts = AccountsConfig::new(org.clone(), args.client_id.clone().unwrap_or_default());
            if let Some(g) = args.group {
                accounts = accounts.with_group(g);
            }
            let identity = if let Some(t) = &args.token {
                let t = t.strip_prefix("Bearer ").unwrap_or(t);
                Identity::token(Token {
                    access_token: Secret::new(t),
                    entity_id: args.customer_id.clone().unwrap_or_default(),
                    token_type: "Bearer".into(),
                    expires_in: Duration::from_secs(8 * 3600),
                    organization_id: Some(org.clone()),
                    issued_at: Instant::now(),
                })
            } else if let Some(a) = &args.agent_token {
                Identity::agent_token(accounts, Secret::new(a.clone()), args.customer_id.clone())
            } else {
                Identity::cookie(accounts, Default::default())
            };
            println!("● connecting to organization {org} in region {}", args.region);
            (config, identity)
        }
    };
    let mut config = config;
    config.group_id = args.group;
    let mut options = CustomerOptions::new(identity);
    options.debug_frames = debug;
    let client = CustomerClient::start(config, options);
    let share: Share = Arc::new(Mutex::new(Shared { names: Names::new(None), chat_id: None }));
    let printer = tokio::spawn(print_events(client.clone(), share.clone()));
    println!("● type a message and press Enter; /history, /rate good|bad, /file PATH, /quit");

    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    loop {
        let line = match lines.next_line().await {
            Ok(Some(l)) => l,
            Ok(None) => break,
            Err(e) => {
                eprintln!("livechat chat: reading stdin failed: {e}");
                break;
            }
        };
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if line == "/quit" || line == "/exit" {
            break;
        }
        if let Err(e) = command(&client, &share, line).await {
            println!("✗ {e}");
        }
    }
    // Let answers already on their way reach the screen.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _ = tokio::time::timeout(Duration::from_secs(2), client.destroy()).await;
    printer.abort();
    if let Some(s) = sim {
        s.shutdown().await;
    }
    println!("● bye");
    0
}

/// Waits at most this long for any call.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

async fn call<T>(f: impl std::future::Future<Output = Result<T, Error>>) -> Result<T, String> {
    match tokio::time::timeout(CALL_TIMEOUT, f).await {
        Ok(r) => r.map_err(|e| e.to_string()),
        Err(_) => Err(format!("no answer within {CALL_TIMEOUT:?}")),
    }
}

async fn command(client: &CustomerClient, share: &Share, line: &str) -> Result<(), String> {
    let chat_id = lock(share).chat_id.clone();
    if let Some(rest) = line.strip_prefix('/') {
        let (cmd, arg) = rest.split_once(' ').map(|(c, a)| (c, a.trim())).unwrap_or((rest, ""));
        return match cmd {
            "history" => {
                let chat_id = chat_id.ok_or("no chat yet: say something first")?;
                let mut pages = Vec::new();
                let mut stream = std::pin::pin!(client.chat_history(&chat_id));
                while let Some(page) = call(async { Ok(stream.next().await) }).await? {
                    pages.push(page.map_err(|e| e.to_string())?);
                }
                let threads: Vec<Thread> = pages.iter().rev().flat_map(|p| p.threads.clone()).collect();
                let names = lock(share).names.clone();
                print!("{}", transcript::render(&names, &threads));
                Ok(())
            }
            "rate" => {
                let chat_id = chat_id.ok_or("no chat yet: say something first")?;
                let rating = match arg {
                    "good" => Rating::good(),
                    "bad" => Rating::bad(),
                    _ => return Err("usage: /rate good|bad".into()),
                };
                call(client.rate_chat(&chat_id, rating)).await?;
                println!("● rated {arg}");
                Ok(())
            }
            "file" => {
                if arg.is_empty() {
                    return Err("usage: /file PATH".into());
                }
                let url = call(client.upload_file(UploadSource::Path(PathBuf::from(arg)), None)).await?;
                send(client, share, chat_id, ChatEvent::file(url.clone())).await?;
                println!("● sent {arg} ({url})");
                Ok(())
            }
            _ => Err(format!("unknown command /{cmd}: /history, /rate good|bad, /file PATH, /quit")),
        };
    }
    send(client, share, chat_id, ChatEvent::message(line)).await
}

/// Send into the current chat: start one first, or resume it when it was closed.
async fn send(
    client: &CustomerClient,
    share: &Share,
    chat_id: Option<String>,
    event: ChatEvent,
) -> Result<(), String> {
    let Some(chat_id) = chat_id else {
        let started = call(client.start_chat(StartChat::with_events(vec![event]))).await?;
        if let Some(chat) = &started.chat {
            let mut s = lock(share);
            for u in &chat.users {
                s.names.learn(u);
            }
        }
        lock(share).chat_id = Some(started.chat_id);
        return Ok(());
    };
    let sent = tokio::time::timeout(CALL_TIMEOUT, client.send_event(&chat_id, event.clone())).await;
    match sent {
        Err(_) => Err(format!("no answer within {CALL_TIMEOUT:?}")),
        Ok(Err(e)) if e.code == ErrorCode::ChatInactive => {
            let mut resume = ResumeChat::new(&chat_id);
            resume.chat.thread = Some(livechat_core::customer::actions::InitialThread {
                events: vec![event],
                properties: None,
            });
            call(client.resume_chat(resume)).await.map(|_| ())
        }
        Ok(r) => r.map(|_| ()).map_err(|e| e.to_string()),
    }
}

async fn print_events(client: CustomerClient, share: Share) {
    let mut events = client.events();
    while let Some(e) = events.next().await {
        let mut s = lock(&share);
        match &e {
            Event::CustomerId(id) => s.names.set_me(id),
            Event::Connected(c) => {
                s.names.set_me(&c.customer.id);
                println!("● connected as customer {} ({:?})", c.customer.id, c.availability);
            }
            Event::Disconnected(d) => {
                let next = if d.will_reconnect { ", reconnecting…" } else { "" };
                println!("● disconnected: {}{next}", d.reason);
            }
            Event::ConnectionUnstable => println!("● connection unstable…"),
            Event::ConnectionRecovered => println!("● connection recovered"),
            Event::AvailabilityUpdated(a) => println!("● availability: {a:?}"),
            Event::UserData(u) => s.names.learn(u),
            Event::IncomingChat(c) => {
                for u in &c.chat.users {
                    s.names.learn(u);
                }
                s.chat_id = Some(c.chat.id.clone());
            }
            Event::UserAddedToChat(u) => {
                s.names.learn(&u.user);
                if !matches!(u.user, livechat_core::model::User::Customer(_)) {
                    println!("● {} joined the chat", s.names.name(Some(u.user.id())));
                }
            }
            Event::UserRemovedFromChat(u) => println!("● {} left the chat", s.names.name(Some(&u.user_id))),
            Event::ChatDeactivated(_) => println!("● the chat was closed; your next message reopens it"),
            Event::ChatTransferred(_) => println!("● the chat was transferred"),
            Event::QueuePositionUpdated(q) => println!("● queue: {q:?}"),
            Event::IncomingTypingIndicator(t) if t.typing_indicator.is_typing => {
                println!("… {} is typing", s.names.name(Some(&t.typing_indicator.author_id)));
            }
            Event::IncomingEvent(ie) => {
                let mine = ie.event.author_id().is_some() && s.names.name(ie.event.author_id()) == "You";
                if !mine || !matches!(ie.event, ChatEvent::Message(_)) {
                    println!("{}", transcript::line(&s.names, &ie.event));
                }
            }
            _ => {}
        }
    }
}
