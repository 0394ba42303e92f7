//! Where state lives and what the user configured: the home (XDG directories or one folder
//! named by `--home` / `EPS_TRACKER_HOME`) and the TOML config file, read into each layer's
//! own settings types.

pub mod home;
pub mod managed;
pub mod settings;
pub mod setup;

pub use home::{Home, HomeError};
pub use settings::{Config, ConfigError};
