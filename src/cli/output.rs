//! Standard output for the commands: how wide it is, and writing to it so that a closed
//! pipe (`| head`) ends the command quietly with exit 0 (as ripgrep does) while a write that
//! fails (`> /dev/full`) exits 2 with a message.

use std::io::{self, IsTerminal, Write};

use super::exit::{self, Failure};
use super::safe;

/// Writes text output, made safe for the terminal (see `safe`).
pub(super) fn print(text: &str) -> Result<(), Failure> {
    print_raw(&safe::lines(text))
}

/// Writes a document that is already escaped (JSON) or meant for a program (CSV, roff,
/// completion scripts) as it is.
pub(super) fn print_raw(text: &str) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(write_failure)
}

pub fn write_failure(error: io::Error) -> Failure {
    if error.kind() == io::ErrorKind::BrokenPipe {
        Failure::closed_pipe()
    } else {
        Failure::new(
            exit::USAGE,
            format!("cannot write the output: {error}; nothing more was written"),
        )
    }
}

/// Commands that still print with `println!` (which panics when the write fails) get the
/// same outcome as `print`: a closed pipe exits 0 without a word, another failed write
/// exits 2 with a message, and neither shows a panic or a stack trace.
pub(super) fn exit_quietly_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if let Some(reason) = message.strip_prefix("failed printing to stdout: ") {
            if reason.contains("Broken pipe") {
                std::process::exit(0);
            }
            eprintln!("error: cannot write the output: {reason}; nothing more was written");
            std::process::exit(i32::from(exit::USAGE));
        }
        default(info);
    }));
}

/// The width tables and summaries must fit: `COLUMNS` when it holds a positive number,
/// else the terminal's width, else 80 when writing to a terminal; `None` (no limit) when
/// standard output is a pipe or a file.
pub(super) fn width() -> Option<usize> {
    width_from(
        std::env::var("COLUMNS").ok().as_deref(),
        io::stdout().is_terminal(),
        || {
            crossterm::terminal::size()
                .ok()
                .map(|(w, _)| usize::from(w))
        },
    )
}

fn width_from(
    columns: Option<&str>,
    terminal: bool,
    terminal_width: impl FnOnce() -> Option<usize>,
) -> Option<usize> {
    if let Some(n) = columns
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
    {
        return Some(n);
    }
    if !terminal {
        return None;
    }
    Some(terminal_width().filter(|&w| w > 0).unwrap_or(80))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_wins_then_the_terminal_then_80() {
        assert_eq!(width_from(Some("100"), false, || None), Some(100));
        assert_eq!(width_from(Some("20"), true, || Some(200)), Some(20));
        assert_eq!(width_from(None, true, || Some(132)), Some(132));
        assert_eq!(width_from(None, true, || None), Some(80));
        assert_eq!(width_from(None, true, || Some(0)), Some(80));
    }

    #[test]
    fn unusable_columns_values_are_ignored_and_a_pipe_has_no_limit() {
        assert_eq!(width_from(Some("0"), false, || None), None);
        assert_eq!(width_from(Some("abc"), false, || None), None);
        assert_eq!(width_from(Some("-5"), true, || Some(90)), Some(90));
        assert_eq!(width_from(Some(""), true, || None), Some(80));
        assert_eq!(width_from(None, false, || Some(90)), None);
    }
}
