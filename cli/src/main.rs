//! `livechat`: the LiveChat Customer Chat API SDK from the command line.
//!
//! * `livechat demo`: a scripted conversation against the embedded simulator, one ✓ per feature.
//! * `livechat chat`: an interactive customer chat (embedded simulator or the real service).
//! * `livechat sim`: the simulator on its own (same flags as `livechat-sim`).
//! * `livechat load`: many concurrent customers (tokio, smol or blocking transport) against
//!   the embedded simulator or a running one, optionally under random socket cuts.

mod chat;
mod demo;
mod load;
mod transcript;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "livechat", version, about = "LiveChat Customer Chat API from the command line")]
struct Cli {
    /// Log every frame (tokens redacted) and the client's decisions to stderr.
    #[arg(long, global = true)]
    debug: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Scripted conversation against the embedded simulator showing the SDK's main features.
    Demo,
    /// Interactive customer chat: the embedded simulator by default, or the real service.
    Chat(chat::Args),
    /// Run the simulator (same flags as the `livechat-sim` binary).
    Sim(livechat_sim::cli::Args),
    /// N concurrent customers exchanging M messages each with the simulator's bot.
    Load(load::Args),
}

/// `--debug`: our crates' frames (redacted) and decisions.
const DEBUG_DIRECTIVES: &str =
    "livechat_async=debug,livechat_tokio=debug,livechat_smol=debug,livechat_blocking=debug";

fn init_tracing(debug: bool) {
    // Whatever RUST_LOG says, the dependencies that log tokens below `info` (tungstenite
    // frames, ureq headers and bodies, …) are capped: see `livechat_core::log`.
    let directives = if debug {
        livechat_core::log::capped_directives(Some(DEBUG_DIRECTIVES), "warn")
    } else {
        livechat_core::log::env_directives("warn")
    };
    let filter = tracing_subscriber::EnvFilter::new(directives);
    let _ = tracing_subscriber::fmt().with_writer(std::io::stderr).with_env_filter(filter).try_init();
}

fn main() {
    let cli = Cli::parse();
    init_tracing(cli.debug);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("livechat: cannot start the tokio runtime: {e}");
            std::process::exit(1);
        }
    };
    let code = runtime.block_on(async move {
        match cli.command {
            Command::Demo => demo::run(cli.debug).await,
            Command::Chat(args) => chat::run(args, cli.debug).await,
            Command::Sim(args) => livechat_sim::cli::run(args).await,
            Command::Load(args) => load::run(args, cli.debug).await,
        }
    });
    // Do not wait for lingering background tasks (reconnect timers, the simulator).
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    std::process::exit(code);
}
