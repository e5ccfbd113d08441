//! `livechat-sim` binary: prints `livechat-sim listening on 127.0.0.1:PORT` first, then the agent
//! credentials in effect; stops on Ctrl-C / SIGTERM. The flags live in [`livechat_sim::cli`].

use clap::Parser;
use livechat_sim::cli::{Args, run};

#[tokio::main]
async fn main() {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
    std::process::exit(run(args).await);
}
