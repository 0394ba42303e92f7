//! What the tests of the real binary share: running `eps-tracker --home HOME …` with
//! passwords on standard input, and reading what it printed. Each test file uses the part
//! it needs.
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

/// The first admin's password, as the tests make it.
pub const ROOT_PW: &str = "admin passphrase here\n";

/// Makes the first admin, `root` (Spine user 555000000009, admin at X26), in a new home.
pub fn with_admin(home: &Path) {
    let out = run(
        home,
        &[
            "user",
            "add",
            "root",
            "--name",
            "Root Admin",
            "--spine-user-id",
            "555000000009",
            "--profile",
            "555000000109:X26:admin",
            "--password-stdin",
        ],
        ROOT_PW,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

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

/// Runs `eps-tracker --home HOME --sandbox search --user helpdesk --nhs 9990548609` in a
/// pseudo-terminal, types the demo password at the no-echo prompt ending it with `enter`
/// (`\r`, or `\n` as a password manager or Ctrl-J sends it), and returns everything the
/// terminal showed: the output, then `EXIT=<code>`, then the terminal's modes (`stty -a`).
pub fn search_through_the_password_prompt(home: &Path, enter: &[u8]) -> String {
    use std::io::Read;
    use std::sync::mpsc::channel;
    use std::time::{Duration, Instant};

    use portable_pty::{CommandBuilder, PtySize, native_pty_system};

    let pty = native_pty_system()
        .openpty(PtySize {
            rows: 24,
            cols: 200,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut command = CommandBuilder::new("sh");
    command.args([
        "-c",
        "\"$0\" --home \"$1\" --sandbox search --user helpdesk --nhs 9990548609; \
         echo \"EXIT=$?\"; stty -a; echo END",
        env!("CARGO_BIN_EXE_eps-tracker"),
        home.to_str().unwrap(),
    ]);
    let mut child = pty.slave.spawn_command(command).unwrap();
    drop(pty.slave);
    let mut reader = pty.master.try_clone_reader().unwrap();
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        while let Ok(n) = reader.read(&mut buffer) {
            if n == 0 || tx.send(buffer[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut input = pty.master.take_writer().unwrap();
    let mut seen = String::new();
    let wait_for = |text: &str, seen: &mut String| {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !seen.contains(text) {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(bytes) => seen.push_str(&String::from_utf8_lossy(&bytes)),
                Err(_) => panic!("waited for {text:?}; the terminal shows:\n{seen}"),
            }
        }
    };
    wait_for("Password for helpdesk: ", &mut seen);
    input.write_all(b"sandbox-demo").unwrap();
    input.write_all(enter).unwrap();
    input.flush().unwrap();
    wait_for("END", &mut seen);
    let _ = child.wait();
    seen
}
