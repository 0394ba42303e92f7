//! The command line: global flags, subcommands, and hand-over to each command's module.

mod audit;
mod exit;
mod get;
mod inspect;
mod lookup;
mod password_input;
mod results;
mod sandbox;
mod search;
mod secure;
mod tui;
mod user;

use std::path::PathBuf;
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

    /// Keep all state (settings, users, audit trail, certificates) in this folder instead of
    /// the XDG directories. The sandbox uses its own `sandbox` folder inside it. Refused in a
    /// managed install (/etc/eps-tracker/config.toml), except with --sandbox.
    #[arg(long, global = true, env = "EPS_TRACKER_HOME", value_name = "DIR")]
    pub home: Option<PathBuf>,

    /// No colour in the terminal app (also when the NO_COLOR environment variable is set).
    #[arg(long, global = true)]
    pub no_color: bool,

    /// The Spine environment to use (a `[environments.NAME]` table of the settings file);
    /// default: `default_environment`, or the only one configured.
    #[arg(long = "env", global = true, value_name = "NAME")]
    pub environment: Option<String>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Decode a saved Tracker response body and summarise it.
    Inspect(inspect::InspectArgs),
    /// Search a patient's prescriptions by NHS number.
    Search(search::SearchArgs),
    /// Retrieve one prescription by ID.
    Get(get::GetArgs),
    /// Manage local users: add, list, passwd, lock, unlock, remove, roles.
    User(user::UserArgs),
    /// Check, read or locate the audit trail.
    Audit(audit::AuditArgs),
    /// Make the first administrator of a new install (in a managed install: as root or the
    /// service account).
    Init(user::InitArgs),
    /// Run the sandbox: a local Spine Tracker simulator over mutual TLS.
    Sandbox(sandbox::SandboxArgs),
}

/// Runs the parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    let globals = secure::Globals {
        sandbox: cli.sandbox,
        home: cli.home.as_deref(),
        environment: cli.environment.as_deref(),
    };
    match cli.command {
        Some(Command::Inspect(args)) => inspect::run(&args),
        Some(Command::Search(args)) => search::run(&args, globals),
        Some(Command::Get(args)) => get::run(&args, globals),
        Some(Command::User(args)) => user::run(&args, globals),
        Some(Command::Audit(args)) => audit::run(&args, globals),
        Some(Command::Init(args)) => user::init(&args, globals),
        Some(Command::Sandbox(args)) => sandbox::run(&args, globals.home),
        None => tui::run(globals, cli.no_color),
    }
}
