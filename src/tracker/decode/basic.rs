//! The retrieve (`prescription`); the search, the other basic shape, is read as it is parsed
//! (see `search`), with the same member names.

use std::fmt::Display;

use super::fields::{At, Ctx, identity};
use super::tree::Node;
use crate::tracker::model::{Issue, LineItem, Prescription};

pub(super) const TREATMENT_CODE: &str = "prescriptionTreatmentTypeCode";
pub(super) const TREATMENT_TEXT: &str = "prescriptionTreatmentTypeText";
pub(super) const TREATMENT: (&str, &str, &str) =
    ("prescriptionTreatmentType", TREATMENT_CODE, TREATMENT_TEXT);
const PRESCRIBER_TYPE: (&str, &str, &str) = (
    "prescriptionType",
    "prescriptionTypeCode",
    "prescriptionTypeText",
);
pub(super) const STATUS_CODE: &str = "statusCode";
pub(super) const STATUS_TEXT: &str = "statusText";
pub(super) const STATUS: (&str, &str, &str) = ("prescriptionStatus", STATUS_CODE, STATUS_TEXT);
pub(super) const ITEM_STATUS: (&str, &str, &str) = ("status", STATUS_CODE, STATUS_TEXT);

/// `prescription`: one prescription with one issue (the current one, or the one asked for).
pub fn retrieve(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Prescription>, String> {
    if node.members().is_empty() {
        return Err(format!(
            "the prescription member is {}",
            if node.is_object() {
                "empty".to_owned()
            } else {
                node.describe().to_owned()
            }
        ));
    }
    let mut prescription = identity(ctx, None, node)?;
    let id = prescription.id.clone();
    let whose = At::new(&"prescription", id.as_str());
    common(ctx, node, &mut prescription, &whose);
    prescription.prescriber_type = ctx.coded(node, PRESCRIBER_TYPE, &whose);
    prescription.signing_date = ctx.date(node, "signingDate", &whose);
    prescription.days_supply = ctx.number(node, "daysSupply", &whose);
    prescription.prescriber = ctx.organisation(
        node,
        [
            "prescribingOrganisationODS",
            "prescribingOrganisationName",
            "prescribingOrganisationAddress",
            "prescribingOrganisationContact",
        ],
        &whose,
    );
    prescription.nominated_dispenser = ctx.organisation(
        node,
        [
            "nominatedDispenserODS",
            "nominatedDispenserName",
            "nominatedDispenserAddress",
            "nominatedDispenserContact",
        ],
        &whose,
    );
    let prescription_status = ctx.coded(node, STATUS, &whose);
    match node.get("issue").filter(|issue| has_content(issue)) {
        Some(issue_node) => {
            let number = ctx
                .number(issue_node, "issueNumber", &whose)
                .or(prescription.current_issue)
                .unwrap_or(1);
            let whose = At::numbered(&whose, "issue", number);
            let mut issue = Issue::numbered(number);
            issue.status = ctx
                .coded(issue_node, STATUS, &whose)
                .or(prescription_status);
            // Spine sends either a flag or, once a cancellation is applied, its reason.
            match ctx.text(issue_node, "appliedCancellations", &whose) {
                Some(text) if !is_flag(&text) => {
                    issue.applied_cancellations = true;
                    issue.cancellation_reason = Some(text.trim().to_owned());
                }
                _ => {
                    issue.applied_cancellations =
                        ctx.flag(issue_node, "appliedCancellations", &whose);
                }
            }
            issue.last_dispense_date = ctx.date(issue_node, "lastDispenseDate", &whose);
            issue.issue_date = ctx.date(issue_node, "issueDate", &whose);
            issue.dispenser = ctx
                .organisation(
                    issue_node,
                    [
                        "dispensingOrganisationODS",
                        "dispensingOrganisationName",
                        "dispensingOrganisationAddress",
                        "dispensingOrganisationContact",
                    ],
                    &whose,
                )
                .map(Box::new);
            issue.line_items = line_items(ctx, issue_node, &whose);
            prescription.issues.push(issue);
        }
        None => {
            prescription.status_text = prescription_status.map(|status| status.text.to_string())
        }
    }
    Ok(vec![prescription])
}

/// Whether a text is one of Spine's spellings of a flag.
fn is_flag(text: &str) -> bool {
    matches!(
        text.trim().to_ascii_lowercase().as_str(),
        "true" | "1" | "yes" | "y" | "false" | "0" | "no" | "n"
    )
}

/// Fields both basic shapes carry.
fn common(ctx: &mut Ctx, node: &Node<'_>, prescription: &mut Prescription, whose: &dyn Display) {
    prescription.treatment = ctx.coded(node, TREATMENT, whose);
    prescription.issue_date = ctx.date(node, "prescriptionIssueDate", whose);
    prescription.last_event_date = ctx.date(node, "lastEventDate", whose);
    prescription.current_issue = ctx.number(node, "currentIssueNumber", whose);
    prescription.pending_cancellation = ctx.flag(node, "pendingCancellations", whose);
}

/// `lineItems` keyed by position, each `{status, id?}`.
fn line_items(ctx: &mut Ctx, issue: &Node<'_>, whose: &dyn Display) -> Vec<LineItem> {
    ctx.positional(issue.get("lineItems"), whose)
        .into_iter()
        .map(|(position, item)| {
            let whose = At::numbered(whose, "line item", position);
            LineItem {
                id: ctx.text(item, "id", &whose).map(|id| id.trim().to_owned()),
                status: ctx.coded(item, ITEM_STATUS, &whose),
                ..LineItem::default()
            }
        })
        .collect()
}

/// Whether an object says anything: code 3 ("issue not found") sends the issue with every
/// value blank. Nesting is bounded by serde_json's recursion limit, met while parsing.
fn has_content(node: &Node<'_>) -> bool {
    node.members().iter().any(|(_, value)| match value {
        Node::Object(_) => has_content(value),
        Node::Array(items) => !items.is_empty(),
        other => other
            .text()
            .is_some_and(|t| !t.trim().is_empty() && t.trim() != "False"),
    })
}
