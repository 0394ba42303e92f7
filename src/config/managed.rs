//! A managed install: a root-owned `/etc/eps-tracker/config.toml` whose `[managed]` table
//! fixes the home (and names the service account that alone may read the Spine key). Then
//! no flag or environment variable moves the home or the settings, and only root or the
//! service account can make the first administrator (`eps-tracker init`).
//!
//! Tests point at another system file with `EPS_TRACKER_TEST_SYSTEM_CONFIG`; release builds
//! do not read that variable, so it cannot be used to step out of a managed install.

use std::io;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;

/// Where a managed install's system settings live.
pub const SYSTEM_CONFIG: &str = "/etc/eps-tracker/config.toml";

/// The `[managed]` table of the system settings file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Managed {
    /// The one home: settings (`config.toml`), users, audit trail and certificates.
    pub home: PathBuf,
    /// The account the program runs as, which alone can read the Spine key.
    #[serde(default)]
    pub service_account: Option<String>,
    /// The system settings file this came from, for messages.
    #[serde(skip)]
    pub source: PathBuf,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SystemConfig {
    managed: Option<Managed>,
}

/// Why the system settings file cannot be used. Nothing goes ahead until it is fixed: a
/// system file that anyone could have written must not decide where the home is.
#[derive(Debug, Error)]
pub enum ManagedError {
    #[error("the system settings file {path} {problem}", path = .path.display())]
    Unsafe { path: PathBuf, problem: String },
    #[error("cannot read the system settings file {path}: {source}", path = .path.display())]
    Read { path: PathBuf, source: io::Error },
    #[error("the system settings file {path} is not valid: {message}", path = .path.display())]
    Invalid { path: PathBuf, message: String },
}

/// The system settings file to read: the fixed path, or in test builds the one a test names.
fn system_config_path() -> PathBuf {
    #[cfg(debug_assertions)]
    if let Some(path) = std::env::var_os("EPS_TRACKER_TEST_SYSTEM_CONFIG") {
        return PathBuf::from(path);
    }
    PathBuf::from(SYSTEM_CONFIG)
}

/// The managed install's settings, or `None` when this is not a managed install.
pub fn detect() -> Result<Option<Managed>, ManagedError> {
    read(&system_config_path())
}

fn read(path: &Path) -> Result<Option<Managed>, ManagedError> {
    let unsafe_file = |problem: String| ManagedError::Unsafe {
        path: path.to_path_buf(),
        problem,
    };
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(ManagedError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        if meta.file_type().is_symlink() {
            return Err(unsafe_file(format!(
                "is a symbolic link: replace it with the file itself (owned by root, mode 0644): \
                 cp --remove-destination \"$(readlink -f {p})\" {p}",
                p = path.display()
            )));
        }
        if meta.uid() != 0 {
            return Err(unsafe_file(format!(
                "belongs to user ID {}, not root: fix it with: chown root:root {}",
                meta.uid(),
                path.display()
            )));
        }
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o022 != 0 {
            return Err(unsafe_file(format!(
                "has mode {mode:04o}: group or others could change it. Fix it with: chmod \
                 go-w {}",
                path.display()
            )));
        }
    }
    #[cfg(not(unix))]
    let _ = (meta, unsafe_file);
    let text = std::fs::read_to_string(path).map_err(|source| ManagedError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let config: SystemConfig = toml::from_str(&text).map_err(|e| ManagedError::Invalid {
        path: path.to_path_buf(),
        message: e.to_string().trim_end().to_owned(),
    })?;
    let Some(mut managed) = config.managed else {
        return Ok(None);
    };
    if !managed.home.is_absolute() {
        return Err(ManagedError::Invalid {
            path: path.to_path_buf(),
            message: format!(
                "[managed] home = \"{}\" must be an absolute path",
                managed.home.display()
            ),
        });
    }
    managed.source = path.to_path_buf();
    Ok(Some(managed))
}

/// The user ID of `account` from `/etc/passwd`, to tell whether the service account runs
/// the program.
pub fn uid_of(account: &str) -> Option<u32> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        (fields.next()? == account)
            .then(|| fields.nth(1)?.parse().ok())
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_system_file_others_can_change_or_a_symlink_is_refused_with_the_fix() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        assert!(read(&path).unwrap().is_none(), "no file: not managed");
        std::fs::write(&path, "[managed]\nhome = \"/var/lib/eps-tracker\"\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o664)).unwrap();
        let err = read(&path).unwrap_err().to_string();
        // Run as root (CI) the mode is the problem; otherwise the owner is.
        assert!(
            err.contains("chmod go-w") || err.contains("chown root:root"),
            "{err}"
        );
        let link = dir.path().join("link.toml");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        let err = read(&link).unwrap_err().to_string();
        assert!(err.contains("symbolic link"), "{err}");
    }

    #[test]
    fn root_is_found_in_the_password_file() {
        assert_eq!(uid_of("root"), Some(0));
        assert_eq!(uid_of("no-such-account-here"), None);
    }
}
