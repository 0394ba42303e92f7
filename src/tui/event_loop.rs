//! The one loop: terminal events, worker answers, signals and the clock become `Msg`s,
//! `update` turns them into state and `Cmd`s, and the screen is drawn once a burst of
//! messages has been handled, only when something changed.

use std::io;
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use ratatui::crossterm::event::{Event, KeyEventKind};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
use tokio::time::{Instant, sleep, sleep_until};

use super::idle::{IdleClock, IdleState};
use super::signals::Signals;
use super::terminal;
use super::worker::Worker;
use crate::app::{Msg, State, update};
use crate::ui;

/// How often the spinner turns while a request is in flight.
const SPIN: Duration = Duration::from_millis(150);
/// How often the loop checks, with nothing else happening, that the terminal is still
/// there, the date and the wall clock (for a machine woken from sleep).
const WATCH: Duration = Duration::from_secs(1);

/// How the app ended, which decides what the audit trail says about the session's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The user quit.
    Quit,
    /// The terminal went away (end of input, an error on it, SIGHUP).
    Hangup,
    /// SIGTERM or SIGINT.
    Signal,
}

impl Ending {
    /// The reason recorded with the sign-out; `None` when the user asked to leave.
    pub fn reason(self) -> Option<&'static str> {
        match self {
            Ending::Quit => None,
            Ending::Hangup => Some("hangup"),
            Ending::Signal => Some("terminated"),
        }
    }
}

/// The loop's timings.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// Inactivity before the idle lock.
    pub idle: Duration,
    /// How long the selection must rest before its detail is fetched.
    pub settle: Duration,
    /// How often to look at whether audit records reach the syslog collector.
    pub audit_check: Duration,
}

/// Terminal events arrive through a channel, so a burst can be drained with `try_recv`
/// (polling crossterm's stream outside the select would lose its waker).
fn pump<E>(mut events: E) -> UnboundedReceiver<io::Result<Event>>
where
    E: Stream<Item = io::Result<Event>> + Unpin + Send + 'static,
{
    let (tx, rx) = unbounded_channel();
    tokio::spawn(async move {
        while let Some(event) = events.next().await {
            if tx.send(event).is_err() {
                break;
            }
        }
    });
    rx
}

/// Runs until the user quits, a signal arrives or the terminal goes. `terminal_gone` is
/// asked every `WATCH` whether the terminal has gone.
pub async fn run<B, E>(
    terminal: &mut Terminal<B>,
    events: E,
    state: &mut State,
    worker: &mut Worker,
    signals: &mut Signals,
    timing: Timing,
    terminal_gone: fn() -> bool,
) -> io::Result<Ending>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
    E: Stream<Item = io::Result<Event>> + Unpin + Send + 'static,
{
    let mut events = pump(events);
    let effects = worker.effects().clone();
    let mut idle = IdleClock::new(timing.idle, Instant::now(), effects.now());
    let mut settle_at: Option<Instant> = None;
    // The first look is at once: a backlog left by an earlier run is said on the sign-in
    // screen already.
    let mut audit_check_at = Instant::now();
    loop {
        let today = effects.today();
        if today != state.today {
            handle(state, worker, Msg::Today(today));
        }
        if worker.take_rest_wanted() {
            settle_at = Some(Instant::now() + timing.settle);
        }
        if state.clear_screen {
            if let Err(e) = terminal::wipe(terminal) {
                return gone(&e);
            }
            state.clear_screen = false;
            state.dirty = true;
        }
        if state.dirty {
            if let Err(e) = terminal.draw(|frame| ui::draw(state, frame)) {
                return gone(&e);
            }
            state.dirty = false;
        }
        if state.quit {
            return Ok(Ending::Quit);
        }
        let signed_in = state.signed_in();
        let idle_wake = match idle.state(Instant::now(), effects.now()) {
            IdleState::Quiet { wake_at } | IdleState::Warning { wake_at, .. } => wake_at,
            IdleState::Lock => Instant::now(),
        };
        let spin_wake = Instant::now() + SPIN;
        let msg = tokio::select! {
            biased;
            ending = signals.next() => return Ok(ending),
            Some(msg) = worker.next() => msg,
            event = events.recv() => match event {
                Some(Ok(event)) => match take_event(event, &mut idle, worker, signed_in) {
                    Some(msg) => msg,
                    None => continue,
                },
                // The input has ended or failed: the terminal is gone.
                Some(Err(e)) => return gone(&e),
                None => return Ok(Ending::Hangup),
            },
            () = sleep_until(settle_at.unwrap_or_else(Instant::now)), if settle_at.is_some() => {
                settle_at = None;
                Msg::Rested
            }
            () = sleep_until(idle_wake), if signed_in => {
                match idle.state(Instant::now(), effects.now()) {
                    IdleState::Lock => {
                        idle.touch(Instant::now(), effects.now());
                        Msg::IdleLock
                    }
                    IdleState::Warning { seconds_left, .. } => Msg::IdleCountdown(seconds_left),
                    IdleState::Quiet { .. } => continue,
                }
            }
            () = sleep_until(spin_wake), if state.busy() => Msg::Tick,
            () = sleep_until(audit_check_at) => {
                audit_check_at = Instant::now() + timing.audit_check;
                Msg::AuditCheckDue
            }
            () = sleep(WATCH) => {
                if terminal_gone() {
                    return Ok(Ending::Hangup);
                }
                // The date and the wall clock are checked at the top of the loop.
                continue;
            }
        };
        handle(state, worker, msg);
        // Everything already waiting is handled before the next draw: one frame per burst.
        loop {
            if let Some(msg) = worker.try_next() {
                handle(state, worker, msg);
            } else if let Ok(event) = events.try_recv() {
                let Ok(event) = event else {
                    return Ok(Ending::Hangup);
                };
                if let Some(msg) = take_event(event, &mut idle, worker, state.signed_in()) {
                    handle(state, worker, msg);
                }
            } else {
                break;
            }
        }
    }
}

/// The terminal failed under us: it has gone, so the app ends as on a hang-up.
fn gone(error: &dyn std::fmt::Display) -> io::Result<Ending> {
    tracing::warn!(%error, "the terminal is gone");
    Ok(Ending::Hangup)
}

fn handle(state: &mut State, worker: &mut Worker, msg: Msg) {
    for cmd in update(state, msg) {
        worker.execute(cmd);
    }
}

/// Turns a terminal event into a message, noting user activity for the idle lock. The
/// first key after the idle time has passed on the wall clock (a machine woken from
/// sleep) locks instead of counting as activity.
fn take_event(event: Event, idle: &mut IdleClock, worker: &Worker, signed_in: bool) -> Option<Msg> {
    if matches!(event, Event::Key(_) | Event::Paste(_) | Event::Mouse(_)) {
        let effects = worker.effects();
        if signed_in && idle.state(Instant::now(), effects.now()) == IdleState::Lock {
            idle.touch(Instant::now(), effects.now());
            return Some(Msg::IdleLock);
        }
        idle.touch(Instant::now(), effects.now());
        effects.touch();
    }
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => Some(Msg::Key(key)),
        Event::Paste(text) => Some(Msg::Paste(text)),
        Event::Resize(..) => Some(Msg::Resize),
        _ => None,
    }
}
