//! Everything that can happen to the app (`Msg`) and everything the app can ask the
//! runtime to do (`Cmd`). Plain data: no closures, no futures, so tests compare them.

use chrono::NaiveDate;
use ratatui::crossterm::event::KeyEvent;
use zeroize::Zeroizing;

use super::patient::{Demographics, SearchDetails};
use super::state::Who;
use crate::tracker::ids::NhsNumber;
use crate::tracker::model::{SpineError, TrackerResponse};
use crate::tracker::query::TrackerRequest;

/// Identifies one request so its answer can be matched to it; answers to anything but
/// the latest request of their kind are dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u64);

#[derive(Debug)]
pub enum Msg {
    /// A key was pressed.
    Key(KeyEvent),
    /// Text was pasted (bracketed paste).
    Paste(String),
    /// The terminal changed size: redraw.
    Resize,
    /// Time passed: turn the spinner, count down to the idle lock.
    Tick,
    /// A signal (SIGTERM, SIGHUP, SIGINT) asks us to leave.
    Terminate,
    /// The idle lock is near: seconds left.
    IdleCountdown(u64),
    /// Idle too long: lock the screen.
    IdleLock,
    /// A Tracker request finished (or failed).
    Fetched {
        id: RequestId,
        result: Result<Answer, Failure>,
    },
    /// The password check finished.
    SignInDone {
        id: RequestId,
        result: Result<SignInReply, String>,
    },
    /// The selection has stayed put for the settle delay asked for by
    /// `Cmd::FetchWhenRested`: fetch what it rests on.
    Rested,
    /// The local date is no longer the one in `State::today` (midnight passed).
    Today(NaiveDate),
    /// PDS answered the patient look-up for the banner (or failed, in a few words).
    PatientFound {
        id: RequestId,
        result: Result<Demographics, String>,
    },
    /// PDS answered a search by patient details with its one match (or why there is none,
    /// with what to add).
    PatientMatched {
        id: RequestId,
        result: Result<Demographics, String>,
    },
    /// Time to look again at whether audit records are reaching the syslog collector.
    AuditCheckDue,
    /// Audit records have waited too long for the collector (a footer line), or not.
    AuditBacklog(Option<String>),
}

/// A password that was right: either the session has started, or the user has several
/// role profiles and must pick one (the options as they should be listed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInReply {
    Welcome(Welcome),
    ChooseRole(Vec<String>),
}

/// A successful sign-in, as the app needs it: who, and what their role may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Welcome {
    pub who: Who,
    pub clinical_allowed: bool,
    /// The role has `pds.read`: the patient banner is offered (when PDS is set up).
    pub patient_allowed: bool,
    /// For a role that cannot look anything up (auditor, admin): where its work is done
    /// instead, said at sign-in rather than after a refused search.
    pub elsewhere: Option<String>,
}

impl Msg {
    /// The request a message answers, if it answers one.
    pub fn request_id(&self) -> Option<RequestId> {
        match self {
            Msg::SignInDone { id, .. }
            | Msg::Fetched { id, .. }
            | Msg::PatientFound { id, .. }
            | Msg::PatientMatched { id, .. } => Some(*id),
            _ => None,
        }
    }
}

/// Work for the runtime. The runtime answers each with a `Msg`.
#[derive(Debug, PartialEq, Eq)]
pub enum Cmd {
    /// Check a user's password (slow on purpose: runs off the UI thread).
    SignIn {
        id: RequestId,
        user: String,
        password: Secret,
    },
    /// Send a Tracker request through the gate (sign-in check, RBAC, audit).
    Fetch {
        id: RequestId,
        request: TrackerRequest,
    },
    /// Start the session in the role profile at this position of the offered list.
    ChooseRole { id: RequestId, index: usize },
    /// Cancel the request with this id, if it is still running.
    Cancel(RequestId),
    /// The screen was locked (by key or by the idle timer): record it; the password is
    /// needed again.
    Lock(LockCause),
    /// End the session.
    SignOut,
    /// A sign-in the user cancelled finished anyway: undo whatever it opened.
    UndoSignIn(RequestId),
    /// Put text on the clipboard (OSC 52, works over SSH).
    Copy(String),
    /// Answer with `Msg::Rested` once no newer `FetchWhenRested` has come for the settle
    /// delay, so a detail is fetched only where the selection stops, not for every row passed.
    FetchWhenRested,
    /// Look the patient up in PDS (through the gate) for the banner.
    LookUpPatient { id: RequestId, nhs: NhsNumber },
    /// Find the one patient matching these details in PDS (through the gate).
    FindPatient {
        id: RequestId,
        search: SearchDetails,
    },
    /// See whether audit records wait too long for the collector; answers
    /// `Msg::AuditBacklog`.
    CheckAuditBacklog,
}

/// Who locked the screen: the audit trail tells a user's Ctrl-L from the idle timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockCause {
    /// The user pressed the lock key.
    Manual,
    /// Nothing happened for the configured idle time.
    Idle,
}

/// A password on its way to the runtime: wiped when dropped, never shown by `Debug`.
pub struct Secret(pub Zeroizing<String>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_str() == other.0.as_str()
    }
}

impl Eq for Secret {}

/// A Tracker answer that decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub trace_id: Option<String>,
    pub response: TrackerResponse,
}

/// What kind of failure, which decides the advice and whether retrying can help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Spine answered with one of its error codes.
    Spine,
    /// Something between us and Spine answered instead (gateway page, fault, garbage).
    Gateway,
    /// No answer: connection, TLS, timeout.
    Network,
    /// The signed-in role may not do this.
    Denied,
    /// The audit trail could not be written, so the request was not sent.
    Audit,
    /// The session is no longer valid (signed out or locked elsewhere).
    Session,
    /// We refused to send it: Spine would reject it.
    Invalid,
    /// The account changed under the session (locked, removed, password reset, profile
    /// withdrawn) or its lifetime is over: the app returns to sign-in.
    Revoked,
}

/// A failed request, ready to show where its result would have been.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: FailureKind,
    /// The plain message.
    pub message: String,
    /// Spine's code, typed: it decides the advice and whether a retry can help.
    pub spine: Option<SpineError>,
    pub trace_id: Option<String>,
    /// What the user could try next when Spine sent no code (from
    /// `GateError::advice`, the description the CLI uses too).
    pub advice: &'static str,
    /// Whether trying again could help when Spine sent no code (from
    /// `GateError::retry_can_help`).
    pub retry: bool,
}

impl Failure {
    /// A failure with the advice and retry rule of its kind.
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Failure {
        Failure {
            kind,
            message: message.into(),
            spine: None,
            trace_id: None,
            advice: kind.advice(),
            retry: matches!(
                kind,
                FailureKind::Gateway | FailureKind::Network | FailureKind::Audit
            ),
        }
    }

    /// Whether trying again could give a different answer.
    pub fn retryable(&self) -> bool {
        match &self.spine {
            Some(spine) => spine.retry_can_help(),
            None => self.retry,
        }
    }

    /// What the user could try next.
    pub fn advice(&self) -> &'static str {
        match &self.spine {
            Some(spine) => spine.advice(),
            None => self.advice,
        }
    }
}

impl FailureKind {
    /// The advice for a failure of this kind when nothing more specific is known.
    fn advice(self) -> &'static str {
        match self {
            FailureKind::Spine => {
                "Quote the code and trace ID to the national service desk if it persists."
            }
            FailureKind::Gateway | FailureKind::Network => {
                "Retry in a moment; if it persists, quote the trace ID to the national service desk."
            }
            FailureKind::Denied => {
                "Your role cannot do this: ask an administrator or a colleague with the right role."
            }
            FailureKind::Audit => {
                "Nothing was sent. Free disk space or fix the audit file's permissions, then retry."
            }
            FailureKind::Session => "Sign in again.",
            FailureKind::Invalid => "Correct the query and send it again.",
            FailureKind::Revoked => "Sign in again; ask an administrator if you cannot.",
        }
    }
}
