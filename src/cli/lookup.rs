//! What `search` and `get` share: check the request, sign in, connect (to the embedded
//! sandbox or the configured environment), go through the gate, print, and exit with the
//! documented code.

use std::process::ExitCode;

use chrono::Utc;
use clap::Args;

use super::exit::{self, Failure, finish_as};
use super::inspect::summary;
use super::output::{self, print, print_raw};
use super::password_input::PasswordInput;
use super::results::search_table;
use super::safe;
use super::secure::{Globals, Secured};
use crate::sandbox::embedded::{EmbeddedOptions, EmbeddedSandbox};
use crate::security::gate::{Gate, GateError};
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
    /// Print the normalised model as JSON (the same document as `inspect --json`); a
    /// failure prints a JSON error document (with the trace ID) instead.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print CSV (RFC 4180) for a spreadsheet: a row per prescription (`search`) or per
    /// issue (`get`), the columns named as `--json` names the fields.
    #[arg(long)]
    pub csv: bool,
}

/// Runs one lookup and returns the exit code.
pub fn run(globals: Globals<'_>, args: &LookupArgs, request: TrackerRequest) -> ExitCode {
    finish_as(lookup(globals, args, request), args.json)
}

fn lookup(globals: Globals<'_>, args: &LookupArgs, request: TrackerRequest) -> Result<(), Failure> {
    let warnings = request
        .validate(Utc::now().date_naive())
        .map_err(Failure::usage)?;
    for warning in warnings {
        eprintln!("warning: {}", safe::lines(&warning.to_string()));
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
            Failure::new(exit::NETWORK, "cannot start the network runtime").caused_by(&e)
        })?;
    let audit = secured.auth.audit().clone();
    let outcome = runtime.block_on(async {
        let sandbox = match environment {
            Some(_) => None,
            None => Some(
                EmbeddedSandbox::start(EmbeddedOptions::default())
                    .await
                    .map_err(|e| {
                        Failure::new(exit::NETWORK, "cannot start the sandbox").caused_by(&e)
                    })?,
            ),
        };
        let settings = match (&environment, &sandbox) {
            (Some(settings), _) => settings.clone(),
            (None, Some(sandbox)) => sandbox.client_settings(),
            (None, None) => return Err(Failure::usage("no Spine environment to connect to")),
        };
        let client = TrackerClient::new(&settings).map_err(|e| {
            Failure::new(exit::NETWORK, "the Tracker client cannot be set up").caused_by(&e)
        })?;
        for warning in client.warnings() {
            eprintln!("warning: {}", safe::lines(&warning.to_string()));
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
        Ok(fetched) => show(&fetched, &request, args),
        Err(error) => Err(failure(error)),
    }
}

fn show(fetched: &Fetched, request: &TrackerRequest, args: &LookupArgs) -> Result<(), Failure> {
    let response = &fetched.response;
    for warning in &response.warnings {
        eprintln!("warning: {}", safe::lines(warning));
    }
    let issue_missing = response
        .notice
        .as_ref()
        .filter(|notice| notice.is_issue_not_found());
    if let Some(notice) = &response.notice
        && issue_missing.is_none()
    {
        eprintln!("note: {}", safe::lines(&notice.to_string()));
    }
    let search = matches!(
        request,
        TrackerRequest::Search(_) | TrackerRequest::ClinicalSummary(_)
    );
    if args.json {
        print_raw(&(serde_json::to_string_pretty(response).unwrap_or_default() + "\n"))?;
    } else if args.csv && search {
        print_raw(&super::csv::prescriptions(&response.prescriptions))?;
    } else if args.csv {
        print_raw(&super::csv::issues(&response.prescriptions))?;
    } else if search {
        print(&search_table(&response.prescriptions, output::width()))?;
    } else {
        print(&summary(response, output::width()))?;
    }
    eprintln!("trace ID {}", fetched.trace_id);
    // The document is out: what follows is said on stderr only.
    if let Some(notice) = issue_missing {
        return Err(Failure::new(exit::NOT_FOUND, notice).after_output());
    }
    if response.prescriptions.is_empty() {
        return Err(Failure::new(
            exit::NOT_FOUND,
            "no prescriptions found (without --from, Spine looks back 28 days only)",
        )
        .trace(&fetched.trace_id)
        .after_output());
    }
    Ok(())
}

fn failure(error: GateError) -> Failure {
    match error {
        GateError::SessionLocked | GateError::Denied(_) | GateError::Identity(_) => {
            Failure::denied(error)
        }
        GateError::AuditUnavailable(audit) => {
            Failure::audit("the request was not sent because the audit trail cannot be written")
                .caused_by(&audit)
        }
        GateError::ResultNotRecorded(audit) => Failure::audit(
            "the answer arrived but could not be recorded in the audit trail, so it is not shown",
        )
        .caused_by(&audit),
        GateError::Fetch(fetch) => {
            let trace = fetch.trace_id.to_string();
            match &fetch.failure {
                FetchFailure::Transport(transport) => {
                    Failure::new(exit::NETWORK, "could not reach Spine")
                        .caused_by(transport)
                        .trace(trace)
                }
                FetchFailure::Response(response) => {
                    let code = if response.is_unavailable() {
                        exit::UNAVAILABLE
                    } else {
                        exit::NOT_FOUND
                    };
                    Failure::new(code, response).trace(trace).detail(response)
                }
            }
        }
    }
}
