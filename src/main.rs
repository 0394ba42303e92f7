use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = eps_tracker::cli::Cli::parse();
    eps_tracker::cli::run(cli)
}
