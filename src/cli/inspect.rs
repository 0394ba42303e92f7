//! `eps-tracker inspect`: decode a saved Tracker response body and summarise it.
//!
//! Exit codes: 0 a successful response was decoded; 1 the body is a Spine error or a
//! gateway / XML error (or a PDS OperationOutcome); 2 the input is not a Tracker response at
//! all (or cannot be read, or is our own `--json` output, which is recognised and named).
//! PDS bodies get the same summary as `eps-tracker patient`.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, Read, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use unicode_width::UnicodeWidthStr;

use super::exit::Failure;
use super::lines::Lines;
use super::{output, safe};
use crate::tracker::error::{FailureClass, ResponseError};
use crate::tracker::model::{
    Coded, Issue, LineItem, Organisation, Prescription, ResponseKind, TrackerResponse,
};
use crate::tracker::{MAX_BODY_BYTES, decode};

/// Decode a saved Tracker response body and summarise it.
///
/// Reads FILE (or standard input for `-`), works out which of the four Tracker responses
/// it is (search, retrieve, clinical summary, clinical detail) or which error came back,
/// and prints a readable summary. PDS bodies (Patient, searchset Bundle, OperationOutcome)
/// are recognised too. Exit codes: 0 decoded, 1 Spine or gateway error,
/// 2 not a Tracker response (empty, truncated, binary, not UTF-8, nested too deep,
/// over 16 MiB, or eps-tracker's own --json output) or unreadable.
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

/// A PDS body (Patient, searchset Bundle, OperationOutcome): the same summary or `--json`
/// as `eps-tracker patient`.
fn inspect_pds(body: &[u8], args: &InspectArgs) -> ExitCode {
    let (text, result, code) = super::patient::inspect(body, args.http_status, args.json);
    if let Err(message) = result {
        eprintln!("error: {}", safe::lines(&message.to_string()));
    }
    // JSON is escaped already; the summary holds text from the file, so it is made safe.
    let printed = if args.json {
        output::print_raw(&text)
    } else {
        output::print(&text)
    };
    if let Err(failure) = printed {
        return failure.report();
    }
    ExitCode::from(code)
}

const EXIT_ANSWERED_WITH_ERROR: u8 = 1;
const EXIT_NOT_A_RESPONSE: u8 = 2;

pub(super) fn run(args: &InspectArgs) -> ExitCode {
    let body = match read_capped(&args.file) {
        Ok(body) => body,
        Err(message) => {
            eprintln!("error: {}", safe::lines(&message));
            return ExitCode::from(EXIT_NOT_A_RESPONSE);
        }
    };
    if crate::pds::decode::looks_like_pds(&body) {
        return inspect_pds(&body, args);
    }
    let result = decode(args.http_status, &body);
    let own = result.as_ref().err().and_then(|_| own_document(&body));
    let printed = match (&result, &own) {
        (Ok(response), _) => {
            for warning in &response.warnings {
                eprintln!("warning: {}", safe::lines(warning));
            }
            if let Some(notice) = &response.notice {
                eprintln!("note: {}", safe::lines(&notice.to_string()));
            }
            if args.json {
                print_json(response)
            } else {
                output::print(&summary(response, output::width()))
            }
        }
        (Err(_), Some(message)) => {
            eprintln!("error: {message}");
            if args.json {
                print_json(
                    &serde_json::json!({"class": "eps-tracker-document", "message": message}),
                )
            } else {
                Ok(())
            }
        }
        (Err(error), None) => {
            eprintln!("error: {}", safe::lines(&error.to_string()));
            if args.json { print_json(error) } else { Ok(()) }
        }
    };
    if let Err(failure) = printed {
        return failure.report();
    }
    match (result, own) {
        (Ok(_), _) => ExitCode::SUCCESS,
        (Err(_), Some(_)) => ExitCode::from(EXIT_NOT_A_RESPONSE),
        (Err(error), None) => ExitCode::from(exit_code(&error)),
    }
}

/// eps-tracker's own `--json` output (a response or an error document) fed back in: say
/// what it is instead of why it is not a Spine response.
fn own_document(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    if let (Some(kind), Some(prescriptions), Some(_)) = (
        value.get("kind").and_then(|k| k.as_str()),
        value.get("prescriptions").and_then(|p| p.as_array()),
        value.get("warnings").and_then(|w| w.as_array()),
    ) {
        let kind = [
            ResponseKind::Search,
            ResponseKind::Retrieve,
            ResponseKind::ClinicalSummary,
            ResponseKind::ClinicalDetail,
        ]
        .into_iter()
        .find(|k| k.name() == kind)?;
        let count = prescriptions.len();
        return Some(format!(
            "this is eps-tracker's own --json output ({} with {count} prescription{}), already \
             decoded; it is not a Spine response body. Read it as it is, or inspect the body \
             Spine sent",
            kind.name(),
            if count == 1 { "" } else { "s" }
        ));
    }
    (value.get("class").is_some() && value.get("message").is_some()).then(|| {
        "this is an eps-tracker --json error document, not a Spine response body".to_owned()
    })
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

fn print_json<T: serde::Serialize>(value: &T) -> Result<(), Failure> {
    // Stdout flushes at every newline; pretty JSON has one per member, so a large search
    // would cost a write system call per member: it is written through one buffer.
    let mut out = io::BufWriter::with_capacity(64 * 1024, io::stdout().lock());
    serde_json::to_writer_pretty(&mut out, value)
        .map_err(io::Error::from)
        .and_then(|()| writeln!(out))
        .and_then(|()| out.flush())
        .map_err(output::write_failure)
}

/// The summary's own line style: a label 22 columns wide, long values under it.
impl Lines {
    fn field(&mut self, label: &str, value: impl std::fmt::Display) {
        self.put(&format!("  {label:<22}"), &value.to_string(), 24);
    }
}

/// The readable summary: one block per prescription, in the model's reading order, with
/// long values wrapped to `width` under their label. Every string from the body is made
/// safe for the terminal.
pub(super) fn summary(response: &TrackerResponse, width: Option<usize>) -> String {
    let mut out = Lines::new(width);
    let count = response.prescriptions.len();
    out.plain(&format!(
        "{}: {} prescription{}",
        kind_title(response),
        count,
        if count == 1 { "" } else { "s" }
    ));
    for prescription in &response.prescriptions {
        out.plain("");
        prescription_block(&mut out, prescription);
    }
    out.into_text()
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

fn prescription_block(out: &mut Lines, p: &Prescription) {
    out.plain(&format!("Prescription {}", p.id));
    if let Some(warning) = p.id.check_warning() {
        out.field("ID warning", warning);
    }
    out.field("NHS number", p.nhs_number);
    if let Some(t) = &p.treatment {
        out.field("Treatment", coded(t, t.code.code(), t.code.is_known()));
    }
    if let Some(status) = p.current_status() {
        let mut line = coded(&status, status.code.code(), status.code.is_known());
        if let Some(group) = status.code.group() {
            let _ = write!(line, " [{}]", group.label());
        }
        if p.status_unreliable() {
            line.push_str(" (EPS R1: status may be unreliable)");
        }
        out.field("Status", line);
    }
    if p.pending_cancellation {
        out.field(
            "Pending cancellation",
            "yes: completes only if the pharmacy returns it or marks it not dispensed",
        );
    }
    if let Some(t) = &p.prescriber_type {
        out.field(
            "Prescriber type",
            coded(t, t.code.code(), t.code.is_known()),
        );
    }
    if let Some(version) = &p.eps_version {
        out.field("EPS version", version.code());
    }
    match (p.current_issue, p.total_issues) {
        (Some(current), Some(total)) => out.field("Current issue", format!("{current} of {total}")),
        (Some(current), None) => out.field("Current issue", current),
        (None, Some(total)) => out.field("Issues authorised", total),
        (None, None) => {}
    }
    // The clinical detail answers about one issue without saying which is current.
    if let Some(answered) = p.answered_issue {
        out.field("Issue shown", answered);
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
            out.field(label, date);
        }
    }
    if let Some(days) = p.days_supply {
        out.field("Days' supply", days);
    }
    for (label, org) in [
        ("Prescriber", &p.prescriber),
        ("Nominated dispenser", &p.nominated_dispenser),
        ("Dispensing pharmacy", &p.dispensing_pharmacy),
    ] {
        if let Some(org) = org {
            out.field(label, organisation(org));
        }
    }
    if !p.line_items.is_empty() {
        out.plain("  Line items");
        for item in &p.line_items {
            out.put("    ", &line_item(item), 6);
        }
    }
    if !p.issues.is_empty() {
        out.plain("  Issues");
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

fn issue_block(out: &mut Lines, issue: &Issue) {
    let number = format!("    {:>2}", issue.number);
    let mut line = String::new();
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
    if line.is_empty() {
        line.push_str("  nothing recorded yet");
    }
    out.put(&number, &line, 8);
    for (position, item) in issue.line_items.iter().enumerate() {
        let prefix = format!("       item {}: ", position + 1);
        let hang = prefix.width();
        out.put(&prefix, &line_item(item), hang);
    }
}

fn line_item(item: &LineItem) -> String {
    let mut parts: Vec<String> = Vec::new();
    let medication = item.medication();
    if let Some(description) = &medication.description {
        parts.push(description.clone());
    }
    match (&medication.quantity, &medication.uom) {
        (Some(q), Some(u)) => parts.push(format!("{q} {u}")),
        (Some(q), None) => parts.push(q.clone()),
        _ => {}
    }
    if let Some(dosage) = &medication.dosage {
        parts.push(format!("\"{dosage}\""));
    }
    if let Some(status) = &item.status {
        parts.push(coded(status, status.code.code(), status.code.is_known()));
    }
    if let Some(text) = &medication.item_status_text {
        parts.push(text.clone());
    }
    if parts.is_empty()
        && let Some(id) = &item.id
    {
        parts.push(id.clone());
    }
    parts.join(" · ")
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
        let text = summary(&response, None);
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
