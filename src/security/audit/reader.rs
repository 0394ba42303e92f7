//! Reading records back for `audit show`: parse every line, filter by user, NHS number,
//! date range and event. Integrity is `verify`'s job; lines that are not records (a torn
//! line) are skipped here.

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::origin::Origin;
use super::record::{AuditEntry, Event};
use super::verify::trail_files;

/// A record as read from the trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredRecord {
    pub seq: u64,
    pub ts: DateTime<Utc>,
    #[serde(flatten)]
    pub entry: AuditEntry,
    #[serde(flatten)]
    pub origin: Origin,
}

/// Which records `audit show` lists; every field set must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub user: Option<String>,
    pub nhs: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub event: Option<Event>,
}

impl AuditFilter {
    pub fn matches(&self, record: &StoredRecord) -> bool {
        let day = record.ts.date_naive();
        self.user
            .as_deref()
            .is_none_or(|u| record.entry.user.as_deref() == Some(u))
            && self
                .nhs
                .as_deref()
                // An outcome may name several patients, separated by spaces.
                .is_none_or(|n| {
                    record
                        .entry
                        .nhs
                        .as_deref()
                        .is_some_and(|all| all.split(' ').any(|one| one == n))
                })
            && self.from.is_none_or(|from| day >= from)
            && self.to.is_none_or(|to| day <= to)
            && self.event.is_none_or(|e| record.entry.event == e)
    }
}

/// Calls `each` with every record of the trail in `dir` (rotated files, then the active
/// one) that matches `filter`, oldest first, reading line by line: memory stays small
/// whatever the trail's size.
pub fn for_each_record(
    dir: &Path,
    filter: &AuditFilter,
    mut each: impl FnMut(StoredRecord),
) -> Result<(), io::Error> {
    let mut line = Vec::with_capacity(1024);
    for path in trail_files(dir)? {
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        let mut reader = BufReader::new(file);
        loop {
            line.clear();
            if reader.read_until(b'\n', &mut line)? == 0 {
                break;
            }
            if let Ok(record) = serde_json::from_slice::<StoredRecord>(&line)
                && filter.matches(&record)
            {
                each(record);
            }
        }
    }
    Ok(())
}

/// The matching records of the trail in `dir`, oldest first.
pub fn read_records(dir: &Path, filter: &AuditFilter) -> Result<Vec<StoredRecord>, io::Error> {
    let mut records = Vec::new();
    for_each_record(dir, filter, |record| records.push(record))?;
    Ok(records)
}
