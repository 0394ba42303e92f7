//! `--csv`: RFC 4180 (CRLF line ends, fields quoted when they hold a comma, a quote or a
//! line break, quotes doubled), one header row named as `--json` names the fields (nested
//! ones with a dot: `treatment.code`), dates in ISO 8601.
//!
//! Control characters other than line breaks are escaped with the shared sanitiser, so a
//! file viewed with `cat` cannot drive the terminal; a field starting with `=`, `+`, `-`
//! or `@` is prefixed with `'` so a spreadsheet does not run it as a formula.

use serde_json::Value;

use super::safe;
use crate::tracker::model::{Issue, Prescription, SpineDate};

/// One CSV document: a header and rows.
pub(super) struct Csv {
    text: String,
}

impl Csv {
    pub(super) fn new(header: &[&str]) -> Self {
        let mut csv = Self {
            text: String::new(),
        };
        csv.row(header.iter().map(|h| (*h).to_owned()));
        csv
    }

    pub(super) fn row(&mut self, fields: impl IntoIterator<Item = String>) {
        let fields: Vec<String> = fields.into_iter().map(|f| quote(&f)).collect();
        self.text.push_str(&fields.join(","));
        self.text.push_str("\r\n");
    }

    pub(super) fn into_text(self) -> String {
        self.text
    }
}

fn quote(field: &str) -> String {
    let safe: String = field
        .split('\n')
        .map(|line| {
            line.split('\r')
                .map(|part| safe::field(part).into_owned())
                .collect::<Vec<_>>()
                .join("\r")
        })
        .collect::<Vec<_>>()
        .join("\n");
    let safe = if safe.starts_with(['=', '+', '-', '@']) && !looks_numeric(&safe) {
        format!("'{safe}")
    } else {
        safe
    };
    if safe.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", safe.replace('"', "\"\""))
    } else {
        safe
    }
}

/// `-1` and `-0.5` are numbers, not formulas.
fn looks_numeric(text: &str) -> bool {
    text.parse::<f64>().is_ok()
}

/// The columns of a prescription row, as `--json` names them.
pub(super) const PRESCRIPTION_COLUMNS: &[&str] = &[
    "id",
    "nhs_number",
    "treatment.code",
    "treatment.text",
    "status.code",
    "status.text",
    "group",
    "pending_cancellation",
    "current_issue",
    "total_issues",
    "eps_version",
    "issue_date",
    "signing_date",
    "last_event_date",
    "days_supply",
    "prescriber.ods",
    "prescriber.name",
    "nominated_dispenser.ods",
    "nominated_dispenser.name",
    "dispensing_pharmacy.ods",
    "dispensing_pharmacy.name",
    "dispensed_date",
    "claimed_date",
];

/// The columns each issue row adds (`get --csv`).
pub(super) const ISSUE_COLUMNS: &[&str] = &[
    "issues.number",
    "issues.issue_date",
    "issues.status.code",
    "issues.status.text",
    "issues.last_dispense_date",
    "issues.dispenser.ods",
    "issues.dispenser.name",
    "issues.applied_cancellations",
];

/// A row per prescription (`search --csv`).
pub(super) fn prescriptions(prescriptions: &[Prescription]) -> String {
    let mut csv = Csv::new(PRESCRIPTION_COLUMNS);
    for p in prescriptions {
        csv.row(prescription_fields(p));
    }
    csv.into_text()
}

/// A row per issue, each with its prescription's columns first (`get --csv`); a
/// prescription without issues has one row with the issue columns empty.
pub(super) fn issues(prescriptions: &[Prescription]) -> String {
    let header: Vec<&str> = PRESCRIPTION_COLUMNS
        .iter()
        .chain(ISSUE_COLUMNS)
        .copied()
        .collect();
    let mut csv = Csv::new(&header);
    for p in prescriptions {
        let base = prescription_fields(p);
        if p.issues.is_empty() {
            csv.row(
                base.iter()
                    .cloned()
                    .chain(ISSUE_COLUMNS.iter().map(|_| String::new())),
            );
        }
        for issue in &p.issues {
            csv.row(base.iter().cloned().chain(issue_fields(issue)));
        }
    }
    csv.into_text()
}

fn date(date: Option<SpineDate>) -> String {
    date.and_then(|d| serde_json::to_value(d).ok())
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn opt<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

fn prescription_fields(p: &Prescription) -> Vec<String> {
    let status = p.current_status();
    let org = |o: &Option<crate::tracker::model::Organisation>| {
        (
            opt(o.as_ref().and_then(|o| o.ods.clone())),
            opt(o.as_ref().and_then(|o| o.name.clone())),
        )
    };
    let (prescriber_ods, prescriber_name) = org(&p.prescriber);
    let (nominated_ods, nominated_name) = org(&p.nominated_dispenser);
    let (dispensing_ods, dispensing_name) = org(&p.dispensing_pharmacy);
    vec![
        p.id.as_str().to_owned(),
        p.nhs_number.as_digits(),
        opt(p.treatment.as_ref().map(|t| t.code.code().to_owned())),
        opt(p.treatment.as_ref().map(|t| t.text.clone())),
        opt(status.as_ref().map(|s| s.code.code().to_owned())),
        opt(status.as_ref().map(|s| s.text.clone())),
        opt(p.group().map(|g| g.label())),
        p.pending_cancellation.to_string(),
        opt(p.current_issue),
        opt(p.total_issues),
        opt(p.eps_version.as_ref().map(|v| v.code().to_owned())),
        date(p.issue_date),
        date(p.signing_date),
        date(p.last_event_date),
        opt(p.days_supply),
        prescriber_ods,
        prescriber_name,
        nominated_ods,
        nominated_name,
        dispensing_ods,
        dispensing_name,
        date(p.dispensed_date),
        date(p.claimed_date),
    ]
}

fn issue_fields(issue: &Issue) -> Vec<String> {
    vec![
        issue.number.to_string(),
        date(issue.issue_date),
        opt(issue.status.as_ref().map(|s| s.code.code().to_owned())),
        opt(issue.status.as_ref().map(|s| s.text.clone())),
        date(issue.last_dispense_date),
        opt(issue.dispenser.as_ref().and_then(|o| o.ods.clone())),
        opt(issue.dispenser.as_ref().and_then(|o| o.name.clone())),
        issue.applied_cancellations.to_string(),
    ]
}

/// Records serialised as flat JSON objects (the audit trail's `--json` lines), a row each:
/// the `leading` columns first, then every other field in the order first met. Nested
/// values are written as their JSON text.
pub(super) fn objects(records: &[Value], leading: &[&str]) -> String {
    let mut columns: Vec<String> = leading.iter().map(|c| (*c).to_owned()).collect();
    for record in records {
        if let Value::Object(map) = record {
            for key in map.keys() {
                if !columns.contains(key) {
                    columns.push(key.clone());
                }
            }
        }
    }
    let header: Vec<&str> = columns.iter().map(String::as_str).collect();
    let mut csv = Csv::new(&header);
    for record in records {
        csv.row(columns.iter().map(|c| match record.get(c) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        }));
    }
    csv.into_text()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_as_rfc_4180_says() {
        let mut csv = Csv::new(&["a", "b", "c"]);
        csv.row(["plain".into(), "x, y".into(), "say \"hi\"\nthen go".into()]);
        assert_eq!(
            csv.into_text(),
            "a,b,c\r\nplain,\"x, y\",\"say \"\"hi\"\"\nthen go\"\r\n"
        );
    }

    #[test]
    fn formulas_and_escapes_are_defused() {
        assert_eq!(quote("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(quote("-28"), "-28");
        assert_eq!(quote("a\u{1b}]52;c;eA==\u{7}"), "a\\u{1b}]52;c;eA==\\u{7}");
    }

    #[test]
    fn objects_put_the_leading_columns_first() {
        let records = vec![
            serde_json::json!({"seq": 1, "event": "sign_in", "user": "amy"}),
            serde_json::json!({"seq": 2, "event": "search_attempt", "nhs": "9990548609"}),
        ];
        assert_eq!(
            objects(&records, &["seq", "ts", "event"]),
            "seq,ts,event,user,nhs\r\n1,,sign_in,amy,\r\n2,,search_attempt,,9990548609\r\n"
        );
    }
}
