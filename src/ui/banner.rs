//! The patient banner: one line above the panes naming the patient PDS holds for the NHS
//! number on screen, so staff can confirm identity with the caller. Deceased and restricted
//! records are said first and in the warning style, so a narrow terminal never cuts them.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use super::text::fit;
use super::theme::Theme;
use crate::app::patient::Banner;
use crate::app::state::State;

const LABEL: &str = "Patient: ";

/// The lines the banner takes: none, the patient line, or (a merged record) the note that
/// the number searched has been replaced above it.
pub fn height(state: &State) -> u16 {
    match &state.patient.banner {
        Banner::Hidden => 0,
        Banner::Found(found) if found.0.superseded_from.is_some() => 2,
        _ => 1,
    }
}

pub fn draw(state: &State, theme: Theme, frame: &mut Frame, area: Rect) {
    let mut area = area;
    if let Banner::Found(found) = &state.patient.banner
        && let Some(note) = found.0.superseded_note()
        && area.height >= 2
    {
        // The prescriptions listed are the old number's: staff must know to search the new
        // one too, so this goes first, in the warning style.
        let [first, rest] =
            Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
        let line = Line::styled(fit(&note, usize::from(first.width)), theme.warning());
        frame.render_widget(Paragraph::new(line), first);
        area = rest;
    }
    let width = usize::from(area.width);
    let (text, style) = match &state.patient.banner {
        Banner::Hidden => return,
        Banner::Finding(_) => (
            "finding the patient in PDS (Personal Demographics Service)…".to_owned(),
            theme.dim(),
        ),
        Banner::Loading { nhs, .. } => (
            format!("looking up {nhs} in PDS (Personal Demographics Service)…"),
            theme.dim(),
        ),
        Banner::Found(found) => {
            let patient = &found.0;
            let style = if patient.deceased.is_some() || patient.restricted {
                theme.warning()
            } else {
                theme.heading()
            };
            // The whole line where it fits, else the short one.
            let full = patient.summary_line(state.today);
            let text = if full.width() <= width {
                full
            } else {
                patient.short_line(state.today)
            };
            (text, style)
        }
        Banner::Failed(why) => (format!("details not available: {why}"), theme.dim()),
    };
    // The label goes before the patient's details do: at 80 columns a long name needs it.
    let label = if LABEL.len() + text.width() <= width {
        LABEL
    } else {
        ""
    };
    let line = Line::from(vec![
        Span::styled(label, theme.label()),
        Span::styled(fit(&text, width - label.len()), style),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}
