//! The settings file (TOML). A missing file means defaults; a bad one is reported with the
//! file, the line and the value, never a panic. Unknown keys are refused so a typo cannot
//! silently leave a security setting at its default.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;

use crate::files::check_protected;
use crate::security::audit::AuditSettings;
use crate::security::directory::DirectoryConfig;
use crate::security::fingerprint::SettingsFingerprint;
use crate::security::rbac::{RoleMap, RolesConfig};
use crate::security::settings::SecuritySettings;
use crate::security::spine_client::EnvironmentConfig;
use crate::tracker::window::SearchSettings;

/// Everything the settings file can hold.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub security: SecuritySettings,
    /// Role → permissions; roles left out keep their defaults.
    #[serde(default)]
    pub roles: RolesConfig,
    /// The environment used when `--env` is not given (needed when there are several).
    #[serde(default)]
    pub default_environment: Option<String>,
    /// Spine environments by name: `[environments.int]`, `[environments.live]`, …
    #[serde(default)]
    pub environments: BTreeMap<String, EnvironmentConfig>,
    /// The terminal app's key bindings by action (`quit = ["q", "ctrl-q"]`); actions left
    /// out keep their defaults. Checked by the terminal app when it starts.
    #[serde(default)]
    pub keys: BTreeMap<String, Vec<String>>,
    /// The audit trail: rotation (`[audit]`) and forwarding to a syslog collector
    /// (`[audit.forward]`).
    #[serde(default)]
    pub audit: AuditSettings,
    /// `[search]`: the default search window.
    #[serde(default)]
    pub search: SearchSettings,
    /// How long (ms) the terminal app's list selection must rest before the detail of the
    /// selected prescription is fetched (Enter fetches at once).
    #[serde(default = "default_detail_delay_ms")]
    pub detail_delay_ms: u64,
    /// Sign-in against the organisation's directory (LDAP / Active Directory), for users
    /// added with `user add --directory`.
    #[serde(default)]
    pub directory: Option<DirectoryConfig>,
}

fn default_detail_delay_ms() -> u64 {
    250
}

impl Default for Config {
    fn default() -> Self {
        Config {
            security: SecuritySettings::default(),
            roles: RolesConfig::default(),
            default_environment: None,
            environments: BTreeMap::new(),
            keys: BTreeMap::new(),
            search: SearchSettings::default(),
            audit: AuditSettings::default(),
            detail_delay_ms: default_detail_delay_ms(),
            directory: None,
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
    #[error("the settings file cannot be trusted: {0}")]
    Unprotected(String),
    #[error("the settings file {path}: {key} {message}", path = .path.display())]
    Invalid {
        path: PathBuf,
        key: &'static str,
        message: String,
    },
}

impl Config {
    /// Reads the settings file; a missing file gives the defaults. A file that another
    /// account owns, or that group or others can change, is refused: it decides who may see
    /// what.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        check_protected(path).map_err(|e| ConfigError::Unprotected(e.to_string()))?;
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
        if config.audit.rotate_bytes < 64 * 1024 {
            return Err(ConfigError::Invalid {
                path: path.to_path_buf(),
                key: "audit.rotate_bytes",
                message: format!(
                    "is {}: use at least 65536 (64 KiB); the default is 67108864 (64 MiB)",
                    config.audit.rotate_bytes
                ),
            });
        }
        if let Some(forward) = &config.audit.forward {
            forward.validate().map_err(|message| ConfigError::Invalid {
                path: path.to_path_buf(),
                key: "audit.forward",
                message,
            })?;
        }
        if let Some(message) = config.search.problem() {
            return Err(ConfigError::Invalid {
                path: path.to_path_buf(),
                key: "search.default_window_days",
                message,
            });
        }
        if let Some(directory) = &config.directory {
            directory
                .validate()
                .map_err(|message| ConfigError::Invalid {
                    path: path.to_path_buf(),
                    key: "directory",
                    message,
                })?;
        }
        if let Some(name) = &config.default_environment
            && !config.environments.contains_key(name)
        {
            return Err(ConfigError::Invalid {
                path: path.to_path_buf(),
                key: "default_environment",
                message: format!(
                    "names \"{name}\" but there is no [environments.{name}] table{}",
                    known(&config.environments)
                ),
            });
        }
        Ok(config)
    }

    /// The environment to use: `chosen` (from `--env`), else the default, else the only
    /// one configured.
    pub fn environment(&self, chosen: Option<&str>) -> Result<(&str, &EnvironmentConfig), String> {
        let name = match chosen.or(self.default_environment.as_deref()) {
            Some(name) => name,
            None => match self.environments.keys().collect::<Vec<_>>().as_slice() {
                [only] => only.as_str(),
                [] => {
                    return Err(
                        "no Spine environment is configured: add an [environments.NAME] \
                                table to the settings file (see config.example.toml), or try \
                                --sandbox"
                            .to_owned(),
                    );
                }
                _ => {
                    return Err(format!(
                        "several Spine environments are configured: choose one with --env NAME \
                         or set default_environment{}",
                        known(&self.environments)
                    ));
                }
            },
        };
        self.environments
            .get_key_value(name)
            .map(|(name, env)| (name.as_str(), env))
            .ok_or_else(|| {
                format!(
                    "there is no environment \"{name}\" in the settings file{}",
                    known(&self.environments)
                )
            })
    }

    /// The fingerprint of the sections that decide who may do what, as the program will
    /// act on them (after defaults are filled in), so a setting written out at its default
    /// value does not count as a change.
    pub fn fingerprint(&self) -> SettingsFingerprint {
        let environments = serde_json::to_string(&(&self.default_environment, &self.environments))
            .unwrap_or_default();
        SettingsFingerprint::of_sections([
            ("security", format!("{:?}", self.security)),
            ("roles", format!("{:?}", self.role_map())),
            ("environments", environments),
            (
                "directory",
                serde_json::to_string(&self.directory).unwrap_or_default(),
            ),
        ])
    }

    /// The role mapping with the defaults filled in.
    pub fn role_map(&self) -> RoleMap {
        RoleMap::from_config(&self.roles)
    }
}

fn known(environments: &BTreeMap<String, EnvironmentConfig>) -> String {
    if environments.is_empty() {
        String::new()
    } else {
        let names: Vec<&str> = environments.keys().map(String::as_str).collect();
        format!(" (configured: {})", names.join(", "))
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
        if !(1..=168).contains(&self.session_lifetime_hours) {
            return Err(invalid(
                "security.session_lifetime_hours",
                format!("is {}: use 1 to 168 hours", self.session_lifetime_hours),
            ));
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

    fn parse(text: &str) -> Config {
        Config::parse(Path::new("c.toml"), text).unwrap()
    }

    #[test]
    fn an_edit_names_its_section_in_the_fingerprint_and_defaults_written_out_are_no_change() {
        let defaults = parse("").fingerprint();
        let same = parse("[security]\nlockout_after_failures = 5\n").fingerprint();
        assert_eq!(defaults, same);
        assert_eq!(defaults.digest(), same.digest());
        let edited = parse(
            "[security]\nidle_lock_minutes = 60\n[roles]\nhelpdesk = [\"tracker.search\", \
             \"tracker.retrieve\", \"tracker.clinical\"]\n",
        )
        .fingerprint();
        assert_eq!(edited.changed_since(&defaults), ["roles", "security"]);
        assert_ne!(edited.digest(), defaults.digest());
    }

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
        assert_eq!(config.search, SearchSettings::default());
    }

    #[test]
    fn a_search_window_of_zero_days_is_refused_with_its_key() {
        let err = Config::parse(Path::new("c.toml"), "[search]\ndefault_window_days = 0\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("search.default_window_days"), "{err}");
        let ok = Config::parse(Path::new("c.toml"), "[search]\ndefault_window_days = 28\n");
        assert_eq!(ok.unwrap().search.default_window_days, 28);
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
    fn environments_are_chosen_by_flag_default_or_being_the_only_one() {
        let table = |name: &str| {
            format!(
                "[environments.{name}]\nbase_url = \"https://{name}.example/mm\"\nca = \"ca.pem\"\n\
                 cert = \"c.pem\"\nkey = \"c.key\"\nasid = \"200000000001\"\n"
            )
        };
        let one = Config::parse(Path::new("c.toml"), &table("int")).unwrap();
        assert_eq!(one.environment(None).unwrap().0, "int");
        assert!(
            one.environment(Some("live"))
                .unwrap_err()
                .contains("configured: int")
        );
        let two = format!("{}{}", table("int"), table("live"));
        let both = Config::parse(Path::new("c.toml"), &two).unwrap();
        assert!(both.environment(None).unwrap_err().contains("--env"));
        assert_eq!(both.environment(Some("live")).unwrap().0, "live");
        let with_default = format!("default_environment = \"live\"\n{two}");
        let config = Config::parse(Path::new("c.toml"), &with_default).unwrap();
        assert_eq!(config.environment(None).unwrap().0, "live");
        let bad = format!("default_environment = \"dep\"\n{two}");
        let err = Config::parse(Path::new("c.toml"), &bad)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no [environments.dep] table"), "{err}");
        assert!(
            Config::default()
                .environment(None)
                .unwrap_err()
                .contains("--sandbox")
        );
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

    #[test]
    fn the_settings_file_takes_an_audit_section_and_names_a_bad_key() {
        let path = std::path::Path::new("config.toml");
        let config = Config::parse(
            path,
            "[audit]\nrotate_bytes = 1048576\n[audit.forward]\naddress = \"h:514\"\n\
             facility = \"local3\"\n",
        )
        .unwrap();
        assert_eq!(config.audit.rotate_bytes, 1_048_576);
        let forward = config.audit.forward.unwrap();
        assert_eq!(forward.facility, crate::security::audit::Facility::Local3);
        assert_eq!(forward.app_name, "eps-tracker");
        let err = Config::parse(path, "[audit.forward]\naddress = \"h\"\n").unwrap_err();
        assert!(err.to_string().contains("audit.forward"), "{err}");
        let err = Config::parse(path, "[audit]\nrotate_bytes = 10\n").unwrap_err();
        assert!(err.to_string().contains("audit.rotate_bytes"), "{err}");
        assert_eq!(Config::default().audit.rotate_bytes, 64 * 1024 * 1024);
    }
}
