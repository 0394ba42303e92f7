//! Administering local users: add, remove, lock, unlock, reset or change passwords, change
//! role profiles. Each change is authorised (users.admin), checked, recorded in the audit
//! trail under the store's lock, and only then saved: a change that cannot be recorded is
//! not made. The very first user of an empty store is created without signing in, and must
//! be an admin.

use chrono::{DateTime, Utc};
use thiserror::Error;

use super::audit::{AuditEntry, AuditError, Event, Outcome};
use super::hashing::{self, HashError};
use super::identity::{LocalUserId, RoleProfileId, SpineUserId};
use super::password::{Password, PolicyError, check_new_password};
use super::rbac::{AccessDenied, Action, Role, authorize};
use super::session::Session;
use super::signin::{Authenticator, SignInError};
use super::users::{RoleProfile, StoreError, StoredHash, UserRecord};

/// A new account, as given by an administrator.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: LocalUserId,
    pub display_name: String,
    pub spine_user_id: SpineUserId,
    pub role_profiles: Vec<RoleProfile>,
}

/// Why an administrative change was not made.
#[derive(Debug, Error)]
pub enum AdminError {
    #[error("{0}")]
    Denied(#[from] AccessDenied),
    #[error("the session is locked: sign in again")]
    SessionLocked,
    #[error("there are already users: sign in as an administrator to add more")]
    NotFirstUser,
    #[error("the first user must have an admin role profile, to be able to add the others")]
    FirstUserNotAdmin,
    #[error("user \"{0}\" already exists")]
    Exists(LocalUserId),
    #[error("there is no user \"{0}\"")]
    NoSuchUser(String),
    #[error("a user needs at least one role profile (--profile ID:ODS:ROLE)")]
    NoProfiles,
    #[error("role profile {0} is listed twice")]
    DuplicateProfile(RoleProfileId),
    #[error(
        "the display name must be 1 to 100 characters with no control characters (it is shown \
         on screen and in the audit trail's user list)"
    )]
    DisplayName,
    #[error("this would leave no administrator who can sign in: add or unlock another admin first")]
    LastAdmin,
    #[error(
        "an administrator cannot give role profiles to their own account: ask another \
         administrator to do it"
    )]
    SelfGrant,
    #[error(
        "there is no [directory] in the settings file: add one (see config.example.toml) \
         before adding directory users"
    )]
    NoDirectory,
    #[error("{0} signs in with the directory's password: change it in the directory, not here")]
    DirectoryPassword(String),
    #[error("{0}")]
    Policy(#[from] PolicyError),
    #[error("{0}")]
    SignIn(#[from] SignInError),
    #[error("{0}")]
    Hash(#[from] HashError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("the change was not made because it could not be recorded: {0}")]
    Audit(#[from] AuditError),
}

/// The stored "hash" of a directory user: never a valid PHC string.
const DIRECTORY_HASH: &str = "!directory";

/// Creates the first user of an empty store: an administrator, no sign-in needed.
pub fn add_first_admin(
    auth: &mut Authenticator,
    new: NewUser,
    password: &Password,
    now: DateTime<Utc>,
) -> Result<(), AdminError> {
    if !new.role_profiles.iter().any(|p| p.role == Role::Admin) {
        return Err(AdminError::FirstUserNotAdmin);
    }
    let record = prepare(auth, new, Some(password), now)?;
    let audit = auth.audit().clone();
    auth.store_mut().update(|users| {
        if !users.is_empty() {
            return Err(AdminError::NotFirstUser);
        }
        let entry = AuditEntry::new(Event::UserAdded)
            .target(record.id.to_string())
            .outcome(Outcome::Success)
            .reason(format!(
                "first administrator, created without sign-in; {}",
                account_summary(&record)
            ));
        audit.append(&entry, now)?;
        users.push(record);
        Ok(())
    })
}

/// Adds a user (administrators only).
pub fn add_user(
    auth: &mut Authenticator,
    session: &Session,
    new: NewUser,
    password: &Password,
    now: DateTime<Utc>,
) -> Result<(), AdminError> {
    allowed(auth, session, now)?;
    let record = prepare(auth, new, Some(password), now)?;
    insert(auth, session, record, now)
}

/// Adds a user who signs in with the organisation's directory password (administrators
/// only; needs `[directory]` in the settings).
pub fn add_directory_user(
    auth: &mut Authenticator,
    session: &Session,
    new: NewUser,
    now: DateTime<Utc>,
) -> Result<(), AdminError> {
    allowed(auth, session, now)?;
    if auth.directory().is_none() {
        return Err(AdminError::NoDirectory);
    }
    let record = prepare(auth, new, None, now)?;
    insert(auth, session, record, now)
}

fn insert(
    auth: &mut Authenticator,
    session: &Session,
    record: UserRecord,
    now: DateTime<Utc>,
) -> Result<(), AdminError> {
    change(
        auth,
        session,
        Event::UserAdded,
        record.id.as_str().to_owned(),
        now,
        |users| {
            if users.iter().any(|u| u.id == record.id) {
                return Err(AdminError::Exists(record.id.clone()));
            }
            let mut detail = account_summary(&record);
            if record.directory {
                detail.push_str("; signs in with the directory's password");
            }
            users.push(record);
            Ok(detail)
        },
    )
}

/// Removes a user (administrators only); never the last admin.
pub fn remove_user(
    auth: &mut Authenticator,
    session: &Session,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), AdminError> {
    allowed(auth, session, now)?;
    change(
        auth,
        session,
        Event::UserRemoved,
        id.to_owned(),
        now,
        |users| {
            let index = position(users, id)?;
            let removed = users.remove(index);
            ensure_an_admin_remains(users)?;
            Ok(format!("removed; had {}", account_summary(&removed)))
        },
    )
}

/// Locks (`disabled = true`) or unlocks an account (administrators only). Unlocking also
/// clears a lockout after failed sign-ins.
pub fn set_disabled(
    auth: &mut Authenticator,
    session: &Session,
    id: &str,
    disabled: bool,
    now: DateTime<Utc>,
) -> Result<(), AdminError> {
    allowed(auth, session, now)?;
    let event = if disabled {
        Event::UserDisabled
    } else {
        Event::AccountUnlocked
    };
    change(auth, session, event, id.to_owned(), now, |users| {
        let index = position(users, id)?;
        if let Some(user) = users.get_mut(index) {
            user.disabled = disabled;
            if !disabled {
                user.failed_sign_ins = 0;
                user.locked_until = None;
            }
        }
        ensure_an_admin_remains(users)?;
        Ok(if disabled {
            "locked by an administrator"
        } else {
            "unlocked, failed sign-ins cleared"
        }
        .to_owned())
    })
}

/// Sets a new password for another user (administrators only).
pub fn reset_password(
    auth: &mut Authenticator,
    session: &Session,
    id: &str,
    password: &Password,
    now: DateTime<Utc>,
) -> Result<(), AdminError> {
    allowed(auth, session, now)?;
    if auth.store().find(id).is_some_and(|u| u.directory) {
        return Err(AdminError::DirectoryPassword(id.to_owned()));
    }
    check_new_password(password, id, auth.settings().min_password_length)?;
    let hash = StoredHash(hashing::hash_password(
        password,
        auth.store().hash_params(),
    )?);
    change(
        auth,
        session,
        Event::PasswordChanged,
        id.to_owned(),
        now,
        |users| {
            let index = position(users, id)?;
            if let Some(user) = users.get_mut(index) {
                user.password_hash = hash;
                user.password_changed = now;
                user.failed_sign_ins = 0;
                user.locked_until = None;
            }
            Ok("password reset by an administrator".to_owned())
        },
    )
}

/// A user changes their own password, proving the old one (which counts towards lockout).
pub fn change_own_password(
    auth: &mut Authenticator,
    id: &str,
    old: &Password,
    new: &Password,
    now: DateTime<Utc>,
) -> Result<(), AdminError> {
    let user = auth.check_password(id, old, now)?;
    if user.directory {
        return Err(AdminError::DirectoryPassword(id.to_owned()));
    }
    check_new_password(new, id, auth.settings().min_password_length)?;
    let hash = StoredHash(hashing::hash_password(new, auth.store().hash_params())?);
    let audit = auth.audit().clone();
    auth.store_mut().update(|users| {
        let index = position(users, id)?;
        let entry = AuditEntry {
            user: Some(user.id.to_string()),
            spine_user: Some(user.spine_user_id.to_string()),
            ..AuditEntry::new(Event::PasswordChanged)
        }
        .target(user.id.to_string())
        .outcome(Outcome::Success);
        audit.append(&entry, now)?;
        if let Some(stored) = users.get_mut(index) {
            stored.password_hash = hash;
            stored.password_changed = now;
            stored.failed_sign_ins = 0;
            stored.locked_until = None;
        }
        Ok(())
    })
}

/// Adds and removes role profiles of a user (administrators only).
pub fn change_role_profiles(
    auth: &mut Authenticator,
    session: &Session,
    id: &str,
    add: Vec<RoleProfile>,
    remove: &[RoleProfileId],
    now: DateTime<Utc>,
) -> Result<(), AdminError> {
    allowed(auth, session, now)?;
    // Separation of duties: nobody widens their own access.
    if !add.is_empty() && session.user().as_str() == id {
        let entry = AuditEntry::by(Event::AccessDenied, session)
            .target(id)
            .outcome(Outcome::Denied)
            .reason(format!(
                "an administrator may not give their own account role profiles ({})",
                profile_list(&add)
            ));
        auth.audit().append(&entry, now)?;
        return Err(AdminError::SelfGrant);
    }
    change(
        auth,
        session,
        Event::RolesChanged,
        id.to_owned(),
        now,
        |users| {
            let index = position(users, id)?;
            let mut removed = Vec::new();
            let added = add.clone();
            if let Some(user) = users.get_mut(index) {
                for gone in remove {
                    if !user.role_profiles.iter().any(|p| &p.id == gone) {
                        return Err(AdminError::NoSuchUser(format!(
                            "{id} with role profile {gone}"
                        )));
                    }
                    removed.extend(user.role_profiles.iter().filter(|p| &p.id == gone).cloned());
                    user.role_profiles.retain(|p| &p.id != gone);
                }
                for profile in add {
                    if user.role_profiles.iter().any(|p| p.id == profile.id) {
                        return Err(AdminError::DuplicateProfile(profile.id));
                    }
                    user.role_profiles.push(profile);
                }
                if user.role_profiles.is_empty() {
                    return Err(AdminError::NoProfiles);
                }
            }
            ensure_an_admin_remains(users)?;
            let mut detail = Vec::new();
            if !added.is_empty() {
                detail.push(format!("added {}", profile_list(&added)));
            }
            if !removed.is_empty() {
                detail.push(format!("removed {}", profile_list(&removed)));
            }
            Ok(detail.join("; "))
        },
    )
}

/// The session may administer users: not idle-locked, and the role allows it. A refusal is
/// recorded.
fn allowed(auth: &Authenticator, session: &Session, now: DateTime<Utc>) -> Result<(), AdminError> {
    if session.is_idle(now) {
        return Err(AdminError::SessionLocked);
    }
    if let Err(denied) = authorize(session, Action::AdministerUsers) {
        let entry = AuditEntry::by(Event::AccessDenied, session)
            .outcome(Outcome::Denied)
            .reason(denied.action.describe());
        auth.audit().append(&entry, now)?;
        return Err(denied.into());
    }
    Ok(())
}

/// Validates and hashes a new user's details, outside the store lock (hashing is slow).
/// `password` is `None` for a user who signs in with the directory's password.
fn prepare(
    auth: &Authenticator,
    new: NewUser,
    password: Option<&Password>,
    now: DateTime<Utc>,
) -> Result<UserRecord, AdminError> {
    let name = new.display_name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(AdminError::DisplayName);
    }
    if new.role_profiles.is_empty() {
        return Err(AdminError::NoProfiles);
    }
    for (index, profile) in new.role_profiles.iter().enumerate() {
        if new.role_profiles[..index]
            .iter()
            .any(|p| p.id == profile.id)
        {
            return Err(AdminError::DuplicateProfile(profile.id.clone()));
        }
    }
    let hash = match password {
        Some(password) => {
            check_new_password(
                password,
                new.id.as_str(),
                auth.settings().min_password_length,
            )?;
            hashing::hash_password(password, auth.store().hash_params())?
        }
        // Not a PHC string, so no password can ever match it locally.
        None => DIRECTORY_HASH.to_owned(),
    };
    Ok(UserRecord {
        id: new.id,
        display_name: name.to_owned(),
        spine_user_id: new.spine_user_id,
        password_hash: StoredHash(hash),
        password_changed: now,
        disabled: false,
        failed_sign_ins: 0,
        locked_until: None,
        role_profiles: new.role_profiles,
        directory: password.is_none(),
    })
}

/// Applies a change under the store lock, recording it first with what `apply` says it
/// changed (and who, from the session); if saving then fails, a second record says so.
fn change(
    auth: &mut Authenticator,
    session: &Session,
    event: Event,
    target: String,
    now: DateTime<Utc>,
    apply: impl FnOnce(&mut Vec<UserRecord>) -> Result<String, AdminError>,
) -> Result<(), AdminError> {
    let audit = auth.audit().clone();
    let entry = AuditEntry::by(event, session).target(target);
    let result = auth.store_mut().update(|users| {
        let detail = apply(users)?;
        audit.append(&entry.clone().outcome(Outcome::Success).reason(detail), now)?;
        Ok(())
    });
    if let Err(AdminError::Store(e)) = &result {
        let failed = entry
            .outcome(Outcome::Failed)
            .reason("the user store could not be saved");
        // The store error is what the administrator needs to see; a second audit failure
        // would only repeat that the disk is unusable.
        let _ = audit.append(&failed, now);
        tracing::warn!("user store change not saved: {e}");
    }
    result
}

/// The account facts an administrator's record keeps: Spine user ID and role profiles.
fn account_summary(user: &UserRecord) -> String {
    format!(
        "Spine user ID {}, role profiles {}",
        user.spine_user_id,
        profile_list(&user.role_profiles)
    )
}

/// Role profiles as `ID:ODS:role`, the form `user add --profile` takes.
fn profile_list(profiles: &[RoleProfile]) -> String {
    profiles
        .iter()
        .map(|p| format!("{}:{}:{}", p.id, p.ods, p.role))
        .collect::<Vec<_>>()
        .join(", ")
}

fn position(users: &[UserRecord], id: &str) -> Result<usize, AdminError> {
    users
        .iter()
        .position(|u| u.id.as_str() == id)
        .ok_or_else(|| AdminError::NoSuchUser(id.to_owned()))
}

fn ensure_an_admin_remains(users: &[UserRecord]) -> Result<(), AdminError> {
    if users.iter().any(|u| !u.disabled && u.has_role(Role::Admin)) {
        Ok(())
    } else {
        Err(AdminError::LastAdmin)
    }
}
