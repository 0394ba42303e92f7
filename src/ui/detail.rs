//! The detail pane: everything about the selected prescription and the issue shown, the
//! plain-language explanation under its status, and the clinical detail when fetched.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::failure::failure_lines;
use super::text::wrap;
use super::theme::Theme;
use crate::app::detail::{DetailLoad, Shown};
use crate::app::keymap::Action;
use crate::app::state::{ListState, Pane, State};
use crate::app::zone::Zone;
use crate::tracker::dates::{SpineDate, people_date};
use crate::tracker::guidance::{Explanation, Guidance};
use crate::tracker::model::{Coded, Issue, Organisation, PrescriptionStatus};

const LABEL: usize = 15;
const SPINNER: [&str; 4] = ["|", "/", "-", "\\"];

/// Lines with a label column and a wrapped value column.
struct Sheet {
    lines: Vec<Line<'static>>,
    width: usize,
    theme: Theme,
}

impl Sheet {
    fn field(&mut self, label: &str, value: &str, style: Style) {
        let room = self.width.saturating_sub(LABEL).max(10);
        for (i, part) in wrap(value, room).into_iter().enumerate() {
            let left = if i == 0 {
                format!("{label:<LABEL$}")
            } else {
                " ".repeat(LABEL)
            };
            self.lines.push(Line::from(vec![
                Span::styled(left, self.theme.label()),
                Span::styled(part, style),
            ]));
        }
    }

    fn plain(&mut self, label: &str, value: &str) {
        self.field(label, value, Style::new());
    }

    fn text(&mut self, text: &str, style: Style) {
        for part in wrap(text, self.width) {
            self.lines.push(Line::styled(part, style));
        }
    }

    fn gap(&mut self) {
        self.lines.push(Line::raw(""));
    }
}

/// A Spine date in the one style for people: `27 Nov 2026`, with the time where Spine
/// gives one, on the reader's clock with its zone named.
fn day(date: Option<SpineDate>, zone: Zone) -> String {
    match date {
        Some(SpineDate::Moment(moment)) => {
            let (local, label) = zone.show(moment);
            format!(
                "{} {} {label}",
                people_date(local.date()),
                local.format("%H:%M")
            )
        }
        Some(date) => people_date(date.date()),
        None => "not given".to_owned(),
    }
}

fn coded<C: std::fmt::Display>(c: &Coded<C>) -> String {
    format!("{} ({})", c.text, c.code)
}

fn organisation(org: &Organisation, full: bool) -> String {
    let mut text = org.short();
    if full && let Some(address) = &org.address {
        let parts: Vec<&str> = address
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        if !parts.is_empty() {
            text.push_str(&format!(", {}", parts.join(", ")));
        }
    }
    if let Some(phone) = &org.phone {
        text.push_str(&format!(" · tel {phone}"));
    }
    text
}

/// One explanation under its heading: what it means, then what to do next.
fn explain(sheet: &mut Sheet, label: &str, explanation: &Explanation, style: Style) {
    sheet.field(label, &explanation.meaning, style);
    if let Some(next) = &explanation.next {
        sheet.field("", &format!("Next: {next}"), style);
    }
}

fn shown_issue(shown: &Shown) -> Option<&Issue> {
    let p = &shown.prescription;
    match shown.issue_number() {
        Some(n) => p.issues.iter().find(|i| i.number == n),
        None => p.issues.first(),
    }
}

fn sheet_for(shown: &Shown, state: &State, sheet: &mut Sheet) {
    let theme = sheet.theme;
    let keys = &state.settings.keymap;
    let zone = state.settings.zone;
    let p = &shown.prescription;
    sheet.field("Prescription", p.id.as_str(), theme.heading());
    if let Some(warning) = p.id.check_warning() {
        sheet.field("", &format!("* Warning: {warning}"), theme.warning());
    }
    if let Some(t) = &p.prescriber_type {
        sheet.plain("Type", &coded(t));
    }
    if let Some(t) = &p.treatment {
        sheet.plain("Treatment", &coded(t));
    }
    if let Some(version) = &p.eps_version {
        sheet.plain("EPS version", version.label());
    }
    let mut signed = day(p.signing_date.or(p.issue_date), zone);
    if let Some(days) = p.days_supply {
        signed.push_str(&format!(" · days supply {days}"));
    }
    sheet.plain("Signed", &signed);
    if let Some(org) = &p.prescriber {
        sheet.plain("Prescriber", &organisation(org, true));
    }
    match &p.nominated_dispenser {
        Some(org) => sheet.plain("Nominated", &organisation(org, true)),
        None => sheet.plain(
            "Nominated",
            "none (the patient has a token any pharmacy can scan)",
        ),
    }
    let issue = shown_issue(shown);
    let guidance = Guidance::builtin().explain(p, issue);
    if let Some(r1) = &guidance.r1 {
        explain(sheet, "R1 note", r1, theme.warning());
    }
    sheet.gap();

    if p.is_repeat_dispensing() {
        sheet.field("Issue", &issue_line(shown, state), theme.heading());
    }
    match issue.and_then(|i| i.status.as_ref()) {
        Some(status) => sheet.field("Status", &coded(status), theme.heading()),
        None => sheet.field(
            "Status",
            p.status_text.as_deref().unwrap_or("not given"),
            theme.heading(),
        ),
    }
    if let Some(status) = &guidance.status {
        explain(sheet, "", status, Style::new());
    }
    if let Some(pending) = &guidance.pending_cancellation {
        explain(sheet, "! Cancelling", pending, theme.warning());
    }
    if let Some(issue) = issue {
        if let Some(date) = issue.issue_date {
            let label = if p.is_repeat_dispensing() {
                "Issue issued"
            } else {
                "Issued"
            };
            sheet.plain(label, &day(Some(date), zone));
        }
        if let Some(org) = &issue.dispenser {
            sheet.plain("Dispenser", &organisation(org, true));
        }
        if let Some(d) = issue.last_dispense_date {
            // On a not-dispensed prescription the date records that, not a supply.
            let not_dispensed = issue
                .status
                .as_ref()
                .is_some_and(|s| s.code == PrescriptionStatus::NotDispensed);
            let label = if not_dispensed {
                "Not-dispensed recorded"
            } else {
                "Last dispensed"
            };
            sheet.plain(label, &day(Some(d), zone));
        }
        if issue.applied_cancellations {
            let text = match &issue.cancellation_reason {
                Some(reason) => format!("applied to this issue · reason: {reason}"),
                None => "applied to this issue".to_owned(),
            };
            sheet.plain("Cancellations", &text);
        }
    }
    if let Some(org) = &p.dispensing_pharmacy {
        sheet.plain("Dispensing", &organisation(org, true));
    }
    // The clinical detail's own dates, each only where Spine gives it.
    for (label, date) in [
        ("Downloaded", p.download_date),
        ("Dispensed", p.dispensed_date),
        ("Claimed", p.claimed_date),
    ] {
        if date.is_some() {
            sheet.plain(label, &day(date, zone));
        }
    }
    if p.last_issue_dispensed_date.is_some() {
        let text = format!("dispensed {}", day(p.last_issue_dispensed_date, zone));
        sheet.plain("Previous issue", &text);
    }
    sheet.plain("Last event", &day(p.last_event_date, zone));

    let items: &[crate::tracker::model::LineItem] = match issue {
        Some(i) if !i.line_items.is_empty() => &i.line_items,
        _ => &p.line_items,
    };
    if !items.is_empty() {
        sheet.gap();
        sheet.text(&format!("Line items ({})", items.len()), theme.heading());
        for (n, item) in items.iter().enumerate() {
            let medication = item.medication();
            let status = item
                .status
                .as_ref()
                .map(coded)
                .or_else(|| medication.item_status_text.clone())
                .unwrap_or_else(|| "status not given".to_string());
            match &medication.description {
                Some(description) => {
                    sheet.field(&format!("  {}", n + 1), description, theme.heading());
                    let mut amount = Vec::new();
                    if let Some(q) = &medication.quantity {
                        amount.push(
                            format!("{q} {}", medication.uom.as_deref().unwrap_or(""))
                                .trim()
                                .to_string(),
                        );
                    }
                    if let Some(d) = &medication.dosage {
                        amount.push(d.clone());
                    }
                    if !amount.is_empty() {
                        sheet.plain("", &amount.join(" · "));
                    }
                    sheet.plain("", &status);
                }
                None => sheet.plain(&format!("  {}", n + 1), &status),
            }
        }
    }
    for item in &guidance.line_items {
        sheet.field("", &item.heading, theme.heading());
        explain(sheet, "", item, Style::new());
    }
    if !shown.notes.is_empty() {
        sheet.gap();
        for note in &shown.notes {
            sheet.text(&format!("Note: {note}"), theme.warning());
        }
    }
    if let Some(trace) = &shown.trace_id {
        sheet.gap();
        sheet.text(
            &format!(
                "Trace ID {trace} · {} copies ID and trace",
                keys.label(Action::Copy)
            ),
            theme.dim(),
        );
    }
}

/// "4 of 6 (the current issue)", "4 of 6 (current: 2)", "4 of 6": the current issue is
/// named only when Spine said which it is, in this answer or in the list's.
fn issue_line(shown: &Shown, state: &State) -> String {
    let p = &shown.prescription;
    let keys = &state.settings.keymap;
    let listed = state
        .list
        .ready()
        .and_then(|l| l.prescriptions.iter().find(|l| l.id == p.id));
    let number = shown.issue_number();
    let total = p
        .total_issues
        .or(listed.and_then(|l| l.total_issues))
        .or(state.detail.last_issue.get(&p.id).copied());
    let current = p.current_issue.or(listed.and_then(|l| l.current_issue));
    let mut line = number.map_or_else(|| "?".to_owned(), |n| n.to_string());
    if let Some(total) = total {
        line.push_str(&format!(" of {total}"));
    }
    match (current, number) {
        (Some(c), Some(n)) if c == n => line.push_str(" (the current issue)"),
        (Some(c), _) => line.push_str(&format!(" (current: {c})")),
        _ => {}
    }
    format!(
        "{line} · {}/{} previous/next issue",
        keys.label(Action::PrevIssue),
        keys.label(Action::NextIssue)
    )
}

pub fn draw(state: &State, theme: Theme, frame: &mut Frame, area: Rect) {
    let focused = state.focus == Pane::Detail;
    let block = theme.pane("Detail", focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = usize::from(inner.width);
    let keys = &state.settings.keymap;
    let mut sheet = Sheet {
        lines: Vec::new(),
        width,
        theme,
    };
    let detail = &state.detail;
    if let (Some((id, note)), Some(key)) = (&detail.note, &detail.showing)
        && *id == key.id
    {
        sheet.text(note, theme.warning());
        sheet.gap();
    }
    match &detail.load {
        DetailLoad::Loading(_) => {
            let spin = SPINNER[state.spinner % SPINNER.len()];
            let what = match detail.showing.as_ref().and_then(|k| k.issue) {
                Some(n) => format!(
                    "{spin} Fetching issue {n}… ({} cancels)",
                    keys.label(Action::Cancel)
                ),
                None => format!(
                    "{spin} Fetching the prescription… ({} cancels)",
                    keys.label(Action::Cancel)
                ),
            };
            sheet.text(&what, theme.heading());
        }
        DetailLoad::Failed(failure) => {
            sheet
                .lines
                .extend(failure_lines(failure, theme, width, keys, false));
        }
        DetailLoad::Cancelled => sheet.text(
            &format!("Cancelled. {} fetches it again.", keys.label(Action::Retry)),
            Style::new(),
        ),
        DetailLoad::Idle => {}
    }
    match detail.shown() {
        Some(shown) => {
            if !matches!(detail.load, DetailLoad::Idle) {
                sheet.gap();
            }
            sheet_for(shown, state, &mut sheet);
        }
        None if matches!(detail.load, DetailLoad::Idle) => {
            let text = match &state.list {
                ListState::Ready(_) => "Select a prescription in the list to see its detail.",
                ListState::Failed { .. } | ListState::Cancelled { .. } => {
                    "No prescription to show."
                }
                _ => "The detail of a prescription shows here once you search.",
            };
            sheet.text(text, theme.dim());
        }
        None => {}
    }
    let total = sheet.lines.len() as u16;
    let max_scroll = total.saturating_sub(inner.height);
    // `detail.scroll` is a reading line. The pane turns a page at a time when that line
    // leaves it, as the list does, so a one-line move redraws two rows rather than the
    // whole pane (about 1,260 bytes at 80x24): a slow link stays usable.
    detail.scroll.drawn(total.saturating_sub(1));
    let cursor = detail.scroll.line();
    let page = inner.height.max(1);
    let scroll = (cursor - cursor % page).min(max_scroll);
    if focused
        && max_scroll > 0
        && let Some(line) = sheet.lines.get_mut(usize::from(cursor))
    {
        *line = std::mem::take(line).patch_style(Modifier::REVERSED);
    }
    frame.render_widget(Paragraph::new(sheet.lines).scroll((scroll, 0)), inner);
    // Say when there is more below (or above), since the pane may be short.
    if max_scroll > 0 && area.height > 2 {
        let more = match (scroll > 0, scroll < max_scroll) {
            (true, true) => " ↑↓ more ",
            (false, true) => " ↓ more: Down/PageDown ",
            _ => " ↑ more above ",
        };
        let bottom = Rect::new(
            area.x + 2,
            area.y + area.height - 1,
            area.width.saturating_sub(4),
            1,
        );
        frame.render_widget(Paragraph::new(Span::styled(more, theme.heading())), bottom);
    }
}
