//! The query form: search by NHS number (with filters) or retrieve one prescription by ID.
//! Validation runs on every edit so the reason a field is wrong sits beside it while the
//! user types, and Enter only sends a query that Spine would accept.

use chrono::NaiveDate;
use tui_input::{Input, InputRequest};

pub use super::patient_form::PatientFields;
use crate::tracker::dates::parse_user_date;
use crate::tracker::ids::{NhsNumber, PrescriptionId};
use crate::tracker::model::{EpsVersion, PrescriptionStatus};
use crate::tracker::query::{QueryError, QueryWarning, RetrieveQuery, SearchQuery, TrackerRequest};
use crate::tracker::window::{DEFAULT_WINDOW_DAYS, default_earliest};

/// Search by NHS number, retrieve by prescription ID, or find the patient by their
/// details in PDS first (roles with `pds.read`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueryMode {
    #[default]
    Search,
    Retrieve,
    Patient,
}

/// The fields of the form, in the order Up/Down walks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Nhs,
    Earliest,
    Latest,
    Status,
    Version,
    Clinical,
    PrescriptionId,
    Issue,
    Family,
    BirthDate,
    Given,
    Postcode,
    Gender,
}

impl Field {
    pub fn label(self) -> &'static str {
        match self {
            Field::Nhs => "NHS number",
            Field::Earliest => "Earliest",
            Field::Latest => "Latest",
            Field::Status => "Status",
            Field::Version => "EPS version",
            Field::Clinical => "Clinical",
            Field::PrescriptionId => "Prescription ID",
            Field::Issue => "Issue",
            Field::Family => "Last name",
            Field::BirthDate => "Date of birth",
            Field::Given => "First name",
            Field::Postcode => "Postcode",
            Field::Gender => "Gender",
        }
    }

    /// Text fields take typed characters; the others are choices changed with
    /// Left/Right or Space.
    pub fn is_text(self) -> bool {
        !matches!(self, Field::Status | Field::Version | Field::Clinical)
    }
}

/// EPS version filter for a search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VersionChoice {
    #[default]
    Any,
    R1,
    R2,
}

impl VersionChoice {
    pub fn label(self) -> &'static str {
        match self {
            VersionChoice::Any => "any",
            VersionChoice::R1 => "R1 (paper-era)",
            VersionChoice::R2 => "R2 (electronic)",
        }
    }

    fn wire(self) -> Option<EpsVersion> {
        match self {
            VersionChoice::Any => None,
            VersionChoice::R1 => Some(EpsVersion::R1),
            VersionChoice::R2 => Some(EpsVersion::R2),
        }
    }

    fn next(self, forward: bool) -> VersionChoice {
        match (self, forward) {
            (VersionChoice::Any, true) | (VersionChoice::R2, false) => VersionChoice::R1,
            (VersionChoice::R1, true) | (VersionChoice::Any, false) => VersionChoice::R2,
            (VersionChoice::R2, true) | (VersionChoice::R1, false) => VersionChoice::Any,
        }
    }
}

/// The query form as typed.
#[derive(Debug, Clone)]
pub struct QueryForm {
    pub mode: QueryMode,
    pub focus: usize,
    pub nhs: Input,
    pub earliest: Input,
    pub latest: Input,
    /// Index into `PrescriptionStatus::KNOWN`, or `None` for any status.
    pub status: Option<usize>,
    pub version: VersionChoice,
    pub clinical: bool,
    pub prescription_id: Input,
    pub issue: Input,
    /// The patient details mode's fields.
    pub patient: PatientFields,
    /// Whether the role may look patients up in PDS (and PDS is set up): the patient
    /// details mode is only offered then.
    pub patient_allowed: bool,
    /// Whether the signed-in role may ask for clinical detail; the toggle is only offered
    /// when it may.
    pub clinical_allowed: bool,
    /// Why the last Enter did not send, until the next edit.
    pub note: Option<String>,
    /// Days a search looks back when Earliest is blank (`[search] default_window_days`).
    pub window_days: u32,
    /// The focused field's text is selected: the next character typed or pasted replaces
    /// it (after `n`, so the next caller's number never lands after the last one's).
    pub selected: bool,
}

impl Default for QueryForm {
    fn default() -> Self {
        QueryForm {
            mode: QueryMode::default(),
            focus: 0,
            nhs: Input::default(),
            earliest: Input::default(),
            latest: Input::default(),
            status: None,
            version: VersionChoice::default(),
            clinical: false,
            prescription_id: Input::default(),
            issue: Input::default(),
            patient: PatientFields::default(),
            patient_allowed: false,
            clinical_allowed: false,
            note: None,
            window_days: DEFAULT_WINDOW_DAYS,
            selected: false,
        }
    }
}

/// The verdict on one field: nothing to say, a warning (sendable), or an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Fine,
    Warning(String),
    Error(String),
}

impl QueryForm {
    /// An empty form for a session: whether clinical detail may be offered, and the
    /// configured search window.
    pub fn fresh(clinical_allowed: bool, window_days: u32) -> QueryForm {
        QueryForm {
            clinical_allowed,
            window_days,
            ..QueryForm::default()
        }
    }

    /// A new caller: every field and filter back to its default, nothing of the last
    /// caller left to hide their prescriptions.
    pub fn clear_for_new_caller(&mut self) {
        *self = QueryForm {
            patient_allowed: self.patient_allowed,
            ..QueryForm::fresh(self.clinical_allowed, self.window_days)
        };
    }

    /// Back to the NHS number (or prescription ID) field with its text selected, so typing
    /// starts a new query (`n`).
    pub fn focus_main_field(&mut self) {
        self.focus = 0;
        self.selected = self
            .input(self.focused())
            .is_some_and(|i| !i.value().is_empty());
    }

    pub fn fields(&self) -> Vec<Field> {
        let mut fields = match self.mode {
            QueryMode::Search => vec![
                Field::Nhs,
                Field::Earliest,
                Field::Latest,
                Field::Status,
                Field::Version,
            ],
            QueryMode::Retrieve => vec![Field::PrescriptionId, Field::Issue],
            // The prescriptions found afterwards are a plain search: no clinical toggle.
            QueryMode::Patient => return PatientFields::FIELDS.to_vec(),
        };
        if self.clinical_allowed {
            fields.push(Field::Clinical);
        }
        fields
    }

    pub fn focused(&self) -> Field {
        let fields = self.fields();
        fields
            .get(self.focus.min(fields.len().saturating_sub(1)))
            .copied()
            .unwrap_or(Field::Nhs)
    }

    pub fn move_focus(&mut self, forward: bool) {
        let count = self.fields().len();
        if count == 0 {
            return;
        }
        self.focus = if forward {
            (self.focus + 1) % count
        } else {
            (self.focus + count - 1) % count
        };
    }

    pub fn toggle_mode(&mut self) {
        self.mode = match self.mode {
            QueryMode::Search => QueryMode::Retrieve,
            QueryMode::Retrieve if self.patient_allowed => QueryMode::Patient,
            QueryMode::Retrieve | QueryMode::Patient => QueryMode::Search,
        };
        self.focus = 0;
    }

    fn input_mut(&mut self, field: Field) -> Option<&mut Input> {
        match field {
            Field::Nhs => Some(&mut self.nhs),
            Field::Earliest => Some(&mut self.earliest),
            Field::Latest => Some(&mut self.latest),
            Field::PrescriptionId => Some(&mut self.prescription_id),
            Field::Issue => Some(&mut self.issue),
            Field::Family | Field::BirthDate | Field::Given | Field::Postcode | Field::Gender => {
                self.patient.input_mut(field)
            }
            Field::Status | Field::Version | Field::Clinical => None,
        }
    }

    pub fn input(&self, field: Field) -> Option<&Input> {
        match field {
            Field::Nhs => Some(&self.nhs),
            Field::Earliest => Some(&self.earliest),
            Field::Latest => Some(&self.latest),
            Field::PrescriptionId => Some(&self.prescription_id),
            Field::Issue => Some(&self.issue),
            Field::Family | Field::BirthDate | Field::Given | Field::Postcode | Field::Gender => {
                self.patient.input(field)
            }
            Field::Status | Field::Version | Field::Clinical => None,
        }
    }

    /// The status filter's text: `any`, or Spine's code and our label.
    pub fn status_label(&self) -> String {
        match self.status.and_then(|i| PrescriptionStatus::KNOWN.get(i)) {
            Some(status) => format!("{} {}", status.code(), status.label()),
            None => "any".to_string(),
        }
    }

    /// Applies an edit to the focused text field. A prescription ID typed or pasted into
    /// the NHS number field moves to retrieve mode, where it belongs.
    pub fn edit(&mut self, request: InputRequest) {
        let field = self.focused();
        let replace = std::mem::take(&mut self.selected);
        if let Some(input) = self.input_mut(field) {
            match request {
                // Typing or deleting over the selection replaces it, as in any text box.
                InputRequest::InsertChar(_) if replace => {
                    input.reset();
                    input.handle(request);
                }
                InputRequest::DeletePrevChar | InputRequest::DeleteNextChar if replace => {
                    input.reset();
                }
                _ => {
                    input.handle(request);
                }
            }
        }
        if field == Field::Nhs {
            self.redirect_prescription_id();
        }
    }

    /// Inserts pasted text into the focused field, dropping line breaks. A whole NHS
    /// number or prescription ID pasted into the number or ID field is a new query: it
    /// replaces what was there (and an ID switches to retrieve mode).
    pub fn paste(&mut self, text: &str) {
        let clean: String = text.chars().filter(|c| !c.is_control()).collect();
        let whole = clean.trim();
        let field = self.focused();
        let is_query = NhsNumber::parse(whole).is_ok() || PrescriptionId::parse(whole).is_ok();
        if matches!(field, Field::Nhs | Field::PrescriptionId) && is_query {
            self.selected = false;
            if PrescriptionId::parse(whole).is_ok() {
                self.prescription_id = Input::new(whole.to_string());
                self.nhs.reset();
                self.issue.reset();
                self.mode = QueryMode::Retrieve;
            } else {
                self.nhs = Input::new(whole.to_string());
                self.prescription_id.reset();
                self.mode = QueryMode::Search;
            }
            self.focus = 0;
            return;
        }
        if std::mem::take(&mut self.selected)
            && let Some(input) = self.input_mut(field)
        {
            input.reset();
        }
        for ch in clean.chars() {
            let field = self.focused();
            if let Some(input) = self.input_mut(field) {
                input.handle(InputRequest::InsertChar(ch));
            }
        }
        if self.focused() == Field::Nhs {
            self.redirect_prescription_id();
        }
    }

    fn redirect_prescription_id(&mut self) {
        let text = self.nhs.value().trim();
        if NhsNumber::parse(text).is_ok() {
            return;
        }
        if PrescriptionId::parse(text).is_ok() {
            self.prescription_id = Input::new(text.to_string());
            self.nhs.reset();
            self.mode = QueryMode::Retrieve;
            self.focus = 0;
        }
    }

    /// Left/Right/Space on a choice field.
    pub fn cycle_choice(&mut self, forward: bool) {
        match self.focused() {
            Field::Status => {
                let count = PrescriptionStatus::KNOWN.len();
                self.status = match (self.status, forward) {
                    (None, true) => Some(0),
                    (None, false) => Some(count - 1),
                    (Some(i), true) if i + 1 < count => Some(i + 1),
                    (Some(i), false) if i > 0 => Some(i - 1),
                    (Some(_), _) => None,
                };
            }
            Field::Version => self.version = self.version.next(forward),
            Field::Clinical => self.clinical = !self.clinical,
            _ => {}
        }
    }

    /// What to show beside a field: its own parse error, else what Spine's rules say
    /// about the query as a whole where it concerns this field.
    pub fn verdict(&self, field: Field, today: NaiveDate) -> Verdict {
        let blank = |input: &Input| input.value().trim().is_empty();
        let own = match field {
            Field::Nhs if !blank(&self.nhs) => NhsNumber::parse(self.nhs.value())
                .err()
                .map(|e| e.to_string()),
            Field::PrescriptionId if !blank(&self.prescription_id) => {
                PrescriptionId::parse(self.prescription_id.value())
                    .err()
                    .map(|e| e.to_string())
            }
            Field::Earliest if !blank(&self.earliest) => {
                parse_user_date(self.earliest.value(), today)
                    .err()
                    .map(|e| e.to_string())
            }
            Field::Latest if !blank(&self.latest) => parse_user_date(self.latest.value(), today)
                .err()
                .map(|e| e.to_string()),
            Field::Issue if !blank(&self.issue) => match self.issue.value().trim().parse::<u32>() {
                Ok(n) if n >= 1 => None,
                _ => Some("a whole number from 1, or blank for the current issue".to_string()),
            },
            Field::Family | Field::BirthDate | Field::Given | Field::Postcode | Field::Gender => {
                self.patient.field_error(field, today)
            }
            _ => None,
        };
        if let Some(error) = own {
            return Verdict::Error(error);
        }
        let Ok(request) = self.request_for_checks(today) else {
            return Verdict::Fine;
        };
        match request.validate(today) {
            Err(error) if concerns(&error, field) => Verdict::Error(error.to_string()),
            Err(_) => Verdict::Fine,
            Ok(warnings) => warnings
                .iter()
                .find(|w| warning_concerns(w, field))
                .map_or(Verdict::Fine, |w| Verdict::Warning(w.to_string())),
        }
    }

    /// The request for checking the other fields against Spine's rules while the NHS
    /// number is still incomplete: dates are worth judging before the number is typed.
    fn request_for_checks(&self, today: NaiveDate) -> Result<TrackerRequest, String> {
        if self.mode == QueryMode::Search && NhsNumber::parse(self.nhs.value()).is_err() {
            let mut stand_in = self.clone();
            // Any valid number will do: only the dates and filters are judged, never sent.
            stand_in.nhs = Input::new("9990548609".to_string());
            return stand_in.request_unchecked(today);
        }
        self.request_unchecked(today)
    }

    /// The request as typed, before Spine's cross-field rules; the first field error.
    fn request_unchecked(&self, today: NaiveDate) -> Result<TrackerRequest, String> {
        let date = |input: &Input, name: &str| -> Result<Option<NaiveDate>, String> {
            let text = input.value().trim();
            if text.is_empty() {
                return Ok(None);
            }
            parse_user_date(text, today)
                .map(Some)
                .map_err(|e| format!("{name}: {e}"))
        };
        let clinical = self.clinical && self.clinical_allowed;
        match self.mode {
            QueryMode::Search => {
                let nhs =
                    NhsNumber::parse(self.nhs.value()).map_err(|e| format!("NHS number: {e}"))?;
                let latest = date(&self.latest, "Latest date")?;
                // A blank Earliest means the configured window, sent explicitly: Spine's own
                // 28 days would miss long-running repeat dispensing.
                let earliest = date(&self.earliest, "Earliest date")?
                    .unwrap_or_else(|| default_earliest(latest, today, self.window_days));
                let query = SearchQuery {
                    nhs_number: nhs,
                    earliest: Some(earliest),
                    latest,
                    status: self
                        .status
                        .and_then(|i| PrescriptionStatus::KNOWN.get(i))
                        .cloned(),
                    version: self.version.wire(),
                };
                Ok(if clinical {
                    TrackerRequest::ClinicalSummary(query)
                } else {
                    TrackerRequest::Search(query)
                })
            }
            QueryMode::Retrieve => {
                let id = PrescriptionId::parse(self.prescription_id.value())
                    .map_err(|e| format!("Prescription ID: {e}"))?;
                let issue = match self.issue.value().trim() {
                    "" => None,
                    text => match text.parse::<u32>() {
                        Ok(n) if n >= 1 => Some(n),
                        _ => return Err("Issue: a whole number from 1, or blank".to_string()),
                    },
                };
                let query = RetrieveQuery { id, issue };
                Ok(if clinical {
                    TrackerRequest::ClinicalDetail(query)
                } else {
                    TrackerRequest::Retrieve(query)
                })
            }
            // PDS answers first (`PatientFields::search`); the Tracker search follows.
            QueryMode::Patient => Err("find the patient first: press Enter".to_string()),
        }
    }

    /// The request to send, or the reason it cannot be sent (Spine would refuse it).
    /// Warnings do not stop it: they are shown beside their fields.
    pub fn request(&self, today: NaiveDate) -> Result<TrackerRequest, String> {
        let request = self.request_unchecked(today)?;
        request.validate(today).map_err(|e| e.to_string())?;
        Ok(request)
    }
}

fn concerns(error: &QueryError, field: Field) -> bool {
    match error {
        QueryError::EarliestAfterLatest { .. } => field == Field::Latest,
        QueryError::EarliestInFuture(_) => field == Field::Earliest,
        QueryError::UnknownStatus(_) => field == Field::Status,
        QueryError::UnknownVersion(_) => field == Field::Version,
        QueryError::CheckCharacter { .. } => field == Field::PrescriptionId,
        QueryError::IssueZero | QueryError::IssueNeeded { .. } => field == Field::Issue,
    }
}

fn warning_concerns(warning: &QueryWarning, field: Field) -> bool {
    match warning {
        QueryWarning::LatestTooOldWithoutEarliest => field == Field::Latest,
        QueryWarning::CheckCharacter(_) => field == Field::PrescriptionId,
    }
}
