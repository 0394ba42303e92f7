//! Tracker requests for the terminal app, always through the gate (session check, RBAC,
//! audit before and after), with every failure turned into what the app shows.

use chrono::Utc;

use crate::app::msg::{Answer, Failure, FailureKind};
use crate::security::gate::{Gate, GateError};
use crate::security::session::Session;
use crate::security::spine_client::{FetchError, FetchFailure};
use crate::tracker::ResponseError;
use crate::tracker::query::TrackerRequest;

/// Sends one request on behalf of the session.
pub async fn fetch(
    gate: &Gate,
    session: Option<Session>,
    request: TrackerRequest,
) -> Result<Answer, Failure> {
    let Some(session) = session else {
        return Err(Failure::new(FailureKind::Session, "nobody is signed in"));
    };
    match gate.request(&session, request, Utc::now()).await {
        Ok(fetched) => {
            // The helpdesk view leaves decoder warnings out; the log counts them (their
            // text can name the prescription) and `inspect` shows them.
            if !fetched.response.warnings.is_empty() {
                tracing::warn!(
                    trace_id = %fetched.trace_id,
                    count = fetched.response.warnings.len(),
                    "the answer decoded with warnings"
                );
            }
            Ok(Answer {
                trace_id: Some(fetched.trace_id.as_str().to_string()),
                response: fetched.response,
            })
        }
        Err(error) => Err(failure_of(error)),
    }
}

/// What the user is shown for a request that failed: the advice and whether a retry can
/// help come from the gate's own description, which the CLI uses too.
pub(super) fn failure_of(error: GateError) -> Failure {
    let advice = error.advice();
    let retry = error.retry_can_help();
    let mut failure = match error {
        GateError::Fetch(fetch) => fetch_failure(fetch),
        GateError::SessionRevoked { reason } => Failure::new(
            FailureKind::Revoked,
            format!("Your session has ended: {reason}."),
        ),
        GateError::SessionLocked => Failure::new(FailureKind::Session, error.to_string()),
        GateError::Denied(_) => Failure::new(FailureKind::Denied, error.to_string()),
        GateError::AuditUnavailable(_) | GateError::ResultNotRecorded(_) => {
            Failure::new(FailureKind::Audit, error.to_string())
        }
    };
    failure.advice = advice;
    failure.retry = retry;
    failure
}

fn fetch_failure(error: FetchError) -> Failure {
    let (kind, spine) = match &error.failure {
        FetchFailure::Transport(_) => (FailureKind::Network, None),
        FetchFailure::Response(ResponseError::Spine(spine)) => {
            (FailureKind::Spine, Some(spine.clone()))
        }
        FetchFailure::Response(_) => (FailureKind::Gateway, None),
    };
    let mut failure = Failure::new(kind, error.failure.to_string());
    failure.spine = spine;
    failure.trace_id = Some(error.trace_id.as_str().to_string());
    failure
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::security::spine_client::TraceId;
    use crate::tracker::error::BodyKind;

    #[test]
    fn the_app_shows_the_gates_advice_and_retry_rule() {
        let refused = || {
            GateError::Fetch(FetchError {
                trace_id: TraceId::new_random(),
                elapsed: Duration::ZERO,
                failure: FetchFailure::Response(ResponseError::Gateway {
                    status: Some(403),
                    body: BodyKind::Empty,
                }),
            })
        };
        let failure = failure_of(refused());
        assert_eq!(failure.kind, FailureKind::Gateway);
        // A gateway refusal answers the same again: no retry, unlike a 5xx.
        assert!(!failure.retryable());
        assert_eq!(failure.advice(), refused().advice());
    }
}
