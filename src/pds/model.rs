//! A patient as PDS describes them, reduced to what a helpdesk needs to confirm identity:
//! the names in use, date of birth, gender, home address, registered GP, death and the
//! restricted (S-flag) marker. Serialised as the `--json` document of `patient`/`inspect`.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Serialize, Serializer};

/// How a name is used. PDS returns only usual, temp and nickname names on search; others
/// (old, maiden) are kept out of the model: they are not who the caller is now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NameUse {
    Usual,
    Temp,
    Nickname,
}

impl NameUse {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "usual" => Some(Self::Usual),
            "temp" => Some(Self::Temp),
            "nickname" => Some(Self::Nickname),
            _ => None,
        }
    }
}

/// One name in use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonName {
    pub prefix: Option<String>,
    pub given: Vec<String>,
    pub family: Option<String>,
    #[serde(rename = "use")]
    pub name_use: NameUse,
}

impl fmt::Display for PersonName {
    /// "Mrs Jane SMITH": the family name in capitals, as the national tracker shows it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        parts.extend(self.prefix.iter().cloned());
        parts.extend(self.given.iter().cloned());
        parts.extend(self.family.iter().map(|s| s.to_uppercase()));
        if parts.is_empty() {
            f.write_str("(no name)")
        } else {
            f.write_str(&parts.join(" "))
        }
    }
}

/// A FHIR date: usually a whole day, rarely only a month or a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartialDate {
    Day(NaiveDate),
    Month { year: i32, month: u32 },
    Year(i32),
}

impl PartialDate {
    /// `yyyy-mm-dd`, `yyyy-mm` or `yyyy`; a date-time keeps only its date part.
    pub fn parse(text: &str) -> Option<Self> {
        let date = match text.get(..10) {
            Some(day) if text.get(10..11) == Some("T") => day,
            _ => text,
        };
        let parts: Vec<&str> = date.split('-').collect();
        let number = |s: &str, len: usize| {
            (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse::<u32>().ok())
                .flatten()
        };
        match parts.as_slice() {
            [y, m, d] => NaiveDate::from_ymd_opt(
                i32::try_from(number(y, 4)?).ok()?,
                number(m, 2)?,
                number(d, 2)?,
            )
            .map(Self::Day),
            [y, m] => {
                let month = number(m, 2).filter(|m| (1..=12).contains(m))?;
                Some(Self::Month {
                    year: i32::try_from(number(y, 4)?).ok()?,
                    month,
                })
            }
            [y] => Some(Self::Year(i32::try_from(number(y, 4)?).ok()?)),
            _ => None,
        }
    }

    /// Whole years on `today`; for a partial date, the smallest age it allows.
    pub fn age_on(&self, today: NaiveDate) -> Option<u32> {
        let (year, month, day) = match *self {
            Self::Day(d) => (d.year(), d.month(), d.day()),
            Self::Month { year, month } => (year, month, 31),
            Self::Year(year) => (year, 12, 31),
        };
        let mut age = today.year() - year;
        if (today.month(), today.day()) < (month, day) {
            age -= 1;
        }
        u32::try_from(age).ok()
    }

    /// "14 May 1980", "May 1980", "1980".
    pub fn display(&self) -> String {
        match *self {
            Self::Day(d) => d.format("%-d %b %Y").to_string(),
            Self::Month { year, month } => NaiveDate::from_ymd_opt(year, month, 1)
                .map(|d| d.format("%b %Y").to_string())
                .unwrap_or_else(|| format!("{year}-{month:02}")),
            Self::Year(year) => year.to_string(),
        }
    }
}

impl fmt::Display for PartialDate {
    /// The FHIR form: `yyyy-mm-dd`, `yyyy-mm` or `yyyy`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Day(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            Self::Month { year, month } => write!(f, "{year:04}-{month:02}"),
            Self::Year(year) => write!(f, "{year:04}"),
        }
    }
}

impl Serialize for PartialDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// The home address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Address {
    pub lines: Vec<String>,
    pub postcode: Option<String>,
}

/// One patient as PDS returned them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Patient {
    /// The number PDS answered with (after a merge, the superseding number).
    pub nhs_number: String,
    /// The usual name (or the first name in use when there is no usual one).
    pub name: Option<PersonName>,
    /// Temporary names and nicknames, flagged by their `use`.
    pub other_names: Vec<PersonName>,
    pub birth_date: Option<PartialDate>,
    pub gender: Option<String>,
    /// Absent for restricted patients: PDS removes it.
    pub address: Option<Address>,
    pub gp_ods: Option<String>,
    pub deceased: Option<PartialDate>,
    /// The S-flag: PDS has removed address, telephone and GP. Never cached.
    pub restricted: bool,
    /// The number that was asked for, when PDS answered with a different one (a merged
    /// record): that number has been replaced and this one is used from now on.
    pub superseded_from: Option<String>,
}

impl Patient {
    /// "999 054 8609 has been replaced by 999 010 0012" when the record was merged.
    pub fn superseded_note(&self) -> Option<String> {
        self.superseded_from.as_ref().map(|old| {
            format!(
                "NHS number {} has been replaced by {}: use the new number from now on, and \
                 search it too for newer prescriptions",
                spaced(old),
                spaced(&self.nhs_number)
            )
        })
    }

    /// The banner line: deceased or restricted first, then name, date of birth and age,
    /// gender, postcode, GP.
    pub fn summary_line(&self, today: NaiveDate) -> String {
        self.line(today, false)
    }

    /// The banner line for a narrow terminal: the name without its prefix and with the
    /// first given name only, the date of birth without "born".
    pub fn short_line(&self, today: NaiveDate) -> String {
        self.line(today, true)
    }

    fn line(&self, today: NaiveDate, short: bool) -> String {
        // The flags come first so a line cut to the terminal's width still shows them.
        let mut parts = Vec::new();
        if let Some(died) = &self.deceased {
            parts.push(format!("DECEASED {}", died.display()));
        }
        if self.restricted {
            parts.push("RESTRICTED RECORD".to_owned());
        }
        parts.push(match &self.name {
            Some(name) if short => PersonName {
                prefix: None,
                given: name.given.iter().take(1).cloned().collect(),
                ..name.clone()
            }
            .to_string(),
            Some(name) => name.to_string(),
            None => "(no name)".to_owned(),
        });
        if let Some(dob) = &self.birth_date {
            let born = if short { "" } else { "born " };
            parts.push(match dob.age_on(today) {
                Some(age) => format!("{born}{} ({age})", dob.display()),
                None => format!("{born}{}", dob.display()),
            });
        }
        if let Some(gender) = &self.gender {
            parts.push(gender.clone());
        }
        if let Some(postcode) = self.address.as_ref().and_then(|a| a.postcode.as_ref()) {
            parts.push(postcode.clone());
        }
        if let Some(gp) = &self.gp_ods {
            parts.push(format!("GP {gp}"));
        }
        parts.join(" · ")
    }
}

/// "9990548609" → "999 054 8609".
pub fn spaced(digits: &str) -> String {
    if digits.len() == 10 && digits.is_ascii() {
        format!("{} {} {}", &digits[..3], &digits[3..6], &digits[6..])
    } else {
        digits.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_dates_parse_and_print_in_their_own_precision() {
        let day = NaiveDate::from_ymd_opt(1980, 5, 14).unwrap();
        assert_eq!(
            PartialDate::parse("1980-05-14"),
            Some(PartialDate::Day(day))
        );
        assert_eq!(
            PartialDate::parse("2010-10-22T00:00:00+00:00"),
            PartialDate::parse("2010-10-22")
        );
        assert_eq!(
            PartialDate::parse("1980-05"),
            Some(PartialDate::Month {
                year: 1980,
                month: 5
            })
        );
        assert_eq!(PartialDate::parse("1980"), Some(PartialDate::Year(1980)));
        for bad in [
            "",
            "80",
            "1980-13",
            "1980-02-30",
            "1980-5-1",
            "１９８０",
            "1980-05-14-1",
        ] {
            assert_eq!(PartialDate::parse(bad), None, "{bad}");
        }
        assert_eq!(
            PartialDate::parse("1980-05").unwrap().to_string(),
            "1980-05"
        );
    }

    #[test]
    fn age_counts_whole_years_and_is_cautious_with_partial_dates() {
        let today = NaiveDate::from_ymd_opt(2026, 5, 13).unwrap();
        assert_eq!(
            PartialDate::parse("1980-05-14").unwrap().age_on(today),
            Some(45)
        );
        assert_eq!(
            PartialDate::parse("1980-05-13").unwrap().age_on(today),
            Some(46)
        );
        assert_eq!(
            PartialDate::parse("1980-05").unwrap().age_on(today),
            Some(45)
        );
        assert_eq!(PartialDate::parse("2030").unwrap().age_on(today), None);
    }
}
