//! The two lines always on screen: the header (environment marker and the confidentiality
//! line naming who is signed in) and the footer (what is in flight, the last trace ID, and
//! the keys that matter here).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::text::fit;
use super::theme::Theme;
use crate::app::keymap::Action;
use crate::app::state::{Pane, State};

const SPINNER: [&str; 4] = ["|", "/", "-", "\\"];

pub fn header(state: &State, theme: Theme, frame: &mut Frame, area: Rect) {
    let env = &state.settings.environment;
    let live = env.eq_ignore_ascii_case("live");
    let marker = format!(" {env} ");
    let who = match &state.session {
        Some(s) if state.signin.is_none() => format!(
            " Confidential · {} ({}) · {} · {}",
            s.display_name, s.user_id, s.role, s.organisation
        ),
        Some(s) => format!(" Locked · {} ({})", s.display_name, s.user_id),
        None => " eps-tracker · not signed in".to_string(),
    };
    let width = usize::from(area.width).saturating_sub(marker.chars().count());
    let line = Line::from(vec![
        Span::styled(marker, theme.environment(live)),
        Span::styled(fit(&who, width), theme.heading()),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}

pub fn footer(state: &State, theme: Theme, frame: &mut Frame, area: Rect) {
    let keys = &state.settings.keymap;
    let mut spans = Vec::new();
    if state.busy() {
        let frame_text = SPINNER[state.spinner % SPINNER.len()];
        spans.push(Span::styled(
            format!(
                "{frame_text} working ({} cancels) ",
                keys.label(Action::Cancel)
            ),
            theme.warning(),
        ));
    }
    if let Some(warning) = state.idle_warning() {
        spans.push(Span::styled(format!("{warning} "), theme.warning()));
    }
    if let Some(warning) = &state.audit_warning {
        let used: usize = spans.iter().map(|s| s.width()).sum();
        let room = usize::from(area.width).saturating_sub(used + 1);
        spans.push(Span::styled(
            format!("{} ", fit(warning, room)),
            theme.warning(),
        ));
    }
    let hints: Vec<(Action, &str)> = if state.help.is_some() {
        vec![(Action::Help, "close"), (Action::Quit, "quit")]
    } else if state
        .signin
        .as_ref()
        .is_some_and(|f| f.locked_user.is_some())
    {
        vec![
            (Action::Submit, "unlock"),
            (Action::SignOut, "sign out"),
            (Action::Help, "help"),
        ]
    } else if state.signin.is_some() {
        vec![
            (Action::Submit, "next/sign in"),
            (Action::NextPane, "field"),
            (Action::Help, "help"),
        ]
    } else {
        let mut h = match state.focus {
            Pane::Query => vec![(Action::Submit, "send"), (Action::ToggleMode, "ID/NHS")],
            Pane::Results => vec![
                (Action::Submit, "open"),
                (Action::NextGroup, "group"),
                (Action::Filter, "filter"),
                (Action::Sort, "sort"),
            ],
            Pane::Detail => vec![(Action::NextIssue, "issue"), (Action::Copy, "copy IDs")],
        };
        h.extend([
            (Action::NextPane, "pane"),
            (Action::Help, "help"),
            (Action::Quit, "quit"),
        ]);
        h
    };
    let trace = state
        .last_trace
        .as_deref()
        .map(|t| format!("trace {t}"))
        .unwrap_or_default();
    let notice = state.notice.clone().unwrap_or_default();
    let used: usize = spans.iter().map(|s| s.width()).sum();
    let room = usize::from(area.width).saturating_sub(used + trace.chars().count() + 1);
    // The notice and the trace ID matter more than the hints: drop hints until they fit.
    let mut hint_spans: Vec<Vec<Span>> = hints
        .into_iter()
        .filter_map(|(action, what)| {
            keys.first(action, state.typing()).map(|key| {
                vec![
                    Span::styled(key.to_string(), theme.key()),
                    Span::raw(format!(" {what}  ")),
                ]
            })
        })
        .collect();
    let width_of =
        |h: &Vec<Vec<Span>>| -> usize { h.iter().flatten().map(|s| s.width()).sum::<usize>() };
    let notice_room = room.saturating_sub(if notice.is_empty() {
        0
    } else {
        notice.chars().count() + 2
    });
    while !hint_spans.is_empty() && width_of(&hint_spans) > notice_room {
        hint_spans.remove(0);
    }
    if !notice.is_empty() {
        spans.push(Span::styled(
            format!("{} ", fit(&notice, room)),
            theme.heading(),
        ));
    }
    spans.extend(hint_spans.into_iter().flatten());
    let used: usize = spans.iter().map(|s| s.width()).sum();
    // The trace ID is also under the list; here it goes only where it fits whole.
    if !trace.is_empty() && used + trace.chars().count() <= usize::from(area.width) {
        let gap = usize::from(area.width).saturating_sub(used + trace.chars().count());
        spans.push(Span::raw(" ".repeat(gap)));
        spans.push(Span::styled(trace, theme.dim()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
