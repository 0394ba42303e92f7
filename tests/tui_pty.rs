//! The real binary in a pseudo-terminal against the embedded sandbox, as a new user would
//! drive it: sign in as helpdesk, search 9990548609, open the repeat-dispensing
//! prescription, move through its issues, quit. The screen is read through a terminal
//! emulator (vt100); afterwards the shell's `stty` shows echo is back on.

use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::thread;
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

const WAIT: Duration = Duration::from_secs(30);
/// How long output must pause before the screen counts as drawn.
const SETTLE: Duration = Duration::from_millis(40);

struct Session {
    parser: vt100::Parser,
    raw: Vec<u8>,
    output: Receiver<Vec<u8>>,
    input: Box<dyn Write + Send>,
}

impl Session {
    /// Reads output until `done` holds for the screen, or fails after `WAIT` showing it.
    /// The screen is judged only once output pauses, so a frame is never judged half
    /// drawn.
    fn wait_until(&mut self, what: &str, done: impl Fn(&vt100::Screen) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            match self.output.recv_timeout(SETTLE) {
                Ok(bytes) => {
                    self.parser.process(&bytes);
                    self.raw.extend_from_slice(&bytes);
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) if !done(self.parser.screen()) => panic!(
                    "the terminal closed while waiting for {what}; the screen shows:\n{}",
                    self.parser.screen().contents()
                ),
                Err(_) => {}
            }
            if done(self.parser.screen()) {
                return self.parser.screen().contents();
            }
            assert!(
                Instant::now() < deadline,
                "waited {WAIT:?} for {what}; the screen shows:\n{}",
                self.parser.screen().contents()
            );
        }
    }

    fn wait_for(&mut self, text: &str) -> String {
        self.wait_until(&format!("{text:?}"), |s| s.contents().contains(text))
    }

    fn send(&mut self, keys: &str) {
        self.input.write_all(keys.as_bytes()).unwrap();
        self.input.flush().unwrap();
    }

    /// The number after "Issue" in the detail pane.
    fn shown_issue(&self) -> Option<u32> {
        self.parser.screen().contents().lines().find_map(|line| {
            let rest = line
                .trim_start_matches(['┃', '│', ' '])
                .strip_prefix("Issue ")?;
            rest.split_whitespace().next()?.parse().ok()
        })
    }
}

/// Runs `command` in a new 80x24 pseudo-terminal.
fn spawn(
    mut command: CommandBuilder,
) -> (
    Session,
    Box<dyn portable_pty::Child + Send + Sync>,
    Box<dyn portable_pty::MasterPty + Send>,
) {
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: 24,
            cols: 80,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    command.env("TERM", "xterm-256color");
    command.env_remove("NO_COLOR");
    let child = pty.slave.spawn_command(command).unwrap();
    drop(pty.slave);
    let mut reader = pty.master.try_clone_reader().unwrap();
    let (tx, rx) = channel();
    thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        while let Ok(n) = reader.read(&mut buffer) {
            if n == 0 || tx.send(buffer[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let session = Session {
        parser: vt100::Parser::new(
            NonZeroU16::new(24).unwrap(),
            NonZeroU16::new(80).unwrap(),
            0,
        ),
        raw: Vec::new(),
        output: rx,
        input: pty.master.take_writer().unwrap(),
    };
    (session, child, pty.master)
}

#[test]
fn sign_in_search_open_erd_move_issues_quit_and_the_terminal_is_restored() {
    let home = tempfile::tempdir().unwrap();
    // A shell runs the app, then reports the exit code and the terminal's modes, as the
    // user's shell would find them.
    let mut command = CommandBuilder::new("sh");
    command.args([
        "-c",
        "\"$0\" --home \"$1\" --sandbox; echo \"EXIT=$?\"; stty -a; echo END",
        env!("CARGO_BIN_EXE_eps-tracker"),
        home.path().to_str().unwrap(),
    ]);
    let (mut s, mut child, _master) = spawn(command);

    let screen = s.wait_for("User ID");
    assert!(screen.contains("SANDBOX"), "{screen}");
    assert!(
        screen.contains("helpdesk, pharmacist, clinician, auditor, admin"),
        "{screen}"
    );

    s.send("helpdesk\r");
    s.send("sandbox-demo\r");
    let screen = s.wait_for("Confidential");
    assert!(screen.contains("Demo Helpdesk"), "{screen}");

    s.send("9990548609\r");
    let screen = s.wait_for("Current (");
    assert!(screen.contains("Future ("), "{screen}");
    assert!(screen.contains("Past ("), "{screen}");

    // Find the repeat-dispensing prescription: filter each group for "eRD".
    let mut found = false;
    for group in ["1", "2", "3"] {
        s.send(group);
        s.wait_for(&format!("[{group} "));
        s.send("/eRD");
        let screen = s.wait_for("Filter: eRD");
        if screen
            .lines()
            .any(|l| l.contains(" eRD ") && !l.contains("Filter:"))
        {
            s.send("\r");
            found = true;
            break;
        }
        // Esc clears the filter and leaves it.
        s.send("\x1b");
        s.wait_until("the filter cleared", |s| !s.contents().contains("Filter:"));
    }
    assert!(found, "no repeat-dispensing prescription listed");

    s.wait_until("the filter field closed", |s| s.hide_cursor());
    s.send("\r");
    let screen = s.wait_until("the detail of the eRD prescription", |s| {
        let c = s.contents();
        c.contains("Repeat Dispensing") && c.contains("Status ")
    });
    assert!(
        screen.contains("Next:"),
        "an explanation under the status:\n{screen}"
    );
    let first = s
        .shown_issue()
        .unwrap_or_else(|| panic!("no issue number shown:\n{screen}"));

    s.send("]");
    let screen = s.wait_until("the next issue", |screen| {
        let c = screen.contents();
        c.contains(&format!("Issue          {}", first + 1)) || c.contains("does not exist")
    });
    assert!(screen.contains("Prescription"), "{screen}");
    s.send("[");
    s.wait_until("back to the first issue", |screen| {
        screen
            .contents()
            .contains(&format!("Issue          {first}"))
    });

    s.send("?");
    s.wait_for("Keys (from your keymap");
    s.send("\x1b");
    s.wait_until("help closed", |s| {
        !s.contents().contains("Keys (from your keymap")
    });
    s.send("q");
    let screen = s.wait_for("END");
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert!(
        !s.parser.screen().alternate_screen(),
        "left the alternate screen"
    );
    let tty = String::from_utf8_lossy(&s.raw);
    let entered = tty
        .rfind("\x1b[?1049h")
        .expect("entered the alternate screen");
    let left = tty.rfind("\x1b[?1049l").expect("left the alternate screen");
    assert!(left > entered);
    let modes = &tty[left..];
    assert!(
        modes.contains(" echo ") || modes.contains(" echo\r"),
        "echo is back on:\n{modes}"
    );
    assert!(!modes.contains("-echo "), "{modes}");
    assert!(!modes.contains("-icanon"), "{modes}");
    assert!(child.wait().unwrap().success());

    // Logs went to the file, and hold no patient identifiers.
    let log = std::fs::read_to_string(home.path().join("sandbox/logs/eps-tracker.log")).unwrap();
    assert!(log.contains("terminal app finished"), "{log}");
    assert!(!log.contains("9990548609"), "{log}");
}

/// The 12-issue eRD whose current issue (4) was issued months ago: the default search
/// finds it, `]` steps to issue 12, and one more `]` says it is the last without asking
/// Spine for an issue 13.
#[test]
fn the_default_search_finds_the_long_erd_and_steps_to_its_last_issue_without_a_request_past_it() {
    let home = tempfile::tempdir().unwrap();
    let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_eps-tracker"));
    command.args(["--home", home.path().to_str().unwrap(), "--sandbox"]);
    let (mut s, mut child, _master) = spawn(command);
    s.wait_for("User ID");
    s.send("helpdesk\r");
    s.send("sandbox-demo\r");
    s.wait_for("Confidential");

    s.send("9990100101\r");
    let screen = s.wait_for("Current (");
    assert!(screen.contains("eRD 4/12"), "found by default:\n{screen}");
    assert!(
        screen.contains(" – "),
        "the window searched is shown:\n{screen}"
    );
    s.send("\r");
    let screen = s.wait_for("Issue          4 of 12 (the current issue)");
    assert!(screen.contains("With Dispenser - Active"), "{screen}");
    for n in 5..=12 {
        s.send("]");
        s.wait_for(&format!("Issue          {n} of 12 (current: 4)"));
    }
    s.send("]");
    let screen = s.wait_for("Issue 12 is the last of 12.");
    assert!(screen.contains("Issue          12 of 12"), "{screen}");
    assert!(!screen.contains("Error"), "{screen}");

    // One retrieve for the current issue and one for each of 5 to 12: none for 13.
    let trail = std::fs::read_to_string(home.path().join("sandbox/audit/audit.jsonl")).unwrap();
    let retrieves = trail
        .lines()
        .filter(|l| l.contains("\"retrieve_attempt\""))
        .count();
    assert_eq!(retrieves, 9, "{trail}");
    s.send("q");
    assert!(child.wait().unwrap().success());
}

#[test]
fn sigterm_and_sighup_restore_the_terminal_and_wipe_the_screen() {
    for signal in ["TERM", "HUP"] {
        let home = tempfile::tempdir().unwrap();
        let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_eps-tracker"));
        command.args(["--home", home.path().to_str().unwrap(), "--sandbox"]);
        let (mut s, mut child, master) = spawn(command);
        s.wait_for("User ID");
        s.send("helpdesk\r");
        s.send("sandbox-demo\r");
        s.wait_for("Confidential");
        s.send("9990548609\r");
        s.wait_for("Current (");

        let pid = child.process_id().unwrap().to_string();
        let killed = std::process::Command::new("kill")
            .args([format!("-{signal}"), pid])
            .status()
            .unwrap();
        assert!(killed.success());
        let status = child.wait().unwrap();
        assert!(
            status.success(),
            "SIG{signal}: a clean exit, not a crash: {status:?}"
        );
        s.wait_until("the last output", |screen| !screen.alternate_screen());
        let tty = String::from_utf8_lossy(&s.raw);
        let entered = tty.rfind("\x1b[?1049h").unwrap();
        let left = tty.rfind("\x1b[?1049l").expect("left the alternate screen");
        let cleared = tty.rfind("\x1b[2J").expect("wiped the screen");
        assert!(
            entered < cleared && cleared < left,
            "SIG{signal}: wiped, then left"
        );
        assert!(
            tty[left..].contains("\x1b[?25h"),
            "SIG{signal}: cursor shown again"
        );

        let device = master.tty_name().expect("the terminal's device");
        let modes = std::process::Command::new("stty")
            .args(["-a", "-F"])
            .arg(&device)
            .output()
            .unwrap();
        let modes = String::from_utf8_lossy(&modes.stdout);
        assert!(
            modes.contains(" echo "),
            "SIG{signal}: echo back on:\n{modes}"
        );
        assert!(
            modes.contains(" icanon"),
            "SIG{signal}: line mode back:\n{modes}"
        );
    }
}
