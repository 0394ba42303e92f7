//! A signed-in user with one chosen role profile: who they are locally and to Spine, what
//! they may do, and when they last did something (for the idle lock). Only sign-in creates
//! a session, so nothing else can forge one with more permissions.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};

use super::identity::{LocalUserId, OdsCode, RoleProfileId, SpineUserId};
use super::rbac::{Permission, Role};

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

    /// Seconds left before the idle lock (0 when already locked), for a countdown.
    pub fn seconds_until_lock(&self, now: DateTime<Utc>) -> i64 {
        if self.locked {
            return 0;
        }
        (self.idle_limit - (now - self.last_activity))
            .num_seconds()
            .max(0)
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
        assert_eq!(session.seconds_until_lock(t0 + Duration::minutes(14)), 60);
        session.touch(t0 + Duration::minutes(14));
        assert!(!session.is_idle(t0 + Duration::minutes(28)));
        assert!(session.is_idle(t0 + Duration::minutes(29)));
        assert_eq!(session.seconds_until_lock(t0 + Duration::minutes(40)), 0);
        session.touch(t0 + Duration::minutes(30));
        assert!(session.is_idle(t0 + Duration::minutes(30)));
    }
}
