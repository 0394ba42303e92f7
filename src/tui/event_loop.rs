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
use tokio::time::{Instant, sleep_until};

use super::idle::{IdleClock, IdleState};
use super::signals::Signals;
use super::worker::Worker;
use crate::app::{Msg, State, update};
use crate::ui;

/// How often the spinner turns while a request is in flight.
const SPIN: Duration = Duration::from_millis(150);

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

/// Runs until the user quits, a signal arrives or the input ends.
pub async fn run<B, E>(
    terminal: &mut Terminal<B>,
    events: E,
    state: &mut State,
    worker: &mut Worker,
    signals: &mut Signals,
    idle_timeout: Duration,
) -> io::Result<()>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
    E: Stream<Item = io::Result<Event>> + Unpin + Send + 'static,
{
    let mut events = pump(events);
    let mut idle = IdleClock::new(idle_timeout, Instant::now());
    loop {
        if state.clear_screen {
            terminal.clear().map_err(io::Error::other)?;
            state.clear_screen = false;
            state.dirty = true;
        }
        if state.dirty {
            terminal
                .draw(|frame| ui::draw(state, frame))
                .map_err(io::Error::other)?;
            state.dirty = false;
        }
        if state.quit {
            return Ok(());
        }
        let signed_in = state.signed_in();
        let idle_wake = match idle.state(Instant::now()) {
            IdleState::Quiet { wake_at } | IdleState::Warning { wake_at, .. } => wake_at,
            IdleState::Lock => Instant::now(),
        };
        let spin_wake = Instant::now() + SPIN;
        let msg = tokio::select! {
            biased;
            Some(msg) = worker.next() => msg,
            () = signals.next() => Msg::Terminate,
            event = events.recv() => match event {
                Some(Ok(event)) => match take_event(event, &mut idle, worker) {
                    Some(msg) => msg,
                    None => continue,
                },
                Some(Err(e)) => return Err(e),
                None => return Ok(()),
            },
            () = sleep_until(idle_wake), if signed_in => {
                match idle.state(Instant::now()) {
                    IdleState::Lock => {
                        idle.touch(Instant::now());
                        Msg::IdleLock
                    }
                    IdleState::Warning { seconds_left, .. } => Msg::IdleCountdown(seconds_left),
                    IdleState::Quiet { .. } => continue,
                }
            }
            () = sleep_until(spin_wake), if state.busy() => Msg::Tick,
        };
        handle(state, worker, msg);
        // Everything already waiting is handled before the next draw: one frame per burst.
        loop {
            if let Some(msg) = worker.try_next() {
                handle(state, worker, msg);
            } else if let Ok(event) = events.try_recv() {
                let event = event?;
                if let Some(msg) = take_event(event, &mut idle, worker) {
                    handle(state, worker, msg);
                }
            } else {
                break;
            }
        }
    }
}

fn handle(state: &mut State, worker: &mut Worker, msg: Msg) {
    for cmd in update(state, msg) {
        worker.execute(cmd);
    }
}

/// Turns a terminal event into a message, noting user activity for the idle lock.
fn take_event(event: Event, idle: &mut IdleClock, worker: &Worker) -> Option<Msg> {
    if matches!(event, Event::Key(_) | Event::Paste(_) | Event::Mouse(_)) {
        idle.touch(Instant::now());
        worker.touch();
    }
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => Some(Msg::Key(key)),
        Event::Paste(text) => Some(Msg::Paste(text)),
        Event::Resize(..) => Some(Msg::Resize),
        _ => None,
    }
}
