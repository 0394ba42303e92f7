//! `audit verify --against FILE`: the local trail compared with a syslog collector's copy
//! (one raw message per line, as rsyslog writes `%rawmsg%`). A record is the same on both
//! sides when its hash is; the hash covers its exact bytes and, through `prev`, everything
//! before it. This catches what the local chain alone cannot: a trail deleted, rolled back or
//! rewritten wholesale, head file and all.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

use serde::Deserialize;

use super::writer::ACTIVE_FILE;

/// How many sequence numbers each list names; the counts are always complete.
const SHOWN: usize = 20;

/// What the comparison found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgainstReport {
    pub local_records: u64,
    pub collected_records: u64,
    /// Records here that the collector lacks although later ones reached it: lost on the
    /// way, or changed here after they were sent.
    pub missing_at_collector: Vec<u64>,
    pub missing_at_collector_count: u64,
    /// Records the collector holds that this trail does not: deleted, cut or changed here.
    pub missing_locally: Vec<u64>,
    pub missing_locally_count: u64,
    /// Records after the last one the collector holds: not forwarded yet.
    pub not_yet_forwarded: u64,
}

impl AgainstReport {
    pub fn differs(&self) -> bool {
        self.missing_at_collector_count > 0 || self.missing_locally_count > 0
    }
}

#[derive(Deserialize)]
struct Identity {
    seq: u64,
    hash: String,
}

fn record_in(line: &[u8]) -> Option<Identity> {
    // MSG is the record's JSON line; the syslog header and structured data come before it.
    let start = line.windows(7).position(|w| w == b"{\"seq\":")?;
    let body = line[start..].strip_suffix(b"\r").unwrap_or(&line[start..]);
    serde_json::from_slice(body).ok()
}

/// Compares the active trail in `dir` with `collected`, streaming both.
pub fn compare(dir: &Path, collected: &Path) -> io::Result<AgainstReport> {
    let mut report = AgainstReport::default();
    let mut remote: HashMap<String, u64> = HashMap::new();
    for line in BufReader::new(File::open(collected)?).split(b'\n') {
        if let Some(id) = record_in(&line?) {
            remote.insert(id.hash, id.seq);
        }
    }
    report.collected_records = remote.len() as u64;
    let local = match File::open(dir.join(ACTIVE_FILE)) {
        Ok(file) => Some(file),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let mut unmatched_run: Vec<u64> = Vec::new();
    let mut run_len = 0u64;
    for line in local
        .into_iter()
        .flat_map(|f| BufReader::new(f).split(b'\n'))
    {
        let Some(id) = record_in(&line?) else {
            continue;
        };
        report.local_records += 1;
        if remote.remove(&id.hash).is_some() {
            // Everything unmatched before a matched record should have been there too.
            report.missing_at_collector_count += run_len;
            for seq in unmatched_run.drain(..) {
                if report.missing_at_collector.len() < SHOWN {
                    report.missing_at_collector.push(seq);
                }
            }
            run_len = 0;
        } else {
            run_len += 1;
            if unmatched_run.len() < SHOWN {
                unmatched_run.push(id.seq);
            }
        }
    }
    report.not_yet_forwarded = run_len;
    let mut gone: Vec<u64> = remote.into_values().collect();
    gone.sort_unstable();
    report.missing_locally_count = gone.len() as u64;
    gone.truncate(SHOWN);
    report.missing_locally = gone;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(seq: u64, hash: &str) -> String {
        format!("{{\"seq\":{seq},\"ts\":\"x\",\"hash\":\"{hash}\"}}")
    }

    #[test]
    fn differences_are_named_on_both_sides_and_the_unsent_tail_is_not_one() {
        let dir = tempfile::tempdir().unwrap();
        let local = [
            rec(0, "a"),
            rec(1, "b"),
            rec(2, "c"),
            rec(3, "d"),
            rec(4, "e"),
        ];
        std::fs::write(dir.path().join(ACTIVE_FILE), local.join("\n") + "\n").unwrap();
        let collected = dir.path().join("collected.log");
        let lines = [
            format!(
                "<86>1 t h eps-tracker 1 x [eps@32473 seq=\"0\"] {}",
                rec(0, "a")
            ),
            format!(
                "<86>1 t h eps-tracker 1 x [eps@32473 seq=\"0\"] {}",
                rec(0, "a")
            ),
            format!("<86>1 t h eps-tracker 1 x - {}", rec(2, "c")),
            format!("<86>1 t h eps-tracker 1 x - {}", rec(9, "z")),
        ];
        std::fs::write(&collected, lines.join("\n") + "\n").unwrap();
        let report = compare(dir.path(), &collected).unwrap();
        assert_eq!(report.missing_at_collector, vec![1]);
        assert_eq!(report.missing_locally, vec![9]);
        assert_eq!(report.not_yet_forwarded, 2);
        assert_eq!(report.collected_records, 3);
        assert!(report.differs());
    }
}
