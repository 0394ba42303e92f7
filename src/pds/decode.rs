//! PDS bodies (Patient, searchset Bundle, OperationOutcome) into the model. Walks
//! `serde_json::Value` by hand so a field of the wrong type costs that field, never the
//! answer, and nothing here can panic on what the wire sends.

use serde::Serialize;
use serde_json::{Map, Value};

use super::errors::{NotPds, PdsCode, PdsOutcome};
use super::model::{Address, NameUse, PartialDate, Patient, PersonName};
use crate::tracker::ids::NhsNumber;

/// The largest body read: one patient is a few kilobytes, so a megabyte is already absurd.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Longest text kept from one field; longer is cut (names are at most 35 characters).
const MAX_TEXT_CHARS: usize = 120;
/// PDS sends at most five address lines.
const MAX_ADDRESS_LINES: usize = 5;

/// What a PDS body says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum PdsAnswer {
    Patient {
        patient: Box<Patient>,
    },
    /// A searchset; in application-restricted mode at most one patient.
    Search {
        total: Option<u64>,
        patients: Vec<Patient>,
        /// Entries that were not Patients or could not be read.
        skipped: usize,
    },
    Outcome {
        outcome: PdsOutcome,
    },
}

/// Decodes a body; `http_status` is recorded in an OperationOutcome's error.
pub fn decode(body: &[u8], http_status: Option<u16>) -> Result<PdsAnswer, NotPds> {
    if body.len() > MAX_BODY_BYTES {
        return Err(NotPds::TooLarge {
            limit: MAX_BODY_BYTES,
        });
    }
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let value: Value = serde_json::from_slice(body).map_err(|e| NotPds::NotJson(e.to_string()))?;
    let object = value.as_object().ok_or(NotPds::NoResourceType)?;
    match text(object, "resourceType").as_deref() {
        Some("Patient") => Ok(PdsAnswer::Patient {
            patient: Box::new(patient(object)?),
        }),
        Some("Bundle") => bundle(object),
        Some("OperationOutcome") => Ok(PdsAnswer::Outcome {
            outcome: outcome(object, http_status),
        }),
        Some(other) => Err(NotPds::OtherResource(clean(other))),
        None => Err(NotPds::NoResourceType),
    }
}

/// Whether a body looks like PDS's (for `inspect` to choose a decoder): FHIR names its
/// resource type, which Tracker bodies never do. Keys may come in any order, so the whole
/// body is looked at.
pub fn looks_like_pds(body: &[u8]) -> bool {
    let needle = b"\"resourceType\"";
    body.windows(needle.len()).any(|w| w == needle)
}

fn bundle(object: &Map<String, Value>) -> Result<PdsAnswer, NotPds> {
    if text(object, "type").as_deref() != Some("searchset") {
        return Err(NotPds::Malformed("Bundle", "it is not a searchset".into()));
    }
    let total = object.get("total").and_then(Value::as_u64);
    let mut patients = Vec::new();
    let mut skipped = 0;
    // No `entry` key at all is how PDS says "no match".
    for entry in array(object, "entry") {
        let resource = entry.get("resource").and_then(Value::as_object);
        match resource {
            Some(r) if text(r, "resourceType").as_deref() == Some("Patient") => match patient(r) {
                Ok(p) => patients.push(p),
                Err(_) => skipped += 1,
            },
            _ => skipped += 1,
        }
    }
    Ok(PdsAnswer::Search {
        total,
        patients,
        skipped,
    })
}

fn outcome(object: &Map<String, Value>, http_status: Option<u16>) -> PdsOutcome {
    let issue = array(object, "issue").next().and_then(Value::as_object);
    let coding = issue
        .and_then(|i| i.get("details"))
        .and_then(|d| d.get("coding"))
        .and_then(Value::as_array)
        .and_then(|c| c.first())
        .and_then(Value::as_object);
    let code = coding
        .and_then(|c| text(c, "code"))
        .map_or(PdsCode::UnknownError, |c| PdsCode::parse(&c));
    PdsOutcome {
        http_status,
        code,
        diagnostics: issue.and_then(|i| text(i, "diagnostics")),
    }
}

fn patient(object: &Map<String, Value>) -> Result<Patient, NotPds> {
    let id = text(object, "id")
        .ok_or_else(|| NotPds::Malformed("Patient", "it has no id (NHS number)".into()))?;
    let nhs_number = NhsNumber::parse(&id)
        .map_err(|_| NotPds::Malformed("Patient", "its id is not a valid NHS number".into()))?
        .as_digits();
    let restricted = object
        .get("meta")
        .and_then(|m| m.get("security"))
        .and_then(Value::as_array)
        .is_some_and(|labels| {
            labels
                .iter()
                .any(|l| l.get("code").and_then(Value::as_str) == Some("R"))
        });
    let mut names = array(object, "name").filter_map(name);
    let mut usual: Option<PersonName> = None;
    let mut other_names = Vec::new();
    for n in names.by_ref() {
        if usual.is_none() && n.name_use == NameUse::Usual {
            usual = Some(n);
        } else {
            other_names.push(n);
        }
    }
    let name = usual.or_else(|| (!other_names.is_empty()).then(|| other_names.remove(0)));
    let gender = text(object, "gender")
        .filter(|g| matches!(g.as_str(), "male" | "female" | "other" | "unknown"));
    // PDS removes these for restricted patients; drop them here too in case it did not.
    let (address, gp_ods) = if restricted {
        (None, None)
    } else {
        (home_address(object), gp(object))
    };
    Ok(Patient {
        nhs_number,
        name,
        other_names,
        birth_date: text(object, "birthDate").and_then(|d| PartialDate::parse(&d)),
        gender,
        address,
        gp_ods,
        deceased: text(object, "deceasedDateTime").and_then(|d| PartialDate::parse(&d)),
        restricted,
        superseded_from: None,
    })
}

fn name(value: &Value) -> Option<PersonName> {
    let object = value.as_object()?;
    // A name without `use` is the usual one; old and maiden names are not current.
    let name_use = match text(object, "use") {
        None => NameUse::Usual,
        Some(u) => NameUse::parse(&u)?,
    };
    let prefix: Vec<String> = strings(object, "prefix").collect();
    let given: Vec<String> = strings(object, "given").collect();
    let family = text(object, "family");
    if given.is_empty() && family.is_none() {
        return None;
    }
    Some(PersonName {
        prefix: (!prefix.is_empty()).then(|| prefix.join(" ")),
        given,
        family,
        name_use,
    })
}

fn home_address(object: &Map<String, Value>) -> Option<Address> {
    let home = array(object, "address")
        .filter_map(Value::as_object)
        .find(|a| matches!(text(a, "use").as_deref(), None | Some("home")))?;
    let lines: Vec<String> = strings(home, "line").take(MAX_ADDRESS_LINES).collect();
    let postcode = text(home, "postalCode");
    (!lines.is_empty() || postcode.is_some()).then_some(Address { lines, postcode })
}

fn gp(object: &Map<String, Value>) -> Option<String> {
    array(object, "generalPractitioner")
        .next()
        .and_then(|g| g.get("identifier"))
        .and_then(Value::as_object)
        .and_then(|i| text(i, "value"))
}

fn array<'a>(object: &'a Map<String, Value>, key: &str) -> impl Iterator<Item = &'a Value> {
    object
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

fn strings<'a>(object: &'a Map<String, Value>, key: &'a str) -> impl Iterator<Item = String> + 'a {
    array(object, key)
        .filter_map(Value::as_str)
        .map(clean)
        .filter(|s| !s.is_empty())
}

fn text(object: &Map<String, Value>, key: &str) -> Option<String> {
    object
        .get(key)
        .and_then(Value::as_str)
        .map(clean)
        .filter(|s| !s.is_empty())
}

/// Trimmed, without control characters (which could move the terminal's cursor), and
/// bounded in length.
fn clean(text: &str) -> String {
    text.trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_TEXT_CHARS)
        .collect()
}
