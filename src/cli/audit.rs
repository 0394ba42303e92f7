//! `eps-tracker audit …`: check the trail's integrity (no sign-in: it prints no patient
//! data and needs only read access), list records (auditors only), print the active file,
//! and reseal a trail found cut or replaced (administrators only) so recording resumes.

use std::process::ExitCode;

use chrono::{NaiveDate, Utc};
use clap::{Args, Subcommand};

use super::csv;
use super::exit::{Failure, NETWORK, finish};
use super::output::{self, print_raw};
use super::password_input::PasswordInput;
use super::secure::{Globals, Secured};
use super::table::{Column, Table};
use crate::config::{Config, Home};
use crate::security::audit::{
    ACTIVE_FILE, AgainstReport, AuditEntry, AuditError, AuditFilter, AuditLog, Event, FileResult,
    ForwardError, Origin, Outcome, Resealed, StoredRecord, VerifyReport, backlog, compare,
    for_each_record, forward_once, read_records, verify_dir,
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
record is named), 2 a file could not be read. A last line left incomplete by a crash, and a \
request whose outcome was never written (the program was killed), are reported as notes, not \
tampering. Every chain break (an administrator's reseal) is listed on every run. With \
--against, exit 1 also when the collector's copy and this trail differ."
    )]
    Verify(VerifyArgs),
    /// List audit records (auditor role), filtered by user, NHS number, dates and event.
    #[command(
        after_help = "Exit codes: 0 done, 2 usage error, 3 sign-in failed or access \
denied, 5 audit trail unavailable."
    )]
    Show(ShowArgs),
    /// Print the path of the active audit trail file.
    Path,
    /// Let recording resume after the trail was found cut, rolled back or replaced
    /// (administrator role): appends a chain_break record naming who, why and what was found.
    #[command(
        after_help = "Run `eps-tracker audit verify` and keep a copy of the audit folder \
first: the chain_break records what was found, not what was lost. Exit codes: 0 resealed (or \
nothing to reseal), 2 usage error, 3 sign-in failed or access denied, 5 audit trail \
unavailable."
    )]
    Reseal(ResealArgs),
    /// Send the records the syslog collector has not yet read ([audit.forward]); for a cron
    /// job or systemd timer.
    #[command(
        after_help = "Exit codes: 0 everything sent (or nothing to send), 2 no [audit.forward] \
in the settings file, 4 the collector could not be reached or did not confirm (the records stay \
queued and are sent again next time)."
    )]
    Forward,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Also compare with a syslog collector's copy of the trail (one raw message per line,
    /// as rsyslog's %rawmsg% writes it): records missing or different on either side.
    #[arg(long, value_name = "FILE")]
    pub against: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct ResealArgs {
    /// Sign in as this administrator (needs the users.admin permission).
    #[arg(long = "as", value_name = "ADMIN_ID", required = true)]
    pub admin: String,
    /// Why the trail is being resealed (kept in the chain_break record).
    #[arg(long, value_name = "TEXT", required = true)]
    pub reason: String,
    /// The role profile to act in, when the administrator has several.
    #[arg(long, value_name = "ID")]
    pub role_profile: Option<String>,
    /// Read the password from standard input instead of prompting.
    #[arg(long)]
    pub password_stdin: bool,
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

pub(super) fn run(args: &AuditArgs, globals: Globals<'_>) -> ExitCode {
    match &args.command {
        AuditCommand::Verify(verify_args) => verify(verify_args, globals),
        AuditCommand::Forward => finish(forward(globals)),
        AuditCommand::Show(show_args) => finish(show(show_args, globals)),
        AuditCommand::Path => finish(path(globals)),
        AuditCommand::Reseal(reseal_args) => finish(reseal(reseal_args, globals)),
    }
}

fn path(globals: Globals<'_>) -> Result<(), Failure> {
    let home = Home::resolve(globals.home, globals.sandbox).map_err(Failure::usage)?;
    println!("{}", home.audit_dir.join(ACTIVE_FILE).display());
    Ok(())
}

fn verify(args: &VerifyArgs, globals: Globals<'_>) -> ExitCode {
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
    print_advice(&report);
    let mut differs = false;
    if let Some(collected) = &args.against {
        match compare(&home.audit_dir, collected) {
            Ok(against) => {
                print_against(collected, &against);
                differs = against.differs();
            }
            Err(e) => {
                println!("{}: UNREADABLE: {e}", collected.display());
                return ExitCode::from(2);
            }
        }
    }
    record_verification(&home, &report);
    if report.unreadable() {
        ExitCode::from(2)
    } else if report.tampered() || differs {
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
        for chain_break in &file.breaks {
            println!("  BREAK: {chain_break}");
        }
    }
}

fn print_against(collected: &std::path::Path, report: &AgainstReport) {
    let list = |seqs: &[u64], count: u64| {
        let shown: Vec<String> = seqs.iter().map(u64::to_string).collect();
        let more = count.saturating_sub(seqs.len() as u64);
        if more > 0 {
            format!("{} and {more} more", shown.join(", "))
        } else {
            shown.join(", ")
        }
    };
    println!(
        "against {}: {} records here, {} at the collector",
        collected.display(),
        report.local_records,
        report.collected_records
    );
    if report.missing_locally_count > 0 {
        println!(
            "  MISSING HERE: {} record(s) the collector holds are not in this trail (deleted, cut \
             or changed here): records {}",
            report.missing_locally_count,
            list(&report.missing_locally, report.missing_locally_count)
        );
    }
    if report.missing_at_collector_count > 0 {
        println!(
            "  MISSING AT THE COLLECTOR: {} record(s) here never reached it although later ones \
             did (lost on the way, or changed here after sending): records {}",
            report.missing_at_collector_count,
            list(
                &report.missing_at_collector,
                report.missing_at_collector_count
            )
        );
    }
    if report.not_yet_forwarded > 0 {
        println!(
            "  note: the last {} record(s) have not been forwarded yet; `eps-tracker audit \
             forward` sends them",
            report.not_yet_forwarded
        );
    }
    if report.differs() {
        println!(
            "  What to do: keep both copies as evidence and tell your IT security lead; the \
             collector's copy is the one the application account cannot change."
        );
    } else {
        println!("  the collector's copy matches this trail");
    }
}

fn forward(globals: Globals<'_>) -> Result<(), Failure> {
    let home = globals.resolve_home()?;
    let config = Config::load(&home.config_file).map_err(Failure::usage)?;
    let Some(settings) = config.audit.forward else {
        return Err(Failure::usage(format!(
            "no [audit.forward] in {}: add one (see config.example.toml) to send the audit \
             trail to a syslog collector",
            home.config_file.display()
        )));
    };
    match forward_once(&home.audit_dir, &settings) {
        Ok(report) => {
            println!(
                "sent {} record(s) to {}; the collector has read up to record {}",
                report.sent,
                settings.address,
                report
                    .cursor
                    .map_or_else(|| "(none)".to_owned(), |c| c.to_string())
            );
            Ok(())
        }
        Err(ForwardError::Settings(message)) => {
            Err(Failure::usage(format!("[audit.forward] {message}")))
        }
        Err(e) => {
            let waiting = backlog(&home.audit_dir)
                .map(|b| b.records.to_string())
                .unwrap_or_else(|_| "some".to_owned());
            Err(Failure::new(
                NETWORK,
                format!(
                    "{e}. {waiting} record(s) stay queued and are sent again by the next \
                     program that records something or the next `eps-tracker audit forward`"
                ),
            ))
        }
    }
}

/// What to do next, after the per-file verdicts.
fn print_advice(report: &VerifyReport) {
    if report.tampered() {
        println!(
            "\nWhat to do: keep a copy of the audit folder as evidence (cp -a {dir} \
             {dir}.evidence) and tell your IT security lead. Until an administrator runs \
             `eps-tracker audit reseal --as ADMIN_ID --reason TEXT`, nothing can be recorded, so \
             no lookup or sign-in can go ahead.",
            dir = report.dir.display()
        );
    } else if report.unreadable() {
        println!(
            "\nWhat to do: check that this account can read every file in {} (ls -l), then run \
             `eps-tracker audit verify` again.",
            report.dir.display()
        );
    } else if report.files.iter().any(|f| !f.breaks.is_empty()) {
        println!(
            "\nThe trail is intact since its last break. Each break was accepted by the \
             administrator named; what was lost before it can only be recovered from a backup \
             or the syslog collector's copy."
        );
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
    match written {
        Ok(_) => {}
        // Refusing is the point: appending would hide the cut.
        Err(AuditError::Tampered { .. } | AuditError::Moved { .. }) => eprintln!(
            "note: this verification was not recorded: the trail does not end where it should"
        ),
        Err(e) => eprintln!("note: this verification was not recorded: {e}"),
    }
}

fn reseal(args: &ResealArgs, globals: Globals<'_>) -> Result<(), Failure> {
    let reason = args.reason.trim();
    if reason.is_empty() {
        return Err(Failure::usage(
            "--reason: say why the trail is being resealed (for example the incident number)",
        ));
    }
    let mut secured = Secured::open(globals)?;
    let audit = secured.auth.audit().clone();
    // The administrator's sign-in cannot be recorded on a trail that refuses appends: it is
    // kept and written right after the chain_break. If the sign-in fails, nothing about it
    // can be recorded locally (the trail is still refusing).
    audit.hold_until_reseal();
    let mut passwords = PasswordInput::new(args.password_stdin);
    let session = secured.sign_in(
        &args.admin,
        args.role_profile.as_deref(),
        Some(Role::Admin),
        &mut passwords,
    )?;
    let now = Utc::now();
    if let Err(denied) = authorize(&session, Action::AdministerUsers) {
        let entry = AuditEntry::by(Event::AccessDenied, &session)
            .outcome(Outcome::Denied)
            .reason("audit reseal");
        let _ = audit.append(&entry, now);
        return Err(Failure::denied(denied));
    }
    let entry = AuditEntry::by(Event::ChainBreak, &session).reason(reason);
    match audit.reseal(entry, now).map_err(Failure::audit)? {
        Resealed::WasIntact => println!(
            "the audit trail ends where its head file says: nothing to reseal. Run `eps-tracker \
             audit verify` to check the rest of it."
        ),
        Resealed::Broken { seq, found } => println!(
            "resealed: record {seq} (chain_break) says that {}. Recording resumes now; `eps-tracker \
             audit verify` lists this break on every run.",
            found.detail
        ),
    }
    if let Err(e) = secured.auth.sign_out(session, Utc::now()) {
        eprintln!("note: the sign-out was not recorded: {e}");
    }
    Ok(())
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
    let unreadable = |e: std::io::Error| {
        Failure::usage(format!(
            "cannot read the audit trail in {}: {e}. Check that this account can read every \
             file there (ls -l), then try again",
            secured.home.audit_dir.display()
        ))
    };
    if args.json {
        // Streamed: a trail of any size is listed without holding it in memory.
        return for_each_record(&secured.home.audit_dir, &filter, |record| {
            println!("{}", serde_json::to_string(&record).unwrap_or_default());
        })
        .map_err(unreadable);
    }
    // The table and CSV size their columns from every row: the matching records are held.
    let records = read_records(&secured.home.audit_dir, &filter).map_err(unreadable)?;
    if args.csv {
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
