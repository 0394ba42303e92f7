//! SIGTERM, SIGHUP and SIGINT end the app through the normal exit path, so the terminal
//! is restored and the session's end recorded. (In raw mode Ctrl-C arrives as a key, not
//! as SIGINT.)

use std::io;

use tokio::signal::unix::{Signal, SignalKind, signal};

use super::event_loop::Ending;

pub struct Signals {
    /// `None` in the in-process tests, which end the loop by other means.
    handlers: Option<Handlers>,
}

struct Handlers {
    term: Signal,
    hup: Signal,
    int: Signal,
}

impl Signals {
    pub fn new() -> io::Result<Signals> {
        Ok(Signals {
            handlers: Some(Handlers {
                term: signal(SignalKind::terminate())?,
                hup: signal(SignalKind::hangup())?,
                int: signal(SignalKind::interrupt())?,
            }),
        })
    }

    /// No signals: for driving the loop in-process.
    #[cfg(test)]
    pub fn none() -> Signals {
        Signals { handlers: None }
    }

    /// Resolves when a signal arrives, with how the app ends: SIGHUP means the terminal
    /// has gone.
    pub async fn next(&mut self) -> Ending {
        let Some(h) = self.handlers.as_mut() else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = h.term.recv() => Ending::Signal,
            _ = h.hup.recv() => Ending::Hangup,
            _ = h.int.recv() => Ending::Signal,
        }
    }
}
