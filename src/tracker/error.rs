//! Everything that can be wrong with a Tracker response body, each in plain words.

use std::fmt;

use serde::Serialize;
use thiserror::Error;

use super::spine_code::{Endpoint, SpineCode};

/// The largest response body we read. No limit is documented; a real search answer is a
/// few hundred kilobytes at most, so anything larger is refused before it is all read.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// How deeply JSON may nest. Tracker responses nest six levels. This is serde_json's own
/// recursion limit (128 levels, counting the one that fails), which the decoder relies on
/// instead of scanning the body first; `tests/decode.rs` pins the two together.
pub const MAX_JSON_DEPTH: usize = 127;

/// A Spine error: `statusCode` other than `"0"`/`""`, with Spine's `reason` and our
/// explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpineError {
    /// As Spine sent it, e.g. `"61"`.
    pub code: String,
    /// Spine's own text, exactly as sent.
    pub reason: String,
    /// What the code means, in our words.
    pub explanation: String,
    /// The endpoints that answered, once the caller has said (`on`): codes 1 and 2 mean
    /// different things on each.
    #[serde(skip)]
    pub endpoint: Option<Endpoint>,
}

impl SpineError {
    pub fn new(code: impl Into<String>, reason: impl Into<String>) -> Self {
        let code = code.into().trim().to_owned();
        let explanation = SpineCode::from_code(&code).meaning().to_owned();
        Self {
            code,
            reason: reason.into(),
            explanation,
            endpoint: None,
        }
    }

    /// The same error, explained for the endpoints that sent it.
    pub fn on(mut self, endpoint: Endpoint) -> Self {
        self.explanation = self.spine_code().meaning_on(Some(endpoint)).to_owned();
        self.endpoint = Some(endpoint);
        self
    }

    /// What the helpdesk can do next.
    pub fn advice(&self) -> &'static str {
        self.spine_code().advice_on(self.endpoint)
    }

    /// Code 3 (and 8 on the clinical endpoints): the issue asked for does not exist, but
    /// the rest of the prescription comes back.
    pub fn is_issue_not_found(&self) -> bool {
        matches!(self.code.as_str(), "3" | "8")
    }

    /// Whether sending the same request again could get a different answer: only for
    /// Spine's unexpected error (5). Code 4 (Spine cannot read its own record) and the
    /// not-found and invalid-request codes give the same answer again.
    pub fn retry_can_help(&self) -> bool {
        self.spine_code().retry_can_help()
    }

    /// Whether the code is one Spine documents (and so has a specific explanation).
    pub fn is_known(&self) -> bool {
        self.spine_code().is_known()
    }

    /// The code as a type: its meaning, whether a retry helps, and the advice.
    pub fn spine_code(&self) -> SpineCode {
        SpineCode::from_code(&self.code)
    }
}

impl fmt::Display for SpineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.reason.trim().is_empty() {
            write!(f, "Spine error {}: {}", self.code, self.explanation)
        } else {
            write!(
                f,
                "Spine error {} \"{}\": {}",
                self.code,
                self.reason.trim(),
                self.explanation
            )
        }
    }
}

impl std::error::Error for SpineError {}

/// What a non-JSON body turned out to be, so a message can name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum BodyKind {
    Empty,
    Html {
        title: Option<String>,
    },
    SoapFault {
        code: Option<String>,
        reason: Option<String>,
    },
    /// An HL7 v3 acknowledgement (`acknowledgement typeCode`, detail text).
    Hl7Acknowledgement {
        code: Option<String>,
        text: Option<String>,
    },
    /// Some other XML document, by its root element.
    Xml {
        root: String,
    },
    PlainText {
        first_line: String,
    },
    /// JSON, but not a Tracker response.
    Json {
        summary: String,
    },
}

impl fmt::Display for BodyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BodyKind::Empty => f.write_str("an empty body"),
            BodyKind::Html { title: Some(title) } => write!(f, "HTML page \"{title}\""),
            BodyKind::Html { title: None } => f.write_str("HTML page"),
            BodyKind::SoapFault { code, reason } => {
                f.write_str("SOAP fault")?;
                if let Some(code) = code {
                    write!(f, " {code}")?;
                }
                if let Some(reason) = reason {
                    write!(f, " \"{reason}\"")?;
                }
                Ok(())
            }
            BodyKind::Hl7Acknowledgement { code, text } => {
                f.write_str("HL7 acknowledgement")?;
                if let Some(code) = code {
                    write!(f, " {code}")?;
                }
                if let Some(text) = text {
                    write!(f, " \"{text}\"")?;
                }
                Ok(())
            }
            BodyKind::Xml { root } => write!(f, "XML document <{root}>"),
            BodyKind::PlainText { first_line } => write!(f, "plain text \"{first_line}\""),
            BodyKind::Json { summary } => {
                write!(f, "JSON that is not a Tracker response: {summary}")
            }
        }
    }
}

/// The HTTP status with its reason phrase: `502 Bad Gateway`.
pub fn describe_status(status: u16) -> String {
    match hyper::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
    {
        Some(reason) => format!("{status} {reason}"),
        None => format!("HTTP {status}"),
    }
}

/// Why a body is not a Tracker response at all.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NotAResponse {
    #[error("the body is empty")]
    Empty,
    #[error("the body is larger than the {} MiB limit", MAX_BODY_BYTES / (1024 * 1024))]
    TooLarge,
    #[error("the body looks binary (control byte 0x{byte:02X} at offset {offset}), not text")]
    Binary { offset: usize, byte: u8 },
    #[error("the body is not UTF-8 text (invalid byte at offset {offset})")]
    NotUtf8 { offset: usize },
    #[error(
        "the JSON nests deeper than {MAX_JSON_DEPTH} levels (a Tracker response nests about 6)"
    )]
    TooDeep,
    #[error("the JSON is truncated: it ends at line {line}, column {column} before it is complete")]
    Truncated { line: usize, column: usize },
    #[error("the body is not valid JSON: {message} at line {line}, column {column}")]
    InvalidJson {
        message: String,
        line: usize,
        column: usize,
    },
    #[error("the body is {0}, not a Tracker response")]
    Other(BodyKind),
    #[error("the JSON is not a Tracker response: {0}")]
    WrongShape(String),
}

/// Which kind of failure, for exit codes and for what to tell the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureClass {
    /// Spine or its gateway answered with an error (exit code 1).
    Answered,
    /// What came back is not a Tracker response at all (exit code 2).
    NotAResponse,
}

/// A response body that did not decode to a successful Tracker response.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ResponseError {
    /// Spine answered with an error code.
    #[error("{0}")]
    Spine(SpineError),
    /// A gateway in front of Spine answered instead of the Tracker.
    #[error("{}", gateway_message(*.status, .body))]
    Gateway { status: Option<u16>, body: BodyKind },
    #[error("{0}")]
    NotAResponse(NotAResponse),
}

fn gateway_message(status: Option<u16>, body: &BodyKind) -> String {
    match status {
        Some(status) => format!(
            "the Spine gateway answered {} ({body}), not a Tracker response",
            describe_status(status)
        ),
        None => format!("the body is an error from a gateway ({body}), not a Tracker response"),
    }
}

impl ResponseError {
    /// The same failure, a Spine error explained for the endpoints that sent it.
    pub fn on(self, endpoint: Endpoint) -> Self {
        match self {
            ResponseError::Spine(error) => ResponseError::Spine(error.on(endpoint)),
            other => other,
        }
    }

    pub fn class(&self) -> FailureClass {
        match self {
            ResponseError::Spine(_) | ResponseError::Gateway { .. } => FailureClass::Answered,
            ResponseError::NotAResponse(_) => FailureClass::NotAResponse,
        }
    }

    /// Spine or its gateway cannot answer now and a later try may work: a gateway page
    /// with a 5xx status (or none: a bare gateway body), HTTP 408/429, or Spine's own
    /// code 5 "unexpected error: try again".
    pub fn is_unavailable(&self) -> bool {
        match self {
            ResponseError::Gateway { status, .. } => {
                status.is_none_or(|s| s >= 500 || s == 408 || s == 429)
            }
            ResponseError::Spine(error) => error.retry_can_help(),
            ResponseError::NotAResponse(_) => false,
        }
    }

    /// The Spine error, when Spine itself answered with one.
    pub fn spine(&self) -> Option<&SpineError> {
        match self {
            ResponseError::Spine(error) => Some(error),
            _ => None,
        }
    }
}

/// The `--json` form of a failure: `{class, message, spine, http_status, body}`.
#[derive(Serialize)]
struct ErrorDocument<'a> {
    /// `spine-error`, `gateway-error` or `not-a-response`.
    class: &'static str,
    message: String,
    spine: Option<&'a SpineError>,
    http_status: Option<u16>,
    body: Option<&'a BodyKind>,
}

impl Serialize for ResponseError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (class, spine, http_status, body) = match self {
            ResponseError::Spine(error) => ("spine-error", Some(error), None, None),
            ResponseError::Gateway { status, body } => ("gateway-error", None, *status, Some(body)),
            ResponseError::NotAResponse(NotAResponse::Other(body)) => {
                ("not-a-response", None, None, Some(body))
            }
            ResponseError::NotAResponse(_) => ("not-a-response", None, None, None),
        };
        ErrorDocument {
            class,
            message: self.to_string(),
            spine,
            http_status,
            body,
        }
        .serialize(serializer)
    }
}

impl From<NotAResponse> for ResponseError {
    fn from(reason: NotAResponse) -> Self {
        ResponseError::NotAResponse(reason)
    }
}

impl From<SpineError> for ResponseError {
    fn from(error: SpineError) -> Self {
        ResponseError::Spine(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_code_has_its_own_explanation() {
        for code in [
            "1", "2", "3", "4", "5", "6", "7", "8", "50", "51", "52", "53", "54", "55", "56", "57",
            "59", "60", "61",
        ] {
            let error = SpineError::new(code, "");
            assert!(error.is_known(), "{code}");
        }
        let unknown = SpineError::new("99", "Something new");
        assert!(!unknown.is_known());
        assert_eq!(
            unknown.to_string(),
            format!(
                "Spine error 99 \"Something new\": {}",
                SpineCode::Unknown("99".into()).meaning()
            )
        );
    }

    #[test]
    fn spine_errors_show_spine_text_and_ours() {
        let error = SpineError::new("61", "Invalid NHS number");
        assert_eq!(
            error.to_string(),
            "Spine error 61 \"Invalid NHS number\": the NHS number is missing or fails its \
             check digit"
        );
    }

    #[test]
    fn gateway_message_names_status_and_body() {
        let error = ResponseError::Gateway {
            status: Some(502),
            body: BodyKind::Html {
                title: Some("502 Bad Gateway".into()),
            },
        };
        assert_eq!(
            error.to_string(),
            "the Spine gateway answered 502 Bad Gateway (HTML page \"502 Bad Gateway\"), not a \
             Tracker response"
        );
        assert_eq!(error.class(), FailureClass::Answered);
        assert!(error.is_unavailable());
        let forbidden = ResponseError::Gateway {
            status: Some(403),
            body: BodyKind::Empty,
        };
        assert!(!forbidden.is_unavailable());
        assert!(ResponseError::Spine(SpineError::new("5", "")).is_unavailable());
        assert!(!ResponseError::Spine(SpineError::new("1", "")).is_unavailable());
        assert_eq!(
            ResponseError::from(NotAResponse::Empty).class(),
            FailureClass::NotAResponse
        );
    }

    #[test]
    fn errors_serialise_with_their_class() {
        let value =
            serde_json::to_value(ResponseError::Spine(SpineError::new("61", "Bad"))).unwrap();
        assert_eq!(value["class"], "spine-error");
        assert_eq!(value["spine"]["code"], "61");
        assert_eq!(value["spine"]["reason"], "Bad");
        let gateway = ResponseError::Gateway {
            status: Some(502),
            body: BodyKind::Html { title: None },
        };
        let value = serde_json::to_value(&gateway).unwrap();
        assert_eq!(value["class"], "gateway-error");
        assert_eq!(value["http_status"], 502);
        assert_eq!(value["body"]["type"], "html");
        assert_eq!(value["message"], gateway.to_string());
    }
}
