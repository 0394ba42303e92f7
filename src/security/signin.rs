//! Signing in, choosing a role profile, the idle lock and unlocking, signing out. One
//! message covers an unknown user and a wrong password, and both take the same time (an
//! unknown user costs one throw-away hash at the store's cost). Consecutive failures lock
//! the account for a while; the count lives in the user store, so it survives restarts
//! and is shared by every instance.
//!
//! Every method here runs argon2id (50–100 ms by design) or writes the store: call them from
//! a blocking context (`tokio::task::spawn_blocking` in an async program), never on a UI
//! thread.

use chrono::{DateTime, Duration, Utc};
use thiserror::Error;

use super::audit::{AuditEntry, AuditError, AuditLog, Event, Outcome};
use super::hashing::{self, HashError};
use super::identity::{LocalUserId, RoleProfileId, SpineUserId};
use super::password::Password;
use super::rbac::RoleMap;
use super::session::{Session, SessionStart};
use super::users::{RoleProfile, StoreError, StoredHash, UserRecord, UserStore};
use crate::config::SecuritySettings;

/// Why sign-in (or unlocking) did not succeed. The messages are safe to show as they are.
#[derive(Debug, Error)]
pub enum SignInError {
    #[error("the user ID or password is not right")]
    Rejected,
    #[error(
        "too many failed sign-ins: this account is locked until {} UTC. Try again then, or ask \
         an administrator to unlock it",
        .until.format("%H:%M")
    )]
    LockedOut { until: DateTime<Utc> },
    #[error("this account has been locked by an administrator: ask one to unlock it")]
    Disabled,
    #[error("this account has no role profile: ask an administrator to add one")]
    NoProfiles,
    #[error("role profile {chosen} is not one of this account's: choose one of {available}")]
    UnknownProfile { chosen: String, available: String },
    #[error("this account's role profiles have changed since sign-in: sign in again")]
    ProfileChanged,
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Hash(#[from] HashError),
    #[error("sign-in stopped because it could not be recorded: {0}")]
    Audit(#[from] AuditError),
}

/// A user whose password was right, before they choose a role profile.
#[derive(Debug)]
pub struct SignedIn {
    user: LocalUserId,
    display_name: String,
    spine_user: SpineUserId,
    profiles: Vec<RoleProfile>,
}

impl SignedIn {
    pub fn user(&self) -> &LocalUserId {
        &self.user
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
        }
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
        })
    }

    /// Starts the session in one of the user's role profiles, which fixes the permissions
    /// and the identity sent to Spine.
    pub fn choose_profile(
        &self,
        signed_in: SignedIn,
        profile: &RoleProfileId,
        now: DateTime<Utc>,
    ) -> Result<Session, SignInError> {
        let Some(chosen) = signed_in.profiles.iter().find(|p| &p.id == profile) else {
            return Err(SignInError::UnknownProfile {
                chosen: profile.to_string(),
                available: signed_in
                    .profiles
                    .iter()
                    .map(|p| format!("{} ({} at {})", p.id, p.role, p.ods))
                    .collect::<Vec<_>>()
                    .join(", "),
            });
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
            },
            now,
        );
        self.audit.append(
            &AuditEntry::by(Event::SignIn, &session).outcome(Outcome::Success),
            now,
        )?;
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
        session.set_locked(false, now);
        Ok(())
    }

    /// Ends the session and records it.
    pub fn sign_out(&self, session: Session, now: DateTime<Utc>) -> Result<(), AuditError> {
        self.audit
            .append(&AuditEntry::by(Event::SignOut, &session), now)
            .map(|_| ())
    }

    /// The password check shared by sign-in, unlock and password changes: lockout, equal
    /// timing, failure counting, rehash when the store's cost has risen.
    pub(crate) fn check_password(
        &mut self,
        user_id: &str,
        password: &Password,
        now: DateTime<Utc>,
    ) -> Result<UserRecord, SignInError> {
        self.store.reload()?;
        let Some(user) = self.store.find(user_id).cloned() else {
            hashing::burn_equal_time(password, self.store.hash_params());
            self.record_failure(None, user_id, "unknown user", now)?;
            return Err(SignInError::Rejected);
        };
        if user.disabled {
            self.record_failure(
                Some(&user),
                user_id,
                "account locked by an administrator",
                now,
            )?;
            return Err(SignInError::Disabled);
        }
        if let Some(until) = user.locked_out_until(now) {
            self.record_failure(Some(&user), user_id, "account locked out", now)?;
            return Err(SignInError::LockedOut { until });
        }
        if hashing::verify_password(password, &user.password_hash.0)? {
            self.after_success(&user, password)?;
            return Ok(user);
        }
        let limit = self.settings.lockout_after_failures;
        let lock_for = Duration::minutes(i64::from(self.settings.lockout_minutes));
        let locked_until = self.store.update(|users| {
            let Some(stored) = users.iter_mut().find(|u| u.id == user.id) else {
                return Ok::<_, StoreError>(None);
            };
            stored.failed_sign_ins += 1;
            if stored.failed_sign_ins >= limit {
                stored.failed_sign_ins = 0;
                stored.locked_until = Some(now + lock_for);
            }
            Ok(stored.locked_out_until(now))
        })?;
        self.record_failure(Some(&user), user_id, "wrong password", now)?;
        match locked_until {
            Some(until) => {
                self.audit.append(
                    &AuditEntry {
                        user: Some(user.id.to_string()),
                        spine_user: Some(user.spine_user_id.to_string()),
                        reason: Some(format!("{limit} failed sign-ins")),
                        ..AuditEntry::new(Event::Lockout)
                    },
                    now,
                )?;
                Err(SignInError::LockedOut { until })
            }
            None => Err(SignInError::Rejected),
        }
    }

    fn after_success(&mut self, user: &UserRecord, password: &Password) -> Result<(), SignInError> {
        let target = self.store.hash_params();
        let weaker = hashing::params_of(&user.password_hash.0)
            .is_none_or(|params| params.is_weaker_than(&target));
        if !weaker && user.failed_sign_ins == 0 && user.locked_until.is_none() {
            return Ok(());
        }
        let rehashed = if weaker {
            Some(StoredHash(hashing::hash_password(password, target)?))
        } else {
            None
        };
        self.store.update(|users| {
            if let Some(stored) = users.iter_mut().find(|u| u.id == user.id) {
                stored.failed_sign_ins = 0;
                stored.locked_until = None;
                if let Some(hash) = rehashed {
                    stored.password_hash = hash;
                }
            }
            Ok::<_, StoreError>(())
        })?;
        Ok(())
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
