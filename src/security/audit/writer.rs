//! Appending to the trail. Each append takes an exclusive lock on the file (so two running
//! instances cannot fork the chain), finds the last record's hash, writes the new record
//! with one `write_all` on an `O_APPEND` descriptor, and `sync_data`s before returning: a
//! record reported as written survives a power cut. A `.head` file beside the trail keeps
//! the last sequence number and hash, so deleting records from the end is caught too.

use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

use super::origin::Origin;
use super::record::{AuditEntry, Event};
use crate::config::files::{self, FileError};

/// The name of the trail file inside the audit directory.
pub const ACTIVE_FILE: &str = "audit.jsonl";
/// The hash a header record points back to.
pub(crate) const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// Record layout version, written in each header.
pub(crate) const FORMAT: u32 = 1;
/// Longest line the tail reader looks back over; records are a few hundred bytes.
const MAX_LINE: u64 = 64 * 1024;

/// Why a record could not be written. Whatever needed the record must not go ahead.
#[derive(Debug, Error)]
pub enum AuditError {
    #[error("cannot open the audit trail {path} for writing: {source}", path = .path.display())]
    Open { path: PathBuf, source: io::Error },
    #[error("{0}")]
    Mode(#[from] FileError),
    #[error(
        "the audit trail {path} is read-only (mode {mode:04o}): nothing can be recorded. If that \
         was not deliberate, fix it with: chmod 600 {path}",
        path = .path.display()
    )]
    ReadOnly { path: PathBuf, mode: u32 },
    #[error("cannot lock the audit trail {path}: {source}", path = .path.display())]
    Lock { path: PathBuf, source: io::Error },
    #[error("cannot write to the audit trail {path}: {}", describe_write_error(.source), path = .path.display())]
    Write { path: PathBuf, source: io::Error },
    #[error("the audit writer stopped unexpectedly: {0}")]
    Interrupted(String),
    #[error(
        "the audit trail {path} ends with a damaged record ({message}): run `eps-tracker audit \
         verify`, keep the evidence, then move this file and its .head file out of the audit \
         folder to start a new trail",
        path = .path.display()
    )]
    Damaged { path: PathBuf, message: String },
}

fn describe_write_error(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::StorageFull => format!("the disk is full ({error})"),
        io::ErrorKind::PermissionDenied => format!("permission denied ({error})"),
        _ => error.to_string(),
    }
}

/// A handle on the trail, cheap to clone and shared by sign-in, the gate and the commands.
#[derive(Debug, Clone)]
pub struct AuditLog {
    inner: Arc<Mutex<Writer>>,
}

#[derive(Debug)]
struct Writer {
    path: PathBuf,
    file: File,
    head: File,
    origin: Origin,
    /// The end of the file as this process last wrote it; re-read when the length differs
    /// (another instance appended).
    tail: Option<Tail>,
}

#[derive(Debug, Clone)]
struct Tail {
    len: u64,
    seq: u64,
    hash: String,
}

/// Where the chain ends, as read from the file.
struct FoundTail {
    last: Option<(u64, String)>,
    torn_bytes: Option<u64>,
}

#[derive(Serialize)]
struct Line<'a> {
    seq: u64,
    ts: String,
    #[serde(flatten)]
    entry: &'a AuditEntry,
    #[serde(skip_serializing_if = "Option::is_none")]
    torn_bytes: Option<u64>,
    #[serde(flatten)]
    origin: &'a Origin,
    prev: &'a str,
}

#[derive(Deserialize)]
struct Link {
    seq: u64,
    hash: String,
}

impl AuditLog {
    /// Opens (creating if needed, 0600) the trail in `dir`. Fails when the file cannot be
    /// written: callers must then refuse whatever needed auditing.
    pub fn open(dir: &Path, origin: Origin) -> Result<Self, AuditError> {
        files::create_private_dir(dir)?;
        let path = dir.join(ACTIVE_FILE);
        let head_path = head_path_for(&path);
        files::check_private(&path)?;
        files::check_private(&head_path)?;
        refuse_read_only(&path)?;
        let open_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| AuditError::Open { path, source }
        };
        let file = files::private_options()
            .append(true)
            .read(true)
            .create(true)
            .open(&path)
            .map_err(open_err(&path))?;
        let head = files::private_options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&head_path)
            .map_err(open_err(&head_path))?;
        Ok(Self::from_parts(path, file, head, origin))
    }

    fn from_parts(path: PathBuf, file: File, head: File, origin: Origin) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Writer {
                path,
                file,
                head,
                origin,
                tail: None,
            })),
        }
    }

    /// The active trail file.
    pub fn path(&self) -> PathBuf {
        self.writer().path.clone()
    }

    /// Writes one record durably and returns its sequence number. On error nothing may be
    /// assumed written.
    pub fn append(&self, entry: &AuditEntry, now: DateTime<Utc>) -> Result<u64, AuditError> {
        self.writer().append(entry, now)
    }

    fn writer(&self) -> std::sync::MutexGuard<'_, Writer> {
        // A panic elsewhere while holding the lock leaves only the cached tail, which is
        // re-checked against the file's length on every append: safe to keep going.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Refuses a trail whose owner-write bit is off: someone made it read-only on purpose,
/// and the superuser would otherwise write to it regardless.
fn refuse_read_only(path: &Path) -> Result<(), AuditError> {
    use std::os::unix::fs::PermissionsExt;
    match std::fs::metadata(path) {
        Ok(meta) if meta.permissions().mode() & 0o200 == 0 => Err(AuditError::ReadOnly {
            path: path.to_path_buf(),
            mode: meta.permissions().mode() & 0o7777,
        }),
        _ => Ok(()),
    }
}

pub(crate) fn head_path_for(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".head");
    path.with_file_name(name)
}

impl Writer {
    fn append(&mut self, entry: &AuditEntry, now: DateTime<Utc>) -> Result<u64, AuditError> {
        self.file.lock().map_err(|source| AuditError::Lock {
            path: self.path.clone(),
            source,
        })?;
        let result = self.append_locked(entry, now);
        // Closing would release the lock too; unlocking now lets the other instance in.
        let _ = self.file.unlock();
        if result.is_err() {
            self.tail = None;
        }
        result
    }

    fn append_locked(&mut self, entry: &AuditEntry, now: DateTime<Utc>) -> Result<u64, AuditError> {
        let write_err = |source| AuditError::Write {
            path: self.path.clone(),
            source,
        };
        let len = self.file.metadata().map_err(write_err)?.len();
        let found = match &self.tail {
            Some(tail) if tail.len == len => FoundTail {
                last: Some((tail.seq, tail.hash.clone())),
                torn_bytes: None,
            },
            _ => read_tail(&self.file, len, &self.path)?,
        };
        let ts = now.to_rfc3339_opts(SecondsFormat::Millis, true);
        let mut bytes = Vec::with_capacity(1024);
        let mut torn_bytes = found.torn_bytes;
        if torn_bytes.is_some() {
            // End the torn line so the next record starts on a line of its own; the next
            // record names the torn length so verification can tell a crash from an edit.
            bytes.push(b'\n');
        }
        let (seq, prev) = match found.last {
            Some((seq, hash)) => (seq + 1, hash),
            None => {
                let header = AuditEntry {
                    chain: Some(uuid::Uuid::new_v4().to_string()),
                    format: Some(FORMAT),
                    ..AuditEntry::new(Event::ChainStart)
                };
                let hash = push_line(
                    &mut bytes,
                    0,
                    &ts,
                    &header,
                    torn_bytes.take(),
                    &self.origin,
                    GENESIS,
                );
                (1, hash)
            }
        };
        let hash = push_line(&mut bytes, seq, &ts, entry, torn_bytes, &self.origin, &prev);
        self.file.write_all(&bytes).map_err(write_err)?;
        self.file.sync_data().map_err(write_err)?;
        // The head lags at most one record behind after a crash here; verification allows
        // that. It is not fsynced: the trail's own sync is the durability point.
        let head_line = format!("{seq:020} {hash}\n");
        self.head
            .write_all_at(head_line.as_bytes(), 0)
            .map_err(|source| AuditError::Write {
                path: head_path_for(&self.path),
                source,
            })?;
        self.tail = Some(Tail {
            len: len + bytes.len() as u64,
            seq,
            hash,
        });
        Ok(seq)
    }
}

/// Serialises one record, appends it and its newline to `out`, and returns its hash.
fn push_line(
    out: &mut Vec<u8>,
    seq: u64,
    ts: &str,
    entry: &AuditEntry,
    torn_bytes: Option<u64>,
    origin: &Origin,
    prev: &str,
) -> String {
    let line = Line {
        seq,
        ts: ts.to_owned(),
        entry,
        torn_bytes,
        origin,
        prev,
    };
    // Serialising plain strings, numbers and enums into a Vec cannot fail.
    let body = serde_json::to_vec(&line).unwrap_or_default();
    let hash = hex::encode(Sha256::digest(&body));
    let without_brace = body.len().saturating_sub(1);
    out.extend_from_slice(&body[..without_brace]);
    out.extend_from_slice(b",\"hash\":\"");
    out.extend_from_slice(hash.as_bytes());
    out.extend_from_slice(b"\"}\n");
    hash
}

/// Reads the end of the file: the last complete record's sequence number and hash, and
/// the length of a torn last line left by a crash.
fn read_tail(file: &File, len: u64, path: &Path) -> Result<FoundTail, AuditError> {
    if len == 0 {
        return Ok(FoundTail {
            last: None,
            torn_bytes: None,
        });
    }
    let start = len.saturating_sub(MAX_LINE);
    let mut buf = vec![0u8; (len - start) as usize];
    file.read_exact_at(&mut buf, start)
        .map_err(|source| AuditError::Write {
            path: path.to_path_buf(),
            source,
        })?;
    let damaged = |message: &str| AuditError::Damaged {
        path: path.to_path_buf(),
        message: message.to_owned(),
    };
    // `complete` ends just after the last newline; anything after it is a torn line.
    let complete = match buf.iter().rposition(|b| *b == b'\n') {
        Some(pos) => pos + 1,
        None if start == 0 => {
            return Ok(FoundTail {
                last: None,
                torn_bytes: Some(len),
            });
        }
        None => return Err(damaged("its last line is longer than any record")),
    };
    let torn_bytes = (complete < buf.len()).then(|| (buf.len() - complete) as u64);
    let body = &buf[..complete - 1];
    let line_start = match body.iter().rposition(|b| *b == b'\n') {
        Some(pos) => pos + 1,
        None if start == 0 => 0,
        None => return Err(damaged("its last record is longer than any record")),
    };
    let link: Link = serde_json::from_slice(&body[line_start..])
        .map_err(|_| damaged("its last complete line is not an audit record"))?;
    Ok(FoundTail {
        last: Some((link.seq, link.hash)),
        torn_bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> AuditEntry {
        AuditEntry::new(Event::SignOut).target("x")
    }

    #[test]
    fn a_full_disk_is_reported_as_such() {
        let Ok(full) = files::private_options().append(true).open("/dev/full") else {
            return; // no /dev/full on this system
        };
        let dir = tempfile::tempdir().unwrap();
        let head = File::create(dir.path().join("h")).unwrap();
        let log = AuditLog::from_parts(dir.path().join(ACTIVE_FILE), full, head, Origin::default());
        let err = log.append(&entry(), Utc::now()).unwrap_err();
        assert!(err.to_string().contains("the disk is full"), "{err}");
    }

    #[test]
    fn the_first_append_writes_a_header_and_later_ones_chain_on() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::open(dir.path(), Origin::default()).unwrap();
        assert_eq!(log.append(&entry(), Utc::now()).unwrap(), 1);
        assert_eq!(log.append(&entry(), Utc::now()).unwrap(), 2);
        let again = AuditLog::open(dir.path(), Origin::default()).unwrap();
        assert_eq!(again.append(&entry(), Utc::now()).unwrap(), 3);
        let text = std::fs::read_to_string(log.path()).unwrap();
        assert_eq!(text.lines().count(), 4);
        assert!(text.starts_with("{\"seq\":0,"), "{text}");
        assert!(
            text.lines()
                .next()
                .unwrap()
                .contains("\"event\":\"chain_start\"")
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_read_only_trail_cannot_be_opened_for_writing() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::open(dir.path(), Origin::default()).unwrap();
        log.append(&entry(), Utc::now()).unwrap();
        let path = log.path();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
        let err = AuditLog::open(dir.path(), Origin::default()).unwrap_err();
        assert!(err.to_string().contains("read-only (mode 0400)"), "{err}");
    }
}
