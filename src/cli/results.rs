//! The search result as a table, one row per prescription, for `search` (a retrieve is
//! printed with `inspect`'s summary). Spine's own status text is shown; the code tables
//! only group.
//!
//! At a narrow width (see `table`), columns give way in this order: LAST EVENT is dropped,
//! then TYPE, ISSUE, GROUP and ISSUED; STATUS and TYPE are shortened with `…`. The
//! prescription ID is never cut.

use super::table::{Column, Table};
use crate::tracker::model::{Coded, Prescription};

const COLUMNS: &[Column] = &[
    Column::whole("PRESCRIPTION ID"),
    Column::whole("ISSUED").dropped(5),
    Column::text("TYPE", 6).dropped(2),
    Column::whole("ISSUE").dropped(3),
    Column::text("STATUS", 10),
    Column::whole("GROUP").dropped(4),
    Column::whole("LAST EVENT").dropped(1),
];

/// One row per prescription, with a header and a count, ending with a newline.
pub(super) fn search_table(prescriptions: &[Prescription], width: Option<usize>) -> String {
    let mut table = Table::new(COLUMNS);
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
        table.row(vec![
            p.id.as_str().to_owned(),
            p.issue_date
                .map(|d| d.date().to_string())
                .unwrap_or_default(),
            p.treatment
                .as_ref()
                .map(|t| t.text.to_string())
                .unwrap_or_else(|| "-".to_owned()),
            issue_of(p),
            status,
            p.group().map(|g| g.label()).unwrap_or("-").to_owned(),
            p.last_event_date.map(|d| d.to_string()).unwrap_or_default(),
        ]);
    }
    let mut out = table.render(width);
    out.push_str(&format!("{} prescription(s)\n", prescriptions.len()));
    out
}

fn status_text<C: std::fmt::Display>(coded: &Coded<C>) -> String {
    let code = coded.code.to_string();
    if coded.text.is_empty() || *coded.text == *code {
        code
    } else if code.chars().all(|c| c.is_ascii_digit()) {
        format!("{code} {}", coded.text)
    } else {
        coded.text.to_string()
    }
}

fn issue_of(p: &Prescription) -> String {
    match (p.current_issue, p.total_issues) {
        (Some(current), Some(total)) => format!("{current}/{total}"),
        (Some(current), None) => current.to_string(),
        _ => "-".to_owned(),
    }
}
