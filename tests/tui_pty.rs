//! The real binary in a pseudo-terminal against the embedded sandbox, as a new user would
//! drive it: sign in as helpdesk, search 9990548609, open the repeat-dispensing
//! prescription, move through its issues, quit. The screen is read through a terminal
//! emulator (vt100); afterwards the shell's `stty` shows echo is back on.

use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::os::fd::{BorrowedFd, RawFd};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, MasterPty, PtySize, native_pty_system};
use rustix::event::{PollFd, PollFlags, Timespec, poll};

const WAIT: Duration = Duration::from_secs(30);
/// How long output must pause before the screen counts as drawn.
const SETTLE: Duration = Duration::from_millis(40);
/// The longest a closed terminal or SIGTERM may leave the app running.
const GONE_WITHIN: Duration = Duration::from_secs(3);

/// The terminal's side of the pseudo-terminal. Output is read on this thread, polled
/// with a timeout, so dropping the session closes the terminal for real (a reader thread
/// blocked in `read` would keep it open).
struct Session {
    parser: vt100::Parser,
    raw: Vec<u8>,
    reader: Box<dyn Read + Send>,
    input: Box<dyn Write + Send>,
    master: Box<dyn MasterPty + Send>,
    fd: RawFd,
    closed: bool,
}

impl Session {
    /// Reads what has arrived within `timeout`; `false` once the other side has closed.
    fn read_some(&mut self, timeout: Duration) -> bool {
        if self.closed {
            return false;
        }
        // SAFETY: `fd` is the master's descriptor, open as long as `self.master` lives,
        // and the borrow ends with this call.
        let fd = unsafe { BorrowedFd::borrow_raw(self.fd) };
        let mut fds = [PollFd::new(&fd, PollFlags::IN)];
        let timeout = Timespec {
            tv_sec: 0,
            tv_nsec: i64::from(timeout.subsec_nanos()),
        };
        if poll(&mut fds, Some(&timeout)).unwrap_or(0) == 0 {
            return true;
        }
        let mut buffer = [0u8; 8192];
        match self.reader.read(&mut buffer) {
            Ok(n) if n > 0 => {
                self.parser.process(&buffer[..n]);
                self.raw.extend_from_slice(&buffer[..n]);
                true
            }
            _ => {
                self.closed = true;
                false
            }
        }
    }

    /// Reads output until `done` holds for the screen, or fails after `WAIT` showing it.
    /// The screen is judged only once output pauses, so a frame is never judged half
    /// drawn.
    fn wait_until(&mut self, what: &str, done: impl Fn(&vt100::Screen) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let before = self.raw.len();
            let open = self.read_some(SETTLE);
            if open && self.raw.len() > before {
                continue;
            }
            if done(self.parser.screen()) {
                return self.parser.screen().contents();
            }
            assert!(
                open,
                "the terminal closed while waiting for {what}; the screen shows:\n{}",
                self.parser.screen().contents()
            );
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

type Child = Box<dyn portable_pty::Child + Send + Sync>;

/// Runs `command` in a new 80x24 pseudo-terminal.
fn spawn(mut command: CommandBuilder) -> (Session, Child) {
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
    let session = Session {
        parser: vt100::Parser::new(
            NonZeroU16::new(24).unwrap(),
            NonZeroU16::new(80).unwrap(),
            0,
        ),
        raw: Vec::new(),
        reader: pty.master.try_clone_reader().unwrap(),
        input: pty.master.take_writer().unwrap(),
        fd: pty.master.as_raw_fd().expect("a unix pty"),
        master: pty.master,
        closed: false,
    };
    (session, child)
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
    let (mut s, mut child) = spawn(command);

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
    let (mut s, mut child) = spawn(command);
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
        let (mut s, mut child) = spawn(command);
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

        let device = s.master.tty_name().expect("the terminal's device");
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

const NHS: &str = "9990548609";

/// The app against the embedded sandbox, signed in as helpdesk.
fn signed_in(home: &tempfile::TempDir) -> (Session, Child) {
    let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_eps-tracker"));
    command.args(["--home", home.path().to_str().unwrap(), "--sandbox"]);
    let (mut s, child) = spawn(command);
    s.wait_for("User ID");
    s.send("helpdesk\r");
    s.send("sandbox-demo\r");
    s.wait_for("Confidential");
    (s, child)
}

/// How long the process took to end, if it ended within `limit`.
fn ends_within(child: &mut Child, limit: Duration) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if child.try_wait().unwrap().is_some() {
            return Some(start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// The lock screen: the password asked for, nothing of the patient or the list left.
fn locked(screen: &vt100::Screen) -> bool {
    let text = screen.contents();
    text.contains("Password") && !text.contains(NHS) && !text.contains("Current (")
}

#[test]
fn twenty_locks_in_a_row_blank_the_screen_at_once_and_the_app_keeps_running() {
    let home = tempfile::tempdir().unwrap();
    let (mut s, mut child) = signed_in(&home);
    s.send(&format!("{NHS}\r"));
    s.wait_for("Current (");
    let mut slowest = Duration::ZERO;
    for round in 1..=20 {
        let pressed = Instant::now();
        s.send("\x0c");
        // Timed from the key to the first moment the screen is blank of patient data.
        while !locked(s.parser.screen()) {
            assert!(
                pressed.elapsed() < WAIT && s.read_some(Duration::from_millis(2)),
                "lock {round}: the screen still shows:\n{}",
                s.parser.screen().contents()
            );
        }
        slowest = slowest.max(pressed.elapsed());
        assert!(
            child.try_wait().unwrap().is_none(),
            "lock {round}: the app is still running"
        );
        s.wait_until("the lock screen settled", locked);
        s.send("sandbox-demo\r");
        s.wait_for("Current (");
    }
    eprintln!("slowest of 20 locks: {slowest:?}");
    // The measure for the README is the figure above; the bound here only catches the
    // old failure (a stale screen until the next key, or a crash after two seconds)
    // without failing on a loaded machine.
    assert!(
        slowest < Duration::from_secs(1),
        "slowest lock: {slowest:?}"
    );
    s.send("q");
    assert!(ends_within(&mut child, GONE_WITHIN).is_some());
    let trail = audit_text(&home);
    assert_eq!(trail.matches("\"lock\"").count(), 20, "{trail}");
    assert!(!trail.contains("idle_lock"), "{trail}");
}

/// Every audit record written under `home`, as text.
fn audit_text(home: &tempfile::TempDir) -> String {
    fn walk(dir: &std::path::Path, out: &mut String) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.components().any(|c| c.as_os_str() == "audit") {
                out.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
            }
        }
    }
    let mut out = String::new();
    walk(home.path(), &mut out);
    out
}

/// The states a user can leave the app in, and how to get there once signed in.
const STATES: [(&str, &str, &str); 6] = [
    ("query", "", "Confidential"),
    ("results", "9990548609\r", "Current ("),
    ("detail", "9990548609\r", "Current ("),
    ("help", "", "Confidential"),
    ("request in flight", "9990000018\r", "Confidential"),
    ("locked", "9990548609\r", "Current ("),
];

/// Brings a signed-in app to the named state.
fn reach(s: &mut Session, state: &str, keys: &str, shown: &str) {
    s.send(keys);
    s.wait_for(shown);
    match state {
        "detail" => {
            s.send("\r");
            s.wait_for("Status ");
        }
        "help" => {
            // F1: in the NHS number field `?` is text.
            s.send("\x1bOP");
            s.wait_for("Keys (from your keymap");
        }
        "locked" => {
            s.send("\x0c");
            s.wait_until("the lock screen", locked);
        }
        _ => {}
    }
}

#[test]
fn closing_the_terminal_ends_the_app_in_every_state() {
    for (state, keys, shown) in STATES {
        let home = tempfile::tempdir().unwrap();
        let (mut s, mut child) = signed_in(&home);
        reach(&mut s, state, keys, shown);
        // The terminal goes: the window closed, the SSH connection dropped.
        drop(s);
        let took = ends_within(&mut child, GONE_WITHIN);
        if took.is_none() {
            let _ = child.kill();
        }
        assert!(
            took.is_some(),
            "{state}: still running after the terminal closed"
        );
        eprintln!("{state}: ended {took:?} after the terminal closed");
        let trail = audit_text(&home);
        assert!(
            trail.contains("\"sign_out\"") && trail.contains("hangup"),
            "{state}: the session's end is recorded as a hang-up:\n{trail}\n{}",
            std::fs::read_to_string(home.path().join("sandbox/logs/eps-tracker.log"))
                .unwrap_or_default()
        );
    }
    // And before anyone signed in.
    let home = tempfile::tempdir().unwrap();
    let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_eps-tracker"));
    command.args(["--home", home.path().to_str().unwrap(), "--sandbox"]);
    let (mut s, mut child) = spawn(command);
    s.wait_for("User ID");
    drop(s);
    assert!(ends_within(&mut child, GONE_WITHIN).is_some(), "sign-in");
}

#[test]
fn sigterm_ends_the_app_in_every_state() {
    for (state, keys, shown) in STATES {
        let home = tempfile::tempdir().unwrap();
        let (mut s, mut child) = signed_in(&home);
        reach(&mut s, state, keys, shown);
        let pid = child.process_id().unwrap().to_string();
        let killed = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(killed.success());
        let took = ends_within(&mut child, GONE_WITHIN);
        if took.is_none() {
            let _ = child.kill();
        }
        assert!(took.is_some(), "{state}: still running after SIGTERM");
        eprintln!("{state}: ended {took:?} after SIGTERM");
        if state == "request in flight" {
            let trail = audit_text(&home);
            assert!(
                trail.contains("\"cancelled\""),
                "the request in flight gets its outcome:\n{trail}"
            );
        }
        drop(s);
    }
}

#[test]
fn esc_on_a_slow_search_records_it_as_cancelled() {
    let home = tempfile::tempdir().unwrap();
    let (mut s, mut child) = signed_in(&home);
    // The sandbox answers this patient after three seconds.
    s.send("9990000018\r");
    s.wait_for("Searching");
    s.send("\x1b");
    s.wait_for("Cancelled");
    // Ctrl-C: the NHS number field still has the focus, where `q` is text.
    s.send("\x03");
    assert!(ends_within(&mut child, GONE_WITHIN).is_some());
    let trail = audit_text(&home);
    let attempts = trail.matches("\"search_attempt\"").count();
    let cancelled = trail
        .lines()
        .filter(|l| l.contains("\"search_result\"") && l.contains("\"cancelled\""))
        .count();
    assert_eq!((attempts, cancelled), (1, 1), "{trail}");
}

/// Issue 12: a search by NHS number shows who the patient is above the prescriptions (from
/// the sandbox's PDS), Ctrl-N clears it for the next caller, and the log names no one.
#[test]
fn a_search_by_nhs_number_shows_the_patient_banner_and_the_log_names_no_one() {
    let home = tempfile::tempdir().unwrap();
    let (mut s, mut child) = signed_in(&home);
    s.send(&format!("{NHS}\r"));
    let screen = s.wait_until("the banner and the prescriptions", |screen| {
        let c = screen.contents();
        c.contains("WHITFIELD-JONES") && c.contains("Current (")
    });
    let banner = screen
        .lines()
        .find(|l| l.contains("WHITFIELD-JONES"))
        .unwrap();
    assert!(banner.contains("Eleanor"), "{screen}");
    assert!(banner.contains("14 Mar 1958"), "{screen}");
    // The whole short line fits 80 columns, GP practice included.
    assert!(banner.contains("LS6 3HN · GP Y90001"), "{screen}");
    // The banner is above the prescriptions.
    let row = |text: &str| screen.lines().position(|l| l.contains(text)).unwrap();
    assert!(row("WHITFIELD-JONES") < row("Current ("), "{screen}");

    s.send("\x0e");
    s.wait_until("the banner cleared for a new caller", |screen| {
        !screen.contents().contains("WHITFIELD-JONES")
    });
    s.send("\x03");
    assert!(
        ends_within(&mut child, GONE_WITHIN).is_some(),
        "Ctrl-C ends the app"
    );

    let log = std::fs::read_to_string(home.path().join("sandbox/logs/eps-tracker.log")).unwrap();
    assert!(log.contains("patient look-up done"), "{log}");
    for secret in [
        "Whitfield",
        "WHITFIELD",
        "Eleanor",
        "1958",
        "LS6",
        "Orchard",
    ] {
        assert!(!log.contains(secret), "{secret} in the log:\n{log}");
    }
}

/// Issue 12's "done when": patient details (last name, date of birth) reach the same
/// patient and prescriptions as their NHS number; the two Patels ask for the first name,
/// and with it the right one is found.
#[test]
fn finding_a_patient_by_details_reaches_their_prescriptions() {
    let home = tempfile::tempdir().unwrap();
    let (mut s, mut child) = signed_in(&home);
    // Ctrl-T twice: retrieve by ID, then patient details.
    s.send("\x14\x14");
    s.wait_for("Last name");
    s.send("Whitfield-Jones");
    s.send("\x1b[B");
    s.send("14/03/1958\r");
    let screen = s.wait_until("the patient and their prescriptions", |screen| {
        let c = screen.contents();
        c.contains("WHITFIELD-JONES") && c.contains("Current (")
    });
    assert!(screen.contains("14 Mar 1958"), "{screen}");

    // A new caller: the Patel pair share a last name and date of birth.
    s.send("\x0e");
    s.wait_until("cleared", |screen| {
        !screen.contents().contains("WHITFIELD-JONES")
    });
    s.send("\x14\x14");
    s.wait_for("Last name");
    s.send("Patel");
    s.send("\x1b[B");
    s.send("12/07/1985\r");
    let screen = s.wait_for("add the first name");
    assert!(!screen.contains("Current ("), "{screen}");
    s.send("\x1b[B");
    s.send("Anjali\r");
    let screen = s.wait_until("Anjali Patel found", |screen| {
        let c = screen.contents();
        c.contains("Anjali PATEL") && c.contains("(")
    });
    assert!(!screen.contains("add the first name"), "{screen}");
    s.send("\x03");
    assert!(
        ends_within(&mut child, GONE_WITHIN).is_some(),
        "Ctrl-C ends the app"
    );

    let log = std::fs::read_to_string(home.path().join("sandbox/logs/eps-tracker.log")).unwrap();
    assert!(log.contains("patient search done"), "{log}");
    for secret in ["Whitfield", "Patel", "Anjali", "1958", "1985"] {
        assert!(!log.contains(secret), "{secret} in the log:\n{log}");
    }
}

#[test]
fn locking_the_account_while_signed_in_ends_the_session_at_the_next_request() {
    let home = tempfile::tempdir().unwrap();
    let (mut s, mut child) = signed_in(&home);
    s.send(&format!("{NHS}\r"));
    s.wait_for("Current (");
    // An administrator locks the account from another terminal.
    let mut admin = std::process::Command::new(env!("CARGO_BIN_EXE_eps-tracker"))
        .args(["--home", home.path().to_str().unwrap(), "--sandbox"])
        .args([
            "user",
            "lock",
            "helpdesk",
            "--as",
            "admin",
            "--password-stdin",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    admin
        .stdin
        .take()
        .unwrap()
        .write_all(b"sandbox-demo\n")
        .unwrap();
    let out = admin.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The next request (the same search again) finds the account locked.
    s.send("n\r");
    let screen = s.wait_for("Your session has ended");
    assert!(screen.contains("User ID"), "back at sign-in:\n{screen}");
    assert!(!screen.contains(NHS), "no patient data left:\n{screen}");
    assert!(!screen.contains("Current ("), "no list left:\n{screen}");
    s.send("\x03");
    assert!(ends_within(&mut child, GONE_WITHIN).is_some());
    let trail = audit_text(&home);
    assert!(
        trail
            .lines()
            .any(|l| l.contains("\"session_revoked\"") && l.contains("locked by an administrator")),
        "{trail}"
    );
    assert!(trail.contains("\"sign_out\""), "{trail}");
}
