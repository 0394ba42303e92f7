//! Checking the trail: every line's hash over its exact bytes, every link to the line before,
//! sequence numbers, the header, and the head file that guards the end. The first bad record
//! is named and classified (edited, deleted, reordered, inserted, truncated). A torn last
//! line (a crash mid-write) is reported as such, not as tampering. Reading needs no sign-in
//! and no write access.

use std::fmt;
use std::io::{self, BufRead};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::head::{self, Head, LastRecord, MismatchKind};
use super::record::{Event, Outcome};
use super::writer::{ACTIVE_FILE, GENESIS, head_path_for};

/// What kind of change was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TamperKind {
    Edited,
    Deleted,
    Reordered,
    Inserted,
    Truncated,
}

impl fmt::Display for TamperKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Edited => "edited",
            Self::Deleted => "deleted",
            Self::Reordered => "reordered",
            Self::Inserted => "inserted",
            Self::Truncated => "truncated",
        })
    }
}

/// The first bad record in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tampering {
    /// 1-based line number in the file.
    pub line: usize,
    pub kind: TamperKind,
    pub detail: String,
}

/// The verdict on one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileResult {
    Intact,
    Tampered(Tampering),
    Unreadable(String),
}

/// One file's verdict, with the records checked and notes that are not tampering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    pub path: PathBuf,
    pub records: u64,
    pub chain: Option<String>,
    pub result: FileResult,
    pub notes: Vec<String>,
    /// Every `chain_break`: where an administrator resealed the trail, who, why and what
    /// was found.
    pub breaks: Vec<String>,
}

/// Every trail file in a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub dir: PathBuf,
    pub files: Vec<FileReport>,
}

impl VerifyReport {
    pub fn tampered(&self) -> bool {
        self.files
            .iter()
            .any(|f| matches!(f.result, FileResult::Tampered(_)))
    }

    pub fn unreadable(&self) -> bool {
        self.files
            .iter()
            .any(|f| matches!(f.result, FileResult::Unreadable(_)))
    }
}

/// Checks every `*.jsonl` trail in `dir`: the rotated files and the active one as one
/// chain, in order, ending at the record the head file names; any other `*.jsonl` file on
/// its own. Files are read line by line, so memory stays small whatever their size. A
/// missing directory or one without trails gives an empty report (nothing has been recorded
/// yet), unless a head file shows a trail existed.
pub fn verify_dir(dir: &Path) -> Result<VerifyReport, io::Error> {
    let mut others = Vec::new();
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            for entry in entries {
                let path = entry?.path();
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if name.ends_with(".jsonl") && name != ACTIVE_FILE && !is_rotated(name) {
                    others.push(path);
                }
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let mut chain = trail_files(dir)?;
    let active = dir.join(ACTIVE_FILE);
    if !chain.contains(&active) && head_path_for(&active).exists() {
        chain.push(active);
    }
    let mut files = verify_chain(&chain);
    others.sort();
    for path in &others {
        files.extend(verify_chain(std::slice::from_ref(path)));
    }
    Ok(VerifyReport {
        dir: dir.to_path_buf(),
        files,
    })
}

/// The trail's files in chain order: rotated files (oldest first), then the active one.
pub(crate) fn trail_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut rotated = Vec::new();
    let mut active = None;
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            for entry in entries {
                let path = entry?.path();
                match path.file_name().and_then(|n| n.to_str()) {
                    Some(ACTIVE_FILE) => active = Some(path),
                    Some(name) if is_rotated(name) => rotated.push(path),
                    _ => {}
                }
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    // Names hold the first record's time and sequence number, so they sort in chain order.
    rotated.sort();
    rotated.extend(active);
    Ok(rotated)
}

/// `audit-YYYYMMDDTHHMMSSZ-SEQ.jsonl`, as rotation names a full file.
pub(crate) fn is_rotated(name: &str) -> bool {
    name.starts_with("audit-") && name.ends_with(".jsonl")
}

/// Checks files as one chain: each file's first record must follow from the last record of
/// the file before it, and the last file must end where its head file says.
fn verify_chain(paths: &[PathBuf]) -> Vec<FileReport> {
    let mut check = Checker::default();
    let mut reports = Vec::new();
    let mut broken = false;
    for (index, path) in paths.iter().enumerate() {
        let mut report = FileReport {
            path: path.clone(),
            records: 0,
            chain: None,
            result: FileResult::Intact,
            notes: Vec::new(),
            breaks: Vec::new(),
        };
        if broken {
            report
                .notes
                .push("not checked: an earlier file of this trail is damaged".to_owned());
            reports.push(report);
            continue;
        }
        let last = index + 1 == paths.len();
        let result = check_one(&mut check, path, last, &mut report);
        match result {
            Ok(Ok(())) => {}
            Ok(Err(tampering)) => {
                report.result = FileResult::Tampered(tampering);
                broken = true;
            }
            Err(message) => {
                report.result = FileResult::Unreadable(message);
                broken = true;
            }
        }
        reports.push(report);
    }
    reports
}

fn check_one(
    check: &mut Checker,
    path: &Path,
    last: bool,
    report: &mut FileReport,
) -> Result<Result<(), Tampering>, String> {
    let reader = match std::fs::File::open(path) {
        Ok(file) => Some(io::BufReader::new(file)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let before = check.records;
    check.start_file(path);
    let mut result = match reader {
        Some(reader) => check
            .run(reader, &mut report.notes)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
        None => Ok(()),
    };
    if last {
        check.unanswered_notes(&mut report.notes);
        if result.is_ok() {
            let head_path = head_path_for(path);
            let head = head::read_head(&head_path)
                .map_err(|e| format!("cannot read {}: {e}", head_path.display()))?;
            result = check.against_head(&head);
        }
    }
    report.breaks = std::mem::take(&mut check.breaks);
    report.records = check.records - before;
    report.chain.clone_from(&check.chain);
    Ok(result)
}

/// What a line claims about itself.
#[derive(Deserialize)]
struct Claims {
    seq: u64,
    event: Event,
    prev: String,
    #[serde(default)]
    chain: Option<String>,
    #[serde(default)]
    torn_bytes: Option<u64>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    found: Option<String>,
    #[serde(default)]
    trace: Option<String>,
    #[serde(default)]
    outcome: Option<Outcome>,
}

/// Why a line is not a valid record.
pub(crate) enum LineFault {
    NotRecord,
    HashMismatch,
}

pub(crate) struct Record {
    claims: Claims,
    hash: String,
}

impl Record {
    pub(crate) fn into_last(self) -> LastRecord {
        LastRecord {
            seq: self.claims.seq,
            hash: self.hash,
            prev: self.claims.prev,
        }
    }
}

const HASH_MEMBER: &[u8] = b",\"hash\":\"";
/// `,"hash":"` + 64 hex digits + `"}`
const SUFFIX_LEN: usize = HASH_MEMBER.len() + 64 + 2;

/// Parses one line (without its newline) and checks its hash.
pub(crate) fn parse_line(line: &[u8]) -> Result<Record, LineFault> {
    if line.len() < SUFFIX_LEN + 2 || !line.ends_with(b"\"}") {
        return Err(LineFault::NotRecord);
    }
    let split = line.len() - SUFFIX_LEN;
    let (front, suffix) = line.split_at(split);
    if !suffix.starts_with(HASH_MEMBER) {
        return Err(LineFault::NotRecord);
    }
    let hash = &suffix[HASH_MEMBER.len()..HASH_MEMBER.len() + 64];
    if !hash
        .iter()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
    {
        return Err(LineFault::NotRecord);
    }
    let mut body = Vec::with_capacity(front.len() + 1);
    body.extend_from_slice(front);
    body.push(b'}');
    let claims: Claims = serde_json::from_slice(&body).map_err(|_| LineFault::NotRecord)?;
    let computed = hex::encode(Sha256::digest(&body));
    if computed.as_bytes() != hash {
        return Err(LineFault::HashMismatch);
    }
    Ok(Record {
        claims,
        hash: computed,
    })
}

#[derive(Default)]
struct Checker {
    records: u64,
    chain: Option<String>,
    prev: Option<String>,
    /// The `prev` the last record named.
    last_prev: Option<String>,
    next_seq: u64,
    breaks: Vec<String>,
    last_record_line: usize,
    /// Attempts (by trace ID) whose outcome has not been seen yet, with their line.
    open_attempts: std::collections::HashMap<String, (usize, String)>,
    /// The next line is the first of a file.
    file_start: bool,
    /// The file being read, to place lines in notes.
    file_name: String,
    /// A bad line not yet judged: it is a crash's torn line if the next record says so.
    pending: Option<(usize, usize, LineFault)>,
}

impl Checker {
    /// A new file of the chain begins: line numbers restart.
    fn start_file(&mut self, path: &Path) {
        self.file_start = true;
        self.file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.last_record_line = 0;
    }

    /// Checks every line from `reader`; the outer error is a read failure.
    fn run(
        &mut self,
        mut reader: impl BufRead,
        notes: &mut Vec<String>,
    ) -> io::Result<Result<(), Tampering>> {
        let mut buf = Vec::with_capacity(1024);
        let mut number = 0;
        loop {
            buf.clear();
            if reader.read_until(b'\n', &mut buf)? == 0 {
                break;
            }
            number += 1;
            if buf.last() == Some(&b'\n') {
                buf.pop();
                if let Err(t) = self.line(number, &buf, notes) {
                    return Ok(Err(t));
                }
                continue;
            }
            // The last line, without its newline.
            if let Some((line, _, fault)) = self.pending.take() {
                return Ok(Err(fault_tampering(line, &fault)));
            }
            let rest = &buf[..];
            match parse_line(rest) {
                Ok(_) => {
                    if let Err(t) = self.line(number, rest, notes) {
                        return Ok(Err(t));
                    }
                    notes.push(format!(
                        "line {number} lacks its final newline (a crash while writing); the \
                         record itself is intact"
                    ));
                }
                Err(_) if holds_complete_record(rest) => {
                    return Ok(Err(Tampering {
                        line: number,
                        kind: TamperKind::Edited,
                        detail: format!("line {number} was changed: it is not a valid record"),
                    }));
                }
                Err(_) => notes.push(format!(
                    "line {number} is incomplete ({} bytes): a crash while writing it. The \
                     records before it are intact.",
                    rest.len()
                )),
            }
            return Ok(Ok(()));
        }
        if let Some((line, _, fault)) = self.pending.take() {
            return Ok(Err(fault_tampering(line, &fault)));
        }
        Ok(Ok(()))
    }

    /// Notes for attempts that never got an outcome, once the whole trail has been read.
    fn unanswered_notes(&mut self, notes: &mut Vec<String>) {
        let mut unanswered: Vec<(usize, String)> =
            self.open_attempts.drain().map(|(_, l)| l).collect();
        unanswered.sort();
        for (_, at) in unanswered {
            notes.push(format!(
                "{at}: a request was recorded as sent but has no outcome: it is still \
                 running, or the program was stopped (killed, power cut) before its answer was \
                 recorded. Not tampering; the request may have reached Spine."
            ));
        }
    }

    fn line(
        &mut self,
        number: usize,
        line: &[u8],
        notes: &mut Vec<String>,
    ) -> Result<(), Tampering> {
        let record = match parse_line(line) {
            Ok(record) => record,
            Err(fault) => {
                if let Some((earlier, _, fault)) = self.pending.take() {
                    return Err(fault_tampering(earlier, &fault));
                }
                self.pending = Some((number, line.len(), fault));
                return Ok(());
            }
        };
        match (self.pending.take(), record.claims.torn_bytes) {
            (Some((torn_line, len, _)), Some(claimed)) if claimed == len as u64 => {
                notes.push(format!(
                    "line {torn_line} is an incomplete record left by a crash; writing resumed \
                     after it"
                ));
            }
            (Some((earlier, _, fault)), _) => return Err(fault_tampering(earlier, &fault)),
            (None, Some(_)) => {
                return Err(Tampering {
                    line: number,
                    kind: TamperKind::Deleted,
                    detail: format!(
                        "line {number} follows an incomplete line that is no longer there"
                    ),
                });
            }
            (None, None) => {}
        }
        let claims = &record.claims;
        let first_of_file = std::mem::take(&mut self.file_start);
        if first_of_file
            && self.prev.is_some()
            && claims.event == Event::ChainStart
            && claims.seq == 0
            && claims.prev == GENESIS
        {
            notes.push(format!(
                "line {number} starts a new chain: the files before it belong to an earlier one"
            ));
            self.prev = None;
        }
        if self.prev.is_none() {
            if claims.event != Event::ChainStart || claims.seq != 0 || claims.prev != GENESIS {
                return Err(Tampering {
                    line: number,
                    kind: TamperKind::Deleted,
                    detail: format!(
                        "line {number} should be the header that starts the chain: the header \
                         was deleted or lines were inserted before it"
                    ),
                });
            }
            self.chain = claims.chain.clone();
        } else if claims.seq != self.next_seq || Some(&claims.prev) != self.prev.as_ref() {
            return Err(self.broken_link(number, claims.seq));
        }
        if claims.event == Event::ChainBreak {
            self.breaks.push(format!(
                "line {number}: record {} is a chain break: {} resealed the trail ({}) after \
                 finding that {}",
                claims.seq,
                claims.user.as_deref().unwrap_or("an unknown user"),
                claims.reason.as_deref().unwrap_or("no reason given"),
                claims
                    .found
                    .as_deref()
                    .unwrap_or("nothing was recorded as found"),
            ));
        }
        match (claims.event, &claims.trace) {
            (Event::SearchAttempt | Event::RetrieveAttempt, Some(trace))
                if claims.outcome == Some(Outcome::Sending) =>
            {
                self.open_attempts.insert(
                    trace.clone(),
                    (
                        self.records as usize,
                        format!("{} line {number}", self.file_name),
                    ),
                );
            }
            (Event::SearchResult | Event::RetrieveResult, Some(trace)) => {
                self.open_attempts.remove(trace);
            }
            _ => {}
        }
        self.last_prev = Some(claims.prev.clone());
        self.prev = Some(record.hash);
        self.next_seq = claims.seq + 1;
        self.records += 1;
        self.last_record_line = number;
        Ok(())
    }

    fn broken_link(&self, line: usize, seq: u64) -> Tampering {
        let expected = self.next_seq;
        let (kind, detail) = if seq > expected {
            (
                TamperKind::Deleted,
                if seq == expected + 1 {
                    format!("record {expected} is missing before line {line}")
                } else {
                    format!(
                        "records {expected} to {} are missing before line {line}",
                        seq - 1
                    )
                },
            )
        } else if seq < expected {
            (
                TamperKind::Reordered,
                format!(
                    "line {line} holds record {seq}, but record {} came before it: lines were \
                     reordered or copied",
                    expected - 1
                ),
            )
        } else {
            (
                TamperKind::Inserted,
                format!(
                    "line {line} does not follow from the line before it: a line was inserted or \
                     replaced"
                ),
            )
        };
        Tampering { line, kind, detail }
    }

    /// The end of the file must be the record the head file names (or the one after it,
    /// after a crash between the two writes): the same check the writer makes.
    fn against_head(&self, head: &Head) -> Result<(), Tampering> {
        let last = match (self.next_seq.checked_sub(1), &self.prev, &self.last_prev) {
            (Some(seq), Some(hash), Some(prev)) if self.records > 0 => Some(LastRecord {
                seq,
                hash: hash.clone(),
                prev: prev.clone(),
            }),
            _ => None,
        };
        head::check_end(last.as_ref(), head).map_err(|mismatch| Tampering {
            line: self.last_record_line,
            kind: match mismatch.kind {
                MismatchKind::Truncated | MismatchKind::HeadMissing => TamperKind::Truncated,
                MismatchKind::HeadDamaged | MismatchKind::Replaced => TamperKind::Edited,
            },
            detail: mismatch.detail,
        })
    }
}

fn fault_tampering(line: usize, fault: &LineFault) -> Tampering {
    let detail = match fault {
        LineFault::NotRecord => format!("line {line} was changed: it is not a valid record"),
        LineFault::HashMismatch => {
            format!("line {line} was edited: its content no longer matches its hash")
        }
    };
    Tampering {
        line,
        kind: TamperKind::Edited,
        detail,
    }
}

/// Whether an unterminated last line already contains a whole record's end (`,"hash":"` and
/// a full hash): then it is not a prefix of a record, so no crash could have produced it.
fn holds_complete_record(rest: &[u8]) -> bool {
    rest.windows(HASH_MEMBER.len())
        .rposition(|w| w == HASH_MEMBER)
        .is_some_and(|pos| rest.len() >= pos + SUFFIX_LEN)
}
