//! Reading records back for `audit show`: parse every line, filter by user, NHS number,
//! date range and event. Integrity is `verify`'s job; lines that are not records (a torn
//! line) are skipped here.

use std::io;
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::origin::Origin;
use super::record::{AuditEntry, Event};
use super::writer::ACTIVE_FILE;

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

/// Reads the records of the active trail in `dir` that match `filter`, oldest first.
pub fn read_records(dir: &Path, filter: &AuditFilter) -> Result<Vec<StoredRecord>, io::Error> {
    let text = match std::fs::read(dir.join(ACTIVE_FILE)) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    Ok(text
        .split(|b| *b == b'\n')
        .filter_map(|line| serde_json::from_slice::<StoredRecord>(line).ok())
        .filter(|record| filter.matches(record))
        .collect())
}
