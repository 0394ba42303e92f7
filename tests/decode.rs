//! The decoders against our fixtures: the four published shapes (our own synthetic copies),
//! the documented quirks, and every kind of bad input.

use std::path::PathBuf;

use eps_tracker::tracker::MAX_BODY_BYTES;
use eps_tracker::tracker::decode;
use eps_tracker::tracker::error::{BodyKind, FailureClass, NotAResponse, ResponseError};
use eps_tracker::tracker::model::{
    EpsVersion, LineItemStatus, PrescriberType, PrescriptionStatus, ResponseKind, StatusGroup,
    TrackerResponse, TreatmentType,
};
use proptest::prelude::*;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn ok(name: &str) -> TrackerResponse {
    decode(Some(200), &fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn err(name: &str) -> ResponseError {
    match decode(None, &fixture(name)) {
        Ok(response) => panic!("{name} decoded: {response:?}"),
        Err(error) => error,
    }
}

fn issue_numbers(response: &TrackerResponse, index: usize) -> Vec<u32> {
    response.prescriptions[index]
        .issues
        .iter()
        .map(|i| i.number)
        .collect()
}

#[test]
fn basic_search_with_two_prescriptions() {
    let response = ok("search_two_prescriptions.json");
    assert_eq!(response.kind, ResponseKind::Search);
    assert_eq!(response.notice, None);
    assert!(response.warnings.is_empty(), "{:?}", response.warnings);
    let ids: Vec<&str> = response
        .prescriptions
        .iter()
        .map(|p| p.id.as_str())
        .collect();
    // Newest issue date first, whatever order Spine used.
    assert_eq!(
        ids,
        [
            "A1B2C3-A99968-00001G",
            "5C1A2B3D-0001-4E5F-A6B7-C8D9E0F1A2B3G"
        ]
    );
    let repeat = &response.prescriptions[0];
    assert_eq!(repeat.nhs_number.as_digits(), "9993395633");
    assert!(repeat.pending_cancellation);
    let treatment = repeat.treatment.as_ref().unwrap();
    assert_eq!(treatment.code, TreatmentType::Repeat);
    assert_eq!(&*treatment.text, "Repeat Prescribing");
    let status = repeat.current_status().unwrap();
    assert_eq!(status.code, PrescriptionStatus::WithDispenserActive);
    assert_eq!(&*status.text, "With Dispenser - Active");
    assert_eq!(repeat.group(), Some(StatusGroup::Current));
    let items: Vec<LineItemStatus> = repeat.issues[0]
        .line_items
        .iter()
        .map(|l| l.status.as_ref().unwrap().code.clone())
        .collect();
    assert_eq!(
        items,
        [
            LineItemStatus::FullyDispensed,
            LineItemStatus::NotDispensedOwing
        ]
    );
    let acute = &response.prescriptions[1];
    assert!(acute.status_unreliable(), "an R1 long-form ID");
    assert_eq!(
        acute.issue_date.unwrap().to_string(),
        "2026-11-02 09:15 UTC"
    );
    assert_eq!(
        acute.issues[0].issue_date.unwrap().to_string(),
        "2026-11-02"
    );
}

#[test]
fn repeat_dispensing_issues_come_in_number_order() {
    let response = ok("search_repeat_dispensing.json");
    assert_eq!(issue_numbers(&response, 0), [1, 2, 3]);
    let erd = &response.prescriptions[0];
    assert!(erd.is_repeat_dispensing());
    assert_eq!(erd.issues[1].issue_date, None, "\"False\" is no date");
    assert_eq!(
        erd.issues[2].status.as_ref().unwrap().code.group(),
        Some(StatusGroup::Future)
    );
}

#[test]
fn twelve_issues_sort_numerically_not_as_text() {
    let response = ok("quirk_twelve_issues.json");
    assert_eq!(issue_numbers(&response, 0), (1..=12).collect::<Vec<_>>());
    let p = &response.prescriptions[0];
    assert_eq!(p.current_issue().map(|i| i.number), Some(2));
    assert_eq!(
        p.current_status().map(|s| s.code),
        Some(PrescriptionStatus::WithDispenser)
    );
}

#[test]
fn member_names_with_stray_spaces() {
    let response = ok("search_stray_spaces.json");
    assert_eq!(response.kind, ResponseKind::Search);
    assert_eq!(response.prescriptions.len(), 1);
    assert_eq!(response.prescriptions[0].issues[0].line_items.len(), 3);
    assert!(response.warnings.is_empty(), "{:?}", response.warnings);
}

#[test]
fn basic_retrieve() {
    let response = ok("retrieve_repeat_prescribing.json");
    assert_eq!(response.kind, ResponseKind::Retrieve);
    let p = &response.prescriptions[0];
    assert_eq!(p.id.as_str(), "A1B2C3-A99968-00001G");
    let prescriber_type = p.prescriber_type.as_ref().unwrap();
    assert_eq!(prescriber_type.code, PrescriberType::Pharmacist);
    assert!(prescriber_type.text.starts_with("PRIMARY CARE PRESCRIBER"));
    assert_eq!(p.days_supply, Some(28));
    assert_eq!(p.signing_date.unwrap().to_hl7(), "20261110120100");
    let prescriber = p.prescriber.as_ref().unwrap();
    assert_eq!(prescriber.ods.as_deref(), Some("A99968"));
    assert_eq!(prescriber.phone, None, "blank contact is absent");
    let nominated = p.nominated_dispenser.as_ref().unwrap();
    assert_eq!(nominated.ods.as_deref(), Some("FAB12"));
    assert_eq!(nominated.name, None);
    let issue = p.current_issue().unwrap();
    assert_eq!(issue.number, 1);
    assert!(!issue.applied_cancellations);
    assert_eq!(issue.last_dispense_date.unwrap().to_string(), "2026-11-11");
    assert_eq!(
        issue.dispenser.as_ref().unwrap().short(),
        "TEST PHARMACY ONE (FAB12)"
    );
    assert_eq!(
        issue.line_items[0].id.as_deref(),
        Some("1A2B3C4D-0001-4000-8000-00000000000A")
    );
    assert_eq!(
        &*issue.status.as_ref().unwrap().text,
        "With dispenser active",
        "Spine's text is kept exactly"
    );
}

#[test]
fn issue_not_found_still_returns_the_prescription() {
    let response = ok("retrieve_issue_not_found.json");
    let notice = response.notice.as_ref().unwrap();
    assert_eq!(notice.code, "3");
    assert_eq!(notice.reason, "Issue not found");
    assert!(notice.is_issue_not_found());
    let p = &response.prescriptions[0];
    assert!(p.issues.is_empty(), "the blank issue is not invented");
    assert_eq!(
        p.prescriber_type.as_ref().unwrap().code,
        PrescriberType::GeneralPractitioner
    );
    assert!(p.is_repeat_dispensing());
}

#[test]
fn clinical_summary() {
    let response = ok("clinical_summary.json");
    assert_eq!(response.kind, ResponseKind::ClinicalSummary);
    let ids: Vec<&str> = response
        .prescriptions
        .iter()
        .map(|p| p.id.as_str())
        .collect();
    assert_eq!(ids, ["C4D5E6-A99968-00007U", "E1F2A3-B99971-00006V"]);
    let erd = &response.prescriptions[1];
    assert_eq!(
        erd.treatment.as_ref().unwrap().code,
        TreatmentType::RepeatDispensing
    );
    assert_eq!(erd.eps_version, Some(EpsVersion::R2));
    assert_eq!(erd.current_issue, Some(1));
    assert_eq!(erd.total_issues, Some(3));
    assert_eq!(issue_numbers(&response, 1), [1, 2, 3]);
    assert_eq!(
        erd.issues[0].dispenser.as_ref().unwrap().short(),
        "TEST PHARMACY ONE (FAB12)"
    );
    assert_eq!(
        erd.issues[1].dispenser, None,
        "\"Not Found\" is no dispenser"
    );
    assert_eq!(erd.issues[1].last_dispense_date, None);
    assert_eq!(erd.status_text.as_deref(), Some("With Dispenser - Active"));
    assert_eq!(
        erd.current_status().unwrap().code,
        PrescriptionStatus::WithDispenserActive
    );
    let names: Vec<&str> = erd
        .line_items
        .iter()
        .filter_map(|l| l.medication().description.as_deref())
        .collect();
    assert_eq!(
        names,
        [
            "Paracetamol 500mg tablets",
            "Salbutamol 100micrograms/dose inhaler CFC free"
        ]
    );
    let acute = &response.prescriptions[0];
    assert_eq!(acute.treatment.as_ref().unwrap().code, TreatmentType::Acute);
    assert_eq!(acute.group(), Some(StatusGroup::Current));
}

#[test]
fn clinical_detail() {
    let response = ok("clinical_detail.json");
    assert_eq!(response.kind, ResponseKind::ClinicalDetail);
    let p = &response.prescriptions[0];
    assert_eq!(p.id.as_str(), "7A6B5C4D-1111-2222-3333-444455556666C");
    assert_eq!(p.eps_version, Some(EpsVersion::R1));
    assert!(p.status_unreliable());
    assert_eq!(p.download_date.unwrap().to_hl7(), "20261114111540");
    assert_eq!(p.dispensed_date, None);
    assert_eq!(p.claimed_date, None);
    assert_eq!(p.nominated_dispenser, None, "all-blank organisation");
    assert_eq!(p.dispensing_pharmacy, None);
    let prescriber = p.prescriber.as_ref().unwrap();
    assert_eq!(
        prescriber.address.as_deref(),
        Some("1 TEST ROAD, , LEEDS, LS1 1AA")
    );
    assert_eq!(p.line_items.len(), 2);
    let drops = &p.line_items[1];
    assert_eq!(drops.medication().quantity.as_deref(), Some("12.5"));
    assert_eq!(drops.medication().uom.as_deref(), Some("ml"));
    assert_eq!(
        drops.medication().item_status_text.as_deref(),
        Some("With Dispenser")
    );
    assert_eq!(drops.medication().code.as_deref(), Some("330987003"));
    assert_eq!(p.total_issues, Some(1));
}

#[test]
fn spine_errors_carry_code_reason_and_explanation() {
    let error = err("error_invalid_nhs_number.json");
    assert_eq!(error.class(), FailureClass::Answered);
    let spine = error.spine().unwrap();
    assert_eq!(spine.code, "61");
    assert_eq!(spine.reason, "Invalid or missing NHS number");
    assert!(spine.explanation.contains("check digit"));

    let error = err("error_not_found.json");
    assert_eq!(error.spine().unwrap().code, "1");

    let error = err("error_unknown_code.json");
    let message = error.to_string();
    assert!(
        message.starts_with("Spine error 77 \"Service temporarily degraded\""),
        "{message}"
    );
    assert!(
        message.contains("not in the Tracker's published tables"),
        "{message}"
    );
}

#[test]
fn a_byte_order_mark_is_tolerated() {
    assert_eq!(fixture("quirk_bom.json")[..3], *b"\xEF\xBB\xBF");
    let response = ok("quirk_bom.json");
    assert_eq!(
        response.prescriptions[0].id.as_str(),
        "9ABCDE-B99971-00008F"
    );
}

#[test]
fn duplicate_members_the_last_wins() {
    let response = ok("quirk_duplicate_members.json");
    assert_eq!(response.notice, None, "the second statusCode, 0, wins");
    assert_eq!(response.prescriptions.len(), 1);
    let p = &response.prescriptions[0];
    assert_eq!(
        p.current_status().unwrap().code,
        PrescriptionStatus::WithDispenser
    );
    assert_eq!(p.last_event_date.unwrap().to_hl7(), "20261121093000");
    assert!(
        response
            .warnings
            .iter()
            .any(|w| w.contains("appears twice")),
        "{:?}",
        response.warnings
    );
}

#[test]
fn numbers_where_strings_belong() {
    let response = ok("quirk_numbers_as_numbers.json");
    let p = &response.prescriptions[0];
    assert_eq!(p.nhs_number.as_digits(), "9994140027");
    assert_eq!(p.days_supply, Some(28));
    assert_eq!(p.current_issue, Some(1));
    assert!(!p.pending_cancellation);
    assert_eq!(p.treatment.as_ref().unwrap().code, TreatmentType::Acute);
    assert_eq!(p.signing_date.unwrap().to_hl7(), "20261119101307");
    assert_eq!(
        p.issues[0].last_dispense_date.unwrap().to_string(),
        "2026-11-20"
    );
}

#[test]
fn unknown_codes_and_members() {
    let response = ok("quirk_unknown_codes.json");
    let p = &response.prescriptions[0];
    let prescriber = p.prescriber_type.as_ref().unwrap();
    assert_eq!(prescriber.code, PrescriberType::Unknown("0999".into()));
    assert_eq!(&*prescriber.text, "SOME NEW PRESCRIBER TYPE");
    assert_eq!(
        p.treatment.as_ref().unwrap().code,
        TreatmentType::Unknown("0009".into())
    );
    let status = p.current_status().unwrap();
    assert_eq!(status.code, PrescriptionStatus::Unknown("0042".into()));
    assert_eq!(&*status.text, "Held For Review");
    assert_eq!(p.group(), None);
    assert_eq!(
        p.issues[0].line_items[0].status.as_ref().unwrap().code,
        LineItemStatus::Unknown("0099".into())
    );
    assert_eq!(p.last_event_date, None);
    assert_eq!(p.signing_date, None);
}

#[test]
fn json_output_follows_the_documented_schema() {
    let value = serde_json::to_value(ok("search_repeat_dispensing.json")).unwrap();
    assert_eq!(value["kind"], "search");
    let p = &value["prescriptions"][0];
    assert_eq!(p["id"], "7F3E21-A99968-000033");
    assert_eq!(p["nhs_number"], "9999939082");
    assert_eq!(p["treatment"]["code"], "0003");
    assert_eq!(p["treatment"]["text"], "Repeat Dispensing");
    assert_eq!(p["issues"][0]["number"], 1);
    assert_eq!(p["issues"][0]["status"]["code"], "0003");
    assert_eq!(p["issues"][0]["issue_date"], "2026-10-20");
    assert_eq!(p["issues"][0]["line_items"][1]["status"]["code"], "0004");
    assert_eq!(p["issue_date"], "2026-10-20T12:01:00Z");
    assert_eq!(p["issues"][1]["issue_date"], serde_json::Value::Null);

    let value = serde_json::to_value(ok("clinical_detail.json")).unwrap();
    assert_eq!(value["kind"], "clinical-detail");
    let line = &value["prescriptions"][0]["line_items"][0];
    assert_eq!(line["description"], "Paracetamol 500mg tablets");
    assert_eq!(line["quantity"], "32");
    assert_eq!(line["uom"], "tablet");
    assert_eq!(line["dosage"], "Two tablets up to four times a day");
    assert_eq!(
        serde_json::to_value(ok("clinical_summary.json")).unwrap()["kind"],
        "clinical-summary"
    );
    assert_eq!(
        serde_json::to_value(ok("retrieve_repeat_prescribing.json")).unwrap()["kind"],
        "retrieve"
    );
}

#[test]
fn bad_inputs_are_not_tracker_responses() {
    type Check = fn(&NotAResponse) -> bool;
    let cases: [(&str, Check); 6] = [
        ("bad_empty.json", |e| matches!(e, NotAResponse::Empty)),
        ("bad_truncated.json", |e| {
            matches!(e, NotAResponse::Truncated { .. })
        }),
        ("bad_binary.bin", |e| {
            matches!(
                e,
                NotAResponse::Binary {
                    offset: 0,
                    byte: 0x1F
                }
            )
        }),
        ("bad_not_utf8.json", |e| {
            matches!(e, NotAResponse::NotUtf8 { offset: 34 })
        }),
        ("bad_plain_text.txt", |e| {
            matches!(e, NotAResponse::Other(BodyKind::PlainText { .. }))
        }),
        ("bad_wrong_shape.json", |e| {
            matches!(e, NotAResponse::WrongShape(_))
        }),
    ];
    for (name, expected) in cases {
        let error = err(name);
        assert_eq!(error.class(), FailureClass::NotAResponse, "{name}");
        match &error {
            ResponseError::NotAResponse(reason) => assert!(expected(reason), "{name}: {reason:?}"),
            other => panic!("{name}: {other:?}"),
        }
    }
    let message = err("bad_typographic_quotes.json").to_string();
    assert!(message.contains("typographic quotes"), "{message}");
}

#[test]
fn gateway_bodies_are_named() {
    let error = err("gateway_502.html");
    assert_eq!(error.class(), FailureClass::Answered);
    assert_eq!(
        error,
        ResponseError::Gateway {
            status: None,
            body: BodyKind::Html {
                title: Some("502 Bad Gateway".into())
            }
        }
    );
    let with_status = decode(Some(502), &fixture("gateway_502.html")).unwrap_err();
    assert_eq!(
        with_status.to_string(),
        "the Spine gateway answered 502 Bad Gateway (HTML page \"502 Bad Gateway\"), not a \
         Tracker response"
    );
    assert_eq!(
        err("gateway_soap_fault.xml"),
        ResponseError::Gateway {
            status: None,
            body: BodyKind::SoapFault {
                code: Some("SOAP-ENV:Client".into()),
                reason: Some("Interaction not permitted for this ASID".into())
            }
        }
    );
    assert_eq!(
        err("gateway_hl7_ack.xml"),
        ResponseError::Gateway {
            status: None,
            body: BodyKind::Hl7Acknowledgement {
                code: Some("AE".into()),
                text: Some("5000 Unable to process message".into())
            }
        }
    );
    assert_eq!(
        err("gateway_billion_laughs.xml"),
        ResponseError::Gateway {
            status: None,
            body: BodyKind::Xml {
                root: "lolz".into()
            }
        }
    );
}

#[test]
fn nesting_200_000_deep_is_refused_without_overflowing_the_stack() {
    for body in [
        "[".repeat(200_000),
        format!("{}1{}", "[".repeat(200_000), "]".repeat(200_000)),
        r#"{"a":"#.repeat(200_000),
    ] {
        assert_eq!(
            decode(None, body.as_bytes()),
            Err(ResponseError::NotAResponse(NotAResponse::TooDeep))
        );
    }
}

#[test]
fn the_depth_limit_is_exactly_the_one_the_message_names() {
    use eps_tracker::tracker::error::MAX_JSON_DEPTH;
    let nested = |depth: usize| format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
    assert!(matches!(
        decode(None, nested(MAX_JSON_DEPTH).as_bytes()),
        Err(ResponseError::NotAResponse(NotAResponse::WrongShape(_)))
    ));
    assert_eq!(
        decode(None, nested(MAX_JSON_DEPTH + 1).as_bytes()),
        Err(ResponseError::NotAResponse(NotAResponse::TooDeep))
    );
    // Deep nesting in a member the decoder passes over is refused all the same.
    let skipped = format!(
        r#"{{"statusCode": "0", "prescriptionList": {{"0FBD16-C81007-00001S": {{
            "patientNhsNumber": "9990548609", "unknown": {}}}}}}}"#,
        nested(MAX_JSON_DEPTH)
    );
    assert_eq!(
        decode(None, skipped.as_bytes()),
        Err(ResponseError::NotAResponse(NotAResponse::TooDeep))
    );
}

#[test]
fn bodies_over_the_cap_are_refused() {
    let body = vec![b' '; MAX_BODY_BYTES + 1];
    assert_eq!(
        decode(None, &body),
        Err(ResponseError::NotAResponse(NotAResponse::TooLarge))
    );
}

const DECODABLE: [&str; 12] = [
    "search_two_prescriptions.json",
    "search_repeat_dispensing.json",
    "search_stray_spaces.json",
    "retrieve_repeat_prescribing.json",
    "retrieve_issue_not_found.json",
    "clinical_summary.json",
    "clinical_detail.json",
    "quirk_twelve_issues.json",
    "quirk_duplicate_members.json",
    "quirk_numbers_as_numbers.json",
    "quirk_unknown_codes.json",
    "gateway_soap_fault.xml",
];

/// One edit to a body: overwrite, insert or delete a byte, or cut the body short.
#[derive(Debug, Clone)]
enum Mutation {
    Overwrite(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let interesting = prop_oneof![
        Just(b'"'),
        Just(b'{'),
        Just(b'}'),
        Just(b'['),
        Just(b','),
        Just(b':'),
        Just(b'\\'),
        Just(b'<'),
        Just(0u8),
        any::<u8>(),
    ];
    prop_oneof![
        (any::<usize>(), interesting.clone()).prop_map(|(at, b)| Mutation::Overwrite(at, b)),
        (any::<usize>(), interesting).prop_map(|(at, b)| Mutation::Insert(at, b)),
        any::<usize>().prop_map(Mutation::Delete),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn apply(body: &mut Vec<u8>, mutation: &Mutation) {
    let len = body.len().max(1);
    match *mutation {
        Mutation::Overwrite(at, byte) => {
            if let Some(slot) = body.get_mut(at % len) {
                *slot = byte;
            }
        }
        Mutation::Insert(at, byte) => body.insert(at % (body.len() + 1), byte),
        Mutation::Delete(at) => {
            if !body.is_empty() {
                body.remove(at % len);
            }
        }
        Mutation::Truncate(at) => body.truncate(at % len),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Whatever happens to a body, decoding returns (Ok or Err) and never panics; an Ok
    /// always still serialises.
    #[test]
    fn mutated_bodies_never_panic(
        which in 0..DECODABLE.len(),
        mutations in prop::collection::vec(mutation(), 1..8),
        status in prop_oneof![Just(None), Just(Some(200u16)), Just(Some(502u16))],
    ) {
        let mut body = fixture(DECODABLE[which]);
        for m in &mutations {
            apply(&mut body, m);
        }
        if let Ok(response) = decode(status, &body) {
            prop_assert!(serde_json::to_string(&response).is_ok());
        }
    }
}
