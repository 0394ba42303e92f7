//! What one audit record says. Callers fill in an `AuditEntry`; the writer adds the sequence
//! number, the time, where the program runs, and the hash chain.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::security::rbac::Role;
use crate::security::session::Session;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// The header of a trail file: a new chain starts.
    ChainStart,
    SignIn,
    SignInFailed,
    Lockout,
    SignOut,
    /// The user locked the screen (Ctrl-L); the timer's lock is `IdleLock`.
    Lock,
    IdleLock,
    SessionUnlocked,
    /// A session ended by something other than its user: account locked, removed, reset,
    /// role profile withdrawn, or its lifetime over.
    SessionRevoked,
    /// The settings in force differ from those at the previous sign-in.
    ConfigChanged,
    /// An administrator accepted a damaged trail and let appends resume.
    ChainBreak,
    SearchAttempt,
    SearchResult,
    RetrieveAttempt,
    RetrieveResult,
    AccessDenied,
    UserAdded,
    UserRemoved,
    UserDisabled,
    AccountUnlocked,
    PasswordChanged,
    RolesChanged,
    AuditRead,
    AuditVerified,
    /// A PDS retrieve or search about to be sent (with the search details as asked).
    PatientAttempt,
    /// Its outcome, naming the NHS numbers PDS returned.
    PatientResult,
    /// Written by a newer program version: kept and shown, not understood.
    #[serde(other)]
    Unknown,
}

impl Event {
    pub fn name(self) -> &'static str {
        match self {
            Self::ChainStart => "chain_start",
            Self::SignIn => "sign_in",
            Self::SignInFailed => "sign_in_failed",
            Self::Lockout => "lockout",
            Self::SignOut => "sign_out",
            Self::Lock => "lock",
            Self::IdleLock => "idle_lock",
            Self::SessionUnlocked => "session_unlocked",
            Self::SessionRevoked => "session_revoked",
            Self::ConfigChanged => "config_changed",
            Self::ChainBreak => "chain_break",
            Self::SearchAttempt => "search_attempt",
            Self::SearchResult => "search_result",
            Self::RetrieveAttempt => "retrieve_attempt",
            Self::RetrieveResult => "retrieve_result",
            Self::AccessDenied => "access_denied",
            Self::UserAdded => "user_added",
            Self::UserRemoved => "user_removed",
            Self::UserDisabled => "user_disabled",
            Self::AccountUnlocked => "account_unlocked",
            Self::PasswordChanged => "password_changed",
            Self::RolesChanged => "roles_changed",
            Self::AuditRead => "audit_read",
            Self::AuditVerified => "audit_verified",
            Self::PatientAttempt => "patient_attempt",
            Self::PatientResult => "patient_result",
            Self::Unknown => "unknown",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(input.to_owned()))
            .ok()
            .filter(|e| *e != Self::Unknown)
    }
}

/// How it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Attempt recorded, about to be sent.
    Sending,
    Success,
    NotFound,
    SpineError,
    /// A gateway in front of Spine answered instead of Spine (502 page, SOAP 500, 503).
    GatewayError,
    NetworkError,
    /// The request was abandoned before its answer arrived (Esc, a newer selection,
    /// sign-out, lock, quit): it may or may not have reached Spine.
    Cancelled,
    Denied,
    /// Wrong password or unknown user.
    Rejected,
    Failed,
    Tampered,
    #[serde(other)]
    Unknown,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Self::Sending => "sending",
            Self::Success => "success",
            Self::NotFound => "not_found",
            Self::SpineError => "spine_error",
            Self::GatewayError => "gateway_error",
            Self::NetworkError => "network_error",
            Self::Cancelled => "cancelled",
            Self::Denied => "denied",
            Self::Rejected => "rejected",
            Self::Failed => "failed",
            Self::Tampered => "tampered",
            Self::Unknown => "unknown",
        }
    }
}

/// Search filters, as asked (dates as calendar days).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filters {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// The details of a PDS search, as asked. The audit trail is the one place names and
/// dates of birth are written: they are what was accessed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientCriteria {
    pub family: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given: Option<String>,
    pub birth_date: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postcode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
}

/// The who and what of one record. Every field but `event` is optional: fill in what
/// applies. Never put medicines or clinical text here; names and dates of birth only as
/// the details of a PDS search (`patient_search`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub event: Event,
    /// Header only: the random ID of this chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain: Option<String>,
    /// Header only: the record layout version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<u32>,
    /// Local user ID (for a failed sign-in, the ID as typed, shortened).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spine_user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_profile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// Organisation ODS code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nhs: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prescription: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clinical: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<Filters>,
    /// The `Eps-TraceId` sent to Spine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub results: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// Spine's `statusCode` when it reported an error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spine_code: Option<String>,
    /// A short, fixed description of a failure or refusal (never Spine's free text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For user administration: the account acted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_user: Option<String>,
    /// For a PDS search: the details searched with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient_search: Option<PatientCriteria>,
    /// For a `chain_break`: what was wrong with the trail when it was resealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub found: Option<String>,
    /// For the header of a file started by rotation: the file the chain continues from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continues: Option<String>,
}

impl AuditEntry {
    pub fn new(event: Event) -> Self {
        Self {
            event,
            chain: None,
            format: None,
            user: None,
            spine_user: None,
            role_profile: None,
            role: None,
            org: None,
            nhs: None,
            prescription: None,
            issue: None,
            clinical: None,
            filters: None,
            trace: None,
            results: None,
            outcome: None,
            spine_code: None,
            reason: None,
            target_user: None,
            patient_search: None,
            found: None,
            continues: None,
        }
    }

    /// An entry naming the session's user, Spine identity, role and organisation.
    pub fn by(event: Event, session: &Session) -> Self {
        Self {
            user: Some(session.user().to_string()),
            spine_user: Some(session.spine_user().to_string()),
            role_profile: Some(session.role_profile().to_string()),
            role: Some(session.role()),
            org: Some(session.organisation().to_string()),
            ..Self::new(event)
        }
    }

    pub fn outcome(mut self, outcome: Outcome) -> Self {
        self.outcome = Some(outcome);
        self
    }

    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    pub fn target(mut self, user: impl Into<String>) -> Self {
        self.target_user = Some(user.into());
        self
    }
}
