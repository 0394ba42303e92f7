//! Runs the app's `Cmd`s: each request on its own tokio task with a cancellation token,
//! answering with a `Msg` that carries the request's id. Password checks and audit writes
//! run on blocking threads (argon2 is slow on purpose; appends end with an fsync). Every
//! task is tracked, so shutdown can cancel them and wait (bounded) for the records they
//! owe the audit trail.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::effects::Effects;
use crate::app::{Cmd, Msg, RequestId};

pub struct Worker {
    tx: UnboundedSender<Msg>,
    rx: UnboundedReceiver<Msg>,
    running: HashMap<RequestId, CancellationToken>,
    tasks: JoinSet<()>,
    effects: Arc<dyn Effects>,
    /// Where OSC 52 clipboard sequences go: the terminal.
    clipboard: Box<dyn Write + Send>,
    /// Set by `Cmd::FetchWhenRested`; the loop answers `Msg::Rested` when it passes.
    rest_wanted: bool,
}

impl Worker {
    pub fn new(effects: Arc<dyn Effects>, clipboard: Box<dyn Write + Send>) -> Worker {
        let (tx, rx) = unbounded_channel();
        Worker {
            tx,
            rx,
            running: HashMap::new(),
            tasks: JoinSet::new(),
            effects,
            clipboard,
            rest_wanted: false,
        }
    }

    pub fn effects(&self) -> &Arc<dyn Effects> {
        &self.effects
    }

    /// The next answer from a finished task.
    pub async fn next(&mut self) -> Option<Msg> {
        let msg = self.rx.recv().await?;
        Some(self.received(msg))
    }

    /// An answer already waiting, if any.
    pub fn try_next(&mut self) -> Option<Msg> {
        let msg = self.rx.try_recv().ok()?;
        Some(self.received(msg))
    }

    fn received(&mut self, msg: Msg) -> Msg {
        if let Some(id) = msg.request_id() {
            self.running.remove(&id);
        }
        // Finished tasks are collected as we go, so the set holds only live ones.
        while self.tasks.try_join_next().is_some() {}
        msg
    }

    /// Whether a `FetchWhenRested` arrived since the last call: the loop restarts its
    /// settle timer.
    pub fn take_rest_wanted(&mut self) -> bool {
        std::mem::take(&mut self.rest_wanted)
    }

    /// Runs `job` on a blocking thread and sends its answer (even when the request was
    /// cancelled meanwhile: `update` then undoes what it did).
    fn blocking(&mut self, job: impl FnOnce(&dyn Effects) -> Option<Msg> + Send + 'static) {
        let tx = self.tx.clone();
        let effects = self.effects.clone();
        self.tasks.spawn_blocking(move || {
            if let Some(msg) = job(effects.as_ref()) {
                let _ = tx.send(msg);
            }
        });
    }

    pub fn execute(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Cancel(id) => {
                if let Some(token) = self.running.remove(&id) {
                    token.cancel();
                }
            }
            Cmd::Copy(text) => {
                let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
                // A failed copy is not worth stopping for; the text is on screen anyway.
                let _ = write!(self.clipboard, "\x1b]52;c;{encoded}\x07");
                let _ = self.clipboard.flush();
            }
            Cmd::FetchWhenRested => self.rest_wanted = true,
            Cmd::CheckAuditBacklog => {
                self.blocking(|effects| Some(Msg::AuditBacklog(effects.audit_backlog())));
            }
            Cmd::SignIn { id, user, password } => self.blocking(move |effects| {
                Some(Msg::SignInDone {
                    id,
                    result: effects.sign_in(id, &user, password.0),
                })
            }),
            Cmd::ChooseRole { id, index } => self.blocking(move |effects| {
                Some(Msg::SignInDone {
                    id,
                    result: effects.choose(id, index),
                })
            }),
            Cmd::UndoSignIn(id) => self.blocking(move |effects| {
                if let Err(e) = effects.undo_sign_in(id) {
                    tracing::error!(error = %e, "cancelled sign-in not undone");
                }
                None
            }),
            Cmd::Lock(cause) => self.blocking(move |effects| {
                if let Err(e) = effects.lock(cause) {
                    tracing::error!(error = %e, "lock not recorded");
                }
                None
            }),
            Cmd::SignOut => self.blocking(|effects| {
                if let Err(e) = effects.sign_out(None) {
                    tracing::error!(error = %e, "sign-out not recorded");
                }
                None
            }),
            Cmd::Fetch { id, request } => {
                let token = CancellationToken::new();
                self.running.insert(id, token.clone());
                let tx = self.tx.clone();
                let fetch = self.effects.fetch(request);
                self.tasks.spawn(async move {
                    // Cancelling drops the request future: the gate records `cancelled`.
                    let result = tokio::select! {
                        () = token.cancelled() => return,
                        result = fetch => result,
                    };
                    tracing::info!(request = id.0, ok = result.is_ok(), "tracker request done");
                    let _ = tx.send(Msg::Fetched { id, result });
                });
            }
            Cmd::LookUpPatient { id, nhs } => {
                let token = CancellationToken::new();
                self.running.insert(id, token.clone());
                let tx = self.tx.clone();
                let look_up = self.effects.patient(nhs);
                self.tasks.spawn(async move {
                    let result = tokio::select! {
                        () = token.cancelled() => return,
                        result = look_up => result,
                    };
                    // Whether it worked, never what it found: demographics stay out of the log.
                    tracing::info!(request = id.0, ok = result.is_ok(), "patient look-up done");
                    let _ = tx.send(Msg::PatientFound { id, result });
                });
            }
            Cmd::FindPatient { id, search } => {
                let token = CancellationToken::new();
                self.running.insert(id, token.clone());
                let tx = self.tx.clone();
                let find = self.effects.find_patient(search.0);
                self.tasks.spawn(async move {
                    let result = tokio::select! {
                        () = token.cancelled() => return,
                        result = find => result,
                    };
                    tracing::info!(request = id.0, ok = result.is_ok(), "patient search done");
                    let _ = tx.send(Msg::PatientMatched { id, result });
                });
            }
        }
    }

    /// Cancels every request and waits, at most `within`, for the tasks to finish, so each
    /// cancelled request's outcome is in the audit trail before the session ends.
    pub async fn shutdown(&mut self, within: Duration) {
        for (_, token) in self.running.drain() {
            token.cancel();
        }
        let drained = tokio::time::timeout(within, async {
            while self.tasks.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!(left = self.tasks.len(), "tasks still running at exit");
        }
    }
}
