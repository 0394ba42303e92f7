//! Where state lives and what the user configured: the home (XDG directories or one folder
//! named by `--home` / `EPS_TRACKER_HOME`) and the TOML config file, read into each layer's
//! own settings types.

pub mod fingerprint;
pub mod home;
pub mod managed;
pub mod settings;

pub use fingerprint::SettingsFingerprint;
pub use home::{Home, HomeError};
pub use settings::{Config, ConfigError, SecuritySettings};
