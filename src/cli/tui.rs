//! The no-subcommand path: open the home (settings, users, audit trail; the sandbox's
//! own home with its demo accounts under `--sandbox`), then the terminal app.

use std::process::ExitCode;

use super::secure::{Globals, Secured};
use crate::tui::{Start, run as run_tui};

/// Starts the terminal app.
pub fn run(globals: Globals<'_>, no_color: bool) -> ExitCode {
    let secured = match Secured::open(globals) {
        Ok(secured) => secured,
        Err(failure) => return failure.report(),
    };
    run_tui(Start {
        home: secured.home,
        auth: secured.auth,
        no_color,
    })
}
