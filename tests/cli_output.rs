//! The command line as scripts and narrow terminals use it, against the embedded sandbox:
//! dates with a leading hyphen, tables that fit COLUMNS, CSV, completions and the man
//! page, a sanitiser for hostile bodies, and the exit codes (closed pipe, failed write,
//! gateway unavailable, missing issue, JSON errors).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use unicode_width::UnicodeWidthStr;

const DEMO_PW: &str = "sandbox-demo\n";
/// The demo patient whose prescriptions span a year (README's example).
const YEAR_PATIENT: &str = "9990100179";

fn command(home: &Path, args: &[&str], columns: Option<&str>) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_eps-tracker"));
    command
        .arg("--home")
        .arg(home)
        .args(args)
        .env_remove("EPS_TRACKER_HOME")
        .env_remove("EPS_TRACKER_USER")
        .env_remove("COLUMNS")
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(columns) = columns {
        command.env("COLUMNS", columns);
    }
    command
}

fn feed(mut command: Command, stdin: &str) -> Output {
    let mut child = command.spawn().expect("the binary runs");
    if let Some(mut input) = child.stdin.take() {
        let _ = input.write_all(stdin.as_bytes());
    }
    child.wait_with_output().expect("the binary finishes")
}

fn run(home: &Path, args: &[&str], columns: Option<&str>) -> Output {
    feed(command(home, args, columns), DEMO_PW)
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

fn search(home: &Path, extra: &[&str], columns: Option<&str>) -> Output {
    let mut args = vec![
        "--sandbox",
        "search",
        "--user",
        "helpdesk",
        "--password-stdin",
        "--nhs",
        YEAR_PATIENT,
    ];
    args.extend_from_slice(extra);
    run(home, &args, columns)
}

fn widest(text: &str) -> usize {
    text.lines().map(UnicodeWidthStr::width).max().unwrap_or(0)
}

#[test]
fn the_readmes_example_works_without_an_equals_sign_and_fits_80_columns() {
    let home = tempfile::tempdir().unwrap();
    let out = search(home.path(), &["--from", "-365d"], Some("80"));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(widest(&text) <= 80, "{text}");
    assert!(text.contains("PRESCRIPTION ID"), "{text}");
    // Every row keeps its whole prescription ID (20 characters, two dashes).
    let rows: Vec<&str> = text.lines().skip(1).filter(|l| l.len() > 20).collect();
    assert!(rows.len() > 5, "{text}");
    for row in rows {
        let id = row.split_whitespace().next().unwrap();
        assert_eq!(id.len(), 20, "{row}");
        assert_eq!(id.matches('-').count(), 2, "{row}");
    }
    let wide = search(home.path(), &["--from", "-52w"], Some("200"));
    assert_eq!(code(&wide), 0, "{}", stderr(&wide));
    assert!(stdout(&wide).contains("LAST EVENT"), "{}", stdout(&wide));
    let to = search(home.path(), &["--from", "-365d", "--to", "-1d"], None);
    assert_eq!(code(&to), 0, "{}", stderr(&to));
}

#[test]
fn unusable_columns_values_are_ignored_and_ids_are_never_cut() {
    let home = tempfile::tempdir().unwrap();
    let full = stdout(&search(home.path(), &["--from=-365d"], None));
    for columns in ["0", "abc", ""] {
        let out = search(home.path(), &["--from=-365d"], Some(columns));
        assert_eq!(stdout(&out), full, "COLUMNS={columns}");
    }
    let narrow = stdout(&search(home.path(), &["--from=-365d"], Some("20")));
    assert!(!narrow.contains("LAST EVENT"), "{narrow}");
    assert!(
        narrow
            .lines()
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .len()
            == 20
    );
}

#[test]
fn get_wraps_long_values_under_their_label_at_80_columns() {
    let home = tempfile::tempdir().unwrap();
    let args = [
        "--sandbox",
        "get",
        "69F233-Y90001-C5AE6D",
        "--issue",
        "1",
        "--clinical",
        "--user",
        "pharmacist",
        "--password-stdin",
    ];
    let narrow = run(home.path(), &args, Some("80"));
    assert_eq!(code(&narrow), 0, "{}", stderr(&narrow));
    let text = stdout(&narrow);
    assert!(widest(&text) <= 80, "{text}");
    let full = stdout(&run(home.path(), &args, None));
    assert!(widest(&full) > 80, "the test needs a long line: {full}");
    // Continuation lines of a labelled field start under the value, at column 24.
    assert!(
        text.lines()
            .any(|l| l.starts_with(&" ".repeat(24)) && !l.trim().is_empty()),
        "{text}"
    );
}

#[test]
fn csv_has_one_header_and_a_row_per_prescription_or_issue() {
    let home = tempfile::tempdir().unwrap();
    let out = search(home.path(), &["--from", "-365d", "--csv"], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert!(
        lines[0].starts_with("id,nhs_number,treatment.code,"),
        "{text}"
    );
    let table = stdout(&search(home.path(), &["--from", "-365d"], None));
    let count = table.lines().count() - 2;
    assert_eq!(lines.len() - 1, count, "{text}");
    assert!(lines[1].contains(",9990100179,"), "{text}");
    assert!(
        lines[1].contains(",2026-") || lines[1].contains(",20"),
        "{text}"
    );

    let get = run(
        home.path(),
        &[
            "--sandbox",
            "get",
            "5F39E1-Y90001-910957",
            "--csv",
            "--user",
            "helpdesk",
            "--password-stdin",
        ],
        None,
    );
    assert_eq!(code(&get), 0, "{}", stderr(&get));
    let text = stdout(&get);
    assert!(text.starts_with("id,"), "{text}");
    assert!(text.contains("issues.number"), "{text}");

    let audit = run(
        home.path(),
        &[
            "--sandbox",
            "audit",
            "show",
            "--as",
            "auditor",
            "--password-stdin",
            "--from",
            "-1d",
            "--csv",
        ],
        None,
    );
    assert_eq!(code(&audit), 0, "{}", stderr(&audit));
    let text = stdout(&audit);
    assert!(
        text.starts_with("seq,ts,event,user,role,nhs,outcome"),
        "{text}"
    );
    assert!(text.contains("search_attempt"), "{text}");
}

#[test]
fn completions_and_the_man_page_are_generated() {
    let home = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = run(home.path(), &["completions", shell], None);
        assert_eq!(code(&out), 0, "{shell}: {}", stderr(&out));
        assert!(stdout(&out).contains("doctor"), "{shell}");
    }
    let bad = run(home.path(), &["completions", "cmd"], None);
    assert_eq!(code(&bad), 2);
    let man = run(home.path(), &["man"], None);
    assert_eq!(code(&man), 0, "{}", stderr(&man));
    assert!(stdout(&man).starts_with(".ie") || stdout(&man).contains(".TH"));
}

/// No byte that a terminal would act on: only `\n` among the controls.
fn assert_inert(text: &str) {
    assert!(
        !text.chars().any(|c| (c.is_control() && c != '\n')
            || ('\u{202A}'..='\u{202E}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)),
        "{text:?}"
    );
}

#[test]
fn hostile_bodies_cannot_drive_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = include_str!("fixtures/search_two_prescriptions.json");
    let hostile = r#"\u001b]52;c;aGVsbG8=\u0007\u001b[2J\rFAKE\u009b31m\u202eevil\u0085"#;
    let body = fixture.replace("With Dispenser", hostile);
    assert_ne!(body, fixture);
    let path = dir.path().join("hostile.json");
    std::fs::write(&path, body).unwrap();
    let path = path.to_str().unwrap();
    let out = run(dir.path(), &["inspect", path], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_inert(&stdout(&out));
    assert!(stdout(&out).contains("\\u{1b}]52;c;"), "{}", stdout(&out));
    assert!(stdout(&out).contains("\\u{202e}"), "{}", stdout(&out));

    let soap = include_str!("fixtures/gateway_soap_fault.xml").replace(
        "Interaction not permitted",
        "&#27;[2J&#27;]52;c;aGk=&#7;&#13;Interaction not permitted",
    );
    let path = dir.path().join("hostile.xml");
    std::fs::write(&path, soap).unwrap();
    let out = run(
        dir.path(),
        &["inspect", path.to_str().unwrap(), "--http-status", "500"],
        None,
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert_inert(&stderr(&out));
}

#[test]
fn a_closed_pipe_exits_0_quietly_and_a_failed_write_exits_2() {
    let home = tempfile::tempdir().unwrap();
    // Fill the trail so `audit show` has more than a pipe buffer to write.
    for _ in 0..3 {
        search(home.path(), &["--from", "-365d"], None);
    }
    for args in [
        &[
            "--sandbox",
            "audit",
            "show",
            "--as",
            "auditor",
            "--password-stdin",
        ][..],
        &[
            "--sandbox",
            "search",
            "--user",
            "helpdesk",
            "--password-stdin",
            "--nhs",
            YEAR_PATIENT,
            "--from",
            "-365d",
        ][..],
    ] {
        let mut child = command(home.path(), args, None).spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(DEMO_PW.as_bytes())
            .unwrap();
        // The reader goes away before anything is written, as `| head -0` would.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    }
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let mut to_full = command(
        home.path(),
        &[
            "--sandbox",
            "search",
            "--user",
            "helpdesk",
            "--password-stdin",
            "--nhs",
            YEAR_PATIENT,
            "--from",
            "-365d",
        ],
        None,
    );
    to_full.stdout(full);
    let out = feed(to_full, DEMO_PW);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot write the output"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn exit_codes_tell_unavailable_from_not_found_and_json_errors_carry_the_trace_id() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let lookup = |nhs: &str, extra: &[&str]| {
        let mut args = vec![
            "--sandbox",
            "search",
            "--user",
            "helpdesk",
            "--password-stdin",
            "--nhs",
            nhs,
        ];
        args.extend_from_slice(extra);
        run(home, &args, None)
    };
    // 502 and 503 from the gateway: try later.
    for nhs in ["9990000034", "9990000050"] {
        let out = lookup(nhs, &[]);
        assert_eq!(code(&out), 6, "{nhs}: {}", stderr(&out));
        assert!(stderr(&out).contains("trace ID"), "{}", stderr(&out));
        // The same advice as the terminal app's, from the one shared description.
        assert!(
            stderr(&out).contains("what to do: Retry in a moment"),
            "{}",
            stderr(&out)
        );
    }
    let json = lookup("9990000034", &["--json"]);
    assert_eq!(code(&json), 6);
    let document: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(document["class"], "gateway-error");
    assert_eq!(document["http_status"], 502);
    assert_eq!(document["retry_can_help"], true);
    assert!(document["trace_id"].as_str().unwrap().starts_with("EPST-"));
    // A validation error is JSON too.
    let invalid = lookup("1234567890", &["--json"]);
    assert_eq!(code(&invalid), 2);
    let document: serde_json::Value = serde_json::from_slice(&invalid.stdout).unwrap();
    assert_eq!(document["class"], "usage-error");
    assert!(document["message"].as_str().unwrap().contains("--nhs"));
    // Nothing found is still 1.
    assert_eq!(code(&lookup("9990100160", &[])), 1);

    // An issue that does not exist: the rest is shown, and the exit says so.
    let missing_issue = run(
        home,
        &[
            "--sandbox",
            "get",
            "5F39E1-Y90001-910957",
            "--issue",
            "9",
            "--user",
            "helpdesk",
            "--password-stdin",
        ],
        None,
    );
    assert_eq!(code(&missing_issue), 1, "{}", stderr(&missing_issue));
    assert!(stdout(&missing_issue).contains("5F39E1-Y90001-910957"));
    assert!(
        stderr(&missing_issue).contains("does not exist"),
        "{}",
        stderr(&missing_issue)
    );

    let both = run(home, &["--sandbox", "--env", "live", "audit", "path"], None);
    assert_eq!(code(&both), 2);
    assert!(stderr(&both).contains("--env cannot be used with --sandbox"));

    let help = run(home, &["search", "--help"], None);
    let help = stdout(&help)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        help.contains("6 Spine or its gateway is unavailable"),
        "{help}"
    );
}

#[test]
fn inspect_recognises_its_own_json_output() {
    let home = tempfile::tempdir().unwrap();
    let out = run(
        home.path(),
        &[
            "--sandbox",
            "get",
            "5F39E1-Y90001-910957",
            "--json",
            "--user",
            "helpdesk",
            "--password-stdin",
        ],
        None,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let saved = home.path().join("saved.json");
    std::fs::write(&saved, &out.stdout).unwrap();
    let inspected = run(home.path(), &["inspect", saved.to_str().unwrap()], None);
    assert_eq!(code(&inspected), 2);
    assert!(
        stderr(&inspected)
            .contains("eps-tracker's own --json output (retrieve with 1 prescription)"),
        "{}",
        stderr(&inspected)
    );
}

#[test]
fn audit_show_and_user_list_fit_80_columns_and_show_everything_at_200() {
    let home = tempfile::tempdir().unwrap();
    search(home.path(), &["--from", "-365d"], None);
    let show = [
        "--sandbox",
        "audit",
        "show",
        "--as",
        "auditor",
        "--password-stdin",
    ];
    let narrow = run(home.path(), &show, Some("80"));
    assert_eq!(code(&narrow), 0, "{}", stderr(&narrow));
    assert!(widest(&stdout(&narrow)) <= 80, "{}", stdout(&narrow));
    assert!(
        stdout(&narrow).contains("9990100179"),
        "{}",
        stdout(&narrow)
    );
    let wide = stdout(&run(home.path(), &show, Some("200")));
    assert!(
        wide.contains("DETAIL") && wide.contains("trace EPST-"),
        "{wide}"
    );
    let list = [
        "--sandbox",
        "user",
        "list",
        "--as",
        "admin",
        "--password-stdin",
    ];
    let narrow = run(home.path(), &list, Some("60"));
    assert_eq!(code(&narrow), 0, "{}", stderr(&narrow));
    assert!(widest(&stdout(&narrow)) <= 60, "{}", stdout(&narrow));
    assert!(
        stdout(&narrow).contains("pharmacist"),
        "{}",
        stdout(&narrow)
    );
}

#[test]
fn huge_flag_values_are_refused_without_echoing_them() {
    let home = tempfile::tempdir().unwrap();
    let huge = "x".repeat(10_000);
    for flag in ["--status", "--eps-version", "--from", "--to", "--nhs"] {
        let out = search(home.path(), &[flag, &huge], None);
        assert_eq!(code(&out), 2, "{flag}");
        assert!(stderr(&out).len() < 500, "{flag}: {}", stderr(&out).len());
    }
}
