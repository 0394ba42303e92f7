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
use crate::app::state::{Pane, State};

const LABEL: usize = 16;
const VALUE: usize = 24;

fn title(form: &QueryForm) -> &'static str {
    match form.mode {
        QueryMode::Search => "Search by NHS number",
        QueryMode::Retrieve => "Retrieve by prescription ID",
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
        let value_width = if wide {
            VALUE
        } else {
            width.saturating_sub(4).max(4)
        };
        let (value, cursor_col) = field_value(form, field, value_width);
        let label = Span::styled(format!("{marker}{}", field.label()), theme.label());
        let value_span = Span::styled(pad(&value, value_width), theme.input(focused));
        let verdict = form.verdict(field, state.today);
        let (verdict_text, verdict_style) = match &verdict {
            Verdict::Fine => (None, theme.good()),
            Verdict::Warning(w) => (Some(format!("Warning: {w}")), theme.warning()),
            Verdict::Error(e) => (Some(format!("✗ {e}")), theme.error()),
        };
        if wide {
            let label = Span::styled(
                pad(&format!("{marker}{}", field.label()), LABEL),
                theme.label(),
            );
            let rest = width.saturating_sub(LABEL + VALUE + 1);
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
                    Span::raw(" ".repeat(LABEL + VALUE + 1)),
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
        QueryMode::Retrieve => "search by NHS number",
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
    let form = &state.form;
    let summary = match form.mode {
        QueryMode::Search => {
            let typed = form.nhs.value().trim();
            let nhs = crate::tracker::ids::NhsNumber::parse(typed)
                .map_or_else(|_| typed.to_string(), |n| n.to_string());
            let mut parts = vec![format!("NHS number {nhs}")];
            if !form.earliest.value().trim().is_empty() {
                parts.push(format!("from {}", form.earliest.value().trim()));
            }
            if !form.latest.value().trim().is_empty() {
                parts.push(format!("to {}", form.latest.value().trim()));
            }
            parts.join(" · ")
        }
        QueryMode::Retrieve => format!("Prescription {}", form.prescription_id.value().trim()),
    };
    let hint = format!(
        "  ({} to edit)",
        state.settings.keymap.label(Action::NewSearch)
    );
    let line = Line::from(vec![
        Span::raw(fit(&summary, usize::from(inner.width))),
        Span::styled(hint, theme.dim()),
    ]);
    frame.render_widget(Paragraph::new(line).block(block), area);
}
