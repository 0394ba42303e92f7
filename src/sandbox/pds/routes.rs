//! One PDS request: the token endpoint, or `Patient` retrieve and search with the checks
//! NHS England's proxy makes in application-restricted mode (bearer token, `X-Request-ID`,
//! `_max-results`, mandatory and unknown parameters), answered with PDS's statuses and
//! OperationOutcome bodies.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use chrono::NaiveDate;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::people::{Criteria, Lookup, People};
use super::token::TokenDesk;
use crate::sandbox::faults::{BAD_GATEWAY_HTML, Fault, UNAVAILABLE_TEXT};
use crate::tracker::ids::NhsNumber;

/// Where the FHIR API lives on the listener.
pub const FHIR_BASE: &str = "/personal-demographics/FHIR/R4";
pub const TOKEN_PATH: &str = "/oauth2/token";
/// The largest token request body read.
const MAX_FORM_BYTES: usize = 16 * 1024;
/// PDS's default spike arrest per application.
const CALLS_PER_SECOND: usize = 5;

const PARAMETERS: [&str; 14] = [
    "family",
    "given",
    "gender",
    "birthdate",
    "death-date",
    "address-postalcode",
    "address-postcode",
    "general-practitioner",
    "email",
    "phone",
    "_fuzzy-match",
    "_exact-match",
    "_history",
    "_max-results",
];

/// What every PDS request handler shares.
pub(super) struct PdsState {
    pub people: People,
    pub tokens: TokenDesk,
    pub fault: Option<Fault>,
    pub shutdown: CancellationToken,
    pub recent: Mutex<VecDeque<Instant>>,
    /// Calls still to be throttled whatever the rate (`PdsSandbox::throttle_next`).
    pub forced_throttles: AtomicUsize,
}

pub(super) async fn handle(
    req: Request<Incoming>,
    state: Arc<PdsState>,
) -> Result<Response<Body>, Infallible> {
    match state.fault {
        Some(Fault::Hang) => {
            state.shutdown.cancelled().await;
            return Ok(plain(503, "text/plain", UNAVAILABLE_TEXT));
        }
        Some(Fault::BadGateway) => return Ok(plain(502, "text/html", BAD_GATEWAY_HTML)),
        Some(Fault::Unavailable) => return Ok(plain(503, "text/plain", UNAVAILABLE_TEXT)),
        Some(Fault::Latency(delay)) => tokio::time::sleep(delay).await,
        _ => {}
    }
    let path = req.uri().path().to_owned();
    if path == TOKEN_PATH {
        return Ok(token(req, &state).await);
    }
    let mirror: Vec<(&'static str, HeaderValue)> = ["x-request-id", "x-correlation-id"]
        .into_iter()
        .filter_map(|h| req.headers().get(h).map(|v| (h, v.clone())))
        .collect();
    let mut response = patient_api(&req, &path, &state);
    for (name, value) in mirror {
        response.headers_mut().insert(name, value);
    }
    Ok(response)
}

async fn token(req: Request<Incoming>, state: &PdsState) -> Response<Body> {
    if req.method() != Method::POST {
        return plain(405, "text/plain", "POST the token request\n");
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = match axum::body::to_bytes(Body::new(req.into_body()), MAX_FORM_BYTES).await {
        Ok(body) => body,
        Err(_) => return plain(413, "text/plain", "the token request is too large\n"),
    };
    let (status, value) = state.tokens.exchange(
        content_type.as_deref(),
        &body,
        chrono::Utc::now().timestamp(),
    );
    json_response(status, "application/json", &value)
}

fn patient_api(req: &Request<Incoming>, path: &str, state: &PdsState) -> Response<Body> {
    let Some(rest) = path.strip_prefix(FHIR_BASE) else {
        return outcome(
            404,
            "UNSUPPORTED_REQUEST",
            &format!("Unsupported path - '{path}'"),
        );
    };
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let Some(auth) = authorization else {
        return access_denied("Missing Authorization header");
    };
    match auth.strip_prefix("Bearer ") {
        Some(token) if state.tokens.accepts(token.trim()) => {}
        _ => return access_denied("Invalid Access Token"),
    }
    if req.method() == Method::PATCH || req.method() == Method::POST {
        return issue(
            403,
            "forbidden",
            "INVALID_METHOD",
            "Invalid Method",
            Some("Cannot update or create a resource with application-restricted access token"),
            "application/json",
        );
    }
    if req.method() != Method::GET {
        return outcome(
            400,
            "UNSUPPORTED_REQUEST",
            &format!("Unsupported method - '{}'", req.method()),
        );
    }
    match req
        .headers()
        .get("x-request-id")
        .map(|v| v.to_str().unwrap_or(""))
    {
        None => {
            return issue(
                400,
                "required",
                "MISSING_VALUE",
                "Required value is missing",
                Some(
                    "Invalid request with error - X-Request-ID header must be supplied to access this resource",
                ),
                "application/fhir+json",
            );
        }
        Some(id) if !is_uuid(id) => {
            let shown: String = id.chars().filter(|c| !c.is_control()).take(64).collect();
            return issue(
                400,
                "value",
                "INVALID_VALUE",
                "Provided value is invalid",
                Some(&format!(
                    "Invalid value - '{shown}' in header 'X-Request-ID'"
                )),
                "application/fhir+json",
            );
        }
        Some(_) => {}
    }
    if !within_rate(state) {
        return issue(
            429,
            "throttled",
            "TOO_MANY_REQUESTS",
            "Too many requests",
            Some("You have exceeded your application's rate limit"),
            "application/json",
        );
    }
    let query = req.uri().query().unwrap_or_default();
    match rest {
        "/Patient" => search(query, state),
        _ => match rest.strip_prefix("/Patient/") {
            Some(id) if !id.contains('/') => retrieve(id, state),
            _ if rest.starts_with("/Coverage") => issue(
                403,
                "forbidden",
                "ACCESS_DENIED",
                "Access Denied - Unauthorised",
                Some("Access denied to resource with application-restricted access token"),
                "application/json",
            ),
            _ => outcome(
                400,
                "UNSUPPORTED_REQUEST",
                &format!("Unsupported path - '{path}'"),
            ),
        },
    }
}

fn retrieve(id: &str, state: &PdsState) -> Response<Body> {
    if NhsNumber::parse(id).map(|n| n.as_digits()).as_deref() != Ok(id) {
        return issue(
            400,
            "value",
            "INVALID_RESOURCE_ID",
            "Resource Id is invalid",
            None,
            "application/fhir+json",
        );
    }
    match state.people.retrieve(id) {
        Lookup::Found(person) => {
            let mut response = json_response(200, "application/fhir+json", &person.resource(false));
            response
                .headers_mut()
                .insert(header::ETAG, HeaderValue::from_static("W/\"2\""));
            response
        }
        Lookup::Invalidated => issue(
            404,
            "processing",
            "INVALIDATED_RESOURCE",
            "Resource that has been marked as invalid was requested - invalid resources cannot be retrieved",
            None,
            "application/fhir+json",
        ),
        Lookup::NotFound => json_response(
            404,
            "application/fhir+json",
            &outcome_body(
                "information",
                "not-found",
                "RESOURCE_NOT_FOUND",
                "Resource not found",
                None,
            ),
        ),
    }
}

fn search(query: &str, state: &PdsState) -> Response<Body> {
    let params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    if params.is_empty() {
        return issue(
            400,
            "processing",
            "UNSUPPORTED_SERVICE",
            "Unsupported Service",
            None,
            "application/fhir+json",
        );
    }
    if let Some((name, _)) = params
        .iter()
        .find(|(k, _)| !PARAMETERS.contains(&k.as_str()))
    {
        let shown: String = name.chars().filter(|c| !c.is_control()).take(40).collect();
        return issue(
            400,
            "invariant",
            "ADDITIONAL_PROPERTIES",
            "Additional properties should not be included",
            Some(&format!(
                "Invalid request with error - Additional properties are not allowed ('{shown}' was unexpected)"
            )),
            "application/fhir+json",
        );
    }
    let get = |k: &str| {
        params
            .iter()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.as_str())
    };
    if let Some(max) = get("_max-results")
        && max != "1"
    {
        return issue(
            403,
            "token",
            "INVALID_VALUE",
            "Provided value is invalid",
            Some("Cannot retrieve more than one result with application-restricted access token"),
            "application/json",
        );
    }
    let mut criteria = Criteria::default();
    for (k, v) in params.iter().filter(|(k, _)| k == "birthdate") {
        let (op, day) = match v.get(..2) {
            Some(op @ ("eq" | "ge" | "le")) => (op, &v[2..]),
            _ => ("eq", v.as_str()),
        };
        match NaiveDate::parse_from_str(day, "%Y-%m-%d") {
            Ok(date) if day.len() == 10 => criteria.birthdate.push((op.to_owned(), date)),
            _ => {
                return invalid_search(
                    Some(&format!("Invalid value - '{}' in field '{k}'", clip(v))),
                    "INVALID_VALUE",
                    "Provided value is invalid",
                );
            }
        }
    }
    if criteria.birthdate.is_empty() {
        return issue(
            400,
            "required",
            "MISSING_VALUE",
            "Required value is missing",
            Some("Missing value - 'birth_date/birth_date_range_start/birth_date_range_end'"),
            "application/fhir+json",
        );
    }
    let fuzzy = get("_fuzzy-match") == Some("true");
    let wildcard_early = |v: &str| v.chars().take(2).any(|c| c == '*');
    let any_wildcard = params.iter().any(|(_, v)| v.contains('*'));
    let Some(family) = get("family") else {
        return invalid_search(
            Some(
                "Not enough search parameters were provided to be able to make a search - 'did not meet the minimum requirements'",
            ),
            "INVALID_SEARCH_DATA",
            "Search data is invalid",
        );
    };
    if fuzzy && any_wildcard {
        return invalid_search(
            Some("Invalid search data provided - 'did not meet the fuzzy search criteria'"),
            "INVALID_SEARCH_DATA",
            "Search data is invalid",
        );
    }
    let names: Vec<&str> = params
        .iter()
        .filter(|(k, _)| k == "given")
        .map(|(_, v)| v.as_str())
        .collect();
    let too_long = |v: &str| v.chars().count() > 35;
    if wildcard_early(family)
        || names.iter().any(|g| wildcard_early(g))
        || too_long(family)
        || names.iter().any(|g| too_long(g))
    {
        return invalid_search(
            Some(
                "Invalid search data provided - a name may have at most 35 characters and no wildcard in its first two",
            ),
            "INVALID_SEARCH_DATA",
            "Search data is invalid",
        );
    }
    if let Some(g) = get("gender")
        && !matches!(g, "male" | "female" | "other" | "unknown")
    {
        return invalid_search(
            Some(&format!("Invalid value - '{}' in field 'gender'", clip(g))),
            "INVALID_VALUE",
            "Provided value is invalid",
        );
    }
    let postcode = get("address-postalcode").or(get("address-postcode"));
    if postcode.is_some_and(wildcard_early) {
        return invalid_search(
            Some(
                "Invalid search data provided - a postcode wildcard needs two characters before it",
            ),
            "INVALID_SEARCH_DATA",
            "Search data is invalid",
        );
    }
    criteria.family = Some(family.to_owned());
    criteria.given = names.iter().map(|g| (*g).to_owned()).collect();
    criteria.gender = get("gender").map(str::to_owned);
    criteria.postcode = postcode.map(str::to_owned);
    criteria.gp = get("general-practitioner").map(str::to_owned);
    criteria.unmatchable = ["email", "phone", "death-date"]
        .iter()
        .any(|k| get(k).is_some());
    let found: Vec<_> = state.people.search(&criteria).take(2).collect();
    let timestamp = chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S+00:00")
        .to_string();
    match found.as_slice() {
        [] => json_response(
            200,
            "application/fhir+json",
            &json!({
                "resourceType": "Bundle", "type": "searchset", "timestamp": timestamp, "total": 0,
            }),
        ),
        [one] => json_response(
            200,
            "application/fhir+json",
            &json!({
                "resourceType": "Bundle", "type": "searchset", "timestamp": timestamp, "total": 1,
                "entry": [{
                    "fullUrl": format!("https://sandbox.local{FHIR_BASE}/Patient/{}", one.nhs_number),
                    "search": {"score": 1},
                    "resource": one.resource(true),
                }],
            }),
        ),
        _ => json_response(
            200,
            "application/fhir+json",
            &outcome_body(
                "information",
                "multiple-matches",
                "TOO_MANY_MATCHES",
                "Too Many Matches",
                None,
            ),
        ),
    }
}

fn within_rate(state: &PdsState) -> bool {
    let forced = state
        .forced_throttles
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
    if forced.is_ok() {
        return false;
    }
    let Ok(mut recent) = state.recent.lock() else {
        return true;
    };
    let now = Instant::now();
    while recent
        .front()
        .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
    {
        recent.pop_front();
    }
    if recent.len() >= CALLS_PER_SECOND {
        return false;
    }
    recent.push_back(now);
    true
}

fn is_uuid(id: &str) -> bool {
    let groups: Vec<&str> = id.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, len)| g.len() == len && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn clip(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(40).collect()
}

fn invalid_search(diagnostics: Option<&str>, code: &str, display: &str) -> Response<Body> {
    issue(
        400,
        "value",
        code,
        display,
        diagnostics,
        "application/fhir+json",
    )
}

fn access_denied(diagnostics: &str) -> Response<Body> {
    issue(
        401,
        "forbidden",
        "ACCESS_DENIED",
        "Access Denied - Unauthorised",
        Some(diagnostics),
        "application/json",
    )
}

fn outcome(status: u16, code: &str, diagnostics: &str) -> Response<Body> {
    issue(
        status,
        "value",
        code,
        "Unsupported request",
        Some(diagnostics),
        "application/json",
    )
}

fn issue(
    status: u16,
    issue_code: &str,
    code: &str,
    display: &str,
    diagnostics: Option<&str>,
    content_type: &'static str,
) -> Response<Body> {
    json_response(
        status,
        content_type,
        &outcome_body("error", issue_code, code, display, diagnostics),
    )
}

fn outcome_body(
    severity: &str,
    issue_code: &str,
    code: &str,
    display: &str,
    diagnostics: Option<&str>,
) -> Value {
    let mut issue = json!({
        "severity": severity,
        "code": issue_code,
        "details": {"coding": [{
            "system": "https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode",
            "version": "1",
            "code": code,
            "display": display,
        }]},
    });
    if let Some(d) = diagnostics {
        issue["diagnostics"] = json!(d);
    }
    json!({"resourceType": "OperationOutcome", "issue": [issue]})
}

fn json_response(status: u16, content_type: &'static str, value: &Value) -> Response<Body> {
    plain(status, content_type, &value.to_string())
}

fn plain(status: u16, content_type: &'static str, body: &str) -> Response<Body> {
    let mut response = Response::new(Body::from(body.to_owned()));
    *response.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}
