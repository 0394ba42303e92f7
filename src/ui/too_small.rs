//! Below the minimum size we say so instead of drawing a broken screen.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::{MIN_HEIGHT, MIN_WIDTH};

pub fn draw(frame: &mut Frame, area: Rect) {
    frame.render_widget(Clear, area);
    let text = vec![
        Line::raw(format!(
            "Terminal too small (need {MIN_WIDTH}x{MIN_HEIGHT})"
        )),
        Line::raw(format!(
            "now {}x{}: make the window bigger",
            area.width, area.height
        )),
        Line::raw("Ctrl-C quits"),
    ];
    frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
}
