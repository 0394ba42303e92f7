//! Where state lives and what the user configured: the home (XDG directories or one folder
//! named by `--home` / `EPS_TRACKER_HOME`), the TOML config file, and the private-file
//! rules (0600 files, 0700 directories, atomic replacement) every state file follows.

pub mod files;
pub mod fingerprint;
pub mod home;
pub mod managed;
pub mod settings;

pub use fingerprint::SettingsFingerprint;
pub use home::{Home, HomeError};
pub use settings::{Config, ConfigError, SecuritySettings};
