//! Dates: Spine's HL7 timestamps on the wire, and dates typed by a person.

use std::cmp::Ordering;
use std::fmt;

use chrono::{Days, Duration, Months, NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Serialize, Serializer};
use thiserror::Error;

/// A date Spine sent: HL7 `YYYYMMDD` (a day) or `YYYYMMDDHHMMSS` (a moment, UTC).
/// Kept apart so a display never invents a time Spine did not send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpineDate {
    Day(NaiveDate),
    /// UTC.
    Moment(NaiveDateTime),
}

/// Why a wire date could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("'{0}' is not an HL7 date (YYYYMMDD or YYYYMMDDHHMMSS)")]
pub struct Hl7DateError(pub String);

impl SpineDate {
    /// Reads an HL7 date. Spine's placeholders for "no date", `False` and the empty
    /// string, give `Ok(None)`. Precision below a second is dropped; a `+HHMM` / `-HHMM`
    /// offset is folded into UTC.
    pub fn parse_hl7(input: &str) -> Result<Option<Self>, Hl7DateError> {
        // A date as Spine writes it starts and ends with a digit, so has nothing to trim;
        // only other text pays for the trim (a large search holds thousands of dates).
        let text = match (input.as_bytes().first(), input.as_bytes().last()) {
            (Some(first), Some(last)) if first.is_ascii_digit() && last.is_ascii_digit() => input,
            _ => input.trim(),
        };
        if text.is_empty() || text.eq_ignore_ascii_case("false") {
            return Ok(None);
        }
        let bad = || Hl7DateError(text.chars().take(40).collect());
        // Digits alone is how Spine almost always writes it: no offset or fraction to find.
        let (main, offset) = if text.bytes().all(|b| b.is_ascii_digit()) {
            (text, 0)
        } else {
            let (main, offset) = split_offset(text).ok_or_else(bad)?;
            let main = main
                .split_once('.')
                .map_or(main, |(whole, _fraction)| whole);
            if !main.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            (main, offset)
        };
        // `main` is ASCII digits only, so each field is read straight from its bytes.
        let number = |range: std::ops::Range<usize>| -> Option<u32> {
            let digits = main.as_bytes().get(range)?;
            Some(
                digits
                    .iter()
                    .fold(0, |n, digit| n * 10 + u32::from(digit - b'0')),
            )
        };
        let day = NaiveDate::from_ymd_opt(
            number(0..4).ok_or_else(bad)? as i32,
            number(4..6).ok_or_else(bad)?,
            number(6..8).ok_or_else(bad)?,
        )
        .ok_or_else(bad)?;
        let time = match main.len() {
            8 => return Ok(Some(SpineDate::Day(day))),
            10 => NaiveTime::from_hms_opt(number(8..10).ok_or_else(bad)?, 0, 0),
            12 => NaiveTime::from_hms_opt(
                number(8..10).ok_or_else(bad)?,
                number(10..12).ok_or_else(bad)?,
                0,
            ),
            14 => NaiveTime::from_hms_opt(
                number(8..10).ok_or_else(bad)?,
                number(10..12).ok_or_else(bad)?,
                number(12..14).ok_or_else(bad)?,
            ),
            _ => None,
        }
        .ok_or_else(bad)?;
        let local = day.and_time(time);
        if offset == 0 {
            return Ok(Some(SpineDate::Moment(local)));
        }
        let utc = local
            .checked_sub_signed(Duration::minutes(offset))
            .ok_or_else(bad)?;
        Ok(Some(SpineDate::Moment(utc)))
    }

    /// The calendar day (UTC).
    pub fn date(&self) -> NaiveDate {
        match self {
            SpineDate::Day(day) => *day,
            SpineDate::Moment(moment) => moment.date(),
        }
    }

    /// The moment, midnight for a day-only date (for sorting and ages).
    pub fn datetime(&self) -> NaiveDateTime {
        match self {
            SpineDate::Day(day) => day.and_time(NaiveTime::MIN),
            SpineDate::Moment(moment) => *moment,
        }
    }

    /// The HL7 form, as Spine would send it.
    pub fn to_hl7(&self) -> String {
        match self {
            SpineDate::Day(day) => day.format("%Y%m%d").to_string(),
            SpineDate::Moment(moment) => moment.format("%Y%m%d%H%M%S").to_string(),
        }
    }
}

/// Splits a trailing `+HHMM` / `-HHMM` offset (in minutes east of UTC) off an HL7 date.
fn split_offset(text: &str) -> Option<(&str, i64)> {
    let Some(position) = text.rfind(['+', '-']) else {
        return Some((text, 0));
    };
    let (main, offset) = text.split_at(position);
    let digits = offset.get(1..)?;
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i64 = digits.get(..2)?.parse().ok()?;
    let minutes: i64 = digits.get(2..)?.parse().ok()?;
    let sign = if offset.starts_with('-') { -1 } else { 1 };
    Some((main, sign * (hours * 60 + minutes)))
}

impl Ord for SpineDate {
    fn cmp(&self, other: &Self) -> Ordering {
        self.datetime().cmp(&other.datetime()).then_with(|| {
            matches!(self, SpineDate::Moment(_)).cmp(&matches!(other, SpineDate::Moment(_)))
        })
    }
}

impl PartialOrd for SpineDate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for SpineDate {
    /// `2026-11-01` or `2026-11-01 14:05 UTC`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpineDate::Day(day) => write!(f, "{}", day.format("%Y-%m-%d")),
            SpineDate::Moment(moment) => write!(f, "{} UTC", moment.format("%Y-%m-%d %H:%M")),
        }
    }
}

impl Serialize for SpineDate {
    /// ISO 8601: `2026-11-01` for a day, `2026-11-01T14:05:09Z` for a moment.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            SpineDate::Day(day) => serializer.collect_str(&day.format("%Y-%m-%d")),
            SpineDate::Moment(moment) => {
                serializer.collect_str(&moment.format("%Y-%m-%dT%H:%M:%SZ"))
            }
        }
    }
}

/// A calendar day for people, the one date style on screen and in plain output:
/// `27 Nov 2026` (ISO stays in `--json`).
pub fn people_date(day: NaiveDate) -> String {
    day.format("%-d %b %Y").to_string()
}

/// Why a typed date was not understood. Each message says what to type instead.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DateInputError {
    #[error(
        "enter a date: 2026-11-01, 01/11/2026 (day first), today, yesterday, -28d, -4w, -6m \
         or -2y"
    )]
    Empty,
    #[error(
        "'{0}' is not a date: use 2026-11-01, 01/11/2026 (day first), today, yesterday, -28d, \
         -4w, -6m or -2y"
    )]
    NotADate(String),
    #[error("month {month} does not exist{}", if *.day_first {
        ": dates are day first, so 1 November 2026 is 01/11/2026"
    } else {
        " (year-month-day: 2026-11-01)"
    })]
    NoSuchMonth { month: u32, day_first: bool },
    #[error("{year}-{month:02} has no day {day}")]
    NoSuchDay { year: i32, month: u32, day: u32 },
    #[error("'{0}' is too far from today")]
    OutOfRange(String),
}

/// Reads a date as a person types it. `today` is passed in so callers (and tests) decide
/// what today is.
///
/// Accepted: `2026-11-01`, `20261101`, `01/11/2026` or `1/11/26` (UK order, day first;
/// `-` and `.` work as separators too), `today`, `yesterday`, `-28d`, `-4w`, `-6m`, `-2y`
/// (and `+Nd`, `+Nw`; a bare `Nd` counts back).
pub fn parse_user_date(input: &str, today: NaiveDate) -> Result<NaiveDate, DateInputError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(DateInputError::Empty);
    }
    let lower = text.to_ascii_lowercase();
    match lower.as_str() {
        "today" | "now" => return Ok(today),
        "yesterday" => {
            return today
                .checked_sub_days(Days::new(1))
                .ok_or_else(|| DateInputError::OutOfRange(text.to_owned()));
        }
        _ => {}
    }
    if let Some(result) = relative(&lower, today) {
        return result.ok_or_else(|| DateInputError::OutOfRange(text.to_owned()));
    }
    let not_a_date = || DateInputError::NotADate(text.chars().take(40).collect());
    if lower.len() == 8 && lower.bytes().all(|b| b.is_ascii_digit()) {
        let year = lower
            .get(..4)
            .and_then(|s| s.parse().ok())
            .ok_or_else(not_a_date)?;
        let month = lower
            .get(4..6)
            .and_then(|s| s.parse().ok())
            .ok_or_else(not_a_date)?;
        let day = lower
            .get(6..8)
            .and_then(|s| s.parse().ok())
            .ok_or_else(not_a_date)?;
        return calendar_date(year, month, day, false);
    }
    let parts: Vec<&str> = lower.split(['-', '/', '.']).collect();
    let [a, b, c] = parts.as_slice() else {
        return Err(not_a_date());
    };
    let numbers: Option<Vec<u32>> = [a, b, c]
        .iter()
        .map(|p| {
            if !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()) {
                p.parse().ok()
            } else {
                None
            }
        })
        .collect();
    let Some([first, second, third]) = numbers
        .as_deref()
        .and_then(|n| <[u32; 3]>::try_from(n).ok())
    else {
        return Err(not_a_date());
    };
    if a.len() == 4 {
        calendar_date(first as i32, second, third, false)
    } else if c.len() == 4 || c.len() == 2 {
        let year = if c.len() == 2 { 2000 + third } else { third };
        calendar_date(year as i32, second, first, true)
    } else {
        Err(not_a_date())
    }
}

/// `-28d`, `-4w`, `+3d`, `28d`: `None` when the text is not of this form.
fn relative(text: &str, today: NaiveDate) -> Option<Option<NaiveDate>> {
    let (forward, rest) = match text.as_bytes().first()? {
        b'+' => (true, text.get(1..)?),
        b'-' => (false, text.get(1..)?),
        _ => (false, text),
    };
    let rest = rest.trim();
    let unit = rest.chars().last()?;
    let days_per = match unit {
        'd' => 1u64,
        'w' => 7,
        'm' | 'y' => 0,
        _ => return None,
    };
    let count = rest.get(..rest.len() - 1)?.trim();
    if count.is_empty() || !count.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if days_per == 0 {
        // Calendar months and years: -6m from 31 Aug is 28 Feb (or 29), never 2 Mar.
        let months = count
            .parse::<u32>()
            .ok()
            .and_then(|n| n.checked_mul(if unit == 'y' { 12 } else { 1 }));
        return Some(months.and_then(|m| {
            if forward {
                today.checked_add_months(Months::new(m))
            } else {
                today.checked_sub_months(Months::new(m))
            }
        }));
    }
    let days = count
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(days_per));
    Some(days.and_then(|days| {
        if forward {
            today.checked_add_days(Days::new(days))
        } else {
            today.checked_sub_days(Days::new(days))
        }
    }))
}

fn calendar_date(
    year: i32,
    month: u32,
    day: u32,
    day_first: bool,
) -> Result<NaiveDate, DateInputError> {
    if !(1..=12).contains(&month) {
        return Err(DateInputError::NoSuchMonth { month, day_first });
    }
    NaiveDate::from_ymd_opt(year, month, day).ok_or(DateInputError::NoSuchDay { year, month, day })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn hl7_dates_and_placeholders() {
        assert_eq!(SpineDate::parse_hl7("False"), Ok(None));
        assert_eq!(SpineDate::parse_hl7(" "), Ok(None));
        assert_eq!(
            SpineDate::parse_hl7("20200108"),
            Ok(Some(SpineDate::Day(ymd(2020, 1, 8))))
        );
        let moment = SpineDate::parse_hl7("20200108144916").unwrap().unwrap();
        assert_eq!(moment.to_hl7(), "20200108144916");
        assert_eq!(moment.to_string(), "2020-01-08 14:49 UTC");
        assert_eq!(
            serde_json::to_string(&moment).unwrap(),
            "\"2020-01-08T14:49:16Z\""
        );
        assert_eq!(
            SpineDate::parse_hl7("20200108144916.123+0100")
                .unwrap()
                .unwrap()
                .to_hl7(),
            "20200108134916"
        );
    }

    #[test]
    fn padded_dates_and_a_zero_offset_read_as_plain_ones() {
        for padded in [" 20200108", "20200108 ", "\t20200108\n", "\u{a0}20200108"] {
            assert_eq!(
                SpineDate::parse_hl7(padded),
                SpineDate::parse_hl7("20200108"),
                "{padded:?}"
            );
        }
        for same in [
            "20200108144916+0000",
            "20200108144916-0000",
            " 20200108144916 ",
        ] {
            assert_eq!(
                SpineDate::parse_hl7(same),
                SpineDate::parse_hl7("20200108144916"),
                "{same:?}"
            );
        }
        assert_eq!(
            SpineDate::parse_hl7("20200108144916-0130")
                .unwrap()
                .unwrap()
                .to_hl7(),
            "20200108161916"
        );
    }

    #[test]
    fn bad_hl7_dates_are_errors_not_panics() {
        for bad in [
            "2020",
            "20201340",
            "2020010",
            "2020-01-08",
            "20200108256000",
            "abcdefgh",
            "é",
        ] {
            assert!(SpineDate::parse_hl7(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn day_sorts_before_a_moment_on_the_same_day() {
        let day = SpineDate::Day(ymd(2020, 1, 8));
        let moment = SpineDate::parse_hl7("20200108000000").unwrap().unwrap();
        assert!(day < moment);
    }

    #[test]
    fn user_dates_in_every_accepted_form() {
        let today = ymd(2026, 11, 25);
        for (input, expected) in [
            ("2026-11-01", ymd(2026, 11, 1)),
            ("01/11/2026", ymd(2026, 11, 1)),
            ("1/11/26", ymd(2026, 11, 1)),
            ("01.11.2026", ymd(2026, 11, 1)),
            ("20261101", ymd(2026, 11, 1)),
            ("today", today),
            (" Yesterday ", ymd(2026, 11, 24)),
            ("-28d", ymd(2026, 10, 28)),
            ("28d", ymd(2026, 10, 28)),
            ("-4w", ymd(2026, 10, 28)),
            ("+7d", ymd(2026, 12, 2)),
            ("-6m", ymd(2026, 5, 25)),
            ("-2y", ymd(2024, 11, 25)),
        ] {
            assert_eq!(parse_user_date(input, today), Ok(expected), "{input}");
        }
    }

    #[test]
    fn user_date_messages_are_specific() {
        let today = ymd(2026, 11, 25);
        assert_eq!(parse_user_date("", today), Err(DateInputError::Empty));
        assert_eq!(
            parse_user_date("11/25/2026", today),
            Err(DateInputError::NoSuchMonth {
                month: 25,
                day_first: true
            })
        );
        let iso = parse_user_date("2026-13-01", today)
            .unwrap_err()
            .to_string();
        assert!(!iso.contains("day first"), "{iso}");
        assert!(
            parse_user_date("11/25/2026", today)
                .unwrap_err()
                .to_string()
                .contains("day first")
        );
        assert_eq!(
            parse_user_date("31/02/2026", today),
            Err(DateInputError::NoSuchDay {
                year: 2026,
                month: 2,
                day: 31
            })
        );
        assert!(matches!(
            parse_user_date("next tuesday", today),
            Err(DateInputError::NotADate(_))
        ));
        assert!(matches!(
            parse_user_date("-99999999999999d", today),
            Err(DateInputError::OutOfRange(_))
        ));
    }
}
