//! The two clinical shapes: the item summary (`prescriptions`) and the item detail (a
//! member named by the prescription ID). They send statuses and treatment types as text
//! only; codes are derived from the text where we know it.

use std::fmt::Display;

use super::ENVELOPE_MEMBERS;
use super::fields::{Ctx, Prescriptions, identity, parse_count, short};
use super::tree::Node;
use crate::tracker::codes::{EpsVersion, TreatmentType};
use crate::tracker::dates::SpineDate;
use crate::tracker::model::{Coded, Issue, LineItem, Medication, Organisation, Prescription};

/// `prescriptions`: prescription ID → summary, line items as UUID → medication name.
pub(super) fn summary(ctx: &mut Ctx, list: &Node<'_>) -> Result<Vec<Prescription>, String> {
    if !list.is_object() {
        return Err(format!(
            "prescriptions is {}, expected an object keyed by prescription ID",
            list.describe()
        ));
    }
    let mut prescriptions = Prescriptions::default();
    for (key, node) in list.members() {
        let prescription = prescription(ctx, key, node)?;
        prescriptions.add(ctx, prescription);
    }
    Ok(prescriptions.into_vec())
}

/// The detail: every object-valued member of the response other than the envelope is a
/// prescription, named by its ID.
pub(super) fn detail(ctx: &mut Ctx, root: &Node<'_>) -> Result<Vec<Prescription>, String> {
    let mut prescriptions = Prescriptions::default();
    for (key, node) in root.members() {
        if !node.is_object() || ENVELOPE_MEMBERS.contains(&key.trim()) {
            continue;
        }
        let mut prescription = prescription(ctx, key, node)?;
        // In the item detail, `repeatInstance.currentIssue` is the issue this answer is
        // about (the one asked for), not the issue Spine calls current: the detail never
        // says which that is.
        if prescription.is_repeat_dispensing() {
            prescription.answered_issue = prescription.current_issue.take();
        }
        let whose = format!("prescription {}", prescription.id);
        prescription.download_date = ctx.date(node, "prescriptionDownloadDate", &whose);
        prescription.dispensed_date = ctx.date(node, "prescriptionDispensedDate", &whose);
        prescription.claimed_date = ctx.date(node, "prescriptionClaimedDate", &whose);
        prescription.last_issue_dispensed_date =
            ctx.date(node, "prescriptionLastIssueDispensedDate", &whose);
        prescription.prescriber = organisation(ctx, node, "prescriber", &whose);
        prescription.nominated_dispenser = organisation(ctx, node, "nominatedPharmacy", &whose);
        prescription.dispensing_pharmacy = organisation(ctx, node, "dispensingPharmacy", &whose);
        prescriptions.add(ctx, prescription);
    }
    Ok(prescriptions.into_vec())
}

/// Fields both clinical shapes carry.
fn prescription(ctx: &mut Ctx, key: &str, node: &Node<'_>) -> Result<Prescription, String> {
    let mut prescription = identity(ctx, Some(key.trim()), node)?;
    let whose = format!("prescription {}", prescription.id);
    prescription.status_text = text_or_pair(ctx, node, "prescriptionStatus", "statusText", &whose);
    prescription.treatment = text_or_pair(
        ctx,
        node,
        "prescriptionTreatmentType",
        "prescriptionTreatmentTypeText",
        &whose,
    )
    .map(|text| {
        let code = TreatmentType::from_text(&text)
            .unwrap_or_else(|| TreatmentType::Unknown(text.trim().to_owned()));
        Coded::new(code, text)
    });
    prescription.issue_date = ctx
        .date(node, "prescriptionIssueDate", &whose)
        .or_else(|| ctx.date(node, "effectiveDate", &whose));
    prescription.last_event_date = ctx.date(node, "lastEventDate", &whose);
    prescription.eps_version = ctx
        .text(node, "epsVersion", &whose)
        .map(|text| EpsVersion::from_user(&text).unwrap_or_else(|| EpsVersion::from_code(&text)));
    prescription.pending_cancellation = ctx.flag(node, "pendingCancellations", &whose);
    prescription.current_issue = ctx.number(node, "currentIssueNumber", &whose);
    if let Some(repeat) = node.get("repeatInstance").filter(|r| r.is_object()) {
        let whose = format!("{whose} repeatInstance");
        prescription.current_issue = ctx
            .number(repeat, "currentIssue", &whose)
            .or(prescription.current_issue);
        prescription.total_issues = ctx.number(repeat, "totalAuthorised", &whose);
        prescription.issues = dispense_history(ctx, repeat.get("dispenseHistory"), &whose);
    }
    prescription.line_items = line_items(ctx, node.get("lineItems"), &whose);
    if prescription.is_repeat_dispensing() && prescription.total_issues.is_none() {
        ctx.warn(format!(
            "{whose} is repeat dispensing but Spine did not say how many issues are authorised"
        ));
    }
    Ok(prescription)
}

/// A member sent as text, or (tolerated) as a `{…Code, …Text}` pair.
fn text_or_pair(
    ctx: &mut Ctx,
    node: &Node<'_>,
    name: &str,
    text_member: &str,
    whose: &dyn Display,
) -> Option<String> {
    match node.get(name) {
        Some(pair @ Node::Object(_)) => ctx.text(pair, text_member, whose),
        Some(_) => ctx.text(node, name, whose),
        None => None,
    }
}

/// `dispenseHistory` keyed by issue number. Spine fills unknown parts with "Not Found" or
/// "False".
fn dispense_history(ctx: &mut Ctx, history: Option<&Node<'_>>, whose: &dyn Display) -> Vec<Issue> {
    ctx.positional(history, whose)
        .into_iter()
        .map(|(number, entry)| {
            let whose = format!("{whose} dispenseHistory {number}");
            let mut issue = Issue::numbered(number);
            let date = ctx
                .text(entry, "dispenseDate", &whose)
                .filter(|t| !not_found(t));
            issue.last_dispense_date = date.and_then(|text| match SpineDate::parse_hl7(&text) {
                Ok(date) => date,
                Err(error) => {
                    ctx.warn(format!("{whose}: dispenseDate: {error}; left out"));
                    None
                }
            });
            let code = ctx
                .text(entry, "dispensingOrgCode", &whose)
                .filter(|t| !not_found(t));
            let name = ctx
                .text(entry, "dispensingOrgName", &whose)
                .filter(|t| !not_found(t));
            issue.dispenser =
                Organisation::from_parts(code.as_deref(), name.as_deref(), None, None)
                    .map(Box::new);
            issue
        })
        .collect()
}

fn not_found(text: &str) -> bool {
    text.trim().eq_ignore_ascii_case("not found")
}

/// `lineItems`: UUID → medication name (summary) or UUID → details (detail), in the order
/// Spine sent them. Positional keys, if a body uses them, are sorted numerically.
fn line_items(ctx: &mut Ctx, items: Option<&Node<'_>>, whose: &dyn Display) -> Vec<LineItem> {
    let Some(items) = items else {
        return Vec::new();
    };
    if !items.is_object() {
        if !matches!(items, Node::Null) {
            ctx.warn(format!(
                "{whose}: lineItems is {}, expected an object; ignored",
                items.describe()
            ));
        }
        return Vec::new();
    }
    let mut lines: Vec<(Option<u32>, LineItem)> = items
        .members()
        .iter()
        .map(|(key, value)| {
            let key = key.trim();
            let whose = format!("{whose} line item {}", short(key));
            let position = parse_count(key);
            let mut medication = Medication::default();
            match value {
                Node::Object(_) => {
                    medication.code = ctx.text(value, "code", &whose);
                    medication.description = ctx.text(value, "description", &whose);
                    medication.quantity = ctx.text(value, "quantity", &whose);
                    medication.uom = ctx.text(value, "uom", &whose);
                    medication.dosage = ctx.text(value, "dosage", &whose);
                    medication.item_status_text = ctx.text(value, "itemStatus", &whose);
                }
                other => {
                    medication.description = other
                        .text()
                        .map(|t| t.into_owned())
                        .filter(|t| !t.trim().is_empty());
                }
            }
            let line = LineItem {
                id: position.is_none().then(|| key.to_owned()),
                medication: medication.boxed_if_known(),
                ..LineItem::default()
            };
            (position, line)
        })
        .collect();
    if lines.iter().all(|(position, _)| position.is_some()) {
        lines.sort_by_key(|(position, _)| *position);
    }
    lines.into_iter().map(|(_, line)| line).collect()
}

/// `prescriber`, `nominatedPharmacy`, `dispensingPharmacy`: `{ods, name, address, phone}`,
/// blank strings where unknown, or missing / null.
fn organisation(
    ctx: &mut Ctx,
    node: &Node<'_>,
    name: &str,
    whose: &dyn Display,
) -> Option<Organisation> {
    let org = node.get(name).filter(|o| o.is_object())?;
    ctx.organisation(
        org,
        ["ods", "name", "address", "phone"],
        &format!("{whose} {name}"),
    )
}
