//! Private files: created 0600 inside 0700 directories, refused when someone widened their
//! mode, when they belong to another account, or when they are symbolic links (which could
//! point anywhere), and replaced atomically (temp file, fsync, rename, fsync of the directory) so a
//! crash leaves either the old or the new content, never a mix.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use thiserror::Error;

mod pem;
pub use pem::PemSource;

/// A private file or directory that cannot be used as it is.
#[derive(Debug, Error)]
pub enum FileError {
    #[error(
        "{path} has mode {mode:04o}: other local users could read it. Fix it with: chmod {fix:o} {path}",
        path = .path.display()
    )]
    TooOpen { path: PathBuf, mode: u32, fix: u32 },
    #[error(
        "{path} is a symbolic link: a private file must be the file itself. Replace the link \
         with the file it points to",
        path = .path.display()
    )]
    Symlink { path: PathBuf },
    #[error(
        "{path} belongs to user ID {owner}, not to the account running eps-tracker (user ID \
         {me}) or root, so that account could change it. Fix it with: chown {me} {path}",
        path = .path.display()
    )]
    WrongOwner { path: PathBuf, owner: u32, me: u32 },
    #[error(
        "{path} has mode {mode:04o}: other local users could change it. Fix it with: chmod \
         go-w {path}",
        path = .path.display()
    )]
    Writable { path: PathBuf, mode: u32 },
    #[error("cannot create the directory {path}: {source}", path = .path.display())]
    CreateDir { path: PathBuf, source: io::Error },
    #[error("cannot read {path}: {source}", path = .path.display())]
    Read { path: PathBuf, source: io::Error },
    #[error("cannot write {path}: {source}", path = .path.display())]
    Write { path: PathBuf, source: io::Error },
}

/// Creates `dir` and its missing parents; the directories this creates are 0700.
pub fn create_private_dir(dir: &Path) -> Result<(), FileError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|source| FileError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })
}

/// Refuses a file that group or others can read or write, that another account owns, or
/// that is a symbolic link: it holds password hashes or patient identifiers. A missing file
/// is fine (it will be created 0600).
pub fn check_private(path: &Path) -> Result<(), FileError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let Some(meta) = metadata_if_present(path, fs::symlink_metadata(path))? else {
            return Ok(());
        };
        if meta.file_type().is_symlink() {
            return Err(FileError::Symlink {
                path: path.to_path_buf(),
            });
        }
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o077 != 0 {
            let fix = if meta.is_dir() { 0o700 } else { 0o600 };
            return Err(FileError::TooOpen {
                path: path.to_path_buf(),
                mode,
                fix,
            });
        }
        check_owner(path, &meta)?;
    }
    Ok(())
}

/// Refuses a file that decides what the program may do (settings, CA and certificate
/// files) when group or others can change it or another account owns it. Reading it is
/// fine. A missing file is fine too.
pub fn check_protected(path: &Path) -> Result<(), FileError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let Some(meta) = metadata_if_present(path, fs::metadata(path))? else {
            return Ok(());
        };
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o022 != 0 {
            return Err(FileError::Writable {
                path: path.to_path_buf(),
                mode,
            });
        }
        check_owner(path, &meta)?;
    }
    Ok(())
}

fn metadata_if_present(
    path: &Path,
    read: io::Result<fs::Metadata>,
) -> Result<Option<fs::Metadata>, FileError> {
    match read {
        Ok(meta) => Ok(Some(meta)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(FileError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// The file must belong to the account running the program, or to root.
#[cfg(unix)]
fn check_owner(path: &Path, meta: &fs::Metadata) -> Result<(), FileError> {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    let owner = meta.uid();
    if owner == me || owner == 0 {
        return Ok(());
    }
    Err(FileError::WrongOwner {
        path: path.to_path_buf(),
        owner,
        me,
    })
}

/// Options that create a file 0600 (the mode applies only when the file is new).
pub fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

/// Opens (creating if needed) a private lock file beside `path`, for `File::lock`.
pub fn open_lock_file(path: &Path) -> Result<File, FileError> {
    private_options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|source| FileError::Write {
            path: path.to_path_buf(),
            source,
        })
}

/// Replaces `path` with `contents` atomically: a new 0600 temp file in the same directory,
/// written and fsynced, renamed over the target, then the directory fsynced so the rename
/// itself survives a power cut.
pub fn write_atomically(path: &Path, contents: &[u8]) -> Result<(), FileError> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".to_owned());
    let temp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
    let write_err = |source| FileError::Write {
        path: path.to_path_buf(),
        source,
    };
    let result = (|| {
        let mut file = private_options().write(true).create_new(true).open(&temp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        fs::rename(&temp, path)?;
        sync_dir(dir)
    })();
    if result.is_err() {
        // The temp file is ours and useless after a failure; the target is untouched.
        let _ = fs::remove_file(&temp);
    }
    result.map_err(write_err)
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_file_others_can_read_is_refused_with_the_fix() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.toml");
        fs::write(&path, "x").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let err = check_private(&path).unwrap_err().to_string();
        assert!(err.contains("mode 0644"), "{err}");
        assert!(err.contains("chmod 600"), "{err}");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        check_private(&path).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_refused_for_a_private_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("real.toml");
        fs::write(&target, "x").unwrap();
        fs::set_permissions(&target, fs::Permissions::from_mode(0o600)).unwrap();
        let link = dir.path().join("users.toml");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let err = check_private(&link).unwrap_err().to_string();
        assert!(err.contains("symbolic link"), "{err}");
        check_private(&target).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn settings_others_can_change_are_refused_but_reading_is_fine() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        fs::write(&path, "").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o664)).unwrap();
        let err = check_protected(&path).unwrap_err().to_string();
        assert!(err.contains("chmod go-w"), "{err}");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        check_protected(&path).unwrap();
        check_protected(&dir.path().join("missing.toml")).unwrap();
    }

    /// Needs root to give a file away; elsewhere it says so and checks nothing.
    #[cfg(unix)]
    #[test]
    fn a_file_another_account_owns_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("skipped: only root can make a file owned by another account");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        fs::write(&path, "").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        std::os::unix::fs::chown(&path, Some(65534), Some(65534)).unwrap();
        // The account that owns it could change it behind this one's back.
        let err = check_protected(&path).unwrap_err().to_string();
        assert!(err.contains("user ID 65534"), "{err}");
        assert!(err.contains("chown 0"), "{err}");
        assert!(check_private(&path).is_err());
        std::os::unix::fs::chown(&path, Some(0), Some(0)).unwrap();
        check_protected(&path).unwrap();
        check_private(&path).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn atomic_write_creates_a_private_file_and_leaves_no_temp() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.toml");
        write_atomically(&path, b"one").unwrap();
        write_atomically(&path, b"two").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "two");
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
