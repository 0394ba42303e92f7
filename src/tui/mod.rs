//! The runtime: the only async glue and the only part of the terminal app that does I/O.
//! It owns the terminal, the event stream, the workers that run requests, the signals and
//! the clock, and feeds everything to `app::update` as messages.

mod access;
mod effects;
mod event_loop;
mod idle;
mod logging;
mod lookup;
mod patient;
mod signals;
mod terminal;
mod worker;

#[cfg(test)]
mod tests;

use std::io::{self, IsTerminal, Write, stdout};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use ratatui::crossterm::event::EventStream;

use crate::app::keymap::Keymap;
use crate::app::zone::Zone;
use crate::app::{Settings, State};
use crate::config::Home;
use crate::pds::{PdsClient, PdsSettings};
use crate::sandbox::embedded::{EmbeddedOptions, EmbeddedSandbox};
use crate::security::demo::{DEMO_ACCOUNTS, DEMO_PASSWORD};
use crate::security::gate::Gate;
use crate::security::signin::Authenticator;
use crate::security::spine_client::{ClientSettings, TrackerClient};
use access::Access;
use effects::{Effects, Live};
use event_loop::{Ending, Timing, run as run_loop};
use signals::Signals;
use worker::Worker;

/// The most the exit waits for cancelled requests' records, and again for the sign-out
/// record: SIGTERM must end the app within a second.
const SHUTDOWN: Duration = Duration::from_millis(400);
/// How often the app looks at whether audit records reach the syslog collector: the
/// collector's own warning threshold is in minutes, so once a minute is soon enough.
const AUDIT_CHECK: Duration = Duration::from_secs(60);

/// Everything the terminal app starts with: where its state lives and the sign-in
/// machinery opened on it.
pub struct Start {
    pub home: Home,
    pub auth: Authenticator,
    pub keymap: Keymap,
    pub connection: Connection,
    pub no_color: bool,
    /// `[search] default_window_days`.
    pub search_window_days: u32,
    /// How long the selection must rest on a row before its detail is fetched (setting
    /// `detail_delay_ms`, default 250 ms): long enough that holding an arrow key sends
    /// nothing for the rows passed, short enough to feel immediate when stopping.
    pub detail_delay: Duration,
}

/// Where lookups go.
pub enum Connection {
    /// The embedded sandbox, started with the app and stopped with it.
    Sandbox,
    /// A configured Spine environment, named on screen by its label (`INT`, `LIVE`).
    Spine {
        label: String,
        settings: Box<ClientSettings>,
        /// `[environments.NAME.pds]`, when the environment has it.
        pds: Option<Box<PdsSettings>>,
    },
}

/// Whether colour is wanted: not with `--no-color`, not when `NO_COLOR` is set to
/// anything non-empty (<https://no-color.org>).
pub fn color_wanted(no_color_flag: bool, no_color_env: Option<&str>) -> bool {
    !no_color_flag && no_color_env.is_none_or(str::is_empty)
}

/// The Tracker client for the connection, the PDS client when PDS is set up, and the
/// sandbox behind them when there is one (it runs until dropped). Certificate and key
/// problems are named before the screen is taken.
async fn connect(
    connection: Connection,
    home: &Home,
) -> Result<(Option<EmbeddedSandbox>, TrackerClient, Option<PdsClient>), String> {
    match connection {
        Connection::Sandbox => {
            // The home's certificates, reused: making keys would hold up the first frame.
            let options = EmbeddedOptions {
                cert_dir: Some(home.certs_dir.clone()),
                ..EmbeddedOptions::default()
            };
            let embedded = EmbeddedSandbox::start(options)
                .await
                .map_err(|e| format!("cannot start the embedded sandbox: {e}"))?;
            let client = TrackerClient::new(&embedded.client_settings())
                .map_err(|e| format!("cannot set up the client for the sandbox: {e}"))?;
            let pds = PdsClient::new(&embedded.pds_settings())
                .map_err(|e| format!("cannot set up PDS for the sandbox: {e}"))?;
            Ok((Some(embedded), client, Some(pds)))
        }
        Connection::Spine { settings, pds, .. } => {
            let client = TrackerClient::new(&settings).map_err(|e| e.to_string())?;
            let pds = pds
                .map(|pds| PdsClient::new(&pds))
                .transpose()
                .map_err(|e| format!("PDS: {e}"))?;
            Ok((None, client, pds))
        }
    }
}

/// Starts the terminal app and returns when the user leaves.
pub fn run(start: Start) -> ExitCode {
    if !stdout().is_terminal() {
        eprintln!(
            "eps-tracker: the terminal app needs a terminal. For scripts, use `eps-tracker \
             search` or `eps-tracker get` (see --help)."
        );
        return ExitCode::from(2);
    }
    let log_dir = start.home.log_dir.clone();
    let _log = match logging::start(&log_dir) {
        Ok((guard, _)) => Some(guard),
        Err(e) => {
            eprintln!(
                "eps-tracker: cannot write the log under {}: {e}",
                log_dir.display()
            );
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("eps-tracker: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let sandbox = start.home.sandbox;
    let environment = match &start.connection {
        Connection::Sandbox => "SANDBOX".to_string(),
        Connection::Spine { label, .. } => label.clone(),
    };
    let mut settings = Settings {
        environment,
        keymap: start.keymap,
        color: color_wanted(start.no_color, std::env::var("NO_COLOR").ok().as_deref()),
        demo_accounts: if sandbox {
            DEMO_ACCOUNTS
                .iter()
                .map(|a| a.role.name().to_string())
                .collect()
        } else {
            Vec::new()
        },
        demo_password: sandbox.then(|| DEMO_PASSWORD.to_string()),
        search_window_days: start.search_window_days,
        pds: false,
        // People read their own clock; tests and snapshots keep UTC.
        zone: Zone::Local,
    };
    let access = Access::new(start.auth);
    let timing = Timing {
        idle: Duration::from_secs(u64::from(access.idle_lock_minutes()) * 60),
        settle: start.detail_delay,
        audit_check: AUDIT_CHECK,
    };
    let result = runtime.block_on(async {
        let mut signals = Signals::new()?;
        // The sandbox lives as long as the app; dropping it stops it.
        let (_sandbox, client, pds) = connect(start.connection, &start.home)
            .await
            .map_err(io::Error::other)?;
        for warning in client.warnings() {
            tracing::warn!(%warning, "client certificate");
        }
        let gate = Gate::new(client, access.audit());
        let gate = Arc::new(match pds {
            Some(pds) => gate.with_pds(pds),
            None => gate,
        });
        settings.pds = gate.has_pds();
        let effects: Arc<dyn Effects> = Arc::new(Live {
            access: access.clone(),
            gate,
        });
        let mut state = State::new(settings, effects.today());
        let mut worker = Worker::new(effects, Box::new(stdout()));
        let mut terminal = terminal::take()?;
        let _guard = terminal::Guard;
        tracing::info!(sandbox, "terminal app started");
        let ending = run_loop(
            &mut terminal,
            EventStream::new(),
            &mut state,
            &mut worker,
            &mut signals,
            timing,
            terminal::gone,
        )
        .await;
        // `restore` shows the cursor again. ratatui's own `Drop` would try too and, when
        // that fails because the terminal has gone, print to the closed terminal with
        // `eprintln!`, which panics.
        std::mem::forget(terminal);
        // Requests still in flight are cancelled, and their outcomes recorded, before the
        // session's end.
        worker.shutdown(SHUTDOWN).await;
        ending
    });
    terminal::restore();
    // Leaving without signing out still closes the session in the audit trail. Bounded:
    // nothing may keep a closed terminal's app alive.
    let reason = match &result {
        Ok(ending) => ending.reason(),
        Err(_) => Ending::Hangup.reason(),
    };
    let closing = access.clone();
    let (done, signed_out) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        if let Err(e) = closing.sign_out(reason) {
            tracing::error!(error = %e, "sign-out at exit not recorded");
        }
        let _ = done.send(());
    });
    if signed_out.recv_timeout(SHUTDOWN).is_err() {
        tracing::error!("sign-out at exit not recorded in time");
    }
    runtime.shutdown_timeout(Duration::from_millis(200));
    match result {
        Ok(ending) => {
            tracing::info!(?ending, "terminal app finished");
            ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!(error = %e, "terminal app failed");
            // Not `eprintln!`: it panics when the terminal has gone.
            let _ = writeln!(io::stderr(), "eps-tracker: terminal error: {e}");
            ExitCode::FAILURE
        }
    }
}
