//! The one home for all state. Either one folder (`--home DIR` or `EPS_TRACKER_HOME`) holding
//! everything, or the XDG directories (config in the config dir, users, audit and
//! certificates in the data dir). `--sandbox` gets its own home inside the data dir (or
//! inside the `--home` folder), so sandbox accounts and audit records never mix with real
//! ones.

use std::path::{Path, PathBuf};

use thiserror::Error;

use super::managed::{self, Managed, ManagedError};
use crate::files::{FileError, create_private_dir};

/// Every path the program reads or writes state at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Home {
    /// The settings file (TOML). Missing means defaults.
    pub config_file: PathBuf,
    /// Local user accounts: password hashes, role profiles, lockout state.
    pub users_file: PathBuf,
    /// The audit trail directory.
    pub audit_dir: PathBuf,
    /// Client certificates and keys for Spine (and the sandbox's generated ones).
    pub certs_dir: PathBuf,
    /// Log files (tracing): never the terminal.
    pub log_dir: PathBuf,
    /// Whether this is the sandbox's separate home.
    pub sandbox: bool,
    /// The managed install this home belongs to, if any.
    pub managed: Option<Managed>,
}

/// Why no home could be found or prepared.
#[derive(Debug, Error)]
pub enum HomeError {
    #[error(
        "cannot tell where your home directory is, so there is nowhere to keep settings, users \
         and the audit trail: give a folder with --home DIR or EPS_TRACKER_HOME"
    )]
    NoHomeDirectory,
    #[error("{0}")]
    File(#[from] FileError),
    #[error("{0}")]
    System(#[from] ManagedError),
    #[error(
        "this is a managed install ({source}): the home is {home} and cannot be moved, so \
         --home and EPS_TRACKER_HOME are not allowed. Run eps-tracker without them (or with \
         --sandbox to try it against the simulator)",
        source = .managed.source.display(),
        home = .managed.home.display()
    )]
    Managed { managed: Managed },
}

impl Home {
    /// Picks the home: `explicit` (from `--home` / `EPS_TRACKER_HOME`) or the XDG
    /// directories; with `sandbox`, the separate sandbox home inside it.
    /// In a managed install (see `managed`), the real home is the managed one and an
    /// explicit home is refused; the sandbox, which cannot reach Spine, still works.
    pub fn resolve(explicit: Option<&Path>, sandbox: bool) -> Result<Self, HomeError> {
        if !sandbox && let Some(managed) = managed::detect()? {
            if explicit.is_some() {
                return Err(HomeError::Managed { managed });
            }
            let mut home = Self::in_folder(&managed.home, false);
            home.managed = Some(managed);
            return Ok(home);
        }
        match (explicit, sandbox) {
            (Some(dir), false) => Ok(Self::in_folder(dir, false)),
            (Some(dir), true) => Ok(Self::in_folder(&dir.join("sandbox"), true)),
            (None, _) => {
                let dirs = directories::ProjectDirs::from("", "", "eps-tracker")
                    .ok_or(HomeError::NoHomeDirectory)?;
                let data = dirs.data_dir();
                if sandbox {
                    return Ok(Self::in_folder(&data.join("sandbox"), true));
                }
                let logs = dirs
                    .state_dir()
                    .unwrap_or_else(|| dirs.data_local_dir())
                    .join("logs");
                Ok(Self {
                    config_file: dirs.config_dir().join("config.toml"),
                    users_file: data.join("users.toml"),
                    audit_dir: data.join("audit"),
                    certs_dir: data.join("certs"),
                    log_dir: logs,
                    sandbox: false,
                    managed: None,
                })
            }
        }
    }

    /// Everything under one folder.
    pub fn in_folder(root: &Path, sandbox: bool) -> Self {
        Self {
            config_file: root.join("config.toml"),
            users_file: root.join("users.toml"),
            audit_dir: root.join("audit"),
            certs_dir: root.join("certs"),
            log_dir: root.join("logs"),
            sandbox,
            managed: None,
        }
    }

    /// Creates the directories that hold private state (0700 when new).
    pub fn prepare(&self) -> Result<(), HomeError> {
        for dir in [&self.audit_dir, &self.certs_dir, &self.log_dir] {
            create_private_dir(dir)?;
        }
        for file in [&self.users_file, &self.config_file] {
            if let Some(parent) = file.parent() {
                create_private_dir(parent)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_explicit_home_holds_everything_and_the_sandbox_lives_apart() {
        let real = Home::resolve(Some(Path::new("/srv/eps")), false).unwrap();
        let sandbox = Home::resolve(Some(Path::new("/srv/eps")), true).unwrap();
        assert_eq!(real.users_file, Path::new("/srv/eps/users.toml"));
        assert_eq!(real.audit_dir, Path::new("/srv/eps/audit"));
        assert_eq!(sandbox.users_file, Path::new("/srv/eps/sandbox/users.toml"));
        assert_eq!(sandbox.audit_dir, Path::new("/srv/eps/sandbox/audit"));
        assert!(sandbox.sandbox && !real.sandbox);
    }

    #[cfg(unix)]
    #[test]
    fn prepare_makes_private_directories() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let home = Home::in_folder(&dir.path().join("home"), false);
        home.prepare().unwrap();
        let mode = std::fs::metadata(&home.audit_dir)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
    }
}
