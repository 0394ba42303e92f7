//! `eps-tracker search`: a patient's prescriptions by NHS number, through the gate.

use std::process::ExitCode;

use chrono::Utc;
use clap::Args;

use super::exit::{EXIT_CODES_HELP, Failure, finish_as};
use super::lookup::{self, LookupArgs};
use super::secure::Globals;
use crate::tracker::dates::parse_user_date;
use crate::tracker::ids::NhsNumber;
use crate::tracker::model::{EpsVersion, PrescriptionStatus};
use crate::tracker::query::{SearchQuery, TrackerRequest};

#[derive(Debug, Args)]
#[command(after_help = EXIT_CODES_HELP)]
pub struct SearchArgs {
    /// The patient's NHS number (10 digits; spaces or dashes between them are fine).
    #[arg(long, value_name = "NUMBER")]
    pub nhs: String,
    /// Earliest prescription date: 2026-11-01, 01/11/2026 (day first), today, -28d, -4w,
    /// -6m or -2y (with or without `=`). Without it the search covers `[search]
    /// default_window_days` back (730 days unless changed), so long-running repeat
    /// dispensing is found.
    #[arg(long, value_name = "DATE", allow_hyphen_values = true)]
    pub from: Option<String>,
    /// Latest prescription date (the whole day is included), written like --from.
    #[arg(long, value_name = "DATE", allow_hyphen_values = true)]
    pub to: Option<String>,
    /// Only prescriptions in this status: a four-digit code such as 0001 (to be dispensed).
    #[arg(long, value_name = "CODE")]
    pub status: Option<String>,
    /// Only R1 (paper-era) or R2 (electronic) prescriptions.
    #[arg(long, value_name = "R1|R2")]
    pub eps_version: Option<String>,
    /// Include clinical detail (medicines): needs a role with tracker.clinical.
    #[arg(long)]
    pub clinical: bool,
    #[command(flatten)]
    pub lookup: LookupArgs,
}

pub(super) fn run(args: &SearchArgs, globals: Globals<'_>) -> ExitCode {
    match request(args) {
        Ok(request) => lookup::run(globals, &args.lookup, request),
        Err(failure) => finish_as(Err(failure), args.lookup.json),
    }
}

/// Longer than any value these flags take: refused before a message would echo it back.
const MAX_FLAG_VALUE: usize = 64;

fn request(args: &SearchArgs) -> Result<TrackerRequest, Failure> {
    for (flag, value) in [
        ("--status", &args.status),
        ("--eps-version", &args.eps_version),
    ] {
        if let Some(value) = value
            && value.chars().count() > MAX_FLAG_VALUE
        {
            return Err(Failure::usage(format!(
                "{flag}: {} characters is far too long: see --help for the values it takes",
                value.chars().count()
            )));
        }
    }
    let today = Utc::now().date_naive();
    let mut query = SearchQuery::new(
        NhsNumber::parse(&args.nhs).map_err(|e| Failure::usage(format!("--nhs: {e}")))?,
    );
    let date = |flag: &str, text: &Option<String>| {
        text.as_deref()
            .map(|t| parse_user_date(t, today).map_err(|e| Failure::usage(format!("{flag}: {e}"))))
            .transpose()
    };
    query.earliest = date("--from", &args.from)?;
    query.latest = date("--to", &args.to)?;
    query.status = args.status.as_deref().map(PrescriptionStatus::from_code);
    query.version = args
        .eps_version
        .as_deref()
        .map(|v| EpsVersion::from_user(v).unwrap_or_else(|| EpsVersion::Unknown(v.to_owned())));
    Ok(if args.clinical {
        TrackerRequest::ClinicalSummary(query)
    } else {
        TrackerRequest::Search(query)
    })
}
