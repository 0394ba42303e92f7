//! The four Tracker requests: path and query parameters exactly as Spine expects them, and
//! Spine's own validation applied before anything is sent.

use chrono::{Days, NaiveDate};
use thiserror::Error;

use super::codes::{EpsVersion, PrescriptionStatus};
use super::ids::{NhsNumber, PrescriptionId};
use super::spine_code::Endpoint;

/// How far back Spine looks when no earliest date is given.
pub const DEFAULT_SEARCH_DAYS: u64 = 28;

/// A search by NHS number (basic search or clinical summary).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    pub nhs_number: NhsNumber,
    pub earliest: Option<NaiveDate>,
    pub latest: Option<NaiveDate>,
    pub status: Option<PrescriptionStatus>,
    pub version: Option<EpsVersion>,
}

impl SearchQuery {
    /// A search with no filters: Spine's default window, the last 28 days.
    pub fn new(nhs_number: NhsNumber) -> Self {
        Self {
            nhs_number,
            earliest: None,
            latest: None,
            status: None,
            version: None,
        }
    }
}

/// A retrieve by prescription ID (basic retrieve or clinical detail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrieveQuery {
    pub id: PrescriptionId,
    /// 1-based; `None` means the current issue.
    pub issue: Option<u32>,
}

impl RetrieveQuery {
    pub fn new(id: PrescriptionId) -> Self {
        Self { id, issue: None }
    }
}

/// One request to the Tracker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrackerRequest {
    /// `GET /mm/prescriptions`
    Search(SearchQuery),
    /// `GET /mm/prescriptions/{id}`
    Retrieve(RetrieveQuery),
    /// `GET /mm/nhs111itemsummary`
    ClinicalSummary(SearchQuery),
    /// `GET /mm/nhs111itemdetails`
    ClinicalDetail(RetrieveQuery),
}

/// Something Spine would reject, caught before sending. Carries the Spine error code the
/// request would have caused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum QueryError {
    #[error("the earliest date {earliest} is after the latest date {latest}")]
    EarliestAfterLatest {
        earliest: NaiveDate,
        latest: NaiveDate,
    },
    #[error("the status filter '{0}' is not a prescription status code")]
    UnknownStatus(String),
    #[error("the version filter '{0}' must be R1 or R2")]
    UnknownVersion(String),
    #[error(
        "Spine refuses the clinical detail for an ID whose check character does not match \
         ({warning}); turn Clinical off to see where the prescription is (status, pharmacy)"
    )]
    CheckCharacter { warning: String },
    #[error("issue number 0 does not exist: issues are numbered from 1")]
    IssueZero,
    #[error(
        "this is a repeat dispensing prescription: the clinical detail needs an issue number \
         (1 to {})", total.map_or_else(|| "the number authorised".to_owned(), |t| t.to_string())
    )]
    IssueNeeded { total: Option<u32> },
    #[error(
        "the earliest date {} is in the future: Spine refuses it (code 57); set a date up to \
         today", super::dates::people_date(*.0)
    )]
    EarliestInFuture(NaiveDate),
}

impl QueryError {
    /// The Spine error code this request would have come back with, where Spine has one.
    pub fn spine_code(&self) -> Option<&'static str> {
        match self {
            QueryError::EarliestAfterLatest { .. } => Some("57"),
            QueryError::UnknownStatus(_) => Some("59"),
            QueryError::UnknownVersion(_) => Some("60"),
            QueryError::CheckCharacter { .. } => Some("51"),
            QueryError::IssueZero => Some("8"),
            QueryError::IssueNeeded { .. } => None,
            QueryError::EarliestInFuture(_) => Some("57"),
        }
    }
}

/// Something Spine would accept but that will not do what the user expects.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum QueryWarning {
    #[error(
        "latest date is more than 28 days ago and no earliest date is set: Spine will find \
         nothing (set an earliest date)"
    )]
    LatestTooOldWithoutEarliest,
    #[error("{0}")]
    CheckCharacter(String),
}

/// What Spine knows about the prescription that a clinical-detail request is for, when the
/// caller already has it (e.g. from a search).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KnownPrescription {
    pub repeat_dispensing: bool,
    pub total_issues: Option<u32>,
}

impl TrackerRequest {
    /// The path under the host, starting at Spine's base path `/mm`.
    pub fn path(&self) -> String {
        match self {
            TrackerRequest::Search(_) => "/mm/prescriptions".to_owned(),
            TrackerRequest::Retrieve(q) => format!("/mm/prescriptions/{}", q.id.as_str()),
            TrackerRequest::ClinicalSummary(_) => "/mm/nhs111itemsummary".to_owned(),
            TrackerRequest::ClinicalDetail(_) => "/mm/nhs111itemdetails".to_owned(),
        }
    }

    /// The Spine interaction this request is, for logs and the audit trail.
    pub fn interaction(&self) -> &'static str {
        match self {
            TrackerRequest::Search(_) => {
                "urn:nhs:names:services:mmquery:ExternalPrescriptionSearch_1_0"
            }
            TrackerRequest::Retrieve(_) => {
                "urn:nhs:names:services:mmquery:ExternalPrescriptionQuery_1_0"
            }
            TrackerRequest::ClinicalSummary(_) => {
                "urn:nhs:names:services:mmquery:NHS111_ItemSummary"
            }
            TrackerRequest::ClinicalDetail(_) => "urn:nhs:names:services:mmquery:NHS111_ItemDetail",
        }
    }

    /// Whether the response carries clinical content (medication names, doses).
    pub fn is_clinical(&self) -> bool {
        matches!(
            self,
            TrackerRequest::ClinicalSummary(_) | TrackerRequest::ClinicalDetail(_)
        )
    }

    /// Which endpoints answer it (they explain some error codes differently).
    pub fn endpoint(&self) -> Endpoint {
        if self.is_clinical() {
            Endpoint::Clinical
        } else {
            Endpoint::Basic
        }
    }

    /// Query parameters in the order Spine's examples show them. Names are case sensitive.
    pub fn params(&self) -> Vec<(&'static str, String)> {
        match self {
            TrackerRequest::Search(q) | TrackerRequest::ClinicalSummary(q) => {
                let mut params = vec![
                    ("nhsNumber", q.nhs_number.as_digits()),
                    ("format", "trace-summary".to_owned()),
                ];
                if let Some(earliest) = q.earliest {
                    params.push(("earliestDate", wire_date(earliest)));
                }
                if let Some(latest) = q.latest {
                    params.push(("latestDate", wire_date(latest)));
                }
                if let Some(status) = &q.status {
                    params.push(("prescriptionStatus", status.code().to_owned()));
                }
                if let Some(version) = &q.version {
                    params.push(("prescriptionVersion", version.code().to_owned()));
                }
                params
            }
            TrackerRequest::Retrieve(q) => {
                let mut params = vec![("format", "trace".to_owned())];
                if let Some(issue) = q.issue {
                    params.push(("issueNumber", issue.to_string()));
                }
                params
            }
            TrackerRequest::ClinicalDetail(q) => {
                let mut params = vec![("prescriptionId", q.id.as_str().to_owned())];
                if let Some(issue) = q.issue {
                    params.push(("issueNumber", issue.to_string()));
                }
                params
            }
        }
    }

    /// Applies Spine's rules before sending. `today` is the UTC date. Errors are requests
    /// Spine would reject (or answer with nothing by rule); warnings are requests it would
    /// accept but that will not do what the user expects.
    pub fn validate(&self, today: NaiveDate) -> Result<Vec<QueryWarning>, QueryError> {
        self.validate_with(today, KnownPrescription::default())
    }

    /// As [`validate`](Self::validate), also checking the clinical-detail rule that a
    /// repeat dispensing prescription needs an issue number, when the caller knows the
    /// prescription's treatment type.
    pub fn validate_with(
        &self,
        today: NaiveDate,
        known: KnownPrescription,
    ) -> Result<Vec<QueryWarning>, QueryError> {
        let mut warnings = Vec::new();
        match self {
            TrackerRequest::Search(q) | TrackerRequest::ClinicalSummary(q) => {
                if let Some(status) = &q.status
                    && !status.is_known()
                {
                    return Err(QueryError::UnknownStatus(status.code().to_owned()));
                }
                if let Some(version) = &q.version
                    && !version.is_known()
                {
                    return Err(QueryError::UnknownVersion(version.code().to_owned()));
                }
                if let (Some(earliest), Some(latest)) = (q.earliest, q.latest)
                    && earliest > latest
                {
                    return Err(QueryError::EarliestAfterLatest { earliest, latest });
                }
                let default_earliest = today.checked_sub_days(Days::new(DEFAULT_SEARCH_DAYS));
                if q.earliest.is_none()
                    && let (Some(latest), Some(default_earliest)) = (q.latest, default_earliest)
                    && latest < default_earliest
                {
                    warnings.push(QueryWarning::LatestTooOldWithoutEarliest);
                }
                if let Some(earliest) = q.earliest.filter(|earliest| *earliest > today) {
                    return Err(QueryError::EarliestInFuture(earliest));
                }
            }
            TrackerRequest::Retrieve(q) => {
                if q.issue == Some(0) {
                    return Err(QueryError::IssueZero);
                }
                if let Some(warning) = q.id.check_warning() {
                    warnings.push(QueryWarning::CheckCharacter(warning));
                }
            }
            TrackerRequest::ClinicalDetail(q) => {
                if let Some(warning) = q.id.check_warning() {
                    return Err(QueryError::CheckCharacter { warning });
                }
                if q.issue == Some(0) {
                    return Err(QueryError::IssueZero);
                }
                if known.repeat_dispensing && q.issue.is_none() {
                    return Err(QueryError::IssueNeeded {
                        total: known.total_issues,
                    });
                }
            }
        }
        Ok(warnings)
    }
}

/// Spine's `yyyymmdd`.
fn wire_date(date: NaiveDate) -> String {
    date.format("%Y%m%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nhs() -> NhsNumber {
        NhsNumber::parse("9990548609").unwrap()
    }

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn today() -> NaiveDate {
        ymd(2026, 11, 25)
    }

    #[test]
    fn search_params_follow_the_spec() {
        let mut q = SearchQuery::new(nhs());
        q.earliest = Some(ymd(2026, 1, 2));
        q.latest = Some(ymd(2026, 11, 1));
        q.status = Some(PrescriptionStatus::WithDispenser);
        q.version = Some(EpsVersion::R2);
        let request = TrackerRequest::Search(q.clone());
        assert_eq!(request.path(), "/mm/prescriptions");
        assert_eq!(
            request.params(),
            vec![
                ("nhsNumber", "9990548609".to_owned()),
                ("format", "trace-summary".to_owned()),
                ("earliestDate", "20260102".to_owned()),
                ("latestDate", "20261101".to_owned()),
                ("prescriptionStatus", "0002".to_owned()),
                ("prescriptionVersion", "R2".to_owned()),
            ]
        );
        let clinical = TrackerRequest::ClinicalSummary(q);
        assert_eq!(clinical.path(), "/mm/nhs111itemsummary");
        assert_eq!(clinical.params(), request.params());
    }

    #[test]
    fn retrieve_params_follow_the_spec() {
        let id = PrescriptionId::parse("48A894-C86002-00009E").unwrap();
        let mut q = RetrieveQuery::new(id);
        let request = TrackerRequest::Retrieve(q.clone());
        assert_eq!(request.path(), "/mm/prescriptions/48A894-C86002-00009E");
        assert_eq!(request.params(), vec![("format", "trace".to_owned())]);
        q.issue = Some(2);
        assert_eq!(
            TrackerRequest::Retrieve(q.clone()).params(),
            vec![
                ("format", "trace".to_owned()),
                ("issueNumber", "2".to_owned())
            ]
        );
        let detail = TrackerRequest::ClinicalDetail(q);
        assert_eq!(detail.path(), "/mm/nhs111itemdetails");
        assert_eq!(
            detail.params(),
            vec![
                ("prescriptionId", "48A894-C86002-00009E".to_owned()),
                ("issueNumber", "2".to_owned())
            ]
        );
    }

    #[test]
    fn old_latest_date_without_earliest_warns() {
        let mut q = SearchQuery::new(nhs());
        q.latest = Some(ymd(2026, 10, 1));
        let warnings = TrackerRequest::Search(q.clone()).validate(today()).unwrap();
        assert_eq!(warnings, vec![QueryWarning::LatestTooOldWithoutEarliest]);
        assert!(warnings[0].to_string().starts_with(
            "latest date is more than 28 days ago and no earliest date is set: Spine will find nothing"
        ));
        q.latest = Some(ymd(2026, 10, 28));
        assert_eq!(
            TrackerRequest::Search(q.clone()).validate(today()),
            Ok(vec![])
        );
        q.latest = Some(ymd(2026, 10, 1));
        q.earliest = Some(ymd(2026, 9, 1));
        assert_eq!(TrackerRequest::Search(q).validate(today()), Ok(vec![]));
    }

    #[test]
    fn earliest_after_latest_is_error_57() {
        let mut q = SearchQuery::new(nhs());
        q.earliest = Some(ymd(2026, 11, 2));
        q.latest = Some(ymd(2026, 11, 1));
        let error = TrackerRequest::ClinicalSummary(q)
            .validate(today())
            .unwrap_err();
        assert_eq!(error.spine_code(), Some("57"));
    }

    #[test]
    fn unknown_filters_are_refused_with_spine_codes() {
        let mut q = SearchQuery::new(nhs());
        q.status = Some(PrescriptionStatus::from_code("1234"));
        let error = TrackerRequest::Search(q.clone())
            .validate(today())
            .unwrap_err();
        assert_eq!(error.spine_code(), Some("59"));
        q.status = None;
        q.version = Some(EpsVersion::from_code("R3"));
        let error = TrackerRequest::Search(q).validate(today()).unwrap_err();
        assert_eq!(error.spine_code(), Some("60"));
    }

    #[test]
    fn clinical_detail_rules() {
        let bad_check = PrescriptionId::parse("0FBD16-C81007-00001T").unwrap();
        let error = TrackerRequest::ClinicalDetail(RetrieveQuery::new(bad_check.clone()))
            .validate(today())
            .unwrap_err();
        assert_eq!(error.spine_code(), Some("51"));
        let warnings = TrackerRequest::Retrieve(RetrieveQuery::new(bad_check))
            .validate(today())
            .unwrap();
        assert!(matches!(
            warnings.as_slice(),
            [QueryWarning::CheckCharacter(_)]
        ));

        let good = PrescriptionId::parse("0FBD16-C81007-00001S").unwrap();
        let erd = KnownPrescription {
            repeat_dispensing: true,
            total_issues: Some(6),
        };
        let without_issue = TrackerRequest::ClinicalDetail(RetrieveQuery::new(good.clone()));
        let error = without_issue.validate_with(today(), erd).unwrap_err();
        assert_eq!(error, QueryError::IssueNeeded { total: Some(6) });
        assert!(error.to_string().contains("(1 to 6)"));
        assert_eq!(without_issue.validate(today()), Ok(vec![]));
        let with_issue = TrackerRequest::ClinicalDetail(RetrieveQuery {
            id: good,
            issue: Some(2),
        });
        assert_eq!(with_issue.validate_with(today(), erd), Ok(vec![]));
    }
}
