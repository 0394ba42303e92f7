//! A failed request, drawn where its result would have been: what happened, Spine's code
//! and text, the trace ID to quote, and what to try.

use ratatui::text::Line;

use super::text::wrap;
use super::theme::Theme;
use crate::app::keymap::{Action, Keymap};
use crate::app::msg::{Failure, FailureKind};

fn title(kind: FailureKind) -> &'static str {
    match kind {
        FailureKind::Spine => "Spine answered with an error",
        FailureKind::Gateway => "Not a Tracker answer",
        FailureKind::Network => "No answer from Spine",
        FailureKind::Denied => "Not allowed for your role",
        FailureKind::Audit => "Not sent: the audit trail cannot be written",
        FailureKind::Session => "Your session has ended",
        FailureKind::Invalid => "Not sent: Spine would refuse this",
        FailureKind::Revoked => "Your session has ended",
    }
}

/// The lines for a failure. `typing`: the keyboard is in a text field, where a letter
/// key would be text, so the retry advice names Enter instead.
pub fn failure_lines(
    failure: &Failure,
    theme: Theme,
    width: usize,
    keys: &Keymap,
    typing: bool,
) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let mut add = |text: String, style| {
        for part in wrap(&text, width) {
            lines.push(Line::styled(part, style));
        }
    };
    add(format!("✗ Error: {}", title(failure.kind)), theme.error());
    if let Some(spine) = &failure.spine {
        add(
            format!("Spine code {}: \"{}\"", spine.code, spine.reason),
            theme.heading(),
        );
        add(spine.explanation.clone(), ratatui::style::Style::new());
    }
    // The message often repeats Spine's code and our explanation: say it once.
    if failure
        .spine
        .as_ref()
        .is_none_or(|s| !failure.message.contains(&s.explanation))
    {
        add(failure.message.clone(), ratatui::style::Style::new());
    }
    if let Some(trace) = &failure.trace_id {
        add(
            format!("Trace ID: {trace} ({} copies it)", keys.label(Action::Copy)),
            theme.label(),
        );
    }
    let mut advice = failure.advice().to_string();
    if failure.retryable() {
        let retry = if typing {
            format!("{} sends it again.", keys.label(Action::Submit))
        } else {
            format!("{} retries.", keys.label(Action::Retry))
        };
        advice = format!("{advice} {retry}");
    }
    add(format!("What to try: {advice}"), theme.label());
    lines
}
