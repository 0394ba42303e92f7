//! The local user store: one TOML file (0600) holding each account's argon2id hash, Spine
//! user ID, role profiles and lockout state. Every change re-reads the file under an
//! exclusive lock, applies the change and replaces the file atomically, so a crash never
//! leaves half a file and two running instances never lose each other's updates.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::hashing::{HashError, HashParams};
use super::identity::{LocalUserId, OdsCode, RoleProfileId, SpineUserId};
use super::rbac::Role;
use crate::files::{self, FileError};

/// The store layout this program writes and reads.
const FORMAT: u32 = 1;

/// A role profile: the Spine role profile, the organisation it belongs to, and the local
/// role (which fixes the permissions) the user acts in when they choose it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleProfile {
    pub id: RoleProfileId,
    pub ods: OdsCode,
    pub role: Role,
}

/// A stored argon2id PHC string; `Debug` hides it so a hash never reaches a log.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StoredHash(pub(crate) String);

impl fmt::Debug for StoredHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StoredHash(redacted)")
    }
}

/// One local account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserRecord {
    pub id: LocalUserId,
    pub display_name: String,
    pub spine_user_id: SpineUserId,
    pub password_hash: StoredHash,
    pub password_changed: DateTime<Utc>,
    /// Locked by an administrator until unlocked by one.
    #[serde(default)]
    pub disabled: bool,
    /// Consecutive failed sign-ins since the last success or lockout.
    #[serde(default)]
    pub failed_sign_ins: u32,
    /// Locked out after too many failures, until this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locked_until: Option<DateTime<Utc>>,
    #[serde(default)]
    pub role_profiles: Vec<RoleProfile>,
    /// Signs in with the organisation's directory password (`[directory]`); the local
    /// password hash is then unusable.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub directory: bool,
}

impl UserRecord {
    /// Whether any of the user's role profiles is `role`.
    pub fn has_role(&self, role: Role) -> bool {
        self.role_profiles.iter().any(|p| p.role == role)
    }

    /// The lockout end, if the account is locked out at `now`.
    pub fn locked_out_until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.locked_until.filter(|until| *until > now)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoreHeader {
    format: u32,
    argon2: HashParams,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoreFile {
    store: StoreHeader,
    #[serde(default)]
    users: Vec<UserRecord>,
}

/// Why the user store cannot be read or changed.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("{0}")]
    File(#[from] FileError),
    #[error(
        "the user store {path} is not valid: {message}\nFix the line shown, or restore the file \
         from a backup.",
        path = .path.display()
    )]
    Invalid { path: PathBuf, message: String },
    #[error(
        "the user store {path} has format {found}, this program reads format {FORMAT}: use a \
         newer eps-tracker",
        path = .path.display()
    )]
    Format { path: PathBuf, found: u32 },
    #[error("the user store {path} lists user \"{id}\" twice: remove one", path = .path.display())]
    Duplicate { path: PathBuf, id: LocalUserId },
    #[error("cannot lock the user store {path}: {source}", path = .path.display())]
    Lock { path: PathBuf, source: io::Error },
    #[error("{0}")]
    Hash(#[from] HashError),
}

/// The local users, as last read from disk.
#[derive(Debug)]
pub struct UserStore {
    path: PathBuf,
    configured: HashParams,
    data: StoreFile,
}

impl UserStore {
    /// Reads the store at `path` (a missing file is an empty store, created on first change).
    /// New hashes use the stronger of `configured` and the cost the store already records,
    /// so the cost never silently falls.
    pub fn open(path: &Path, configured: HashParams) -> Result<Self, StoreError> {
        let data = read_store(path, configured)?;
        Ok(Self {
            path: path.to_path_buf(),
            configured,
            data,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn users(&self) -> &[UserRecord] {
        &self.data.users
    }

    pub fn is_empty(&self) -> bool {
        self.data.users.is_empty()
    }

    /// Finds a user by the ID as typed (no match for an invalid ID).
    pub fn find(&self, id: &str) -> Option<&UserRecord> {
        self.data.users.iter().find(|u| u.id.as_str() == id)
    }

    /// The cost new password hashes are made with.
    pub fn hash_params(&self) -> HashParams {
        self.data.store.argon2.max(self.configured)
    }

    /// Re-reads the file (another instance may have changed it).
    pub fn reload(&mut self) -> Result<(), StoreError> {
        self.data = read_store(&self.path, self.configured)?;
        Ok(())
    }

    /// Applies `change` to the current users under an exclusive lock and saves atomically.
    /// The file is re-read inside the lock, so concurrent changes by another instance are
    /// kept. Nothing is written when `change` fails.
    pub fn update<T, E>(
        &mut self,
        change: impl FnOnce(&mut Vec<UserRecord>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        if let Some(parent) = self.path.parent() {
            files::create_private_dir(parent).map_err(StoreError::from)?;
        }
        let lock_path = lock_path_for(&self.path);
        let lock = files::open_lock_file(&lock_path).map_err(StoreError::from)?;
        lock.lock().map_err(|source| StoreError::Lock {
            path: lock_path.clone(),
            source,
        })?;
        let mut fresh = read_store(&self.path, self.configured)?;
        let outcome = change(&mut fresh.users)?;
        fresh.store.argon2 = fresh.store.argon2.max(self.configured);
        let text = render(&fresh)?;
        files::write_atomically(&self.path, text.as_bytes()).map_err(StoreError::from)?;
        self.data = fresh;
        // Dropping `lock` closes the file, which releases the lock.
        drop(lock);
        Ok(outcome)
    }
}

fn lock_path_for(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    path.with_file_name(name)
}

fn read_store(path: &Path, configured: HashParams) -> Result<StoreFile, StoreError> {
    files::check_private(path)?;
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Ok(StoreFile {
                store: StoreHeader {
                    format: FORMAT,
                    argon2: configured,
                },
                users: Vec::new(),
            });
        }
        Err(source) => {
            return Err(FileError::Read {
                path: path.to_path_buf(),
                source,
            }
            .into());
        }
    };
    let data: StoreFile = toml::from_str(&text).map_err(|e| StoreError::Invalid {
        path: path.to_path_buf(),
        message: e.to_string().trim_end().to_owned(),
    })?;
    if data.store.format != FORMAT {
        return Err(StoreError::Format {
            path: path.to_path_buf(),
            found: data.store.format,
        });
    }
    for (index, user) in data.users.iter().enumerate() {
        if data.users[..index].iter().any(|u| u.id == user.id) {
            return Err(StoreError::Duplicate {
                path: path.to_path_buf(),
                id: user.id.clone(),
            });
        }
    }
    Ok(data)
}

fn render(data: &StoreFile) -> Result<String, StoreError> {
    let body = toml::to_string(data).map_err(|e| StoreError::Invalid {
        path: PathBuf::from("(in memory)"),
        message: e.to_string(),
    })?;
    Ok(format!(
        "# eps-tracker local users. Change with `eps-tracker user …`, not by hand: a mistake here\n\
         # locks everyone out until it is fixed.\n\n{body}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str) -> UserRecord {
        UserRecord {
            id: LocalUserId::parse(id).unwrap(),
            display_name: format!("User {id}"),
            spine_user_id: SpineUserId::parse("555000000001").unwrap(),
            password_hash: StoredHash("$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA".into()),
            password_changed: DateTime::UNIX_EPOCH,
            disabled: false,
            failed_sign_ins: 0,
            locked_until: None,
            role_profiles: vec![RoleProfile {
                id: RoleProfileId::parse("555000000101").unwrap(),
                ods: OdsCode::parse("A83008").unwrap(),
                role: Role::Helpdesk,
            }],
            directory: false,
        }
    }

    #[test]
    fn changes_survive_a_reopen_and_two_handles_do_not_lose_updates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.toml");
        let params = HashParams::FAST_INSECURE_FOR_TESTS;
        let mut first = UserStore::open(&path, params).unwrap();
        let mut second = UserStore::open(&path, params).unwrap();
        first
            .update(|users| {
                users.push(record("alice"));
                Ok::<_, StoreError>(())
            })
            .unwrap();
        // `second` has a stale view; its update must still keep alice.
        second
            .update(|users| {
                users.push(record("bob"));
                Ok::<_, StoreError>(())
            })
            .unwrap();
        let reopened = UserStore::open(&path, params).unwrap();
        let ids: Vec<_> = reopened.users().iter().map(|u| u.id.as_str()).collect();
        assert_eq!(ids, ["alice", "bob"]);
        assert_eq!(
            reopened.find("bob").unwrap().role_profiles[0].role,
            Role::Helpdesk
        );
    }

    #[test]
    fn concurrent_updates_from_threads_all_land() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.toml");
        let params = HashParams::FAST_INSECURE_FOR_TESTS;
        let threads: Vec<_> = (0..4)
            .map(|n| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let mut store = UserStore::open(&path, params).unwrap();
                    for i in 0..5 {
                        store
                            .update(|users| {
                                users.push(record(&format!("u{n}-{i}")));
                                Ok::<_, StoreError>(())
                            })
                            .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(UserStore::open(&path, params).unwrap().users().len(), 20);
    }

    #[test]
    fn a_failed_change_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.toml");
        let mut store = UserStore::open(&path, HashParams::FAST_INSECURE_FOR_TESTS).unwrap();
        let result = store.update(|users| {
            users.push(record("alice"));
            Err::<(), _>(StoreError::Format {
                path: PathBuf::new(),
                found: 0,
            })
        });
        assert!(result.is_err());
        assert!(!path.exists());
    }

    #[test]
    fn a_hand_edited_invalid_file_is_reported_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.toml");
        files::write_atomically(
            &path,
            b"[store]\nformat = 1\nargon2 = { memory_kib = 64, iterations = 1, parallelism = 1 }\n\n[[users]]\nid = \"alice\nbroken\n",
        )
        .unwrap();
        let err = UserStore::open(&path, HashParams::FAST_INSECURE_FOR_TESTS)
            .unwrap_err()
            .to_string();
        assert!(err.contains("not valid"), "{err}");
        assert!(err.contains("line 7"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn a_store_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.toml");
        let mut store = UserStore::open(&path, HashParams::FAST_INSECURE_FOR_TESTS).unwrap();
        store
            .update(|users| {
                users.push(record("alice"));
                Ok::<_, StoreError>(())
            })
            .unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = UserStore::open(&path, HashParams::FAST_INSECURE_FOR_TESTS)
            .unwrap_err()
            .to_string();
        assert!(err.contains("chmod 600"), "{err}");
    }

    #[test]
    fn the_hash_cost_never_falls_below_what_the_store_records() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.toml");
        let mut strong = UserStore::open(&path, HashParams::OWASP).unwrap();
        strong
            .update(|users| {
                users.push(record("alice"));
                Ok::<_, StoreError>(())
            })
            .unwrap();
        let weak = UserStore::open(&path, HashParams::FAST_INSECURE_FOR_TESTS).unwrap();
        assert_eq!(weak.hash_params(), HashParams::OWASP);
    }
}
