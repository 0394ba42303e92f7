//! Taking the terminal over and giving it back. Every way out (normal exit, error, panic,
//! signal) goes through `restore`, which first wipes the screen so no patient data stays
//! visible, then leaves the alternate screen and turns echo back on.

use std::io::{self, Stdout, Write, stdout};
use std::sync::atomic::{AtomicBool, Ordering};

use ratatui::Terminal;
use ratatui::backend::{Backend, CrosstermBackend};
use ratatui::crossterm::cursor::Show;
use ratatui::crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    Clear, ClearType, EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};

/// Whether we currently hold the terminal; restoring twice must be harmless, and restoring
/// a terminal we never took must not print escape codes into someone's shell.
static TAKEN: AtomicBool = AtomicBool::new(false);

pub type Tty = Terminal<CrosstermBackend<Stdout>>;

/// Raw mode, alternate screen, bracketed paste; the panic hook that restores first.
pub fn take() -> io::Result<Tty> {
    install_panic_hook();
    enable_raw_mode()?;
    TAKEN.store(true, Ordering::SeqCst);
    let mut out = stdout();
    if let Err(e) = execute!(out, EnterAlternateScreen, EnableBracketedPaste) {
        restore();
        return Err(e);
    }
    Terminal::new(CrosstermBackend::new(stdout())).inspect_err(|_| restore())
}

/// Blanks the whole screen now and makes the next draw write every cell. It writes the
/// clear through the backend: ratatui's `Terminal::clear` first asks the terminal for the
/// cursor position, and the answer cannot arrive while crossterm's event reader owns the
/// input (the screen then stays up until the next key, or the app fails after two
/// seconds).
pub fn wipe<B: Backend>(terminal: &mut Terminal<B>) -> Result<(), B::Error> {
    terminal
        .backend_mut()
        .clear_region(ratatui::backend::ClearType::All)?;
    // After a draw the back buffer holds the last frame; swapping resets it, so both
    // buffers are blank and the next frame is drawn in full.
    terminal.swap_buffers();
    terminal.backend_mut().flush()
}

/// Whether the terminal has gone (the SSH connection dropped, the terminal window or
/// tmux server closed). Asks the kernel about standard output without reading anything,
/// so it never competes with the event reader; crossterm's reader itself never reports
/// the end of input (it retries a closed input for ever).
pub fn gone() -> bool {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    let out = stdout();
    let mut fds = [PollFd::new(&out, PollFlags::empty())];
    let now = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    match poll(&mut fds, Some(&now)) {
        Ok(_) => fds[0]
            .revents()
            .intersects(PollFlags::HUP | PollFlags::ERR | PollFlags::NVAL),
        Err(_) => false,
    }
}

/// Gives the terminal back: clear, leave the alternate screen, cursor on, echo on.
pub fn restore() {
    if !TAKEN.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut out = stdout();
    // Each step on its own: one failing must not stop the others.
    let _ = execute!(out, Clear(ClearType::All));
    let _ = execute!(out, DisableBracketedPaste);
    let _ = execute!(out, LeaveAlternateScreen);
    let _ = execute!(out, Show);
    let _ = disable_raw_mode();
    let _ = out.flush();
}

fn install_panic_hook() {
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return;
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
}

/// Restores the terminal when dropped, so an early return or `?` cannot skip it.
pub struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}
