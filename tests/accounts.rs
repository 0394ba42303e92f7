//! Accounts against the real binary, in a temporary home: the lockout under parallel
//! guessing (separate processes, as an attacker would run them) and the one answer for
//! every refused sign-in.

mod support;

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use support::{ROOT_PW, code, command, feed, run, stderr, with_admin};

const HD_PW: &str = "helpdesk passphrase\n";

/// A home with an admin `root` and a helpdesk user `hd`.
fn home_with_users(home: &Path) {
    with_admin(home);
    let out = run(
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
        &format!("{ROOT_PW}{HD_PW}"),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

/// The reasons of the `sign_in_failed` records, in order.
fn failure_reasons(home: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(home.join("audit/audit.jsonl")).unwrap();
    text.lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|record| record["event"] == "sign_in_failed")
        .map(|record| record["reason"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn twenty_parallel_wrong_passwords_check_at_most_five() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    home_with_users(home);
    // Start all twenty before any is given its password, so they race for real.
    let children: Vec<Child> = (0..20)
        .map(|_| {
            command(home, &["user", "list", "--as", "hd", "--password-stdin"])
                .spawn()
                .expect("the binary runs")
        })
        .collect();
    let children: Vec<Child> = children
        .into_iter()
        .map(|child| feed(child, "wrong guess here\n"))
        .collect();
    let mut messages = Vec::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert_eq!(code(&out), 3, "{}", stderr(&out));
        messages.push(stderr(&out));
    }
    let reasons = failure_reasons(home);
    assert_eq!(reasons.len(), 20, "{reasons:?}");
    let checked = reasons.iter().filter(|r| *r == "wrong password").count();
    assert_eq!(checked, 5, "{reasons:?}");
    let refused = reasons
        .iter()
        .filter(|r| *r == "account locked out")
        .count();
    assert_eq!(refused, 15, "{reasons:?}");
    // Every one of them read the same, locked out or not.
    messages.dedup();
    assert_eq!(messages.len(), 1, "{messages:?}");

    // Now the right password is refused too, in the same words as an unknown user.
    let right = run(
        home,
        &["user", "list", "--as", "hd", "--password-stdin"],
        HD_PW,
    );
    let unknown = run(
        home,
        &["user", "list", "--as", "nobody", "--password-stdin"],
        HD_PW,
    );
    assert_eq!(code(&right), 3);
    assert_eq!(code(&unknown), 3);
    assert_eq!(stderr(&right), stderr(&unknown));
    assert!(!stderr(&right).contains("locked"), "{}", stderr(&right));
}

/// The no-echo prompt on a real terminal takes a line ending in `\n` (Ctrl-J in raw mode,
/// as a password manager or an Enter typed ahead sends it) as Enter, and echoes nothing.
#[test]
fn the_password_prompt_takes_ctrl_j_as_enter() {
    let home = tempfile::tempdir().unwrap();
    let seen = support::search_through_the_password_prompt(home.path(), b"\n");
    assert!(seen.contains("EXIT=0"), "{seen}");
    assert!(!seen.contains("sandbox-demo"), "echoed:\n{seen}");
}

/// Every sign-in records the SHA-256 of the settings in force; an edit between two sign-ins
/// is recorded as `config_changed` naming the sections.
#[test]
fn a_settings_edit_between_two_sign_ins_is_recorded_by_section() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    home_with_users(home);
    let list = || {
        let out = run(
            home,
            &["user", "list", "--as", "root", "--password-stdin"],
            ROOT_PW,
        );
        assert_eq!(code(&out), 0, "{}", stderr(&out));
    };
    list();
    list();
    std::fs::write(
        home.join("config.toml"),
        "[roles]\nhelpdesk = [\"tracker.search\", \"tracker.retrieve\", \"tracker.clinical\"]\n",
    )
    .unwrap();
    list();
    let text = std::fs::read_to_string(home.join("audit/audit.jsonl")).unwrap();
    let records: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    let sign_ins: Vec<&str> = records
        .iter()
        .filter(|r| r["event"] == "sign_in")
        .map(|r| r["reason"].as_str().unwrap_or_default())
        .collect();
    assert!(sign_ins.len() >= 3, "{sign_ins:?}");
    assert!(
        sign_ins.iter().all(|r| r.starts_with("settings SHA-256 ")),
        "{sign_ins:?}"
    );
    let changes: Vec<&str> = records
        .iter()
        .filter(|r| r["event"] == "config_changed")
        .map(|r| r["reason"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert!(
        changes[0].starts_with("changed since the previous sign-in: roles;"),
        "{changes:?}"
    );

    // A settings file others can change is refused, naming the fix.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        home.join("config.toml"),
        std::fs::Permissions::from_mode(0o666),
    )
    .unwrap();
    let out = run(
        home,
        &["user", "list", "--as", "root", "--password-stdin"],
        ROOT_PW,
    );
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("chmod go-w"), "{}", stderr(&out));
}

/// Runs the binary with no `--home`, under the test-only system settings file `system`.
fn run_managed(system: &Path, args: &[&str], envs: &[(&str, &Path)], stdin: &str) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_eps-tracker"));
    command
        .args(args)
        .env_remove("EPS_TRACKER_HOME")
        .env_remove("EPS_TRACKER_USER")
        .env("EPS_TRACKER_TEST_SYSTEM_CONFIG", system)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in envs {
        command.env(name, value);
    }
    let child = command.spawn().expect("the binary runs");
    feed(child, stdin)
        .wait_with_output()
        .expect("the binary finishes")
}

/// A managed install: the root-owned system file fixes the home; `--home` and
/// `EPS_TRACKER_HOME` are refused with exit 2; the first admin comes from `init`; a system
/// file others could change, or a symlink, stops everything until fixed.
#[cfg(unix)]
#[test]
fn a_managed_install_fixes_the_home() {
    use std::os::unix::fs::PermissionsExt;
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: the system settings file must be owned by root, and this is not root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let managed_home = dir.path().join("managed");
    let other = dir.path().join("other");
    let system = dir.path().join("system.toml");
    std::fs::write(
        &system,
        format!("[managed]\nhome = \"{}\"\n", managed_home.display()),
    )
    .unwrap();
    std::fs::set_permissions(&system, std::fs::Permissions::from_mode(0o644)).unwrap();

    let list = ["user", "list", "--as", "root", "--password-stdin"];
    let mut with_flag = vec!["--home", other.to_str().unwrap()];
    with_flag.extend(list);
    for out in [
        run_managed(&system, &with_flag, &[], ROOT_PW),
        run_managed(&system, &list, &[("EPS_TRACKER_HOME", &other)], ROOT_PW),
    ] {
        assert_eq!(code(&out), 2, "{}", stderr(&out));
        assert!(stderr(&out).contains("managed install"), "{}", stderr(&out));
    }
    assert!(!other.exists(), "nothing may be written to the other home");

    let admin = [
        "root",
        "--name",
        "Root Admin",
        "--spine-user-id",
        "555000000009",
        "--profile",
        "555000000109:X26:admin",
        "--password-stdin",
    ];
    let mut user_add = vec!["user", "add"];
    user_add.extend(admin);
    let out = run_managed(&system, &user_add, &[], ROOT_PW);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("eps-tracker init"),
        "{}",
        stderr(&out)
    );
    let mut init = vec!["init"];
    init.extend(admin);
    let out = run_managed(&system, &init, &[], ROOT_PW);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(managed_home.join("users.toml").exists());
    let out = run_managed(&system, &list, &[], ROOT_PW);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let again = run_managed(&system, &init, &[], ROOT_PW);
    assert_eq!(code(&again), 2, "{}", stderr(&again));

    // The sandbox, which cannot reach Spine, still works with its own home.
    let sandbox = run_managed(
        &system,
        &[
            "--sandbox",
            "--home",
            other.to_str().unwrap(),
            "user",
            "list",
            "--as",
            "admin",
            "--password-stdin",
        ],
        &[],
        "sandbox-demo\n",
    );
    assert_eq!(code(&sandbox), 0, "{}", stderr(&sandbox));

    std::fs::set_permissions(&system, std::fs::Permissions::from_mode(0o666)).unwrap();
    let out = run_managed(&system, &list, &[], ROOT_PW);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("chmod go-w"), "{}", stderr(&out));
    std::fs::set_permissions(&system, std::fs::Permissions::from_mode(0o644)).unwrap();
    let link = dir.path().join("link.toml");
    std::os::unix::fs::symlink(&system, &link).unwrap();
    let out = run_managed(&link, &list, &[], ROOT_PW);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("symbolic link"), "{}", stderr(&out));
}

/// A right password that starts no session (several role profiles, none chosen) is
/// recorded, does not list the profiles, and does not reset the failure count.
#[test]
fn a_right_password_without_a_role_profile_is_recorded_and_keeps_the_count() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    home_with_users(home);
    let out = run(
        home,
        &[
            "user",
            "roles",
            "hd",
            "--add",
            "555000000102:A83008:clinician",
            "--as",
            "root",
            "--password-stdin",
        ],
        ROOT_PW,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let hd_list = ["user", "list", "--as", "hd", "--password-stdin"];
    for _ in 0..4 {
        let out = run(home, &hd_list, "wrong guess here\n");
        assert_eq!(code(&out), 3, "{}", stderr(&out));
    }
    let out = run(home, &hd_list, HD_PW);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("--role-profile"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("555000000101"), "{}", stderr(&out));
    // The fifth wrong guess still locks the account.
    let out = run(home, &hd_list, "wrong guess here\n");
    assert_eq!(code(&out), 3);
    let reasons = failure_reasons(home);
    assert!(
        reasons
            .iter()
            .any(|r| r == "right password, no session: several role profiles, none chosen"),
        "{reasons:?}"
    );
    let text = std::fs::read_to_string(home.join("audit/audit.jsonl")).unwrap();
    assert!(
        text.contains("\"event\":\"lockout\""),
        "no lockout:\n{text}"
    );
}
