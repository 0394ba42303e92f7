//! The result list pane: group tabs with counts, one line per prescription, the empty
//! state that says why it is empty, and failures where the list would have been.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::failure::failure_lines;
use super::text::{fit, pad, wrap};
use super::theme::Theme;
use crate::app::keymap::Action;
use crate::app::msg::{Failure, FailureKind};
use crate::app::results::{GROUPS, ResultList, status_label, treatment_label};
use crate::app::state::{ListState, Pane, State};
use crate::app::zone::Zone;
use crate::tracker::dates::{SpineDate, people_date};
use crate::tracker::ids::IdForm;
use crate::tracker::model::Prescription;
use crate::tracker::query::{SearchQuery, TrackerRequest};
use crate::tracker::window::{filter_words, window_text};
use unicode_width::UnicodeWidthStr;

const SPINNER: [&str; 4] = ["|", "/", "-", "\\"];

/// A date in a column, in the one style for people (`27 Nov 2026`), on the reader's clock.
fn date(d: Option<SpineDate>, zone: Zone) -> String {
    d.map(|d| people_date(zone.day_of(d)))
        .unwrap_or_else(|| "-".to_string())
}

/// A date column's width: `27 Nov 2026`.
const DATE: usize = 11;

pub fn draw(state: &State, theme: Theme, frame: &mut Frame, area: Rect) {
    let focused = state.focus == Pane::Results;
    let block = theme.pane("Prescriptions", focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = usize::from(inner.width);
    let height = usize::from(inner.height);
    let keys = &state.settings.keymap;
    let lines: Vec<Line> = match &state.list {
        ListState::Empty => {
            let text = format!(
                "Type an NHS number in the query pane and press {} to search, or {} to retrieve one prescription by its ID.",
                keys.label(Action::Submit),
                keys.label(Action::ToggleMode)
            );
            wrap(&text, width).into_iter().map(Line::raw).collect()
        }
        ListState::Loading { request, .. } => {
            let spin = SPINNER[state.spinner % SPINNER.len()];
            let mut lines = vec![Line::styled(
                format!("{spin} {}…", asking(request)),
                theme.heading(),
            )];
            lines.extend(
                wrap(&format!("{} cancels.", keys.label(Action::Cancel)), width)
                    .into_iter()
                    .map(|l| Line::styled(l, theme.dim())),
            );
            lines
        }
        ListState::Cancelled { request } => {
            // Name the key that works where the focus is: in a field, `r` would be typed.
            let again = if state.typing() {
                keys.label(Action::Submit)
            } else {
                keys.label(Action::Retry)
            };
            let text = format!("Cancelled: {}. {again} sends it again.", asking(request));
            wrap(&text, width).into_iter().map(Line::raw).collect()
        }
        ListState::Failed { failure, request } => match searched_nothing(request, failure) {
            Some(query) => nothing_found(
                state,
                request,
                query,
                failure.trace_id.as_deref(),
                theme,
                width,
            ),
            None => failure_lines(failure, theme, width, keys, state.typing()),
        },
        ListState::Ready(list) if list.prescriptions.is_empty() => match &list.request {
            TrackerRequest::Search(q) | TrackerRequest::ClinicalSummary(q) => nothing_found(
                state,
                &list.request,
                q,
                list.trace_id.as_deref(),
                theme,
                width,
            ),
            TrackerRequest::Retrieve(q) | TrackerRequest::ClinicalDetail(q) => wrap(
                &format!("Spine found no prescription {}.", q.id.as_str()),
                width,
            )
            .into_iter()
            .map(Line::raw)
            .collect(),
        },
        ListState::Ready(list) => {
            let (lines, cursor) = list_lines(list, state, theme, width, height);
            frame.render_widget(Paragraph::new(lines), inner);
            if let Some((row, col)) = cursor
                && row < inner.height
                && col < inner.width
            {
                frame.set_cursor_position(Position::new(inner.x + col, inner.y + row));
            }
            return;
        }
    };
    frame.render_widget(Paragraph::new(lines), inner);
}

fn asking(request: &TrackerRequest) -> String {
    match request {
        TrackerRequest::Search(q) => format!("Searching NHS number {}", q.nhs_number),
        TrackerRequest::ClinicalSummary(q) => {
            format!("Searching NHS number {} (clinical)", q.nhs_number)
        }
        TrackerRequest::Retrieve(q) => format!("Retrieving {}", q.id.as_str()),
        TrackerRequest::ClinicalDetail(q) => format!("Retrieving {} (clinical)", q.id.as_str()),
    }
}

/// Column widths for a row at this width.
#[derive(Clone, Copy)]
struct Columns {
    id: usize,
    treatment: usize,
    status: usize,
    /// The last-event column, dropped before a status would be cut short.
    last_event: bool,
}

fn columns(list: &ResultList, width: usize) -> Columns {
    let rows = || {
        list.visible
            .iter()
            .filter_map(|i| list.prescriptions.get(*i))
    };
    let longest_id = rows().map(|p| p.id.as_str().len()).max().unwrap_or(20);
    let longest_status = rows().map(|p| status_label(p).width()).max().unwrap_or(6);
    // marker(2) issued gap id gap treatment(9) gap status [gap last event]
    let without_last = 2 + DATE + 1 + 1 + 9 + 1;
    let with_last = without_last + 1 + DATE;
    let last_event = width >= with_last + longest_id.min(20) + longest_status;
    let fixed = if last_event { with_last } else { without_last };
    let id = longest_id.min(width.saturating_sub(fixed + 14)).max(20);
    let status = width.saturating_sub(fixed + id).max(6);
    Columns {
        id,
        treatment: 9,
        status,
        last_event,
    }
}

/// An R1 ID (37 characters) cut in the middle when the column is narrower, so both
/// ends stay readable; the detail pane always shows it whole.
fn id_text(p: &Prescription, width: usize) -> String {
    let id = p.id.as_str();
    if id.len() <= width || p.id.form() != IdForm::R1 || width < 12 {
        return fit(id, width);
    }
    let tail = width / 2;
    let head = width - tail - 1;
    format!("{}…{}", &id[..head], &id[id.len() - tail..])
}

fn row(p: &Prescription, cols: Columns, zone: Zone) -> String {
    let marker = match (p.pending_cancellation, p.id.check_ok()) {
        (true, _) => "! ",
        (false, false) => "* ",
        (false, true) => "  ",
    };
    let mut text = format!(
        "{marker}{} {} {} {}",
        pad(&date(p.issue_date, zone), DATE),
        pad(&id_text(p, cols.id), cols.id),
        pad(&treatment_label(p), cols.treatment),
        pad(&status_label(p), cols.status),
    );
    if cols.last_event {
        text.push(' ');
        text.push_str(&pad(&date(p.last_event_date, zone), DATE));
    }
    text
}

fn list_lines(
    list: &ResultList,
    state: &State,
    theme: Theme,
    width: usize,
    height: usize,
) -> (Vec<Line<'static>>, Option<(u16, u16)>) {
    let keys = &state.settings.keymap;
    let mut lines = Vec::new();
    let mut tabs = Vec::new();
    for (n, group) in GROUPS.into_iter().enumerate() {
        // With a filter on, each tab says how many of its prescriptions match.
        let label = if list.filter.value().trim().is_empty() {
            format!("{} {} ({})", n + 1, group.label(), list.count(group))
        } else {
            format!(
                "{} {} ({}/{})",
                n + 1,
                group.label(),
                list.matching(group),
                list.count(group)
            )
        };
        if group == list.group {
            tabs.push(Span::styled(format!("[{label}]"), theme.selected()));
        } else {
            tabs.push(Span::raw(format!(" {label} ")));
        }
        tabs.push(Span::raw(" "));
    }
    lines.push(Line::from(tabs));
    let cols = columns(list, width);
    let mut header = format!(
        "  {} {} {} {}",
        pad("Issued", DATE),
        pad("Prescription ID", cols.id),
        pad("Treatment", cols.treatment),
        pad("Status", cols.status),
    );
    if cols.last_event {
        header.push_str(&format!(" {}", pad("Last event", DATE)));
    }
    lines.push(Line::styled(fit(&header, width), theme.dim()));

    // Two lines below the rows: the count line and the filter line.
    let rows_room = height.saturating_sub(lines.len() + 2).max(1);
    let mut cursor = None;
    if list.visible.is_empty() {
        for part in wrap(&empty_reason(list, state), width) {
            lines.push(Line::raw(part));
        }
    } else {
        // Page by page, so moving the selection redraws two lines, not the whole list.
        let first = (list.selected / rows_room) * rows_room;
        for (pos, index) in list.visible.iter().enumerate().skip(first).take(rows_room) {
            let Some(p) = list.prescriptions.get(*index) else {
                continue;
            };
            let text = fit(&row(p, cols, state.settings.zone), width);
            let style = if pos == list.selected {
                theme.selected()
            } else {
                ratatui::style::Style::new()
            };
            lines.push(Line::styled(pad(&text, width), style));
        }
    }
    while lines.len() < height.saturating_sub(2) {
        lines.push(Line::raw(""));
    }
    let shown = list.visible.len();
    let total = list.count(list.group);
    let mut count = if shown == total {
        format!(
            "{shown} in {} · sorted {}",
            list.group.label(),
            list.sort.label()
        )
    } else {
        format!(
            "{shown} of {total} in {} match the filter · sorted {}",
            list.group.label(),
            list.sort.label()
        )
    };
    // The search's own trace ID, which the detail's requests replace in the footer.
    if let Some(trace) = &list.trace_id
        && count.width() + trace.width() + 9 <= width
    {
        count.push_str(&format!(" · trace {trace}"));
    }
    lines.push(Line::styled(fit(&count, width), theme.dim()));
    if list.filtering || !list.filter.value().is_empty() {
        let prefix = "Filter: ";
        let value = list.filter.value();
        if list.filtering {
            let col = prefix.len() + list.filter.visual_cursor();
            cursor = Some((lines.len() as u16, col as u16));
        }
        lines.push(Line::from(vec![
            Span::styled(prefix, theme.label()),
            Span::styled(value.to_string(), theme.input(list.filtering)),
        ]));
    } else {
        let hint = format!(
            "{} filter · {} sort · {}/{}/{} groups · {} open",
            keys.label(Action::Filter),
            keys.label(Action::Sort),
            keys.label(Action::GroupCurrent),
            keys.label(Action::GroupFuture),
            keys.label(Action::GroupPast),
            keys.label(Action::Submit),
        );
        lines.push(Line::styled(fit(&hint, width), theme.dim()));
    }
    (lines, cursor)
}

/// Why the list shows nothing, in words that suggest the next step.
fn empty_reason(list: &ResultList, state: &State) -> String {
    let keys = &state.settings.keymap;
    let in_group = list.count(list.group);
    if in_group > 0 {
        let elsewhere: Vec<String> = GROUPS
            .into_iter()
            .filter(|g| *g != list.group && list.matching(*g) > 0)
            .map(|g| format!("{} has {}", g.label(), list.matching(g)))
            .collect();
        let mut text = format!(
            "The filter \"{}\" hides all {in_group} prescriptions in {}: press {} and clear it (Esc).",
            list.filter.value(),
            list.group.label(),
            keys.label(Action::Filter)
        );
        if !elsewhere.is_empty() {
            text.push_str(&format!(" Matches elsewhere: {}.", elsewhere.join(", ")));
        }
        return text;
    }
    // Only reached with prescriptions in other groups: an answer with none at all is
    // drawn by `nothing_found`.
    let others: Vec<String> = GROUPS
        .into_iter()
        .filter(|g| list.count(*g) > 0)
        .map(|g| format!("{} ({})", g.label(), list.count(g)))
        .collect();
    format!(
        "None in {}. The others hold the rest: {}.",
        list.group.label(),
        others.join(", ")
    )
}

/// The search query of a failure that only means "nothing in these dates" (Spine code 1
/// to a search): a normal answer, not an error.
fn searched_nothing<'a>(request: &'a TrackerRequest, failure: &Failure) -> Option<&'a SearchQuery> {
    match request {
        TrackerRequest::Search(q) | TrackerRequest::ClinicalSummary(q)
            if failure.kind == FailureKind::Spine
                && failure.spine.as_ref().is_some_and(|s| s.code == "1") =>
        {
            Some(q)
        }
        _ => None,
    }
}

/// The empty answer to a search, said once: what was searched (number, dates, every
/// filter), why nothing may show, and the keys that widen or clear the search.
fn nothing_found(
    state: &State,
    request: &TrackerRequest,
    q: &SearchQuery,
    trace_id: Option<&str>,
    theme: Theme,
    width: usize,
) -> Vec<Line<'static>> {
    let keys = &state.settings.keymap;
    let filters = filter_words(request);
    let mut searched = vec![window_text(q, state.today)];
    searched.extend(filters.iter().cloned());
    let mut why = String::from(
        "Nothing shows when the patient has no prescription dated in that window (a \
         repeat-dispensing prescription is dated by its first issue, even when a later issue \
         is current)",
    );
    if q.status.is_some() || q.version.is_some() {
        why.push_str(", when a filter hides it");
    }
    why.push_str(", or when the number is not the caller's.");
    // Name a key that works where the focus is: in the form, `n` would be typed.
    let mut next = if state.focus == Pane::Query {
        format!(
            "Set an earlier Earliest (for example -1825d) and press {} to look further back",
            keys.label(Action::Submit)
        )
    } else {
        format!(
            "Press {} and set an earlier Earliest (for example -1825d) to look further back",
            keys.label(Action::NewSearch)
        )
    };
    if !filters.is_empty() {
        next.push_str(&format!(
            ", or {} to clear the filters for a new caller",
            keys.label(Action::NewCaller)
        ));
    }
    next.push('.');
    let mut lines = Vec::new();
    let mut add = |text: String, style| {
        for part in wrap(&text, width) {
            lines.push(Line::styled(part, style));
        }
    };
    add(
        format!("No prescriptions found for NHS number {}", q.nhs_number),
        theme.heading(),
    );
    add(format!("Searched: {}", searched.join(" · ")), theme.label());
    add(why, ratatui::style::Style::new());
    add(next, ratatui::style::Style::new());
    if let Some(trace) = trace_id {
        add(
            format!("Trace ID: {trace} ({} copies it)", keys.label(Action::Copy)),
            theme.dim(),
        );
    }
    lines
}
