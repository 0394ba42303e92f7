//! The search result as a table, one row per prescription, for `search` (a retrieve is
//! printed with `inspect`'s summary). Spine's own status text is shown; the code tables
//! only group.

use std::fmt::Write;

use crate::tracker::model::{Coded, Prescription};

/// One row per prescription, with a header and a count, ending with a newline.
pub fn search_table(prescriptions: &[Prescription]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<37}  {:<10}  {:<19}  {:<6}  {:<31}  {:<7}  LAST EVENT",
        "PRESCRIPTION ID", "ISSUED", "TYPE", "ISSUE", "STATUS", "GROUP"
    );
    for p in prescriptions {
        let status = p
            .current_status()
            .map(|s| status_text(&s))
            .unwrap_or_else(|| "-".to_owned());
        let status = if p.pending_cancellation {
            format!("{status} (cancel pending)")
        } else {
            status
        };
        let _ = writeln!(
            out,
            "{:<37}  {:<10}  {:<19}  {:<6}  {:<31}  {:<7}  {}",
            p.id.as_str(),
            p.issue_date
                .map(|d| d.date().to_string())
                .unwrap_or_default(),
            p.treatment.as_ref().map(|t| t.text.as_str()).unwrap_or("-"),
            issue_of(p),
            status,
            p.group().map(|g| g.label()).unwrap_or("-"),
            p.last_event_date.map(|d| d.to_string()).unwrap_or_default(),
        );
    }
    let _ = writeln!(out, "{} prescription(s)", prescriptions.len());
    out
}

fn status_text<C: std::fmt::Display>(coded: &Coded<C>) -> String {
    let code = coded.code.to_string();
    if coded.text.is_empty() || coded.text == code {
        code
    } else if code.chars().all(|c| c.is_ascii_digit()) {
        format!("{code} {}", coded.text)
    } else {
        coded.text.clone()
    }
}

fn issue_of(p: &Prescription) -> String {
    match (p.current_issue, p.total_issues) {
        (Some(current), Some(total)) => format!("{current}/{total}"),
        (Some(current), None) => current.to_string(),
        _ => "-".to_owned(),
    }
}
