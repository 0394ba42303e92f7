//! `eps-tracker patient`: who a patient is, from PDS, through the gate: by NHS number, or
//! `patient search` for the single patient matching a last name and date of birth (with
//! first name, postcode and gender to narrow it).

use std::fmt::Write as _;
use std::io::{self, Write};
use std::process::ExitCode;

use chrono::{NaiveDate, Utc};
use clap::Args;
use serde::Serialize;

use super::connect;
use super::exit::{self, Failure, finish};
use super::lookup::LookupArgs;
use super::password_input::PasswordInput;
use super::secure::{Globals, Secured};
use crate::pds::client::PdsReply;
use crate::pds::model::spaced;
use crate::pds::{
    NotPds, PatientSearch, PdsAnswer, PdsClient, PdsCode, PdsError, PdsOutcome, PdsRequest,
};
use crate::security::gate::{Gate, PatientError};
use crate::security::spine_client::TrackerClient;
use crate::tracker::ids::NhsNumber;

/// Exit codes of `patient`, as its `--help` lists them.
const PATIENT_EXIT_CODES: &str = "Exit codes: 0 found, 1 no match, more than one match or a PDS \
error, 2 invalid NHS number or search details, 3 sign-in failed or access denied, 4 network or \
TLS failure, 5 audit trail unavailable.";

/// `patient NHS_NUMBER`, or `patient search --family NAME --dob DATE [...]`. (One command
/// with a `search` word rather than a subcommand, so the sign-in flags read the same in
/// both forms.)
#[derive(Debug, Args)]
#[command(after_help = PATIENT_EXIT_CODES)]
pub struct PatientArgs {
    /// The patient's NHS number (10 digits; spaces or dashes between them are fine), or
    /// the word `search` to find the one patient matching --family and --dob (PDS answers
    /// only a unique match).
    #[arg(value_name = "NHS_NUMBER|search")]
    pub target: String,
    /// Last name, for `search` (a `*` after the first two letters matches the rest).
    #[arg(long, value_name = "NAME")]
    pub family: Option<String>,
    /// Date of birth, for `search`: 1958-03-14 or 14/03/1958 (day first).
    #[arg(long, value_name = "DATE")]
    pub dob: Option<String>,
    /// First name, to tell apart patients who share last name and date of birth.
    #[arg(long, value_name = "NAME")]
    pub given: Option<String>,
    /// Postcode of the home address (LS6 3HN, or LS6* for a prefix).
    #[arg(long, value_name = "CODE")]
    pub postcode: Option<String>,
    /// male, female, other or unknown (PDS advises leaving it out).
    #[arg(long, value_name = "G")]
    pub gender: Option<String>,
    #[command(flatten)]
    pub lookup: LookupArgs,
}

pub(super) fn run(args: &PatientArgs, globals: Globals<'_>) -> ExitCode {
    let today = Utc::now().date_naive();
    finish(request(args, today).and_then(|request| look_up(globals, &args.lookup, request, today)))
}

fn request(args: &PatientArgs, today: NaiveDate) -> Result<PdsRequest, Failure> {
    if args.target == "search" {
        let (Some(family), Some(dob)) = (&args.family, &args.dob) else {
            return Err(Failure::usage(
                "patient search needs --family NAME and --dob DATE (add --given or --postcode \
                 when several patients share them)",
            ));
        };
        return PatientSearch::new(
            family,
            dob,
            args.given.as_deref(),
            args.postcode.as_deref(),
            args.gender.as_deref(),
            today,
        )
        .map(PdsRequest::Search)
        .map_err(|e| Failure::usage(format!("search details: {e}")));
    }
    let details = [
        &args.family,
        &args.dob,
        &args.given,
        &args.postcode,
        &args.gender,
    ];
    if details.iter().any(|d| d.is_some()) {
        return Err(Failure::usage(
            "--family, --dob, --given, --postcode and --gender go with `patient search`, not \
             with an NHS number",
        ));
    }
    NhsNumber::parse(&args.target)
        .map(PdsRequest::Retrieve)
        .map_err(|e| Failure::usage(format!("NHS number: {e}")))
}

fn look_up(
    globals: Globals<'_>,
    args: &LookupArgs,
    request: PdsRequest,
    today: NaiveDate,
) -> Result<(), Failure> {
    let mut secured = Secured::open(globals)?;
    let environment = if globals.sandbox {
        None
    } else {
        let (name, env) = secured
            .config
            .environment(globals.environment)
            .map_err(Failure::usage)?;
        let base = secured.home.config_file.parent();
        let pds = env.pds.as_ref().ok_or_else(|| {
            Failure::usage(format!(
                "PDS is not set up for the environment \"{name}\": add an \
                 [environments.{name}.pds] table (see config.example.toml)"
            ))
        })?;
        Some((env.client_settings(base), pds.settings(base)))
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
        let (tracker, pds) = match (&environment, &sandbox) {
            (Some((tracker, pds)), _) => (tracker.clone(), pds.clone()),
            (None, Some(sandbox)) => (sandbox.client_settings(), sandbox.pds_settings()),
            (None, None) => return Err(Failure::usage("no environment to connect to")),
        };
        let tracker = TrackerClient::new(&tracker).map_err(|e| Failure::new(exit::NETWORK, e))?;
        let pds = PdsClient::new(&pds).map_err(|e| Failure::usage(PdsError::Setup(e)))?;
        let gate = Gate::new(tracker, audit).with_pds(pds);
        let result = gate.patient(&session, request.clone(), Utc::now()).await;
        if let Some(sandbox) = sandbox {
            sandbox.shutdown().await;
        }
        Ok(result)
    });
    if let Err(e) = secured.auth.sign_out(session, Utc::now()) {
        eprintln!("note: the sign-out was not recorded: {e}");
    }
    match outcome? {
        Ok(reply) => show(&reply, &request, args.json, today),
        Err(error) => Err(failure(error, args.json)),
    }
}

fn show(
    reply: &PdsReply,
    request: &PdsRequest,
    json: bool,
    today: NaiveDate,
) -> Result<(), Failure> {
    let kind = match request {
        PdsRequest::Retrieve(_) => Kind::Patient,
        PdsRequest::Search(_) => Kind::PatientSearch,
    };
    write_out(&render(&reply.answer, kind, json, today));
    eprintln!("request ID {}", reply.request_id);
    match &reply.answer {
        PdsAnswer::Search { patients, .. } if patients.is_empty() => Err(Failure::new(
            exit::NOT_FOUND,
            "no patient matches these details: check the spelling and the date of birth, or \
             try fewer details (a postcode or first name that PDS holds differently stops a \
             match)",
        )),
        _ => Ok(()),
    }
}

fn failure(error: PatientError, json: bool) -> Failure {
    match error {
        PatientError::SessionLocked | PatientError::Denied(_) => Failure::denied(error),
        PatientError::AuditUnavailable(_) | PatientError::ResultNotRecorded(_) => {
            Failure::audit(error)
        }
        PatientError::Pds(pds) => {
            let code = match &pds {
                PdsError::Outcome(outcome) => {
                    if json {
                        write_out(&error_json(outcome));
                    }
                    match outcome.code {
                        PdsCode::InvalidResourceId | PdsCode::InvalidSearchData => exit::USAGE,
                        _ => exit::NOT_FOUND,
                    }
                }
                PdsError::Network { .. } => exit::NETWORK,
                PdsError::NotConfigured | PdsError::Setup(_) => exit::USAGE,
                PdsError::TokenRefused { .. } | PdsError::TokenRejected => exit::DENIED,
                PdsError::TokenUnreadable { .. }
                | PdsError::NotPds { .. }
                | PdsError::WrongShape => exit::NOT_FOUND,
            };
            Failure::new(code, pds)
        }
    }
}

/// Which document `--json` prints.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(super) enum Kind {
    Patient,
    PatientSearch,
}

/// The summary, or the `--json` document; an OperationOutcome gives its error document.
pub(super) fn render(answer: &PdsAnswer, kind: Kind, json: bool, today: NaiveDate) -> String {
    let patients: Vec<&crate::pds::Patient> = match answer {
        PdsAnswer::Patient { patient } => vec![patient.as_ref()],
        PdsAnswer::Search { patients, .. } => patients.iter().collect(),
        PdsAnswer::Outcome { outcome } => {
            return if json {
                error_json(outcome)
            } else {
                format!("{outcome}\n")
            };
        }
    };
    if json {
        #[derive(Serialize)]
        struct Document<'a> {
            kind: Kind,
            patients: &'a [&'a crate::pds::Patient],
        }
        return serde_json::to_string_pretty(&Document {
            kind,
            patients: &patients,
        })
        .unwrap_or_default()
            + "\n";
    }
    let mut out = String::new();
    if patients.is_empty() {
        out.push_str("No patient matches.\n");
    }
    for patient in patients {
        summary(&mut out, patient, today);
    }
    out
}

fn summary(out: &mut String, p: &crate::pds::Patient, today: NaiveDate) {
    if let Some(note) = p.superseded_note() {
        let _ = writeln!(out, "Note: {note}");
    }
    let row = |out: &mut String, label: &str, value: &str| {
        let _ = writeln!(out, "{label:<13}{value}");
    };
    row(out, "NHS number", &spaced(&p.nhs_number));
    row(
        out,
        "Name",
        &p.name
            .as_ref()
            .map_or_else(|| "(PDS gives no name)".to_owned(), ToString::to_string),
    );
    for other in &p.other_names {
        row(
            out,
            "Also known",
            &format!("{other} ({})", use_word(other.name_use)),
        );
    }
    if let Some(dob) = &p.birth_date {
        let age = dob
            .age_on(today)
            .map(|a| format!(" (age {a})"))
            .unwrap_or_default();
        row(out, "Born", &format!("{}{age}", dob.display()));
    }
    if let Some(gender) = &p.gender {
        row(out, "Gender", gender);
    }
    if let Some(address) = &p.address {
        let mut parts = address.lines.clone();
        parts.extend(address.postcode.clone());
        row(out, "Address", &parts.join(", "));
    }
    if let Some(gp) = &p.gp_ods {
        row(out, "GP practice", gp);
    }
    if let Some(died) = &p.deceased {
        row(out, "Deceased", &died.display());
    }
    if p.restricted {
        out.push_str(
            "RESTRICTED RECORD: PDS gives no address, telephone or GP for this patient; \
             do not disclose where they live.\n",
        );
    }
}

fn use_word(name_use: crate::pds::model::NameUse) -> &'static str {
    match name_use {
        crate::pds::model::NameUse::Usual => "another usual name",
        crate::pds::model::NameUse::Temp => "temporary name",
        crate::pds::model::NameUse::Nickname => "nickname",
    }
}

fn error_json(outcome: &PdsOutcome) -> String {
    let document = serde_json::json!({
        "kind": "error",
        "code": outcome.code.as_str(),
        "http_status": outcome.http_status,
        "message": outcome.code.plain(),
        "diagnostics": outcome.diagnostics,
    });
    serde_json::to_string_pretty(&document).unwrap_or_default() + "\n"
}

/// For `inspect`: a PDS body's summary or JSON and its exit code (0 an answer, 1 an
/// OperationOutcome, 2 not PDS's).
pub(super) fn inspect(
    body: &[u8],
    http_status: Option<u16>,
    json: bool,
) -> (String, Result<(), String>, u8) {
    let today = Utc::now().date_naive();
    match crate::pds::decode(body, http_status) {
        Ok(answer) => {
            let kind = match answer {
                PdsAnswer::Search { .. } => Kind::PatientSearch,
                _ => Kind::Patient,
            };
            let text = render(&answer, kind, json, today);
            match &answer {
                PdsAnswer::Outcome { outcome } => (text, Err(outcome.to_string()), exit::NOT_FOUND),
                _ => (text, Ok(()), 0),
            }
        }
        Err(NotPds::TooLarge { limit }) => (
            String::new(),
            Err(format!("the body is larger than {limit} bytes")),
            exit::USAGE,
        ),
        Err(e) => (String::new(), Err(e.to_string()), exit::USAGE),
    }
}

fn write_out(text: &str) {
    let mut out = io::stdout().lock();
    // A closed pipe (`| head`) is the reader's choice, not a failure.
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            eprintln!("error: cannot write the output: {e}");
        }
        _ => {}
    }
}
