//! The helpdesk guidance checked against every prescription of the sandbox data set, as
//! the app decodes it from the sandbox's own answers (basic retrieve and clinical detail
//! of every issue): every date it states is one Spine gave, "current" is claimed only
//! where Spine says so, and the status advice never contradicts the cancellation advice.

use chrono::{NaiveDate, NaiveDateTime};

use super::dataset::{DataSet, Prescription as Raw};
use super::wire;
use crate::tracker::codes::{LineItemStatus, PrescriptionStatus};
use crate::tracker::dates::{SpineDate, people_date};
use crate::tracker::decode;
use crate::tracker::guidance::Guidance;
use crate::tracker::model::Prescription;

fn now() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 11, 30)
        .and_then(|d| d.and_hms_opt(9, 30, 0))
        .unwrap()
}

/// Every date Spine gave in this answer, as the guidance would print it.
fn spines_dates(p: &Prescription) -> Vec<String> {
    let mut dates: Vec<Option<SpineDate>> = vec![
        p.issue_date,
        p.last_event_date,
        p.signing_date,
        p.download_date,
        p.dispensed_date,
        p.claimed_date,
        p.last_issue_dispensed_date,
    ];
    for issue in &p.issues {
        dates.extend([issue.issue_date, issue.last_dispense_date]);
    }
    dates
        .into_iter()
        .flatten()
        .map(|d| people_date(d.date()))
        .collect()
}

/// The `d Mon yyyy` dates in a text, with whether each follows "around " (a date the
/// guidance works out from Spine's eRD rule, said as an estimate).
fn dates_in(text: &str) -> Vec<(String, bool)> {
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | ',' | ';' | '.'))
        .filter(|w| !w.is_empty())
        .collect();
    let mut found = Vec::new();
    for (i, window) in words.windows(3).enumerate() {
        let [day, month, year] = window else {
            continue;
        };
        let candidate = format!("{day} {month} {year}");
        if NaiveDate::parse_from_str(&candidate, "%d %b %Y").is_ok() {
            let estimated = i > 0 && words.get(i - 1) == Some(&"around");
            found.push((candidate, estimated));
        }
    }
    found
}

/// Checks the guidance for one decoded answer; returns what is wrong.
fn problems(raw: &Raw, p: &Prescription, clinical: bool) -> Vec<String> {
    let mut wrong = Vec::new();
    let guidance = Guidance::builtin().explain(p, p.issues.first());
    let allowed = spines_dates(p);
    let texts: Vec<&str> = guidance
        .all()
        .flat_map(|e| std::iter::once(e.meaning.as_str()).chain(e.next.as_deref()))
        .collect();
    for text in &texts {
        if text.contains('{') {
            wrong.push(format!("a placeholder left: {text}"));
        }
        for (date, estimated) in dates_in(text) {
            if !estimated && !allowed.contains(&date) {
                wrong.push(format!("{date} is not a date Spine gave: {text}"));
            }
        }
        if !p.is_repeat_dispensing() && text.contains("repeat-dispensing issue expires") {
            wrong.push(format!(
                "repeat-dispensing text on {:?}: {text}",
                p.treatment
            ));
        }
    }
    if let Some(status) = &guidance.status {
        if guidance.pending_cancellation.is_some() && status.next.is_some() {
            wrong.push("a status next step beside a pending cancellation".to_owned());
        }
        if status.meaning.contains("Downloaded by") && status.meaning.contains(" on ") {
            let on = p.download_date.map(|d| people_date(d.date()));
            if !on.is_some_and(|d| status.meaning.contains(&format!(" on {d}"))) {
                wrong.push(format!(
                    "a download date Spine did not give: {}",
                    status.meaning
                ));
            }
        }
    }
    let whole = p
        .issues
        .first()
        .and_then(|i| i.status.as_ref())
        .is_some_and(|s| {
            matches!(
                s.code,
                PrescriptionStatus::Cancelled | PrescriptionStatus::CancelledFutureInstance
            )
        });
    let cancelled_items = p
        .issues
        .first()
        .map(|i| &i.line_items[..])
        .unwrap_or(&p.line_items[..])
        .iter()
        .filter(|i| {
            i.status
                .as_ref()
                .is_some_and(|s| s.code == LineItemStatus::Cancelled)
        })
        .count();
    if (whole || cancelled_items == 0)
        && guidance
            .line_items
            .iter()
            .any(|e| e.meaning.contains("alone"))
    {
        wrong.push("'this item alone' on a whole cancellation".to_owned());
    }
    // "Current" is Spine's word: the basic answer names the current issue; the clinical
    // detail of a repeat-dispensing prescription names only the issue it answers about.
    let expected = (!(clinical && raw.is_repeat_dispensing())).then_some(raw.current_issue);
    if p.current_issue != expected {
        wrong.push(format!(
            "current issue {:?}, Spine says {expected:?}",
            p.current_issue
        ));
    }
    wrong
}

#[test]
fn guidance_fits_the_facts_of_every_sandbox_prescription() {
    let data = DataSet::load(now()).unwrap();
    let mut checked = 0;
    let mut wrong = Vec::new();
    for patient in data.patients() {
        for raw in &patient.prescriptions {
            for issue in &raw.issues {
                let answers = [
                    (false, wire::basic_retrieve(raw, Some(issue), None)),
                    (true, wire::clinical_detail(raw, issue, None)),
                ];
                for (clinical, body) in answers {
                    let body = body.render(1);
                    let response = decode(Some(200), body.as_bytes()).unwrap();
                    for p in &response.prescriptions {
                        checked += 1;
                        for problem in problems(raw, p, clinical) {
                            wrong.push(format!("{} issue {}: {problem}", raw.id, issue.number));
                        }
                    }
                }
            }
        }
    }
    assert!(checked > 50, "only {checked} answers checked");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_dates_in_a_text_are_found() {
    assert_eq!(
        dates_in("Downloaded on 20 Nov 2026; due (around 1 Dec 2026)."),
        vec![
            ("20 Nov 2026".to_owned(), false),
            ("1 Dec 2026".to_owned(), true)
        ]
    );
}
