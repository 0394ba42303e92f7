//! `eps-tracker get`: one prescription by ID, through the gate.

use std::process::ExitCode;

use clap::Args;

use super::exit::{EXIT_CODES_HELP, Failure, finish_as};
use super::lookup::{self, LookupArgs};
use super::secure::Globals;
use crate::tracker::ids::PrescriptionId;
use crate::tracker::query::{RetrieveQuery, TrackerRequest};

#[derive(Debug, Args)]
#[command(after_help = EXIT_CODES_HELP)]
pub struct GetArgs {
    /// The prescription ID: 20 characters (XXXXXX-XXXXXX-XXXXXX) or 37 (R1, a GUID and a
    /// check character).
    pub prescription_id: String,
    /// The issue of a repeat dispensing prescription (1-based); default the current one.
    #[arg(long, value_name = "N")]
    pub issue: Option<u32>,
    /// Include clinical detail (medicines, dosage): needs a role with tracker.clinical.
    #[arg(long)]
    pub clinical: bool,
    #[command(flatten)]
    pub lookup: LookupArgs,
}

pub(super) fn run(args: &GetArgs, globals: Globals<'_>) -> ExitCode {
    let id = match PrescriptionId::parse(&args.prescription_id) {
        Ok(id) => id,
        Err(e) => {
            let failure = Failure::usage(format!("prescription ID: {e}"));
            return finish_as(Err(failure), args.lookup.json);
        }
    };
    let query = RetrieveQuery {
        id,
        issue: args.issue,
    };
    let request = if args.clinical {
        TrackerRequest::ClinicalDetail(query)
    } else {
        TrackerRequest::Retrieve(query)
    };
    lookup::run(globals, &args.lookup, request)
}
