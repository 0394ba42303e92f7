//! PDS client ↔ sandbox over TLS: the token flow, retrieve and search with PDS's rules,
//! and every error the sandbox can give, turned into plain messages.

use std::time::Duration;

use chrono::NaiveDate;
use eps_tracker::pds::client::PdsReply;
use eps_tracker::pds::{PatientSearch, PdsAnswer, PdsClient, PdsCode, PdsError, PdsRequest};
use eps_tracker::sandbox::embedded::{EmbeddedOptions, EmbeddedSandbox};
use eps_tracker::sandbox::faults::Fault;
use eps_tracker::tracker::ids::NhsNumber;

async fn sandbox() -> EmbeddedSandbox {
    EmbeddedSandbox::start(EmbeddedOptions::default())
        .await
        .unwrap()
}

fn retrieve(nhs: &str) -> PdsRequest {
    PdsRequest::Retrieve(NhsNumber::parse(nhs).unwrap())
}

fn search(family: &str, dob: &str, given: Option<&str>, postcode: Option<&str>) -> PdsRequest {
    let today = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    PdsRequest::Search(PatientSearch::new(family, dob, given, postcode, None, today).unwrap())
}

fn one_patient(reply: PdsReply) -> eps_tracker::pds::Patient {
    match reply.answer {
        PdsAnswer::Patient { patient } => *patient,
        PdsAnswer::Search { mut patients, .. } if patients.len() == 1 => patients.remove(0),
        other => panic!("expected one patient, got {other:?}"),
    }
}

#[tokio::test]
async fn retrieve_gets_a_token_once_and_reads_the_patient() {
    let sandbox = sandbox().await;
    let client = PdsClient::new(&sandbox.pds_settings()).unwrap();
    let first = client
        .send(&retrieve("9990548609"), "trace-1")
        .await
        .unwrap();
    assert!(first.fetched_token);
    let patient = one_patient(first);
    assert_eq!(patient.nhs_number, "9990548609");
    let name = patient.name.as_ref().unwrap();
    assert_eq!(name.family.as_deref(), Some("Whitfield-Jones"));
    assert_eq!(patient.birth_date.unwrap().to_string(), "1958-03-14");
    assert_eq!(patient.gp_ods.as_deref(), Some("Y90001"));
    assert_eq!(
        patient.address.as_ref().unwrap().postcode.as_deref(),
        Some("LS6 3HN")
    );
    // The maiden name is history, the nickname is flagged.
    assert_eq!(patient.other_names.len(), 1);
    let second = client
        .send(&retrieve("9990100012"), "trace-2")
        .await
        .unwrap();
    assert!(!second.fetched_token, "the cached token is reused");
    assert_eq!(
        one_patient(second).name.unwrap().family.as_deref(),
        Some("O'Brien")
    );
}

#[tokio::test]
async fn special_records_restricted_deceased_superseded_invalidated_unknown() {
    let sandbox = sandbox().await;
    let client = PdsClient::new(&sandbox.pds_settings()).unwrap();
    let restricted = one_patient(client.send(&retrieve("9990100209"), "t").await.unwrap());
    assert!(restricted.restricted);
    assert_eq!((restricted.address, restricted.gp_ods), (None, None));
    let deceased = one_patient(client.send(&retrieve("9990100039"), "t").await.unwrap());
    assert_eq!(deceased.deceased.unwrap().to_string(), "2026-02-03");
    let merged = one_patient(client.send(&retrieve("9990104700"), "t").await.unwrap());
    assert_eq!(merged.nhs_number, "9990100217");
    assert_eq!(merged.superseded_from.as_deref(), Some("9990104700"));
    assert!(
        merged
            .superseded_note()
            .unwrap()
            .contains("999 010 4700 has been replaced by 999 010 0217")
    );
    let invalid = client.send(&retrieve("9990104719"), "t").await.unwrap_err();
    assert_eq!(invalid.code(), Some(&PdsCode::InvalidatedResource));
    let unknown = client.send(&retrieve("9990104727"), "t").await.unwrap_err();
    assert_eq!(unknown.code(), Some(&PdsCode::ResourceNotFound));
    assert!(
        unknown
            .to_string()
            .contains("PDS has no patient with this NHS number"),
        "{unknown}"
    );
}

#[tokio::test]
async fn search_finds_the_unique_match_and_explains_too_many() {
    let sandbox = sandbox().await;
    let client = PdsClient::new(&sandbox.pds_settings()).unwrap();
    let found = one_patient(
        client
            .send(&search("whitfield-jones", "14/03/1958", None, None), "t")
            .await
            .unwrap(),
    );
    assert_eq!(found.nhs_number, "9990548609");
    let too_many = client
        .send(&search("Patel", "1985-07-12", None, None), "t")
        .await
        .unwrap_err();
    assert_eq!(too_many.code(), Some(&PdsCode::TooManyMatches));
    assert!(
        too_many
            .to_string()
            .contains("more than one patient matches: add the first name or the postcode")
    );
    let priya = one_patient(
        client
            .send(&search("Patel", "1985-07-12", Some("Priya"), None), "t")
            .await
            .unwrap(),
    );
    assert_eq!(priya.nhs_number, "9990100187");
    let by_postcode = one_patient(
        client
            .send(&search("Patel", "1985-07-12", None, Some("bd8 7bs")), "t")
            .await
            .unwrap(),
    );
    assert_eq!(by_postcode.nhs_number, "9990100195");
    let accented = one_patient(
        client
            .send(&search("Łukasiewicz", "1990-06-21", Some("Zoë"), None), "t")
            .await
            .unwrap(),
    );
    assert_eq!(accented.nhs_number, "9990100020");
    match client
        .send(&search("Nobody", "1990-06-21", None, None), "t")
        .await
        .unwrap()
        .answer
    {
        PdsAnswer::Search {
            patients, total, ..
        } => {
            assert!(patients.is_empty());
            assert_eq!(total, Some(0));
        }
        other => panic!("{other:?}"),
    }
    // A postcode search never returns a restricted patient.
    match client
        .send(&search("Ashcroft", "1979-12-01", None, Some("M1 3HE")), "t")
        .await
        .unwrap()
        .answer
    {
        PdsAnswer::Search { patients, .. } => assert!(patients.is_empty()),
        other => panic!("{other:?}"),
    }
    let restricted = one_patient(
        client
            .send(&search("Ashcroft", "1979-12-01", None, None), "t")
            .await
            .unwrap(),
    );
    assert!(restricted.restricted);
}

#[tokio::test]
async fn a_revoked_token_is_replaced_once() {
    let sandbox = sandbox().await;
    let client = PdsClient::new(&sandbox.pds_settings()).unwrap();
    client.send(&retrieve("9990548609"), "t").await.unwrap();
    sandbox.pds().revoke_tokens();
    let again = client.send(&retrieve("9990548609"), "t").await.unwrap();
    assert!(again.fetched_token);
}

#[tokio::test]
async fn token_refusals_are_explained() {
    let sandbox = sandbox().await;
    let mut settings = sandbox.pds_settings();
    settings.kid = "someone-else".into();
    let err = PdsClient::new(&settings)
        .unwrap()
        .send(&retrieve("9990548609"), "t")
        .await
        .unwrap_err();
    assert!(
        matches!(err, PdsError::TokenRefused { status: 401, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("kid"), "{err}");

    let mut settings = sandbox.pds_settings();
    settings.api_key = "not-registered".into();
    let err = PdsClient::new(&settings)
        .unwrap()
        .send(&retrieve("9990548609"), "t")
        .await
        .unwrap_err();
    assert!(
        matches!(err, PdsError::TokenRefused { status: 401, .. }),
        "{err}"
    );

    let mut settings = sandbox.pds_settings();
    settings.token_url = format!("{}/", settings.token_url);
    let err = PdsClient::new(&settings)
        .unwrap()
        .send(&retrieve("9990548609"), "t")
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("aud")
            || matches!(
                err,
                PdsError::TokenRefused { .. } | PdsError::TokenUnreadable { .. }
            ),
        "{err}"
    );

    // Another RSA key under the registered kid: the signature does not verify.
    let mut settings = sandbox.pds_settings();
    settings.key =
        eps_tracker::files::PemSource::Inline(eps_tracker::pds::token::generate_key_pem().unwrap());
    let err = PdsClient::new(&settings)
        .unwrap()
        .send(&retrieve("9990548609"), "t")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("Unable to verify JWT"), "{err}");
}

#[tokio::test]
async fn a_token_endpoint_answering_html_or_hanging_fails_clearly() {
    let html = EmbeddedSandbox::start(EmbeddedOptions {
        fault: Some(Fault::BadGateway),
        ..Default::default()
    })
    .await
    .unwrap();
    let err = PdsClient::new(&html.pds_settings())
        .unwrap()
        .send(&retrieve("9990548609"), "t")
        .await
        .unwrap_err();
    assert!(
        matches!(err, PdsError::TokenUnreadable { status: 502 }),
        "{err}"
    );

    let hang = EmbeddedSandbox::start(EmbeddedOptions {
        fault: Some(Fault::Hang),
        ..Default::default()
    })
    .await
    .unwrap();
    let mut settings = hang.pds_settings();
    settings.total_timeout = Duration::from_millis(300);
    let err = PdsClient::new(&settings)
        .unwrap()
        .send(&retrieve("9990548609"), "t")
        .await
        .unwrap_err();
    assert!(matches!(err, PdsError::Network { .. }), "{err}");
    assert!(err.to_string().contains("no answer in time"), "{err}");
}

/// The app-restricted rules the proxy enforces, seen on the wire (a raw client with a
/// real token).
#[tokio::test]
async fn the_sandbox_enforces_pds_rules_on_the_wire() {
    let sandbox = sandbox().await;
    let ca = reqwest::Certificate::from_pem(sandbox.ca_pem().as_bytes()).unwrap();
    let http = reqwest::Client::builder()
        .tls_certs_only([ca])
        .build()
        .unwrap();
    let base = sandbox.pds().base_url();
    let body = |r: reqwest::Response| async move {
        let status = r.status().as_u16();
        let v: serde_json::Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
        let code = v["issue"][0]["details"]["coding"][0]["code"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        (status, code)
    };
    // No token.
    let r = http
        .get(format!("{base}/Patient/9990548609"))
        .send()
        .await
        .unwrap();
    assert_eq!(body(r).await, (401, "ACCESS_DENIED".into()));
    let r = http
        .get(format!("{base}/Patient/9990548609"))
        .bearer_auth("made-up")
        .header("X-Request-ID", uuid::Uuid::new_v4().to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(body(r).await, (401, "ACCESS_DENIED".into()));
    // A real token from the client's flow: the sandbox hands it out only to a good JWT,
    // so take one by making the client fetch it and reading nothing else.
    let settings = sandbox.pds_settings();
    let key = match &settings.key {
        eps_tracker::files::PemSource::Inline(pem) => pem.clone(),
        _ => unreachable!(),
    };
    let signer = eps_tracker::pds::token::SigningKey::from_pem(&key, &settings.kid).unwrap();
    let jwt = signer.assertion(
        &settings.api_key,
        &settings.token_url,
        chrono::Utc::now().timestamp(),
    );
    let form = [
        ("grant_type", "client_credentials"),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        ("client_assertion", jwt.as_str()),
    ];
    let encoded = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let post = |b: String| {
        http.post(&settings.token_url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(b)
            .send()
    };
    let token: serde_json::Value =
        serde_json::from_slice(&post(encoded.clone()).await.unwrap().bytes().await.unwrap())
            .unwrap();
    assert_eq!(token["expires_in"], "599");
    let token = token["access_token"].as_str().unwrap().to_owned();
    // The same JWT again: its jti is used up.
    let reused = post(encoded).await.unwrap();
    assert_eq!(reused.status().as_u16(), 400);
    let get = |path: &str, request_id: Option<&str>| {
        let mut r = http.get(format!("{base}{path}")).bearer_auth(&token);
        if let Some(id) = request_id {
            r = r.header("X-Request-ID", id);
        }
        r.send()
    };
    let id = uuid::Uuid::new_v4().to_string();
    let r = get("/Patient/9990548609", None).await.unwrap();
    assert_eq!(body(r).await, (400, "MISSING_VALUE".into()));
    let r = get("/Patient/9990548609", Some("1234")).await.unwrap();
    assert_eq!(body(r).await, (400, "INVALID_VALUE".into()));
    let r = get("/Patient/9990548608", Some(&id)).await.unwrap();
    assert_eq!(body(r).await, (400, "INVALID_RESOURCE_ID".into()));
    tokio::time::sleep(Duration::from_secs(1)).await;
    let r = get("/Patient", Some(&id)).await.unwrap();
    assert_eq!(body(r).await, (400, "UNSUPPORTED_SERVICE".into()));
    let r = get(
        "/Patient?family=Smith&birthdate=eq1980-01-01&year=1",
        Some(&id),
    )
    .await
    .unwrap();
    assert_eq!(body(r).await, (400, "ADDITIONAL_PROPERTIES".into()));
    let r = get(
        "/Patient?family=Patel&birthdate=eq1985-07-12&_max-results=2",
        Some(&id),
    )
    .await
    .unwrap();
    assert_eq!(body(r).await, (403, "INVALID_VALUE".into()));
    let r = get("/Patient?family=Patel", Some(&id)).await.unwrap();
    assert_eq!(body(r).await, (400, "MISSING_VALUE".into()));
    tokio::time::sleep(Duration::from_secs(1)).await;
    let r = get("/Patient?birthdate=eq1985-07-12", Some(&id))
        .await
        .unwrap();
    assert_eq!(body(r).await, (400, "INVALID_SEARCH_DATA".into()));
    let r = get("/Patient?family=*atel&birthdate=eq1985-07-12", Some(&id))
        .await
        .unwrap();
    assert_eq!(body(r).await, (400, "INVALID_SEARCH_DATA".into()));
    let r = get(
        "/Patient?family=Pat*&birthdate=eq1985-07-12&_fuzzy-match=true",
        Some(&id),
    )
    .await
    .unwrap();
    assert_eq!(body(r).await, (400, "INVALID_SEARCH_DATA".into()));
    // X-Request-ID is mirrored.
    let r = get("/Patient/9990548609", Some(&id)).await.unwrap();
    assert_eq!(r.headers()["x-request-id"], id.as_str());
    assert_eq!(r.headers()["etag"], "W/\"2\"");
    // A burst beyond 5 a second is throttled.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut statuses = Vec::new();
    for _ in 0..7 {
        statuses.push(
            get("/Patient/9990548609", Some(&id))
                .await
                .unwrap()
                .status()
                .as_u16(),
        );
    }
    assert!(statuses.contains(&429), "{statuses:?}");
}

#[tokio::test]
async fn a_throttled_client_backs_off_three_times_then_says_pds_is_busy() {
    let sandbox = sandbox().await;
    let client = PdsClient::new(&sandbox.pds_settings()).unwrap();
    sandbox.pds().throttle_next(3);
    client.send(&retrieve("9990548609"), "t").await.unwrap();
    sandbox.pds().throttle_next(4);
    let err = client.send(&retrieve("9990548609"), "t").await.unwrap_err();
    assert_eq!(err.code(), Some(&PdsCode::TooManyRequests), "{err}");
    assert!(err.to_string().contains("PDS is busy"), "{err}");
}

#[tokio::test]
async fn the_client_paces_itself_so_a_burst_is_never_throttled() {
    let sandbox = sandbox().await;
    let client = PdsClient::new(&sandbox.pds_settings()).unwrap();
    for _ in 0..8 {
        client.send(&retrieve("9990548609"), "t").await.unwrap();
    }
}

#[tokio::test]
async fn bad_settings_are_refused_before_first_use() {
    let sandbox = sandbox().await;
    let mut settings = sandbox.pds_settings();
    settings.base_url = "http://127.0.0.1/x".into();
    assert!(
        PdsClient::new(&settings)
            .unwrap_err()
            .to_string()
            .contains("not an https URL")
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pds.key");
    std::fs::write(
        &path,
        eps_tracker::pds::token::generate_key_pem()
            .unwrap()
            .as_bytes(),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut settings = sandbox.pds_settings();
    settings.key = eps_tracker::files::PemSource::File(path.clone());
    assert!(
        PdsClient::new(&settings)
            .unwrap_err()
            .to_string()
            .contains("chmod 600")
    );
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    PdsClient::new(&settings).unwrap();
}
