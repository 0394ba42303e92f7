//! The background sender of one program, so a lookup never waits for the collector.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use super::forward_once;
use super::settings::ForwardSettings;

/// How often a long-running program retries a backlog when nothing new is written.
const RETRY_EVERY: Duration = Duration::from_secs(30);
/// How long a finishing program waits for its last records to go out.
const FINISH_WAIT: Duration = Duration::from_secs(3);
/// How long the sender waits after a wake-up for more records to send with it.
const GATHER: Duration = Duration::from_millis(50);

/// The background sender of one program: woken after every append, retrying a backlog now
/// and then, and given a few seconds to finish when the program ends.
#[derive(Debug)]
pub(crate) struct Forwarder {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

#[derive(Debug, Default)]
struct State {
    /// Records were appended since the last attempt began.
    dirty: bool,
    stopping: bool,
    /// An attempt is running or queued.
    busy: bool,
    last_error: Option<String>,
}

impl Forwarder {
    pub(crate) fn start(dir: PathBuf, settings: ForwardSettings) -> Self {
        let shared = Arc::new(Shared::default());
        let worker = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("audit-forward".into())
            .spawn(move || run(&worker, &dir, &settings))
            .ok();
        // Whatever an earlier program left behind goes first.
        shared.state.lock().unwrap_or_else(|p| p.into_inner()).dirty = true;
        shared.wake.notify_one();
        Self { shared, thread }
    }

    /// A record was appended: send it (and any backlog) soon.
    pub(crate) fn notify(&self) {
        let mut state = self.shared.state.lock().unwrap_or_else(|p| p.into_inner());
        state.dirty = true;
        state.busy = true;
        self.shared.wake.notify_one();
    }

    /// Why the last attempt failed, if it did.
    pub(crate) fn last_error(&self) -> Option<String> {
        self.shared
            .state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .last_error
            .clone()
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        {
            let mut state = self.shared.state.lock().unwrap_or_else(|p| p.into_inner());
            state.stopping = true;
            self.shared.wake.notify_one();
            // Give the last records a moment to go out; the backlog stays for the next
            // program (or `audit forward`) either way.
            let deadline = std::time::Instant::now() + FINISH_WAIT;
            while (state.busy || state.dirty) && std::time::Instant::now() < deadline {
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                state = self
                    .shared
                    .wake
                    .wait_timeout(state, left)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
        }
        if let Some(thread) = self.thread.take()
            && thread.is_finished()
        {
            let _ = thread.join();
        }
    }
}

fn run(shared: &Shared, dir: &Path, settings: &ForwardSettings) {
    loop {
        {
            let mut state = shared.state.lock().unwrap_or_else(|p| p.into_inner());
            while !state.dirty && !state.stopping {
                let (next, timeout) = shared
                    .wake
                    .wait_timeout(state, RETRY_EVERY)
                    .unwrap_or_else(|p| p.into_inner());
                state = next;
                if timeout.timed_out() && state.last_error.is_some() {
                    state.dirty = true;
                }
            }
            if !state.dirty {
                state.busy = false;
                shared.wake.notify_all();
                return;
            }
            // Let the records of the same moment (an attempt and its result) go out together:
            // one connection per lookup, not per record. A program that is ending goes at once.
            state = shared
                .wake
                .wait_timeout_while(state, GATHER, |s| !s.stopping)
                .unwrap_or_else(|p| p.into_inner())
                .0;
            state.dirty = false;
            state.busy = true;
        }
        let result = forward_once(dir, settings);
        let mut state = shared.state.lock().unwrap_or_else(|p| p.into_inner());
        state.last_error = result.err().map(|e| e.to_string());
        // Stopping after a failure: no point retrying now.
        if state.stopping && state.last_error.is_some() {
            state.dirty = false;
        }
        state.busy = state.dirty;
        shared.wake.notify_all();
        if state.stopping && !state.dirty {
            return;
        }
    }
}
