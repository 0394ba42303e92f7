//! Appending to the trail. Each append takes an exclusive lock on the file (so two running
//! instances cannot fork the chain) and, under that lock, checks that the path still names
//! the file this process holds (not moved, replaced or deleted) and that the file's last
//! record is the one `.head` names (not cut, rolled back or replaced). Only then does it
//! write the new record with one `write_all` on an `O_APPEND` descriptor and `sync_data`
//! before returning: a record reported as written survives a power cut. A failed check
//! writes nothing, and callers refuse whatever needed the record, until an administrator
//! reseals the trail (`audit reseal`), which appends a `chain_break` naming what was found.

use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use thiserror::Error;

use super::bound::{bound_entry, bound_origin};
use super::forward::{self, ForwardSettings, Forwarder, StaleBacklog};
use super::head::{self, LastRecord, Mismatch};
use super::origin::Origin;
use super::record::{AuditEntry, Event};
use super::verify::parse_line;
use crate::files::{self, FileError};

/// The name of the trail file inside the audit directory.
pub const ACTIVE_FILE: &str = "audit.jsonl";
/// The hash a header record points back to.
pub(crate) const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// Record layout version, written in each header.
pub(crate) const FORMAT: u32 = 1;
/// Longest line the tail reader looks back over. Records are a few hundred bytes and every
/// field is bounded (`bound.rs`), so none comes near it.
const MAX_LINE: u64 = 64 * 1024;
/// The first look back at the tail: enough for the last record in all but odd cases.
const FIRST_LOOK: u64 = 8 * 1024;

/// What an administrator must do when the trail does not end where it should.
const RESEAL_ADVICE: &str = "Nothing was recorded, so nothing that needs recording (a lookup, a \
sign-in) can go ahead. Tell your IT security lead. An administrator should keep a copy of the \
audit folder, run `eps-tracker audit verify` to see what is missing, then run `eps-tracker audit \
reseal --as ADMIN_ID --reason TEXT` to let recording resume";

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
         folder and run `eps-tracker audit reseal --as ADMIN_ID --reason TEXT`",
        path = .path.display()
    )]
    Damaged { path: PathBuf, message: String },
    #[error(
        "the audit trail {path} does not end where it should: {}. {RESEAL_ADVICE}",
        .mismatch.detail,
        path = .path.display()
    )]
    Tampered { path: PathBuf, mismatch: Mismatch },
    #[error(
        "the audit trail {path} was moved, replaced or deleted while this program was running. \
         {RESEAL_ADVICE}; then start this program again",
        path = .path.display()
    )]
    Moved { path: PathBuf },
}

fn describe_write_error(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::StorageFull => format!("the disk is full ({error})"),
        io::ErrorKind::PermissionDenied => format!("permission denied ({error})"),
        _ => error.to_string(),
    }
}

/// What `reseal` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resealed {
    /// The trail ended where it should: no `chain_break` was needed.
    WasIntact,
    /// A `chain_break` record (this sequence number) names what was found.
    Broken { seq: u64, found: Mismatch },
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
    origin: Origin,
    /// While an administrator reseals: records refused because the trail's end does not
    /// match its head, kept to be written right after the `chain_break`.
    held: Option<Vec<(AuditEntry, DateTime<Utc>)>>,
    /// Sends records off the machine, on its own thread, after each append.
    forwarder: Option<Forwarder>,
    forward_settings: Option<ForwardSettings>,
    /// Start a new file when the active one has reached this size.
    rotate_bytes: Option<u64>,
}

/// Where the file's chain ends, as read from its tail.
struct FoundTail {
    /// The file's length.
    len: u64,
    last: Option<LastRecord>,
    /// The length of a torn last line left by a crash (or a cut mid-record).
    torn_bytes: Option<u64>,
    /// The last record is complete but lacks its newline (a crash after all but one byte).
    needs_newline: bool,
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

fn open_trail(path: &Path, create: bool) -> io::Result<File> {
    files::private_options()
        .append(true)
        .read(true)
        .create(create)
        .open(path)
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
        let existed = path.exists();
        let file = open_trail(&path, true).map_err(|source| AuditError::Open {
            path: path.clone(),
            source,
        })?;
        if !existed {
            // The new file's name must survive a power cut along with its first records.
            let _ = File::open(dir).and_then(|d| d.sync_all());
        }
        Ok(Self::from_parts(path, file, origin))
    }

    fn from_parts(path: PathBuf, file: File, mut origin: Origin) -> Self {
        bound_origin(&mut origin);
        Self {
            inner: Arc::new(Mutex::new(Writer {
                path,
                file,
                origin,
                held: None,
                forwarder: None,
                forward_settings: None,
                rotate_bytes: None,
            })),
        }
    }

    /// Forwards every record to the collector in `settings` (none: no forwarding). A
    /// backlog left by earlier programs goes first.
    pub fn forwarding(self, settings: Option<ForwardSettings>) -> Self {
        if let Some(settings) = settings {
            let mut writer = self.writer();
            let dir = writer
                .path
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default();
            writer.forwarder = Some(Forwarder::start(dir, settings.clone()));
            writer.forward_settings = Some(settings);
        }
        self
    }

    /// Starts a new file once the active one has reached `bytes`.
    pub fn rotate_at(self, bytes: u64) -> Self {
        self.writer().rotate_bytes = Some(bytes);
        self
    }

    /// Records that have waited too long for the collector (none: forwarding is off, or
    /// keeping up), with the last sending error when there was one.
    pub fn stale_backlog(&self, now: DateTime<Utc>) -> Option<StaleBacklog> {
        let (settings, dir, last_error) = {
            let writer = self.writer();
            (
                writer.forward_settings.clone()?,
                writer.path.parent()?.to_path_buf(),
                writer.forwarder.as_ref().and_then(Forwarder::last_error),
            )
        };
        // Read without the writer's lock (as the sender does): the terminal app asks once a
        // minute, and a lookup's record must not wait behind a scan of the backlog.
        let mut stale = forward::backlog(&dir).ok()?.stale(&settings, now)?;
        stale.last_error = last_error;
        Some(stale)
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

    /// For `audit reseal` only: from now until `reseal`, records the trail refuses because
    /// its end does not match its head (the administrator's own sign-in) are kept in memory
    /// and written right after the `chain_break`. `append` returns 0 for them.
    pub fn hold_until_reseal(&self) {
        self.writer().held = Some(Vec::new());
    }

    /// Checks the trail's end against its head; when they differ, appends `chain_break`
    /// (who and why, filled in by the caller) naming what was found, so appends resume.
    /// Held records follow it.
    pub fn reseal(
        &self,
        chain_break: AuditEntry,
        now: DateTime<Utc>,
    ) -> Result<Resealed, AuditError> {
        self.writer().reseal(chain_break, now)
    }

    fn writer(&self) -> std::sync::MutexGuard<'_, Writer> {
        // A panic elsewhere while holding the lock leaves nothing half done in memory: every
        // append re-reads the file's end and the head.
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
        self.locked(|w| {
            let (tail, end) = w.checked_tail()?;
            match end {
                Err(mismatch) => match &mut w.held {
                    Some(held) => {
                        held.push((entry.clone(), now));
                        Ok(0)
                    }
                    None => Err(AuditError::Tampered {
                        path: w.path.clone(),
                        mismatch,
                    }),
                },
                Ok(()) => {
                    let tail = w.rotate_if_due(tail, now)?;
                    w.write_records(&tail, vec![(entry.clone(), now)])
                }
            }
        })
    }

    fn reseal(
        &mut self,
        mut chain_break: AuditEntry,
        now: DateTime<Utc>,
    ) -> Result<Resealed, AuditError> {
        self.locked(|w| {
            let held = w.held.take().unwrap_or_default();
            let (tail, end) = w.checked_tail()?;
            let Err(found) = end else {
                if !held.is_empty() {
                    w.write_records(&tail, held)?;
                }
                return Ok(Resealed::WasIntact);
            };
            chain_break.event = Event::ChainBreak;
            chain_break.found = Some(found.detail.clone());
            let mut entries = vec![(chain_break, now)];
            entries.extend(held);
            // The chain_break comes first: after the last record, or after a new header.
            let seq = tail.last.as_ref().map_or(1, |last| last.seq + 1);
            w.write_records(&tail, entries)?;
            Ok(Resealed::Broken { seq, found })
        })
    }

    /// Runs `f` holding the file lock.
    fn locked<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, AuditError>,
    ) -> Result<T, AuditError> {
        self.file.lock().map_err(|source| AuditError::Lock {
            path: self.path.clone(),
            source,
        })?;
        let result = f(self);
        // Closing would release the lock too; unlocking now lets the other instance in.
        let _ = self.file.unlock();
        result
    }

    /// The file's end, after checking that the path still names the file this process
    /// holds, and whether that end is the one the head names.
    fn checked_tail(&mut self) -> Result<(FoundTail, Result<(), Mismatch>), AuditError> {
        self.check_same_file()?;
        let tail = self.read_tail()?;
        let head_path = head_path_for(&self.path);
        let head = head::read_head(&head_path).map_err(|source| AuditError::Write {
            path: head_path,
            source,
        })?;
        let end = head::check_end(tail.last.as_ref(), &head);
        Ok((tail, end))
    }

    /// Makes sure the file this process holds is the one the path names. Another process
    /// may have rotated it: then the path's file is opened and locked instead, and the head
    /// check that follows judges it. A path that names nothing (the trail was moved or
    /// deleted) is refused: nothing is ever written into a file that is no longer the trail.
    fn check_same_file(&mut self) -> Result<(), AuditError> {
        let write_err = |source| AuditError::Write {
            path: self.path.clone(),
            source,
        };
        let held = self.file.metadata().map_err(write_err)?;
        let at_path = std::fs::metadata(&self.path);
        if let Ok(named) = &at_path
            && named.dev() == held.dev()
            && named.ino() == held.ino()
            && held.nlink() > 0
        {
            return Ok(());
        }
        let moved = || AuditError::Moved {
            path: self.path.clone(),
        };
        if at_path.is_err() {
            return Err(moved());
        }
        let file = open_trail(&self.path, false).map_err(|_| moved())?;
        file.lock().map_err(|source| AuditError::Lock {
            path: self.path.clone(),
            source,
        })?;
        // Dropping the old handle releases its lock; the new one is held until `locked` ends.
        self.file = file;
        // The path may have changed again while waiting for the lock.
        self.check_same_file()
    }

    /// When the active file has reached the rotation size, keeps it under a new name and
    /// starts a new active file whose header continues the chain (same chain ID, next
    /// sequence number, the last record's hash as `prev`, the kept file's name). The new
    /// file is written and locked before it takes the active name, so another process never
    /// sees an active file without its header.
    fn rotate_if_due(
        &mut self,
        tail: FoundTail,
        now: DateTime<Utc>,
    ) -> Result<FoundTail, AuditError> {
        let due = self.rotate_bytes.is_some_and(|limit| tail.len >= limit);
        let Some(last) = tail
            .last
            .clone()
            .filter(|_| due && tail.torn_bytes.is_none())
        else {
            return Ok(tail);
        };
        let write_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| AuditError::Write { path, source }
        };
        let first = first_record(&self.file).map_err(write_err(&self.path))?;
        let dir = self
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let kept_name = format!(
            "audit-{}-{:012}.jsonl",
            first.ts.format("%Y%m%dT%H%M%SZ"),
            first.seq
        );
        let kept = dir.join(&kept_name);
        match std::fs::hard_link(&self.path, &kept) {
            Ok(()) => {}
            // A crash after linking last time: the same file already has its new name.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && same_file(&self.path, &kept) => {}
            Err(e) => {
                return Err(AuditError::Write {
                    path: kept,
                    source: e,
                });
            }
        }
        let next_path = dir.join(format!("{ACTIVE_FILE}.next"));
        let next = files::private_options()
            .read(true)
            .append(true)
            .create(true)
            .truncate(false)
            .open(&next_path)
            .map_err(write_err(&next_path))?;
        next.lock().map_err(|source| AuditError::Lock {
            path: next_path.clone(),
            source,
        })?;
        next.set_len(0).map_err(write_err(&next_path))?;
        let header = AuditEntry {
            chain: first.chain,
            format: Some(FORMAT),
            continues: Some(kept_name),
            ..AuditEntry::new(Event::ChainStart)
        };
        let mut bytes = Vec::with_capacity(1024);
        let seq = last.seq + 1;
        let hash = push_line(
            &mut bytes,
            seq,
            now,
            &header,
            None,
            &self.origin,
            &last.hash,
        );
        (&next).write_all(&bytes).map_err(write_err(&next_path))?;
        next.sync_data().map_err(write_err(&next_path))?;
        std::fs::rename(&next_path, &self.path).map_err(write_err(&self.path))?;
        let _ = File::open(&dir).and_then(|d| d.sync_all());
        let head_path = head_path_for(&self.path);
        head::write_head(&head_path, seq, &hash).map_err(write_err(&head_path))?;
        self.file = next;
        Ok(FoundTail {
            len: bytes.len() as u64,
            last: Some(LastRecord {
                seq,
                hash,
                prev: last.hash,
            }),
            torn_bytes: None,
            needs_newline: false,
        })
    }

    /// Writes `entries` after the file's end (a header first when the file holds no
    /// record), fsyncs, moves the head on, and returns the last sequence number written.
    fn write_records(
        &mut self,
        tail: &FoundTail,
        entries: Vec<(AuditEntry, DateTime<Utc>)>,
    ) -> Result<u64, AuditError> {
        let write_err = |source| AuditError::Write {
            path: self.path.clone(),
            source,
        };
        let mut bytes = Vec::with_capacity(1024 * entries.len());
        let mut torn_bytes = tail.torn_bytes;
        if torn_bytes.is_some() || tail.needs_newline {
            // End the torn line so the next record starts on a line of its own; the next
            // record names the torn length so verification can tell a crash from an edit.
            bytes.push(b'\n');
        }
        let (mut seq, mut prev) = match &tail.last {
            Some(last) => (last.seq, last.hash.clone()),
            None => {
                let first = entries.first().map_or_else(Utc::now, |(_, now)| *now);
                let header = AuditEntry {
                    chain: Some(uuid::Uuid::new_v4().to_string()),
                    format: Some(FORMAT),
                    ..AuditEntry::new(Event::ChainStart)
                };
                let hash = push_line(
                    &mut bytes,
                    0,
                    first,
                    &header,
                    torn_bytes.take(),
                    &self.origin,
                    GENESIS,
                );
                (0, hash)
            }
        };
        for (mut entry, now) in entries {
            bound_entry(&mut entry);
            seq += 1;
            prev = push_line(
                &mut bytes,
                seq,
                now,
                &entry,
                torn_bytes.take(),
                &self.origin,
                &prev,
            );
        }
        self.file.write_all(&bytes).map_err(write_err)?;
        self.file.sync_data().map_err(write_err)?;
        // The head lags at most one append behind after a crash here; the check allows that.
        let head_path = head_path_for(&self.path);
        head::write_head(&head_path, seq, &prev).map_err(|source| AuditError::Write {
            path: head_path,
            source,
        })?;
        if let Some(forwarder) = &self.forwarder {
            forwarder.notify();
        }
        Ok(seq)
    }

    /// Reads the end of the file: the last complete record and the length of a torn last
    /// line left by a crash.
    fn read_tail(&self) -> Result<FoundTail, AuditError> {
        let len = self
            .file
            .metadata()
            .map_err(|source| AuditError::Write {
                path: self.path.clone(),
                source,
            })?
            .len();
        match read_tail_within(&self.file, len, FIRST_LOOK, &self.path)? {
            Some(found) => Ok(found),
            None => read_tail_within(&self.file, len, MAX_LINE, &self.path)?.ok_or_else(|| {
                AuditError::Damaged {
                    path: self.path.clone(),
                    message: "its last line is longer than any record".to_owned(),
                }
            }),
        }
    }
}

/// What a file's first record says: when and where it starts, and its chain.
#[derive(serde::Deserialize)]
struct FirstRecord {
    seq: u64,
    ts: DateTime<Utc>,
    #[serde(default)]
    chain: Option<String>,
}

fn first_record(file: &File) -> io::Result<FirstRecord> {
    let mut buf = vec![0u8; FIRST_LOOK as usize];
    let read = file.read_at(&mut buf, 0)?;
    let line = buf[..read]
        .split(|b| *b == b'\n')
        .next()
        .unwrap_or_default();
    serde_json::from_slice(line)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "the first line is not a record"))
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Serialises one record, appends it and its newline to `out`, and returns its hash.
fn push_line(
    out: &mut Vec<u8>,
    seq: u64,
    now: DateTime<Utc>,
    entry: &AuditEntry,
    torn_bytes: Option<u64>,
    origin: &Origin,
    prev: &str,
) -> String {
    let line = Line {
        seq,
        ts: now.to_rfc3339_opts(SecondsFormat::Millis, true),
        entry,
        torn_bytes,
        origin,
        prev,
    };
    // Serialising plain strings, numbers and enums into a Vec cannot fail.
    let body = serde_json::to_vec(&line).unwrap_or_default();
    let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&body));
    let without_brace = body.len().saturating_sub(1);
    out.extend_from_slice(&body[..without_brace]);
    out.extend_from_slice(b",\"hash\":\"");
    out.extend_from_slice(hash.as_bytes());
    out.extend_from_slice(b"\"}\n");
    hash
}

/// Reads the tail within the last `window` bytes; `None` when the window is too short to
/// hold the last complete record.
fn read_tail_within(
    file: &File,
    len: u64,
    window: u64,
    path: &Path,
) -> Result<Option<FoundTail>, AuditError> {
    if len == 0 {
        return Ok(Some(FoundTail {
            len,
            last: None,
            torn_bytes: None,
            needs_newline: false,
        }));
    }
    let start = len.saturating_sub(window);
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
        None if start == 0 => 0,
        None => return Ok(None),
    };
    let rest = &buf[complete..];
    if !rest.is_empty()
        && let Ok(record) = parse_line(rest)
    {
        // A whole record whose newline was never written.
        return Ok(Some(FoundTail {
            len,
            last: Some(record.into_last()),
            torn_bytes: None,
            needs_newline: true,
        }));
    }
    let torn_bytes = (!rest.is_empty()).then_some(rest.len() as u64);
    if complete == 0 {
        return Ok(Some(FoundTail {
            len,
            last: None,
            torn_bytes,
            needs_newline: false,
        }));
    }
    let body = &buf[..complete - 1];
    let line_start = match body.iter().rposition(|b| *b == b'\n') {
        Some(pos) => pos + 1,
        None if start == 0 => 0,
        None => return Ok(None),
    };
    let record = parse_line(&body[line_start..])
        .map_err(|_| damaged("its last complete line is not an unchanged audit record"))?;
    Ok(Some(FoundTail {
        len,
        last: Some(record.into_last()),
        torn_bytes,
        needs_newline: false,
    }))
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
        let log = AuditLog::from_parts(PathBuf::from("/dev/full"), full, Origin::default());
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
