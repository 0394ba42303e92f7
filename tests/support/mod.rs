//! What the tests of the real binary share: running `eps-tracker --home HOME …` with
//! passwords on standard input, and reading what it printed. Each test file uses the part
//! it needs.
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

/// `eps-tracker --home HOME ARGS`, with piped standard streams and none of the variables a
/// person's shell might set (home, user, width) leaking in.
pub fn command(home: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_eps-tracker"));
    command
        .arg("--home")
        .arg(home)
        .args(args)
        .env_remove("EPS_TRACKER_HOME")
        .env_remove("EPS_TRACKER_USER")
        .env_remove("COLUMNS")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Writes `stdin` (passwords, one per line) to a started child.
pub fn feed(mut child: Child, stdin: &str) -> Child {
    if let Some(mut input) = child.stdin.take() {
        // The program may exit before reading (a usage error): a closed pipe is fine.
        let _ = input.write_all(stdin.as_bytes());
    }
    child
}

/// Runs `command` to the end with `stdin` on its standard input.
pub fn finish(mut command: Command, stdin: &str) -> Output {
    let child = command.spawn().expect("the binary runs");
    feed(child, stdin)
        .wait_with_output()
        .expect("the binary finishes")
}

/// Runs `eps-tracker --home HOME ARGS` to the end, feeding `stdin`.
pub fn run(home: &Path, args: &[&str], stdin: &str) -> Output {
    finish(command(home, args), stdin)
}

/// Runs `eps-tracker --home HOME --sandbox ARGS` to the end, feeding `stdin`.
pub fn run_sandbox(home: &Path, args: &[&str], stdin: &str) -> Output {
    let mut all = vec!["--sandbox"];
    all.extend_from_slice(args);
    run(home, &all, stdin)
}

pub fn code(output: &Output) -> i32 {
    output.status.code().unwrap_or(-1)
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
