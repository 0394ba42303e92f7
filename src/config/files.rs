//! Private files: created 0600 inside 0700 directories, refused when someone widened their
//! mode, and replaced atomically (temp file, fsync, rename, fsync of the directory) so a
//! crash leaves either the old or the new content, never a mix.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use thiserror::Error;

/// A private file or directory that cannot be used as it is.
#[derive(Debug, Error)]
pub enum FileError {
    #[error(
        "{path} has mode {mode:04o}: other local users could read it. Fix it with: chmod {fix:o} {path}",
        path = .path.display()
    )]
    TooOpen { path: PathBuf, mode: u32, fix: u32 },
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

/// Refuses a file that group or others can read or write: it holds password hashes or
/// patient identifiers. A missing file is fine (it will be created 0600).
pub fn check_private(path: &Path) -> Result<(), FileError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        match fs::metadata(path) {
            Ok(meta) => {
                let mode = meta.permissions().mode() & 0o7777;
                if mode & 0o077 != 0 {
                    let fix = if meta.is_dir() { 0o700 } else { 0o600 };
                    return Err(FileError::TooOpen {
                        path: path.to_path_buf(),
                        mode,
                        fix,
                    });
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(FileError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        }
    }
    Ok(())
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
