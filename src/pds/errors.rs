//! PDS's error codes (the `details.coding.code` of an OperationOutcome) and what they mean
//! for the person at the keyboard.

use std::fmt;

use serde::Serialize;
use thiserror::Error;

/// The codes of the contract's error table; anything else is kept as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(into = "String")]
pub enum PdsCode {
    TooManyMatches,
    InvalidSearchData,
    UnsupportedService,
    MissingValue,
    InvalidValue,
    AdditionalProperties,
    InvalidResourceId,
    UnsupportedRequest,
    AccessDenied,
    InvalidMethod,
    ResourceNotFound,
    InvalidatedResource,
    UnableToCallService,
    TooManyRequests,
    UnknownError,
    Other(String),
}

const CODES: [(PdsCode, &str); 15] = [
    (PdsCode::TooManyMatches, "TOO_MANY_MATCHES"),
    (PdsCode::InvalidSearchData, "INVALID_SEARCH_DATA"),
    (PdsCode::UnsupportedService, "UNSUPPORTED_SERVICE"),
    (PdsCode::MissingValue, "MISSING_VALUE"),
    (PdsCode::InvalidValue, "INVALID_VALUE"),
    (PdsCode::AdditionalProperties, "ADDITIONAL_PROPERTIES"),
    (PdsCode::InvalidResourceId, "INVALID_RESOURCE_ID"),
    (PdsCode::UnsupportedRequest, "UNSUPPORTED_REQUEST"),
    (PdsCode::AccessDenied, "ACCESS_DENIED"),
    (PdsCode::InvalidMethod, "INVALID_METHOD"),
    (PdsCode::ResourceNotFound, "RESOURCE_NOT_FOUND"),
    (PdsCode::InvalidatedResource, "INVALIDATED_RESOURCE"),
    (PdsCode::UnableToCallService, "UNABLE_TO_CALL_SERVICE"),
    (PdsCode::TooManyRequests, "TOO_MANY_REQUESTS"),
    (PdsCode::UnknownError, "UNKNOWN_ERROR"),
];

impl PdsCode {
    pub fn parse(code: &str) -> Self {
        CODES
            .iter()
            .find(|(_, text)| *text == code)
            .map_or_else(|| Self::Other(code.to_owned()), |(c, _)| c.clone())
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Other(text) => text,
            known => CODES
                .iter()
                .find(|(c, _)| c == known)
                .map_or("UNKNOWN_ERROR", |(_, text)| text),
        }
    }

    /// What happened and what to do next, in the helpdesk's words.
    pub fn plain(&self) -> &'static str {
        match self {
            Self::TooManyMatches => {
                "more than one patient matches: add the first name or the postcode"
            }
            Self::InvalidSearchData => {
                "PDS cannot search with these details: give at least the last name and the \
                 date of birth, without wildcards in the first two letters"
            }
            Self::UnsupportedService => "PDS does not offer this search: give more details",
            Self::MissingValue => "PDS says a required value is missing from the request",
            Self::InvalidValue => "PDS refused a value in the request: check what was typed",
            Self::AdditionalProperties => "PDS does not accept one of the search details sent",
            Self::InvalidResourceId => "PDS says this is not a valid NHS number: check it",
            Self::UnsupportedRequest => "PDS does not offer this request",
            Self::AccessDenied => {
                "PDS refused access: the access token or this application's PDS registration is \
                 not accepted (ask whoever manages the PDS settings)"
            }
            Self::InvalidMethod => "PDS does not allow this kind of request for this application",
            Self::ResourceNotFound => "PDS has no patient with this NHS number",
            Self::InvalidatedResource => {
                "this NHS number's record has been marked invalid in PDS: ask the caller for \
                 another number, or search by details"
            }
            Self::UnableToCallService => "PDS did not answer in time: try again in a moment",
            Self::TooManyRequests => "PDS is busy (too many requests): try again in a moment",
            Self::UnknownError | Self::Other(_) => {
                "PDS reported an error it did not explain: try again, and report it if it persists"
            }
        }
    }
}

impl From<PdsCode> for String {
    fn from(code: PdsCode) -> Self {
        code.as_str().to_owned()
    }
}

impl fmt::Display for PdsCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An OperationOutcome from PDS, reduced to its first issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PdsOutcome {
    pub http_status: Option<u16>,
    pub code: PdsCode,
    /// PDS's `diagnostics`: shown to the user, never written to the audit trail or logs.
    pub diagnostics: Option<String>,
}

impl fmt::Display for PdsOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.code.plain(), self.code)?;
        if let Some(d) = &self.diagnostics {
            write!(f, ": {d}")?;
        }
        Ok(())
    }
}

/// Why a body is not a PDS answer.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
pub enum NotPds {
    #[error("the answer is larger than {limit} bytes, far more than one patient")]
    TooLarge { limit: usize },
    #[error("the answer is not JSON: {0}")]
    NotJson(String),
    #[error("the answer is JSON but not a FHIR resource (no resourceType)")]
    NoResourceType,
    #[error("the answer is a FHIR {0}, not a Patient, Bundle or OperationOutcome")]
    OtherResource(String),
    #[error("the answer is a {0} with a problem: {1}")]
    Malformed(&'static str, String),
}
