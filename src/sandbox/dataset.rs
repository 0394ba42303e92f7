//! The synthetic data set (`assets/sandbox/patients.json`), compiled in so the embedded
//! sandbox needs no files. Dates in the file are day offsets; loading turns them into
//! timestamps relative to the moment the sandbox starts, so a default 28-day search always
//! finds something and some prescriptions always fall outside it.

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, NaiveDateTime, NaiveTime};
use serde::Deserialize;
use thiserror::Error;

use crate::tracker::ids::{NhsNumber, PrescriptionId};

const DATA_SET: &str = include_str!("../../assets/sandbox/patients.json");

/// A problem in the data set file: a bug in the file, found by the tests.
#[derive(Debug, Error)]
pub enum DataSetError {
    #[error("the sandbox data set is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("patient {nhs_number}: {problem}")]
    Patient { nhs_number: String, problem: String },
    #[error("prescription {id}: {problem}")]
    Prescription { id: String, problem: String },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organisation {
    pub name: String,
    pub address: String,
    pub phone: String,
}

/// An organisation with its ODS code, as the wire wants it.
#[derive(Debug, Clone)]
pub struct Org {
    pub ods: String,
    pub name: String,
    pub address: String,
    pub phone: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDataSet {
    #[serde(rename = "about")]
    _about: String,
    organisations: BTreeMap<String, Organisation>,
    patients: Vec<RawPatient>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPatient {
    nhs_number: String,
    note: String,
    prescriptions: Vec<RawPrescription>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrescription {
    id: String,
    version: String,
    treatment: String,
    prescriber_type: String,
    prescriber_type_text: String,
    prescriber: String,
    issued: i64,
    days_supply: u32,
    pending_cancellation: bool,
    current_issue: u32,
    total_authorised: u32,
    items: Vec<Item>,
    issues: Vec<RawIssue>,
    #[serde(default)]
    nominated: Option<String>,
    #[serde(default)]
    spine_error: Option<u8>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIssue {
    number: u32,
    status: String,
    items: Vec<String>,
    #[serde(default)]
    issued: Option<i64>,
    #[serde(default)]
    downloaded: Option<i64>,
    #[serde(default)]
    dispensed: Option<i64>,
    #[serde(default)]
    claimed: Option<i64>,
    #[serde(default)]
    dispenser: Option<String>,
    #[serde(default)]
    cancellation: Option<String>,
}

/// One medicine on a prescription.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub id: String,
    pub code: String,
    pub description: String,
    pub quantity: String,
    pub uom: String,
    pub dosage: String,
}

/// Which EPS release a prescription belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EpsVersion {
    R1,
    R2,
}

/// One issue of a prescription (acute and repeat prescribing have exactly one).
#[derive(Debug, Clone)]
pub struct Issue {
    pub number: u32,
    pub status: String,
    /// Line item statuses, in the order of the prescription's items.
    pub item_statuses: Vec<String>,
    pub issued: Option<NaiveDateTime>,
    pub downloaded: Option<NaiveDateTime>,
    pub dispensed: Option<NaiveDateTime>,
    pub claimed: Option<NaiveDateTime>,
    pub dispenser: Option<Org>,
    pub cancellation: Option<String>,
}

impl Issue {
    fn last_event(&self) -> Option<NaiveDateTime> {
        [self.issued, self.downloaded, self.dispensed, self.claimed]
            .into_iter()
            .flatten()
            .max()
    }
}

#[derive(Debug, Clone)]
pub struct Prescription {
    pub id: String,
    pub nhs_number: String,
    pub version: EpsVersion,
    pub treatment: String,
    pub prescriber_type: String,
    pub prescriber_type_text: String,
    pub prescriber: Org,
    pub nominated: Option<Org>,
    pub issued: NaiveDateTime,
    pub days_supply: u32,
    pub pending_cancellation: bool,
    pub current_issue: u32,
    pub total_authorised: u32,
    pub items: Vec<Item>,
    pub issues: Vec<Issue>,
    /// A Spine error this prescription's retrieve answers with (2 sibling, 4 unparsable).
    pub spine_error: Option<u8>,
}

impl Prescription {
    pub fn issue(&self, number: u32) -> Option<&Issue> {
        self.issues.iter().find(|i| i.number == number)
    }

    pub fn current(&self) -> Option<&Issue> {
        self.issue(self.current_issue)
    }

    pub fn last_event(&self) -> NaiveDateTime {
        self.issues
            .iter()
            .filter_map(Issue::last_event)
            .max()
            .unwrap_or(self.issued)
            .max(self.issued)
    }

    pub fn is_repeat_dispensing(&self) -> bool {
        self.treatment == "0003"
    }
}

/// A synthetic patient: an NHS number and what the data set says they demonstrate.
#[derive(Debug, Clone)]
pub struct Patient {
    pub nhs_number: String,
    pub note: String,
    pub prescriptions: Vec<Prescription>,
}

/// The loaded data set, indexed for the lookups the endpoints make.
#[derive(Debug)]
pub struct DataSet {
    patients: BTreeMap<String, Patient>,
    by_id: HashMap<String, (String, usize)>,
}

impl DataSet {
    /// Loads the compiled-in data set with dates relative to `now`.
    pub fn load(now: NaiveDateTime) -> Result<Self, DataSetError> {
        Self::parse(DATA_SET, now)
    }

    fn parse(text: &str, now: NaiveDateTime) -> Result<Self, DataSetError> {
        let raw: RawDataSet = serde_json::from_str(text)?;
        let org = |ods: &str, id: &str| -> Result<Org, DataSetError> {
            let found = raw
                .organisations
                .get(ods)
                .ok_or_else(|| DataSetError::Prescription {
                    id: id.to_owned(),
                    problem: format!("unknown organisation {ods}"),
                })?;
            Ok(Org {
                ods: ods.to_owned(),
                name: found.name.clone(),
                address: found.address.clone(),
                phone: found.phone.clone(),
            })
        };
        let mut patients = BTreeMap::new();
        let mut by_id = HashMap::new();
        for raw_patient in &raw.patients {
            let nhs =
                NhsNumber::parse(&raw_patient.nhs_number).map_err(|e| DataSetError::Patient {
                    nhs_number: raw_patient.nhs_number.clone(),
                    problem: e.to_string(),
                })?;
            let nhs_number = nhs.as_digits();
            let mut prescriptions = Vec::new();
            for (index, rp) in raw_patient.prescriptions.iter().enumerate() {
                let bad = |problem: String| DataSetError::Prescription {
                    id: rp.id.clone(),
                    problem,
                };
                PrescriptionId::parse(&rp.id).map_err(|e| bad(e.to_string()))?;
                let version = match rp.version.as_str() {
                    "R1" => EpsVersion::R1,
                    "R2" => EpsVersion::R2,
                    other => return Err(bad(format!("version {other}"))),
                };
                // Each prescription gets its own time of day, so lists do not look cloned.
                let minute = (index as i64 * 37 + rp.issued.abs() * 11) % 600;
                let at = |offset: i64, hour: i64| {
                    let day = now.date() + Duration::days(offset);
                    let t = day.and_time(NaiveTime::MIN)
                        + Duration::hours(hour)
                        + Duration::minutes(minute)
                        + Duration::seconds(minute % 60);
                    // Past events never lie in the future, even early in the morning.
                    if offset <= 0 { t.min(now) } else { t }
                };
                let mut issues = Vec::new();
                for ri in &rp.issues {
                    if ri.items.len() != rp.items.len() {
                        return Err(bad(format!(
                            "issue {} has {} item statuses for {} items",
                            ri.number,
                            ri.items.len(),
                            rp.items.len()
                        )));
                    }
                    let dispenser = match &ri.dispenser {
                        Some(ods) => Some(org(ods, &rp.id)?),
                        None => None,
                    };
                    issues.push(Issue {
                        number: ri.number,
                        status: ri.status.clone(),
                        item_statuses: ri.items.clone(),
                        issued: ri.issued.map(|d| at(d, 8)),
                        downloaded: ri.downloaded.map(|d| at(d, 9)),
                        dispensed: ri.dispensed.map(|d| at(d, 13)),
                        claimed: ri.claimed.map(|d| at(d, 18)),
                        dispenser,
                        cancellation: ri.cancellation.clone(),
                    });
                }
                let nominated = match &rp.nominated {
                    Some(ods) => Some(org(ods, &rp.id)?),
                    None => None,
                };
                by_id.insert(rp.id.clone(), (nhs_number.clone(), prescriptions.len()));
                prescriptions.push(Prescription {
                    id: rp.id.clone(),
                    nhs_number: nhs_number.clone(),
                    version,
                    treatment: rp.treatment.clone(),
                    prescriber_type: rp.prescriber_type.clone(),
                    prescriber_type_text: rp.prescriber_type_text.clone(),
                    prescriber: org(&rp.prescriber, &rp.id)?,
                    nominated,
                    issued: at(rp.issued, 8),
                    days_supply: rp.days_supply,
                    pending_cancellation: rp.pending_cancellation,
                    current_issue: rp.current_issue,
                    total_authorised: rp.total_authorised,
                    items: rp.items.clone(),
                    issues,
                    spine_error: rp.spine_error,
                });
            }
            patients.insert(
                nhs_number.clone(),
                Patient {
                    nhs_number,
                    note: raw_patient.note.clone(),
                    prescriptions,
                },
            );
        }
        Ok(Self { patients, by_id })
    }

    pub fn patient(&self, nhs_number: &str) -> Option<&Patient> {
        self.patients.get(nhs_number)
    }

    pub fn prescription(&self, id: &str) -> Option<&Prescription> {
        let (nhs, index) = self.by_id.get(id)?;
        self.patients.get(nhs)?.prescriptions.get(*index)
    }

    pub fn patients(&self) -> impl Iterator<Item = &Patient> {
        self.patients.values()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use chrono::Utc;

    use super::*;

    fn data() -> DataSet {
        DataSet::load(Utc::now().naive_utc()).unwrap()
    }

    #[test]
    fn at_least_forty_patients_with_valid_test_range_numbers() {
        let data = data();
        let numbers: Vec<&str> = data.patients().map(|p| p.nhs_number.as_str()).collect();
        assert!(numbers.len() >= 40, "{}", numbers.len());
        assert!(numbers.iter().all(|n| n.starts_with("999")));
    }

    #[test]
    fn every_status_code_appears_somewhere() {
        let data = data();
        let mut statuses = BTreeSet::new();
        let mut item_statuses = BTreeSet::new();
        for p in data.patients().flat_map(|p| &p.prescriptions) {
            for issue in &p.issues {
                statuses.insert(issue.status.as_str());
                item_statuses.extend(issue.item_statuses.iter().map(String::as_str));
            }
        }
        let all = [
            "0000", "0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009", "9000",
            "9001", "9005",
        ];
        assert_eq!(statuses, all.into_iter().collect());
        let items = [
            "0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008",
        ];
        assert_eq!(item_statuses, items.into_iter().collect());
    }

    #[test]
    fn exactly_one_prescription_id_fails_its_check_and_both_forms_occur() {
        let data = data();
        let ids: Vec<PrescriptionId> = data
            .patients()
            .flat_map(|p| &p.prescriptions)
            .map(|p| PrescriptionId::parse(&p.id).unwrap())
            .collect();
        assert_eq!(ids.iter().filter(|id| !id.check_ok()).count(), 1);
        assert!(
            ids.iter()
                .any(|id| id.form() == crate::tracker::ids::IdForm::R1)
        );
        assert!(
            ids.iter()
                .any(|id| id.form() == crate::tracker::ids::IdForm::R2)
        );
    }

    #[test]
    fn demo_patient_has_acute_repeat_and_a_long_repeat_dispensing() {
        let data = data();
        let demo = data.patient("9990548609").unwrap();
        let treatments: BTreeSet<&str> = demo
            .prescriptions
            .iter()
            .map(|p| p.treatment.as_str())
            .collect();
        assert_eq!(treatments, ["0001", "0002", "0003"].into_iter().collect());
        assert!(
            demo.prescriptions
                .iter()
                .any(|p| p.is_repeat_dispensing() && p.issues.len() >= 6)
        );
    }

    #[test]
    fn pending_cancellations_and_clinical_detail_exist() {
        let data = data();
        let all: Vec<&Prescription> = data.patients().flat_map(|p| &p.prescriptions).collect();
        assert!(all.iter().any(|p| p.pending_cancellation));
        assert!(all.iter().all(|p| {
            p.items.iter().all(|i| {
                !i.description.is_empty() && !i.quantity.is_empty() && !i.dosage.is_empty()
            })
        }));
        assert!(all.iter().any(|p| p.nominated.is_some()));
        assert!(
            all.iter()
                .any(|p| p.issues.iter().any(|i| i.dispenser.is_some()))
        );
    }

    #[test]
    fn a_mismatched_item_count_is_reported() {
        let text = r#"{"about":"x","organisations":{"A1":{"name":"n","address":"a","phone":"p"}},
            "patients":[{"nhs_number":"9990548609","note":"n","prescriptions":[{"id":"0FBD16-C81007-00001S",
            "version":"R2","treatment":"0001","prescriber_type":"0101","prescriber_type_text":"GP",
            "prescriber":"A1","issued":-1,"days_supply":28,"pending_cancellation":false,"current_issue":1,
            "total_authorised":1,"items":[],"issues":[{"number":1,"status":"0001","items":["0007"]}]}]}]}"#;
        let err = DataSet::parse(text, Utc::now().naive_utc()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "prescription 0FBD16-C81007-00001S: issue 1 has 1 item statuses for 0 items"
        );
    }
}
