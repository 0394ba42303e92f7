//! `eps-tracker inspect`: decode a saved Tracker response body and summarise it.
//!
//! Exit codes: 0 a successful response was decoded; 1 the body is a Spine error or a
//! gateway / XML error; 2 the input is not a Tracker response at all (or cannot be read).

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::tracker::error::{FailureClass, ResponseError};
use crate::tracker::model::{Coded, Issue, LineItem, Organisation, Prescription, TrackerResponse};
use crate::tracker::{MAX_BODY_BYTES, decode};

/// Decode a saved Tracker response body and summarise it.
///
/// Reads FILE (or standard input for `-`), works out which of the four Tracker responses
/// it is (search, retrieve, clinical summary, clinical detail) or which error came back,
/// and prints a readable summary. Exit codes: 0 decoded, 1 Spine or gateway error,
/// 2 not a Tracker response (empty, truncated, binary, not UTF-8, nested too deep,
/// over 16 MiB) or unreadable.
#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// The saved response body, or `-` for standard input.
    pub file: PathBuf,
    /// Print the normalised model as JSON (the schema is in README.md) instead of a
    /// summary. Failures print a JSON error document too.
    #[arg(long)]
    pub json: bool,
    /// The HTTP status the body came with, if known: a failed status (not 2xx) turns an
    /// unrecognised body into a gateway error.
    #[arg(long, value_name = "CODE", value_parser = clap::value_parser!(u16).range(100..=599))]
    pub http_status: Option<u16>,
}

const EXIT_ANSWERED_WITH_ERROR: u8 = 1;
const EXIT_NOT_A_RESPONSE: u8 = 2;

pub fn run(args: &InspectArgs) -> ExitCode {
    let body = match read_capped(&args.file) {
        Ok(body) => body,
        Err(message) => {
            eprintln!("eps-tracker inspect: {message}");
            return ExitCode::from(EXIT_NOT_A_RESPONSE);
        }
    };
    let result = decode(args.http_status, &body);
    let printed = match &result {
        Ok(response) => {
            for warning in &response.warnings {
                eprintln!("warning: {warning}");
            }
            if let Some(notice) = &response.notice {
                eprintln!("note: {notice}");
            }
            if args.json {
                print_json(response)
            } else {
                print_text(&summary(response))
            }
        }
        Err(error) => {
            eprintln!("eps-tracker inspect: {error}");
            if args.json { print_json(error) } else { Ok(()) }
        }
    };
    // A closed pipe (`| head`) is the reader's choice, not a failure.
    if let Err(error) = printed
        && error.kind() != io::ErrorKind::BrokenPipe
    {
        eprintln!("eps-tracker inspect: cannot write the output: {error}");
        return ExitCode::from(EXIT_NOT_A_RESPONSE);
    }
    match result {
        Ok(_) => ExitCode::SUCCESS,
        Err(error) => ExitCode::from(exit_code(&error)),
    }
}

fn exit_code(error: &ResponseError) -> u8 {
    match error.class() {
        FailureClass::Answered => EXIT_ANSWERED_WITH_ERROR,
        FailureClass::NotAResponse => EXIT_NOT_A_RESPONSE,
    }
}

/// Reads at most the cap plus one byte, so an oversized input is refused without reading
/// it all.
fn read_capped(path: &Path) -> Result<Vec<u8>, String> {
    let limit = MAX_BODY_BYTES as u64 + 1;
    let mut body = Vec::new();
    let name = if path == Path::new("-") {
        io::stdin()
            .lock()
            .take(limit)
            .read_to_end(&mut body)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        "standard input".to_owned()
    } else {
        let file = File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        file.take(limit)
            .read_to_end(&mut body)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        path.display().to_string()
    };
    if body.len() > MAX_BODY_BYTES {
        return Err(format!(
            "{name} is larger than the {} MiB limit for a response body; not read further",
            MAX_BODY_BYTES / (1024 * 1024)
        ));
    }
    Ok(body)
}

fn print_json<T: serde::Serialize>(value: &T) -> io::Result<()> {
    // Stdout flushes at every newline; pretty JSON has one per member, so a large search
    // would cost a write system call per member.
    let mut out = io::BufWriter::with_capacity(64 * 1024, io::stdout().lock());
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    out.flush()
}

fn print_text(text: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// The readable summary: one block per prescription, in the model's reading order.
pub fn summary(response: &TrackerResponse) -> String {
    let mut out = String::new();
    let count = response.prescriptions.len();
    let _ = writeln!(
        out,
        "{}: {} prescription{}",
        kind_title(response),
        count,
        if count == 1 { "" } else { "s" }
    );
    for prescription in &response.prescriptions {
        out.push('\n');
        prescription_block(&mut out, prescription);
    }
    out
}

fn kind_title(response: &TrackerResponse) -> &'static str {
    use crate::tracker::model::ResponseKind::*;
    match response.kind {
        Search => "Basic search",
        Retrieve => "Basic retrieve",
        ClinicalSummary => "Clinical summary search",
        ClinicalDetail => "Clinical detail",
    }
}

/// `Spine's text (code)`, naming codes we do not know.
fn coded<C>(value: &Coded<C>, code: &str, known: bool) -> String {
    let text = value.text.trim();
    match (text.is_empty(), code.is_empty(), known) {
        (true, true, _) => "(blank)".to_owned(),
        (true, false, true) => code.to_owned(),
        (true, false, false) => format!("code {code}, not in our table"),
        (false, true, _) => text.to_owned(),
        (false, false, true) => format!("{text} ({code})"),
        (false, false, false) => format!("{text} (code {code}, not in our table)"),
    }
}

fn field(out: &mut String, label: &str, value: impl std::fmt::Display) {
    let _ = writeln!(out, "  {label:<22}{value}");
}

fn prescription_block(out: &mut String, p: &Prescription) {
    let _ = writeln!(out, "Prescription {}", p.id);
    if let Some(warning) = p.id.check_warning() {
        field(out, "ID warning", warning);
    }
    field(out, "NHS number", p.nhs_number);
    if let Some(t) = &p.treatment {
        field(out, "Treatment", coded(t, t.code.code(), t.code.is_known()));
    }
    if let Some(status) = p.current_status() {
        let mut line = coded(&status, status.code.code(), status.code.is_known());
        if let Some(group) = status.code.group() {
            let _ = write!(line, " [{}]", group.label());
        }
        if p.status_unreliable() {
            line.push_str(" (EPS R1: status may be unreliable)");
        }
        field(out, "Status", line);
    }
    if p.pending_cancellation {
        field(
            out,
            "Pending cancellation",
            "yes: completes only if the pharmacy returns it or marks it not dispensed",
        );
    }
    if let Some(t) = &p.prescriber_type {
        field(
            out,
            "Prescriber type",
            coded(t, t.code.code(), t.code.is_known()),
        );
    }
    if let Some(version) = &p.eps_version {
        field(out, "EPS version", version.code());
    }
    match (p.current_issue, p.total_issues) {
        (Some(current), Some(total)) => {
            field(out, "Current issue", format!("{current} of {total}"))
        }
        (Some(current), None) => field(out, "Current issue", current),
        (None, Some(total)) => field(out, "Issues authorised", total),
        (None, None) => {}
    }
    for (label, date) in [
        ("Issued", p.issue_date),
        ("Signed", p.signing_date),
        ("Last event", p.last_event_date),
        ("Downloaded", p.download_date),
        ("Dispensed", p.dispensed_date),
        ("Claimed", p.claimed_date),
        ("Last issue dispensed", p.last_issue_dispensed_date),
    ] {
        if let Some(date) = date {
            field(out, label, date);
        }
    }
    if let Some(days) = p.days_supply {
        field(out, "Days' supply", days);
    }
    for (label, org) in [
        ("Prescriber", &p.prescriber),
        ("Nominated dispenser", &p.nominated_dispenser),
        ("Dispensing pharmacy", &p.dispensing_pharmacy),
    ] {
        if let Some(org) = org {
            field(out, label, organisation(org));
        }
    }
    if !p.line_items.is_empty() {
        let _ = writeln!(out, "  Line items");
        for item in &p.line_items {
            line_item(out, item, "    ");
        }
    }
    if !p.issues.is_empty() {
        let _ = writeln!(out, "  Issues");
        for issue in &p.issues {
            issue_block(out, issue);
        }
    }
}

fn organisation(org: &Organisation) -> String {
    let mut text = org.short();
    for part in [&org.address, &org.phone].into_iter().flatten() {
        if !text.is_empty() {
            text.push_str(", ");
        }
        text.push_str(part);
    }
    text
}

fn issue_block(out: &mut String, issue: &Issue) {
    let mut line = format!("    {:>2}", issue.number);
    if let Some(status) = &issue.status {
        let _ = write!(
            line,
            "  {}",
            coded(status, status.code.code(), status.code.is_known())
        );
    }
    if let Some(date) = issue.issue_date {
        let _ = write!(line, "  issued {date}");
    }
    if let Some(date) = issue.last_dispense_date {
        let _ = write!(line, "  last dispensed {date}");
    }
    if let Some(org) = &issue.dispenser {
        let _ = write!(line, "  by {}", organisation(org));
    }
    if issue.applied_cancellations {
        line.push_str("  (cancellations applied)");
    }
    if line.trim() == issue.number.to_string() {
        line.push_str("  nothing recorded yet");
    }
    let _ = writeln!(out, "{line}");
    for (position, item) in issue.line_items.iter().enumerate() {
        let _ = write!(out, "       item {}: ", position + 1);
        line_item(out, item, "");
    }
}

fn line_item(out: &mut String, item: &LineItem, indent: &str) {
    let mut parts: Vec<String> = Vec::new();
    if let Some(description) = &item.description {
        parts.push(description.clone());
    }
    match (&item.quantity, &item.uom) {
        (Some(q), Some(u)) => parts.push(format!("{q} {u}")),
        (Some(q), None) => parts.push(q.clone()),
        _ => {}
    }
    if let Some(dosage) = &item.dosage {
        parts.push(format!("\"{dosage}\""));
    }
    if let Some(status) = &item.status {
        parts.push(coded(status, status.code.code(), status.code.is_known()));
    }
    if let Some(text) = &item.item_status_text {
        parts.push(text.clone());
    }
    if parts.is_empty()
        && let Some(id) = &item.id
    {
        parts.push(id.clone());
    }
    let _ = writeln!(out, "{indent}{}", parts.join(" · "));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracker::ids::{NhsNumber, PrescriptionId};
    use crate::tracker::model::{LineItemStatus, PrescriptionStatus, ResponseKind};

    #[test]
    fn summary_names_the_kind_and_shows_spine_text_with_codes() {
        let mut p = Prescription::new(
            PrescriptionId::parse("0FBD16-C81007-00001S").unwrap(),
            NhsNumber::parse("9990548609").unwrap(),
        );
        p.current_issue = Some(1);
        let mut issue = Issue::numbered(1);
        issue.status = Some(Coded::new(PrescriptionStatus::from_code("0042"), "Held"));
        issue.line_items.push(LineItem {
            status: Some(Coded::new(LineItemStatus::ToBeDispensed, "To Be Dispensed")),
            ..LineItem::default()
        });
        p.issues.push(issue);
        let response = TrackerResponse {
            kind: ResponseKind::Search,
            prescriptions: vec![p],
            notice: None,
            warnings: vec![],
        };
        let text = summary(&response);
        assert!(text.starts_with("Basic search: 1 prescription\n"), "{text}");
        assert!(
            text.contains("NHS number            999 054 8609"),
            "{text}"
        );
        assert!(
            text.contains("Held (code 0042, not in our table)"),
            "{text}"
        );
        assert!(text.contains("item 1: To Be Dispensed (0007)"), "{text}");
    }
}
