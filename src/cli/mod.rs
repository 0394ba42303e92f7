//! The command line: global flags, subcommands, and hand-over to each command's module.

mod inspect;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Track NHS EPS prescriptions through the Spine Prescription Tracker.
///
/// With no subcommand, starts the terminal app. Try `eps-tracker --sandbox` first: it runs
/// against a local simulator of Spine with synthetic patients.
#[derive(Debug, Parser)]
#[command(name = "eps-tracker", version, about, long_about)]
pub struct Cli {
    /// Run against the embedded sandbox (a local Spine simulator) instead of a real Spine.
    #[arg(long, global = true)]
    pub sandbox: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Decode a saved Tracker response body and summarise it.
    Inspect(inspect::InspectArgs),
}

/// Runs the parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Some(Command::Inspect(args)) => inspect::run(&args),
        None => {
            println!(
                "The terminal app is coming. Meanwhile `eps-tracker inspect FILE` decodes a \
                 saved Tracker response."
            );
            ExitCode::SUCCESS
        }
    }
}
