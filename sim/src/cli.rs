//! The simulator's command line, shared by the `livechat-sim` binary and `livechat sim`:
//! [`Args`] (clap) and [`run`]. The caller sets up logging.

use crate::{Sim, SimConfig};
use clap::Parser;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The simulator's command-line flags (`livechat-sim` and `livechat sim`).
#[derive(Parser, Debug, Clone)]
#[command(name = "livechat-sim", version, about = "Protocol-faithful local LiveChat server")]
pub struct Args {
    /// Port on 127.0.0.1 (0 = chosen by the OS).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Write every frame in and out as JSON lines to this file.
    #[arg(long)]
    pub frame_log: Option<PathBuf>,
    /// Disable the built-in bot agent.
    #[arg(long)]
    pub no_bot: bool,
    /// JSON config file (keys: bot, token_expires_in, idle_timeout_secs, login_timeout_secs,
    /// deterministic, seed, agent_token, agent_account_id, agent_pat, agent_max_chats).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Bearer token of the default agent account.
    #[arg(long)]
    pub agent_token: Option<String>,
    /// PAT of the default agent account, as ACCOUNT_ID:PAT.
    #[arg(long)]
    pub agent_pat: Option<String>,
}

fn apply_file(cfg: &mut SimConfig, path: &PathBuf) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("bad config {}: {e}", path.display()))?;
    let b = |k: &str| v.get(k).and_then(serde_json::Value::as_bool);
    let n = |k: &str| v.get(k).and_then(serde_json::Value::as_u64);
    let s = |k: &str| v.get(k).and_then(serde_json::Value::as_str).map(str::to_string);
    if let Some(x) = b("bot") {
        cfg.bot = x;
    }
    if let Some(x) = b("deterministic") {
        cfg.deterministic = x;
    }
    if let Some(x) = n("seed") {
        cfg.seed = x;
    }
    if let Some(x) = n("token_expires_in") {
        cfg.token_expires_in = x;
    }
    if let Some(x) = n("idle_timeout_secs") {
        cfg.idle_timeout = Duration::from_secs(x);
    }
    if let Some(x) = n("login_timeout_secs") {
        cfg.login_timeout = Duration::from_secs(x);
    }
    if let Some(x) = n("agent_max_chats") {
        cfg.agent_max_chats = x as usize;
    }
    if let Some(x) = s("agent_token") {
        cfg.agent_token = x;
    }
    if let Some(x) = s("agent_account_id") {
        cfg.agent_account_id = x;
    }
    if let Some(x) = s("agent_pat") {
        cfg.agent_pat = x;
    }
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn stop_signal() {
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The [`SimConfig`] these flags describe (`--config` file first, then the flags).
pub fn config(args: &Args) -> Result<SimConfig, String> {
    let mut cfg = SimConfig { bind: SocketAddr::from(([127, 0, 0, 1], args.port)), ..SimConfig::default() };
    if let Some(p) = &args.config {
        apply_file(&mut cfg, p)?;
    }
    if args.no_bot {
        cfg.bot = false;
    }
    if let Some(t) = &args.agent_token {
        cfg.agent_token = t.clone();
    }
    if let Some(p) = &args.agent_pat {
        match p.split_once(':') {
            Some((acc, pat)) if !acc.is_empty() && !pat.is_empty() => {
                cfg.agent_account_id = acc.to_string();
                cfg.agent_pat = pat.to_string();
            }
            _ => return Err("--agent-pat must be ACCOUNT_ID:PAT".into()),
        }
    }
    cfg.frame_log = args.frame_log.clone();
    Ok(cfg)
}

/// Runs the simulator until Ctrl-C / SIGTERM: prints `livechat-sim listening on 127.0.0.1:PORT`
/// first, then the agent credentials in effect. Returns the process exit code
/// (2: bad flags or config, 1: cannot start).
pub async fn run(args: Args) -> i32 {
    let cfg = match config(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("livechat-sim: {e}");
            return 2;
        }
    };
    let sim = match Sim::start(cfg.clone()).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("livechat-sim: cannot start: {e}");
            return 1;
        }
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "livechat-sim listening on {}", sim.addr());
    let _ = writeln!(out, "agent id: {}", cfg.agent_id);
    let _ = writeln!(out, "agent bearer token: {}", cfg.agent_token);
    let _ = writeln!(out, "agent PAT: {}:{}", cfg.agent_account_id, cfg.agent_pat);
    let _ = writeln!(out, "bot: {}", if cfg.bot { "on" } else { "off" });
    let _ = out.flush();
    drop(out);
    stop_signal().await;
    sim.shutdown().await;
    0
}
