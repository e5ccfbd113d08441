//! Log filters that keep credentials out of logs.
//!
//! The transports log frames only through [`crate::wire::redact`], but their dependencies
//! do not redact: at `debug`/`trace`, tungstenite logs every frame it sends or receives (the
//! login frame with its token, as text and as hex), ureq dumps request and response headers
//! and bodies (`Authorization`, token responses), and rustls and hyper log handshake
//! details. An application must therefore cap those targets at `info`, whatever
//! `RUST_LOG` says. [`capped_directives`] builds such a filter (the CLI and every example
//! use it); pass its result to `tracing_subscriber::EnvFilter::new`.

/// The targets that can log credentials below `info`, capped by [`capped_directives`].
pub const CAPPED_TARGETS: &[&str] = &[
    "tungstenite",
    "tokio_tungstenite",
    "async_tungstenite",
    "ureq",
    "ureq_proto",
    "rustls",
    "hyper",
    "hyper_util",
    "h2",
    "reqwest",
];

/// The most verbose level [`CAPPED_TARGETS`] may log at.
pub const CAP_LEVEL: &str = "info";

/// An `EnvFilter` directive string: the user's directives (`RUST_LOG`, or `default` when
/// unset or empty), minus any that would let a capped target log below [`CAP_LEVEL`],
/// plus `target=info` for each of [`CAPPED_TARGETS`].
///
/// Dropped: directives naming a capped target or a module in it (`tungstenite=trace`,
/// `ureq::unversioned=debug`), and span-only directives (`[span]=trace`, `[{field}]=debug`),
/// which would enable every target inside the span, capped ones included.
///
/// ```
/// let f = livechat_core::log::capped_directives(Some("trace,tungstenite=trace"), "warn");
/// assert!(f.starts_with("trace,"));
/// assert!(f.contains("tungstenite=info") && !f.contains("tungstenite=trace"));
/// ```
pub fn capped_directives(rust_log: Option<&str>, default: &str) -> String {
    let user = rust_log.map(str::trim).filter(|s| !s.is_empty()).unwrap_or(default);
    let mut out: Vec<String> = user
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty() && keeps_caps(d))
        .map(str::to_string)
        .collect();
    out.extend(CAPPED_TARGETS.iter().map(|t| format!("{t}={CAP_LEVEL}")));
    out.join(",")
}

/// [`capped_directives`] of the `RUST_LOG` environment variable.
///
/// ```no_run
/// // What the CLI and every example do:
/// # struct EnvFilter; impl EnvFilter { fn new(_: String) {} }
/// EnvFilter::new(livechat_core::log::env_directives("warn"));
/// ```
pub fn env_directives(default: &str) -> String {
    capped_directives(std::env::var("RUST_LOG").ok().as_deref(), default)
}

/// Whether directive `d` leaves the caps alone.
fn keeps_caps(d: &str) -> bool {
    let target = d.split(['[', '=']).next().unwrap_or("").trim();
    if d.trim_start().starts_with('[') {
        return false;
    }
    // A bare level (`trace`) has no target: the caps, more specific, win over it.
    if target.parse::<LevelName>().is_ok() && !d.contains('=') {
        return true;
    }
    !CAPPED_TARGETS.iter().any(|t| target == *t || target.starts_with(&format!("{t}::")))
}

struct LevelName;

impl std::str::FromStr for LevelName {
    type Err = ();
    fn from_str(s: &str) -> Result<LevelName, ()> {
        match s.to_ascii_lowercase().as_str() {
            "trace" | "debug" | "info" | "warn" | "error" | "off" => Ok(LevelName),
            _ => Err(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_are_added_and_user_directives_that_break_them_dropped() {
        let f = capped_directives(
            Some(
                "trace, tungstenite=trace,ureq::unversioned=debug,[login]=trace,livechat_tokio=trace,ureqx=debug",
            ),
            "warn",
        );
        let parts: Vec<&str> = f.split(',').collect();
        assert_eq!(&parts[..3], ["trace", "livechat_tokio=trace", "ureqx=debug"]);
        for t in CAPPED_TARGETS {
            assert!(parts.contains(&format!("{t}=info").as_str()), "{t} capped: {f}");
        }
        assert!(!f.contains("=trace,tungstenite") && !f.contains("[login]") && !f.contains("unversioned"));
    }

    #[test]
    fn the_default_is_used_when_rust_log_is_unset_or_empty() {
        assert!(capped_directives(None, "warn").starts_with("warn,tungstenite=info"));
        assert!(capped_directives(Some("  "), "debug").starts_with("debug,"));
    }
}
