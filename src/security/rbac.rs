//! Role-based access control: which local role may do what. `authorize` is a pure function
//! of the session (its role and the permissions fixed when the role profile was chosen) and
//! the action; the gate calls it before any request is built.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::session::Session;

/// One thing a role may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Permission {
    /// Search a patient's prescriptions by NHS number (basic detail).
    #[serde(rename = "tracker.search")]
    TrackerSearch,
    /// Retrieve one prescription by ID (basic detail).
    #[serde(rename = "tracker.retrieve")]
    TrackerRetrieve,
    /// See clinical detail (medicines, dosage) in searches and retrievals.
    #[serde(rename = "tracker.clinical")]
    TrackerClinical,
    /// Read the audit trail.
    #[serde(rename = "audit.read")]
    AuditRead,
    /// Check the audit trail's integrity from inside the app.
    #[serde(rename = "audit.verify")]
    AuditVerify,
    /// Create, change and remove local users.
    #[serde(rename = "users.admin")]
    UsersAdmin,
    /// Look up a patient's demographics in PDS (by NHS number or by details).
    #[serde(rename = "pds.read")]
    PdsRead,
}

impl Permission {
    pub fn name(self) -> &'static str {
        match self {
            Self::TrackerSearch => "tracker.search",
            Self::TrackerRetrieve => "tracker.retrieve",
            Self::TrackerClinical => "tracker.clinical",
            Self::AuditRead => "audit.read",
            Self::AuditVerify => "audit.verify",
            Self::UsersAdmin => "users.admin",
            Self::PdsRead => "pds.read",
        }
    }
}

/// A local role; each role profile of a user names one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Helpdesk,
    Pharmacist,
    Clinician,
    Auditor,
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Helpdesk,
        Role::Pharmacist,
        Role::Clinician,
        Role::Auditor,
        Role::Admin,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Helpdesk => "helpdesk",
            Self::Pharmacist => "pharmacist",
            Self::Clinician => "clinician",
            Self::Auditor => "auditor",
            Self::Admin => "admin",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.name() == input)
    }

    /// The default permissions: helpdesk basic lookups only; pharmacist and clinician basic
    /// and clinical; all three the patient's demographics (PDS); auditor the audit trail
    /// only; admin users only. Neither auditor nor admin can look up patients.
    pub fn default_permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Self::Helpdesk => &[TrackerSearch, TrackerRetrieve, PdsRead],
            Self::Pharmacist | Self::Clinician => {
                &[TrackerSearch, TrackerRetrieve, TrackerClinical, PdsRead]
            }
            Self::Auditor => &[AuditRead, AuditVerify],
            Self::Admin => &[UsersAdmin],
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Something a signed-in user asks to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Search,
    Retrieve,
    ClinicalSearch,
    ClinicalRetrieve,
    ReadAudit,
    VerifyAudit,
    AdministerUsers,
    /// Retrieve or search a patient's demographics in PDS.
    LookUpPatient,
}

impl Action {
    pub const ALL: [Action; 8] = [
        Action::Search,
        Action::Retrieve,
        Action::ClinicalSearch,
        Action::ClinicalRetrieve,
        Action::ReadAudit,
        Action::VerifyAudit,
        Action::AdministerUsers,
        Action::LookUpPatient,
    ];

    /// Every permission the action needs.
    pub fn required(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Self::Search => &[TrackerSearch],
            Self::Retrieve => &[TrackerRetrieve],
            Self::ClinicalSearch => &[TrackerSearch, TrackerClinical],
            Self::ClinicalRetrieve => &[TrackerRetrieve, TrackerClinical],
            Self::ReadAudit => &[AuditRead],
            Self::VerifyAudit => &[AuditVerify],
            Self::AdministerUsers => &[UsersAdmin],
            Self::LookUpPatient => &[PdsRead],
        }
    }

    /// What the action is, in words that complete "cannot …".
    pub fn describe(self) -> &'static str {
        match self {
            Self::Search => "search prescriptions",
            Self::Retrieve => "retrieve prescriptions",
            Self::ClinicalSearch => "search prescriptions with clinical detail",
            Self::ClinicalRetrieve => "retrieve prescriptions with clinical detail",
            Self::ReadAudit => "read the audit trail",
            Self::VerifyAudit => "verify the audit trail",
            Self::AdministerUsers => "administer users",
            Self::LookUpPatient => "look up patient demographics (PDS)",
        }
    }
}

/// A refusal: who was refused what, and the permission they lack.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "access denied: the {role} role cannot {action} (it lacks the {missing} permission)",
    action = .action.describe(),
    missing = .missing.name()
)]
pub struct AccessDenied {
    pub role: Role,
    pub action: Action,
    pub missing: Permission,
}

/// Decides whether the session may perform the action. Pure: no I/O, no clock.
pub fn authorize(session: &Session, action: Action) -> Result<(), AccessDenied> {
    check(session.role(), session.permissions(), action)
}

fn check(role: Role, granted: &BTreeSet<Permission>, action: Action) -> Result<(), AccessDenied> {
    match action.required().iter().find(|p| !granted.contains(p)) {
        None => Ok(()),
        Some(missing) => Err(AccessDenied {
            role,
            action,
            missing: *missing,
        }),
    }
}

/// The `[roles]` section of the settings file: each role may list its permissions; roles
/// left out keep their defaults. Unknown role or permission names are refused when parsed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RolesConfig {
    helpdesk: Option<BTreeSet<Permission>>,
    pharmacist: Option<BTreeSet<Permission>>,
    clinician: Option<BTreeSet<Permission>>,
    auditor: Option<BTreeSet<Permission>>,
    admin: Option<BTreeSet<Permission>>,
}

/// Role → permissions, complete for every role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleMap(BTreeMap<Role, BTreeSet<Permission>>);

impl Default for RoleMap {
    fn default() -> Self {
        Self::from_config(&RolesConfig::default())
    }
}

impl RoleMap {
    pub fn from_config(config: &RolesConfig) -> Self {
        let configured = |role: Role| match role {
            Role::Helpdesk => &config.helpdesk,
            Role::Pharmacist => &config.pharmacist,
            Role::Clinician => &config.clinician,
            Role::Auditor => &config.auditor,
            Role::Admin => &config.admin,
        };
        Self(
            Role::ALL
                .into_iter()
                .map(|role| {
                    let permissions = configured(role)
                        .clone()
                        .unwrap_or_else(|| role.default_permissions().iter().copied().collect());
                    (role, permissions)
                })
                .collect(),
        )
    }

    pub fn permissions(&self, role: Role) -> BTreeSet<Permission> {
        self.0.get(&role).cloned().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole default matrix, role × action, written out so a change to it is a
    /// deliberate edit here.
    #[test]
    fn authorize_over_every_role_and_action() {
        use Action::*;
        let expected: &[(Role, &[Action])] = &[
            (Role::Helpdesk, &[Search, Retrieve, LookUpPatient]),
            (
                Role::Pharmacist,
                &[
                    Search,
                    Retrieve,
                    ClinicalSearch,
                    ClinicalRetrieve,
                    LookUpPatient,
                ],
            ),
            (
                Role::Clinician,
                &[
                    Search,
                    Retrieve,
                    ClinicalSearch,
                    ClinicalRetrieve,
                    LookUpPatient,
                ],
            ),
            (Role::Auditor, &[ReadAudit, VerifyAudit]),
            (Role::Admin, &[AdministerUsers]),
        ];
        let map = RoleMap::default();
        for (role, allowed) in expected {
            let session = Session::for_tests(*role, map.permissions(*role));
            for action in Action::ALL {
                let result = authorize(&session, action);
                if allowed.contains(&action) {
                    assert_eq!(result, Ok(()), "{role} {action:?}");
                } else {
                    let denied = result.expect_err("must be refused");
                    assert_eq!(denied.role, *role);
                    assert_eq!(denied.action, action);
                    assert!(action.required().contains(&denied.missing));
                }
            }
        }
    }

    #[test]
    fn a_refusal_names_the_role_and_what_it_cannot_do() {
        let session = Session::for_tests(
            Role::Helpdesk,
            RoleMap::default().permissions(Role::Helpdesk),
        );
        let message = authorize(&session, Action::ClinicalSearch)
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            "access denied: the helpdesk role cannot search prescriptions with clinical detail \
             (it lacks the tracker.clinical permission)"
        );
    }

    #[test]
    fn configured_permissions_replace_the_defaults_for_that_role() {
        let config: RolesConfig = toml::from_str("auditor = [\"audit.verify\"]").unwrap();
        let map = RoleMap::from_config(&config);
        let session = Session::for_tests(Role::Auditor, map.permissions(Role::Auditor));
        assert!(authorize(&session, Action::VerifyAudit).is_ok());
        assert!(authorize(&session, Action::ReadAudit).is_err());
    }
}
