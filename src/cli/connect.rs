//! What the commands that reach Spine or PDS share: the network runtime, and with
//! `--sandbox` the embedded sandbox to reach.

use tokio::runtime::Runtime;

use super::exit::{self, Failure};
use crate::sandbox::embedded::{EmbeddedOptions, EmbeddedSandbox};

/// Two worker threads: one request at a time, with the audit writes beside it.
pub fn runtime() -> Result<Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::new(exit::NETWORK, "cannot start the network runtime").caused_by(&e))
}

/// The embedded sandbox when no real environment was chosen (`--sandbox`).
pub async fn sandbox_unless_real(real: bool) -> Result<Option<EmbeddedSandbox>, Failure> {
    if real {
        return Ok(None);
    }
    EmbeddedSandbox::start(EmbeddedOptions::default())
        .await
        .map(Some)
        .map_err(|e| Failure::new(exit::NETWORK, "cannot start the sandbox").caused_by(&e))
}
