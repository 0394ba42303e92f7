//! What can be asked of PDS in application-restricted mode: one patient by NHS number, or
//! the single unique match for a last name and date of birth (with first name, postcode
//! and gender to narrow it). Checked as typed, before anything is sent.

use chrono::NaiveDate;
use serde::Serialize;
use thiserror::Error;

use crate::tracker::ids::NhsNumber;

/// PDS's limit on a name parameter.
const MAX_NAME_CHARS: usize = 35;

/// One PDS request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PdsRequest {
    Retrieve(NhsNumber),
    Search(PatientSearch),
}

impl PdsRequest {
    /// The path below the base URL and the query parameters.
    pub fn path_and_query(&self) -> (String, Vec<(&'static str, String)>) {
        match self {
            Self::Retrieve(nhs) => (format!("Patient/{}", nhs.as_digits()), Vec::new()),
            Self::Search(search) => ("Patient".to_owned(), search.parameters()),
        }
    }
}

/// A search by details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PatientSearch {
    pub family: String,
    pub birth_date: NaiveDate,
    pub given: Option<String>,
    pub postcode: Option<String>,
    pub gender: Option<String>,
}

/// Why search details were refused before sending.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SearchDataError {
    #[error("the last name is needed")]
    NoFamilyName,
    #[error("the {0} is longer than 35 characters")]
    TooLong(&'static str),
    #[error("the {0} cannot start with a wildcard: type at least two letters before '*'")]
    EarlyWildcard(&'static str),
    #[error("the {0} has characters a name cannot have: letters, spaces, ' - . and * only")]
    NameCharacters(&'static str),
    #[error(
        "the date of birth must be a day in the past, written 2026-02-03 or 03/02/2026 \
         (four-digit year)"
    )]
    BirthDate,
    #[error("the postcode does not look like a UK postcode (e.g. LS1 6AE, or LS1* for a prefix)")]
    Postcode,
    #[error("the gender must be male, female, other or unknown")]
    Gender,
}

impl PatientSearch {
    /// Checks typed details; `today` bounds the date of birth.
    pub fn new(
        family: &str,
        birth_date: &str,
        given: Option<&str>,
        postcode: Option<&str>,
        gender: Option<&str>,
        today: NaiveDate,
    ) -> Result<Self, SearchDataError> {
        let family = family.trim();
        if family.is_empty() {
            return Err(SearchDataError::NoFamilyName);
        }
        check_name(family, "last name")?;
        let given = given.map(str::trim).filter(|g| !g.is_empty());
        if let Some(g) = given {
            check_name(g, "first name")?;
        }
        let birth_date = parse_birth_date(birth_date, today)?;
        let postcode = postcode
            .map(|p| p.trim().to_uppercase())
            .filter(|p| !p.is_empty());
        if let Some(p) = &postcode {
            check_postcode(p)?;
        }
        let gender = gender
            .map(|g| g.trim().to_lowercase())
            .filter(|g| !g.is_empty());
        if let Some(g) = &gender
            && !matches!(g.as_str(), "male" | "female" | "other" | "unknown")
        {
            return Err(SearchDataError::Gender);
        }
        Ok(Self {
            family: family.to_owned(),
            birth_date,
            given: given.map(str::to_owned),
            postcode,
            gender,
        })
    }

    /// The query, always with `_max-results=1`: the only value application-restricted
    /// access allows (more than one match comes back as TOO_MANY_MATCHES).
    pub fn parameters(&self) -> Vec<(&'static str, String)> {
        let mut params = vec![
            ("family", self.family.clone()),
            (
                "birthdate",
                format!("eq{}", self.birth_date.format("%Y-%m-%d")),
            ),
        ];
        if let Some(g) = &self.given {
            params.push(("given", g.clone()));
        }
        if let Some(g) = &self.gender {
            params.push(("gender", g.clone()));
        }
        if let Some(p) = &self.postcode {
            params.push(("address-postalcode", p.clone()));
        }
        params.push(("_max-results", "1".to_owned()));
        params
    }
}

fn check_name(name: &str, what: &'static str) -> Result<(), SearchDataError> {
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(SearchDataError::TooLong(what));
    }
    if name.chars().take(2).any(|c| c == '*') {
        return Err(SearchDataError::EarlyWildcard(what));
    }
    if !name
        .chars()
        .all(|c| c.is_alphabetic() || matches!(c, ' ' | '\'' | '’' | '-' | '.' | '*'))
    {
        return Err(SearchDataError::NameCharacters(what));
    }
    Ok(())
}

/// A whole past day with a four-digit year: `2026-02-03` or `03/02/2026` (day first).
pub fn parse_birth_date(text: &str, today: NaiveDate) -> Result<NaiveDate, SearchDataError> {
    let text = text.trim();
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .filter(|_| text.len() == 10 && text.as_bytes()[4] == b'-')
        .or_else(|| {
            NaiveDate::parse_from_str(text, "%d/%m/%Y")
                .ok()
                .filter(|_| text.rsplit('/').next().is_some_and(|y| y.len() == 4))
        })
        .ok_or(SearchDataError::BirthDate)?;
    if date > today {
        return Err(SearchDataError::BirthDate);
    }
    Ok(date)
}

/// A full UK postcode (outward 2–4 characters, inward digit + two letters) or a prefix of
/// at least two characters ending in `*`.
fn check_postcode(postcode: &str) -> Result<(), SearchDataError> {
    if let Some(prefix) = postcode.strip_suffix('*') {
        let ok = prefix.len() >= 2
            && prefix.len() <= 7
            && prefix.starts_with(|c: char| c.is_ascii_alphabetic())
            && prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == ' ');
        return if ok {
            Ok(())
        } else {
            Err(SearchDataError::Postcode)
        };
    }
    let compact: String = postcode.chars().filter(|c| *c != ' ').collect();
    let ok = (5..=7).contains(&compact.len())
        && compact.is_ascii()
        && compact.starts_with(|c: char| c.is_ascii_alphabetic())
        && {
            let (outward, inward) = compact.split_at(compact.len() - 3);
            let inward = inward.as_bytes();
            outward.chars().all(|c| c.is_ascii_alphanumeric())
                && inward[0].is_ascii_digit()
                && inward[1].is_ascii_alphabetic()
                && inward[2].is_ascii_alphabetic()
        };
    if ok {
        Ok(())
    } else {
        Err(SearchDataError::Postcode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
    }

    #[test]
    fn a_search_always_asks_for_one_result_and_an_exact_birth_date() {
        let s = PatientSearch::new(
            "O'Brien",
            "03/02/1961",
            Some("Seán"),
            Some("ls1 6ae"),
            None,
            today(),
        )
        .unwrap();
        assert_eq!(
            s.parameters(),
            vec![
                ("family", "O'Brien".to_owned()),
                ("birthdate", "eq1961-02-03".to_owned()),
                ("given", "Seán".to_owned()),
                ("address-postalcode", "LS1 6AE".to_owned()),
                ("_max-results", "1".to_owned()),
            ]
        );
    }

    #[test]
    fn bad_details_are_refused_as_typed() {
        let t = today();
        let search = |f: &str, d: &str, p: Option<&str>| PatientSearch::new(f, d, None, p, None, t);
        assert_eq!(
            search("", "1961-02-03", None),
            Err(SearchDataError::NoFamilyName)
        );
        assert_eq!(
            search("*mith", "1961-02-03", None),
            Err(SearchDataError::EarlyWildcard("last name"))
        );
        assert_eq!(
            search("S*", "1961-02-03", None),
            Err(SearchDataError::EarlyWildcard("last name"))
        );
        assert!(search("Smi*", "1961-02-03", None).is_ok());
        assert_eq!(
            search("Smith", "2027-01-01", None),
            Err(SearchDataError::BirthDate)
        );
        assert_eq!(
            search("Smith", "03/02/61", None),
            Err(SearchDataError::BirthDate)
        );
        assert_eq!(
            search("Smith", "1961-2-3", None),
            Err(SearchDataError::BirthDate)
        );
        assert_eq!(
            search("Smith", "1961-02-03", Some("12345")),
            Err(SearchDataError::Postcode)
        );
        assert!(search("Smith", "1961-02-03", Some("LS*")).is_ok());
        assert_eq!(
            search("Smith", "1961-02-03", Some("*")),
            Err(SearchDataError::Postcode)
        );
        assert_eq!(
            search("Sm1th", "1961-02-03", None),
            Err(SearchDataError::NameCharacters("last name"))
        );
        assert_eq!(
            search(&"a".repeat(36), "1961-02-03", None),
            Err(SearchDataError::TooLong("last name"))
        );
        assert_eq!(
            PatientSearch::new("Smith", "1961-02-03", None, None, Some("m"), t),
            Err(SearchDataError::Gender)
        );
    }
}
