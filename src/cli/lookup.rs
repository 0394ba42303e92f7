//! What `search` and `get` share: check the request, sign in, connect (to the embedded
//! sandbox or the configured environment), go through the gate, print, and exit with the
//! documented code.

use std::process::ExitCode;

use chrono::Utc;
use clap::Args;

use super::connect;
use super::exit::{self, Failure, finish_as};
use super::inspect::summary;
use super::output::{self, print, print_raw};
use super::password_input::PasswordInput;
use super::results::search_table;
use super::safe;
use super::secure::{Globals, Secured};
use crate::security::gate::{Gate, GateError};
use crate::security::session::Session;
use crate::security::spine_client::{FetchFailure, Fetched, TrackerClient};
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
pub(super) fn run(globals: Globals<'_>, args: &LookupArgs, request: TrackerRequest) -> ExitCode {
    finish_as(lookup(globals, args, request), args.json)
}

fn lookup(globals: Globals<'_>, args: &LookupArgs, request: TrackerRequest) -> Result<(), Failure> {
    let mut secured = Secured::open(globals)?;
    let today = Utc::now().date_naive();
    // No --from means the configured window, sent explicitly (Spine's own is 28 days).
    let request = with_default_window(request, today, secured.config.search.default_window_days);
    let warnings = request.validate(today).map_err(Failure::usage)?;
    for warning in warnings {
        eprintln!("warning: {}", safe::lines(&warning.to_string()));
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
    let runtime = connect::runtime()?;
    let audit = secured.auth.audit().clone();
    let outcome = runtime.block_on(async {
        let sandbox = connect::sandbox_unless_real(environment.is_some()).await?;
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
        Ok((fetched, request)) => show(&fetched, &request, args),
        Err(error) => Err(match empty_search(&error, &request) {
            // Spine's code 1 to a search is the empty answer: say what was searched.
            Some(trace) => {
                let failure = failure(error);
                Failure::new(failure.code, nothing_found(&request)).trace(trace)
            }
            None => failure(error),
        }),
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
        return Err(Failure::new(exit::NOT_FOUND, nothing_found(request))
            .trace(&fetched.trace_id)
            .after_output());
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

/// The CLI's failure for a refused or failed request, with the advice and retry rule the
/// terminal app shows too.
fn failure(error: GateError) -> Failure {
    let advice = error.advice();
    let retry = error.retry_can_help();
    let failure = match error {
        GateError::SessionLocked | GateError::SessionRevoked { .. } | GateError::Denied(_) => {
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
    };
    failure.advice(advice, retry)
}
