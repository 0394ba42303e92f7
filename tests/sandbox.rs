//! The real client against the real sandbox over real mutual TLS on loopback: every
//! endpoint, Spine's error codes, every fault, every certificate failure, each checked by
//! the message a user sees.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use eps_tracker::security::settings::SecuritySettings;

use eps_tracker::files::PemSource;
use eps_tracker::sandbox::certs::{Authority, Issued, Validity};
use eps_tracker::sandbox::embedded::{EmbeddedOptions, EmbeddedSandbox};
use eps_tracker::sandbox::faults::Fault;
use eps_tracker::security::audit::{
    AuditFilter, AuditLog, Event, Origin, Outcome, StoredRecord, read_records,
};
use eps_tracker::security::demo;
use eps_tracker::security::gate::{Gate, GateError};
use eps_tracker::security::hashing::HashParams;
use eps_tracker::security::password::Password;
use eps_tracker::security::rbac::RoleMap;
use eps_tracker::security::session::Session;
use eps_tracker::security::signin::Authenticator;
use eps_tracker::security::spine_client::{
    ClientSettings, FetchError, FetchFailure, Fetched, TrackerClient, TransportError,
};
use eps_tracker::security::users::UserStore;
use eps_tracker::tracker::ids::{NhsNumber, PrescriptionId};
use eps_tracker::tracker::model::ResponseKind;
use eps_tracker::tracker::query::{RetrieveQuery, SearchQuery, TrackerRequest};
use eps_tracker::tracker::{ResponseError, SpineError};
use serde_json::Value;
use tempfile::TempDir;
use zeroize::Zeroizing;

const DEMO: &str = "9990548609";
const DEMO_ACUTE: &str = "5F39E1-Y90001-910957";
const DEMO_ERD: &str = "69F233-Y90001-C5AE6D";
const NO_PRESCRIPTIONS: &str = "9990100160";
const UNPARSABLE: &str = "F5E4A0-Y90002-BC5BAJ";
const SIBLING: &str = "19769E-Y90004-1B5397";
const BAD_CHECK: &str = "6AE57C-Y90001-4F71CQ";

async fn sandbox() -> EmbeddedSandbox {
    EmbeddedSandbox::start(EmbeddedOptions::default())
        .await
        .expect("sandbox starts")
}

async fn sandbox_with_fault(fault: Fault) -> EmbeddedSandbox {
    EmbeddedSandbox::start(EmbeddedOptions {
        fault: Some(fault),
        ..EmbeddedOptions::default()
    })
    .await
    .expect("sandbox starts")
}

/// A client behind the security gate with a signed-in clinician (who may use all four
/// endpoints): the gate is the only way the program reaches the Tracker, so these tests go
/// through it too. Audit records go to a temporary home.
#[derive(Clone)]
struct Gated {
    gate: Arc<Gate>,
    session: Session,
    _home: Arc<TempDir>,
}

impl Gated {
    async fn fetch(&self, request: &TrackerRequest) -> Result<Fetched, FetchError> {
        match self
            .gate
            .request(&self.session, request.clone(), Utc::now())
            .await
        {
            Ok(fetched) => Ok(fetched),
            Err(GateError::Fetch(error)) => Err(error),
            Err(other) => panic!("the gate refused the request: {other}"),
        }
    }

    /// Every record this client's gate has written, oldest first.
    fn trail(&self) -> Vec<StoredRecord> {
        read_records(&self._home.path().join("audit"), &AuditFilter::default())
            .expect("the trail reads")
    }
}

fn gated(client: TrackerClient) -> Gated {
    let home = tempfile::tempdir().expect("temp home");
    let store = UserStore::open(
        &home.path().join("users.toml"),
        HashParams::FAST_INSECURE_FOR_TESTS,
    )
    .expect("user store");
    let audit = AuditLog::open(&home.path().join("audit"), Origin::default()).expect("audit");
    let mut auth = Authenticator::new(
        store,
        audit.clone(),
        SecuritySettings::default(),
        RoleMap::default(),
    );
    let now = Utc::now();
    demo::seed_demo_accounts(&mut auth, now).expect("demo accounts");
    let password = Password::new(demo::DEMO_PASSWORD.to_owned());
    let signed_in = auth.sign_in("clinician", &password, now).expect("sign-in");
    let profile = signed_in.only_profile().expect("one profile").clone();
    let session = auth
        .choose_profile(signed_in, &profile, now)
        .expect("session");
    Gated {
        gate: Arc::new(Gate::new(client, audit)),
        session,
        _home: Arc::new(home),
    }
}

fn search(nhs: &str) -> TrackerRequest {
    TrackerRequest::Search(SearchQuery::new(NhsNumber::parse(nhs).unwrap()))
}

fn retrieve(id: &str, issue: Option<u32>) -> TrackerRequest {
    let mut query = RetrieveQuery::new(PrescriptionId::parse(id).unwrap());
    query.issue = issue;
    TrackerRequest::Retrieve(query)
}

fn detail(id: &str, issue: Option<u32>) -> TrackerRequest {
    let mut query = RetrieveQuery::new(PrescriptionId::parse(id).unwrap());
    query.issue = issue;
    TrackerRequest::ClinicalDetail(query)
}

fn client(sandbox: &EmbeddedSandbox) -> Gated {
    gated(TrackerClient::new(&sandbox.client_settings()).expect("client for the sandbox"))
}

fn spine_error(err: FetchError) -> SpineError {
    match err.failure {
        FetchFailure::Response(ResponseError::Spine(e)) => e,
        other => panic!("expected a Spine error, got {other:?}"),
    }
}

fn transport(err: FetchError) -> TransportError {
    match err.failure {
        FetchFailure::Transport(e) => e,
        other => panic!("expected a transport failure, got {other:?}"),
    }
}

// ---- the four endpoints -------------------------------------------------------------

#[tokio::test]
async fn basic_search_finds_the_demo_patients_recent_prescriptions() {
    let sb = sandbox().await;
    let fetched = client(&sb).fetch(&search(DEMO)).await.unwrap();
    assert_eq!(fetched.response.kind, ResponseKind::Search);
    let ids: Vec<&str> = fetched
        .response
        .prescriptions
        .iter()
        .map(|p| p.id.as_str())
        .collect();
    // Acute, repeat prescribing and the 6-issue eRD are within 28 days; the older eRD and
    // the claimed acute are not.
    assert_eq!(ids.len(), 3, "{ids:?}");
    assert!(ids.contains(&DEMO_ACUTE) && ids.contains(&DEMO_ERD));
    let erd = fetched
        .response
        .prescriptions
        .iter()
        .find(|p| p.id.as_str() == DEMO_ERD)
        .unwrap();
    assert_eq!(erd.issues.len(), 6);
    assert!(
        fetched.response.warnings.is_empty(),
        "{:?}",
        fetched.response.warnings
    );
    let trace = fetched.trace_id.as_str();
    assert!(trace.len() <= 30 && trace.starts_with("EPST-"), "{trace}");
}

#[tokio::test]
async fn basic_retrieve_gives_the_asked_for_issue() {
    let sb = sandbox().await;
    let c = client(&sb);
    let fetched = c.fetch(&retrieve(DEMO_ERD, Some(3))).await.unwrap();
    assert_eq!(fetched.response.kind, ResponseKind::Retrieve);
    let p = &fetched.response.prescriptions[0];
    assert_eq!(p.id.as_str(), DEMO_ERD);
    // The outcome names the patient, so an auditor asking about them finds this access.
    let by_patient = read_records(
        &c._home.path().join("audit"),
        &AuditFilter {
            nhs: Some(DEMO.to_owned()),
            ..AuditFilter::default()
        },
    )
    .unwrap();
    assert!(
        by_patient
            .iter()
            .any(|r| r.entry.event == Event::RetrieveResult
                && r.entry.outcome == Some(Outcome::Success)),
        "{by_patient:?}"
    );
    assert_eq!(p.issues.len(), 1);
    assert_eq!(p.issues[0].number, 3);
    let status = p.issues[0].status.as_ref().unwrap();
    assert_eq!(status.code.code(), "9000");
    assert_eq!(
        p.prescriber.as_ref().and_then(|o| o.name.as_deref()),
        Some("RIVERSIDE MEDICAL PRACTICE")
    );
}

#[tokio::test]
async fn issue_not_found_returns_the_rest_of_the_prescription_with_code_3() {
    let sb = sandbox().await;
    let fetched = client(&sb)
        .fetch(&retrieve(DEMO_ERD, Some(9)))
        .await
        .unwrap();
    let notice = fetched.response.notice.expect("code 3 notice");
    assert_eq!(
        (notice.code.as_str(), notice.reason.as_str()),
        ("3", "Issue not found")
    );
    assert_eq!(fetched.response.prescriptions[0].id.as_str(), DEMO_ERD);
}

#[tokio::test]
async fn clinical_summary_and_detail_carry_medicines_and_organisations() {
    let sb = sandbox().await;
    let c = client(&sb);
    let summary_request =
        TrackerRequest::ClinicalSummary(SearchQuery::new(NhsNumber::parse(DEMO).unwrap()));
    let summary = c.fetch(&summary_request).await.unwrap();
    assert_eq!(summary.response.kind, ResponseKind::ClinicalSummary);
    assert_eq!(summary.response.prescriptions.len(), 3);

    let fetched = c.fetch(&detail(DEMO_ERD, Some(1))).await.unwrap();
    assert_eq!(fetched.response.kind, ResponseKind::ClinicalDetail);
    let p = &fetched.response.prescriptions[0];
    assert_eq!(p.line_items.len(), 2);
    for item in &p.line_items {
        let medication = item.medication();
        assert!(
            medication
                .description
                .as_deref()
                .is_some_and(|d| !d.is_empty())
        );
        assert!(medication.dosage.as_deref().is_some_and(|d| !d.is_empty()));
        assert!(medication.quantity.is_some() && medication.uom.is_some());
    }
    assert_eq!(
        p.nominated_dispenser
            .as_ref()
            .and_then(|o| o.ods.as_deref()),
        Some("FX101")
    );
    assert!(
        p.prescriber
            .as_ref()
            .and_then(|o| o.phone.as_deref())
            .is_some()
    );
}

// ---- Spine's error codes through the real client ------------------------------------

#[tokio::test]
async fn spine_errors_reach_the_user_with_code_and_reason() {
    let sb = sandbox().await;
    let c = client(&sb);
    let cases: [(TrackerRequest, &str, &str); 6] = [
        (search(NO_PRESCRIPTIONS), "1", "Prescription not found"),
        (
            retrieve(SIBLING, None),
            "2",
            "No unique prescription found: sibling found",
        ),
        (
            retrieve(UNPARSABLE, None),
            "4",
            "Prescription record failed to parse",
        ),
        (
            detail(DEMO_ERD, None),
            "8",
            "Prescription repeat instance not found: issueNumber is mandatory for repeat dispensing",
        ),
        (detail(BAD_CHECK, None), "51", "Invalid prescription ID"),
        (
            detail("0FBD16-C81007-00001S", None),
            "6",
            "Prescription ID not found",
        ),
    ];
    for (request, code, reason) in cases {
        let err = spine_error(c.fetch(&request).await.unwrap_err());
        assert_eq!((err.code.as_str(), err.reason.as_str()), (code, reason));
        assert!(
            err.to_string()
                .starts_with(&format!("Spine error {code} \"{reason}\"")),
            "{err}"
        );
    }
}

#[tokio::test]
async fn a_certificate_for_another_asid_gets_code_52() {
    let sb = sandbox().await;
    let other = sb
        .issue_client_cert("200000000099", Validity::Current)
        .unwrap();
    // The certificate's CN says 200000000099 but we claim the sandbox's ASID.
    let settings = sb.settings_with(&other, sb.asid());
    let err = spine_error(
        gated(TrackerClient::new(&settings).unwrap())
            .fetch(&search(DEMO))
            .await
            .unwrap_err(),
    );
    assert_eq!(
        (err.code.as_str(), err.reason.as_str()),
        ("52", "Invalid or missing ASID")
    );
}

// ---- headers and parameters, sent raw so the client's own checks do not stop them ----

fn raw_client(sb: &EmbeddedSandbox, id: Option<&Issued>) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(sb.ca_pem().as_bytes()).unwrap()]);
    if let Some(id) = id {
        let pem = format!("{}\n{}", id.cert_pem, id.key_pem.as_str());
        builder = builder.identity(reqwest::Identity::from_pem(pem.as_bytes()).unwrap());
    }
    builder.build().unwrap()
}

const GOOD_HEADERS: [(&str, &str); 4] = [
    ("Spine-From-Asid", "200000000001"),
    ("Spine-UserId", "555555555555"),
    ("Spine-RoleProfileId", "555555555556"),
    ("Accept", "application/json"),
];

async fn raw_get(
    http: &reqwest::Client,
    sb: &EmbeddedSandbox,
    path_and_query: &str,
    headers: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, String) {
    let mut request = http.get(format!("{}{}", sb.base_url(), path_and_query));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

fn with(overrides: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut headers: Vec<(&str, &str)> = GOOD_HEADERS
        .iter()
        .filter(|(n, _)| !overrides.iter().any(|(o, _)| o == n))
        .copied()
        .collect();
    headers.extend(overrides.iter().filter(|(_, v)| !v.is_empty()).copied());
    headers
}

/// Headers to replace (an empty value removes the header).
type HeaderOverrides = &'static [(&'static str, &'static str)];

#[tokio::test]
async fn every_bad_header_gets_spines_code_with_http_200() {
    let sb = sandbox().await;
    let http = raw_client(&sb, Some(sb.client_identity()));
    let search = "/prescriptions?nhsNumber=9990548609&format=trace-summary";
    let cases: [(HeaderOverrides, &str, &str); 8] = [
        (&[("Spine-From-Asid", "")], "52", "Invalid or missing ASID"),
        (
            &[("Spine-From-Asid", "20000000000a")],
            "52",
            "Invalid or missing ASID",
        ),
        (
            &[("Spine-From-Asid", "200000000002")],
            "52",
            "Invalid or missing ASID",
        ),
        (&[("Spine-UserId", "")], "55", "Invalid user ID"),
        (
            &[("Spine-UserId", "5555555555555")],
            "55",
            "Invalid user ID",
        ),
        (
            &[("Spine-RoleProfileId", "55555555555")],
            "56",
            "Invalid role profile ID",
        ),
        (
            &[("Eps-TraceId", "0123456789012345678901234567890")],
            "54",
            "Invalid trace ID",
        ),
        (&[("Eps-TraceId", "not_allowed")], "54", "Invalid trace ID"),
    ];
    for (overrides, code, reason) in cases {
        let (status, _, body) = raw_get(&http, &sb, search, &with(overrides)).await;
        assert_eq!(status, 200, "{overrides:?}");
        let json: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["statusCode"], code, "{overrides:?}: {body}");
        assert_eq!(json["reason"], reason);
        assert_eq!(json["prescriptions"], serde_json::json!({}), "{body}");
    }
}

#[tokio::test]
async fn every_bad_parameter_gets_spines_code() {
    let sb = sandbox().await;
    let http = raw_client(&sb, Some(sb.client_identity()));
    let cases = [
        ("/prescriptions", "50", "No query parameters"),
        (
            "/prescriptions?nhsNumber=9990548601&format=trace-summary",
            "61",
            "Invalid or missing NHS number",
        ),
        (
            "/prescriptions?format=trace-summary",
            "61",
            "Invalid or missing NHS number",
        ),
        (
            "/prescriptions?nhsNumber=9990548609&format=trace-summary&earliestDate=2026-11-01",
            "57",
            "Invalid search date",
        ),
        (
            "/prescriptions?nhsNumber=9990548609&format=trace-summary&earliestDate=20261120&latestDate=20261101",
            "57",
            "Invalid search date",
        ),
        (
            "/prescriptions?nhsNumber=9990548609&format=trace-summary&prescriptionStatus=0010",
            "59",
            "Invalid prescription status",
        ),
        (
            "/prescriptions?nhsNumber=9990548609&format=trace-summary&prescriptionVersion=R3",
            "60",
            "Invalid prescription version",
        ),
        (
            "/prescriptions?nhsNumber=9990548609&format=trace-summary&version=2",
            "53",
            "Invalid version",
        ),
        (
            "/prescriptions/NOT-AN-ID?format=trace",
            "51",
            "Invalid prescription ID",
        ),
        (
            "/prescriptions/0FBD16-C81007-00001S?format=trace",
            "1",
            "Prescription not found",
        ),
        (
            "/nhs111itemsummary?nhsNumber=9990100160",
            "1",
            "No prescriptions found matching search criteria",
        ),
        ("/nhs111itemdetails", "50", "No query parameters"),
        (
            "/nhs111itemdetails?prescriptionId=69F233-Y90001-C5AE6D&issueNumber=7",
            "8",
            "Prescription repeat instance not found",
        ),
        (
            "/nhs111itemdetails?prescriptionId=5F39E1-Y90001-910957&lineitemid=00000000-0000-0000-0000-000000000000",
            "7",
            "Prescription Line Item ID not found",
        ),
    ];
    for (path, code, reason) in cases {
        let (status, _, body) = raw_get(&http, &sb, path, &GOOD_HEADERS).await;
        assert_eq!(status, 200, "{path}");
        let json: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            (json["statusCode"].as_str(), json["reason"].as_str()),
            (Some(code), Some(reason)),
            "{path}: {body}"
        );
    }
}

#[tokio::test]
async fn answers_keep_spines_quirks_and_echo_the_trace_id() {
    let sb = sandbox().await;
    let http = raw_client(&sb, Some(sb.client_identity()));
    let mut headers = GOOD_HEADERS.to_vec();
    headers.push(("Eps-TraceId", "quirk-check-1"));
    // 9990100012 ends in 2: its list member is spelt " prescriptionList ".
    let (_, response_headers, body) = raw_get(
        &http,
        &sb,
        "/prescriptions?nhsNumber=9990100012&format=trace-summary",
        &headers,
    )
    .await;
    assert_eq!(response_headers["eps-traceid"], "quirk-check-1");
    assert_eq!(response_headers["cache-control"], "no-store");
    let json: Value = serde_json::from_str(&body).unwrap();
    assert!(json.get(" prescriptionList ").is_some(), "{body}");
    assert!(all_strings(&json), "{body}");
    let (_, _, body) = raw_get(
        &http,
        &sb,
        &format!("/prescriptions/{DEMO_ERD}?format=trace&issueNumber=2"),
        &GOOD_HEADERS,
    )
    .await;
    let json: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        json["prescription"]["issue"]["lastDispenseDate"], "False",
        "{body}"
    );
    assert!(all_strings(&json));
}

#[tokio::test]
async fn repeated_requests_get_the_same_answer_and_each_request_its_own() {
    // The sandbox keeps answers once written: a repeat must get the same bytes (and its own
    // trace ID), and requests that differ only in a parameter, or in the order of their
    // parameters (which seeds the member order), must not get each other's answers.
    let sb = sandbox().await;
    let http = raw_client(&sb, Some(sb.client_identity()));
    let paths = [
        format!("/prescriptions?nhsNumber={DEMO}&format=trace-summary"),
        format!("/prescriptions?format=trace-summary&nhsNumber={DEMO}"),
        format!("/prescriptions?nhsNumber={DEMO}&format=trace-summary&prescriptionVersion=2"),
        format!("/prescriptions/{DEMO_ERD}?format=trace&issueNumber=1"),
        format!("/prescriptions/{DEMO_ERD}?format=trace&issueNumber=2"),
        format!("/nhs111itemdetails?prescriptionId={DEMO_ERD}&issueNumber=1"),
        format!("/nhs111itemdetails?prescriptionId={DEMO_ERD}&issueNumber=2"),
    ];
    let mut first = Vec::new();
    for (round, trace) in ["kept-1", "kept-2"].into_iter().enumerate() {
        let mut headers = GOOD_HEADERS.to_vec();
        headers.push(("Eps-TraceId", trace));
        for (n, path) in paths.iter().enumerate() {
            let (status, response_headers, body) = raw_get(&http, &sb, path, &headers).await;
            assert_eq!(status, 200, "{path}");
            assert_eq!(response_headers["eps-traceid"], trace, "{path}");
            let json: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(json["statusCode"], "0", "{path}: {body}");
            if round == 0 {
                first.push(body);
            } else {
                assert_eq!(body, first[n], "{path}");
            }
        }
    }
    let distinct: std::collections::BTreeSet<&String> = first.iter().collect();
    assert_eq!(distinct.len(), paths.len());
}

fn all_strings(value: &Value) -> bool {
    match value {
        Value::String(_) => true,
        Value::Object(map) => map.values().all(all_strings),
        _ => false,
    }
}

#[tokio::test]
async fn far_too_long_query_strings_and_bodies_are_refused() {
    let sb = sandbox().await;
    let http = raw_client(&sb, Some(sb.client_identity()));
    let long = format!(
        "/prescriptions?nhsNumber=9990548609&format=trace-summary&x={}",
        "a".repeat(5000)
    );
    let (status, _, body) = raw_get(&http, &sb, &long, &GOOD_HEADERS).await;
    assert_eq!(
        (status, body.as_str()),
        (414, "the query string is longer than 2048 bytes\n")
    );
    let huge = format!("/prescriptions?x={}", "a".repeat(40_000));
    let (status, _, _) = raw_get(&http, &sb, &huge, &GOOD_HEADERS).await;
    assert_eq!(status, 431);
    let response = http
        .post(format!("{}/prescriptions", sb.base_url()))
        .body(vec![b'x'; 100_000])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 405);
    let response = http
        .get(format!(
            "{}/prescriptions?nhsNumber=9990548609&format=trace-summary",
            sb.base_url()
        ))
        .body(vec![b'x'; 10_000])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 413);
}

// ---- faults ---------------------------------------------------------------------------

#[tokio::test]
async fn gateway_faults_become_specific_messages() {
    let cases = [
        (
            Fault::BadGateway,
            "the Spine gateway answered 502 Bad Gateway (HTML page \"502 Bad Gateway\"), not a \
             Tracker response",
        ),
        (
            Fault::SoapFault,
            "the Spine gateway answered 500 Internal Server Error (SOAP fault SOAP-ENV:Server \
             \"System failure to process message - default\"), not a Tracker response",
        ),
        (
            Fault::Unavailable,
            "the Spine gateway answered 503 Service Unavailable (plain text \"Service \
             Unavailable: the Prescription Tracker is undergoing maintenance. Try again \
             later.\"), not a Tracker response",
        ),
        (
            Fault::Drop,
            "the server closed the connection without answering",
        ),
    ];
    for (fault, message) in cases {
        let sb = sandbox_with_fault(fault).await;
        let err = client(&sb).fetch(&search(DEMO)).await.unwrap_err();
        assert_eq!(err.to_string(), message, "{fault}");
        sb.shutdown().await;
    }
}

#[tokio::test]
async fn truncated_body_is_reported_as_cut_off() {
    let sb = sandbox_with_fault(Fault::Truncate).await;
    let err = client(&sb).fetch(&search(DEMO)).await.unwrap_err();
    let TransportError::CutOff { received } = transport(err) else {
        panic!("expected cut off");
    };
    assert!(received > 0);
    let expected = format!("the answer was cut off after {received} bytes: try again");
    assert_eq!(TransportError::CutOff { received }.to_string(), expected);
}

#[tokio::test]
async fn no_answer_hits_the_total_timeout() {
    let sb = sandbox_with_fault(Fault::Hang).await;
    let mut settings = sb.client_settings();
    settings.total_timeout = Duration::from_secs(1);
    let err = gated(TrackerClient::new(&settings).unwrap())
        .fetch(&search(DEMO))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "no answer within 1 s");
    assert!(err.elapsed >= Duration::from_secs(1));
    // The sandbox still stops promptly although a request is hanging.
    tokio::time::timeout(Duration::from_secs(5), sb.shutdown())
        .await
        .expect("shutdown does not wait for the hung request");
}

#[tokio::test]
async fn latency_and_drip_are_slow_but_complete() {
    let sb = sandbox().await;
    let http = raw_client(&sb, Some(sb.client_identity()));
    let url = format!(
        "{}/prescriptions?nhsNumber=9990548609&format=trace-summary",
        sb.base_url()
    );
    for (fault, at_least) in [("latency=300", 300), ("drip=300", 270)] {
        let started = std::time::Instant::now();
        let mut request = http.get(&url).header("X-Sandbox-Fault", fault);
        for (n, v) in GOOD_HEADERS {
            request = request.header(n, v);
        }
        let body = request.send().await.unwrap().text().await.unwrap();
        assert!(
            started.elapsed() >= Duration::from_millis(at_least),
            "{fault}"
        );
        let json: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["statusCode"], "0", "{fault}");
    }
    let (status, _, body) = raw_get(
        &http,
        &sb,
        "/prescriptions",
        &[("X-Sandbox-Fault", "explode")],
    )
    .await;
    assert_eq!(status, 400);
    assert!(body.starts_with("unknown fault \"explode\""), "{body}");
}

#[tokio::test]
async fn magic_nhs_numbers_trigger_faults() {
    let sb = sandbox().await;
    let c = client(&sb);
    let err = c.fetch(&search("9990000034")).await.unwrap_err();
    assert!(
        err.to_string()
            .starts_with("the Spine gateway answered 502 Bad Gateway"),
        "{err}"
    );
    let err = c.fetch(&search("9990000077")).await.unwrap_err();
    assert_eq!(transport(err), TransportError::ConnectionDropped);
    // The client keeps working after a dropped connection.
    assert!(c.fetch(&search(DEMO)).await.is_ok());
}

// ---- certificates and connections ------------------------------------------------------

#[tokio::test]
async fn a_client_without_a_certificate_is_refused_in_the_handshake() {
    let sb = sandbox().await;
    let http = raw_client(&sb, None);
    let err = http
        .get(format!(
            "{}/prescriptions?nhsNumber=9990548609&format=trace-summary",
            sb.base_url()
        ))
        .send()
        .await
        .unwrap_err();
    assert!(
        format!("{err:?}").contains("CertificateRequired"),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_expired_client_certificate_is_refused_by_the_sandbox() {
    let sb = sandbox().await;
    let expired = sb.issue_client_cert(sb.asid(), Validity::Expired).unwrap();
    let err = raw_client(&sb, Some(&expired))
        .get(format!(
            "{}/prescriptions?nhsNumber=9990548609&format=trace-summary",
            sb.base_url()
        ))
        .send()
        .await
        .unwrap_err();
    assert!(format!("{err:?}").contains("CertificateExpired"), "{err:?}");
}

#[tokio::test]
async fn a_certificate_from_another_ca_is_rejected_with_a_helpdesk_message() {
    let sb = sandbox().await;
    let foreign = Authority::generate("someone else's CA").unwrap();
    let cert = foreign.issue_client(sb.asid(), Validity::Current).unwrap();
    let settings = sb.settings_with(&cert, sb.asid());
    let err = gated(TrackerClient::new(&settings).unwrap())
        .fetch(&search(DEMO))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Spine rejected our client certificate (it does not know the CA that issued it): check \
         `cert` and `key` in config and that the certificate was issued for this environment \
         and ASID"
    );
}

#[tokio::test]
async fn a_server_certificate_from_an_unknown_ca_is_not_trusted() {
    let sb = sandbox().await;
    let other = Authority::generate("not the sandbox CA").unwrap();
    let mut settings = sb.client_settings();
    settings.ca = PemSource::Inline(Zeroizing::new(other.cert_pem().to_owned()));
    let err = gated(TrackerClient::new(&settings).unwrap())
        .fetch(&search(DEMO))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the server's certificate is not trusted (check `ca` in config): it was issued by a CA \
         we do not trust"
    );
}

#[tokio::test]
async fn connection_refused_names_host_and_port() {
    let sb = sandbox().await;
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut settings = sb.client_settings();
    settings.base_url = format!("https://127.0.0.1:{port}/mm");
    let err = gated(TrackerClient::new(&settings).unwrap())
        .fetch(&search(DEMO))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "connection refused at 127.0.0.1:{port}: is the service running and `base_url` right?"
        )
    );
}

/// Writes the sandbox's certificates to files, as a real deployment has them.
fn files(dir: &Path, sb: &EmbeddedSandbox, client: &Issued) -> ClientSettings {
    use std::os::unix::fs::OpenOptionsExt;
    let write = |name: &str, text: &str, mode: u32| {
        let path = dir.join(name);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(&path)
            .unwrap();
        std::io::Write::write_all(&mut file, text.as_bytes()).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path
    };
    ClientSettings::new(
        sb.base_url(),
        PemSource::File(write("ca.pem", sb.ca_pem(), 0o644)),
        PemSource::File(write("client.pem", &client.cert_pem, 0o644)),
        PemSource::File(write("client.key", &client.key_pem, 0o600)),
        sb.asid(),
    )
}

fn setup_error(settings: &ClientSettings) -> String {
    TrackerClient::new(settings).unwrap_err().to_string()
}

#[tokio::test]
async fn certificate_files_are_checked_with_specific_messages() {
    let sb = sandbox().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let good = files(dir, &sb, sb.client_identity());
    let key_path = dir.join("client.key");
    let cert_path = dir.join("client.pem");

    // Works from files.
    let fetched = gated(TrackerClient::new(&good).unwrap())
        .fetch(&search(DEMO))
        .await
        .unwrap();
    assert_eq!(fetched.response.prescriptions.len(), 3);

    let mut missing = good.clone();
    missing.client_cert = PemSource::File(dir.join("nope.pem"));
    assert_eq!(
        setup_error(&missing),
        format!(
            "the client certificate (`cert`) file {} does not exist",
            dir.join("nope.pem").display()
        )
    );

    let mut unreadable = good.clone();
    unreadable.ca = PemSource::File(dir.to_owned());
    assert!(
        setup_error(&unreadable).starts_with(&format!(
            "cannot read the CA certificate (`ca`) file {}:",
            dir.display()
        )),
        "{}",
        setup_error(&unreadable)
    );

    let cert_as_key = dir.join("cert-as-key.pem");
    std::fs::copy(&cert_path, &cert_as_key).unwrap();
    std::fs::set_permissions(&cert_as_key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut no_key = good.clone();
    no_key.client_key = PemSource::File(cert_as_key.clone());
    assert_eq!(
        setup_error(&no_key),
        format!(
            "the client key (`key`) {} holds no private key: expected a PEM block such as \
             '-----BEGIN PRIVATE KEY-----'",
            cert_as_key.display()
        )
    );

    let mut no_cert = good.clone();
    no_cert.client_cert = PemSource::File(key_path.clone());
    std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(
        setup_error(&no_cert),
        format!(
            "the client certificate (`cert`) {} holds no certificate: expected a PEM block \
             '-----BEGIN CERTIFICATE-----'",
            key_path.display()
        )
    );

    let encrypted = dir.join("encrypted.key");
    std::fs::write(
        &encrypted,
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIBvTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQI\n\
         -----END ENCRYPTED PRIVATE KEY-----\n",
    )
    .unwrap();
    std::fs::set_permissions(&encrypted, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut enc = good.clone();
    enc.client_key = PemSource::File(encrypted.clone());
    let e = encrypted.display();
    assert_eq!(
        setup_error(&enc),
        format!(
            "the client key (`key`) {e} is protected by a passphrase, which eps-tracker cannot \
             use: convert it once with `openssl pkcs8 -topk8 -nocrypt -in {e} -out \
             client-plain.key` (it asks for the passphrase), run `chmod 600 client-plain.key` \
             and set `key` to the new file"
        )
    );

    let other = sb.issue_client_cert(sb.asid(), Validity::Current).unwrap();
    let mut mismatch = good.clone();
    mismatch.client_key = PemSource::Inline(other.key_pem.clone());
    assert_eq!(
        setup_error(&mismatch),
        format!(
            "the client key (`key`) (in memory) does not belong to the client certificate \
             (`cert`) {}: `cert` and `key` must name the pair that was issued together",
            cert_path.display()
        )
    );

    std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(
        setup_error(&good),
        format!(
            "the client key (`key`) {k} can be read by other users (mode 0644): run `chmod 600 \
             {k}`",
            k = key_path.display()
        )
    );
    std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600)).unwrap();

    // Whoever can change the CA file chooses whom the client trusts.
    let ca_path = dir.join("ca.pem");
    std::fs::set_permissions(&ca_path, std::fs::Permissions::from_mode(0o666)).unwrap();
    let err = setup_error(&good);
    assert!(
        err.starts_with("the CA certificate (`ca`) file cannot be trusted:"),
        "{err}"
    );
    assert!(err.contains("chmod go-w"), "{err}");
    std::fs::set_permissions(&ca_path, std::fs::Permissions::from_mode(0o644)).unwrap();

    let mut bad_asid = good.clone();
    bad_asid.asid = "2000000000".into();
    assert_eq!(
        setup_error(&bad_asid),
        "the `asid` in config is not valid: the ASID has 10 characters: it is exactly 12 digits"
    );

    let mut http = good.clone();
    http.base_url = "http://127.0.0.1:1/mm".into();
    assert_eq!(
        setup_error(&http),
        "`base_url` \"http://127.0.0.1:1/mm\" is not usable: it must start with https:// (Spine \
         needs mutual TLS)"
    );
}

#[tokio::test]
async fn expired_and_expiring_certificates() {
    let sb = sandbox().await;
    let expired = sb.issue_client_cert(sb.asid(), Validity::Expired).unwrap();
    let message = setup_error(&sb.settings_with(&expired, sb.asid()));
    assert!(
        message.starts_with("the client certificate (`cert`) (in memory) expired on "),
        "{message}"
    );
    assert!(message.ends_with(": ask for a new one"), "{message}");

    let soon = sb
        .issue_client_cert(sb.asid(), Validity::ExpiringIn(10))
        .unwrap();
    let client = TrackerClient::new(&sb.settings_with(&soon, sb.asid())).unwrap();
    let warnings: Vec<String> = client.warnings().iter().map(ToString::to_string).collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with("the client certificate (`cert`) (in memory) expires in 9 days")
            || warnings[0]
                .starts_with("the client certificate (`cert`) (in memory) expires in 10 days"),
        "{}",
        warnings[0]
    );
    // It still works.
    assert!(gated(client).fetch(&search(DEMO)).await.is_ok());
}

// ---- load ------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_concurrent_connections_are_all_served() {
    let sb = EmbeddedSandbox::start(EmbeddedOptions {
        max_connections: 64,
        ..EmbeddedOptions::default()
    })
    .await
    .unwrap();
    let mut settings = sb.client_settings();
    settings.total_timeout = Duration::from_secs(60);
    let c = gated(TrackerClient::new(&settings).unwrap());
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..500 {
        let c = c.clone();
        tasks.spawn(async move { c.fetch(&search(DEMO)).await.map(|_| ()) });
    }
    let mut ok = 0;
    while let Some(result) = tasks.join_next().await {
        result.unwrap().unwrap();
        ok += 1;
    }
    assert_eq!(ok, 500);
    // And it keeps serving afterwards.
    assert!(c.fetch(&search(DEMO)).await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_connections_do_not_keep_a_real_client_out() {
    // Far more silent connections (TCP open, no TLS handshake) than connection slots,
    // held for the whole test: the deadline is longer than any wait below, so only the
    // rule that a slot is spent after authentication lets the real client in.
    let sb = EmbeddedSandbox::start(EmbeddedOptions {
        max_connections: 4,
        handshake_deadline: Duration::from_secs(600),
        ..EmbeddedOptions::default()
    })
    .await
    .unwrap();
    let mut silent = Vec::new();
    for _ in 0..64 {
        silent.push(
            tokio::net::TcpStream::connect(sb.local_addr())
                .await
                .unwrap(),
        );
    }
    let c = client(&sb);
    let answered = tokio::time::timeout(Duration::from_secs(60), c.fetch(&search(DEMO))).await;
    assert!(
        matches!(answered, Ok(Ok(_))),
        "the real client was not answered while silent connections were held"
    );
    // The silent connections were not closed to make room.
    for stream in &silent {
        let mut byte = [0u8; 1];
        assert!(matches!(
            stream.try_read(&mut byte),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock
        ));
    }
}

/// A client that completes the handshake (taking a keep-alive slot) and then sends the
/// basic search over and over without ever reading an answer. The returned task keeps
/// writing until the sandbox closes the connection.
async fn client_that_never_reads(sb: &EmbeddedSandbox) -> tokio::task::JoinHandle<()> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
    use tokio::io::AsyncWriteExt;

    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(sb.ca_pem().as_bytes()).unwrap())
        .unwrap();
    let identity = sb.client_identity();
    let chain = vec![CertificateDer::from_pem_slice(identity.cert_pem.as_bytes()).unwrap()];
    let key = PrivateKeyDer::from_pem_slice(identity.key_pem.as_bytes()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)
        .unwrap();
    // A small receive buffer, so the sandbox's writes stall after a few answers.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let tcp = socket.connect(sb.local_addr()).await.unwrap();
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    let (reader, mut writer) = tokio::io::split(tls);
    let request = format!(
        "GET /mm/prescriptions?nhsNumber={DEMO}&format=trace-summary HTTP/1.1\r\n\
         Host: localhost\r\nSpine-From-Asid: {}\r\nSpine-UserId: 555555555555\r\n\
         Spine-RoleProfileId: 555555555556\r\nAccept: application/json\r\n\r\n",
        sb.asid()
    );
    tokio::spawn(async move {
        // The read half, never read, lives as long as the writing does.
        let _open = reader;
        while writer.write_all(request.as_bytes()).await.is_ok() {}
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_that_stop_reading_are_let_go() {
    // Every keep-alive slot is taken by a client that keeps sending requests and never
    // reads the answers, so hyper is never idle waiting for a request head (its idle
    // timeout does not apply) and the sandbox's writes stall. The write deadline must end
    // those connections: until it does, a real client is answered once with
    // `Connection: close`; after, it gets a keep-alive slot again.
    let sb = EmbeddedSandbox::start(EmbeddedOptions {
        max_connections: 2,
        write_deadline: Duration::from_millis(200),
        ..EmbeddedOptions::default()
    })
    .await
    .unwrap();
    let mut stalled = Vec::new();
    for _ in 0..2 {
        stalled.push(client_that_never_reads(&sb).await);
    }
    let path = format!("/prescriptions?nhsNumber={DEMO}&format=trace-summary");
    let mut kept_alive = false;
    // A generous bound: the deadline is 200 ms; without it this would never succeed.
    for _ in 0..300 {
        let http = raw_client(&sb, Some(sb.client_identity()));
        let (status, headers, body) = raw_get(&http, &sb, &path, &GOOD_HEADERS).await;
        assert_eq!(status, 200);
        assert!(body.contains("\"statusCode\": \"0\""), "{body}");
        if headers.get("connection").is_none_or(|v| v != "close") {
            kept_alive = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        kept_alive,
        "clients that never read kept every keep-alive slot"
    );
    // The stalled clients' writes failed once the sandbox closed their connections.
    for task in stalled {
        tokio::time::timeout(Duration::from_secs(60), task)
            .await
            .expect("a client that never reads was not let go")
            .unwrap();
    }
}

#[tokio::test]
async fn dropping_the_fetch_future_cancels_the_request() {
    let sb = sandbox().await;
    let c = client(&sb);
    // 9990000085 never answers; give up after 200 ms by dropping the future.
    let cancelled =
        tokio::time::timeout(Duration::from_millis(200), c.fetch(&search("9990000085"))).await;
    assert!(
        cancelled.is_err(),
        "the hung request should still be pending"
    );
    // The attempt was recorded before sending; dropping the request records its outcome.
    let trail = c.trail();
    let attempt = trail
        .iter()
        .find(|r| r.entry.event == Event::SearchAttempt)
        .expect("the attempt is recorded");
    let outcomes: Vec<_> = trail
        .iter()
        .filter(|r| r.entry.event == Event::SearchResult && r.entry.trace == attempt.entry.trace)
        .collect();
    assert_eq!(outcomes.len(), 1, "exactly one outcome: {outcomes:?}");
    assert_eq!(outcomes[0].entry.outcome, Some(Outcome::Cancelled));
    assert_eq!(outcomes[0].entry.nhs.as_deref(), Some("9990000085"));
    // The client is unharmed and the sandbox still stops promptly.
    assert!(c.fetch(&search(DEMO)).await.is_ok());
    tokio::time::timeout(Duration::from_secs(5), sb.shutdown())
        .await
        .expect("shutdown is prompt");
}

#[tokio::test]
async fn an_answer_over_the_size_cap_is_not_read() {
    let sb = sandbox().await;
    let mut settings = sb.client_settings();
    settings.max_body_bytes = 1024;
    let err = gated(TrackerClient::new(&settings).unwrap())
        .fetch(&search(DEMO))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the answer is larger than the 1 KiB limit and was not read"
    );
    // A drip-fed body has no Content-Length: the cap applies while reading.
    let drip = sandbox_with_fault(Fault::Drip(Duration::from_millis(20))).await;
    let mut settings = drip.client_settings();
    settings.max_body_bytes = 100;
    let err = gated(TrackerClient::new(&settings).unwrap())
        .fetch(&search(DEMO))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the answer is larger than the 100 bytes limit and was not read"
    );
}

#[tokio::test]
async fn fetch_errors_carry_the_trace_id_sent() {
    let sb = sandbox().await;
    let err = client(&sb)
        .fetch(&search(NO_PRESCRIPTIONS))
        .await
        .unwrap_err();
    let trace = err.trace_id.as_str();
    assert!(trace.len() <= 30 && trace.starts_with("EPST-"), "{trace}");
    assert!(
        trace
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    );
}

/// A log sink the test can read back.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn refused_handshakes_are_logged_with_the_reason() {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .finish();
    // The test runtime is single-threaded, so the sandbox's tasks log through this.
    let _guard = tracing::subscriber::set_default(subscriber);
    let sb = sandbox().await;
    let url = format!("{}/prescriptions", sb.base_url());
    assert!(raw_client(&sb, None).get(&url).send().await.is_err());
    let foreign = Authority::generate("someone else's CA").unwrap();
    let stranger = foreign.issue_client(sb.asid(), Validity::Current).unwrap();
    assert!(
        raw_client(&sb, Some(&stranger))
            .get(&url)
            .send()
            .await
            .is_err()
    );
    sb.shutdown().await;
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("TLS handshake refused"), "{log}");
    assert!(log.contains("reason=peer sent no certificates"), "{log}");
    assert!(
        log.contains("reason=invalid peer certificate: UnknownIssuer"),
        "{log}"
    );
}

// ---- `eps-tracker sandbox serve` -------------------------------------------------------

struct Served {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
}

impl Served {
    fn start(certs: &Path) -> (Self, Vec<String>) {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_eps-tracker"))
            .args(["sandbox", "serve", "--listen", "127.0.0.1:0", "--certs"])
            .arg(certs)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut served = Self { child, lines };
        let banner = served.until("Ctrl-C stops the sandbox.");
        (served, banner)
    }

    /// Lines up to and including the first that equals `last`.
    fn until(&mut self, last: &str) -> Vec<String> {
        let mut seen = Vec::new();
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| panic!("no line {last:?}; so far {seen:?}"));
            let done = line == last;
            seen.push(line);
            if done {
                return seen;
            }
        }
    }

    fn interrupt(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let status = std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap();
        assert!(status.success());
        self.until("stopped");
        self.child.wait().unwrap()
    }
}

#[tokio::test]
async fn serve_prints_a_working_url_and_curl_line_and_stops_on_ctrl_c() {
    let tmp = tempfile::tempdir().unwrap();
    let certs = tmp.path().join("c");
    let (served, banner) = Served::start(&certs);
    let url = banner[0]
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line: {}", banner[0]));
    assert!(
        url.starts_with("https://127.0.0.1:") && url.ends_with("/mm"),
        "{url}"
    );
    assert!(banner[1].starts_with(&format!("certificates (made) in {}", certs.display())));
    let curl = banner.iter().find(|l| l.starts_with("curl ")).unwrap();
    let c = certs.display();
    assert!(
        curl.starts_with(&format!(
            "curl --cacert {c}/ca.pem --cert {c}/client.pem --key {c}/client.key "
        )),
        "{curl}"
    );
    assert!(curl.ends_with(&format!(
        "'{url}/prescriptions?nhsNumber=9990548609&format=trace-summary'"
    )));
    for (file, mode) in [
        ("client.key", 0o600),
        ("server.key", 0o600),
        ("ca.pem", 0o644),
    ] {
        let meta = std::fs::metadata(certs.join(file)).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, mode, "{file}");
    }

    // A client configured from the printed files gets the demo patient.
    let settings = ClientSettings::new(
        url,
        PemSource::File(certs.join("ca.pem")),
        PemSource::File(certs.join("client.pem")),
        PemSource::File(certs.join("client.key")),
        "200000000001",
    );
    let fetched = gated(TrackerClient::new(&settings).unwrap())
        .fetch(&search(DEMO))
        .await
        .unwrap();
    assert_eq!(fetched.response.prescriptions.len(), 3);
    assert!(served.interrupt().success());

    // The second start reuses the certificates.
    let (served, banner) = Served::start(&certs);
    assert!(
        banner[1].starts_with("certificates (reused) in "),
        "{}",
        banner[1]
    );
    assert!(served.interrupt().success());
}

#[tokio::test]
async fn gateway_pages_are_recorded_as_gateway_errors_not_spine_errors() {
    let sb = sandbox().await;
    let c = client(&sb);
    // The magic numbers for a 502 HTML page, a SOAP 500 and a plain-text 503.
    for nhs in ["9990000034", "9990000042", "9990000050"] {
        assert!(c.fetch(&search(nhs)).await.is_err(), "{nhs}");
        let trail = c.trail();
        let outcome = trail
            .iter()
            .rev()
            .find(|r| r.entry.event == Event::SearchResult)
            .expect("an outcome is recorded");
        assert_eq!(outcome.entry.nhs.as_deref(), Some(nhs));
        assert_eq!(
            outcome.entry.outcome,
            Some(Outcome::GatewayError),
            "{nhs}: {outcome:?}"
        );
        assert!(
            outcome
                .entry
                .reason
                .as_deref()
                .unwrap_or("")
                .contains("gateway"),
            "{outcome:?}"
        );
    }
}
