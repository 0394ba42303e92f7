//! Plain-language explanations of what a status means and what to do next, for helpdesk
//! staff. The words live in `assets/guidance.toml` (so they can be reviewed without reading
//! code); this module picks the right entries for a prescription and fills in its facts.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chrono::{Days, NaiveDate};
use serde::Deserialize;
use thiserror::Error;

use super::dates::people_date;
use super::model::{
    Issue, LineItemStatus, Organisation, Prescription, PrescriptionStatus, SpineDate,
};

const BUILTIN: &str = include_str!("../../assets/guidance.toml");

/// Spine's default days' supply when a prescription does not say.
const DEFAULT_DAYS_SUPPLY: u64 = 28;

/// eRD issues reach the nominated pharmacy this many days before they are due.
const ERD_RELEASE_LEAD_DAYS: u64 = 7;

#[derive(Debug, Error)]
#[error("the status guidance is not valid TOML: {0}")]
pub struct GuidanceError(#[from] toml::de::Error);

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    meaning: String,
    next: Option<String>,
    next_nominated: Option<String>,
    /// Added to the meaning for repeat-dispensing prescriptions only.
    erd: Option<String>,
}

/// The explanations, keyed by Spine's four-digit codes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guidance {
    prescription: BTreeMap<String, Entry>,
    line_item: BTreeMap<String, Entry>,
    /// Line item 0005 when the whole prescription is cancelled.
    line_item_whole_cancellation: Entry,
    pending_cancellation: Entry,
    r1: Entry,
}

/// One explanation, its placeholders already filled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// What the explanation is about: a status text, "Pending cancellation", "R1".
    pub heading: String,
    pub meaning: String,
    pub next: Option<String>,
}

/// Everything the detail pane explains about one prescription, in reading order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrescriptionGuidance {
    pub status: Option<Explanation>,
    pub pending_cancellation: Option<Explanation>,
    pub r1: Option<Explanation>,
    /// One entry per distinct line-item status in the shown issue, in item order.
    pub line_items: Vec<Explanation>,
}

impl PrescriptionGuidance {
    /// Every explanation, in the order a reader should meet them.
    pub fn all(&self) -> impl Iterator<Item = &Explanation> {
        self.status
            .iter()
            .chain(&self.pending_cancellation)
            .chain(&self.r1)
            .chain(&self.line_items)
    }
}

impl Guidance {
    pub fn parse(text: &str) -> Result<Self, GuidanceError> {
        Ok(toml::from_str(text)?)
    }

    /// The guidance shipped with the program (checked by the tests below, so it parses).
    pub fn builtin() -> &'static Guidance {
        static BUILTIN_GUIDANCE: OnceLock<Guidance> = OnceLock::new();
        BUILTIN_GUIDANCE
            .get_or_init(|| Guidance::parse(BUILTIN).expect("assets/guidance.toml is tested"))
    }

    /// Explains `prescription` as shown at `issue` (the current issue when `None`).
    pub fn explain(
        &self,
        prescription: &Prescription,
        issue: Option<&Issue>,
    ) -> PrescriptionGuidance {
        let issue = issue.or_else(|| prescription.current_issue());
        let facts = Facts::gather(prescription, issue);
        let status = issue
            .and_then(|issue| issue.status.clone())
            .or_else(|| prescription.current_status());
        let whole_cancelled = status.as_ref().is_some_and(|s| {
            matches!(
                s.code,
                PrescriptionStatus::Cancelled | PrescriptionStatus::CancelledFutureInstance
            )
        });
        let mut status = status.map(|status| match self.prescription.get(status.code.code()) {
            Some(entry) if status.code.is_known() => facts.fill(&status.text, entry),
            _ => unknown(&status.text, status.code.code()),
        });
        let pending_cancellation = prescription
            .pending_cancellation
            .then(|| facts.fill("Pending cancellation", &self.pending_cancellation));
        // A pending cancellation outranks the status's next step ("go to the pharmacy").
        if pending_cancellation.is_some()
            && let Some(status) = status.as_mut()
        {
            status.next = None;
        }
        let r1 = prescription
            .status_unreliable()
            .then(|| facts.fill("R1 (paper era)", &self.r1));
        let mut seen: Vec<&LineItemStatus> = Vec::new();
        let mut line_items = Vec::new();
        let items = issue.map_or(&prescription.line_items[..], |issue| &issue.line_items[..]);
        // In item order, so the first explanation is about item 1.
        for status in items.iter().filter_map(|item| item.status.as_ref()) {
            if seen.contains(&&status.code) {
                continue;
            }
            seen.push(&status.code);
            let heading = format!("Line items: {}", status.text);
            let entry = match &status.code {
                LineItemStatus::Cancelled if whole_cancelled => {
                    Some(&self.line_item_whole_cancellation)
                }
                code if code.is_known() => self.line_item.get(code.code()),
                _ => None,
            };
            line_items.push(match entry {
                Some(entry) => facts.fill(&heading, entry),
                None => unknown(&heading, status.code.code()),
            });
        }
        PrescriptionGuidance {
            status,
            pending_cancellation,
            r1,
            line_items,
        }
    }
}

fn unknown(heading: &str, code: &str) -> Explanation {
    Explanation {
        heading: heading.to_owned(),
        meaning: format!(
            "Spine sent a status code this tool does not know ({code}); its text is shown as \
             Spine wrote it."
        ),
        next: None,
    }
}

/// The facts of a prescription that explanations quote, already phrased.
struct Facts {
    dispenser: String,
    nominated: Option<String>,
    download: String,
    reason: String,
    due_date: String,
    repeat_dispensing: bool,
}

impl Facts {
    fn gather(prescription: &Prescription, issue: Option<&Issue>) -> Self {
        let named = |org: Option<&Organisation>| {
            org.map(Organisation::short).filter(|text| !text.is_empty())
        };
        let dispenser = named(issue.and_then(|issue| issue.dispenser.as_deref()))
            .or_else(|| named(prescription.dispensing_pharmacy.as_ref()))
            .unwrap_or_else(|| "a pharmacy".to_owned());
        // Only Spine's download date is a download date; the last event only bounds it.
        let download = match (prescription.download_date, prescription.last_event_date) {
            (Some(date), _) => format!(" on {}", people_date(date.date())),
            (None, Some(date)) => format!(
                ", with it since at least {} (Spine gives no download date here)",
                people_date(date.date())
            ),
            (None, None) => String::new(),
        };
        let reason = match issue.and_then(|issue| issue.cancellation_reason.as_deref()) {
            Some(reason) => format!(" Reason: {reason}."),
            None => " Spine did not send the reason with this answer.".to_owned(),
        };
        // The clinical detail names its issue without listing it among the issues.
        let number = issue
            .map(|issue| issue.number)
            .or(prescription.answered_issue);
        let due_date = number
            .and_then(|number| erd_download_date(prescription, number))
            .map(|date| format!(" (around {})", people_date(date)))
            .unwrap_or_default();
        Self {
            dispenser,
            nominated: named(prescription.nominated_dispenser.as_ref()),
            download,
            reason,
            due_date,
            repeat_dispensing: prescription.is_repeat_dispensing(),
        }
    }

    fn fill(&self, heading: &str, entry: &Entry) -> Explanation {
        let next = match (&self.nominated, &entry.next_nominated) {
            (Some(_), Some(nominated)) => Some(nominated),
            _ => entry.next.as_ref(),
        };
        let mut meaning = self.substitute(&entry.meaning);
        if let (true, Some(erd)) = (self.repeat_dispensing, &entry.erd) {
            meaning.push(' ');
            meaning.push_str(&self.substitute(erd));
        }
        Explanation {
            heading: heading.to_owned(),
            meaning,
            next: next.map(|text| self.substitute(text)),
        }
    }

    fn substitute(&self, template: &str) -> String {
        template
            .replace("{dispenser}", &self.dispenser)
            .replace(
                "{nominated}",
                self.nominated
                    .as_deref()
                    .unwrap_or("the nominated pharmacy"),
            )
            .replace("{download}", &self.download)
            .replace("{reason}", &self.reason)
            .replace("{due_date}", &self.due_date)
    }
}

/// Spine's eRD release rule: prescription date + days' supply × (N − 1) − 7 days. Only
/// meaningful for repeat dispensing issues after the first.
fn erd_download_date(prescription: &Prescription, issue_number: u32) -> Option<NaiveDate> {
    if !prescription.is_repeat_dispensing() || issue_number < 2 {
        return None;
    }
    let base: SpineDate = prescription.signing_date.or(prescription.issue_date)?;
    let supply = prescription
        .days_supply
        .map_or(DEFAULT_DAYS_SUPPLY, u64::from);
    base.date()
        .checked_add_days(Days::new(supply * u64::from(issue_number - 1)))?
        .checked_sub_days(Days::new(ERD_RELEASE_LEAD_DAYS))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracker::ids::{NhsNumber, PrescriptionId};
    use crate::tracker::model::{Coded, LineItem, TreatmentType};

    /// Every code in the model's tables, to check the guidance covers them all.
    fn all_known<C>(
        codes: &[&str],
        parse: impl Fn(&str) -> C,
        known: impl Fn(&C) -> bool,
    ) -> Vec<String> {
        codes
            .iter()
            .filter(|code| known(&parse(code)))
            .map(|code| (*code).to_owned())
            .collect()
    }

    const PRESCRIPTION_CODES: [&str; 13] = [
        "0000", "0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009", "9000",
        "9001", "9005",
    ];
    const LINE_ITEM_CODES: [&str; 8] = [
        "0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008",
    ];

    fn prescription(status: &str, text: &str) -> Prescription {
        let mut p = Prescription::new(
            PrescriptionId::parse("0FBD16-C81007-00001S").unwrap(),
            NhsNumber::parse("9990548609").unwrap(),
        );
        let mut issue = Issue::numbered(1);
        issue.status = Some(Coded::new(PrescriptionStatus::from_code(status), text));
        p.issues.push(issue);
        p.current_issue = Some(1);
        p
    }

    #[test]
    fn builtin_guidance_covers_every_known_code_and_nothing_else() {
        let guidance = Guidance::builtin();
        let prescription = all_known(&PRESCRIPTION_CODES, PrescriptionStatus::from_code, |c| {
            c.is_known()
        });
        assert_eq!(
            prescription.len(),
            13,
            "the model knows every prescription code"
        );
        assert_eq!(
            guidance
                .prescription
                .keys()
                .map(String::as_str)
                .collect::<Vec<_>>(),
            prescription.iter().map(String::as_str).collect::<Vec<_>>()
        );
        let line_item = all_known(&LINE_ITEM_CODES, LineItemStatus::from_code, |c| {
            c.is_known()
        });
        assert_eq!(line_item.len(), 8, "the model knows every line-item code");
        assert_eq!(
            guidance
                .line_item
                .keys()
                .map(String::as_str)
                .collect::<Vec<_>>(),
            line_item.iter().map(String::as_str).collect::<Vec<_>>()
        );
    }

    #[test]
    fn with_dispenser_names_the_pharmacy_and_the_day() {
        let mut p = prescription("0002", "With Dispenser");
        p.issues[0].dispenser = Some(Box::new(Organisation {
            ods: Some("FA666".into()),
            name: Some("CROYDON PHARMACY".into()),
            address: None,
            phone: None,
        }));
        p.last_event_date = Some(SpineDate::Day(NaiveDate::from_ymd_opt(2026, 5, 7).unwrap()));
        let explained = Guidance::builtin().explain(&p, None);
        let status = explained.status.unwrap();
        assert_eq!(status.heading, "With Dispenser");
        // The last event only bounds the download: it is never called the download date.
        assert!(
            status.meaning.starts_with(
                "Downloaded by CROYDON PHARMACY (FA666), with it since at least 7 May 2026 \
                 (Spine gives no download date here);"
            ),
            "{}",
            status.meaning
        );
        assert!(
            status
                .next
                .unwrap()
                .contains("Send the caller to that pharmacy")
        );
        p.download_date = Some(SpineDate::Day(NaiveDate::from_ymd_opt(2026, 5, 1).unwrap()));
        let status = Guidance::builtin().explain(&p, None).status.unwrap();
        assert!(
            status
                .meaning
                .starts_with("Downloaded by CROYDON PHARMACY (FA666) on 1 May 2026;"),
            "{}",
            status.meaning
        );
    }

    #[test]
    fn a_pending_cancellation_replaces_the_status_next_step() {
        let mut p = prescription("0002", "With Dispenser");
        p.pending_cancellation = true;
        let explained = Guidance::builtin().explain(&p, None);
        assert_eq!(explained.status.unwrap().next, None);
        let pending = explained.pending_cancellation.unwrap().next.unwrap();
        assert!(pending.contains("speak to the prescriber"), "{pending}");
    }

    #[test]
    fn a_cancellation_gives_its_reason_and_item_texts_fit_a_whole_cancellation() {
        let mut p = prescription("0005", "Cancelled");
        p.issues[0].cancellation_reason = Some("Prescribing Error".into());
        p.issues[0].line_items.push(LineItem {
            status: Some(Coded::new(LineItemStatus::Cancelled, "Item Cancelled")),
            ..LineItem::default()
        });
        let explained = Guidance::builtin().explain(&p, None);
        let meaning = explained.status.unwrap().meaning;
        assert!(meaning.ends_with("Reason: Prescribing Error."), "{meaning}");
        let item = &explained.line_items[0].meaning;
        assert_eq!(item, "Cancelled with the whole prescription.");
        // On a prescription that carries on, a cancelled item is cancelled alone.
        let mut p = prescription("0001", "To Be Dispensed");
        p.issues[0].line_items.push(LineItem {
            status: Some(Coded::new(LineItemStatus::Cancelled, "Item Cancelled")),
            ..LineItem::default()
        });
        let explained = Guidance::builtin().explain(&p, None);
        assert!(explained.line_items[0].meaning.contains("alone"));
    }

    #[test]
    fn repeat_dispensing_sentences_only_for_repeat_dispensing() {
        let acute = prescription("0006", "Dispensed");
        let meaning = Guidance::builtin()
            .explain(&acute, None)
            .status
            .unwrap()
            .meaning;
        assert!(!meaning.contains("issue"), "{meaning}");
        let mut erd = prescription("0006", "Dispensed");
        erd.treatment = Some(Coded::new(
            TreatmentType::RepeatDispensing,
            "Repeat Dispensing",
        ));
        let meaning = Guidance::builtin()
            .explain(&erd, None)
            .status
            .unwrap()
            .meaning;
        assert!(
            meaning.ends_with("Spine releases the next issue."),
            "{meaning}"
        );
    }

    #[test]
    fn missing_facts_get_neutral_words_not_placeholders() {
        let explained = Guidance::builtin().explain(&prescription("0002", "With Dispenser"), None);
        let status = explained.status.unwrap();
        assert!(
            status.meaning.starts_with("Downloaded by a pharmacy;"),
            "{}",
            status.meaning
        );
        for code in PRESCRIPTION_CODES {
            let text = Guidance::builtin()
                .explain(&prescription(code, "x"), None)
                .all()
                .map(|e| format!("{} {}", e.meaning, e.next.clone().unwrap_or_default()))
                .collect::<String>();
            assert!(!text.contains('{'), "{code} left a placeholder: {text}");
        }
    }

    #[test]
    fn nomination_changes_the_advice_for_to_be_dispensed() {
        let plain = Guidance::builtin().explain(&prescription("0001", "To Be Dispensed"), None);
        assert!(
            plain
                .status
                .unwrap()
                .next
                .unwrap()
                .starts_with("Any pharmacy in England")
        );
        let mut nominated = prescription("0001", "To Be Dispensed");
        nominated.nominated_dispenser = Some(Organisation {
            ods: Some("FCX12".into()),
            name: Some("HIGH STREET PHARMACY".into()),
            address: None,
            phone: None,
        });
        let next = Guidance::builtin()
            .explain(&nominated, None)
            .status
            .unwrap()
            .next
            .unwrap();
        assert!(
            next.starts_with("HIGH STREET PHARMACY (FCX12) picks it up"),
            "{next}"
        );
    }

    #[test]
    fn cancelled_future_instance_is_not_a_pending_cancellation() {
        let explained =
            Guidance::builtin().explain(&prescription("9005", "Cancelled future instance"), None);
        assert!(explained.pending_cancellation.is_none());
        assert!(
            explained
                .status
                .unwrap()
                .meaning
                .contains("not a pending cancellation")
        );
        let mut pending = prescription("0002", "With Dispenser");
        pending.pending_cancellation = true;
        let explained = Guidance::builtin().explain(&pending, None);
        assert_eq!(
            explained.pending_cancellation.unwrap().heading,
            "Pending cancellation"
        );
    }

    #[test]
    fn unknown_codes_are_shown_as_themselves() {
        let explained = Guidance::builtin().explain(&prescription("0042", "Mystery"), None);
        let status = explained.status.unwrap();
        assert_eq!(status.heading, "Mystery");
        assert!(status.meaning.contains("(0042)"));
    }

    #[test]
    fn erd_issue_awaiting_release_gives_the_expected_download_date() {
        let mut p = prescription("0006", "Dispensed");
        p.treatment = Some(Coded::new(
            TreatmentType::RepeatDispensing,
            "Repeat Dispensing",
        ));
        p.signing_date = Some(SpineDate::Day(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()));
        p.days_supply = Some(28);
        let mut second = Issue::numbered(3);
        second.status = Some(Coded::new(
            PrescriptionStatus::from_code("0000"),
            "Awaiting Release Ready",
        ));
        p.issues.push(second.clone());
        let next = Guidance::builtin()
            .explain(&p, Some(&second))
            .status
            .unwrap()
            .next
            .unwrap();
        // 1 Jan + 28 × 2 days − 7 days = 19 Feb.
        assert!(next.contains("(around 19 Feb 2026)"), "{next}");
    }

    #[test]
    fn line_item_statuses_are_explained_once_each_in_item_order() {
        let mut p = prescription("0003", "With Dispenser - Active");
        for (code, text) in [
            ("0004", "Not Dispensed - Owing"),
            ("0001", "Dispensed"),
            ("0004", "Not Dispensed - Owing"),
        ] {
            p.issues[0].line_items.push(LineItem {
                status: Some(Coded::new(LineItemStatus::from_code(code), text)),
                ..LineItem::default()
            });
        }
        let headings: Vec<_> = Guidance::builtin()
            .explain(&p, None)
            .line_items
            .into_iter()
            .map(|e| e.heading)
            .collect();
        assert_eq!(
            headings,
            ["Line items: Not Dispensed - Owing", "Line items: Dispensed"]
        );
    }

    #[test]
    fn r1_prescriptions_carry_the_reliability_note() {
        let mut p = prescription("0001", "To Be Dispensed");
        p.id = PrescriptionId::parse("9C18AE6F-510D-F7A3-E050-D20AE3A231C8K").unwrap();
        assert!(Guidance::builtin().explain(&p, None).r1.is_some());
    }

    #[test]
    fn malformed_guidance_is_an_error_not_a_panic() {
        assert!(Guidance::parse("prescription = 3").is_err());
    }
}
