//! The prescription model every other part of the tool works on: what Spine told us,
//! normalised (chrono dates, code enums, issues in order), independent of the wire shape.

use std::sync::Arc;

use serde::Serialize;

pub use super::codes::{
    EpsVersion, LineItemStatus, PrescriberType, PrescriptionStatus, StatusGroup, TreatmentType,
};
pub use super::dates::SpineDate;
pub use super::error::SpineError;
use super::ids::{IdForm, NhsNumber, PrescriptionId};

/// A code with the text Spine sent beside it. `text` is exactly what Spine sent: show it,
/// and use `code` to colour, group, filter and explain.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Coded<C> {
    pub code: C,
    pub text: Text,
}

impl<C> Coded<C> {
    pub fn new(code: C, text: impl Into<Text>) -> Self {
        Self {
            code,
            text: text.into(),
        }
    }
}

/// Text Spine sent beside a code, exactly as sent. One response repeats a few texts
/// thousands of times: a text that is our standard wording of its code is held as that
/// wording, with nothing allocated or counted; any other is allocated once per response
/// and shared.
#[derive(Debug, Clone)]
pub enum Text {
    Standard(&'static str),
    Shared(Arc<str>),
}

impl std::ops::Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            Text::Standard(text) => text,
            Text::Shared(text) => text,
        }
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl Eq for Text {}

impl std::hash::Hash for Text {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (**self).hash(state);
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self)
    }
}

impl Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self)
    }
}

impl From<Arc<str>> for Text {
    fn from(text: Arc<str>) -> Self {
        Text::Shared(text)
    }
}

impl From<&str> for Text {
    fn from(text: &str) -> Self {
        Text::Shared(Arc::from(text))
    }
}

impl From<String> for Text {
    fn from(text: String) -> Self {
        Text::Shared(Arc::from(text))
    }
}

/// An organisation as Spine describes it; each part absent when Spine left it blank.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Organisation {
    pub ods: Option<String>,
    pub name: Option<String>,
    /// Comma-separated lines as Spine sent them.
    pub address: Option<String>,
    pub phone: Option<String>,
}

impl Organisation {
    /// Builds an organisation from Spine's strings, turning blanks (and the `"False"`
    /// placeholder) into `None`; `None` overall when nothing is left.
    pub fn from_parts(
        ods: Option<&str>,
        name: Option<&str>,
        address: Option<&str>,
        phone: Option<&str>,
    ) -> Option<Self> {
        let org = Self {
            ods: present(ods),
            name: present(name),
            address: present(address),
            phone: present(phone),
        };
        (!org.is_empty()).then_some(org)
    }

    pub fn is_empty(&self) -> bool {
        self.ods.is_none() && self.name.is_none() && self.address.is_none() && self.phone.is_none()
    }

    /// "NAME (ODS)", "NAME", "ODS" or "", for one-line displays.
    pub fn short(&self) -> String {
        match (&self.name, &self.ods) {
            (Some(name), Some(ods)) => format!("{name} ({ods})"),
            (Some(name), None) => name.clone(),
            (None, Some(ods)) => ods.clone(),
            (None, None) => String::new(),
        }
    }
}

/// Spine's placeholders for "nothing here": blank, and the string `False`.
fn present(value: Option<&str>) -> Option<String> {
    let value = value?.trim();
    (!value.is_empty() && value != "False").then(|| value.to_owned())
}

/// One medication line. The basic shapes carry only its status (and, on retrieve, its id);
/// the clinical shapes carry the medication.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineItem {
    /// The line item UUID where Spine sent one.
    pub id: Option<String>,
    /// Coded status (basic shapes).
    pub status: Option<Coded<LineItemStatus>>,
    /// The clinical shapes' medication, kept apart: a large basic search holds thousands of
    /// line items with none, and each stays a third of the size it would be with it inline.
    pub medication: Option<Box<Medication>>,
}

/// What the clinical shapes say of a line item's medication.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Medication {
    /// Status text sent without a code (clinical detail `itemStatus`).
    pub item_status_text: Option<String>,
    /// SNOMED CT / dm+d concept id.
    pub code: Option<String>,
    /// Medication name, strength and form (dm+d description).
    pub description: Option<String>,
    /// As Spine sent it: may be a decimal such as "12.5".
    pub quantity: Option<String>,
    pub uom: Option<String>,
    pub dosage: Option<String>,
}

/// Nothing known of a medication.
static NO_MEDICATION: Medication = Medication {
    item_status_text: None,
    code: None,
    description: None,
    quantity: None,
    uom: None,
    dosage: None,
};

impl Medication {
    /// Boxed for a line item, or `None` when nothing is known.
    pub fn boxed_if_known(self) -> Option<Box<Medication>> {
        (self != NO_MEDICATION).then(|| Box::new(self))
    }
}

impl LineItem {
    /// The medication, or nothing known of it.
    pub fn medication(&self) -> &Medication {
        self.medication.as_deref().unwrap_or(&NO_MEDICATION)
    }
}

/// The `--json` document's line item: every member, `null` where unknown, as one flat
/// object (the medication is apart only in memory).
impl Serialize for LineItem {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let m = self.medication();
        let mut line = serializer.serialize_struct("LineItem", 8)?;
        line.serialize_field("id", &self.id)?;
        line.serialize_field("status", &self.status)?;
        line.serialize_field("item_status_text", &m.item_status_text)?;
        line.serialize_field("code", &m.code)?;
        line.serialize_field("description", &m.description)?;
        line.serialize_field("quantity", &m.quantity)?;
        line.serialize_field("uom", &m.uom)?;
        line.serialize_field("dosage", &m.dosage)?;
        line.end()
    }
}

/// One issue of a prescription (acute and repeat prescribing have one; eRD has several).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    /// 1-based issue number.
    pub number: u32,
    pub issue_date: Option<SpineDate>,
    pub status: Option<Coded<PrescriptionStatus>>,
    /// In the order Spine numbered them.
    pub line_items: Vec<LineItem>,
    /// Whether Spine reports cancellations applied to this issue.
    pub applied_cancellations: bool,
    /// The prescriber's reason ("Prescribing Error"), where Spine sends it in place of
    /// the applied-cancellations flag.
    pub cancellation_reason: Option<String>,
    pub last_dispense_date: Option<SpineDate>,
    /// Boxed apart, as a line item's medication is: only some shapes name the dispenser,
    /// and a large search's issues stay 40 % smaller without room for one inline.
    pub dispenser: Option<Box<Organisation>>,
}

impl Issue {
    /// An issue with only its number known.
    pub fn numbered(number: u32) -> Self {
        Self {
            number,
            issue_date: None,
            status: None,
            line_items: Vec::new(),
            applied_cancellations: false,
            cancellation_reason: None,
            last_dispense_date: None,
            dispenser: None,
        }
    }
}

/// One prescription, whichever of the four responses it came from. Fields a shape does
/// not carry stay `None` / empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Prescription {
    pub id: PrescriptionId,
    pub nhs_number: NhsNumber,
    /// Coded on the basic shapes; on the clinical shapes Spine sends text only and the code
    /// is derived from it (`Unknown(text)` when the text is not one we know).
    pub treatment: Option<Coded<TreatmentType>>,
    /// Basic retrieve only.
    pub prescriber_type: Option<Coded<PrescriberType>>,
    pub issue_date: Option<SpineDate>,
    pub last_event_date: Option<SpineDate>,
    pub signing_date: Option<SpineDate>,
    pub days_supply: Option<u32>,
    /// The issue Spine calls current (never guessed: `None` when the answer does not say).
    pub current_issue: Option<u32>,
    pub total_issues: Option<u32>,
    /// The issue a clinical detail answers about (the one asked for), which need not be
    /// the current one.
    pub answered_issue: Option<u32>,
    /// A cancellation arrived after a pharmacy downloaded it and is not yet applied.
    pub pending_cancellation: bool,
    pub eps_version: Option<EpsVersion>,
    /// Prescription-level status text (clinical shapes send text only, no code).
    pub status_text: Option<String>,
    pub prescriber: Option<Organisation>,
    pub nominated_dispenser: Option<Organisation>,
    pub dispensing_pharmacy: Option<Organisation>,
    pub download_date: Option<SpineDate>,
    pub dispensed_date: Option<SpineDate>,
    pub claimed_date: Option<SpineDate>,
    pub last_issue_dispensed_date: Option<SpineDate>,
    /// Sorted by issue number.
    pub issues: Vec<Issue>,
    /// Medication lines (clinical shapes; the basic shapes put theirs under each issue).
    pub line_items: Vec<LineItem>,
}

impl Prescription {
    /// A prescription with only its identity known; decoders fill in the rest.
    pub fn new(id: PrescriptionId, nhs_number: NhsNumber) -> Self {
        Self {
            id,
            nhs_number,
            treatment: None,
            prescriber_type: None,
            issue_date: None,
            last_event_date: None,
            signing_date: None,
            days_supply: None,
            current_issue: None,
            total_issues: None,
            answered_issue: None,
            pending_cancellation: false,
            eps_version: None,
            status_text: None,
            prescriber: None,
            nominated_dispenser: None,
            dispensing_pharmacy: None,
            download_date: None,
            dispensed_date: None,
            claimed_date: None,
            last_issue_dispensed_date: None,
            issues: Vec::new(),
            line_items: Vec::new(),
        }
    }

    /// The issue Spine calls current, or the only issue when Spine did not say.
    pub fn current_issue(&self) -> Option<&Issue> {
        match self.current_issue {
            Some(number) => self.issues.iter().find(|issue| issue.number == number),
            None if self.issues.len() == 1 => self.issues.first(),
            None => None,
        }
    }

    /// The status to show for the prescription as a whole: the current issue's coded
    /// status, else the prescription-level text mapped to a code where we know it.
    pub fn current_status(&self) -> Option<Coded<PrescriptionStatus>> {
        if let Some(status) = self.current_issue().and_then(|issue| issue.status.clone()) {
            return Some(status);
        }
        let text = self.status_text.as_ref()?;
        let code = PrescriptionStatus::from_text(text)
            .unwrap_or_else(|| PrescriptionStatus::Unknown(text.clone()));
        Some(Coded::new(code, text.clone()))
    }

    /// Current / Future / Past, as the national web tracker groups it.
    pub fn group(&self) -> Option<StatusGroup> {
        self.current_status()?.code.group()
    }

    /// R1 (paper era) statuses are not reliable: dispensers need not update them.
    pub fn status_unreliable(&self) -> bool {
        match &self.eps_version {
            Some(version) => *version == EpsVersion::R1,
            None => self.id.form() == IdForm::R1,
        }
    }

    pub fn is_repeat_dispensing(&self) -> bool {
        self.treatment
            .as_ref()
            .is_some_and(|t| t.code == TreatmentType::RepeatDispensing)
    }
}

/// Which of the four Tracker interactions a response answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResponseKind {
    /// `GET /mm/prescriptions`: `prescriptionList`.
    Search,
    /// `GET /mm/prescriptions/{id}`: `prescription`.
    Retrieve,
    /// `GET /mm/nhs111itemsummary`: `prescriptions`.
    ClinicalSummary,
    /// `GET /mm/nhs111itemdetails`: a member named by the prescription ID.
    ClinicalDetail,
}

impl ResponseKind {
    /// The name used in `--json` output and messages.
    pub fn name(self) -> &'static str {
        match self {
            ResponseKind::Search => "search",
            ResponseKind::Retrieve => "retrieve",
            ResponseKind::ClinicalSummary => "clinical-summary",
            ResponseKind::ClinicalDetail => "clinical-detail",
        }
    }
}

/// A decoded, successful Tracker response. Its JSON serialisation is the `--json`
/// document (see README.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrackerResponse {
    pub kind: ResponseKind,
    /// In reading order: newest issue date first, then by ID.
    pub prescriptions: Vec<Prescription>,
    /// A Spine error that still came with data: code 3 "issue not found" returns the rest
    /// of the prescription with the issue details blank.
    pub notice: Option<SpineError>,
    /// Oddities met while decoding that lost nothing important (an unreadable date, a
    /// prescription ID whose check character fails), in plain words.
    pub warnings: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prescription() -> Prescription {
        Prescription::new(
            PrescriptionId::parse("0FBD16-C81007-00001S").unwrap(),
            NhsNumber::parse("9990548609").unwrap(),
        )
    }

    #[test]
    fn blank_organisation_parts_become_none() {
        assert_eq!(
            Organisation::from_parts(Some(" "), Some(""), Some("False"), None),
            None
        );
        let org =
            Organisation::from_parts(Some("FA00D"), Some("Test Pharmacy"), Some(""), None).unwrap();
        assert_eq!(org.address, None);
        assert_eq!(org.short(), "Test Pharmacy (FA00D)");
    }

    #[test]
    fn current_status_prefers_the_current_issue() {
        let mut p = prescription();
        p.current_issue = Some(2);
        let mut first = Issue::numbered(1);
        first.status = Some(Coded::new(PrescriptionStatus::Claimed, "Claimed"));
        let mut second = Issue::numbered(2);
        second.status = Some(Coded::new(
            PrescriptionStatus::WithDispenser,
            "With Dispenser",
        ));
        p.issues = vec![first, second];
        assert_eq!(p.current_issue().map(|i| i.number), Some(2));
        assert_eq!(
            p.current_status().map(|s| s.code),
            Some(PrescriptionStatus::WithDispenser)
        );
        assert_eq!(p.group(), Some(StatusGroup::Current));
    }

    #[test]
    fn clinical_status_text_maps_to_a_code_or_stays_unknown() {
        let mut p = prescription();
        p.status_text = Some("Claimed".into());
        assert_eq!(p.group(), Some(StatusGroup::Past));
        p.status_text = Some("Somewhere else".into());
        let status = p.current_status().unwrap();
        assert_eq!(
            status.code,
            PrescriptionStatus::Unknown("Somewhere else".into())
        );
        assert_eq!(p.group(), None);
    }

    #[test]
    fn response_kind_serialises_as_the_documented_names() {
        for kind in [
            ResponseKind::Search,
            ResponseKind::Retrieve,
            ResponseKind::ClinicalSummary,
            ResponseKind::ClinicalDetail,
        ] {
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::Value::String(kind.name().into())
            );
        }
    }

    #[test]
    fn r1_prescriptions_are_flagged_unreliable() {
        let mut p = prescription();
        assert!(!p.status_unreliable());
        p.eps_version = Some(EpsVersion::R1);
        assert!(p.status_unreliable());
    }
}
