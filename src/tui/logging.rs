//! Logs go to a file under the data directory, never to the terminal the app draws on.
//! What is logged: request ids, timings, error kinds. Never patient data.

use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// The log file's name inside the log directory.
pub const FILE: &str = "eps-tracker.log";

/// Starts logging to `dir/eps-tracker.log`; keep the guard alive until exit so the last
/// lines are written. The level comes from `EPS_TRACKER_LOG` (default `info`).
pub fn start(dir: &Path) -> std::io::Result<(WorkerGuard, PathBuf)> {
    std::fs::create_dir_all(dir)?;
    let appender = tracing_appender::rolling::never(dir, FILE);
    // The default queue is 128,000 lines, allocated and initialised before the first
    // frame; the app logs a few lines per request.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(1024)
        .finish(appender);
    let filter =
        EnvFilter::try_from_env("EPS_TRACKER_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    // A second start (tests) keeps the first subscriber; that is fine.
    let _ = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init();
    Ok((guard, dir.join(FILE)))
}
