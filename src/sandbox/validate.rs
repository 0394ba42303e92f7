//! Spine's request rules: the headers and parameters each endpoint accepts, checked in
//! Spine's order, failing with Spine's code and reason. Nothing here looks anything up.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use hyper::HeaderMap;

use super::dataset::EpsVersion;
use crate::security::spine_client::TraceId;
use crate::tracker::ids::{NhsNumber, PrescriptionId};
use crate::tracker::spine_id::SpineId;

/// The longest query string the sandbox reads; a longer one gets HTTP 414.
pub const MAX_QUERY_BYTES: usize = 2048;

/// A Tracker error: HTTP 200 with this `statusCode` and `reason`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpineError {
    pub code: &'static str,
    pub reason: &'static str,
}

const fn err(code: &'static str, reason: &'static str) -> SpineError {
    SpineError { code, reason }
}

pub const PRESCRIPTION_NOT_FOUND: SpineError = err("1", "Prescription not found");
pub const NOT_UNIQUE: SpineError = err("2", "No unique prescription found: sibling found");
pub const ISSUE_NOT_FOUND: SpineError = err("3", "Issue not found");
pub const RECORD_UNPARSABLE: SpineError = err("4", "Prescription record failed to parse");
pub const UNEXPECTED: SpineError = err("5", "Unexpected exception");
pub const NO_PARAMETERS: SpineError = err("50", "No query parameters");
pub const INVALID_PRESCRIPTION_ID: SpineError = err("51", "Invalid prescription ID");
pub const INVALID_ASID: SpineError = err("52", "Invalid or missing ASID");
pub const INVALID_VERSION: SpineError = err("53", "Invalid version");
pub const INVALID_TRACE_ID: SpineError = err("54", "Invalid trace ID");
pub const INVALID_USER_ID: SpineError = err("55", "Invalid user ID");
pub const INVALID_ROLE_PROFILE_ID: SpineError = err("56", "Invalid role profile ID");
pub const INVALID_DATE: SpineError = err("57", "Invalid search date");
pub const INVALID_STATUS: SpineError = err("59", "Invalid prescription status");
pub const INVALID_PRESCRIPTION_VERSION: SpineError = err("60", "Invalid prescription version");
pub const INVALID_NHS_NUMBER: SpineError = err("61", "Invalid or missing NHS number");
/// The clinical endpoints' own list (their swagger), used for their look-up failures.
pub const NO_MATCHING_RECORDS: SpineError =
    err("1", "No prescriptions found matching search criteria");
pub const CLINICAL_PRESCRIPTION_NOT_FOUND: SpineError = err("6", "Prescription ID not found");
pub const LINE_ITEM_NOT_FOUND: SpineError = err("7", "Prescription Line Item ID not found");
pub const INSTANCE_NOT_FOUND: SpineError = err("8", "Prescription repeat instance not found");
pub const INSTANCE_REQUIRED: SpineError = err(
    "8",
    "Prescription repeat instance not found: issueNumber is mandatory for repeat dispensing",
);

/// The four-digit prescription states the status filter accepts.
pub const PRESCRIPTION_STATES: [&str; 13] = [
    "0000", "0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009", "9000", "9001",
    "9005",
];

/// The trace ID to echo, when the request carried a valid one.
pub fn check_headers(
    headers: &HeaderMap,
    peer_common_name: Option<&str>,
) -> Result<Option<String>, SpineError> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let asid = header("Spine-From-Asid").ok_or(INVALID_ASID)?;
    if !SpineId::is_exact(asid) || Some(asid) != peer_common_name {
        return Err(INVALID_ASID);
    }
    if !header("Spine-UserId").is_some_and(SpineId::is_exact) {
        return Err(INVALID_USER_ID);
    }
    if !header("Spine-RoleProfileId").is_some_and(SpineId::is_exact) {
        return Err(INVALID_ROLE_PROFILE_ID);
    }
    match headers.get("Eps-TraceId") {
        None => Ok(None),
        Some(value) => match value.to_str() {
            Ok(text) if TraceId::is_valid(text) => Ok(Some(text.to_owned())),
            _ => Err(INVALID_TRACE_ID),
        },
    }
}

/// Query parameters by (case-sensitive) name; the first occurrence wins.
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(query: &str) -> Self {
        Self(
            form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect(),
        )
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A checked basic or clinical search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    pub nhs_number: String,
    pub earliest: NaiveDateTime,
    pub latest: NaiveDateTime,
    pub status: Option<String>,
    pub version: Option<EpsVersion>,
}

/// Which search: the basic one insists on `format=trace-summary`; the clinical summary
/// accepts it present or absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchKind {
    Basic,
    Clinical,
}

pub fn search(params: &Params, kind: SearchKind, now: NaiveDateTime) -> Result<Search, SpineError> {
    if params.is_empty() {
        return Err(NO_PARAMETERS);
    }
    let nhs_number = params
        .get("nhsNumber")
        .filter(|n| n.len() == 10)
        .and_then(|n| NhsNumber::parse(n).ok())
        .ok_or(INVALID_NHS_NUMBER)?
        .as_digits();
    check_format(params, "trace-summary", kind == SearchKind::Clinical)?;
    let earliest = match params.get("earliestDate") {
        Some(text) => parse_date(text)?.and_time(NaiveTime::MIN),
        None => now - Duration::days(28),
    };
    let latest = match params.get("latestDate") {
        Some(text) => end_of_day(parse_date(text)?),
        None => now,
    };
    if earliest > latest {
        return Err(INVALID_DATE);
    }
    let status = match params.get("prescriptionStatus") {
        Some(s) if PRESCRIPTION_STATES.contains(&s) => Some(s.to_owned()),
        Some(_) => return Err(INVALID_STATUS),
        None => None,
    };
    let version = match params.get("prescriptionVersion") {
        Some("1" | "R1") => Some(EpsVersion::R1),
        Some("2" | "R2") => Some(EpsVersion::R2),
        Some(_) => return Err(INVALID_PRESCRIPTION_VERSION),
        None => None,
    };
    check_version(params)?;
    Ok(Search {
        nhs_number,
        earliest,
        latest,
        status,
        version,
    })
}

/// A checked basic retrieve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retrieve {
    pub id: String,
    /// `None`: the current issue. `Some(None)`: an issue number that cannot exist.
    pub issue: Option<Option<u32>>,
}

pub fn retrieve(id_in_path: &str, params: &Params) -> Result<Retrieve, SpineError> {
    let id = prescription_id(id_in_path)?;
    check_format(params, "trace", false)?;
    check_version(params)?;
    Ok(Retrieve {
        id,
        issue: params.get("issueNumber").map(issue_number),
    })
}

/// A checked clinical detail request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detail {
    pub id: String,
    pub issue: Option<Option<u32>>,
    pub line_item: Option<String>,
}

pub fn detail(params: &Params) -> Result<Detail, SpineError> {
    if params.is_empty() {
        return Err(NO_PARAMETERS);
    }
    let id = prescription_id(params.get("prescriptionId").unwrap_or_default())?;
    // The clinical detail insists on a valid check character; the basic retrieve does not.
    if !PrescriptionId::parse(&id).is_ok_and(|p| p.check_ok()) {
        return Err(INVALID_PRESCRIPTION_ID);
    }
    Ok(Detail {
        id,
        issue: params.get("issueNumber").map(issue_number),
        line_item: params.get("lineitemid").map(str::to_owned),
    })
}

/// Spine's shape rule: 19/20 characters (R2) or 36/37 (R1), of `A-Z a-z 0-9 - +`.
fn prescription_id(text: &str) -> Result<String, SpineError> {
    let shape_ok = matches!(text.len(), 19 | 20 | 36 | 37)
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'+');
    if shape_ok {
        Ok(text.to_ascii_uppercase())
    } else {
        Err(INVALID_PRESCRIPTION_ID)
    }
}

fn issue_number(text: &str) -> Option<u32> {
    text.parse::<u32>().ok().filter(|n| *n >= 1)
}

fn check_format(params: &Params, wanted: &str, may_be_absent: bool) -> Result<(), SpineError> {
    match params.get("format") {
        Some(f) if f == wanted => Ok(()),
        None if may_be_absent => Ok(()),
        _ => Err(UNEXPECTED),
    }
}

fn check_version(params: &Params) -> Result<(), SpineError> {
    match params.get("version") {
        None | Some("1") => Ok(()),
        Some(_) => Err(INVALID_VERSION),
    }
}

fn parse_date(text: &str) -> Result<NaiveDate, SpineError> {
    if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(INVALID_DATE);
    }
    NaiveDate::parse_from_str(text, "%Y%m%d").map_err(|_| INVALID_DATE)
}

fn end_of_day(date: NaiveDate) -> NaiveDateTime {
    date.and_time(NaiveTime::MIN) + Duration::days(1) - Duration::seconds(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, 25)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap()
    }

    fn basic(query: &str) -> Result<Search, SpineError> {
        search(&Params::parse(query), SearchKind::Basic, now())
    }

    #[test]
    fn search_defaults_to_the_last_28_days() {
        let s = basic("nhsNumber=9990548609&format=trace-summary").unwrap();
        assert_eq!(s.earliest, now() - Duration::days(28));
        assert_eq!(s.latest, now());
    }

    #[test]
    fn latest_date_covers_the_whole_day() {
        let s = basic("nhsNumber=9990548609&format=trace-summary&latestDate=20261101").unwrap();
        assert_eq!(s.latest.to_string(), "2026-11-01 23:59:59");
    }

    #[test]
    fn each_bad_parameter_gets_spines_code() {
        let cases = [
            ("", "50"),
            ("nhsNumber=1234567890&format=trace-summary", "61"),
            ("format=trace-summary", "61"),
            ("nhsNumber=999%20054%208609&format=trace-summary", "61"),
            (
                "nhsNumber=9990548609&format=trace-summary&earliestDate=2026-11-01",
                "57",
            ),
            (
                "nhsNumber=9990548609&format=trace-summary&earliestDate=20261301",
                "57",
            ),
            (
                "nhsNumber=9990548609&format=trace-summary&earliestDate=20261120&latestDate=20261110",
                "57",
            ),
            (
                "nhsNumber=9990548609&format=trace-summary&prescriptionStatus=0010",
                "59",
            ),
            (
                "nhsNumber=9990548609&format=trace-summary&prescriptionVersion=3",
                "60",
            ),
            ("nhsNumber=9990548609&format=trace-summary&version=2", "53"),
            ("nhsNumber=9990548609&format=trace", "5"),
            ("NHSNUMBER=9990548609&format=trace-summary", "61"),
        ];
        for (query, code) in cases {
            assert_eq!(basic(query).unwrap_err().code, code, "{query}");
        }
    }

    #[test]
    fn clinical_summary_accepts_format_absent() {
        let params = Params::parse("nhsNumber=9990548609");
        assert!(search(&params, SearchKind::Clinical, now()).is_ok());
        assert_eq!(basic("nhsNumber=9990548609").unwrap_err(), UNEXPECTED);
    }

    #[test]
    fn prescription_ids_are_checked_for_shape_and_detail_wants_the_check_character() {
        let params = Params::parse("format=trace");
        assert!(retrieve("0FBD16-C81007-00001S", &params).is_ok());
        // A failing check character is still a prescription ID to the basic retrieve.
        assert!(retrieve("0FBD16-C81007-00001T", &params).is_ok());
        assert_eq!(
            retrieve("0FBD16-C81007", &params).unwrap_err(),
            INVALID_PRESCRIPTION_ID
        );
        assert_eq!(
            retrieve("0FBD16_C81007_00001S", &params).unwrap_err(),
            INVALID_PRESCRIPTION_ID
        );
        assert_eq!(
            detail(&Params::parse("prescriptionId=0FBD16-C81007-00001T")).unwrap_err(),
            INVALID_PRESCRIPTION_ID
        );
        let ok = detail(&Params::parse(
            "prescriptionId=0FBD16-C81007-00001S&issueNumber=2",
        ))
        .unwrap();
        assert_eq!(ok.issue, Some(Some(2)));
        let zero = retrieve(
            "0FBD16-C81007-00001S",
            &Params::parse("format=trace&issueNumber=0"),
        );
        assert_eq!(zero.unwrap().issue, Some(None));
    }

    #[test]
    fn headers_are_checked_in_spines_order() {
        let mut headers = HeaderMap::new();
        let cn = Some("200000000001");
        assert_eq!(check_headers(&headers, cn).unwrap_err(), INVALID_ASID);
        headers.insert("Spine-From-Asid", "200000000002".parse().unwrap());
        assert_eq!(check_headers(&headers, cn).unwrap_err(), INVALID_ASID);
        headers.insert("Spine-From-Asid", "200000000001".parse().unwrap());
        assert_eq!(check_headers(&headers, cn).unwrap_err(), INVALID_USER_ID);
        headers.insert("Spine-UserId", "555555555555".parse().unwrap());
        assert_eq!(
            check_headers(&headers, cn).unwrap_err(),
            INVALID_ROLE_PROFILE_ID
        );
        headers.insert("Spine-RoleProfileId", "666666666666".parse().unwrap());
        assert_eq!(check_headers(&headers, cn).unwrap(), None);
        headers.insert("Eps-TraceId", "a".repeat(31).parse().unwrap());
        assert_eq!(check_headers(&headers, cn).unwrap_err(), INVALID_TRACE_ID);
        headers.insert("Eps-TraceId", "EPST-abc-123".parse().unwrap());
        assert_eq!(
            check_headers(&headers, cn).unwrap().as_deref(),
            Some("EPST-abc-123")
        );
    }
}
