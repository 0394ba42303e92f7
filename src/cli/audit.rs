//! `eps-tracker audit …`: check the trail's integrity (no sign-in: it prints no patient
//! data and needs only read access), list records (auditors only), print the active file.

use std::process::ExitCode;

use chrono::{NaiveDate, Utc};
use clap::{Args, Subcommand};

use super::csv;
use super::exit::{Failure, finish};
use super::output::{self, print_raw};
use super::password_input::PasswordInput;
use super::secure::{Globals, Secured};
use super::table::{Column, Table};
use crate::config::Home;
use crate::security::audit::{
    ACTIVE_FILE, AuditEntry, AuditFilter, AuditLog, Event, FileResult, Origin, Outcome,
    StoredRecord, VerifyReport, read_records, verify_dir,
};
use crate::security::rbac::{Action, Role, authorize};
use crate::tracker::dates::parse_user_date;
use crate::tracker::ids::NhsNumber;

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: AuditCommand,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check that no record was edited, deleted, reordered or inserted.
    #[command(
        after_help = "Exit codes: 0 every file intact, 1 tampering found (the first bad \
record is named), 2 a file could not be read. A last line left incomplete by a crash is reported \
as such, not as tampering."
    )]
    Verify,
    /// List audit records (auditor role), filtered by user, NHS number, dates and event.
    #[command(
        after_help = "Exit codes: 0 done, 2 usage error, 3 sign-in failed or access \
denied, 5 audit trail unavailable."
    )]
    Show(ShowArgs),
    /// Print the path of the active audit trail file.
    Path,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Sign in as this user (needs the audit.read permission).
    #[arg(long = "as", value_name = "AUDITOR_ID", required = true)]
    pub auditor: String,
    /// The role profile to act in, when the auditor has several.
    #[arg(long, value_name = "ID")]
    pub role_profile: Option<String>,
    /// Read the password from standard input instead of prompting.
    #[arg(long)]
    pub password_stdin: bool,
    /// Only records of this local user.
    #[arg(long)]
    pub user: Option<String>,
    /// Only records about this NHS number.
    #[arg(long, value_name = "NUMBER")]
    pub nhs: Option<String>,
    /// Only records on or after this day (UTC): 2026-11-01, 01/11/2026, today, -28d
    /// (with or without `=`).
    #[arg(long, value_name = "DATE", allow_hyphen_values = true)]
    pub from: Option<String>,
    /// Only records on or before this day (UTC), written like --from.
    #[arg(long, value_name = "DATE", allow_hyphen_values = true)]
    pub to: Option<String>,
    /// Only this event, e.g. search_attempt, access_denied, sign_in_failed.
    #[arg(long)]
    pub event: Option<String>,
    /// One JSON object per line instead of a table.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// CSV (RFC 4180), a row per record, the columns named as --json names them.
    #[arg(long)]
    pub csv: bool,
}

pub fn run(args: &AuditArgs, globals: Globals<'_>) -> ExitCode {
    match &args.command {
        AuditCommand::Verify => verify(globals),
        AuditCommand::Show(show_args) => finish(show(show_args, globals)),
        AuditCommand::Path => finish(path(globals)),
    }
}

fn path(globals: Globals<'_>) -> Result<(), Failure> {
    let home = Home::resolve(globals.home, globals.sandbox).map_err(Failure::usage)?;
    println!("{}", home.audit_dir.join(ACTIVE_FILE).display());
    Ok(())
}

fn verify(globals: Globals<'_>) -> ExitCode {
    let home = match Home::resolve(globals.home, globals.sandbox) {
        Ok(home) => home,
        Err(e) => return Failure::usage(e).report(),
    };
    let report = match verify_dir(&home.audit_dir) {
        Ok(report) => report,
        Err(e) => {
            return Failure::usage(format!(
                "cannot read the audit directory {}: {e}",
                home.audit_dir.display()
            ))
            .report();
        }
    };
    print_report(&report);
    record_verification(&home, &report);
    if report.unreadable() {
        ExitCode::from(2)
    } else if report.tampered() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn print_report(report: &VerifyReport) {
    if report.files.is_empty() {
        println!("no audit records yet in {}", report.dir.display());
    }
    for file in &report.files {
        let chain = file.chain.as_deref().unwrap_or("-");
        match &file.result {
            FileResult::Intact => println!(
                "{}: intact, {} records, chain {chain}",
                file.path.display(),
                file.records
            ),
            FileResult::Tampered(t) => println!(
                "{}: TAMPERED at line {} ({}): {}",
                file.path.display(),
                t.line,
                t.kind,
                t.detail
            ),
            FileResult::Unreadable(message) => {
                println!("{}: UNREADABLE: {message}", file.path.display())
            }
        }
        for note in &file.notes {
            println!("  note: {note}");
        }
    }
}

/// Records the verification when the trail can be written; verifying needs only read
/// access, so a read-only trail is noted, not an error.
fn record_verification(home: &Home, report: &VerifyReport) {
    if report.files.is_empty() {
        return;
    }
    let outcome = if report.tampered() {
        Outcome::Tampered
    } else if report.unreadable() {
        Outcome::Failed
    } else {
        Outcome::Success
    };
    let entry = AuditEntry::new(Event::AuditVerified).outcome(outcome);
    let written = AuditLog::open(&home.audit_dir, Origin::detect())
        .and_then(|log| log.append(&entry, Utc::now()));
    if let Err(e) = written {
        eprintln!("note: this verification was not recorded: {e}");
    }
}

fn show(args: &ShowArgs, globals: Globals<'_>) -> Result<(), Failure> {
    let filter = AuditFilter {
        user: args.user.clone(),
        nhs: args
            .nhs
            .as_deref()
            .map(|n| NhsNumber::parse(n).map(|n| n.as_digits()))
            .transpose()
            .map_err(|e| Failure::usage(format!("--nhs: {e}")))?,
        from: args
            .from
            .as_deref()
            .map(|d| parse_day("--from", d))
            .transpose()?,
        to: args
            .to
            .as_deref()
            .map(|d| parse_day("--to", d))
            .transpose()?,
        event: args
            .event
            .as_deref()
            .map(|e| {
                Event::parse(e).ok_or_else(|| {
                    Failure::usage(format!(
                        "--event \"{e}\" unknown: use e.g. sign_in, sign_in_failed, \
                         search_attempt, search_result, retrieve_attempt, access_denied"
                    ))
                })
            })
            .transpose()?,
    };
    let mut secured = Secured::open(globals)?;
    let mut passwords = PasswordInput::new(args.password_stdin);
    let session = secured.sign_in(
        &args.auditor,
        args.role_profile.as_deref(),
        Some(Role::Auditor),
        &mut passwords,
    )?;
    let now = Utc::now();
    let audit = secured.auth.audit().clone();
    if let Err(denied) = authorize(&session, Action::ReadAudit) {
        let entry = AuditEntry::by(Event::AccessDenied, &session)
            .outcome(Outcome::Denied)
            .reason(denied.action.describe());
        audit.append(&entry, now).map_err(Failure::audit)?;
        return Err(Failure::denied(denied));
    }
    // Reading the trail shows NHS numbers: the reading itself is recorded first.
    let mut entry = AuditEntry::by(Event::AuditRead, &session).outcome(Outcome::Success);
    entry.nhs.clone_from(&filter.nhs);
    entry.target_user.clone_from(&filter.user);
    audit.append(&entry, now).map_err(Failure::audit)?;
    let records = read_records(&secured.home.audit_dir, &filter)
        .map_err(|e| Failure::usage(format!("cannot read the audit trail: {e}")))?;
    if args.json {
        for record in &records {
            println!("{}", serde_json::to_string(record).unwrap_or_default());
        }
        Ok(())
    } else if args.csv {
        let values: Vec<_> = records
            .iter()
            .filter_map(|r| serde_json::to_value(r).ok())
            .collect();
        print_raw(&csv::objects(
            &values,
            &["seq", "ts", "event", "user", "role", "nhs", "outcome"],
        ))
    } else {
        print_records(&records)
    }
}

fn parse_day(flag: &str, text: &str) -> Result<NaiveDate, Failure> {
    parse_user_date(text, Utc::now().date_naive())
        .map_err(|e| Failure::usage(format!("{flag}: {e}")))
}

/// The table fits the width (see `table`): DETAIL is dropped first, then ROLE, TIME and
/// OUTCOME; USER and DETAIL are shortened; NHS numbers are never cut.
fn print_records(records: &[StoredRecord]) -> Result<(), Failure> {
    let mut table = Table::new(&[
        Column::whole("SEQ").right(),
        Column::whole("TIME (UTC)").dropped(3),
        Column::whole("EVENT"),
        Column::text("USER", 6),
        Column::whole("ROLE").dropped(2),
        Column::whole("NHS"),
        Column::whole("OUTCOME").dropped(4),
        Column::text("DETAIL", 12).dropped(1),
    ]);
    for r in records {
        let e = &r.entry;
        let outcome = e.outcome.map(Outcome::name).unwrap_or("-");
        let mut detail = Vec::new();
        if let Some(p) = &e.prescription {
            detail.push(format!("rx {p}"));
        }
        if let Some(n) = e.results {
            detail.push(format!("{n} result{}", if n == 1 { "" } else { "s" }));
        }
        if let Some(code) = &e.spine_code {
            detail.push(format!("spine {code}"));
        }
        if let Some(t) = &e.trace {
            detail.push(format!("trace {t}"));
        }
        if let Some(t) = &e.target_user {
            detail.push(format!("user {t}"));
        }
        if let Some(reason) = &e.reason {
            detail.push(reason.clone());
        }
        table.row(vec![
            r.seq.to_string(),
            r.ts.format("%Y-%m-%d %H:%M:%S%.3f").to_string(),
            e.event.name().to_owned(),
            e.user.as_deref().unwrap_or("-").to_owned(),
            e.role.map(Role::name).unwrap_or("-").to_owned(),
            e.nhs.as_deref().unwrap_or("-").to_owned(),
            outcome.to_owned(),
            detail.join(", "),
        ]);
    }
    print_raw(&table.render(output::width()))
}
