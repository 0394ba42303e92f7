//! The runtime's effects behind one seam: Tracker requests, sign-in, the audit records of
//! locks and sign-outs, and the clock. The terminal app runs on `Live`; the in-process
//! runtime tests drive the same event loop with a scripted stand-in.

use std::sync::Arc;

use chrono::{DateTime, Local, NaiveDate, Utc};
use futures_util::future::BoxFuture;
use zeroize::Zeroizing;

use super::access::Access;
use super::{lookup, patient};
use crate::app::RequestId;
use crate::app::msg::{Answer, Failure, LockCause, SignInReply};
use crate::app::patient::Demographics;
use crate::pds::PatientSearch;
use crate::security::gate::Gate;
use crate::tracker::ids::NhsNumber;
use crate::tracker::query::TrackerRequest;

/// What the runtime does to the world. Methods other than `fetch`, `touch`, `now` and
/// `today` may block (password hashing, audit fsync): the worker calls them on blocking
/// threads.
pub trait Effects: Send + Sync + 'static {
    /// Sends one Tracker request for the signed-in session. Dropping the future cancels
    /// the request (and the gate records that).
    fn fetch(&self, request: TrackerRequest) -> BoxFuture<'static, Result<Answer, Failure>>;
    fn sign_in(
        &self,
        id: RequestId,
        user: &str,
        password: Zeroizing<String>,
    ) -> Result<SignInReply, String>;
    fn choose(&self, id: RequestId, index: usize) -> Result<SignInReply, String>;
    /// Undoes what the sign-in request `id` opened, if it opened anything.
    fn undo_sign_in(&self, id: RequestId) -> Result<(), String>;
    fn lock(&self, cause: LockCause) -> Result<(), String>;
    fn sign_out(&self, reason: Option<&str>) -> Result<(), String>;
    /// The user did something: the session stays open.
    fn touch(&self);
    /// Wall-clock time, which (unlike the monotonic clock) moves on while a laptop sleeps.
    fn now(&self) -> DateTime<Utc>;
    /// The local date.
    fn today(&self) -> NaiveDate;
    /// Looks a patient up in PDS for the banner. Dropping the future cancels the look-up
    /// (and the gate records that).
    fn patient(&self, nhs: NhsNumber) -> BoxFuture<'static, Result<Demographics, String>>;
    /// Finds the one patient matching these details in PDS, or says why not.
    fn find_patient(
        &self,
        search: PatientSearch,
    ) -> BoxFuture<'static, Result<Demographics, String>>;
    /// A footer line when audit records have waited too long for the syslog collector.
    fn audit_backlog(&self) -> Option<String>;
}

/// The real effects: the gate to the Tracker and the sign-in machinery.
pub struct Live {
    pub access: Access,
    pub gate: Arc<Gate>,
}

impl Effects for Live {
    fn fetch(&self, request: TrackerRequest) -> BoxFuture<'static, Result<Answer, Failure>> {
        let session = self.access.session();
        let gate = self.gate.clone();
        Box::pin(async move { lookup::fetch(&gate, session, request).await })
    }

    fn sign_in(
        &self,
        id: RequestId,
        user: &str,
        password: Zeroizing<String>,
    ) -> Result<SignInReply, String> {
        self.access.sign_in(id, user, password)
    }

    fn choose(&self, id: RequestId, index: usize) -> Result<SignInReply, String> {
        self.access.choose(id, index)
    }

    fn undo_sign_in(&self, id: RequestId) -> Result<(), String> {
        self.access.undo_sign_in(id)
    }

    fn lock(&self, cause: LockCause) -> Result<(), String> {
        self.access.lock_session(cause)
    }

    fn sign_out(&self, reason: Option<&str>) -> Result<(), String> {
        self.access.sign_out(reason)
    }

    fn touch(&self) {
        self.access.touch(Utc::now());
    }

    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn today(&self) -> NaiveDate {
        Local::now().date_naive()
    }

    fn patient(&self, nhs: NhsNumber) -> BoxFuture<'static, Result<Demographics, String>> {
        let session = self.access.session();
        let gate = self.gate.clone();
        Box::pin(async move { patient::retrieve(&gate, session, nhs).await })
    }

    fn find_patient(
        &self,
        search: PatientSearch,
    ) -> BoxFuture<'static, Result<Demographics, String>> {
        let session = self.access.session();
        let gate = self.gate.clone();
        Box::pin(async move { patient::search(&gate, session, search).await })
    }

    fn audit_backlog(&self) -> Option<String> {
        self.access
            .audit()
            .stale_backlog(Utc::now())
            .map(|stale| stale.short())
    }
}
