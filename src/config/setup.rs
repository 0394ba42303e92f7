//! Opening the security layer over a home: the user store, the audit trail (which must be
//! writable, or nothing that needs auditing may go ahead) and, in the sandbox's home, the
//! demo accounts. Shared by the commands and the terminal app.

use chrono::{DateTime, Utc};
use thiserror::Error;

use super::{Config, Home};
use crate::security::admin::AdminError;
use crate::security::audit::{AuditError, AuditLog, Origin};
use crate::security::demo;
use crate::security::signin::Authenticator;
use crate::security::users::{StoreError, UserStore};

/// Why the security layer could not be opened.
#[derive(Debug, Error)]
pub enum SetupError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Audit(#[from] AuditError),
    #[error("cannot create the sandbox demo accounts: {0}")]
    Demo(#[from] AdminError),
}

/// Opens the user store and audit trail of `home` with `config`'s settings; seeds the demo
/// accounts when `home` is the sandbox's and has no users yet (one argon2 hash, once).
pub fn open_authenticator(
    home: &Home,
    config: &Config,
    origin: Origin,
    now: DateTime<Utc>,
) -> Result<Authenticator, SetupError> {
    let store = UserStore::open(&home.users_file, config.security.argon2)?;
    let audit = AuditLog::open(&home.audit_dir, origin)?
        .rotate_at(config.audit.rotate_bytes)
        .forwarding(config.audit.forward.clone());
    let mut auth = Authenticator::new(store, audit, config.security, config.role_map())
        .recording_settings(
            config.fingerprint(),
            home.users_file.with_file_name("settings.sha256"),
        )
        .with_directory(config.directory.clone());
    if home.sandbox {
        demo::seed_demo_accounts(&mut auth, now)?;
    }
    Ok(auth)
}
