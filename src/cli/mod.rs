//! The command line: global flags, subcommands, and hand-over to each command's module.

mod audit;
mod connect;
mod csv;
mod doctor;
mod exit;
mod get;
mod inspect;
mod lines;
mod lookup;
mod output;
mod password_input;
mod patient;
mod results;
mod safe;
mod sandbox;
mod search;
mod secure;
mod shell;
mod table;
mod tui;
mod user;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use exit::Failure;

/// Track NHS EPS prescriptions through the Spine Prescription Tracker.
///
/// With no subcommand, starts the terminal app. Try `eps-tracker --sandbox` first: it runs
/// against a local simulator of Spine with synthetic patients.
#[derive(Debug, Parser)]
#[command(name = "eps-tracker", version, about, long_about, after_help = exit::EXIT_CODES_HELP)]
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
    /// Check settings, certificates, DNS, TCP, TLS and the audit trail (no sign-in).
    Doctor(doctor::DoctorArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell) to standard output.
    Completions(shell::CompletionsArgs),
    /// Print the manual page (roff) to standard output.
    Man,
    /// Who a patient is (PDS): by NHS number, or `patient search` by details.
    Patient(patient::PatientArgs),
}

/// Runs the parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    output::exit_quietly_on_closed_stdout();
    if cli.sandbox && cli.environment.is_some() {
        return Failure::usage(
            "--env cannot be used with --sandbox: the sandbox is an environment of its own. \
             Leave out --env to use the sandbox, or --sandbox to use that environment",
        )
        .report();
    }
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
        Some(Command::Doctor(args)) => doctor::run(&args, globals),
        Some(Command::Completions(args)) => shell::completions(&args),
        Some(Command::Man) => shell::man(),
        Some(Command::Patient(args)) => patient::run(&args, globals),
        None => tui::run(globals, cli.no_color),
    }
}
