//! `eps-tracker inspect`: decode a saved Tracker response body and summarise it.

use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// The saved response body, or `-` for standard input.
    pub file: PathBuf,
    /// Print the normalised model as JSON instead of a summary.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &InspectArgs) -> ExitCode {
    eprintln!("inspect is not built yet ({})", args.file.display());
    ExitCode::from(2)
}
