//! The help overlay, generated from the live keymap so it always tells the truth.

use ratatui::Frame;
use ratatui::layout::{Margin, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::text::{pad, wrap};
use super::theme::Theme;
use crate::app::keymap::Action;
use crate::app::scroll::Scroll;
use crate::app::state::State;

/// The lines of the help text at a given inner width.
pub fn lines(state: &State, theme: Theme, width: usize) -> Vec<Line<'static>> {
    let keys = &state.settings.keymap;
    let rows = keys.help_rows();
    let key_width = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0)
        .min(width / 3)
        + 2;
    let mut out = vec![
        Line::styled(
            "Keys (from your keymap; change them under [keys] in the config)",
            theme.heading(),
        ),
        Line::raw(""),
    ];
    for (key, what) in rows {
        let desc = wrap(what, width.saturating_sub(key_width).max(10));
        for (i, part) in desc.into_iter().enumerate() {
            let left = if i == 0 {
                pad(&key, key_width)
            } else {
                " ".repeat(key_width)
            };
            out.push(Line::from(vec![
                Span::styled(left, theme.key()),
                Span::raw(part),
            ]));
        }
    }
    out.push(Line::raw(""));
    for text in [
        "Ctrl-C quits from anywhere. Typing in a field: letters are text, so use Esc or Tab to leave the field before single-letter keys.",
        "Markers: ▶ focused pane · ▸ focused field · ✗ error · ! pending cancellation · * check character does not match.",
    ] {
        for part in wrap(text, width) {
            out.push(Line::styled(part, theme.dim()));
        }
    }
    out
}

pub fn draw(state: &State, scroll: &Scroll, theme: Theme, frame: &mut Frame, area: Rect) {
    let area = area.inner(Margin::new(2, 1));
    frame.render_widget(Clear, area);
    let keys = &state.settings.keymap;
    let title = format!(
        " Help: {} or {} to close, {}/{} to scroll ",
        keys.label(Action::Help),
        keys.label(Action::Cancel),
        keys.first(Action::Up, false)
            .map(|k| k.to_string())
            .unwrap_or_default(),
        keys.first(Action::Down, false)
            .map(|k| k.to_string())
            .unwrap_or_default(),
    );
    let block = Block::new()
        .borders(Borders::ALL)
        .border_type(theme.border_type(true))
        .border_style(theme.border(true))
        .title(Span::styled(title, theme.title(true)));
    let inner = block.inner(area).inner(Margin::new(1, 0));
    let text = lines(state, theme, usize::from(inner.width));
    let max_scroll = (text.len() as u16).saturating_sub(inner.height);
    scroll.drawn(max_scroll);
    frame.render_widget(block, area);
    frame.render_widget(Paragraph::new(text).scroll((scroll.line(), 0)), inner);
}
