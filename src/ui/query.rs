//! The query pane: the form with each field's verdict beside or under it, or (when the
//! pane is folded on a small screen) a one-line summary of the query.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::text::{fit, pad, wrap};
use super::theme::Theme;
use crate::app::form::{Field, QueryForm, QueryMode, Verdict};
use crate::app::keymap::Action;
use crate::app::state::{ListState, Pane, State};
use crate::tracker::dates::{parse_user_date, people_date};
use crate::tracker::query::TrackerRequest;
use crate::tracker::window::{default_earliest, filter_words, window_text};
use chrono::NaiveDate;
use unicode_width::UnicodeWidthStr;

// Wide enough for "▸ Prescription ID" and a space before the value.
const LABEL: usize = 18;
const VALUE: usize = 24;

fn title(form: &QueryForm) -> &'static str {
    match form.mode {
        QueryMode::Search => "Search by NHS number",
        QueryMode::Retrieve => "Retrieve by prescription ID",
        QueryMode::Patient => "Find patient by details",
    }
}

fn block(state: &State, theme: Theme, text: &str) -> Block<'static> {
    theme.pane(text, state.focus == Pane::Query)
}

/// The lines of the form at an inner width, and where the cursor goes (line, column).
fn form_lines(
    state: &State,
    theme: Theme,
    width: usize,
) -> (Vec<Line<'static>>, Option<(u16, u16)>) {
    let form = &state.form;
    let focused_pane = state.focus == Pane::Query && state.signin.is_none();
    let wide = width >= LABEL + VALUE + 20;
    let mut lines = Vec::new();
    let mut cursor = None;
    for field in form.fields() {
        let focused = focused_pane && form.focused() == field;
        let marker = if focused { "▸ " } else { "  " };
        // A long-form (R1) prescription ID is 37 characters: show it whole where it fits.
        let value_width = if wide && field == Field::PrescriptionId && width >= LABEL + 38 + 20 {
            38
        } else if wide {
            VALUE
        } else {
            width.saturating_sub(4).max(4)
        };
        let (value, cursor_col) = field_value(form, field, value_width);
        let label = Span::styled(format!("{marker}{}", field.label()), theme.label());
        // After `n` the text is selected: the next key replaces it.
        let value_style = if focused && form.selected {
            theme.selected()
        } else {
            theme.input(focused)
        };
        let value_span = Span::styled(pad(&value, value_width), value_style);
        let verdict = form.verdict(field, state.today);
        let (verdict_text, verdict_style) = match &verdict {
            Verdict::Fine => (date_meaning(form, field, state.today), theme.dim()),
            Verdict::Warning(w) => (Some(format!("Warning: {w}")), theme.warning()),
            Verdict::Error(e) => (Some(format!("✗ {e}")), theme.error()),
        };
        if wide {
            let label = Span::styled(
                pad(&format!("{marker}{}", field.label()), LABEL),
                theme.label(),
            );
            let rest = width.saturating_sub(LABEL + value_width + 1);
            let mut parts = verdict_text
                .as_deref()
                .map(|t| wrap(t, rest))
                .unwrap_or_default()
                .into_iter();
            let first = parts.next().unwrap_or_default();
            if focused {
                cursor = cursor_col.map(|c| (lines.len() as u16, (LABEL + c) as u16));
            }
            lines.push(Line::from(vec![
                label,
                value_span,
                Span::raw(" "),
                Span::styled(first, verdict_style),
            ]));
            for more in parts {
                lines.push(Line::from(vec![
                    Span::raw(" ".repeat(LABEL + value_width + 1)),
                    Span::styled(more, verdict_style),
                ]));
            }
        } else {
            lines.push(Line::from(label));
            if focused {
                cursor = cursor_col.map(|c| (lines.len() as u16, (4 + c) as u16));
            }
            lines.push(Line::from(vec![Span::raw("    "), value_span]));
            if let Some(text) = verdict_text {
                for part in wrap(&text, width.saturating_sub(4)) {
                    lines.push(Line::from(vec![
                        Span::raw("    "),
                        Span::styled(part, verdict_style),
                    ]));
                }
            }
        }
    }
    if let Some(note) = &form.note {
        lines.push(Line::raw(""));
        for part in wrap(note, width) {
            lines.push(Line::styled(part, theme.error()));
        }
    }
    lines.push(Line::raw(""));
    let keys = &state.settings.keymap;
    let other = match form.mode {
        QueryMode::Search => "retrieve by ID",
        QueryMode::Retrieve if form.patient_allowed => "patient details",
        QueryMode::Retrieve | QueryMode::Patient => "search by NHS number",
    };
    let hint = format!(
        "{} send · {}/{} field · {} {}",
        keys.label(Action::Submit),
        keys.label(Action::PrevField),
        keys.label(Action::NextField),
        keys.label(Action::ToggleMode),
        other
    );
    for part in wrap(&hint, width) {
        lines.push(Line::styled(part, theme.dim()));
    }
    (lines, cursor)
}

/// The text shown for a field's value and the cursor column inside it, scrolled so the
/// cursor stays visible.
fn field_value(form: &QueryForm, field: Field, width: usize) -> (String, Option<usize>) {
    match field {
        Field::Status => (format!("‹ {} ›", form.status_label()), None),
        Field::Version => (format!("‹ {} ›", form.version.label()), None),
        Field::Clinical => {
            let text = if form.clinical { "[x] on" } else { "[ ] off" };
            (text.to_string(), None)
        }
        _ => match form.input(field) {
            Some(input) => {
                let scroll = input.visual_scroll(width.saturating_sub(1));
                let shown: String = input.value().chars().skip(scroll).collect();
                let cursor = input.visual_cursor().saturating_sub(scroll);
                (shown, Some(cursor))
            }
            None => (String::new(), None),
        },
    }
}

/// How many rows the pane needs to show the whole form at this width.
pub fn full_height(state: &State, theme: Theme, width: u16) -> u16 {
    let (lines, _) = form_lines(state, theme, usize::from(width.saturating_sub(2)));
    (lines.len() as u16).saturating_add(2)
}

/// The whole form.
pub fn draw(state: &State, theme: Theme, frame: &mut Frame, area: Rect) {
    let block = block(state, theme, title(&state.form));
    let inner = block.inner(area);
    let (lines, cursor) = form_lines(state, theme, usize::from(inner.width));
    frame.render_widget(Paragraph::new(lines).block(block), area);
    if let Some((row, col)) = cursor
        && row < inner.height
        && col < inner.width
    {
        frame.set_cursor_position(Position::new(inner.x + col, inner.y + row));
    }
}

/// One line saying what the query is, for when the results or detail need the room.
pub fn draw_folded(state: &State, theme: Theme, frame: &mut Frame, area: Rect) {
    let block = block(state, theme, "Query");
    let inner = block.inner(area);
    let width = usize::from(inner.width);
    let text = match sent(state) {
        Some(request) => summary(request, state.today),
        None => typed_summary(state),
    };
    let hint = format!(
        "  ({} to edit)",
        state.settings.keymap.label(Action::NewSearch)
    );
    // Every filter must stay visible: the hint goes first, then the words "NHS number".
    let line = if text.width() + hint.width() <= width {
        Line::from(vec![Span::raw(text), Span::styled(hint, theme.dim())])
    } else {
        let short = if text.width() > width {
            text.replacen("NHS number ", "", 1)
        } else {
            text
        };
        Line::raw(fit(&short, width))
    };
    frame.render_widget(Paragraph::new(line).block(block), area);
}

/// The request the list pane is showing (or waiting for, or failed on): what was sent,
/// which can differ from the form once it has been edited.
pub fn sent(state: &State) -> Option<&TrackerRequest> {
    match &state.list {
        ListState::Empty => None,
        ListState::Loading { request, .. }
        | ListState::Failed { request, .. }
        | ListState::Cancelled { request } => Some(request),
        ListState::Ready(list) => Some(&list.request),
    }
}

/// One line naming everything a request asks: the number or ID, the dates searched and
/// every filter, so nothing left set from the last caller can hide.
pub fn summary(request: &TrackerRequest, today: NaiveDate) -> String {
    let mut parts = match request {
        TrackerRequest::Search(q) | TrackerRequest::ClinicalSummary(q) => vec![
            format!("NHS number {}", q.nhs_number),
            window_text(q, today),
        ],
        TrackerRequest::Retrieve(q) | TrackerRequest::ClinicalDetail(q) => {
            let mut parts = vec![format!("Prescription {}", q.id.as_str())];
            parts.push(match q.issue {
                Some(n) => format!("issue {n}"),
                None => "current issue".to_owned(),
            });
            parts
        }
    };
    parts.extend(filter_words(request));
    parts.join(" · ")
}

/// Before anything is sent: the form as typed, with the window it would search.
fn typed_summary(state: &State) -> String {
    match state.form.request(state.today) {
        Ok(request) => summary(&request, state.today),
        Err(_) => match state.form.mode {
            QueryMode::Search => format!("NHS number {}", state.form.nhs.value().trim()),
            QueryMode::Retrieve => {
                format!("Prescription {}", state.form.prescription_id.value().trim())
            }
            QueryMode::Patient => "Patient details (Enter finds the patient)".to_owned(),
        },
    }
}

/// What a date field means, beside it: the date a typed `-90d` or `01/11/2026` stands
/// for, and what a blank Earliest or Latest searches.
fn date_meaning(form: &QueryForm, field: Field, today: NaiveDate) -> Option<String> {
    let (input, other) = match field {
        Field::Earliest => (&form.earliest, &form.latest),
        Field::Latest => (&form.latest, &form.earliest),
        _ => return None,
    };
    let typed = |i: &tui_input::Input| parse_user_date(i.value(), today).ok();
    if !input.value().trim().is_empty() {
        return typed(input).map(|d| format!("= {}", people_date(d)));
    }
    Some(match field {
        Field::Earliest => {
            let latest = typed(other);
            format!(
                "= {} ({} days back)",
                people_date(default_earliest(latest, today, form.window_days)),
                form.window_days
            )
        }
        _ => format!("= today, {}", people_date(today)),
    })
}
