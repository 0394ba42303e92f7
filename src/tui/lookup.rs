//! Tracker requests for the terminal app: the session's identity on every request, the
//! role checked before anything is sent, and every failure turned into what the app shows.

use crate::app::msg::{Answer, Failure, FailureKind};
use crate::security::rbac::{Action, authorize};
use crate::security::session::Session;
use crate::tracker::ResponseError;
use crate::tracker::client::{FetchError, FetchFailure, SpineIdentity, TrackerClient};
use crate::tracker::query::TrackerRequest;

/// The RBAC action a request needs.
fn action_for(request: &TrackerRequest) -> Action {
    match request {
        TrackerRequest::Search(_) => Action::Search,
        TrackerRequest::Retrieve(_) => Action::Retrieve,
        TrackerRequest::ClinicalSummary(_) => Action::ClinicalSearch,
        TrackerRequest::ClinicalDetail(_) => Action::ClinicalRetrieve,
    }
}

/// Sends one request on behalf of the session.
pub async fn fetch(
    client: &TrackerClient,
    session: Option<Session>,
    request: &TrackerRequest,
) -> Result<Answer, Failure> {
    let Some(session) = session else {
        return Err(Failure::new(FailureKind::Session, "nobody is signed in"));
    };
    if session.is_locked() {
        return Err(Failure::new(FailureKind::Session, "the session is locked"));
    }
    authorize(&session, action_for(request))
        .map_err(|denied| Failure::new(FailureKind::Denied, denied.to_string()))?;
    let identity = SpineIdentity::new(
        session.spine_user().as_str(),
        session.role_profile().as_str(),
    )
    .map_err(|e| Failure::new(FailureKind::Session, e.to_string()))?;
    match client.fetch(request, &identity).await {
        Ok(fetched) => Ok(Answer {
            trace_id: Some(fetched.trace_id.as_str().to_string()),
            response: fetched.response,
        }),
        Err(error) => Err(failure_of(error)),
    }
}

/// What the user is shown for a request that failed.
pub fn failure_of(error: FetchError) -> Failure {
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
