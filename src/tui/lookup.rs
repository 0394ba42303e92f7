//! Tracker requests for the terminal app, always through the gate (session check, RBAC,
//! audit before and after), with every failure turned into what the app shows.

use chrono::Utc;

use crate::app::msg::{Answer, Failure, FailureKind};
use crate::security::gate::{Gate, GateError};
use crate::security::session::Session;
use crate::tracker::ResponseError;
use crate::tracker::client::{FetchError, FetchFailure};
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

/// What the user is shown for a request that failed.
pub(super) fn failure_of(error: GateError) -> Failure {
    match error {
        GateError::Fetch(fetch) => fetch_failure(fetch),
        GateError::SessionRevoked { reason } => Failure::new(
            FailureKind::Revoked,
            format!("Your session has ended: {reason}."),
        ),
        GateError::SessionLocked | GateError::Identity(_) => {
            Failure::new(FailureKind::Session, error.to_string())
        }
        GateError::Denied(_) => Failure::new(FailureKind::Denied, error.to_string()),
        GateError::AuditUnavailable(_) | GateError::ResultNotRecorded(_) => {
            Failure::new(FailureKind::Audit, error.to_string())
        }
    }
}

fn fetch_failure(error: FetchError) -> Failure {
    let trace_id = Some(error.trace_id.as_str().to_string());
    let (kind, spine) = match &error.failure {
        FetchFailure::Transport(_) => (FailureKind::Network, None),
        FetchFailure::Response(ResponseError::Spine(spine)) => {
            (FailureKind::Spine, Some(spine.clone()))
        }
        FetchFailure::Response(_) => (FailureKind::Gateway, None),
    };
    Failure {
        kind,
        message: error.failure.to_string(),
        spine,
        trace_id,
    }
}
