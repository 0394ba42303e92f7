//! What `search` and `get` share: check the request, sign in, connect (to the embedded
//! sandbox or the configured environment), go through the gate, print, and exit with the
//! documented code.

use std::io::{self, Write};
use std::process::ExitCode;

use chrono::Utc;
use clap::Args;

use super::exit::{self, Failure, finish};
use super::inspect::summary;
use super::password_input::PasswordInput;
use super::results::search_table;
use super::secure::{Globals, Secured};
use crate::sandbox::embedded::{EmbeddedOptions, EmbeddedSandbox};
use crate::security::gate::{Gate, GateError};
use crate::tracker::ResponseError;
use crate::tracker::client::{FetchFailure, Fetched, TrackerClient};
use crate::tracker::query::TrackerRequest;

/// Sign-in and output flags of the lookups.
#[derive(Debug, Args)]
pub struct LookupArgs {
    /// Sign in as this local user.
    #[arg(long, value_name = "ID", env = "EPS_TRACKER_USER")]
    pub user: String,
    /// The role profile to act in, when the user has several.
    #[arg(long, value_name = "ID")]
    pub role_profile: Option<String>,
    /// Read the password from the first line of standard input instead of prompting.
    #[arg(long)]
    pub password_stdin: bool,
    /// Print the normalised model as JSON (the same document as `inspect --json`).
    #[arg(long)]
    pub json: bool,
}

/// Runs one lookup and returns the exit code.
pub fn run(globals: Globals<'_>, args: &LookupArgs, request: TrackerRequest) -> ExitCode {
    finish(lookup(globals, args, request))
}

fn lookup(globals: Globals<'_>, args: &LookupArgs, request: TrackerRequest) -> Result<(), Failure> {
    let warnings = request
        .validate(Utc::now().date_naive())
        .map_err(Failure::usage)?;
    for warning in warnings {
        eprintln!("warning: {warning}");
    }
    let mut secured = Secured::open(globals)?;
    let environment = if globals.sandbox {
        None
    } else {
        let (_, env) = secured
            .config
            .environment(globals.environment)
            .map_err(Failure::usage)?;
        Some(env.client_settings(secured.home.config_file.parent()))
    };
    let mut passwords = PasswordInput::new(args.password_stdin);
    let session = secured.sign_in(
        &args.user,
        args.role_profile.as_deref(),
        None,
        &mut passwords,
    )?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| {
            Failure::new(
                exit::NETWORK,
                format!("cannot start the network runtime: {e}"),
            )
        })?;
    let audit = secured.auth.audit().clone();
    let outcome = runtime.block_on(async {
        let sandbox = match environment {
            Some(_) => None,
            None => Some(
                EmbeddedSandbox::start(EmbeddedOptions::default())
                    .await
                    .map_err(|e| {
                        Failure::new(exit::NETWORK, format!("cannot start the sandbox: {e}"))
                    })?,
            ),
        };
        let settings = match (&environment, &sandbox) {
            (Some(settings), _) => settings.clone(),
            (None, Some(sandbox)) => sandbox.client_settings(),
            (None, None) => return Err(Failure::usage("no Spine environment to connect to")),
        };
        let client = TrackerClient::new(&settings).map_err(|e| Failure::new(exit::NETWORK, e))?;
        for warning in client.warnings() {
            eprintln!("warning: {warning}");
        }
        let gate = Gate::new(client, audit);
        let result = gate.request(&session, request.clone(), Utc::now()).await;
        if let Some(sandbox) = sandbox {
            sandbox.shutdown().await;
        }
        Ok(result)
    });
    if let Err(e) = secured.auth.sign_out(session, Utc::now()) {
        eprintln!("note: the sign-out was not recorded: {e}");
    }
    match outcome? {
        Ok(fetched) => show(&fetched, &request, args.json),
        Err(error) => Err(failure(error, args.json)),
    }
}

fn show(fetched: &Fetched, request: &TrackerRequest, json: bool) -> Result<(), Failure> {
    let response = &fetched.response;
    for warning in &response.warnings {
        eprintln!("warning: {warning}");
    }
    if let Some(notice) = &response.notice {
        eprintln!("note: {notice}");
    }
    let text = if json {
        serde_json::to_string_pretty(response).unwrap_or_default() + "\n"
    } else if matches!(
        request,
        TrackerRequest::Search(_) | TrackerRequest::ClinicalSummary(_)
    ) {
        search_table(&response.prescriptions)
    } else {
        summary(response)
    };
    let mut out = io::stdout().lock();
    // A closed pipe (`| head`) is the reader's choice, not a failure.
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            eprintln!("error: cannot write the output: {e}");
        }
        _ => {}
    }
    eprintln!("trace ID {}", fetched.trace_id);
    if response.prescriptions.is_empty() {
        return Err(Failure::new(
            exit::NOT_FOUND,
            "no prescriptions found (without --from, Spine looks back 28 days only)",
        ));
    }
    Ok(())
}

fn failure(error: GateError, json: bool) -> Failure {
    match error {
        GateError::SessionLocked
        | GateError::SessionRevoked { .. }
        | GateError::Denied(_)
        | GateError::Identity(_) => Failure::denied(error),
        GateError::AuditUnavailable(_) | GateError::ResultNotRecorded(_) => Failure::audit(error),
        GateError::Fetch(fetch) => {
            let trace = &fetch.trace_id;
            match &fetch.failure {
                FetchFailure::Transport(_) => {
                    Failure::new(exit::NETWORK, format!("{fetch} (trace ID {trace})"))
                }
                FetchFailure::Response(response) => {
                    if json {
                        print_error_json(response);
                    }
                    Failure::new(exit::NOT_FOUND, format!("{fetch} (trace ID {trace})"))
                }
            }
        }
    }
}

fn print_error_json(error: &ResponseError) {
    if let Ok(text) = serde_json::to_string_pretty(error) {
        println!("{text}");
    }
}
