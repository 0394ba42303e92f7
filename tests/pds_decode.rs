//! The PDS decoder against fixtures written from NHS England's published examples
//! (personal-demographics-service-api: sandbox/mocks/Patient.json, PatientSearch.json,
//! Sensitive_Patient.json; karate stubs TOO_MANY_MATCHES.json, RESOURCE_NOT_FOUND.json;
//! the empty searchset of the sandbox), then hand-made and random damage: never a panic.

use eps_tracker::pds::model::PartialDate;
use eps_tracker::pds::{NotPds, PdsAnswer, PdsCode, decode};
use proptest::prelude::*;
use serde_json::{Value, json};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

fn patient(body: &[u8]) -> eps_tracker::pds::Patient {
    match decode(body, Some(200)).unwrap() {
        PdsAnswer::Patient { patient } => *patient,
        other => panic!("{other:?}"),
    }
}

fn value(name: &str) -> Value {
    serde_json::from_slice(&fixture(name)).unwrap()
}

#[test]
fn the_published_patient() {
    let p = patient(&fixture("pds_patient.json"));
    assert_eq!(p.nhs_number, "9000000009");
    let name = p.name.as_ref().unwrap();
    assert_eq!(name.to_string(), "Mrs Jane SMITH");
    assert_eq!(p.birth_date, PartialDate::parse("2010-10-22"));
    assert_eq!(p.gender.as_deref(), Some("female"));
    let address = p.address.as_ref().unwrap();
    assert_eq!(address.lines.len(), 5);
    assert_eq!(address.postcode.as_deref(), Some("LS1 6AE"));
    assert_eq!(p.gp_ods.as_deref(), Some("Y12345"));
    assert_eq!(p.deceased.unwrap().to_string(), "2010-10-22");
    assert!(!p.restricted);
    let json = serde_json::to_value(&p).unwrap();
    assert_eq!(json["name"]["given"], json!(["Jane"]));
    assert_eq!(json["name"]["use"], "usual");
    assert_eq!(json["birth_date"], "2010-10-22");
    assert_eq!(json["restricted"], false);
    assert_eq!(json["superseded_from"], Value::Null);
}

#[test]
fn the_published_restricted_patient_has_nothing_to_locate_them() {
    let p = patient(&fixture("pds_sensitive_patient.json"));
    assert!(p.restricted);
    assert_eq!((p.address.clone(), p.gp_ods.clone()), (None, None));
    assert!(
        p.summary_line(chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap())
            .contains("RESTRICTED RECORD")
    );
    // Even if PDS left an address in, a restricted record never shows it.
    let mut v = value("pds_sensitive_patient.json");
    v["address"] = json!([{"use": "home", "line": ["1 Secret Road"], "postalCode": "LS1 1AA"}]);
    v["generalPractitioner"] = json!([{"identifier": {"value": "Y12345"}}]);
    let p = patient(v.to_string().as_bytes());
    assert_eq!((p.address, p.gp_ods), (None, None));
}

#[test]
fn the_published_searchsets_and_outcomes() {
    match decode(&fixture("pds_search_one.json"), Some(200)).unwrap() {
        PdsAnswer::Search {
            total,
            patients,
            skipped,
        } => {
            assert_eq!((total, patients.len(), skipped), (Some(1), 1, 0));
            assert_eq!(patients[0].nhs_number, "9000000009");
        }
        other => panic!("{other:?}"),
    }
    match decode(&fixture("pds_search_empty.json"), Some(200)).unwrap() {
        PdsAnswer::Search {
            total, patients, ..
        } => assert_eq!((total, patients.len()), (Some(0), 0)),
        other => panic!("{other:?}"),
    }
    let PdsAnswer::Outcome { outcome } =
        decode(&fixture("pds_too_many_matches.json"), Some(200)).unwrap()
    else {
        panic!()
    };
    assert_eq!(outcome.code, PdsCode::TooManyMatches);
    assert_eq!(
        outcome.to_string(),
        "more than one patient matches: add the first name or the postcode (TOO_MANY_MATCHES)"
    );
    let PdsAnswer::Outcome { outcome } =
        decode(&fixture("pds_resource_not_found.json"), Some(404)).unwrap()
    else {
        panic!()
    };
    assert_eq!(outcome.code, PdsCode::ResourceNotFound);
    assert_eq!(outcome.http_status, Some(404));
}

#[test]
fn every_code_in_the_contract_has_its_own_plain_message() {
    let codes = [
        "TOO_MANY_MATCHES",
        "INVALID_SEARCH_DATA",
        "UNSUPPORTED_SERVICE",
        "MISSING_VALUE",
        "INVALID_VALUE",
        "ADDITIONAL_PROPERTIES",
        "INVALID_RESOURCE_ID",
        "UNSUPPORTED_REQUEST",
        "ACCESS_DENIED",
        "INVALID_METHOD",
        "RESOURCE_NOT_FOUND",
        "INVALIDATED_RESOURCE",
        "UNABLE_TO_CALL_SERVICE",
        "TOO_MANY_REQUESTS",
        "UNKNOWN_ERROR",
    ];
    let mut messages: Vec<&str> = codes.iter().map(|c| PdsCode::parse(c).plain()).collect();
    for (code, message) in codes.iter().zip(&messages) {
        assert_eq!(PdsCode::parse(code).as_str(), *code);
        assert!(!message.contains('_'), "{code}: {message}");
    }
    messages.dedup();
    assert_eq!(messages.len(), codes.len());
    assert_eq!(PdsCode::parse("NEW_CODE").as_str(), "NEW_CODE");
}

#[test]
fn awkward_patients_decode_to_what_can_be_read() {
    let mut v = value("pds_patient.json");
    v.as_object_mut().unwrap().remove("name");
    v.as_object_mut().unwrap().remove("birthDate");
    let p = patient(v.to_string().as_bytes());
    assert_eq!((p.name.clone(), p.birth_date), (None, None));
    assert!(
        p.summary_line(chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap())
            .contains("(no name)")
    );

    for (text, shown) in [("1980-05", "1980-05"), ("1980", "1980"), ("1980-5", "")] {
        let mut v = value("pds_patient.json");
        v["birthDate"] = json!(text);
        let p = patient(v.to_string().as_bytes());
        assert_eq!(
            p.birth_date.map(|d| d.to_string()).unwrap_or_default(),
            shown
        );
    }

    let mut v = value("pds_patient.json");
    v["address"][0]["line"] = json!(["1", "2", "3", "4", "5", "6", "7"]);
    v["name"] = json!([
        {"use": "usual", "given": ["Jane"], "family": "Smith"},
        {"use": "temp", "given": ["Janey"], "family": "Smith"},
        {"use": "nickname", "given": ["JJ"]},
        {"use": "old", "given": ["Jane"], "family": "Brown"},
        {"use": "usual", "given": ["Jayne"], "family": "Smith"},
    ]);
    v["extension"] = json!([{"url": "https://example.org/unknown", "valueString": "?"}, 42, null]);
    v["gender"] = json!("robot");
    let p = patient(v.to_string().as_bytes());
    assert_eq!(p.address.unwrap().lines.len(), 5);
    assert_eq!(p.name.unwrap().given, vec!["Jane"]);
    let flagged: Vec<String> = p
        .other_names
        .iter()
        .map(|n| format!("{:?}", n.name_use))
        .collect();
    assert_eq!(flagged, vec!["Temp", "Nickname", "Usual"]);
    assert_eq!(p.gender, None);

    let mut v = value("pds_patient.json");
    v["name"][0]["family"] = json!("Smith\u{1b}[2J");
    assert_eq!(
        patient(v.to_string().as_bytes())
            .name
            .unwrap()
            .family
            .as_deref(),
        Some("Smith[2J")
    );
}

#[test]
fn bodies_that_are_not_pds_answers_are_named() {
    let big = vec![b' '; 2 * 1024 * 1024];
    assert!(matches!(
        decode(&big, Some(200)),
        Err(NotPds::TooLarge { .. })
    ));
    assert!(matches!(
        decode(b"<html>502</html>", Some(502)),
        Err(NotPds::NotJson(_))
    ));
    assert!(matches!(
        decode(b"[]", Some(200)),
        Err(NotPds::NoResourceType)
    ));
    assert!(matches!(
        decode(br#"{"resourceType":"Practitioner"}"#, Some(200)),
        Err(NotPds::OtherResource(_))
    ));
    assert!(matches!(
        decode(
            br#"{"resourceType":"Patient","id":"1234567890"}"#,
            Some(200)
        ),
        Err(NotPds::Malformed(..))
    ));
    let mixed = json!({
        "resourceType": "Bundle", "type": "searchset", "total": 2,
        "entry": [{"resource": {"resourceType": "RelatedPerson", "id": "x"}}, {"resource": value("pds_sensitive_patient.json")}],
    });
    match decode(mixed.to_string().as_bytes(), Some(200)).unwrap() {
        PdsAnswer::Search {
            patients, skipped, ..
        } => assert_eq!((patients.len(), skipped), (1, 1)),
        other => panic!("{other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Flipped, dropped or inserted bytes anywhere in a published body: an answer or an
    /// error, never a panic.
    #[test]
    fn mutated_bodies_never_panic(
        which in 0usize..6,
        edits in proptest::collection::vec((any::<usize>(), any::<u8>(), 0u8..3), 1..8),
    ) {
        let names = ["pds_patient.json", "pds_search_one.json", "pds_sensitive_patient.json",
            "pds_too_many_matches.json", "pds_resource_not_found.json", "pds_search_empty.json"];
        let mut body = fixture(names[which]);
        for (at, byte, kind) in edits {
            let at = at % (body.len() + 1);
            match kind {
                0 if at < body.len() => body[at] = byte,
                1 if at < body.len() => { body.remove(at); }
                _ => body.insert(at, byte),
            }
        }
        let _ = decode(&body, Some(200));
    }

    /// Any JSON value in place of any top-level field of the patient.
    #[test]
    fn fields_of_the_wrong_type_never_panic(field in 0usize..12, replacement in prop_oneof![
        Just(json!(null)), Just(json!(7)), Just(json!("text")), Just(json!([1, "a", null])),
        Just(json!({"x": [{}]})), Just(json!(true)),
    ]) {
        let mut v = value("pds_patient.json");
        let keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        let key = keys[field % keys.len()].clone();
        v[&key] = replacement;
        let _ = decode(v.to_string().as_bytes(), Some(200));
    }
}
