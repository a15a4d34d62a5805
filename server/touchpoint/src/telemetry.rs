//! Structured logs: initialised once, filtered by `RUST_LOG`.
//!
//! Spans carry room codes and connection numbers only: never an address,
//! a user agent, a token or anything a participant wrote. Logs go to
//! stderr; stdout carries only what `serve` prints for people.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber; `default_filter` applies when `RUST_LOG` is unset.
/// Returns false if one was installed already (as when tests start several servers).
pub fn init(default_filter: &str) -> bool {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    tracing_subscriber::fmt().with_env_filter(filter).with_target(false).with_writer(std::io::stderr).try_init().is_ok()
}
