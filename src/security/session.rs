//! A signed-in user with one chosen role profile: who they are locally and to Spine, what
//! they may do, and when they last did something (for the idle lock). Only sign-in creates
//! a session, so nothing else can forge one with more permissions.
//!
//! A session also knows where its account lives, so the gate can end it (`revoked`) when
//! the account changes under it: removed, locked by an administrator, password reset, or the
//! session's role profile withdrawn; and when its absolute lifetime is over.

use std::collections::BTreeSet;
use std::path::PathBuf;

use chrono::{DateTime, Duration, Utc};
use thiserror::Error;

use super::hashing::HashParams;
use super::identity::{LocalUserId, OdsCode, RoleProfileId, SpineUserId};
use super::rbac::{Permission, Role};
use super::users::UserStore;

/// Why a session was ended by something other than its user.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Revoked {
    #[error("the account has been removed")]
    Removed,
    #[error("the account has been locked by an administrator")]
    Disabled,
    #[error("the account's password has been changed")]
    PasswordChanged,
    #[error("the role profile in use has been withdrawn from the account")]
    ProfileWithdrawn,
    #[error("the session has reached its time limit of {hours} hours")]
    LifetimeOver { hours: i64 },
    /// Failing closed: an account that cannot be checked cannot go on.
    #[error("the account cannot be checked ({0})")]
    StoreUnreadable(String),
}

/// Where the session's account is kept, to check it again at every request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AccountSource {
    pub users_file: PathBuf,
    pub params: HashParams,
    /// The account's `password_changed` when the session started.
    pub password_changed: DateTime<Utc>,
}

/// A signed-in user acting in one role profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    user: LocalUserId,
    display_name: String,
    spine_user: SpineUserId,
    role_profile: RoleProfileId,
    role: Role,
    organisation: OdsCode,
    permissions: BTreeSet<Permission>,
    last_activity: DateTime<Utc>,
    idle_limit: Duration,
    locked: bool,
    started: DateTime<Utc>,
    lifetime: Duration,
    account: Option<AccountSource>,
}

/// The parts of a session fixed by sign-in and the chosen role profile.
pub(crate) struct SessionStart {
    pub user: LocalUserId,
    pub display_name: String,
    pub spine_user: SpineUserId,
    pub role_profile: RoleProfileId,
    pub role: Role,
    pub organisation: OdsCode,
    pub permissions: BTreeSet<Permission>,
    pub idle_limit: Duration,
    pub lifetime: Duration,
    pub account: Option<AccountSource>,
}

impl Session {
    pub(crate) fn start(start: SessionStart, now: DateTime<Utc>) -> Self {
        Self {
            user: start.user,
            display_name: start.display_name,
            spine_user: start.spine_user,
            role_profile: start.role_profile,
            role: start.role,
            organisation: start.organisation,
            permissions: start.permissions,
            last_activity: now,
            idle_limit: start.idle_limit,
            locked: false,
            started: now,
            lifetime: start.lifetime,
            account: start.account,
        }
    }

    pub fn user(&self) -> &LocalUserId {
        &self.user
    }
    pub fn display_name(&self) -> &str {
        &self.display_name
    }
    /// Sent to Spine as `Spine-UserId`.
    pub fn spine_user(&self) -> &SpineUserId {
        &self.spine_user
    }
    /// Sent to Spine as `Spine-RoleProfileId`.
    pub fn role_profile(&self) -> &RoleProfileId {
        &self.role_profile
    }
    pub fn role(&self) -> Role {
        self.role
    }
    pub fn organisation(&self) -> &OdsCode {
        &self.organisation
    }
    pub fn permissions(&self) -> &BTreeSet<Permission> {
        &self.permissions
    }
    pub fn last_activity(&self) -> DateTime<Utc> {
        self.last_activity
    }

    /// Whether the session needs the password again: locked already, or idle too long.
    pub fn is_idle(&self, now: DateTime<Utc>) -> bool {
        self.locked || now - self.last_activity >= self.idle_limit
    }

    /// Whether the session must end now, and why: its lifetime is over, or its account, read
    /// again from the user store, no longer allows it. Reads a small file; cheap enough for
    /// every request.
    pub fn revoked(&self, now: DateTime<Utc>) -> Option<Revoked> {
        if now - self.started >= self.lifetime {
            return Some(Revoked::LifetimeOver {
                hours: self.lifetime.num_hours(),
            });
        }
        let account = self.account.as_ref()?;
        let store = match UserStore::open(&account.users_file, account.params) {
            Ok(store) => store,
            Err(e) => return Some(Revoked::StoreUnreadable(e.to_string())),
        };
        let Some(user) = store.find(self.user.as_str()) else {
            return Some(Revoked::Removed);
        };
        if user.disabled {
            return Some(Revoked::Disabled);
        }
        if user.password_changed != account.password_changed {
            return Some(Revoked::PasswordChanged);
        }
        let profile_kept = user
            .role_profiles
            .iter()
            .any(|p| p.id == self.role_profile && p.role == self.role);
        if !profile_kept {
            return Some(Revoked::ProfileWithdrawn);
        }
        None
    }

    /// Whether the idle lock has been applied (see `Authenticator::lock_idle`).
    pub fn is_locked(&self) -> bool {
        self.locked
    }

    /// Records user activity; does nothing once the session is locked or idle, so activity
    /// cannot revive an expired session without the password.
    pub fn touch(&mut self, now: DateTime<Utc>) {
        if !self.is_idle(now) && now > self.last_activity {
            self.last_activity = now;
        }
    }

    pub(crate) fn set_locked(&mut self, locked: bool, now: DateTime<Utc>) {
        self.locked = locked;
        if !locked {
            self.last_activity = now;
        }
    }

    #[cfg(test)]
    pub(crate) fn for_tests(role: Role, permissions: BTreeSet<Permission>) -> Self {
        Self::start(
            SessionStart {
                user: LocalUserId::parse("tester").unwrap(),
                display_name: "Test User".into(),
                spine_user: SpineUserId::parse("555000000001").unwrap(),
                role_profile: RoleProfileId::parse("555000000101").unwrap(),
                role,
                organisation: OdsCode::parse("A83008").unwrap(),
                permissions,
                idle_limit: Duration::minutes(15),
                lifetime: Duration::hours(12),
                account: None,
            },
            DateTime::UNIX_EPOCH,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_idle_lock_comes_after_the_limit_and_touch_cannot_revive_it() {
        let mut session = Session::for_tests(Role::Helpdesk, BTreeSet::new());
        let t0 = DateTime::UNIX_EPOCH;
        assert!(!session.is_idle(t0 + Duration::minutes(14)));
        session.touch(t0 + Duration::minutes(14));
        assert!(!session.is_idle(t0 + Duration::minutes(28)));
        assert!(session.is_idle(t0 + Duration::minutes(29)));
        session.touch(t0 + Duration::minutes(30));
        assert!(session.is_idle(t0 + Duration::minutes(30)));
    }

    #[test]
    fn a_session_ends_after_its_lifetime_however_active() {
        let session = Session::for_tests(Role::Helpdesk, BTreeSet::new());
        let t0 = DateTime::UNIX_EPOCH;
        assert_eq!(session.revoked(t0 + Duration::minutes(719)), None);
        assert_eq!(
            session.revoked(t0 + Duration::hours(12)),
            Some(Revoked::LifetimeOver { hours: 12 })
        );
    }
}
