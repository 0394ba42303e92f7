//! The real binary end to end, in a temporary home: first run, user administration,
//! `audit verify`/`show`/`path`, and (against the embedded sandbox) `search` and `get`
//! with their exit codes.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Runs `eps-tracker --home HOME ARGS`, feeding `stdin` (passwords, one per line).
fn run(home: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_eps-tracker"))
        .arg("--home")
        .arg(home)
        .args(args)
        .env_remove("EPS_TRACKER_HOME")
        .env_remove("EPS_TRACKER_USER")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    if let Some(mut input) = child.stdin.take() {
        // The program may exit before reading (a usage error): a closed pipe is fine.
        let _ = input.write_all(stdin.as_bytes());
    }
    child.wait_with_output().expect("the binary finishes")
}

fn code(output: &Output) -> i32 {
    output.status.code().unwrap_or(-1)
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

const ROOT_PW: &str = "admin passphrase here\n";

fn with_admin(home: &Path) {
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

#[test]
fn the_first_run_explains_how_to_create_the_first_admin() {
    let home = tempfile::tempdir().unwrap();
    let out = run(
        home.path(),
        &["user", "list", "--as", "root", "--password-stdin"],
        "x\n",
    );
    assert_eq!(code(&out), 3);
    assert!(
        stderr(&out).contains("eps-tracker user add"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_admin_manages_users_and_others_cannot() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    with_admin(home);
    let add_hd = |password_lines: &str| {
        run(
            home,
            &[
                "user",
                "add",
                "hd",
                "--name",
                "Help Desk",
                "--spine-user-id",
                "555000000001",
                "--profile",
                "555000000101:X26:helpdesk",
                "--as",
                "root",
                "--password-stdin",
            ],
            password_lines,
        )
    };
    let weak = add_hd("admin passphrase here\nshort\n");
    assert_eq!(code(&weak), 2, "{}", stderr(&weak));
    assert!(stderr(&weak).contains("at least 12"), "{}", stderr(&weak));
    let out = add_hd("admin passphrase here\nhelpdesk passphrase\n");
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    let listed = run(
        home,
        &["user", "list", "--as", "root", "--password-stdin"],
        ROOT_PW,
    );
    assert_eq!(code(&listed), 0, "{}", stderr(&listed));
    assert!(
        stdout(&listed).contains("555000000101:X26:helpdesk"),
        "{}",
        stdout(&listed)
    );

    let denied = run(
        home,
        &["user", "remove", "root", "--as", "hd", "--password-stdin"],
        "helpdesk passphrase\n",
    );
    assert_eq!(code(&denied), 3);
    assert!(
        stderr(&denied).contains("the helpdesk role cannot administer users"),
        "{}",
        stderr(&denied)
    );
    let wrong = run(
        home,
        &["user", "list", "--as", "root", "--password-stdin"],
        "nope\n",
    );
    assert_eq!(code(&wrong), 3);
    assert!(stderr(&wrong).contains("user ID or password is not right"));

    let bad_profile = run(
        home,
        &[
            "user",
            "roles",
            "hd",
            "--add",
            "55500000010:X26:helpdesk",
            "--as",
            "root",
            "--password-stdin",
        ],
        ROOT_PW,
    );
    assert_eq!(code(&bad_profile), 2);
    assert!(
        stderr(&bad_profile).contains("12 digits"),
        "{}",
        stderr(&bad_profile)
    );
}

#[test]
fn audit_verify_path_and_a_changed_byte() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    with_admin(home);
    let path = run(home, &["audit", "path"], "");
    assert_eq!(code(&path), 0);
    let trail = stdout(&path).trim().to_owned();
    assert_eq!(Path::new(&trail), home.join("audit").join("audit.jsonl"));
    let verified = run(home, &["audit", "verify"], "");
    assert_eq!(code(&verified), 0, "{}", stdout(&verified));
    assert!(stdout(&verified).contains("intact"));

    let mut bytes = std::fs::read(&trail).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x01;
    std::fs::write(&trail, bytes).unwrap();
    let tampered = run(home, &["audit", "verify"], "");
    assert_eq!(code(&tampered), 1, "{}", stdout(&tampered));
    assert!(
        stdout(&tampered).contains("TAMPERED at line"),
        "{}",
        stdout(&tampered)
    );
}

#[test]
fn a_bad_role_mapping_is_refused_at_start_with_its_line() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        "[roles]\nhelpdesk = [\"tracker.search\"]\nauditor = [\"audit.reed\"]\n",
    )
    .unwrap();
    let out = run(
        home.path(),
        &["user", "list", "--as", "root", "--password-stdin"],
        "x\n",
    );
    assert_eq!(code(&out), 2);
    let message = stderr(&out);
    assert!(message.contains("config.toml"), "{message}");
    assert!(message.contains("line 3"), "{message}");
    assert!(message.contains("audit.reed"), "{message}");
}

#[test]
fn a_user_store_others_can_read_is_refused_with_the_fix() {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().unwrap();
    with_admin(home.path());
    let users = home.path().join("users.toml");
    std::fs::set_permissions(&users, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = run(
        home.path(),
        &["user", "list", "--as", "root", "--password-stdin"],
        ROOT_PW,
    );
    assert_eq!(code(&out), 3);
    assert!(stderr(&out).contains("chmod 600"), "{}", stderr(&out));
}
