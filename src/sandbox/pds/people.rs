//! The sandbox's synthetic demographics (`assets/sandbox/pds_patients.json`, the same NHS
//! numbers as the Tracker data set), rendered as PDS renders them, and PDS's search
//! matching for application-restricted access.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{Value, json};

const PEOPLE: &str = include_str!("../../../assets/sandbox/pds_patients.json");

#[derive(Debug, Clone, Deserialize)]
struct OtherName {
    #[serde(rename = "use")]
    name_use: String,
    given: Vec<String>,
    family: String,
}

/// One synthetic person.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct Person {
    pub nhs_number: String,
    prefix: String,
    given: Vec<String>,
    family: String,
    gender: String,
    birth_date: String,
    lines: Vec<String>,
    postcode: String,
    gp: String,
    #[serde(default)]
    other_names: Vec<OtherName>,
    #[serde(default)]
    old_names: Vec<OtherName>,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    deceased: Option<String>,
    #[serde(default)]
    restricted: bool,
}

#[derive(Debug, Deserialize)]
struct File {
    patients: Vec<Person>,
    superseded: BTreeMap<String, String>,
    invalidated: Vec<String>,
}

/// What a retrieve by NHS number finds.
pub(super) enum Lookup<'a> {
    Found(&'a Person),
    Invalidated,
    NotFound,
}

/// Everyone PDS knows in the sandbox.
pub(super) struct People {
    people: Vec<Person>,
    superseded: BTreeMap<String, String>,
    invalidated: Vec<String>,
}

impl People {
    pub(super) fn load() -> Result<Self, serde_json::Error> {
        let file: File = serde_json::from_str(PEOPLE)?;
        Ok(Self {
            people: file.patients,
            superseded: file.superseded,
            invalidated: file.invalidated,
        })
    }

    /// A superseded number answers with the record that replaced it.
    pub(super) fn retrieve(&self, nhs: &str) -> Lookup<'_> {
        if self.invalidated.iter().any(|n| n == nhs) {
            return Lookup::Invalidated;
        }
        let nhs = self.superseded.get(nhs).map_or(nhs, String::as_str);
        self.people
            .iter()
            .find(|p| p.nhs_number == nhs)
            .map_or(Lookup::NotFound, Lookup::Found)
    }

    pub(super) fn search<'a>(&'a self, criteria: &'a Criteria) -> impl Iterator<Item = &'a Person> {
        self.people.iter().filter(move |p| criteria.matches(p))
    }
}

/// A PDS search, parsed.
#[derive(Debug, Default)]
pub(super) struct Criteria {
    pub family: Option<String>,
    pub given: Vec<String>,
    pub gender: Option<String>,
    /// (comparator, day), e.g. ("eq", 1985-07-12).
    pub birthdate: Vec<(String, NaiveDate)>,
    pub postcode: Option<String>,
    pub gp: Option<String>,
    /// Email, phone or death date: the sandbox's people have no match for these.
    pub unmatchable: bool,
}

impl Criteria {
    fn matches(&self, p: &Person) -> bool {
        if self.unmatchable {
            return false;
        }
        // PDS never returns restricted patients to a search by postcode or GP.
        if p.restricted && (self.postcode.is_some() || self.gp.is_some()) {
            return false;
        }
        let family_ok = self
            .family
            .as_ref()
            .is_some_and(|f| wildcard_eq(f, &p.family));
        let given_ok = self
            .given
            .iter()
            .enumerate()
            .all(|(i, g)| p.given.get(i).is_some_and(|name| wildcard_eq(g, name)));
        let gender_ok = self.gender.as_ref().is_none_or(|g| *g == p.gender);
        let postcode_ok = self.postcode.as_ref().is_none_or(|q| {
            let compact = |s: &str| s.replace(' ', "");
            wildcard_eq(&compact(q), &compact(&p.postcode))
        });
        let gp_ok = self
            .gp
            .as_ref()
            .is_none_or(|g| g.eq_ignore_ascii_case(&p.gp));
        let birth_ok = match NaiveDate::parse_from_str(&p.birth_date, "%Y-%m-%d") {
            Ok(born) => self.birthdate.iter().all(|(op, day)| match op.as_str() {
                "ge" => born >= *day,
                "le" => born <= *day,
                _ => born == *day,
            }),
            // A partial date of birth never equals a whole day.
            Err(_) => self.birthdate.is_empty(),
        };
        family_ok && given_ok && gender_ok && postcode_ok && gp_ok && birth_ok
    }
}

/// Case-insensitive equality where `*` in the pattern matches any run of characters.
fn wildcard_eq(pattern: &str, text: &str) -> bool {
    let pattern = pattern.to_lowercase();
    let text = text.to_lowercase();
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut rest = text.as_str();
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    true
}

impl Person {
    /// The Patient resource: the whole record for a retrieve; for a search only the
    /// usual, temp and nickname names and the home address. Restricted records lose
    /// address, telephone and GP either way.
    pub(super) fn resource(&self, for_search: bool) -> Value {
        let mut names = vec![json!({
            "id": "1",
            "use": "usual",
            "period": {"start": "2010-01-01"},
            "prefix": [self.prefix],
            "given": self.given,
            "family": self.family,
        })];
        for (i, n) in self.other_names.iter().enumerate() {
            names.push(json!({"id": format!("o{i}"), "use": n.name_use, "given": n.given, "family": n.family}));
        }
        if !for_search {
            for (i, n) in self.old_names.iter().enumerate() {
                names.push(json!({"id": format!("h{i}"), "use": n.name_use, "given": n.given, "family": n.family, "period": {"start": "1958-01-01", "end": "1980-06-01"}}));
            }
        }
        let security = if self.restricted {
            json!([{"code": "R", "display": "restricted", "system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"}])
        } else {
            json!([{"code": "U", "display": "unrestricted", "system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"}])
        };
        let mut patient = json!({
            "resourceType": "Patient",
            "id": self.nhs_number,
            "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": self.nhs_number}],
            "meta": {"versionId": "2", "security": security},
            "name": names,
            "gender": self.gender,
            "birthDate": self.birth_date,
        });
        if let Some(died) = &self.deceased {
            patient["deceasedDateTime"] = json!(died);
            patient["extension"] = json!([{
                "url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-DeathNotificationStatus",
                "extension": [{"url": "deathNotificationStatus", "valueCodeableConcept": {"coding": [{"system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-DeathNotificationStatus", "version": "1.0.0", "code": "2", "display": "Formal - death notice received from Registrar of Deaths"}]}}]
            }]);
        }
        if !self.restricted {
            patient["address"] = json!([{
                "id": "a1", "use": "home", "period": {"start": "2015-01-01"},
                "line": self.lines, "postalCode": self.postcode,
            }]);
            patient["generalPractitioner"] = json!([{
                "id": "g1", "type": "Organization",
                "identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": self.gp, "period": {"start": "2015-01-01"}},
            }]);
            if let (Some(phone), false) = (&self.phone, for_search) {
                patient["telecom"] =
                    json!([{"id": "t1", "system": "phone", "use": "home", "value": phone}]);
            }
        }
        patient
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::dataset::DataSet;

    #[test]
    fn every_tracker_patient_has_demographics_and_every_number_is_valid() {
        let people = People::load().unwrap();
        let data = DataSet::load(chrono::Utc::now().naive_utc()).unwrap();
        for p in data.patients() {
            assert!(
                matches!(people.retrieve(&p.nhs_number), Lookup::Found(_)),
                "{}",
                p.nhs_number
            );
        }
        for p in &people.people {
            crate::tracker::ids::NhsNumber::parse(&p.nhs_number).unwrap();
        }
    }

    #[test]
    fn wildcards_match_the_rest_of_the_name() {
        assert!(wildcard_eq("pat*", "Patel"));
        assert!(wildcard_eq("o'brien", "O'Brien"));
        assert!(wildcard_eq("ls6*", "LS63HN"));
        assert!(!wildcard_eq("pat", "Patel"));
        assert!(wildcard_eq("P*l", "Patel"));
    }
}
