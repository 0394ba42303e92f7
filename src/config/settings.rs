//! The settings file (TOML). A missing file means defaults; a bad one is reported with the
//! file, the line and the value, never a panic. Unknown keys are refused so a typo cannot
//! silently leave a security setting at its default.

use std::io;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;

use crate::security::hashing::HashParams;
use crate::security::rbac::{RoleMap, RolesConfig};

/// Everything the settings file can hold.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub security: SecuritySettings,
    /// Role → permissions; roles left out keep their defaults.
    #[serde(default)]
    pub roles: RolesConfig,
}

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
            argon2: HashParams::OWASP,
        }
    }
}

/// Why the settings file cannot be used.
#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read the settings file {path}: {source}", path = .path.display())]
    Read { path: PathBuf, source: io::Error },
    #[error("the settings file {path} is not valid: {message}", path = .path.display())]
    Parse { path: PathBuf, message: String },
    #[error("the settings file {path}: {key} {message}", path = .path.display())]
    Invalid {
        path: PathBuf,
        key: &'static str,
        message: String,
    },
}

impl Config {
    /// Reads the settings file; a missing file gives the defaults.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(path, &text),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Self::default()),
            Err(source) => Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    /// Parses settings text; `path` only names the file in messages.
    pub fn parse(path: &Path, text: &str) -> Result<Self, ConfigError> {
        let config: Self = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_owned(),
        })?;
        config.security.validate(path)?;
        Ok(config)
    }

    /// The role mapping with the defaults filled in.
    pub fn role_map(&self) -> RoleMap {
        RoleMap::from_config(&self.roles)
    }
}

impl SecuritySettings {
    fn validate(&self, path: &Path) -> Result<(), ConfigError> {
        let invalid = |key, message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            key,
            message,
        };
        if !(8..=1024).contains(&self.min_password_length) {
            return Err(invalid(
                "security.min_password_length",
                format!("is {}: use 8 to 1024", self.min_password_length),
            ));
        }
        if !(1..=100).contains(&self.lockout_after_failures) {
            return Err(invalid(
                "security.lockout_after_failures",
                format!("is {}: use 1 to 100", self.lockout_after_failures),
            ));
        }
        for (key, minutes) in [
            ("security.lockout_minutes", self.lockout_minutes),
            ("security.idle_lock_minutes", self.idle_lock_minutes),
        ] {
            if !(1..=1440).contains(&minutes) {
                return Err(invalid(key, format!("is {minutes}: use 1 to 1440 minutes")));
            }
        }
        self.argon2
            .check_production_strength()
            .map_err(|message| invalid("security.argon2", message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::security::rbac::{Permission, Role};

    #[test]
    fn an_empty_file_gives_the_defaults() {
        let config = Config::parse(Path::new("c.toml"), "").unwrap();
        assert_eq!(config.security, SecuritySettings::default());
        let roles = config.role_map();
        assert!(
            roles
                .permissions(Role::Helpdesk)
                .contains(&Permission::TrackerSearch)
        );
        assert!(
            !roles
                .permissions(Role::Helpdesk)
                .contains(&Permission::TrackerClinical)
        );
    }

    #[test]
    fn the_example_file_parses_and_shows_the_defaults() {
        let text = include_str!("../../config.example.toml");
        let config = Config::parse(Path::new("config.example.toml"), text).unwrap();
        assert_eq!(config.security, SecuritySettings::default());
        assert_eq!(config.role_map(), RoleMap::default());
    }

    #[test]
    fn an_unknown_permission_is_refused_with_the_file_and_line() {
        let text = "[security]\nlockout_minutes = 10\n\n[roles]\nhelpdesk = [\"tracker.search\", \"tracker.serch\"]\n";
        let err = Config::parse(Path::new("/etc/eps.toml"), text)
            .unwrap_err()
            .to_string();
        assert!(err.contains("/etc/eps.toml"), "{err}");
        assert!(err.contains("line 5"), "{err}");
        assert!(err.contains("tracker.serch"), "{err}");
    }

    #[test]
    fn an_unknown_role_or_key_is_refused() {
        let err = Config::parse(Path::new("c.toml"), "[roles]\nsuperuser = []\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("superuser"), "{err}");
        let err = Config::parse(Path::new("c.toml"), "[security]\nidle_lock = 3\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("idle_lock"), "{err}");
    }

    #[test]
    fn weak_hashing_and_silly_numbers_are_refused() {
        let err = Config::parse(
            Path::new("c.toml"),
            "[security.argon2]\nmemory_kib = 1024\niterations = 1\nparallelism = 1\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("security.argon2"), "{err}");
        let err = Config::parse(Path::new("c.toml"), "[security]\nlockout_minutes = 0\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("lockout_minutes is 0"), "{err}");
    }

    #[test]
    fn a_role_left_out_keeps_its_defaults() {
        let config = Config::parse(
            Path::new("c.toml"),
            "[roles]\nhelpdesk = [\"tracker.search\"]\n",
        )
        .unwrap();
        let roles = config.role_map();
        assert!(
            !roles
                .permissions(Role::Helpdesk)
                .contains(&Permission::TrackerRetrieve)
        );
        assert!(
            roles
                .permissions(Role::Clinician)
                .contains(&Permission::TrackerClinical)
        );
    }
}
