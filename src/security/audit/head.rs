//! The `.head` file beside the trail and the check every append and every verification
//! makes with it: the trail's last record must be the one `.head` names. A trail cut at the
//! end, rolled back to an older copy, emptied or replaced fails that check; the writer then
//! refuses to append (so the next record cannot launder the cut) until an administrator
//! reseals the trail with a `chain_break` record.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::files;

/// Fixed width, so rewriting it in place never leaves a longer old version's tail behind.
const HEAD_LEN: u64 = 20 + 1 + 64 + 1;

/// What `.head` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Head {
    /// No head file, or an empty one: nothing was written yet (or the head was deleted).
    Missing,
    /// Not something the writer writes.
    Damaged,
    At {
        seq: u64,
        hash: String,
    },
}

/// The last complete record in a trail file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LastRecord {
    pub seq: u64,
    pub hash: String,
    pub prev: String,
}

/// Why the trail's end is not the one `.head` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub kind: MismatchKind,
    /// What was found, in plain words (file and record numbers, never record content).
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MismatchKind {
    /// Records are missing from the end: cut, rolled back to an older copy, or emptied.
    Truncated,
    /// The head file was deleted while records remain.
    HeadMissing,
    /// The head file holds something the writer never writes.
    HeadDamaged,
    /// The trail ends with different records than were written: replaced by another copy or
    /// chain, or the head file was rolled back.
    Replaced,
}

pub(crate) fn read_head(path: &Path) -> io::Result<Head> {
    let text = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Head::Missing),
        Err(e) => return Err(e),
    };
    let text = String::from_utf8_lossy(&text);
    if text.trim().is_empty() {
        return Ok(Head::Missing);
    }
    let mut parts = text.split_whitespace();
    Ok(
        match (parts.next().and_then(|s| s.parse().ok()), parts.next()) {
            (Some(seq), Some(hash))
                if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) =>
            {
                Head::At {
                    seq,
                    hash: hash.to_owned(),
                }
            }
            _ => Head::Damaged,
        },
    )
}

/// Rewrites the head in place (fixed width). Not fsynced: the trail's own sync is the
/// durability point, and a head one record behind after a crash is allowed.
pub(crate) fn write_head(path: &Path, seq: u64, hash: &str) -> io::Result<()> {
    let file: File = files::private_options()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?;
    let line = format!("{seq:020} {hash}\n");
    file.write_all_at(line.as_bytes(), 0)?;
    if file.metadata()?.len() > HEAD_LEN {
        file.set_len(HEAD_LEN)?;
    }
    Ok(())
}

/// Checks the trail's last complete record against the head. Allowed besides an exact
/// match: a head one append behind (a crash between the trail write and the head write),
/// which for the very first append means no head and a trail of header plus one record.
pub(crate) fn check_end(last: Option<&LastRecord>, head: &Head) -> Result<(), Mismatch> {
    let mismatch = |kind, detail: String| Err(Mismatch { kind, detail });
    match (head, last) {
        (Head::Missing, None) => Ok(()),
        (Head::Missing, Some(last)) if last.seq <= 1 => Ok(()),
        (Head::Missing, Some(last)) => mismatch(
            MismatchKind::HeadMissing,
            format!(
                "the head file was deleted: the trail ends at record {}, and records removed \
                 from its end could no longer be noticed",
                last.seq
            ),
        ),
        (Head::Damaged, _) => mismatch(
            MismatchKind::HeadDamaged,
            "the head file was changed: it does not hold a record number and hash".to_owned(),
        ),
        (Head::At { seq, .. }, None) => mismatch(
            MismatchKind::Truncated,
            format!("the trail is empty or was replaced, but records up to {seq} were written"),
        ),
        (Head::At { seq, hash }, Some(last)) => {
            let exact = last.seq == *seq && last.hash == *hash;
            let one_behind = last.seq == seq + 1 && last.prev == *hash;
            if exact || one_behind {
                Ok(())
            } else if last.seq < *seq {
                mismatch(
                    MismatchKind::Truncated,
                    format!(
                        "records {} to {seq} were removed from the end (the trail was cut or \
                         rolled back to an older copy)",
                        last.seq + 1
                    ),
                )
            } else if last.seq == *seq {
                mismatch(
                    MismatchKind::Replaced,
                    format!("the last record ({seq}) is not the one that was written"),
                )
            } else {
                mismatch(
                    MismatchKind::Replaced,
                    format!(
                        "the trail ends at record {} but the head file names record {seq}: the \
                         head file was rolled back or the trail replaced",
                        last.seq
                    ),
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(seq: u64, hash: &str, prev: &str) -> LastRecord {
        LastRecord {
            seq,
            hash: hash.repeat(64),
            prev: prev.repeat(64),
        }
    }

    fn at(seq: u64, hash: &str) -> Head {
        Head::At {
            seq,
            hash: hash.repeat(64),
        }
    }

    #[test]
    fn the_end_must_be_the_record_the_head_names_or_the_one_after_it() {
        assert!(check_end(None, &Head::Missing).is_ok());
        assert!(check_end(Some(&rec(1, "b", "a")), &Head::Missing).is_ok());
        assert!(check_end(Some(&rec(5, "b", "a")), &at(5, "b")).is_ok());
        assert!(check_end(Some(&rec(6, "c", "b")), &at(5, "b")).is_ok());
        let kind = |r: Result<(), Mismatch>| r.unwrap_err().kind;
        assert_eq!(
            kind(check_end(Some(&rec(3, "b", "a")), &at(5, "b"))),
            MismatchKind::Truncated
        );
        assert_eq!(kind(check_end(None, &at(5, "b"))), MismatchKind::Truncated);
        assert_eq!(
            kind(check_end(Some(&rec(5, "c", "a")), &at(5, "b"))),
            MismatchKind::Replaced
        );
        assert_eq!(
            kind(check_end(Some(&rec(6, "c", "x")), &at(5, "b"))),
            MismatchKind::Replaced
        );
        assert_eq!(
            kind(check_end(Some(&rec(9, "c", "b")), &at(5, "b"))),
            MismatchKind::Replaced
        );
        assert_eq!(
            kind(check_end(Some(&rec(4, "c", "b")), &Head::Missing)),
            MismatchKind::HeadMissing
        );
        assert_eq!(
            kind(check_end(Some(&rec(4, "c", "b")), &Head::Damaged)),
            MismatchKind::HeadDamaged
        );
    }

    #[test]
    fn the_head_is_rewritten_in_place_at_a_fixed_width() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h");
        std::fs::write(&path, "x".repeat(200)).unwrap();
        write_head(&path, 7, &"e".repeat(64)).unwrap();
        assert_eq!(read_head(&path).unwrap(), at(7, "e"));
        assert_eq!(std::fs::metadata(&path).unwrap().len(), HEAD_LEN);
        std::fs::write(&path, "12 nothex").unwrap();
        assert_eq!(read_head(&path).unwrap(), Head::Damaged);
    }
}
