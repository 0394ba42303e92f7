//! What to tell someone whose request through the gate failed, and whether sending it
//! again can help: the one description both the CLI and the terminal app use. Retrying
//! is offered only where the next try can differ (the network, a timeout, a gateway 5xx,
//! Spine's unexpected error), never for refusals or invalid requests.

use super::GateError;
use crate::security::spine_client::{FetchFailure, TransportError};
use crate::tracker::ResponseError;

impl GateError {
    /// Whether sending the same request again could give a different answer.
    pub fn retry_can_help(&self) -> bool {
        match self {
            GateError::Fetch(fetch) => match &fetch.failure {
                FetchFailure::Transport(transport) => !is_setup(transport),
                FetchFailure::Response(response) => response.is_unavailable(),
            },
            // Once the disk or permissions are fixed, the same request goes through.
            GateError::AuditUnavailable(_) | GateError::ResultNotRecorded(_) => true,
            GateError::SessionLocked | GateError::SessionRevoked { .. } | GateError::Denied(_) => {
                false
            }
        }
    }

    /// What the user could do next, in one plain sentence.
    pub fn advice(&self) -> &'static str {
        match self {
            GateError::Fetch(fetch) => match &fetch.failure {
                FetchFailure::Transport(transport) if is_setup(transport) => {
                    "Ask an administrator to check the connection settings named above."
                }
                FetchFailure::Transport(_) => {
                    "Retry in a moment; if it persists, quote the trace ID to the national service desk."
                }
                FetchFailure::Response(ResponseError::Spine(spine)) => spine.advice(),
                FetchFailure::Response(response) if response.is_unavailable() => {
                    "Retry in a moment; if it persists, quote the trace ID to the national service desk."
                }
                FetchFailure::Response(_) => {
                    "Quote the trace ID to the national service desk; asking again gets the same answer."
                }
            },
            GateError::AuditUnavailable(_) | GateError::ResultNotRecorded(_) => {
                "Nothing was shown. Free disk space or fix the audit file's permissions, then retry."
            }
            GateError::SessionLocked => "Enter your password again.",
            GateError::SessionRevoked { .. } => {
                "Sign in again; ask an administrator if you cannot."
            }
            GateError::Denied(_) => {
                "Your role cannot do this: ask an administrator or a colleague with the right role."
            }
        }
    }
}

/// Failures of the settings (certificates, names), which the next try meets again.
fn is_setup(transport: &TransportError) -> bool {
    matches!(
        transport,
        TransportError::ClientCertRejected { .. }
            | TransportError::ServerCertUntrusted { .. }
            | TransportError::ServerNameMismatch { .. }
            | TransportError::HostNotFound { .. }
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::security::session::Revoked;
    use crate::security::spine_client::{FetchError, TraceId};
    use crate::tracker::SpineError;
    use crate::tracker::error::BodyKind;

    fn fetch(failure: impl Into<FetchFailure>) -> GateError {
        GateError::Fetch(FetchError {
            trace_id: TraceId::new_random(),
            elapsed: Duration::ZERO,
            failure: failure.into(),
        })
    }

    fn gateway(status: u16) -> GateError {
        fetch(ResponseError::Gateway {
            status: Some(status),
            body: BodyKind::Empty,
        })
    }

    #[test]
    fn a_retry_is_offered_only_where_the_next_try_can_differ() {
        let spine = |code: &str| fetch(ResponseError::Spine(SpineError::new(code, "")));
        let worth_it = [
            fetch(TransportError::NoAnswer { secs: 10 }),
            fetch(TransportError::ConnectionDropped),
            gateway(502),
            gateway(504),
            spine("5"),
        ];
        for error in &worth_it {
            assert!(error.retry_can_help(), "{error}");
            assert!(error.advice().starts_with("Retry"), "{error}");
        }
        let same_again = [
            fetch(TransportError::ServerCertUntrusted {
                detail: "unknown issuer".into(),
            }),
            gateway(403),
            spine("1"),
            spine("4"),
            spine("61"),
            GateError::SessionRevoked {
                reason: Revoked::Disabled,
            },
            GateError::SessionLocked,
        ];
        for error in &same_again {
            assert!(!error.retry_can_help(), "{error}");
            assert!(!error.advice().starts_with("Retry"), "{error}");
        }
        assert_eq!(spine("61").advice(), "Correct the query and send it again.");
    }
}
