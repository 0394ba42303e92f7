//! The audit trail against the ways it can be cut, rolled back, replaced, moved or flooded:
//! every case is refused before anything is appended (so nothing that needs a record goes
//! ahead), `verify` names it, and an administrator's reseal lets appends resume with a
//! `chain_break` that verification lists. Library level, plus the real binary for the
//! auditor's walk-through (cut two records, sign in wrong, verify, lookup refused, reseal).

mod support;

use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use support::run_sandbox as run;

use chrono::{DateTime, Duration, Utc};
use eps_tracker::security::audit::{
    AuditEntry, AuditError, AuditLog, Event, FileResult, MismatchKind, Origin, Outcome, Resealed,
    TamperKind, VerifyReport, verify_dir,
};
use proptest::prelude::*;
use tempfile::TempDir;

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-25T09:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn entry(i: usize) -> AuditEntry {
    let mut entry = AuditEntry::new(Event::SearchAttempt).outcome(Outcome::Sending);
    entry.nhs = Some("9990548609".into());
    entry.trace = Some(format!("trace-{i}"));
    entry
}

fn answer(i: usize) -> AuditEntry {
    let mut entry = AuditEntry::new(Event::SearchResult).outcome(Outcome::Success);
    entry.trace = Some(format!("trace-{i}"));
    entry
}

/// A trail with a header and `n` records in a fresh directory.
fn trail(n: usize) -> (TempDir, AuditLog) {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::open(dir.path(), Origin::default()).unwrap();
    for i in 0..n {
        log.append(&answer(i), t0() + Duration::seconds(i as i64))
            .unwrap();
    }
    (dir, log)
}

fn trail_path(dir: &Path) -> std::path::PathBuf {
    dir.join("audit.jsonl")
}

fn head_path(dir: &Path) -> std::path::PathBuf {
    dir.join("audit.jsonl.head")
}

fn tampering(report: &VerifyReport) -> Option<(TamperKind, String)> {
    report.files.iter().find_map(|f| match &f.result {
        FileResult::Tampered(t) => Some((t.kind, t.detail.clone())),
        _ => None,
    })
}

/// Appending is refused as tampering of `kind`, and the trail's bytes are untouched.
fn assert_refused(dir: &Path, kind: MismatchKind) {
    let before = fs::read(trail_path(dir)).unwrap_or_default();
    // A fresh handle, as a new process would open it.
    let log = AuditLog::open(dir, Origin::default()).unwrap();
    match log.append(&entry(99), t0()) {
        Err(AuditError::Tampered { mismatch, .. }) => assert_eq!(mismatch.kind, kind),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(fs::read(trail_path(dir)).unwrap_or_default(), before);
}

/// Writes a file as the program would have it (owner-only), so only the content differs.
fn put(path: &Path, bytes: &[u8]) {
    use std::os::unix::fs::PermissionsExt;
    fs::write(path, bytes).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o600)).unwrap();
}

fn cut_lines(dir: &Path, keep: usize) {
    let text = fs::read(trail_path(dir)).unwrap();
    let kept: Vec<&[u8]> = text.split_inclusive(|b| *b == b'\n').take(keep).collect();
    fs::write(trail_path(dir), kept.concat()).unwrap();
}

#[test]
fn records_cut_from_the_end_stop_every_append_and_verify_names_the_cut() {
    let (dir, _log) = trail(5);
    cut_lines(dir.path(), 4);
    assert_refused(dir.path(), MismatchKind::Truncated);
    // Refused again: the refusal does not launder itself.
    assert_refused(dir.path(), MismatchKind::Truncated);
    let (kind, detail) = tampering(&verify_dir(dir.path()).unwrap()).unwrap();
    assert_eq!(kind, TamperKind::Truncated);
    assert!(detail.contains("records 4 to 5 were removed"), "{detail}");
}

#[test]
fn a_cut_mid_record_then_an_append_is_tampering_not_a_crash() {
    let (dir, _log) = trail(4);
    let text = fs::read(trail_path(dir.path())).unwrap();
    fs::write(trail_path(dir.path()), &text[..text.len() - 40]).unwrap();
    assert_refused(dir.path(), MismatchKind::Truncated);
    assert!(tampering(&verify_dir(dir.path()).unwrap()).is_some());
}

#[test]
fn an_emptied_or_deleted_trail_is_refused() {
    let (dir, _log) = trail(3);
    fs::write(trail_path(dir.path()), b"").unwrap();
    assert_refused(dir.path(), MismatchKind::Truncated);
    fs::remove_file(trail_path(dir.path())).unwrap();
    assert_refused(dir.path(), MismatchKind::Truncated);
    let (kind, _) = tampering(&verify_dir(dir.path()).unwrap()).unwrap();
    assert_eq!(kind, TamperKind::Truncated);
}

#[test]
fn a_deleted_edited_or_foreign_head_is_refused() {
    let (dir, _log) = trail(3);
    let head = fs::read(head_path(dir.path())).unwrap();
    fs::remove_file(head_path(dir.path())).unwrap();
    assert_refused(dir.path(), MismatchKind::HeadMissing);
    put(&head_path(dir.path()), b"garbage");
    assert_refused(dir.path(), MismatchKind::HeadDamaged);
    // The head of another trail at the same length.
    let (other, _other_log) = trail(3);
    put(
        &head_path(dir.path()),
        &fs::read(head_path(other.path())).unwrap(),
    );
    assert_refused(dir.path(), MismatchKind::Replaced);
    put(&head_path(dir.path()), &head);
    AuditLog::open(dir.path(), Origin::default())
        .unwrap()
        .append(&entry(1), t0())
        .unwrap();
}

#[test]
fn a_trail_rolled_back_to_an_older_copy_is_refused() {
    let (dir, log) = trail(2);
    let old = fs::read(trail_path(dir.path())).unwrap();
    for i in 0..3 {
        log.append(&answer(i), t0()).unwrap();
    }
    fs::write(trail_path(dir.path()), old).unwrap();
    assert_refused(dir.path(), MismatchKind::Truncated);
}

#[test]
fn a_whole_folder_replaced_by_another_trail_is_refused() {
    let (dir, _log) = trail(3);
    let (other, _other_log) = trail(6);
    fs::copy(trail_path(other.path()), trail_path(dir.path())).unwrap();
    assert_refused(dir.path(), MismatchKind::Replaced);
}

#[test]
fn a_head_one_append_behind_after_a_crash_is_not_tampering() {
    let (dir, log) = trail(3);
    let head = fs::read(head_path(dir.path())).unwrap();
    log.append(&answer(9), t0()).unwrap();
    // The crash came between the trail's write and the head's.
    fs::write(head_path(dir.path()), head).unwrap();
    assert!(tampering(&verify_dir(dir.path()).unwrap()).is_none());
    assert_eq!(log.append(&answer(10), t0()).unwrap(), 5);
}

#[test]
fn reseal_appends_a_chain_break_after_which_appends_resume_and_verify_lists_it() {
    let (dir, log) = trail(5);
    cut_lines(dir.path(), 3);
    assert!(log.append(&entry(1), t0()).is_err());

    log.hold_until_reseal();
    // Held, not refused: written after the chain_break.
    assert_eq!(log.append(&answer(42), t0()).unwrap(), 0);
    let by = AuditEntry {
        user: Some("admin".into()),
        ..AuditEntry::new(Event::ChainBreak)
    }
    .reason("INC-1234");
    match log.reseal(by, t0()).unwrap() {
        Resealed::Broken { seq, found } => {
            assert_eq!(seq, 3);
            assert_eq!(found.kind, MismatchKind::Truncated);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(log.append(&entry(2), t0()).unwrap(), 5);
    let report = verify_dir(dir.path()).unwrap();
    assert!(tampering(&report).is_none(), "{report:?}");
    let breaks = &report.files[0].breaks;
    assert_eq!(breaks.len(), 1, "{breaks:?}");
    assert!(breaks[0].contains("admin resealed"), "{breaks:?}");
    assert!(breaks[0].contains("INC-1234"), "{breaks:?}");
    assert!(
        breaks[0].contains("records 3 to 5 were removed"),
        "{breaks:?}"
    );

    // A second reseal on an intact trail writes no break.
    log.hold_until_reseal();
    assert_eq!(
        log.reseal(AuditEntry::new(Event::ChainBreak), t0())
            .unwrap(),
        Resealed::WasIntact
    );
}

#[test]
fn reseal_of_an_emptied_trail_starts_a_new_chain_that_says_what_was_found() {
    let (dir, log) = trail(3);
    fs::write(trail_path(dir.path()), b"").unwrap();
    let by = AuditEntry::new(Event::ChainBreak).reason("restored from nothing");
    assert!(matches!(
        log.reseal(by, t0()).unwrap(),
        Resealed::Broken { seq: 1, .. }
    ));
    let report = verify_dir(dir.path()).unwrap();
    assert!(tampering(&report).is_none(), "{report:?}");
    assert!(report.files[0].breaks[0].contains("the trail is empty"));
}

#[test]
fn a_renamed_or_unlinked_trail_is_never_written_into() {
    let (dir, log) = trail(2);
    let moved = dir.path().join("moved.jsonl.old");
    fs::rename(trail_path(dir.path()), &moved).unwrap();
    let before = fs::read(&moved).unwrap();
    assert!(matches!(
        log.append(&entry(1), t0()),
        Err(AuditError::Moved { .. })
    ));
    assert_eq!(fs::read(&moved).unwrap(), before);

    // Put back: the same file again, and appends resume.
    fs::rename(&moved, trail_path(dir.path())).unwrap();
    log.append(&entry(2), t0()).unwrap();

    fs::remove_file(trail_path(dir.path())).unwrap();
    assert!(matches!(
        log.append(&entry(3), t0()),
        Err(AuditError::Moved { .. })
    ));
    assert!(matches!(
        log.append(&entry(4), t0()),
        Err(AuditError::Moved { .. })
    ));
}

#[test]
fn a_70_kb_user_name_is_bounded_and_other_writers_carry_on() {
    let dir = tempfile::tempdir().unwrap();
    let origin = Origin {
        os_user: Some("a".repeat(70_000)),
        claimed_user: Some("b".repeat(70_000)),
        ssh_client: Some("c".repeat(70_000)),
        ..Origin::default()
    };
    let flooded = AuditLog::open(dir.path(), origin).unwrap();
    let mut big = AuditEntry::new(Event::SignInFailed).reason("r".repeat(70_000));
    big.user = Some("u".repeat(70_000));
    flooded.append(&big, t0()).unwrap();
    let text = fs::read_to_string(trail_path(dir.path())).unwrap();
    let longest = text.lines().map(str::len).max().unwrap();
    assert!(longest < 4 * 1024, "{longest}");
    assert!(text.contains("…[cut "), "{text}");
    let other = AuditLog::open(dir.path(), Origin::default()).unwrap();
    assert_eq!(other.append(&entry(1), t0()).unwrap(), 2);
}

#[test]
fn four_writers_times_two_hundred_appends_keep_one_chain() {
    let dir = tempfile::tempdir().unwrap();
    let threads: Vec<_> = (0..4)
        .map(|n| {
            let path = dir.path().to_path_buf();
            std::thread::spawn(move || {
                // Separate opens: separate file descriptions, like separate processes.
                let log = AuditLog::open(&path, Origin::default()).unwrap();
                for i in 0..200 {
                    log.append(&answer(n * 1000 + i), Utc::now()).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let report = verify_dir(dir.path()).unwrap();
    assert!(tampering(&report).is_none(), "{report:?}");
    assert_eq!(report.files[0].records, 801);
}

#[test]
fn an_attempt_without_an_outcome_is_a_note_not_tampering() {
    let (dir, log) = trail(1);
    log.append(&entry(7), t0()).unwrap();
    log.append(&entry(8), t0()).unwrap();
    log.append(&answer(8), t0()).unwrap();
    let report = verify_dir(dir.path()).unwrap();
    assert!(tampering(&report).is_none());
    let notes = &report.files[0].notes;
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].starts_with("audit.jsonl line 3: a request"),
        "{notes:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Whatever is cut from a trail, the next append is refused and verify reports
    /// tampering; after a reseal, appends resume and verify lists the break. Cutting only
    /// the final newline loses nothing: that one append goes ahead.
    #[test]
    fn every_cut_followed_by_an_append_is_caught(n in 1usize..12, cut_seed in any::<u64>()) {
        let (dir, log) = trail(n);
        let text = fs::read(trail_path(dir.path())).unwrap();
        let cut = (cut_seed % text.len() as u64) as usize;
        fs::write(trail_path(dir.path()), &text[..cut]).unwrap();
        let appended = AuditLog::open(dir.path(), Origin::default())
            .unwrap()
            .append(&entry(1), t0());
        if cut == text.len() - 1 {
            prop_assert!(appended.is_ok());
            prop_assert!(tampering(&verify_dir(dir.path()).unwrap()).is_none());
            return Ok(());
        }
        prop_assert!(
            matches!(appended, Err(AuditError::Tampered { .. })),
            "cut at {} of {}: {:?}", cut, text.len(), appended
        );
        prop_assert!(tampering(&verify_dir(dir.path()).unwrap()).is_some());
        let resealed = log.reseal(AuditEntry::new(Event::ChainBreak), t0());
        prop_assert!(matches!(resealed, Ok(Resealed::Broken { .. })), "{:?}", resealed);
        log.append(&entry(2), t0()).unwrap();
        let report = verify_dir(dir.path()).unwrap();
        prop_assert!(tampering(&report).is_none(), "{:?}", report);
        prop_assert_eq!(report.files[0].breaks.len(), 1);
    }
}

// ---- the auditor's walk-through with the real binary -----------------------------------

const DEMO_PW: &str = "sandbox-demo\n";

fn search(home: &Path) -> Output {
    run(
        home,
        &[
            "search",
            "--user",
            "helpdesk",
            "--nhs",
            "9990548609",
            "--password-stdin",
        ],
        DEMO_PW,
    )
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn cut_two_records_sign_in_wrong_then_verify_fails_lookups_stop_until_an_admin_reseals() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    for _ in 0..2 {
        let out = search(home);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
    let audit = home.join("sandbox/audit");
    let lines = fs::read(trail_path(&audit))
        .unwrap()
        .split_inclusive(|b| *b == b'\n')
        .count();
    cut_lines(&audit, lines - 2);

    let wrong = run(
        home,
        &[
            "search",
            "--user",
            "helpdesk",
            "--nhs",
            "9990548609",
            "--password-stdin",
        ],
        "wrong password\n",
    );
    assert_eq!(wrong.status.code(), Some(5), "{}", text(&wrong));
    let verify = run(home, &["audit", "verify"], "");
    assert_eq!(verify.status.code(), Some(1), "{}", text(&verify));
    assert!(
        text(&verify).contains("were removed from the end"),
        "{}",
        text(&verify)
    );
    assert!(text(&verify).contains("audit reseal"), "{}", text(&verify));

    let refused = search(home);
    assert_eq!(refused.status.code(), Some(5), "{}", text(&refused));
    assert!(text(&refused).contains("does not end where it should"));
    assert!(refused.stdout.is_empty());

    let not_admin = run(
        home,
        &[
            "audit",
            "reseal",
            "--as",
            "helpdesk",
            "--reason",
            "x",
            "--password-stdin",
        ],
        DEMO_PW,
    );
    assert_eq!(not_admin.status.code(), Some(3), "{}", text(&not_admin));
    let resealed = run(
        home,
        &[
            "audit",
            "reseal",
            "--as",
            "admin",
            "--reason",
            "INC-42 two records cut",
            "--password-stdin",
        ],
        DEMO_PW,
    );
    assert_eq!(resealed.status.code(), Some(0), "{}", text(&resealed));
    assert!(
        text(&resealed).contains("chain_break"),
        "{}",
        text(&resealed)
    );

    let again = search(home);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    let verify = run(home, &["audit", "verify"], "");
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));
    assert!(text(&verify).contains("BREAK"), "{}", text(&verify));
    assert!(text(&verify).contains("INC-42"), "{}", text(&verify));
}

// ---- rotation ---------------------------------------------------------------------------

fn rotated_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("audit-") && n.ends_with(".jsonl"))
        .collect();
    names.sort();
    names
}

#[test]
fn rotation_keeps_one_chain_across_files_that_verify_and_show_walk_in_order() {
    let dir = tempfile::tempdir().unwrap();
    // Two writers, as two processes, both rotating at 4 KiB.
    let threads: Vec<_> = (0..2)
        .map(|n| {
            let path = dir.path().to_path_buf();
            std::thread::spawn(move || {
                let log = AuditLog::open(&path, Origin::default())
                    .unwrap()
                    .rotate_at(4096);
                for i in 0..60 {
                    log.append(&answer(n * 100 + i), Utc::now()).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let kept = rotated_files(dir.path());
    assert!(kept.len() >= 3, "{kept:?}");
    let report = verify_dir(dir.path()).unwrap();
    assert!(tampering(&report).is_none(), "{report:?}");
    assert_eq!(report.files.len(), kept.len() + 1);
    // Every record once, in order: 120 appends, a header per file.
    let records = eps_tracker::security::audit::read_records(
        dir.path(),
        &eps_tracker::security::audit::AuditFilter::default(),
    )
    .unwrap();
    let seqs: Vec<u64> = records.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, (0..seqs.len() as u64).collect::<Vec<_>>());
    assert_eq!(seqs.len(), 120 + kept.len() + 1);
    // Every file after the first says which file it continues.
    let active = fs::read_to_string(trail_path(dir.path())).unwrap();
    assert!(
        active
            .lines()
            .next()
            .unwrap()
            .contains(&format!("\"continues\":\"{}\"", kept.last().unwrap())),
        "{active}"
    );

    // A kept file removed from the middle is named.
    fs::remove_file(dir.path().join(&kept[1])).unwrap();
    let (kind, detail) = tampering(&verify_dir(dir.path()).unwrap()).unwrap();
    assert_eq!(kind, TamperKind::Deleted, "{detail}");
}

type Received = std::sync::Arc<std::sync::Mutex<Vec<u8>>>;

/// A collector that reads each connection to its end, then closes (as rsyslog does).
fn fake_collector() -> (eps_tracker::security::audit::ForwardSettings, Received) {
    use std::io::Read;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = Received::default();
    let sink = std::sync::Arc::clone(&received);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut bytes = Vec::new();
            let _ = stream.read_to_end(&mut bytes);
            sink.lock().unwrap().extend_from_slice(&bytes);
        }
    });
    let settings = toml::from_str(&format!("address = \"127.0.0.1:{port}\"")).unwrap();
    (settings, received)
}

#[test]
fn after_an_emptied_trail_is_resealed_the_new_chain_is_forwarded_too() {
    let (settings, received) = fake_collector();
    let (dir, log) = trail(3);
    eps_tracker::security::audit::forward_once(dir.path(), &settings).unwrap();
    fs::write(trail_path(dir.path()), b"").unwrap();
    log.reseal(AuditEntry::new(Event::ChainBreak).reason("emptied"), t0())
        .unwrap();
    log.append(&answer(7), t0()).unwrap();
    // The new chain's numbers are below the old cursor's: they are sent all the same.
    let report = eps_tracker::security::audit::forward_once(dir.path(), &settings).unwrap();
    assert_eq!(report.sent, 3, "{report:?}");
    let text = String::from_utf8(received.lock().unwrap().clone()).unwrap();
    assert!(text.contains("\"event\":\"chain_break\""), "{text}");
    assert!(text.contains("\"trace\":\"trace-7\""), "{text}");
}

#[test]
fn forwarding_sends_every_record_across_rotations() {
    let dir = tempfile::tempdir().unwrap();
    let (settings, received) = fake_collector();
    let log = AuditLog::open(dir.path(), Origin::default())
        .unwrap()
        .rotate_at(2048);
    for i in 0..10 {
        log.append(&answer(i), t0()).unwrap();
    }
    // Half goes out, then more records and rotations happen before the next send.
    eps_tracker::security::audit::forward_once(dir.path(), &settings).unwrap();
    for i in 10..40 {
        log.append(&answer(i), t0()).unwrap();
    }
    assert!(rotated_files(dir.path()).len() >= 2);
    eps_tracker::security::audit::forward_once(dir.path(), &settings).unwrap();
    let text = String::from_utf8(received.lock().unwrap().clone()).unwrap();
    let mut seen: Vec<u64> = text
        .match_indices("{\"seq\":")
        .map(|(at, _)| {
            let digits: String = text[at + 7..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().unwrap()
        })
        .collect();
    seen.dedup();
    let last = read_last_seq(dir.path());
    let mut unique = seen.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique, (0..=last).collect::<Vec<_>>(), "{seen:?}");
}

fn read_last_seq(dir: &Path) -> u64 {
    let head = fs::read_to_string(head_path(dir)).unwrap();
    head.split_whitespace().next().unwrap().parse().unwrap()
}

// ---- real processes: 4 × 200 appends at once, and kill -9 mid-append -------------------

/// When run as a child (the test binary re-executed with `EPS_AUDIT_CHILD_DIR` set), appends
/// `EPS_AUDIT_CHILD_COUNT` records (forever when 0) and exits; as a normal test, does nothing.
#[test]
fn child_appender() {
    let Ok(dir) = std::env::var("EPS_AUDIT_CHILD_DIR") else {
        return;
    };
    let count: usize = std::env::var("EPS_AUDIT_CHILD_COUNT")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let log = AuditLog::open(Path::new(&dir), Origin::default()).unwrap();
    let mut i = 0;
    while count == 0 || i < count {
        log.append(&answer(i), Utc::now()).unwrap();
        i += 1;
    }
}

fn spawn_appender(dir: &Path, count: usize) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_appender",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("EPS_AUDIT_CHILD_DIR", dir)
        .env("EPS_AUDIT_CHILD_COUNT", count.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn four_processes_times_two_hundred_appends_keep_one_chain() {
    let dir = tempfile::tempdir().unwrap();
    let children: Vec<_> = (0..4).map(|_| spawn_appender(dir.path(), 200)).collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let report = verify_dir(dir.path()).unwrap();
    assert!(tampering(&report).is_none(), "{report:?}");
    assert_eq!(report.files[0].records, 801);
}

#[test]
fn kill_9_mid_append_is_a_crash_never_tampering_and_appends_resume() {
    let dir = tempfile::tempdir().unwrap();
    for round in 0..4u64 {
        let mut child = spawn_appender(dir.path(), 0);
        // Let it write for a while, then kill it wherever it is.
        std::thread::sleep(std::time::Duration::from_millis(150 + 37 * round));
        child.kill().unwrap();
        child.wait().unwrap();
        let report = verify_dir(dir.path()).unwrap();
        assert!(tampering(&report).is_none(), "round {round}: {report:?}");
        let log = AuditLog::open(dir.path(), Origin::default()).unwrap();
        log.append(&entry(1), t0()).unwrap();
        assert!(tampering(&verify_dir(dir.path()).unwrap()).is_none());
    }
}
