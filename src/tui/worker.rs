//! Runs the app's `Cmd`s: each request on its own tokio task with a cancellation token,
//! answering with a `Msg` that carries the request's id. Password checks run on blocking
//! threads (argon2 is slow on purpose).

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

use base64::Engine;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio_util::sync::CancellationToken;

use super::access::Access;
use super::lookup;
use crate::app::{Cmd, Msg, RequestId};
use crate::security::gate::Gate;

pub struct Worker {
    tx: UnboundedSender<Msg>,
    rx: UnboundedReceiver<Msg>,
    running: HashMap<RequestId, CancellationToken>,
    access: Access,
    /// The only way to the Tracker.
    gate: Arc<Gate>,
    /// Where OSC 52 clipboard sequences go: the terminal.
    clipboard: Box<dyn Write + Send>,
}

impl Worker {
    pub fn new(access: Access, gate: Arc<Gate>, clipboard: Box<dyn Write + Send>) -> Worker {
        let (tx, rx) = unbounded_channel();
        Worker {
            tx,
            rx,
            running: HashMap::new(),
            access,
            gate,
            clipboard,
        }
    }

    /// The next answer from a finished task.
    pub async fn next(&mut self) -> Option<Msg> {
        let msg = self.rx.recv().await?;
        if let Some(id) = msg.request_id() {
            self.running.remove(&id);
        }
        Some(msg)
    }

    /// An answer already waiting, if any.
    pub fn try_next(&mut self) -> Option<Msg> {
        let msg = self.rx.try_recv().ok()?;
        if let Some(id) = msg.request_id() {
            self.running.remove(&id);
        }
        Some(msg)
    }

    /// User activity: keeps the session's own idle clock in step with the screen's.
    pub fn touch(&self) {
        self.access.touch();
    }

    /// Runs `job` on a blocking thread; its answer is dropped if the request was cancelled.
    fn blocking(&mut self, id: RequestId, job: impl FnOnce() -> Msg + Send + 'static) {
        let token = CancellationToken::new();
        self.running.insert(id, token.clone());
        let tx = self.tx.clone();
        tokio::task::spawn_blocking(move || {
            let msg = job();
            if !token.is_cancelled() {
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
            Cmd::SignIn { id, user, password } => {
                let access = self.access.clone();
                self.blocking(id, move || Msg::SignInDone {
                    id,
                    result: access.sign_in(&user, password.0),
                });
            }
            Cmd::ChooseRole { id, index } => {
                let access = self.access.clone();
                self.blocking(id, move || Msg::SignInDone {
                    id,
                    result: access.choose(index),
                });
            }
            Cmd::Lock => {
                let access = self.access.clone();
                tokio::task::spawn_blocking(move || {
                    if let Err(e) = access.lock_session() {
                        tracing::error!(error = %e, "idle lock not recorded");
                    }
                });
            }
            Cmd::SignOut => {
                let access = self.access.clone();
                tokio::task::spawn_blocking(move || {
                    if let Err(e) = access.sign_out() {
                        tracing::error!(error = %e, "sign-out not recorded");
                    }
                });
            }
            Cmd::Fetch { id, request } => {
                let token = CancellationToken::new();
                self.running.insert(id, token.clone());
                let tx = self.tx.clone();
                let gate = self.gate.clone();
                let access = self.access.clone();
                tokio::spawn(async move {
                    // The session is read on a blocking thread: a password check may hold
                    // it for a moment.
                    let session = tokio::task::spawn_blocking(move || access.session())
                        .await
                        .ok()
                        .flatten();
                    let result = tokio::select! {
                        () = token.cancelled() => return,
                        result = lookup::fetch(&gate, session, request) => result,
                    };
                    tracing::info!(request = id.0, ok = result.is_ok(), "tracker request done");
                    let _ = tx.send(Msg::Fetched { id, result });
                });
            }
        }
    }
}
