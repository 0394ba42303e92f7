//! Signing in, choosing a role profile, the idle lock and unlocking, signing out. One
//! message covers an unknown user, a wrong password, a locked-out and a disabled account,
//! and all take the same time (each refusal costs one hash and one store write), so the
//! answer does not tell which accounts exist or when to come back; administrators see the
//! reason in the audit trail and `user list`. Consecutive failures lock the account for a
//! while; the count lives in the user store, so it survives restarts and is shared by
//! every instance.
//!
//! Every method here runs argon2id (50–100 ms by design) or writes the store: call them from
//! a blocking context (`tokio::task::spawn_blocking` in an async program), never on a UI
//! thread.

use chrono::{DateTime, Duration, Utc};
use thiserror::Error;

use super::audit::{AuditEntry, AuditError, AuditLog, Event, Outcome};
use super::directory::{DirectoryConfig, DirectoryUnavailable, DirectoryVerdict};
use super::hashing::{self, HashError};
use super::identity::{LocalUserId, RoleProfileId, SpineUserId};
use super::password::Password;
use super::rbac::RoleMap;
use super::session::{AccountSource, Session, SessionStart};
use super::users::{RoleProfile, StoreError, StoredHash, UserRecord, UserStore};
use std::path::PathBuf;

use super::fingerprint::SettingsFingerprint;
use super::settings::SecuritySettings;

/// Why sign-in (or unlocking) did not succeed. The messages are safe to show as they are.
#[derive(Debug, Error)]
pub enum SignInError {
    /// Unknown user, wrong password, locked out or disabled: deliberately one message.
    #[error(
        "the user ID or password is not right, or the account cannot sign in now: check them, \
         or ask an administrator"
    )]
    Rejected,
    #[error("this account has no role profile: ask an administrator to add one")]
    NoProfiles,
    #[error(
        "role profile {chosen} is not one of this account's: ask an administrator which role \
         profiles you have"
    )]
    UnknownProfile { chosen: String },
    #[error("this account's role profiles have changed since sign-in: sign in again")]
    ProfileChanged,
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Hash(#[from] HashError),
    #[error("sign-in stopped because it could not be recorded: {0}")]
    Audit(#[from] AuditError),
    /// The directory could not be asked: refused, never a fallback to a local password.
    #[error("{0}")]
    Directory(DirectoryUnavailable),
}

/// What the check under the store's lock found.
enum Verdict {
    Right(UserRecord),
    /// Refused before the password was looked at (or no such user); the reason is recorded.
    Refused(Option<UserRecord>, &'static str),
    /// A wrong password, counted; `true` when this failure started a lockout.
    Wrong(UserRecord, bool),
    /// A directory user whose directory could not be asked.
    Unavailable(UserRecord, DirectoryUnavailable),
}

/// A user whose password was right, before they choose a role profile.
#[derive(Debug)]
pub struct SignedIn {
    user: LocalUserId,
    display_name: String,
    spine_user: SpineUserId,
    profiles: Vec<RoleProfile>,
    password_changed: DateTime<Utc>,
}

impl SignedIn {
    pub fn user(&self) -> &LocalUserId {
        &self.user
    }

    /// The record of a right password that ended without a session (no role profile
    /// chosen, the choice cancelled): a refusal, which keeps the failure count.
    pub fn abandoned(&self, reason: &str) -> AuditEntry {
        AuditEntry {
            user: Some(self.user.to_string()),
            spine_user: Some(self.spine_user.to_string()),
            ..AuditEntry::new(Event::SignInFailed)
        }
        .outcome(Outcome::Rejected)
        .reason(format!("right password, no session: {reason}"))
    }
    pub fn display_name(&self) -> &str {
        &self.display_name
    }
    /// The role profiles to choose from (at least one).
    pub fn profiles(&self) -> &[RoleProfile] {
        &self.profiles
    }
    /// The profile to use without asking, when there is only one.
    pub fn only_profile(&self) -> Option<&RoleProfileId> {
        match self.profiles.as_slice() {
            [only] => Some(&only.id),
            _ => None,
        }
    }
}

/// Sign-in and session life cycle over one user store and audit trail.
#[derive(Debug)]
pub struct Authenticator {
    store: UserStore,
    audit: AuditLog,
    settings: SecuritySettings,
    roles: RoleMap,
    /// The settings in force and where the previous sign-in's fingerprint is kept.
    recorded_settings: Option<(SettingsFingerprint, PathBuf)>,
    /// The organisation's directory, for users marked `directory`.
    directory: Option<DirectoryConfig>,
}

impl Authenticator {
    pub fn new(
        store: UserStore,
        audit: AuditLog,
        settings: SecuritySettings,
        roles: RoleMap,
    ) -> Self {
        Self {
            store,
            audit,
            settings,
            roles,
            recorded_settings: None,
            directory: None,
        }
    }

    /// Checks the passwords of directory users against `directory`.
    pub fn with_directory(mut self, directory: Option<DirectoryConfig>) -> Self {
        self.directory = directory;
        self
    }

    pub fn directory(&self) -> Option<&DirectoryConfig> {
        self.directory.as_ref()
    }

    /// Records the settings' fingerprint at every sign-in, and a `config_changed` record
    /// naming the sections that differ from the previous sign-in's (kept at `seen_file`).
    pub fn recording_settings(mut self, settings: SettingsFingerprint, seen_file: PathBuf) -> Self {
        self.recorded_settings = Some((settings, seen_file));
        self
    }

    pub fn store(&self) -> &UserStore {
        &self.store
    }
    pub(crate) fn store_mut(&mut self) -> &mut UserStore {
        &mut self.store
    }
    pub fn audit(&self) -> &AuditLog {
        &self.audit
    }
    pub fn settings(&self) -> &SecuritySettings {
        &self.settings
    }

    /// Checks the password. On success the user picks a role profile with `choose_profile`.
    pub fn sign_in(
        &mut self,
        user_id: &str,
        password: &Password,
        now: DateTime<Utc>,
    ) -> Result<SignedIn, SignInError> {
        let user = self.check_password(user_id, password, now)?;
        if user.role_profiles.is_empty() {
            self.record_failure(Some(&user), user_id, "no role profile", now)?;
            return Err(SignInError::NoProfiles);
        }
        Ok(SignedIn {
            user: user.id,
            display_name: user.display_name,
            spine_user: user.spine_user_id,
            profiles: user.role_profiles,
            password_changed: user.password_changed,
        })
    }

    /// Starts the session in one of the user's role profiles, which fixes the permissions
    /// and the identity sent to Spine.
    pub fn choose_profile(
        &mut self,
        signed_in: SignedIn,
        profile: &RoleProfileId,
        now: DateTime<Utc>,
    ) -> Result<Session, SignInError> {
        let Some(chosen) = signed_in.profiles.iter().find(|p| &p.id == profile) else {
            let chosen = profile.to_string();
            self.abandon(
                signed_in,
                &format!("role profile {chosen} is not theirs"),
                now,
            )?;
            return Err(SignInError::UnknownProfile { chosen });
        };
        let session = Session::start(
            SessionStart {
                user: signed_in.user.clone(),
                display_name: signed_in.display_name.clone(),
                spine_user: signed_in.spine_user.clone(),
                role_profile: chosen.id.clone(),
                role: chosen.role,
                organisation: chosen.ods.clone(),
                permissions: self.roles.permissions(chosen.role),
                idle_limit: Duration::minutes(i64::from(self.settings.idle_lock_minutes)),
                lifetime: Duration::hours(i64::from(self.settings.session_lifetime_hours)),
                account: Some(AccountSource {
                    users_file: self.store.path().to_path_buf(),
                    params: self.store.hash_params(),
                    password_changed: signed_in.password_changed,
                }),
            },
            now,
        );
        let mut entry = AuditEntry::by(Event::SignIn, &session).outcome(Outcome::Success);
        if let Some(digest) = self.note_settings(&session, now)? {
            entry = entry.reason(format!("settings SHA-256 {digest}"));
        }
        self.audit.append(&entry, now)?;
        self.clear_failures(session.user())?;
        Ok(session)
    }

    /// Applies the idle lock (if not already applied) and records it.
    pub fn lock_idle(&self, session: &mut Session, now: DateTime<Utc>) -> Result<(), AuditError> {
        if session.is_locked() {
            return Ok(());
        }
        session.set_locked(true, now);
        self.audit
            .append(&AuditEntry::by(Event::IdleLock, session), now)
            .map(|_| ())
    }

    /// Unlocks an idle-locked session with the user's password. Failures count towards the
    /// lockout like any sign-in. A user whose role profile changed must sign in afresh.
    pub fn unlock(
        &mut self,
        session: &mut Session,
        password: &Password,
        now: DateTime<Utc>,
    ) -> Result<(), SignInError> {
        let user = self.check_password(session.user().as_str(), password, now)?;
        let same_profile = user
            .role_profiles
            .iter()
            .any(|p| &p.id == session.role_profile() && p.role == session.role());
        if !same_profile {
            return Err(SignInError::ProfileChanged);
        }
        self.audit.append(
            &AuditEntry::by(Event::SessionUnlocked, session).outcome(Outcome::Success),
            now,
        )?;
        self.clear_failures(session.user())?;
        session.set_locked(false, now);
        Ok(())
    }

    /// Ends the session and records it.
    pub fn sign_out(&self, session: Session, now: DateTime<Utc>) -> Result<(), AuditError> {
        self.audit
            .append(&AuditEntry::by(Event::SignOut, &session), now)
            .map(|_| ())
    }

    /// The password check shared by sign-in, unlock and password changes. The lockout
    /// check, the verification and the count are one step under the user store's lock, so
    /// parallel attempts (several processes) verify at most `lockout_after_failures`
    /// passwords before the lockout. Every refusal, whatever its reason, costs one hash and
    /// one store write and reads the same to the user; the reason goes to the audit trail.
    /// A right password does not clear the failure count: only a session does
    /// (`choose_profile`, `unlock`, a password change).
    pub(crate) fn check_password(
        &mut self,
        user_id: &str,
        password: &Password,
        now: DateTime<Utc>,
    ) -> Result<UserRecord, SignInError> {
        let limit = self.settings.lockout_after_failures;
        let lock_for = Duration::minutes(i64::from(self.settings.lockout_minutes));
        let store_cost = self.store.hash_params();
        let directory = self.directory.clone();
        let verdict = self.store.update(|users| {
            let Some(stored) = users.iter_mut().find(|u| u.id.as_str() == user_id) else {
                hashing::burn_equal_time(password, store_cost);
                return Ok::<_, SignInError>(Verdict::Refused(None, "unknown user"));
            };
            // Refused without looking at the password, at the cost of checking it.
            let own_cost = hashing::params_of(&stored.password_hash.0).unwrap_or(store_cost);
            if stored.disabled {
                hashing::burn_equal_time(password, own_cost);
                let reason = "account locked by an administrator";
                return Ok(Verdict::Refused(Some(stored.clone()), reason));
            }
            if stored.locked_out_until(now).is_some() {
                hashing::burn_equal_time(password, own_cost);
                let reason = "account locked out";
                return Ok(Verdict::Refused(Some(stored.clone()), reason));
            }
            if stored.directory {
                // Under the lock like a local check, so the local lockout holds on top.
                let Some(directory) = &directory else {
                    hashing::burn_equal_time(password, own_cost);
                    let reason = "directory user, but no [directory] in the settings";
                    return Ok(Verdict::Refused(Some(stored.clone()), reason));
                };
                match directory.verify(user_id, password) {
                    Ok(DirectoryVerdict::Accepted) => return Ok(Verdict::Right(stored.clone())),
                    Ok(DirectoryVerdict::NotInGroup) => {
                        let reason = "not in the directory's required group";
                        return Ok(Verdict::Refused(Some(stored.clone()), reason));
                    }
                    Ok(DirectoryVerdict::WrongPassword) => {}
                    Err(unavailable) => {
                        return Ok(Verdict::Unavailable(stored.clone(), unavailable));
                    }
                }
            } else if hashing::verify_password(password, &stored.password_hash.0)? {
                let weaker = hashing::params_of(&stored.password_hash.0)
                    .is_none_or(|params| params.is_weaker_than(&store_cost));
                if weaker {
                    stored.password_hash =
                        StoredHash(hashing::hash_password(password, store_cost)?);
                }
                return Ok(Verdict::Right(stored.clone()));
            }
            stored.failed_sign_ins += 1;
            let locked_now = stored.failed_sign_ins >= limit;
            if locked_now {
                stored.failed_sign_ins = 0;
                stored.locked_until = Some(now + lock_for);
            }
            Ok(Verdict::Wrong(stored.clone(), locked_now))
        })?;
        match verdict {
            Verdict::Right(user) => Ok(user),
            Verdict::Unavailable(user, unavailable) => {
                self.record_failure(Some(&user), user_id, "directory unreachable", now)?;
                Err(SignInError::Directory(unavailable))
            }
            Verdict::Refused(user, reason) => {
                self.record_failure(user.as_ref(), user_id, reason, now)?;
                Err(SignInError::Rejected)
            }
            Verdict::Wrong(user, locked_now) => {
                self.record_failure(Some(&user), user_id, "wrong password", now)?;
                if locked_now {
                    self.audit.append(
                        &AuditEntry {
                            user: Some(user.id.to_string()),
                            spine_user: Some(user.spine_user_id.to_string()),
                            reason: Some(format!("{limit} failed sign-ins")),
                            ..AuditEntry::new(Event::Lockout)
                        },
                        now,
                    )?;
                }
                Err(SignInError::Rejected)
            }
        }
    }

    /// Compares the settings in force with the previous sign-in's, records a change, and
    /// keeps the new fingerprint. Returns the digest to put in the sign-in record.
    fn note_settings(
        &self,
        session: &Session,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, SignInError> {
        let Some((current, seen_file)) = &self.recorded_settings else {
            return Ok(None);
        };
        let previous = SettingsFingerprint::load(seen_file).map_err(StoreError::from)?;
        if previous.as_ref() == Some(current) {
            return Ok(Some(current.digest()));
        }
        if let Some(previous) = previous {
            let sections = current.changed_since(&previous).join(", ");
            let entry = AuditEntry::by(Event::ConfigChanged, session).reason(format!(
                "changed since the previous sign-in: {sections}; settings SHA-256 {} (was {})",
                current.digest(),
                previous.digest()
            ));
            self.audit.append(&entry, now)?;
        }
        current.save(seen_file).map_err(StoreError::from)?;
        Ok(Some(current.digest()))
    }

    /// A session started or continued: the failed sign-ins before it no longer count.
    fn clear_failures(&mut self, user: &LocalUserId) -> Result<(), StoreError> {
        let clean = self
            .store
            .users()
            .iter()
            .find(|u| &u.id == user)
            .is_none_or(|u| u.failed_sign_ins == 0 && u.locked_until.is_none());
        if clean {
            return Ok(());
        }
        self.store.update(|users| {
            if let Some(stored) = users.iter_mut().find(|u| &u.id == user) {
                stored.failed_sign_ins = 0;
                stored.locked_until = None;
            }
            Ok(())
        })
    }

    /// Records a right password that ended without a session (several role profiles and
    /// none chosen, the choice cancelled). It does not clear the failure count, so it
    /// cannot be used to confirm guesses without limit.
    pub fn abandon(
        &self,
        signed_in: SignedIn,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(), AuditError> {
        self.audit
            .append(&signed_in.abandoned(reason), now)
            .map(|_| ())
    }

    fn record_failure(
        &self,
        user: Option<&UserRecord>,
        typed: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(), AuditError> {
        // The ID as typed may be a password typed into the wrong box: keep it only when it
        // is a well-formed user ID.
        let named = match user {
            Some(user) => user.id.to_string(),
            None => LocalUserId::parse(typed)
                .map(|id| id.to_string())
                .unwrap_or_else(|_| "(not a valid user ID)".to_owned()),
        };
        let entry = AuditEntry {
            user: Some(named),
            spine_user: user.map(|u| u.spine_user_id.to_string()),
            ..AuditEntry::new(Event::SignInFailed)
        }
        .outcome(Outcome::Rejected)
        .reason(reason);
        self.audit.append(&entry, now).map(|_| ())
    }
}
