//! The CLI against the embedded sandbox as the helpdesk uses it: the default search window
//! finds long-running repeat dispensing, the window searched is on stderr, the setting
//! gives Spine's own 28 days back, and mistyped NHS numbers are refused without naming a
//! digit.

mod support;

use std::path::Path;
use std::process::Output;

const DEMO_PW: &str = "sandbox-demo\n";

/// Runs `eps-tracker --home HOME --sandbox search --user helpdesk --password-stdin ARGS`.
fn search(home: &Path, args: &[&str]) -> Output {
    let mut all = vec!["search", "--user", "helpdesk", "--password-stdin"];
    all.extend_from_slice(args);
    support::run_sandbox(home, &all, DEMO_PW)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_default_window_finds_long_running_repeat_dispensing_and_says_what_it_searched() {
    let home = tempfile::tempdir().unwrap();
    for (nhs, id) in [
        ("9990100101", "69F233"),
        ("9990100098", "D5F818-Y90003-94F77K"),
    ] {
        let out = search(home.path(), &["--nhs", nhs]);
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert_eq!(out.status.code(), Some(0), "{nhs}: {stderr}");
        if nhs == "9990100098" {
            assert!(stdout.contains(id), "{stdout}");
        }
        // "searching NHS number 999 010 0101 · 30 Nov 2024 – 30 Nov 2026"
        let line = stderr
            .lines()
            .find(|l| l.starts_with("searching NHS number"))
            .unwrap_or_else(|| panic!("no window line: {stderr}"));
        assert!(line.contains(" – "), "{line}");
        assert!(!line.contains("20-"), "people's dates, not ISO: {line}");
    }
}

#[test]
fn a_window_of_28_days_is_spines_own_and_the_empty_answer_says_what_was_searched() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join("sandbox")).unwrap();
    std::fs::write(
        home.path().join("sandbox/config.toml"),
        "[search]\ndefault_window_days = 28\n",
    )
    .unwrap();
    let out = search(home.path(), &["--nhs", "9990100098"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("searching NHS number 999 010 0098 · "),
        "{stderr}"
    );
    // A typed --from still wins over the setting.
    let out = search(home.path(), &["--nhs", "9990100098", "--from=-120d"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn mistyped_and_never_issued_numbers_are_refused_without_naming_a_digit() {
    let home = tempfile::tempdir().unwrap();
    for nhs in ["9990548608", "0000000000"] {
        let out = search(home.path(), &["--nhs", nhs]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{nhs}: {stderr}");
        assert!(
            stderr.contains("check every digit with the caller"),
            "{stderr}"
        );
        let message = stderr.lines().next().unwrap_or_default();
        assert!(
            !message.chars().any(|c| c.is_ascii_digit()),
            "names a digit: {message}"
        );
    }
}

/// Codes 1 and 2 mean different things on the clinical endpoints; a basic retrieve is told
/// only what they mean there, once, with what to do next.
#[test]
fn a_basic_retrieve_explains_spines_code_for_the_basic_endpoints_only() {
    let home = tempfile::tempdir().unwrap();
    let out = support::run_sandbox(
        home.path(),
        &[
            "get",
            "--user",
            "helpdesk",
            "--password-stdin",
            "19769E-Y90004-1B5397",
        ],
        DEMO_PW,
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("Spine error 2") && stderr.contains("Spine found more than one match"),
        "{stderr}"
    );
    assert!(!stderr.contains("clinical"), "{stderr}");
    assert!(
        stderr.contains("what to do: Search by the patient's NHS number instead."),
        "{stderr}"
    );
    assert_eq!(stderr.matches("more than one match").count(), 1, "{stderr}");
}
