//! The local trail as the queue: the cursor file (`audit.jsonl.forwarded`, the last record
//! the collector confirmed) and the records after it, found again after a rotation, a cut or
//! a reseal, read in batches so a long backlog never fills memory.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::settings::ForwardSettings;
use crate::security::audit::verify::trail_files;
use crate::security::audit::writer::ACTIVE_FILE;

/// Most records read and sent in one go, so a long backlog never fills memory.
pub(super) const MAX_BATCH: usize = 5000;

/// Records not yet read by the collector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backlog {
    /// How many (counted up to one batch, 5000: "at least" beyond that).
    pub records: u64,
    /// When the oldest of them was written.
    pub oldest: Option<DateTime<Utc>>,
}

impl Backlog {
    /// The backlog when its oldest record has waited longer than the settings allow.
    pub fn stale(&self, settings: &ForwardSettings, now: DateTime<Utc>) -> Option<StaleBacklog> {
        let oldest = self.oldest?;
        let waited = now - oldest;
        (waited > chrono::Duration::minutes(i64::from(settings.warn_after_minutes))).then(|| {
            StaleBacklog {
                records: self.records,
                since: oldest,
                collector: settings.address.clone(),
                last_error: None,
            }
        })
    }
}

/// Records that have waited too long for the collector: someone must be told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleBacklog {
    pub records: u64,
    /// When the oldest of them was written.
    pub since: DateTime<Utc>,
    pub collector: String,
    /// Why the last attempt to send failed, when this program made one.
    pub last_error: Option<String>,
}

impl StaleBacklog {
    /// One line for a terminal's footer, for staff who cannot fix it but can report it.
    pub fn short(&self) -> String {
        format!(
            "audit records not forwarded since {} UTC: tell IT security",
            self.since.format("%H:%M")
        )
    }
}

impl std::fmt::Display for StaleBacklog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} audit record(s) have not reached the syslog collector {} since {} UTC. Check \
             that the collector is running and reachable, then run `eps-tracker audit \
             forward`; tell your IT security lead if it stays down",
            self.records,
            self.collector,
            self.since.format("%Y-%m-%d %H:%M")
        )?;
        if let Some(error) = &self.last_error {
            write!(f, " (last attempt: {error})")?;
        }
        Ok(())
    }
}

pub(super) fn cursor_path(dir: &Path) -> PathBuf {
    dir.join(format!("{ACTIVE_FILE}.forwarded"))
}

/// Where forwarding stopped: the last record read by the collector, and the byte offset
/// just after it in the active file (a hint, checked before use).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Cursor {
    pub(super) seq: u64,
    pub(super) offset: u64,
    /// The record's hash: the next record names it as `prev`, and it is found again in
    /// whichever file holds it after a rotation.
    pub(super) hash: String,
}

pub(super) fn read_cursor(file: &mut File) -> io::Result<Option<Cursor>> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0))?;
    file.read_to_string(&mut text)?;
    let mut parts = text.split_whitespace();
    Ok(
        match (
            parts.next().and_then(|s| s.parse().ok()),
            parts.next().and_then(|s| s.parse().ok()),
            parts.next(),
        ) {
            (Some(seq), Some(offset), Some(hash)) => Some(Cursor {
                seq,
                offset,
                hash: hash.to_owned(),
            }),
            _ => None,
        },
    )
}

/// Not fsynced: a cursor lost in a power cut only means records are sent again (the
/// collector drops duplicates by `seq`), and an fsync here would compete with the trail's own
/// on the request path.
pub(super) fn write_cursor(file: &mut File, cursor: Cursor) -> io::Result<()> {
    let text = format!("{:020} {:020} {}\n", cursor.seq, cursor.offset, cursor.hash);
    file.set_len(0)?;
    file.seek(SeekFrom::Start(0))?;
    file.write_all(text.as_bytes())
}

/// The records of the active trail after the cursor, with the offset after each.
pub(super) struct Pending {
    pub(super) lines: Vec<Line>,
}

/// One record to send: its sequence number, the offset just after it in its file, its
/// hash, and the line itself.
pub(super) struct Line {
    pub(super) seq: u64,
    pub(super) offset: u64,
    pub(super) hash: String,
    pub(super) bytes: Vec<u8>,
}

/// Reads the records after `cursor`. The cursor's offset into the active file is tried
/// first (the record there must name the cursor's record as `prev`); when it does not fit
/// (the file was rotated, cut, resealed or replaced), the file holding the cursor's record
/// is found by its hash and sending resumes after it; failing that, the whole active file is
/// sent again. Nothing forwarded yet: every file, from the first. Duplicates are allowed,
/// losses are not.
pub(super) fn pending_records(dir: &Path, cursor: Option<&Cursor>) -> io::Result<Pending> {
    let active = dir.join(ACTIVE_FILE);
    let mut lines = Vec::new();
    if let Some(c) = cursor
        && c.offset > 0
        && read_file_records(&active, c.offset, Some(&c.hash), &mut lines)?
    {
        return Ok(Pending { lines });
    }
    lines.clear();
    let files = trail_files(dir)?;
    let start = match cursor {
        None => Some((0, 0)),
        Some(c) => {
            let mut found = None;
            for (index, file) in files.iter().enumerate().rev() {
                if let Some(offset) = offset_after(file, &c.hash)? {
                    found = Some((index, offset));
                    break;
                }
            }
            found
        }
    };
    let (index, offset) = start.unwrap_or((files.len().saturating_sub(1), 0));
    for (n, file) in files.iter().enumerate().skip(index) {
        let from = if n == index { offset } else { 0 };
        read_file_records(file, from, None, &mut lines)?;
        if lines.len() >= MAX_BATCH {
            break;
        }
    }
    Ok(Pending { lines })
}

/// The offset just after the record with `hash` in `path`, if it is there.
fn offset_after(path: &Path, hash: &str) -> io::Result<Option<u64>> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let needle = format!(",\"hash\":\"{hash}\"}}");
    let mut reader = BufReader::new(file);
    let mut position = 0u64;
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = reader.read_until(b'\n', &mut line)?;
        if read == 0 {
            return Ok(None);
        }
        position += read as u64;
        if line.trim_ascii_end().ends_with(needle.as_bytes()) {
            return Ok(Some(position));
        }
    }
}

/// Appends the complete records of `path` from `offset` to `out`. With `follows`, answers
/// `false` (and reads nothing) unless the first record there names that hash as `prev`.
fn read_file_records(
    path: &Path,
    offset: u64,
    follows: Option<&str>,
    out: &mut Vec<Line>,
) -> io::Result<bool> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(follows.is_none()),
        Err(e) => return Err(e),
    };
    if offset > file.metadata()?.len() {
        return Ok(false);
    }
    let mut reader = BufReader::new(file);
    reader.seek(SeekFrom::Start(offset))?;
    let mut position = offset;
    let mut check_first = follows;
    let mut line = Vec::new();
    while out.len() < MAX_BATCH {
        line.clear();
        let read = reader.read_until(b'\n', &mut line)?;
        if read == 0 || !line.ends_with(b"\n") {
            break; // end, or a torn last line: sent once the next append completes it
        }
        position += read as u64;
        let body = &line[..line.len() - 1];
        let Ok(link) = serde_json::from_slice::<SeqOnly>(body) else {
            if check_first.is_some() {
                return Ok(false);
            }
            continue;
        };
        if let Some(prev) = check_first.take()
            && link.prev != prev
        {
            return Ok(false);
        }
        out.push(Line {
            seq: link.seq,
            offset: position,
            hash: link.hash.unwrap_or_default(),
            bytes: body.to_vec(),
        });
    }
    Ok(true)
}

#[derive(Deserialize)]
struct SeqOnly {
    seq: u64,
    ts: DateTime<Utc>,
    #[serde(default)]
    prev: String,
    #[serde(default)]
    hash: Option<String>,
}

/// The records waiting for the collector.
pub fn backlog(dir: &Path) -> io::Result<Backlog> {
    let cursor = match File::open(cursor_path(dir)) {
        Ok(mut file) => read_cursor(&mut file)?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let pending = pending_records(dir, cursor.as_ref())?;
    let oldest = pending
        .lines
        .first()
        .and_then(|line| serde_json::from_slice::<SeqOnly>(&line.bytes).ok())
        .map(|r| r.ts);
    Ok(Backlog {
        records: pending.lines.len() as u64,
        oldest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> ForwardSettings {
        toml::from_str("address = \"127.0.0.1:6514\"").unwrap()
    }

    #[test]
    fn an_old_backlog_is_warned_about() {
        let now = Utc::now();
        let backlog = Backlog {
            records: 3,
            oldest: Some(now - chrono::Duration::minutes(20)),
        };
        let stale = backlog.stale(&settings(), now).unwrap();
        let warning = stale.to_string();
        assert!(warning.contains("audit forward"), "{warning}");
        assert!(warning.contains("127.0.0.1:6514"), "{warning}");
        assert!(
            stale
                .short()
                .starts_with("audit records not forwarded since")
        );
        let fresh = Backlog {
            records: 3,
            oldest: Some(now - chrono::Duration::minutes(2)),
        };
        assert!(fresh.stale(&settings(), now).is_none());
    }
}
