//! Styles, with and without colour. Without colour every state is still visible: focus by
//! a thick border and a marker in the title, selection by reverse video, errors and
//! warnings by their words ("Error:", "Warning:") and bold.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;
use ratatui::widgets::{Block, BorderType, Borders};

#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    /// A pane's frame: heavier border and a `▶` before the title when focused, so focus
    /// shows without colour.
    pub fn pane(self, title: &str, focused: bool) -> Block<'static> {
        let marker = if focused { "▶ " } else { "" };
        Block::new()
            .borders(Borders::ALL)
            .border_type(self.border_type(focused))
            .border_style(self.border(focused))
            .title(Span::styled(
                format!(" {marker}{title} "),
                self.title(focused),
            ))
    }

    pub fn new(color: bool) -> Theme {
        Theme { color }
    }

    fn fg(self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }

    pub fn border(self, focused: bool) -> Style {
        if focused {
            self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
        } else {
            self.fg(Color::DarkGray)
        }
    }

    pub fn border_type(self, focused: bool) -> BorderType {
        if focused {
            BorderType::Thick
        } else {
            BorderType::Plain
        }
    }

    pub fn title(self, focused: bool) -> Style {
        if focused {
            Style::new().add_modifier(Modifier::BOLD)
        } else {
            Style::new()
        }
    }

    pub fn environment(self, live: bool) -> Style {
        let base = Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED);
        match (self.color, live) {
            (true, true) => base.fg(Color::Red),
            (true, false) => base.fg(Color::Yellow),
            (false, _) => base,
        }
    }

    pub fn selected(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    pub fn label(self) -> Style {
        self.fg(Color::Gray)
    }

    pub fn dim(self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }

    pub fn key(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn error(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn warning(self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    pub fn good(self) -> Style {
        self.fg(Color::Green)
    }

    pub fn heading(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    pub fn input(self, focused: bool) -> Style {
        if focused {
            Style::new().add_modifier(Modifier::UNDERLINED)
        } else {
            Style::new()
        }
    }
}
