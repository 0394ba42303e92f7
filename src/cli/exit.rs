//! Exit codes shared by the scriptable commands, and how a failure reaches the terminal.
//!
//! 0 found / done, 1 Spine error or not found, 2 usage or validation error, 3 sign-in failed
//! or access denied, 4 network or TLS failure, 5 audit trail unavailable.

use std::process::ExitCode;

pub const NOT_FOUND: u8 = 1;
pub const USAGE: u8 = 2;
pub const DENIED: u8 = 3;
pub const NETWORK: u8 = 4;
pub const AUDIT: u8 = 5;

/// The exit codes, as `--help` of `search` and `get` lists them.
pub const EXIT_CODES_HELP: &str = "Exit codes: 0 found, 1 Spine error or not found, 2 usage or \
validation error, 3 sign-in failed or access denied, 4 network or TLS failure, 5 audit trail \
unavailable.";

/// A command that could not finish: the code to exit with and what to tell the user.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn new(code: u8, message: impl ToString) -> Self {
        Self {
            code,
            message: message.to_string(),
        }
    }
    pub fn usage(message: impl ToString) -> Self {
        Self::new(USAGE, message)
    }
    pub fn denied(message: impl ToString) -> Self {
        Self::new(DENIED, message)
    }
    pub fn audit(message: impl ToString) -> Self {
        Self::new(AUDIT, message)
    }

    /// Prints the message on stderr and gives the exit code.
    pub fn report(self) -> ExitCode {
        eprintln!("error: {}", self.message);
        ExitCode::from(self.code)
    }
}

/// Turns a command's result into the process exit code.
pub fn finish(result: Result<(), Failure>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}
