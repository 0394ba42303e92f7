//! The no-subcommand path: open the home (settings, users, audit trail; the sandbox's
//! own home with its demo accounts under `--sandbox`), pick the Spine environment, read the
//! key bindings, then the terminal app.

use std::process::ExitCode;

use super::exit::Failure;
use super::secure::{Globals, Secured};
use crate::app::keymap::Keymap;
use crate::tui::{Connection, Start, run as run_tui};

/// Starts the terminal app.
pub(super) fn run(globals: Globals<'_>, no_color: bool) -> ExitCode {
    warm_up_randomness();
    match prepare(globals, no_color) {
        Ok(start) => run_tui(start),
        Err(failure) => failure.report(),
    }
}

fn prepare(globals: Globals<'_>, no_color: bool) -> Result<Start, Failure> {
    let secured = Secured::open(globals)?;
    let keymap = Keymap::with_overrides(&secured.config.keys).map_err(|e| {
        Failure::usage(format!(
            "the settings file {}: {e}",
            secured.home.config_file.display()
        ))
    })?;
    let connection = if globals.sandbox {
        Connection::Sandbox
    } else {
        let (name, env) = secured
            .config
            .environment(globals.environment)
            .map_err(Failure::usage)?;
        Connection::Spine {
            label: env
                .label
                .clone()
                .unwrap_or_else(|| name.to_ascii_uppercase()),
            settings: Box::new(env.client_settings(secured.home.config_file.parent())),
            pds: env
                .pds
                .as_ref()
                .map(|pds| Box::new(pds.settings(secured.home.config_file.parent()))),
        }
    };
    let search_window_days = secured.config.search.default_window_days;
    Ok(Start {
        search_window_days,
        home: secured.home,
        auth: secured.auth,
        keymap,
        connection,
        no_color,
        detail_delay: std::time::Duration::from_millis(secured.config.detail_delay_ms),
    })
}

/// Seeds the TLS library's random number generator on a thread of its own. Its first use
/// in a process gathers CPU-jitter entropy for about 100 ms of CPU; done here, that runs
/// beside opening the home and drawing the sign-in screen instead of before them (the
/// first TLS handshake or key would otherwise pay it).
fn warm_up_randomness() {
    let spawned = std::thread::Builder::new()
        .name("entropy".into())
        .spawn(|| {
            let provider = rustls::crypto::aws_lc_rs::default_provider();
            let _ = provider.secure_random.fill(&mut [0u8; 16]);
        });
    if let Err(error) = spawned {
        tracing::debug!(%error, "randomness not warmed up; the first handshake will do it");
    }
}
