//! The gate: the only way to a Tracker call. It checks the session is not idle-locked,
//! authorises the action for the session's role, writes the attempt to the audit trail
//! (durably, before anything is sent), sends, and writes the result.
//!
//! Bypassing it is hard by construction: `TrackerClient::fetch` is visible inside `security`
//! only, and the gate owns its client privately, so holding a client or a gate gives no way
//! round it. Each request is sent with the trace ID recorded in its attempt.

mod advice;
mod patient;

pub use patient::PatientError;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use thiserror::Error;

use super::audit::{AuditEntry, AuditError, AuditLog, Event, Filters, Outcome};
use super::rbac::{AccessDenied, Action, authorize};
use super::session::{Revoked, Session};
use crate::pds::PdsClient;
use crate::security::spine_client::{
    FetchError, FetchFailure, Fetched, SpineIdentity, TraceId, TrackerClient, TransportError,
};
use crate::tracker::ResponseError;
use crate::tracker::query::TrackerRequest;

/// Why a request did not produce an answer.
#[derive(Debug, Error)]
pub enum GateError {
    #[error("the session is locked after a time without activity: enter your password again")]
    SessionLocked,
    /// The account changed under the session, or its lifetime is over: sign in again.
    #[error("your session has ended: {reason}. Sign in again")]
    SessionRevoked { reason: Revoked },
    #[error("{0}")]
    Denied(AccessDenied),
    #[error("the request was not sent because the audit trail cannot be written: {0}")]
    AuditUnavailable(AuditError),
    #[error(
        "the answer arrived but could not be recorded in the audit trail, so it is not shown: {0}"
    )]
    ResultNotRecorded(AuditError),
    #[error("{0}")]
    Fetch(FetchError),
}

/// The checked way to the Tracker for signed-in sessions. Cheap to share (`Arc`) between
/// tasks; requests may run concurrently.
#[derive(Debug)]
pub struct Gate {
    client: TrackerClient,
    audit: AuditLog,
    /// PDS, when the environment has it set up (`Gate::patient`).
    pds: Option<Arc<PdsClient>>,
}

impl Gate {
    pub fn new(client: TrackerClient, audit: AuditLog) -> Self {
        Self {
            client,
            audit,
            pds: None,
        }
    }

    /// The same gate with PDS behind it too.
    pub fn with_pds(mut self, pds: PdsClient) -> Self {
        self.pds = Some(Arc::new(pds));
        self
    }

    /// Checks, records, sends and records again. `now` is the time of the user's request
    /// (for the idle check and the attempt record).
    pub async fn request(
        &self,
        session: &Session,
        request: TrackerRequest,
        now: DateTime<Utc>,
    ) -> Result<Fetched, GateError> {
        self.check_account(session, now).await?;
        if session.is_idle(now) {
            // The refusal is recorded too; it stands whether or not the record can be written.
            let entry = describe(Event::AccessDenied, session, &request)
                .outcome(Outcome::Denied)
                .reason("session idle-locked");
            let _ = self.append(entry, now).await;
            return Err(GateError::SessionLocked);
        }
        let identity = SpineIdentity::of(session.spine_user(), session.role_profile());
        let (action, attempt_event, result_event) = classify(&request);
        if let Err(denied) = authorize(session, action) {
            let entry = describe(Event::AccessDenied, session, &request)
                .outcome(Outcome::Denied)
                .reason(denied.action.describe());
            self.append(entry, now)
                .await
                .map_err(GateError::AuditUnavailable)?;
            return Err(GateError::Denied(denied));
        }
        let trace_id = TraceId::new_random();
        let mut attempt = describe(attempt_event, session, &request).outcome(Outcome::Sending);
        attempt.trace = Some(trace_id.to_string());
        let trace = attempt.trace.clone();
        // Written here, not on a blocking thread: with no `.await` between this write and the
        // guard below, a dropped request cannot leave an attempt without its outcome (a write
        // handed to another thread finishes even when its waiter is dropped). The fsync holds
        // this worker for a moment, which a person-paced lookup can afford.
        self.audit
            .append(&attempt, now)
            .map_err(GateError::AuditUnavailable)?;

        // From here every attempt gets exactly one outcome: if this future is dropped before
        // the answer is recorded (Esc, a newer selection, sign-out, lock, quit), the guard
        // records it as cancelled.
        let mut cancelled = describe(result_event, session, &request)
            .outcome(Outcome::Cancelled)
            .reason("cancelled before the answer arrived");
        cancelled.trace = trace;
        let guard = OutcomeGuard {
            audit: self.audit.clone(),
            entry: Some(cancelled),
        };

        let result = self.client.fetch(trace_id, &request, &identity).await;

        let entry = result_entry(describe(result_event, session, &request), &result);
        // The real outcome goes to a blocking write that finishes even if this future is
        // dropped while waiting for it: the guard must not add a second one.
        guard.disarm();
        self.append(entry, Utc::now())
            .await
            .map_err(GateError::ResultNotRecorded)?;
        result.map_err(GateError::Fetch)
    }

    /// Ends a session whose account no longer allows it (read again from the user store on
    /// a blocking thread), recording why.
    async fn check_account(&self, session: &Session, now: DateTime<Utc>) -> Result<(), GateError> {
        let held = session.clone();
        let revoked = tokio::task::spawn_blocking(move || held.revoked(now))
            .await
            .unwrap_or_else(|e| Some(Revoked::StoreUnreadable(e.to_string())));
        let Some(reason) = revoked else {
            return Ok(());
        };
        let entry = AuditEntry::by(Event::SessionRevoked, session).reason(reason.to_string());
        self.append(entry, now)
            .await
            .map_err(GateError::AuditUnavailable)?;
        Err(GateError::SessionRevoked { reason })
    }

    /// Appends on a blocking thread: the write ends with an fsync.
    async fn append(&self, entry: AuditEntry, now: DateTime<Utc>) -> Result<u64, AuditError> {
        let audit = self.audit.clone();
        tokio::task::spawn_blocking(move || audit.append(&entry, now))
            .await
            .unwrap_or_else(|e| Err(AuditError::Interrupted(e.to_string())))
    }
}

/// Writes the `cancelled` outcome of an attempt whose request future was dropped before its
/// answer was recorded. The write is synchronous: it runs in `Drop`, possibly while the
/// runtime shuts down, when no task could be spawned to do it.
struct OutcomeGuard {
    audit: AuditLog,
    entry: Option<AuditEntry>,
}

impl OutcomeGuard {
    /// The real outcome has been written (or tried): nothing to add.
    fn disarm(mut self) {
        self.entry = None;
    }
}

impl Drop for OutcomeGuard {
    fn drop(&mut self) {
        if let Some(entry) = self.entry.take()
            && let Err(e) = self.audit.append(&entry, Utc::now())
        {
            tracing::error!(error = %e, "the cancelled outcome could not be recorded");
        }
    }
}

/// The permission check and the audit events for a request.
fn classify(request: &TrackerRequest) -> (Action, Event, Event) {
    match request {
        TrackerRequest::Search(_) => (Action::Search, Event::SearchAttempt, Event::SearchResult),
        TrackerRequest::ClinicalSummary(_) => (
            Action::ClinicalSearch,
            Event::SearchAttempt,
            Event::SearchResult,
        ),
        TrackerRequest::Retrieve(_) => (
            Action::Retrieve,
            Event::RetrieveAttempt,
            Event::RetrieveResult,
        ),
        TrackerRequest::ClinicalDetail(_) => (
            Action::ClinicalRetrieve,
            Event::RetrieveAttempt,
            Event::RetrieveResult,
        ),
    }
}

/// Who asked for what: identifiers and filters only, never clinical content.
fn describe(event: Event, session: &Session, request: &TrackerRequest) -> AuditEntry {
    let mut entry = AuditEntry::by(event, session);
    match request {
        TrackerRequest::Search(q) | TrackerRequest::ClinicalSummary(q) => {
            entry.nhs = Some(q.nhs_number.as_digits());
            let filters = Filters {
                from: q.earliest,
                to: q.latest,
                status: q.status.as_ref().map(|s| s.code().to_owned()),
                version: q.version.as_ref().map(|v| v.code().to_owned()),
            };
            if filters != Filters::default() {
                entry.filters = Some(filters);
            }
        }
        TrackerRequest::Retrieve(q) | TrackerRequest::ClinicalDetail(q) => {
            entry.prescription = Some(q.id.as_str().to_owned());
            entry.issue = q.issue;
        }
    }
    entry.clinical = Some(matches!(
        request,
        TrackerRequest::ClinicalSummary(_) | TrackerRequest::ClinicalDetail(_)
    ));
    entry
}

fn result_entry(mut entry: AuditEntry, result: &Result<Fetched, FetchError>) -> AuditEntry {
    match result {
        Ok(fetched) => {
            let count = fetched.response.prescriptions.len();
            entry.trace = Some(fetched.trace_id.to_string());
            entry.results = Some(count);
            entry.spine_code = fetched.response.notice.as_ref().map(|n| n.code.clone());
            // Every patient the answer is about, so `audit show --nhs N` finds accesses made
            // by prescription ID too (a search names its patient already).
            if entry.nhs.is_none() {
                let mut patients: Vec<String> = fetched
                    .response
                    .prescriptions
                    .iter()
                    .map(|p| p.nhs_number.as_digits())
                    .collect();
                patients.sort();
                patients.dedup();
                if !patients.is_empty() {
                    entry.nhs = Some(patients.join(" "));
                }
            }
            entry.outcome = Some(if count == 0 {
                Outcome::NotFound
            } else {
                Outcome::Success
            });
        }
        Err(error) => {
            entry.trace = Some(error.trace_id.to_string());
            entry.results = Some(0);
            let (outcome, reason) = match &error.failure {
                FetchFailure::Transport(transport) => {
                    (Outcome::NetworkError, transport_kind(transport).to_owned())
                }
                FetchFailure::Response(ResponseError::Spine(spine)) => {
                    entry.spine_code = Some(spine.code.clone());
                    (Outcome::SpineError, "Spine error".to_owned())
                }
                FetchFailure::Response(ResponseError::Gateway { status, .. }) => (
                    Outcome::GatewayError,
                    match status {
                        Some(status) => format!("gateway answered HTTP {status}"),
                        None => "gateway error page".to_owned(),
                    },
                ),
                FetchFailure::Response(ResponseError::NotAResponse(_)) => {
                    (Outcome::Failed, "not a Tracker response".to_owned())
                }
            };
            entry.outcome = Some(outcome);
            entry.reason = Some(reason);
        }
    }
    entry
}

/// A fixed name for a transport failure: the trail never holds free text from the wire.
fn transport_kind(error: &TransportError) -> &'static str {
    match error {
        TransportError::ClientCertRejected { .. } => "client certificate rejected",
        TransportError::ServerCertUntrusted { .. } => "server certificate untrusted",
        TransportError::ServerNameMismatch { .. } => "server name mismatch",
        TransportError::ConnectionRefused { .. } => "connection refused",
        TransportError::HostNotFound { .. } => "host not found",
        TransportError::ConnectTimeout { .. } => "connect timeout",
        TransportError::NoAnswer { .. } => "no answer in time",
        TransportError::ConnectionDropped => "connection dropped",
        TransportError::CutOff { .. } => "answer cut off",
        TransportError::TooLarge { .. } => "answer too large",
        TransportError::Tls { .. } => "TLS failure",
        TransportError::Other { .. } => "request failed",
    }
}
