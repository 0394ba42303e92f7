//! Pure drawing: a function of the app state onto a ratatui frame. One file per pane or
//! screen; nothing here changes state or does I/O.

mod banner;
mod bars;
mod detail;
mod failure;
pub mod help;
mod query;
mod results;
mod signin;
pub mod text;
pub mod theme;
mod too_small;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};

use crate::app::state::{Pane, State};
use theme::Theme;

/// Below this size the app shows a message instead of its screens.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 20;
/// From this width the three panes stand side by side.
pub const WIDE: u16 = 150;

/// Draws the whole screen for the current state.
pub fn draw(state: &State, frame: &mut Frame) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small::draw(frame, area);
        return;
    }
    let theme = Theme::new(state.settings.color);
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    bars::header(state, theme, frame, header);
    match &state.signin {
        Some(form) => signin::draw(state, form, theme, frame, body),
        None => {
            let banner_height = banner::height(state);
            let panes = if banner_height > 0 {
                let [line, panes] =
                    Layout::vertical([Constraint::Length(banner_height), Constraint::Fill(1)])
                        .areas(body);
                banner::draw(state, theme, frame, line);
                panes
            } else {
                body
            };
            if area.width >= WIDE {
                wide(state, theme, frame, panes);
            } else {
                narrow(state, theme, frame, panes);
            }
        }
    }
    bars::footer(state, theme, frame, footer);
    if let Some(scroll) = &state.help {
        help::draw(state, scroll, theme, frame, body);
    }
}

/// Three panes side by side.
fn wide(state: &State, theme: Theme, frame: &mut Frame, area: Rect) {
    // The list needs about 80 columns for a full row; the detail takes the rest.
    let list_width = ((area.width.saturating_sub(36)) * 52 / 100).clamp(60, 86);
    let [query_area, results_area, detail_area] = Layout::horizontal([
        Constraint::Length(36),
        Constraint::Length(list_width),
        Constraint::Fill(1),
    ])
    .areas(area);
    query::draw(state, theme, frame, query_area);
    results::draw(state, theme, frame, results_area);
    detail::draw(state, theme, frame, detail_area);
}

/// Small screens: the form on top while it has the focus, folded to one line otherwise;
/// below it the list, or the detail when the detail has the focus.
fn narrow(state: &State, theme: Theme, frame: &mut Frame, area: Rect) {
    let query_height = if state.focus == Pane::Query {
        query::full_height(state, theme, area.width).min(area.height / 2 + 2)
    } else {
        3
    };
    let [top, bottom] =
        Layout::vertical([Constraint::Length(query_height), Constraint::Fill(1)]).areas(area);
    if state.focus == Pane::Query {
        query::draw(state, theme, frame, top);
    } else {
        query::draw_folded(state, theme, frame, top);
    }
    if state.focus == Pane::Detail {
        detail::draw(state, theme, frame, bottom);
    } else {
        results::draw(state, theme, frame, bottom);
    }
}
