//! The `[security]` section: sign-in, password, lockout and session rules. Read from the
//! settings file by `config`, which also checks their ranges.

use serde::Deserialize;

use super::hashing::HashParams;

/// Sign-in, password and lockout rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecuritySettings {
    /// Fewest characters a new password may have.
    pub min_password_length: usize,
    /// Consecutive failed sign-ins that lock an account.
    pub lockout_after_failures: u32,
    /// How long a lockout lasts.
    pub lockout_minutes: u32,
    /// Minutes without activity before the session locks and needs the password again.
    pub idle_lock_minutes: u32,
    /// Hours after sign-in when a session ends, however active it has been.
    pub session_lifetime_hours: u32,
    /// Password hashing cost (argon2id); never below the OWASP recommendation.
    pub argon2: HashParams,
}

impl Default for SecuritySettings {
    fn default() -> Self {
        Self {
            min_password_length: 12,
            lockout_after_failures: 5,
            lockout_minutes: 15,
            idle_lock_minutes: 15,
            session_lifetime_hours: 12,
            argon2: HashParams::OWASP,
        }
    }
}
