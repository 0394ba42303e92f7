//! The sign-in screen (also the unlock screen after an idle lock): user ID, masked
//! password, the last note, and in sandbox mode the demo accounts.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::text::{pad, wrap};
use super::theme::Theme;
use crate::app::signin::{SignInField, SignInForm};
use crate::app::state::State;

const FIELD: usize = 28;

pub fn draw(state: &State, form: &SignInForm, theme: Theme, frame: &mut Frame, area: Rect) {
    frame.render_widget(Clear, area);
    let width = area.width.min(72);
    let inner_width = usize::from(width.saturating_sub(4));
    let mut lines: Vec<Line> = Vec::new();
    let heading = if form.locked_user.is_some() {
        "Session locked: enter your password to carry on"
    } else {
        "Sign in"
    };
    lines.push(Line::styled(heading, theme.heading()));
    lines.push(Line::raw(""));

    let mut cursor = None;
    let user_focus = form.field == SignInField::User && form.locked_user.is_none();
    let user_marker = if user_focus { "▸ " } else { "  " };
    let user_value = form.user.value();
    if user_focus {
        cursor = Some((lines.len(), 14 + form.user.visual_cursor().min(FIELD - 1)));
    }
    lines.push(Line::from(vec![
        Span::styled(format!("{user_marker}User ID     "), theme.label()),
        Span::styled(pad(user_value, FIELD), theme.input(user_focus)),
    ]));
    let pass_focus = form.field == SignInField::Password;
    let pass_marker = if pass_focus { "▸ " } else { "  " };
    let dots = "•".repeat(form.password.len().min(FIELD - 1));
    if pass_focus {
        cursor = Some((lines.len(), 14 + dots.chars().count()));
    }
    lines.push(Line::from(vec![
        Span::styled(format!("{pass_marker}Password    "), theme.label()),
        Span::styled(pad(&dots, FIELD), theme.input(pass_focus)),
    ]));
    lines.push(Line::raw(""));
    if let Some(choice) = &form.roles {
        for (i, option) in choice.options.iter().enumerate() {
            let (marker, style) = if i == choice.selected {
                ("▸ ", theme.selected())
            } else {
                ("  ", Style::new())
            };
            for part in wrap(&format!("{marker}{option}"), inner_width) {
                lines.push(Line::styled(part, style));
            }
        }
        lines.push(Line::raw(""));
    }
    if let Some(note) = &form.note {
        let style = if note.is_error {
            theme.error()
        } else {
            theme.heading()
        };
        let text = if note.is_error {
            format!("✗ {}", note.text)
        } else {
            note.text.clone()
        };
        for part in wrap(&text, inner_width) {
            lines.push(Line::styled(part, style));
        }
        lines.push(Line::raw(""));
    }
    if !state.settings.demo_accounts.is_empty() && form.locked_user.is_none() {
        let banner = format!(
            "SANDBOX: synthetic patients only, nothing leaves this machine. Demo accounts: {}{}.",
            state.settings.demo_accounts.join(", "),
            state
                .settings
                .demo_password
                .as_deref()
                .map(|p| format!(" (password {p})"))
                .unwrap_or_default()
        );
        for part in wrap(&banner, inner_width) {
            lines.push(Line::styled(part, theme.warning()));
        }
        lines.push(Line::raw(""));
    }
    let keys = &state.settings.keymap;
    // A locked screen has one field, and a way out for a colleague at the same desk.
    let hint = if form.locked_user.is_some() {
        format!(
            "Enter: unlock · {}: sign out (someone else can then sign in) · Ctrl-C: quit",
            keys.label(crate::app::keymap::Action::SignOut)
        )
    } else {
        format!(
            "Enter: next field / sign in · {}: switch field · Ctrl-C: quit",
            keys.label(crate::app::keymap::Action::NextPane)
        )
    };
    for part in wrap(&hint, inner_width) {
        lines.push(Line::styled(part, theme.dim()));
    }

    let height = (lines.len() as u16 + 2).min(area.height);
    let [_, middle, _] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(height),
        Constraint::Fill(1),
    ])
    .areas(area);
    let [_, boxed, _] = Layout::horizontal([
        Constraint::Fill(1),
        Constraint::Length(width),
        Constraint::Fill(1),
    ])
    .areas(middle);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_type(theme.border_type(true))
        .border_style(theme.border(true))
        .title(Span::styled(" eps-tracker ", theme.title(true)));
    let inner = block.inner(boxed).inner(ratatui::layout::Margin::new(1, 0));
    frame.render_widget(block, boxed);
    frame.render_widget(Paragraph::new(lines), inner);
    if let Some((row, col)) = cursor {
        let (row, col) = (row as u16, col as u16);
        if row < inner.height && col < inner.width && !form.checking {
            frame.set_cursor_position(Position::new(inner.x + col, inner.y + row));
        }
    }
}
