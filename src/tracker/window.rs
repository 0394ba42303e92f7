//! The search window: which dates a search covers when nobody typed an earliest date.
//!
//! Spine's own default is the last 28 days, which misses repeat-dispensing prescriptions
//! issued months ago whose later issue is current now. So both the terminal app and the CLI
//! send an explicit earliest date from `[search] default_window_days` (730 days by default,
//! as the national tracker's backend does); setting it to 28 gives Spine's own window back.

use chrono::{Days, NaiveDate};
use serde::Deserialize;

use super::query::{SearchQuery, TrackerRequest};

/// The default window in days, as the national prescription tracker's backend uses.
pub const DEFAULT_WINDOW_DAYS: u32 = 730;

/// The longest window accepted: ten years (Spine housekeeps long before that).
pub const MAX_WINDOW_DAYS: u32 = 3660;

/// The `[search]` table of the settings file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SearchSettings {
    /// How many days back a search looks when no earliest date is given.
    pub default_window_days: u32,
}

impl Default for SearchSettings {
    fn default() -> Self {
        Self {
            default_window_days: DEFAULT_WINDOW_DAYS,
        }
    }
}

impl SearchSettings {
    /// Why the setting cannot be used, if it cannot.
    pub fn problem(&self) -> Option<String> {
        (!(1..=MAX_WINDOW_DAYS).contains(&self.default_window_days)).then(|| {
            format!(
                "is {}: give a number of days from 1 to {MAX_WINDOW_DAYS} (28 is Spine's own \
                 default, {DEFAULT_WINDOW_DAYS} finds long-running repeat dispensing)",
                self.default_window_days
            )
        })
    }
}

/// The earliest date a search with no typed earliest date asks for: `days` before the
/// latest date (or today), so a typed latest date keeps a window of the same length.
pub fn default_earliest(latest: Option<NaiveDate>, today: NaiveDate, days: u32) -> NaiveDate {
    let end = latest.unwrap_or(today);
    end.checked_sub_days(Days::new(u64::from(days)))
        .unwrap_or(NaiveDate::MIN)
}

/// Fills in the default earliest date of a search that has none; other requests are
/// returned unchanged.
pub fn with_default_window(request: TrackerRequest, today: NaiveDate, days: u32) -> TrackerRequest {
    let fill = |mut q: SearchQuery| {
        if q.earliest.is_none() {
            q.earliest = Some(default_earliest(q.latest, today, days));
        }
        q
    };
    match request {
        TrackerRequest::Search(q) => TrackerRequest::Search(fill(q)),
        TrackerRequest::ClinicalSummary(q) => TrackerRequest::ClinicalSummary(fill(q)),
        other => other,
    }
}

/// The dates a search covers, for people: `1 Dec 2024 – 30 Nov 2026`. A missing earliest
/// date is Spine's 28-day default; a missing latest date is today.
pub fn window_text(query: &SearchQuery, today: NaiveDate) -> String {
    let latest = query.latest.unwrap_or(today);
    let earliest = query
        .earliest
        .unwrap_or_else(|| default_earliest(None, today, super::query::DEFAULT_SEARCH_DAYS as u32));
    format!(
        "{} – {}",
        super::dates::people_date(earliest),
        super::dates::people_date(latest)
    )
}

/// Every filter a search carries besides its dates, in words: `status 0008 Claimed`,
/// `R1`, `clinical`. Empty when there are none.
pub fn filter_words(request: &TrackerRequest) -> Vec<String> {
    let (TrackerRequest::Search(q) | TrackerRequest::ClinicalSummary(q)) = request else {
        return if request.is_clinical() {
            vec!["clinical".to_owned()]
        } else {
            Vec::new()
        };
    };
    let mut words = Vec::new();
    if let Some(status) = &q.status {
        words.push(format!("status {} {}", status.code(), status.label()));
    }
    if let Some(version) = &q.version {
        words.push(format!("EPS version {}", version.code()));
    }
    if request.is_clinical() {
        words.push("clinical".to_owned());
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracker::codes::{EpsVersion, PrescriptionStatus};
    use crate::tracker::ids::NhsNumber;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn query() -> SearchQuery {
        SearchQuery::new(NhsNumber::parse("9990548609").unwrap())
    }

    #[test]
    fn the_default_window_is_730_days_back_from_today() {
        let today = ymd(2026, 11, 30);
        let request = with_default_window(TrackerRequest::Search(query()), today, 730);
        let TrackerRequest::Search(q) = &request else {
            panic!("still a search")
        };
        assert_eq!(q.earliest, Some(ymd(2024, 11, 30)));
        assert_eq!(q.latest, None);
        assert_eq!(window_text(q, today), "30 Nov 2024 – 30 Nov 2026");
        assert!(
            request
                .params()
                .contains(&("earliestDate", "20241130".to_owned()))
        );
    }

    #[test]
    fn a_typed_earliest_date_is_kept_and_a_typed_latest_date_moves_the_window() {
        let today = ymd(2026, 11, 30);
        let mut q = query();
        q.earliest = Some(ymd(2026, 11, 1));
        let same = with_default_window(TrackerRequest::Search(q.clone()), today, 730);
        assert_eq!(same, TrackerRequest::Search(q));
        let mut q = query();
        q.latest = Some(ymd(2026, 1, 31));
        let TrackerRequest::ClinicalSummary(q) =
            with_default_window(TrackerRequest::ClinicalSummary(q), today, 28)
        else {
            panic!("still a clinical summary")
        };
        assert_eq!(q.earliest, Some(ymd(2026, 1, 3)));
    }

    #[test]
    fn spine_default_window_is_named_when_no_earliest_date_is_sent() {
        assert_eq!(
            window_text(&query(), ymd(2026, 11, 30)),
            "2 Nov 2026 – 30 Nov 2026"
        );
    }

    #[test]
    fn every_filter_is_named() {
        let mut q = query();
        assert!(filter_words(&TrackerRequest::Search(q.clone())).is_empty());
        q.status = Some(PrescriptionStatus::Claimed);
        q.version = Some(EpsVersion::R1);
        assert_eq!(
            filter_words(&TrackerRequest::ClinicalSummary(q)),
            vec!["status 0008 Claimed", "EPS version R1", "clinical"]
        );
    }

    #[test]
    fn the_setting_is_checked() {
        assert_eq!(SearchSettings::default().default_window_days, 730);
        assert!(SearchSettings::default().problem().is_none());
        let zero = SearchSettings {
            default_window_days: 0,
        };
        assert!(zero.problem().unwrap().contains("from 1 to"));
    }
}
