//! `eps-tracker patient` and `inspect` on PDS bodies: the real binary against the
//! embedded sandbox (demo users, password `sandbox-demo`), in a temporary home.

mod support;

use std::path::Path;
use support::run;

fn patient(home: &Path, user: &str, args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["--sandbox", "patient"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--user", user, "--password-stdin"]);
    let out = run(home, &all, "sandbox-demo\n");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_helpdesk_user_sees_the_demographics_and_an_auditor_is_refused() {
    let home = tempfile::tempdir().unwrap();
    let (code, out, err) = patient(home.path(), "helpdesk", &["9990548609"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Mrs Eleanor Mary WHITFIELD-JONES"), "{out}");
    assert!(out.contains("Born         14 Mar 1958"), "{out}");
    assert!(out.contains("LS6 3HN"), "{out}");
    let (code, _, err) = patient(home.path(), "auditor", &["9990548609"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("pds.read"), "{err}");
    // Names appear in the audit trail (what was accessed) and nowhere else in the home.
    let trail = std::fs::read_to_string(home.path().join("sandbox/audit/audit.jsonl"))
        .or_else(|_| {
            // The trail's folder is the sandbox home's; find it wherever it is.
            let found = walk(home.path())
                .into_iter()
                .find(|p| p.ends_with("audit.jsonl"));
            std::fs::read_to_string(found.expect("an audit trail"))
        })
        .unwrap();
    assert!(trail.contains("patient_attempt") && trail.contains("patient_result"));
    for file in walk(home.path()) {
        if file.ends_with("audit.jsonl") {
            continue;
        }
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap_or_default()).into_owned();
        assert!(
            !text.contains("Whitfield"),
            "a name leaked into {}",
            file.display()
        );
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn search_by_details_with_exit_codes_and_json() {
    let home = tempfile::tempdir().unwrap();
    let (code, _, err) = patient(
        home.path(),
        "helpdesk",
        &["search", "--family", "Patel", "--dob", "12/07/1985"],
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("more than one patient matches: add the first name or the postcode"),
        "{err}"
    );
    let (code, out, err) = patient(
        home.path(),
        "pharmacist",
        &[
            "search",
            "--family",
            "patel",
            "--dob",
            "1985-07-12",
            "--given",
            "Priya",
            "--json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["kind"], "patient-search");
    let p = &doc["patients"][0];
    assert_eq!(p["nhs_number"], "9990100187");
    assert_eq!(p["name"]["family"], "Patel");
    assert_eq!(p["name"]["given"], serde_json::json!(["Priya"]));
    assert_eq!(p["birth_date"], "1985-07-12");
    assert_eq!(p["address"]["postcode"], "BD1 2JX");
    assert_eq!(p["restricted"], false);
    let (code, _, err) = patient(
        home.path(),
        "helpdesk",
        &["search", "--family", "Nobody", "--dob", "1985-07-12"],
    );
    assert_eq!(code, 1, "{err}");
    let (code, _, err) = patient(
        home.path(),
        "helpdesk",
        &["search", "--family", "*atel", "--dob", "1985-07-12"],
    );
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = patient(home.path(), "helpdesk", &["9990548608"]);
    assert_eq!(code, 2, "{err}");
    let (code, out, _) = patient(home.path(), "clinician", &["9990104700", "--json"]);
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["kind"], "patient");
    assert_eq!(doc["patients"][0]["superseded_from"], "9990104700");
    assert_eq!(doc["patients"][0]["nhs_number"], "9990100217");
    let (code, _, err) = patient(home.path(), "helpdesk", &["9990104719"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("marked invalid"), "{err}");
}

#[test]
fn inspect_recognises_pds_bodies() {
    let home = tempfile::tempdir().unwrap();
    let fixture = |name: &str| format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let out = run(home.path(), &["inspect", &fixture("pds_patient.json")], "");
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Mrs Jane SMITH"));
    let out = run(
        home.path(),
        &["inspect", "--json", &fixture("pds_search_one.json")],
        "",
    );
    assert_eq!(out.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["kind"], "patient-search");
    let out = run(
        home.path(),
        &["inspect", &fixture("pds_too_many_matches.json")],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("TOO_MANY_MATCHES"));
}
