//! Spine's error codes as a type: what each one means, whether asking again can help, and
//! what the helpdesk can do next. The CLI and the terminal app both describe Spine's
//! answers from here, so they never disagree.

/// Which Tracker endpoints answered: codes 1 and 2 mean different things on each, and an
/// error body alone does not say which.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// Search and retrieve (prescription tracker).
    Basic,
    /// Clinical summary and clinical detail.
    Clinical,
}

/// A `statusCode` from the Tracker's published tables (and `Unknown` for any other).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpineCode {
    /// 1: no prescription found (clinical search: no matching records).
    NoMatch,
    /// 2: more than one match (clinical endpoints: the NHS number is invalid).
    NotUnique,
    /// 3: the issue asked for does not exist; the rest comes back.
    IssueNotFound,
    /// 4: Spine cannot read its own record.
    RecordUnreadable,
    /// 5: Spine's unexpected error.
    Unexpected,
    /// 6: prescription not found.
    PrescriptionNotFound,
    /// 7: line item not found.
    LineItemNotFound,
    /// 8: the issue (instance) does not exist (clinical endpoints).
    InstanceNotFound,
    /// 50: no query parameters.
    NoParameters,
    /// 51: the prescription ID is not valid.
    InvalidPrescriptionId,
    /// 52: the ASID is missing or invalid.
    InvalidAsid,
    /// 53: the API version is not valid.
    InvalidApiVersion,
    /// 54: the trace ID is not valid.
    InvalidTraceId,
    /// 55: the user ID is missing or invalid.
    InvalidUserId,
    /// 56: the role profile ID is missing or invalid.
    InvalidRoleProfileId,
    /// 57: a search date is not valid.
    InvalidDate,
    /// 59: the status filter is not a status code.
    InvalidStatusFilter,
    /// 60: the version filter is not R1 or R2.
    InvalidVersionFilter,
    /// 61: the NHS number is missing or fails its check digit.
    InvalidNhsNumber,
    /// A code not in the published tables, as Spine sent it.
    Unknown(String),
}

impl SpineCode {
    pub fn from_code(code: &str) -> SpineCode {
        match code.trim() {
            "1" => SpineCode::NoMatch,
            "2" => SpineCode::NotUnique,
            "3" => SpineCode::IssueNotFound,
            "4" => SpineCode::RecordUnreadable,
            "5" => SpineCode::Unexpected,
            "6" => SpineCode::PrescriptionNotFound,
            "7" => SpineCode::LineItemNotFound,
            "8" => SpineCode::InstanceNotFound,
            "50" => SpineCode::NoParameters,
            "51" => SpineCode::InvalidPrescriptionId,
            "52" => SpineCode::InvalidAsid,
            "53" => SpineCode::InvalidApiVersion,
            "54" => SpineCode::InvalidTraceId,
            "55" => SpineCode::InvalidUserId,
            "56" => SpineCode::InvalidRoleProfileId,
            "57" => SpineCode::InvalidDate,
            "59" => SpineCode::InvalidStatusFilter,
            "60" => SpineCode::InvalidVersionFilter,
            "61" => SpineCode::InvalidNhsNumber,
            other => SpineCode::Unknown(other.to_owned()),
        }
    }

    pub fn is_known(&self) -> bool {
        !matches!(self, SpineCode::Unknown(_))
    }

    /// What the code means, in our words, on the endpoints that answered. Codes 1 and 2
    /// mean different things on the clinical endpoints; where the endpoint is not known (a
    /// saved body) both meanings are given, and Spine's own reason says which.
    pub fn meaning_on(&self, endpoint: Option<Endpoint>) -> &'static str {
        match (self, endpoint) {
            (SpineCode::NoMatch, Some(Endpoint::Basic)) => "no prescription found",
            (SpineCode::NoMatch, Some(Endpoint::Clinical)) => "no matching records",
            (SpineCode::NoMatch, None) => {
                "no prescription found (on the clinical search: no matching records)"
            }
            (SpineCode::NotUnique, Some(Endpoint::Basic)) => {
                "no unique prescription: Spine found more than one match"
            }
            (SpineCode::NotUnique, Some(Endpoint::Clinical)) => "the NHS number is invalid",
            (SpineCode::NotUnique, None) => {
                "no unique prescription: Spine found more than one match (on the clinical \
                 endpoints: the NHS number is invalid)"
            }
            _ => self.meaning(),
        }
    }

    /// What the code means, in our words (for codes 1 and 2, see `meaning_on`).
    pub fn meaning(&self) -> &'static str {
        match self {
            SpineCode::NoMatch | SpineCode::NotUnique => self.meaning_on(None),
            SpineCode::IssueNotFound => {
                "that issue does not exist; the rest of the prescription is shown"
            }
            SpineCode::RecordUnreadable => {
                "Spine could not read its own record of this prescription: raise it with the national service desk"
            }
            SpineCode::Unexpected => {
                "Spine met an unexpected error: try again, then quote the trace ID to the national service desk"
            }
            SpineCode::PrescriptionNotFound => "prescription not found",
            SpineCode::LineItemNotFound => "line item not found on this prescription",
            SpineCode::InstanceNotFound => {
                "that issue (instance) of the prescription does not exist"
            }
            SpineCode::NoParameters => "the request had no query parameters",
            SpineCode::InvalidPrescriptionId => {
                "the prescription ID is not valid (short form XXXXXX-XXXXXX-XXXXXX or a GUID with a check character)"
            }
            SpineCode::InvalidAsid => {
                "the ASID is missing or invalid: check the Spine-From-Asid setting (12 digits) matches the certificate"
            }
            SpineCode::InvalidApiVersion => "the API version is not valid (only 1 is supported)",
            SpineCode::InvalidTraceId => {
                "the trace ID is not valid (up to 30 letters, digits and dashes)"
            }
            SpineCode::InvalidUserId => "the user ID is missing or invalid (12 digits)",
            SpineCode::InvalidRoleProfileId => {
                "the role profile ID is missing or invalid (12 digits)"
            }
            SpineCode::InvalidDate => {
                "a search date is not valid (yyyymmdd, earliest not after latest)"
            }
            SpineCode::InvalidStatusFilter => {
                "the prescription status filter is not one of the four-digit status codes"
            }
            SpineCode::InvalidVersionFilter => "the prescription version filter must be R1 or R2",
            SpineCode::InvalidNhsNumber => "the NHS number is missing or fails its check digit",
            SpineCode::Unknown(_) => {
                "a code not in the Tracker's published tables: quote it, with the trace ID, to \
                 the national service desk"
            }
        }
    }

    /// Whether sending the same request again could get a different answer: only for
    /// Spine's unexpected error (5). Code 4 (Spine cannot read its own record), the
    /// not-found codes and the invalid-request codes give the same answer again.
    pub fn retry_can_help(&self) -> bool {
        matches!(self, SpineCode::Unexpected)
    }

    /// What the helpdesk can do next, on the endpoints that answered.
    pub fn advice_on(&self, endpoint: Option<Endpoint>) -> &'static str {
        match (self, endpoint) {
            (SpineCode::NotUnique, Some(Endpoint::Clinical)) => {
                "Check every digit of the NHS number with the caller."
            }
            _ => self.advice(),
        }
    }

    /// What the helpdesk can do next.
    pub fn advice(&self) -> &'static str {
        match self {
            SpineCode::NoMatch | SpineCode::PrescriptionNotFound => {
                "Check the number or ID with the caller; a search only covers the dates asked for."
            }
            SpineCode::NotUnique => "Search by the patient's NHS number instead.",
            SpineCode::IssueNotFound
            | SpineCode::InstanceNotFound
            | SpineCode::LineItemNotFound => {
                "Check the issue with the caller; the prescription itself exists."
            }
            SpineCode::Unexpected => {
                "Retry; if it keeps failing, quote the trace ID to the national service desk."
            }
            // Spine cannot read its own record: asking again gets the same answer.
            SpineCode::RecordUnreadable => "Quote the trace ID to the national service desk.",
            SpineCode::InvalidAsid | SpineCode::InvalidUserId | SpineCode::InvalidRoleProfileId => {
                "Ask an administrator to check the settings and your account's Spine IDs."
            }
            SpineCode::NoParameters
            | SpineCode::InvalidPrescriptionId
            | SpineCode::InvalidApiVersion
            | SpineCode::InvalidTraceId
            | SpineCode::InvalidDate
            | SpineCode::InvalidStatusFilter
            | SpineCode::InvalidVersionFilter
            | SpineCode::InvalidNhsNumber => "Correct the query and send it again.",
            SpineCode::Unknown(_) => {
                "Quote the code and trace ID to the national service desk if it persists."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SpineCode;

    #[test]
    fn only_the_unexpected_error_is_worth_retrying() {
        let retried: Vec<&str> = [
            "1", "2", "3", "4", "5", "6", "7", "8", "50", "51", "52", "53", "54", "55", "56", "57",
            "59", "60", "61", "99",
        ]
        .into_iter()
        .filter(|c| SpineCode::from_code(c).retry_can_help())
        .collect();
        assert_eq!(retried, vec!["5"]);
    }

    #[test]
    fn every_code_has_advice_and_unknown_codes_keep_their_text() {
        assert_eq!(SpineCode::from_code(" 61 "), SpineCode::InvalidNhsNumber);
        assert_eq!(SpineCode::from_code("99"), SpineCode::Unknown("99".into()));
        assert!(!SpineCode::from_code("99").is_known());
        assert!(
            SpineCode::from_code("61")
                .advice()
                .contains("Correct the query")
        );
        assert!(SpineCode::from_code("4").advice().contains("service desk"));
    }

    #[test]
    fn codes_1_and_2_are_explained_for_the_endpoint_that_answered() {
        use super::Endpoint::{Basic, Clinical};
        let not_unique = SpineCode::from_code("2");
        assert_eq!(
            not_unique.meaning_on(Some(Basic)),
            "no unique prescription: Spine found more than one match"
        );
        assert_eq!(not_unique.advice_on(Some(Basic)), not_unique.advice());
        assert_eq!(
            not_unique.meaning_on(Some(Clinical)),
            "the NHS number is invalid"
        );
        assert!(not_unique.advice_on(Some(Clinical)).contains("NHS number"));
        let no_match = SpineCode::from_code("1");
        assert!(!no_match.meaning_on(Some(Basic)).contains("clinical"));
        assert!(no_match.meaning_on(None).contains("clinical"));
        // Every other code means the same everywhere.
        let invalid = SpineCode::from_code("61");
        assert_eq!(invalid.meaning_on(Some(Clinical)), invalid.meaning());
    }
}
