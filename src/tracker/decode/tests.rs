use super::*;
use crate::tracker::error::FailureClass;

#[test]
fn a_200_deep_thousand_array_is_refused_before_parsing() {
    let deep = "[".repeat(200_000);
    assert_eq!(
        decode(None, deep.as_bytes()),
        Err(ResponseError::NotAResponse(NotAResponse::TooDeep))
    );
}

#[test]
fn byte_level_problems_are_named() {
    assert_eq!(
        decode(None, b""),
        Err(ResponseError::NotAResponse(NotAResponse::Empty))
    );
    assert_eq!(
        decode(None, b"\xEF\xBB\xBF  \n"),
        Err(ResponseError::NotAResponse(NotAResponse::Empty))
    );
    assert_eq!(
        decode(None, b"{\"a\": \"\xff\"}"),
        Err(ResponseError::NotAResponse(NotAResponse::NotUtf8 {
            offset: 7
        }))
    );
    assert_eq!(
        decode(None, b"\x89PNG\r\n\x1a\n\0\0"),
        Err(ResponseError::NotAResponse(NotAResponse::Binary {
            offset: 6,
            byte: 0x1A
        }))
    );
}

#[test]
fn an_empty_body_with_a_failed_status_is_the_gateway() {
    let error = decode(Some(503), b"").unwrap_err();
    assert_eq!(error.class(), FailureClass::Answered);
    assert_eq!(
        error.to_string(),
        "the Spine gateway answered 503 Service Unavailable (an empty body), not a Tracker \
         response"
    );
}

#[test]
fn truncated_and_invalid_json_are_told_apart() {
    assert!(matches!(
        decode(None, br#"{"statusCode": "0", "prescriptionList": {"#),
        Err(ResponseError::NotAResponse(NotAResponse::Truncated { .. }))
    ));
    assert!(matches!(
        decode(None, br#"{"statusCode": "0",, }"#),
        Err(ResponseError::NotAResponse(
            NotAResponse::InvalidJson { .. }
        ))
    ));
}

/// Bodies are parsed without their indentation; an error still names the line and column
/// of the body as it came.
#[test]
fn an_error_in_an_indented_body_names_the_column_as_it_came() {
    let text = "{\n        \"statusCode\": \"0\",\n        \"reason\" \"\"\n}";
    let expected = serde_json::from_str::<serde_json::Value>(text).unwrap_err();
    assert_eq!((expected.line(), expected.column()), (3, 18));
    match decode(None, text.as_bytes()) {
        Err(ResponseError::NotAResponse(NotAResponse::InvalidJson { line, column, .. })) => {
            assert_eq!((line, column), (3, 18));
        }
        other => panic!("{other:?}"),
    }
    let truncated = "{\n        \"statusCode\": \"0\",\n        \"prescriptionList\": {";
    match decode(None, truncated.as_bytes()) {
        Err(ResponseError::NotAResponse(NotAResponse::Truncated { line, column })) => {
            assert_eq!((line, column), (3, 29));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn typographic_quotes_get_a_hint() {
    let error = decode(None, "{\"statusCode\": “0”}".as_bytes()).unwrap_err();
    assert!(error.to_string().contains("typographic quotes"), "{error}");
}

#[test]
fn wrong_shapes_say_what_they_are() {
    let error = decode(None, b"[1, 2]").unwrap_err();
    assert_eq!(
        error.to_string(),
        "the JSON is not a Tracker response: the top level is an array, not an object"
    );
    let error = decode(None, br#"{"hello": "world"}"#).unwrap_err();
    assert!(error.to_string().contains("\"hello\""), "{error}");
    assert!(error.to_string().contains("no statusCode"), "{error}");
    let error = decode(None, br#"{"statusCode": "0", "reason": ""}"#).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the JSON is not a Tracker response: none of prescriptionList, prescription, \
         prescriptions or a member named by a prescription ID (members: \"statusCode\", \
         \"reason\")"
    );
    let error = decode(Some(401), br#"{"message": "Unauthorized"}"#).unwrap_err();
    assert_eq!(error.class(), FailureClass::Answered);
}

#[test]
fn plain_text_is_quoted() {
    let error = decode(None, b"\n  Service temporarily unavailable\nretry later").unwrap_err();
    assert_eq!(
        error.to_string(),
        "the body is plain text \"Service temporarily unavailable\", not a Tracker response"
    );
    assert_eq!(error.class(), FailureClass::NotAResponse);
    assert_eq!(
        decode(Some(500), b"oops").unwrap_err().class(),
        FailureClass::Answered
    );
}

#[test]
fn a_spine_error_with_an_empty_result_member() {
    let body = br#"{"statusCode": "61", "reason": "Invalid NHS number", "prescriptions": {}, "version": "1.0"}"#;
    let error = decode(Some(200), body).unwrap_err();
    let spine = error.spine().unwrap();
    assert_eq!(spine.code, "61");
    assert_eq!(spine.reason, "Invalid NHS number");
}

#[test]
fn warnings_say_where_the_oddity_is() {
    let body = br#"{"statusCode": "0", "prescriptionList": {"0FBD16-C81007-00001S": {
        "patientNhsNumber": "9990548609",
        "issues": {"3": {"issueDate": "2026-13-45", "lineItems": {"x": {}}}}}}}"#;
    let response = decode(None, body).unwrap();
    assert_eq!(
        response.warnings,
        [
            "prescription 0FBD16-C81007-00001S issue 3: issueDate: '2026-13-45' is not an HL7 \
             date (YYYYMMDD or YYYYMMDDHHMMSS); left out",
            "prescription 0FBD16-C81007-00001S issue 3: entry 'x' is not numbered; skipped",
        ]
    );
    assert_eq!(response.prescriptions[0].issues[0].issue_date, None);
}

#[test]
fn search_warnings_keep_the_order_of_reading_sorted_entries() {
    // Issues and line items out of order, a repeated issue and an unnumbered one, and the
    // prescription's own members after its issues: the search is read as it is parsed,
    // but warnings come as if each list had been read sorted, each prescription's and
    // each issue's own first.
    let body = br#"{"statusCode": "0", "prescriptionList": {"0FBD16-C81007-00001S": {
        "issues": {
            "2": {"lineItems": {"2": {"status": []}, "1": {"id": {}}}, "issueDate": "2026-13-42"},
            "x": {"issueDate": "2026-13-49"},
            "1": {"issueDate": "2026-13-40"},
            "1": {"issueDate": "2026-13-41", "prescriptionStatus": {"statusCode": [], "statusText": "T"}}
        },
        "patientNhsNumber": "9990548609",
        "lastEventDate": "2026-13-45"}}}"#;
    let response = decode(None, body).unwrap();
    let date = |whose: &str, name: &str, value: &str| {
        format!(
            "prescription 0FBD16-C81007-00001S{whose}: {name}: '{value}' is not an HL7 date \
             (YYYYMMDD or YYYYMMDDHHMMSS); left out"
        )
    };
    assert_eq!(
        response.warnings,
        [
            date("", "lastEventDate", "2026-13-45"),
            "prescription 0FBD16-C81007-00001S: entry 'x' is not numbered; skipped".to_owned(),
            date(" issue 1", "issueDate", "2026-13-41"),
            "prescription 0FBD16-C81007-00001S issue 1 prescriptionStatus: statusCode is an \
             array, expected text; ignored"
                .to_owned(),
            date(" issue 2", "issueDate", "2026-13-42"),
            "prescription 0FBD16-C81007-00001S issue 2 line item 1: id is an object, expected \
             text; ignored"
                .to_owned(),
        ]
    );
    let issues = &response.prescriptions[0].issues;
    assert_eq!(issues.iter().map(|i| i.number).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(issues[0].status.as_ref().map(|s| &*s.text), Some("T"));
    assert_eq!(issues[1].line_items.len(), 2);
}

#[test]
fn the_warning_cap_holds_across_entries() {
    let lines: Vec<String> = (1..=30)
        .map(|n| format!(r#""{n}": {{"id": {{}}}}"#))
        .collect();
    let body = format!(
        r#"{{"statusCode": "0", "prescriptionList": {{"0FBD16-C81007-00001S": {{
            "patientNhsNumber": "9990548609",
            "issues": {{"1": {{"lineItems": {{{}}}}}}}}}}}}}"#,
        lines.join(", ")
    );
    let response = decode(None, body.as_bytes()).unwrap();
    assert_eq!(response.warnings.len(), 21);
    assert!(response.warnings[19].contains("line item 20:"));
    assert_eq!(
        response.warnings[20],
        "more oddities in this response were not listed"
    );
}

#[test]
fn a_binary_byte_is_named_first_whatever_else_is_wrong() {
    let binary = |offset| {
        Err(ResponseError::NotAResponse(NotAResponse::Binary {
            offset,
            byte: 0x01,
        }))
    };
    // In a string, outside one, in bad JSON, in deep JSON, after bad UTF-8, in text.
    assert_eq!(decode(None, b"{\"a\": \"\x01\"}"), binary(7));
    assert_eq!(decode(None, b"{\"a\": 1}\x01"), binary(8));
    assert_eq!(decode(None, b"{\"a\": \x01 1,, }"), binary(6));
    let mut deep = "[".repeat(300).into_bytes();
    deep.push(0x01);
    assert_eq!(decode(None, &deep), binary(300));
    assert_eq!(decode(None, b"{\"a\": \"\xff\x01\"}"), binary(8));
    assert_eq!(decode(None, b"plain \x01 text"), binary(6));
    assert_eq!(decode(None, b"<html>\x01</html>"), binary(6));
}

#[test]
fn long_numbered_lists_sort_and_keep_the_last_repeat() {
    // Past the positions a list keeps inline, in reverse, with position 3 sent twice.
    let mut lines: Vec<String> = (1..=40)
        .rev()
        .map(|n| format!(r#""{n}": {{"id": "line-{n}"}}"#))
        .collect();
    lines.push(r#""3": {"id": "line-3-again"}"#.to_owned());
    let body = format!(
        r#"{{"statusCode": "0", "prescriptionList": {{"0FBD16-C81007-00001S": {{
            "patientNhsNumber": "9990548609",
            "issues": {{"1": {{"lineItems": {{{}}}}}}}}}}}}}"#,
        lines.join(", ")
    );
    let response = decode(None, body.as_bytes()).unwrap();
    let ids: Vec<String> = response.prescriptions[0].issues[0]
        .line_items
        .iter()
        .map(|line| line.id.clone().unwrap_or_default())
        .collect();
    let mut expected: Vec<String> = (1..=40).map(|n| format!("line-{n}")).collect();
    expected[2] = "line-3-again".to_owned();
    assert_eq!(ids, expected);
}

/// The issues' numbers of a one-prescription search whose `issues` member is `issues`,
/// after checking that its warnings are exactly one per `(issue, date)` in `told`, in that
/// order.
fn issues_read(issues: &str, told: &[(&str, &str)]) -> Vec<u32> {
    let body = format!(
        r#"{{"statusCode": "0", "prescriptionList": {{"0FBD16-C81007-00001S": {{
            "patientNhsNumber": "9990548609", "issues": {issues}}}}}}}"#
    );
    let response = decode(None, body.as_bytes()).unwrap();
    let warnings = &response.warnings;
    assert_eq!(warnings.len(), told.len(), "{warnings:?}");
    for (warning, (issue, date)) in warnings.iter().zip(told) {
        assert!(
            warning.contains(&format!("{issue}:")) && warning.contains(date),
            "{warnings:?}"
        );
    }
    response.prescriptions[0]
        .issues
        .iter()
        .map(|issue| issue.number)
        .collect()
}

#[test]
fn issues_in_any_order_come_out_in_number_order_the_last_of_a_repeat_winning() {
    // Text order, a repeat, and a number never sent.
    let numbers = issues_read(
        r#"{"3": {"issueDate": "bad3a"}, "1": {"issueDate": "20260101"},
            "3": {"issueDate": "bad3b"}, "5": {"issueDate": "20260105"},
            "2": {"issueDate": "bad2"}, "10": {}, "11": {}, "4": {}}"#,
        &[("issue 2", "bad2"), ("issue 3", "bad3b")],
    );
    assert_eq!(numbers, [1, 2, 3, 4, 5, 10, 11]);

    // Issue 0 and one far beyond the rest, with a repeat on each side of them.
    let numbers = issues_read(
        r#"{"2": {"issueDate": "bad2a"}, "0": {"issueDate": "bad0"},
            "300": {"issueDate": "20260101"}, "2": {"issueDate": "bad2b"},
            "1": {}, "0": {"issueDate": "bad0b"}}"#,
        &[("issue 0", "bad0b"), ("issue 2", "bad2b")],
    );
    assert_eq!(numbers, [0, 1, 2, 300]);

    let numbers = issues_read(r#"{"200": {}, "7": {}}"#, &[]);
    assert_eq!(numbers, [7, 200]);
}

/// Pairs of two strings take a short path; blank, padded or "False" strings, and numbers,
/// still go through the general rules.
#[test]
fn pairs_read_the_same_whatever_their_strings() {
    let body = r#"{"statusCode": "0", "prescriptionList": {"5C1A2B3D-0001-4E5F-A6B7-C8D9E0F1A2B3G": {
        "patientNhsNumber": "9990548609",
        "prescriptionIssueDate": "20260108120100",
        "prescriptionTreatmentType": {"prescriptionTreatmentTypeText": " Acute ", "prescriptionTreatmentTypeCode": "0001 "},
        "issues": {"1": {
            "prescriptionStatus": {"statusText": "", "statusCode": "0006"},
            "lineItems": {
                "1": {"status": {"statusText": "False", "statusCode": ""}},
                "2": {"status": {"statusText": "Dispensed elsewhere", "statusCode": " "}},
                "3": {"status": {"statusText": "Item fully dispensed", "statusCode": 1}}
            }
        }}
    }}}"#;
    let response = decode(None, body.as_bytes()).unwrap();
    let value = serde_json::to_value(&response).unwrap();
    let prescription = &value["prescriptions"][0];
    let issue = &prescription["issues"][0];
    let statuses: Vec<String> = issue["line_items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| line["status"].to_string())
        .collect();
    assert_eq!(
        (
            prescription["treatment"].to_string(),
            issue["status"].to_string(),
            statuses,
        ),
        (
            r#"{"code":"0001","text":" Acute "}"#.to_owned(),
            r#"{"code":"0006","text":""}"#.to_owned(),
            vec![
                "null".to_owned(),
                r#"{"code":"","text":"Dispensed elsewhere"}"#.to_owned(),
                r#"{"code":"0001","text":"Item fully dispensed"}"#.to_owned(),
            ]
        )
    );
}
