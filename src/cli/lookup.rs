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
use crate::security::session::Session;
use crate::tracker::ResponseError;
use crate::tracker::client::{FetchFailure, Fetched, TrackerClient};
use crate::tracker::query::{SearchQuery, TrackerRequest};
use crate::tracker::window::{filter_words, window_text, with_default_window};

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
    let mut secured = Secured::open(globals)?;
    let today = Utc::now().date_naive();
    // No --from means the configured window, sent explicitly (Spine's own is 28 days).
    let request = with_default_window(request, today, secured.config.search.default_window_days);
    let warnings = request.validate(today).map_err(Failure::usage)?;
    for warning in warnings {
        eprintln!("warning: {warning}");
    }
    if let TrackerRequest::Search(q) | TrackerRequest::ClinicalSummary(q) = &request {
        eprintln!("searching {}", searched(q, &request, today));
    }
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
        let result = match current_issue_first(&gate, &session, &request).await {
            Ok(request) => gate
                .request(&session, request.clone(), Utc::now())
                .await
                .map(|fetched| (fetched, request)),
            Err(error) => Err(error),
        };
        if let Some(sandbox) = sandbox {
            sandbox.shutdown().await;
        }
        Ok(result)
    });
    if let Err(e) = secured.auth.sign_out(session, Utc::now()) {
        eprintln!("note: the sign-out was not recorded: {e}");
    }
    match outcome? {
        Ok((fetched, request)) => show(&fetched, &request, args.json),
        Err(error) => Err(match empty_search(&error, &request) {
            // Spine's code 1 to a search is the empty answer: say what was searched.
            Some(trace) => {
                let failure = failure(error, args.json);
                Failure::new(
                    failure.code,
                    format!("{} (trace ID {trace})", nothing_found(&request)),
                )
            }
            None => failure(error, args.json),
        }),
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
        return Err(Failure::new(exit::NOT_FOUND, nothing_found(request)));
    }
    Ok(())
}

/// The clinical detail of a repeat-dispensing prescription needs an issue number: with
/// none given, the basic retrieve is asked first which issue is current (as a search
/// would), and the detail is asked for that one.
async fn current_issue_first(
    gate: &Gate,
    session: &Session,
    request: &TrackerRequest,
) -> Result<TrackerRequest, GateError> {
    let TrackerRequest::ClinicalDetail(q) = request else {
        return Ok(request.clone());
    };
    if q.issue.is_some() {
        return Ok(request.clone());
    }
    let basic = gate
        .request(session, TrackerRequest::Retrieve(q.clone()), Utc::now())
        .await?;
    let mut query = q.clone();
    if let Some(p) = basic.response.prescriptions.first()
        && p.is_repeat_dispensing()
        && let Some(current) = p.current_issue
    {
        eprintln!(
            "the current issue is {current} (trace ID {})",
            basic.trace_id
        );
        query.issue = Some(current);
    }
    Ok(TrackerRequest::ClinicalDetail(query))
}

/// The trace ID of Spine's "nothing found" (code 1) to a search.
fn empty_search(error: &GateError, request: &TrackerRequest) -> Option<String> {
    let GateError::Fetch(fetch) = error else {
        return None;
    };
    let FetchFailure::Response(response) = &fetch.failure else {
        return None;
    };
    let is_search = matches!(
        request,
        TrackerRequest::Search(_) | TrackerRequest::ClinicalSummary(_)
    );
    (is_search && response.spine().is_some_and(|s| s.code == "1"))
        .then(|| fetch.trace_id.to_string())
}

/// What a search covered: the NHS number, the dates and every filter.
fn searched(q: &SearchQuery, request: &TrackerRequest, today: chrono::NaiveDate) -> String {
    let mut parts = vec![
        format!("NHS number {}", q.nhs_number),
        window_text(q, today),
    ];
    parts.extend(filter_words(request));
    parts.join(" · ")
}

/// The empty answer, with what was searched and how to look wider.
fn nothing_found(request: &TrackerRequest) -> String {
    match request {
        TrackerRequest::Search(q) | TrackerRequest::ClinicalSummary(q) => {
            let today = Utc::now().date_naive();
            let mut text = format!("no prescriptions found for {}", searched(q, request, today));
            if q.status.is_some() || q.version.is_some() {
                text.push_str("; drop --status/--eps-version to see the rest");
            }
            text.push_str("; use --from (e.g. --from=-1825d) to look further back");
            text
        }
        _ => "no prescription found".to_owned(),
    }
}

fn failure(error: GateError, json: bool) -> Failure {
    match error {
        GateError::SessionLocked | GateError::Denied(_) | GateError::Identity(_) => {
            Failure::denied(error)
        }
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
