//! `eps-tracker inspect` from the outside: the built binary on every fixture, checking exit
//! codes, messages and the `--json` document.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_eps-tracker");

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn inspect(args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("inspect")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run eps-tracker")
}

fn inspect_fixture(name: &str, extra: &[&str]) -> Output {
    let path = fixture(name);
    let mut args: Vec<&str> = extra.to_vec();
    args.push(path.to_str().expect("utf-8 path"));
    inspect(&args)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn successful_responses_exit_0_with_a_summary() {
    for (name, title) in [
        (
            "search_two_prescriptions.json",
            "Basic search: 2 prescriptions",
        ),
        (
            "retrieve_repeat_prescribing.json",
            "Basic retrieve: 1 prescription",
        ),
        (
            "clinical_summary.json",
            "Clinical summary search: 2 prescriptions",
        ),
        ("clinical_detail.json", "Clinical detail: 1 prescription"),
        ("quirk_bom.json", "Basic search: 1 prescription"),
        ("quirk_unknown_codes.json", "Basic retrieve: 1 prescription"),
    ] {
        let output = inspect_fixture(name, &[]);
        assert_eq!(output.status.code(), Some(0), "{name}: {}", stderr(&output));
        assert!(
            stdout(&output).starts_with(title),
            "{name}: {}",
            stdout(&output)
        );
    }
    let unknown = stdout(&inspect_fixture("quirk_unknown_codes.json", &[]));
    assert!(
        unknown.contains("Held For Review (code 0042, not in our table)"),
        "{unknown}"
    );
}

#[test]
fn twelve_issues_print_in_number_order() {
    let text = stdout(&inspect_fixture("quirk_twelve_issues.json", &[]));
    let numbers: Vec<u32> = text
        .lines()
        .skip_while(|l| l.trim() != "Issues")
        .skip(1)
        .filter_map(|l| {
            let first = l.split_whitespace().next()?;
            if l.starts_with("    ") && !l.trim_start().starts_with("item") {
                first.parse().ok()
            } else {
                None
            }
        })
        .collect();
    assert_eq!(numbers, (1..=12).collect::<Vec<_>>(), "{text}");
}

#[test]
fn issue_not_found_exits_0_with_a_note() {
    let output = inspect_fixture("retrieve_issue_not_found.json", &[]);
    assert_eq!(output.status.code(), Some(0));
    assert!(
        stderr(&output).contains("note: Spine error 3 \"Issue not found\""),
        "{}",
        stderr(&output)
    );
}

#[test]
fn spine_and_gateway_errors_exit_1_naming_what_came_back() {
    for (name, message) in [
        (
            "error_invalid_nhs_number.json",
            "Spine error 61 \"Invalid or missing NHS number\"",
        ),
        ("error_not_found.json", "Spine error 1 \"Not found\""),
        ("error_unknown_code.json", "Spine error 77"),
        ("gateway_502.html", "HTML page \"502 Bad Gateway\""),
        (
            "gateway_soap_fault.xml",
            "SOAP fault SOAP-ENV:Client \"Interaction not permitted for this ASID\"",
        ),
        (
            "gateway_hl7_ack.xml",
            "HL7 acknowledgement AE \"5000 Unable to process message\"",
        ),
        ("gateway_billion_laughs.xml", "XML document <lolz>"),
    ] {
        let output = inspect_fixture(name, &[]);
        assert_eq!(output.status.code(), Some(1), "{name}");
        assert!(
            stderr(&output).contains(message),
            "{name}: {}",
            stderr(&output)
        );
        assert!(stdout(&output).is_empty(), "{name}");
    }
    let output = inspect_fixture("gateway_502.html", &["--http-status", "502"]);
    assert_eq!(
        stderr(&output).trim(),
        "error: the Spine gateway answered 502 Bad Gateway (HTML page \"502 Bad \
         Gateway\"), not a Tracker response"
    );
}

#[test]
fn inputs_that_are_not_responses_exit_2() {
    for (name, message) in [
        ("bad_empty.json", "the body is empty"),
        ("bad_truncated.json", "the JSON is truncated"),
        ("bad_binary.bin", "the body looks binary"),
        ("bad_not_utf8.json", "not UTF-8"),
        (
            "bad_plain_text.txt",
            "the body is plain text \"Service Unavailable",
        ),
        ("bad_wrong_shape.json", "the top level is an array"),
        ("bad_typographic_quotes.json", "typographic quotes"),
        ("no_such_file.json", "cannot open"),
    ] {
        let output = inspect_fixture(name, &[]);
        assert_eq!(output.status.code(), Some(2), "{name}");
        assert!(
            stderr(&output).contains(message),
            "{name}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn deep_nesting_and_oversized_files_exit_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    let deep = dir.path().join("deep.json");
    std::fs::write(&deep, "[".repeat(200_000)).expect("write");
    let output = inspect(&[deep.to_str().expect("utf-8")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("nests deeper than"),
        "{}",
        stderr(&output)
    );

    // 50 MB, sparse: refused after reading the cap plus one byte.
    let big = dir.path().join("big.json");
    std::fs::File::create(&big)
        .and_then(|f| f.set_len(50 * 1024 * 1024))
        .expect("sparse file");
    let output = inspect(&[big.to_str().expect("utf-8")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("larger than the 16 MiB limit"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn standard_input_is_read_with_a_dash() {
    let mut child = Command::new(BIN)
        .args(["inspect", "--json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let body = std::fs::read(fixture("clinical_summary.json")).expect("fixture");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&body)
        .expect("write");
    let output = child.wait_with_output().expect("wait");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(value["kind"], "clinical-summary");
}

#[test]
fn oversized_standard_input_is_refused_without_reading_it_all() {
    let mut child = Command::new(BIN)
        .args(["inspect", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        let chunk = vec![b' '; 1024 * 1024];
        // The reader stops after the cap; the rest of the 50 MB meets a closed pipe.
        for _ in 0..50 {
            if stdin.write_all(&chunk).is_err() {
                return false;
            }
        }
        true
    });
    let output = child.wait_with_output().expect("wait");
    let wrote_everything = writer.join().expect("writer");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("standard input is larger than the 16 MiB limit"),
        "{}",
        stderr(&output)
    );
    assert!(!wrote_everything, "inspect read more than the cap");
}

#[test]
fn json_output_is_the_documented_model() {
    let output = inspect_fixture("search_repeat_dispensing.json", &["--json"]);
    assert_eq!(output.status.code(), Some(0));
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(value["kind"], "search");
    let p = &value["prescriptions"][0];
    assert_eq!(p["id"], "7F3E21-A99968-000033");
    assert_eq!(p["nhs_number"], "9999939082");
    assert_eq!(p["treatment"]["code"], "0003");
    let numbers: Vec<u64> = p["issues"]
        .as_array()
        .expect("issues")
        .iter()
        .filter_map(|i| i["number"].as_u64())
        .collect();
    assert_eq!(numbers, [1, 2, 3]);
    assert_eq!(p["issues"][0]["status"]["text"], "With Dispenser - Active");
    assert_eq!(p["issues"][0]["line_items"][0]["status"]["code"], "0001");
}

#[test]
fn json_errors_are_documents_too() {
    let output = inspect_fixture("error_invalid_nhs_number.json", &["--json"]);
    assert_eq!(output.status.code(), Some(1));
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(value["class"], "spine-error");
    assert_eq!(value["spine"]["code"], "61");
    let output = inspect_fixture("bad_empty.json", &["--json"]);
    assert_eq!(output.status.code(), Some(2));
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(value["class"], "not-a-response");
    assert_eq!(value["message"], "the body is empty");
}
