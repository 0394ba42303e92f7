//! The real binary end to end, in a temporary home: first run, user administration,
//! `audit verify`/`show`/`path`, and (against the embedded sandbox) `search` and `get`
//! with their exit codes.

mod support;

use std::path::Path;
use support::{ROOT_PW, code, run, stderr, stdout, with_admin};

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

// ---- search and get against the embedded sandbox ------------------------------------

const DEMO_PW: &str = "sandbox-demo\n";

fn audit_lines(home: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(home.join("sandbox/audit/audit.jsonl")).unwrap();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_helpdesk_search_prints_the_prescriptions_and_the_trail_verifies() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let out = run(
        home,
        &[
            "--sandbox",
            "search",
            "--user",
            "helpdesk",
            "--nhs",
            "9990548609",
            "--password-stdin",
        ],
        DEMO_PW,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let table = stdout(&out);
    assert!(table.contains("5F39E1-Y90001-910957"), "{table}");
    assert!(table.contains("To Be Dispensed"), "{table}");
    assert!(stderr(&out).contains("trace ID EPST-"), "{}", stderr(&out));

    // --sandbox after the subcommand works the same, and --json gives the model.
    let json = run(
        home,
        &[
            "search",
            "--user",
            "helpdesk",
            "--nhs",
            "999 054 8609",
            "--json",
            "--password-stdin",
            "--sandbox",
        ],
        DEMO_PW,
    );
    assert_eq!(code(&json), 0, "{}", stderr(&json));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(doc["kind"], "search");
    assert_eq!(doc["prescriptions"][0]["nhs_number"], "9990548609");

    let events: Vec<String> = audit_lines(home)
        .iter()
        .map(|r| r["event"].as_str().unwrap().to_owned())
        .collect();
    for expected in ["sign_in", "search_attempt", "search_result", "sign_out"] {
        assert!(
            events.contains(&expected.to_owned()),
            "{expected} in {events:?}"
        );
    }
    let verified = run(home, &["--sandbox", "audit", "verify"], "");
    assert_eq!(code(&verified), 0, "{}", stdout(&verified));

    // The sandbox's trail is its own: the real home has none.
    assert!(!home.join("audit/audit.jsonl").exists());

    let trail = home.join("sandbox/audit/audit.jsonl");
    let mut bytes = std::fs::read(&trail).unwrap();
    let at = bytes.len() / 3;
    bytes[at] = if bytes[at] == b'a' { b'b' } else { b'a' };
    std::fs::write(&trail, bytes).unwrap();
    let tampered = run(home, &["--sandbox", "audit", "verify"], "");
    assert_eq!(code(&tampered), 1, "{}", stdout(&tampered));
}

#[test]
fn clinical_detail_as_helpdesk_is_refused_with_exit_3_and_recorded() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let out = run(
        home,
        &[
            "--sandbox",
            "search",
            "--user",
            "helpdesk",
            "--nhs",
            "9990548609",
            "--clinical",
            "--password-stdin",
        ],
        DEMO_PW,
    );
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("the helpdesk role cannot search prescriptions with clinical detail"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    let records = audit_lines(home);
    let denied: Vec<_> = records
        .iter()
        .filter(|r| r["event"] == "access_denied")
        .collect();
    assert_eq!(denied.len(), 1);
    assert_eq!(denied[0]["nhs"], "9990548609");
    assert_eq!(denied[0]["user"], "helpdesk");
    assert!(
        !records.iter().any(|r| r["event"] == "search_attempt"),
        "nothing was attempted"
    );

    // An auditor finds the refusal.
    let shown = run(
        home,
        &[
            "--sandbox",
            "audit",
            "show",
            "--as",
            "auditor",
            "--event",
            "access_denied",
            "--json",
            "--password-stdin",
        ],
        DEMO_PW,
    );
    assert_eq!(code(&shown), 0, "{}", stderr(&shown));
    assert!(
        stdout(&shown).contains("\"access_denied\""),
        "{}",
        stdout(&shown)
    );
}

#[test]
fn get_retrieves_one_prescription_and_clinical_detail_for_a_pharmacist() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let basic = run(
        home,
        &[
            "--sandbox",
            "get",
            "5F39E1-Y90001-910957",
            "--user",
            "helpdesk",
            "--password-stdin",
        ],
        DEMO_PW,
    );
    assert_eq!(code(&basic), 0, "{}", stderr(&basic));
    assert!(
        stdout(&basic).contains("5F39E1-Y90001-910957"),
        "{}",
        stdout(&basic)
    );
    let clinical = run(
        home,
        &[
            "--sandbox",
            "get",
            "69F233-Y90001-C5AE6D",
            "--issue",
            "1",
            "--clinical",
            "--user",
            "pharmacist",
            "--password-stdin",
        ],
        DEMO_PW,
    );
    assert_eq!(code(&clinical), 0, "{}", stderr(&clinical));
    assert!(
        stdout(&clinical).contains("Line items"),
        "{}",
        stdout(&clinical)
    );
    let retrieve = audit_lines(home)
        .into_iter()
        .find(|r| r["event"] == "retrieve_attempt" && r["user"] == "pharmacist")
        .unwrap();
    assert_eq!(retrieve["prescription"], "69F233-Y90001-C5AE6D");
    assert_eq!(retrieve["issue"], 1);
    assert_eq!(retrieve["clinical"], true);
}

#[test]
fn lookups_exit_with_the_documented_codes() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let search = |extra: &[&str], stdin: &str| {
        let mut args = vec![
            "--sandbox",
            "search",
            "--user",
            "helpdesk",
            "--password-stdin",
        ];
        args.extend_from_slice(extra);
        run(home, &args, stdin)
    };
    let not_found = search(&["--nhs", "9990100160"], DEMO_PW);
    assert_eq!(code(&not_found), 1, "{}", stderr(&not_found));
    let bad_nhs = search(&["--nhs", "1234567890"], DEMO_PW);
    assert_eq!(code(&bad_nhs), 2);
    assert!(stderr(&bad_nhs).contains("--nhs"), "{}", stderr(&bad_nhs));
    let bad_date = search(&["--nhs", "9990548609", "--from", "31/02/2026"], DEMO_PW);
    assert_eq!(code(&bad_date), 2, "{}", stderr(&bad_date));
    let reversed = search(
        &["--nhs", "9990548609", "--from", "today", "--to", "-7d"],
        DEMO_PW,
    );
    assert_eq!(code(&reversed), 2, "{}", stderr(&reversed));
    let bad_version = search(&["--nhs", "9990548609", "--eps-version", "R3"], DEMO_PW);
    assert_eq!(code(&bad_version), 2, "{}", stderr(&bad_version));
    let wrong_password = search(&["--nhs", "9990548609"], "not-the-password\n");
    assert_eq!(code(&wrong_password), 3);
    let empty_password = search(&["--nhs", "9990548609"], "\n");
    assert_eq!(code(&empty_password), 3);
    let huge_password = format!("{}\n", "x".repeat(10_000));
    assert_eq!(code(&search(&["--nhs", "9990548609"], &huge_password)), 3);
    let no_password = search(&["--nhs", "9990548609"], "");
    assert_eq!(code(&no_password), 2, "{}", stderr(&no_password));
    let bad_id = run(
        home,
        &[
            "--sandbox",
            "get",
            "not-an-id",
            "--user",
            "helpdesk",
            "--password-stdin",
        ],
        DEMO_PW,
    );
    assert_eq!(code(&bad_id), 2, "{}", stderr(&bad_id));
}

#[test]
fn a_read_only_audit_trail_stops_lookups_with_exit_5() {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let first = run(
        home,
        &[
            "--sandbox",
            "search",
            "--user",
            "helpdesk",
            "--nhs",
            "9990548609",
            "--password-stdin",
        ],
        DEMO_PW,
    );
    assert_eq!(code(&first), 0, "{}", stderr(&first));
    let trail = home.join("sandbox/audit/audit.jsonl");
    std::fs::set_permissions(&trail, std::fs::Permissions::from_mode(0o400)).unwrap();
    let out = run(
        home,
        &[
            "--sandbox",
            "search",
            "--user",
            "helpdesk",
            "--nhs",
            "9990548609",
            "--password-stdin",
        ],
        DEMO_PW,
    );
    assert_eq!(code(&out), 5, "{}", stderr(&out));
    assert!(stderr(&out).contains("read-only"), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
    // Verifying needs only read access.
    let verified = run(home, &["--sandbox", "audit", "verify"], "");
    assert_eq!(code(&verified), 0, "{}", stdout(&verified));
}

/// The password prompt on a real terminal: nothing typed is echoed, the search runs, and
/// the terminal's echo is back on afterwards.
#[test]
fn the_password_prompt_does_not_echo_and_restores_the_terminal() {
    let home = tempfile::tempdir().unwrap();
    let seen = support::search_through_the_password_prompt(home.path(), b"\r");
    assert!(seen.contains("EXIT=0"), "{seen}");
    assert!(seen.contains("5F39E1-Y90001-910957"), "{seen}");
    assert!(
        !seen.contains("sandbox-demo"),
        "the password was echoed:\n{seen}"
    );
    let modes = seen.split("EXIT=0").nth(1).unwrap_or_default();
    assert!(
        modes.split_whitespace().any(|m| m == "echo"),
        "echo is not back on:\n{modes}"
    );
}

#[test]
fn audit_verify_exits_2_when_a_trail_cannot_be_read() {
    let home = tempfile::tempdir().unwrap();
    // Something that is not a readable file where the trail should be.
    std::fs::create_dir_all(home.path().join("audit/audit.jsonl")).unwrap();
    let out = run(home.path(), &["audit", "verify"], "");
    assert_eq!(code(&out), 2, "{}", stdout(&out));
    assert!(stdout(&out).contains("UNREADABLE"), "{}", stdout(&out));
}
