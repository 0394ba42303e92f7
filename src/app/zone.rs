//! The zone times are shown in. Spine's moments are UTC; people read their own clock, so
//! the terminal app shows them in the machine's local time with the offset named
//! ("11:00 UTC+1" in a British summer, "10:00 UTC" in winter). Tests and snapshots fix it.
//! `update` never converts a time; drawing does, and `Zone::Local` is the one thing drawn
//! from outside the state: the machine's zone rules, which chrono reads and caches.

use chrono::{FixedOffset, Local, NaiveDate, NaiveDateTime, Offset, TimeZone};

use crate::tracker::dates::SpineDate;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Zone {
    /// As Spine sent them.
    #[default]
    Utc,
    /// The machine's local time (the `TZ` variable, else `/etc/localtime`), with its
    /// summer time on the day of the moment shown.
    Local,
    /// A fixed offset, for tests.
    Fixed(FixedOffset),
}

impl Zone {
    /// `moment` (UTC) as the clock on the wall read then, and the zone to name beside it.
    pub fn show(self, moment: NaiveDateTime) -> (NaiveDateTime, String) {
        let offset = match self {
            Zone::Utc => FixedOffset::east_opt(0).expect("zero is a valid offset"),
            Zone::Local => Local.offset_from_utc_datetime(&moment).fix(),
            Zone::Fixed(offset) => offset,
        };
        (moment + offset, label(offset))
    }

    /// The calendar day a Spine date falls on, on the reader's clock.
    pub fn day_of(self, date: SpineDate) -> NaiveDate {
        match date {
            SpineDate::Day(day) => day,
            SpineDate::Moment(moment) => self.show(moment).0.date(),
        }
    }
}

/// `UTC`, `UTC+1`, `UTC-5`, `UTC+5:30`.
fn label(offset: FixedOffset) -> String {
    let seconds = offset.local_minus_utc();
    if seconds == 0 {
        return "UTC".to_owned();
    }
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    match minutes % 60 {
        0 => format!("UTC{sign}{}", minutes / 60),
        m => format!("UTC{sign}{}:{m:02}", minutes / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moment(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn moments_are_moved_to_the_zone_and_the_offset_is_named() {
        let at = moment("2026-07-20 10:00");
        assert_eq!(Zone::Utc.show(at), (at, "UTC".to_owned()));
        let summer = Zone::Fixed(FixedOffset::east_opt(3600).unwrap());
        assert_eq!(
            summer.show(at),
            (moment("2026-07-20 11:00"), "UTC+1".to_owned())
        );
        let west = Zone::Fixed(FixedOffset::west_opt(5 * 3600).unwrap());
        assert_eq!(
            west.show(at),
            (moment("2026-07-20 05:00"), "UTC-5".to_owned())
        );
        let india = Zone::Fixed(FixedOffset::east_opt(5 * 3600 + 1800).unwrap());
        assert_eq!(india.show(at).1, "UTC+5:30");
        // Across midnight, the day moves too.
        let late = moment("2026-07-20 23:30");
        assert_eq!(summer.show(late).0, moment("2026-07-21 00:30"));
        assert_eq!(
            summer.day_of(SpineDate::Moment(late)),
            late.date().succ_opt().unwrap()
        );
        assert_eq!(summer.day_of(SpineDate::Day(late.date())), late.date());
    }
}
