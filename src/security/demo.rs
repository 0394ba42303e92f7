//! The sandbox's demo accounts: one per role, all with the password `sandbox-demo`, with
//! Spine IDs the embedded sandbox accepts. Seeded once into the sandbox's own home (never a
//! real one); the password is hashed once and shared, because it is public anyway and
//! hashing five times would slow the first start for nothing.

use chrono::{DateTime, Utc};

use super::admin::AdminError;
use super::audit::{AuditEntry, Event, Outcome};
use super::hashing;
use super::identity::{LocalUserId, OdsCode, RoleProfileId, SpineUserId};
use super::password::Password;
use super::rbac::Role;
use super::signin::Authenticator;
use super::users::{RoleProfile, StoreError, StoredHash, UserRecord};

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "sandbox-demo";

/// One demo account: local ID (also the role), Spine user ID, role profile ID, ODS code.
pub struct DemoAccount {
    pub role: Role,
    pub spine_user: &'static str,
    pub role_profile: &'static str,
    pub ods: &'static str,
    pub display_name: &'static str,
}

pub const DEMO_ACCOUNTS: [DemoAccount; 5] = [
    DemoAccount {
        role: Role::Helpdesk,
        spine_user: "555000000001",
        role_profile: "555000000101",
        ods: "X26",
        display_name: "Demo Helpdesk",
    },
    DemoAccount {
        role: Role::Pharmacist,
        spine_user: "555000000002",
        role_profile: "555000000102",
        ods: "FA565",
        display_name: "Demo Pharmacist",
    },
    DemoAccount {
        role: Role::Clinician,
        spine_user: "555000000003",
        role_profile: "555000000103",
        ods: "A83008",
        display_name: "Demo Clinician",
    },
    DemoAccount {
        role: Role::Auditor,
        spine_user: "555000000004",
        role_profile: "555000000104",
        ods: "X26",
        display_name: "Demo Auditor",
    },
    DemoAccount {
        role: Role::Admin,
        spine_user: "555000000005",
        role_profile: "555000000105",
        ods: "X26",
        display_name: "Demo Admin",
    },
];

/// Creates the demo accounts when the store has no users; returns whether it did. Call only
/// on the sandbox's home.
pub fn seed_demo_accounts(
    auth: &mut Authenticator,
    now: DateTime<Utc>,
) -> Result<bool, AdminError> {
    if !auth.store().is_empty() {
        return Ok(false);
    }
    let hash = hashing::hash_password(
        &Password::new(DEMO_PASSWORD.to_owned()),
        auth.store().hash_params(),
    )?;
    let mut records = Vec::new();
    for account in &DEMO_ACCOUNTS {
        records.push(demo_record(account, &hash, now).map_err(|e| {
            AdminError::Store(StoreError::Invalid {
                path: "(demo accounts)".into(),
                message: e.to_string(),
            })
        })?);
    }
    let audit = auth.audit().clone();
    auth.store_mut().update(|users| {
        if !users.is_empty() {
            return Ok(false);
        }
        for record in &records {
            let entry = AuditEntry::new(Event::UserAdded)
                .target(record.id.to_string())
                .outcome(Outcome::Success)
                .reason("sandbox demo account");
            audit.append(&entry, now)?;
        }
        users.extend(records);
        Ok(true)
    })
}

fn demo_record(
    account: &DemoAccount,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<UserRecord, super::identity::IdentityError> {
    Ok(UserRecord {
        id: LocalUserId::parse(account.role.name())?,
        display_name: account.display_name.to_owned(),
        spine_user_id: SpineUserId::parse(account.spine_user)?,
        password_hash: StoredHash(hash.to_owned()),
        password_changed: now,
        disabled: false,
        failed_sign_ins: 0,
        locked_until: None,
        role_profiles: vec![RoleProfile {
            id: RoleProfileId::parse(account.role_profile)?,
            ods: OdsCode::parse(account.ods)?,
            role: account.role,
        }],
        directory: false,
    })
}
