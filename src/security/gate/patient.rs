//! The gate's way to PDS: the same checks as a Tracker call (idle lock, `pds.read`, the
//! attempt recorded durably before sending, exactly one outcome after, a `cancelled` one
//! if the call is dropped). A search's attempt records the details searched with; every
//! outcome names the NHS numbers PDS returned.

use chrono::{DateTime, Utc};
use thiserror::Error;

use super::{Gate, OutcomeGuard};
use crate::pds::client::PdsReply;
use crate::pds::{PdsAnswer, PdsCode, PdsError, PdsRequest};
use crate::security::audit::{AuditEntry, AuditError, Event, Outcome, PatientCriteria};
use crate::security::rbac::{AccessDenied, Action, authorize};
use crate::security::session::Session;

/// Why a patient look-up gave no answer.
#[derive(Debug, Error)]
pub enum PatientError {
    #[error("the session is locked after a time without activity: enter your password again")]
    SessionLocked,
    #[error("{0}")]
    Denied(AccessDenied),
    #[error("the request was not sent because the audit trail cannot be written: {0}")]
    AuditUnavailable(AuditError),
    #[error(
        "the answer arrived but could not be recorded in the audit trail, so it is not shown: {0}"
    )]
    ResultNotRecorded(AuditError),
    #[error("{0}")]
    Pds(PdsError),
}

impl Gate {
    /// Whether PDS is set up behind this gate (the banner and patient search need it).
    pub fn has_pds(&self) -> bool {
        self.pds.is_some()
    }

    /// Checks, records, asks PDS and records the outcome.
    pub async fn patient(
        &self,
        session: &Session,
        request: PdsRequest,
        now: DateTime<Utc>,
    ) -> Result<PdsReply, PatientError> {
        if session.is_idle(now) {
            return Err(PatientError::SessionLocked);
        }
        if let Err(denied) = authorize(session, Action::LookUpPatient) {
            let entry = describe(Event::AccessDenied, session, &request)
                .outcome(Outcome::Denied)
                .reason(denied.action.describe());
            self.append(entry, now)
                .await
                .map_err(PatientError::AuditUnavailable)?;
            return Err(PatientError::Denied(denied));
        }
        let Some(pds) = self.pds.clone() else {
            return Err(PatientError::Pds(PdsError::NotConfigured));
        };
        let correlation = uuid::Uuid::new_v4().to_string();
        let mut attempt =
            describe(Event::PatientAttempt, session, &request).outcome(Outcome::Sending);
        attempt.trace = Some(correlation.clone());
        // Written here, not on a blocking thread: with no `.await` between this write and
        // the guard below, a dropped call cannot leave an attempt without its outcome (a
        // write handed to another thread finishes even when its waiter is dropped). The
        // fsync holds this worker for a moment, which a person-paced look-up can afford.
        self.audit
            .append(&attempt, now)
            .map_err(PatientError::AuditUnavailable)?;

        let mut cancelled = describe(Event::PatientResult, session, &request)
            .outcome(Outcome::Cancelled)
            .reason("cancelled before the answer arrived");
        cancelled.trace = Some(correlation.clone());
        let guard = OutcomeGuard {
            audit: self.audit.clone(),
            entry: Some(cancelled),
        };

        let result = pds.send(&request, &correlation).await;

        let mut entry = describe(Event::PatientResult, session, &request);
        entry.trace = Some(correlation);
        let entry = result_entry(entry, &result);
        // The real outcome goes to a blocking write that finishes even if this future is
        // dropped while waiting for it: the guard must not add a second one.
        guard.disarm();
        self.append(entry, Utc::now())
            .await
            .map_err(PatientError::ResultNotRecorded)?;
        result.map_err(PatientError::Pds)
    }
}

/// Who asked about whom: the NHS number asked for, or the search details.
fn describe(event: Event, session: &Session, request: &PdsRequest) -> AuditEntry {
    let mut entry = AuditEntry::by(event, session);
    match request {
        PdsRequest::Retrieve(nhs) => entry.nhs = Some(nhs.as_digits()),
        PdsRequest::Search(search) => {
            entry.patient_search = Some(PatientCriteria {
                family: search.family.clone(),
                given: search.given.clone(),
                birth_date: search.birth_date,
                postcode: search.postcode.clone(),
                gender: search.gender.clone(),
            });
        }
    }
    entry
}

fn result_entry(mut entry: AuditEntry, result: &Result<PdsReply, PdsError>) -> AuditEntry {
    match result {
        Ok(reply) => {
            let patients: Vec<_> = match &reply.answer {
                PdsAnswer::Patient { patient } => vec![patient.as_ref()],
                PdsAnswer::Search { patients, .. } => patients.iter().collect(),
                PdsAnswer::Outcome { .. } => Vec::new(),
            };
            let mut numbers: Vec<String> = patients
                .iter()
                .flat_map(|p| {
                    std::iter::once(p.nhs_number.clone()).chain(p.superseded_from.clone())
                })
                .collect();
            numbers.sort();
            numbers.dedup();
            entry.results = Some(patients.len());
            if !numbers.is_empty() {
                entry.nhs = Some(numbers.join(" "));
            }
            entry.outcome = Some(if patients.is_empty() {
                Outcome::NotFound
            } else {
                Outcome::Success
            });
        }
        Err(error) => {
            entry.results = Some(0);
            let (outcome, reason) = match error {
                PdsError::Outcome(outcome) => {
                    entry.spine_code = Some(outcome.code.as_str().to_owned());
                    match outcome.code {
                        PdsCode::TooManyMatches | PdsCode::ResourceNotFound => {
                            (Outcome::NotFound, "no unique match")
                        }
                        _ => (Outcome::SpineError, "PDS error"),
                    }
                }
                PdsError::Network { .. } => (Outcome::NetworkError, "PDS unreachable"),
                PdsError::TokenRefused { .. }
                | PdsError::TokenUnreadable { .. }
                | PdsError::TokenRejected => (Outcome::Failed, "PDS access token refused"),
                PdsError::NotPds { .. } | PdsError::WrongShape => {
                    (Outcome::Failed, "not a PDS answer")
                }
                PdsError::NotConfigured | PdsError::Setup(_) => (Outcome::Failed, "PDS not set up"),
            };
            entry.outcome = Some(outcome);
            entry.reason = Some(reason.to_owned());
        }
    }
    entry
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pds::{PatientSearch, PdsClient};
    use crate::sandbox::embedded::{EmbeddedOptions, EmbeddedSandbox};
    use crate::security::audit::{AuditFilter, AuditLog, Origin, StoredRecord, read_records};
    use crate::security::rbac::{Permission, Role, RoleMap};
    use crate::security::spine_client::TrackerClient;
    use crate::tracker::ids::NhsNumber;

    struct Fixture {
        _dir: tempfile::TempDir,
        audit_dir: std::path::PathBuf,
        gate: Gate,
        _sandbox: EmbeddedSandbox,
    }

    async fn fixture() -> Fixture {
        let sandbox = EmbeddedSandbox::start(EmbeddedOptions::default())
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let audit_dir = dir.path().join("audit");
        let audit = AuditLog::open(&audit_dir, Origin::default()).unwrap();
        let gate = Gate::new(
            TrackerClient::new(&sandbox.client_settings()).unwrap(),
            audit,
        )
        .with_pds(PdsClient::new(&sandbox.pds_settings()).unwrap());
        Fixture {
            _dir: dir,
            audit_dir,
            gate,
            _sandbox: sandbox,
        }
    }

    /// Test sessions start at the epoch; a minute later they are not idle.
    fn start() -> DateTime<Utc> {
        DateTime::UNIX_EPOCH + chrono::Duration::minutes(1)
    }

    fn session(role: Role) -> Session {
        Session::for_tests(role, RoleMap::default().permissions(role))
    }

    fn records(f: &Fixture) -> Vec<StoredRecord> {
        read_records(&f.audit_dir, &AuditFilter::default())
            .unwrap()
            .into_iter()
            .filter(|r| r.entry.event != Event::ChainStart)
            .collect()
    }

    fn retrieve(nhs: &str) -> PdsRequest {
        PdsRequest::Retrieve(NhsNumber::parse(nhs).unwrap())
    }

    #[tokio::test]
    async fn a_retrieve_is_recorded_before_and_after_with_the_numbers_returned() {
        let f = fixture().await;
        let now = start();
        let reply = f
            .gate
            .patient(&session(Role::Helpdesk), retrieve("9990104700"), now)
            .await
            .unwrap();
        let PdsAnswer::Patient { patient } = reply.answer else {
            panic!("a patient");
        };
        assert_eq!(patient.nhs_number, "9990100217");
        let trail = records(&f);
        assert_eq!(trail.len(), 2);
        assert_eq!(trail[0].entry.event, Event::PatientAttempt);
        assert_eq!(trail[0].entry.outcome, Some(Outcome::Sending));
        assert_eq!(trail[0].entry.nhs.as_deref(), Some("9990104700"));
        assert_eq!(trail[1].entry.event, Event::PatientResult);
        assert_eq!(trail[1].entry.outcome, Some(Outcome::Success));
        assert_eq!(trail[1].entry.nhs.as_deref(), Some("9990100217 9990104700"));
        assert_eq!(trail[0].entry.trace, trail[1].entry.trace);
    }

    #[tokio::test]
    async fn a_search_records_its_details_and_too_many_matches_is_one_outcome() {
        let f = fixture().await;
        let today = Utc::now().date_naive();
        let search = PatientSearch::new("Patel", "1985-07-12", None, None, None, today).unwrap();
        let err = f
            .gate
            .patient(
                &session(Role::Pharmacist),
                PdsRequest::Search(search),
                start(),
            )
            .await
            .unwrap_err();
        assert!(err.to_string().contains("add the first name"), "{err}");
        let trail = records(&f);
        assert_eq!(trail.len(), 2);
        let criteria = trail[0].entry.patient_search.as_ref().unwrap();
        assert_eq!(criteria.family, "Patel");
        assert_eq!(criteria.birth_date.to_string(), "1985-07-12");
        assert_eq!(trail[1].entry.outcome, Some(Outcome::NotFound));
        assert_eq!(
            trail[1].entry.spine_code.as_deref(),
            Some("TOO_MANY_MATCHES")
        );
    }

    #[tokio::test]
    async fn auditor_and_admin_are_refused_and_the_refusal_is_recorded() {
        let f = fixture().await;
        for role in [Role::Auditor, Role::Admin] {
            let err = f
                .gate
                .patient(&session(role), retrieve("9990548609"), start())
                .await
                .unwrap_err();
            let PatientError::Denied(denied) = err else {
                panic!("refused");
            };
            assert_eq!(denied.missing, Permission::PdsRead);
        }
        let trail = records(&f);
        assert_eq!(trail.len(), 2);
        assert!(trail.iter().all(|r| r.entry.event == Event::AccessDenied));
    }

    #[tokio::test]
    async fn a_dropped_call_is_recorded_as_cancelled() {
        let f = fixture().await;
        let who = session(Role::Clinician);
        let call = f.gate.patient(&who, retrieve("9990548609"), start());
        // Polled until the attempt is written and the request is on its way, then dropped.
        let _ = tokio::time::timeout(std::time::Duration::from_millis(1), call).await;
        let trail = records(&f);
        if let Some(last) = trail.last().filter(|_| trail.len() == 2) {
            assert!(matches!(
                last.entry.outcome,
                Some(Outcome::Cancelled | Outcome::Success)
            ));
        }
        let results = trail
            .iter()
            .filter(|r| r.entry.event == Event::PatientResult)
            .count();
        let attempts = trail
            .iter()
            .filter(|r| r.entry.event == Event::PatientAttempt)
            .count();
        assert_eq!(attempts, results, "every attempt has exactly one outcome");
    }
}
