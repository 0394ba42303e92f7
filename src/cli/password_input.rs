//! Reading passwords: one line of standard input each with `--password-stdin` (for scripts),
//! otherwise a prompt on the terminal with echo off. The text goes straight into a wiped
//! buffer.

use std::io::{self, BufRead, Read, Write};

use crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use crossterm::terminal;
use zeroize::Zeroizing;

use super::exit::Failure;
use crate::security::password::Password;

/// A password line longer than this is refused instead of being read without end.
const MAX_LINE_BYTES: u64 = 64 * 1024;

/// Where passwords come from for this command.
pub(super) struct PasswordInput {
    from_stdin: bool,
}

impl PasswordInput {
    pub(super) fn new(from_stdin: bool) -> Self {
        Self { from_stdin }
    }

    /// Reads one password, asking with `prompt` on a terminal.
    pub(super) fn read(&mut self, prompt: &str) -> Result<Password, Failure> {
        if self.from_stdin {
            read_stdin_line(prompt)
        } else {
            prompt_no_echo(prompt)
        }
    }

    /// Reads a new password; on a terminal it is typed twice to catch typos.
    pub(super) fn read_new(&mut self, prompt: &str) -> Result<Password, Failure> {
        let first = self.read(prompt)?;
        if self.from_stdin {
            return Ok(first);
        }
        let again = self.read("Type it again")?;
        if first.expose() != again.expose() {
            return Err(Failure::usage(
                "the two passwords differ: nothing was changed",
            ));
        }
        Ok(first)
    }
}

fn read_stdin_line(what: &str) -> Result<Password, Failure> {
    let mut line = Zeroizing::new(Vec::with_capacity(256));
    let stdin = io::stdin();
    let read = stdin
        .lock()
        .take(MAX_LINE_BYTES)
        .read_until(b'\n', &mut line)
        .map_err(|e| {
            Failure::usage(format!("cannot read the password from standard input: {e}"))
        })?;
    if read == 0 {
        return Err(Failure::usage(format!(
            "--password-stdin: standard input ended before the line for \"{what}\""
        )));
    }
    if line.last() != Some(&b'\n') && read as u64 == MAX_LINE_BYTES {
        return Err(Failure::usage(
            "--password-stdin: the password line is longer than 64 KiB",
        ));
    }
    while matches!(line.last(), Some(b'\n' | b'\r')) {
        line.pop();
    }
    let text = std::str::from_utf8(&line)
        .map_err(|_| Failure::usage("--password-stdin: the password is not valid UTF-8"))?;
    Ok(Password::new(text.to_owned()))
}

/// Raw mode for the prompt's lifetime; restored however the prompt ends.
struct RawMode;

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = terminal::disable_raw_mode();
    }
}

fn prompt_no_echo(prompt: &str) -> Result<Password, Failure> {
    if std::fs::File::open("/dev/tty").is_err() {
        return Err(Failure::usage(
            "there is no terminal to type a password in: pass it on standard input with \
             --password-stdin",
        ));
    }
    // Echo goes off before the prompt appears: someone (or a password manager) typing as
    // soon as they see it must never have the password echoed.
    terminal::enable_raw_mode()
        .map_err(|e| Failure::usage(format!("cannot turn off echo on the terminal: {e}")))?;
    let typed = {
        let _raw = RawMode;
        let mut stderr = io::stderr();
        let _ = write!(stderr, "{prompt}: ");
        let _ = stderr.flush();
        collect_keys()
    };
    let _ = writeln!(io::stderr());
    typed
}

fn collect_keys() -> Result<Password, Failure> {
    let mut text = Zeroizing::new(String::with_capacity(128));
    loop {
        let key = event::read()
            .map_err(|e| Failure::usage(format!("cannot read from the terminal: {e}")))?;
        let Event::Key(KeyEvent {
            code,
            modifiers,
            kind: KeyEventKind::Press | KeyEventKind::Repeat,
            ..
        }) = key
        else {
            continue;
        };
        match code {
            // Enter arrives as \r; a \n (an Enter typed ahead, or a pasted line ending) is
            // Ctrl-J in raw mode.
            KeyCode::Enter => return Ok(Password::from(text)),
            KeyCode::Char('j') if modifiers.contains(KeyModifiers::CONTROL) => {
                return Ok(Password::from(text));
            }
            KeyCode::Char('c' | 'd') if modifiers.contains(KeyModifiers::CONTROL) => {
                return Err(Failure::usage("cancelled"));
            }
            KeyCode::Esc => return Err(Failure::usage("cancelled")),
            KeyCode::Backspace => {
                text.pop();
            }
            KeyCode::Char('u') if modifiers.contains(KeyModifiers::CONTROL) => text.clear(),
            KeyCode::Char(c) => text.push(c),
            _ => {}
        }
    }
}
