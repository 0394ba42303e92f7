//! Spine's wire JSON for each endpoint, written from the data set with Spine's quirks:
//! every value a string, `"False"` for absent dates, collections keyed by position,
//! the list member sometimes spelt with stray spaces, and members in varying order.

use chrono::NaiveDateTime;

use super::dataset::{EpsVersion, Issue, Org, Prescription};
use super::json::Obj;
use super::validate::SpineError;

/// Which endpoint an error body is for: it decides the empty member Spine adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ErrorShape {
    /// `"prescriptions": {}` (Spine sends this even for the basic search).
    Prescriptions,
    /// `"prescription": {}` (the basic retrieve).
    Prescription,
}

pub(super) fn error_body(error: &SpineError, shape: ErrorShape, with_version: bool) -> Obj {
    let member = match shape {
        ErrorShape::Prescriptions => "prescriptions",
        ErrorShape::Prescription => "prescription",
    };
    let mut body = Obj::new()
        .s("statusCode", error.code)
        .s("reason", error.reason)
        .o(member, Obj::new());
    if with_version {
        body.push_str("version", "1.0");
    }
    body
}

fn hl7(at: Option<NaiveDateTime>) -> String {
    at.map_or_else(
        || "False".to_owned(),
        |t| t.format("%Y%m%d%H%M%S").to_string(),
    )
}

fn hl7_date(at: Option<NaiveDateTime>) -> String {
    at.map_or_else(|| "False".to_owned(), |t| t.format("%Y%m%d").to_string())
}

fn flag(value: bool) -> &'static str {
    if value { "True" } else { "False" }
}

fn treatment_text(code: &str) -> &'static str {
    match code {
        "0001" => "Acute Prescription",
        "0002" => "Repeat Prescribing",
        "0003" => "Repeat Dispensing",
        _ => "Unknown",
    }
}

/// Spine's texts vary between interactions; the clinical endpoints use these.
fn clinical_treatment_text(code: &str) -> &'static str {
    match code {
        "0001" => "Acute Prescription",
        "0002" => "Repeat Prescribing Prescription",
        "0003" => "Repeat Dispensing Prescription",
        _ => "Unknown",
    }
}

pub(super) fn prescription_status_text(code: &str) -> &'static str {
    match code {
        "0000" => "Awaiting Release Ready",
        "0001" => "To Be Dispensed",
        "0002" => "With Dispenser",
        "0003" => "With Dispenser - Active",
        "0004" => "Expired",
        "0005" => "Cancelled",
        "0006" => "Dispensed",
        "0007" => "Not Dispensed",
        "0008" => "Claimed",
        "0009" => "No-Claimed",
        "9000" => "Repeat Dispense future instance",
        "9001" => "Prescription future instance",
        "9005" => "Cancelled future instance",
        _ => "Unknown",
    }
}

/// The basic retrieve spells some statuses differently (as Spine's own examples do).
fn retrieve_status_text(code: &str) -> &'static str {
    match code {
        "0001" => "To be dispensed",
        other => prescription_status_text(other),
    }
}

fn item_status_text(code: &str) -> &'static str {
    match code {
        "0001" => "Dispensed",
        "0002" => "Not Dispensed",
        "0003" => "Dispensed - Partial",
        "0004" => "Not Dispensed - Owing",
        "0005" => "Cancelled",
        "0006" => "Expired",
        "0007" => "To Be Dispensed",
        "0008" => "With Dispenser",
        _ => "Unknown",
    }
}

fn status(code: &str, text: &str) -> Obj {
    Obj::new().s("statusCode", code).s("statusText", text)
}

/// The three spellings of the search list's member name seen in Spine's examples.
fn list_member_name(nhs_number: &str) -> &'static str {
    match nhs_number.bytes().last().map_or(0, |b| b % 3) {
        1 => " prescriptionList",
        2 => " prescriptionList ",
        _ => "prescriptionList",
    }
}

pub(super) fn basic_search(nhs_number: &str, found: &[&Prescription]) -> Obj {
    let mut list = Obj::new();
    for p in found {
        let mut issues = Obj::new();
        for issue in &p.issues {
            let mut items = Obj::new();
            for (n, code) in issue.item_statuses.iter().enumerate() {
                items.push_obj(
                    (n + 1).to_string(),
                    Obj::new().o("status", status(code, item_status_text(code))),
                );
            }
            issues.push_obj(
                issue.number.to_string(),
                Obj::new()
                    .s("issueDate", hl7(issue.issued))
                    .o("lineItems", items)
                    .o(
                        "prescriptionStatus",
                        status(&issue.status, prescription_status_text(&issue.status)),
                    ),
            );
        }
        list.push_obj(
            p.id.clone(),
            Obj::new()
                .o(
                    "prescriptionTreatmentType",
                    Obj::new()
                        .s(
                            "prescriptionTreatmentTypeText",
                            treatment_text(&p.treatment),
                        )
                        .s("prescriptionTreatmentTypeCode", p.treatment.clone()),
                )
                .s("prescriptionIssueDate", hl7(Some(p.issued)))
                .s("pendingCancellations", flag(p.pending_cancellation))
                .s("lastEventDate", hl7(Some(p.last_event())))
                .s("currentIssueNumber", p.current_issue.to_string())
                .o("issues", issues)
                .s("patientNhsNumber", p.nhs_number.clone()),
        );
    }
    Obj::new()
        .o(list_member_name(nhs_number), list)
        .s("reason", "")
        .s("version", "1")
        .s("statusCode", "0")
}

/// The basic retrieve. `issue` is `None` when the asked-for issue does not exist: the
/// rest of the prescription is still returned, with the issue details blank (code 3).
pub(super) fn basic_retrieve(
    p: &Prescription,
    issue: Option<&Issue>,
    error: Option<&SpineError>,
) -> Obj {
    let issue_obj = match issue {
        Some(issue) => {
            let mut items = Obj::new();
            for (n, (code, item)) in issue.item_statuses.iter().zip(&p.items).enumerate() {
                items.push_obj(
                    (n + 1).to_string(),
                    Obj::new()
                        .o("status", status(code, item_status_text(code)))
                        .s("id", item.id.clone()),
                );
            }
            let (name, ods, contact) = org_fields(issue.dispenser.as_ref());
            Obj::new()
                .s("dispensingOrganisationODS", ods)
                .s(
                    "appliedCancellations",
                    issue.cancellation.clone().unwrap_or_else(|| "False".into()),
                )
                .s("lastDispenseDate", hl7(issue.dispensed))
                .s("dispensingOrganisationContact", contact)
                .s("issueNumber", issue.number.to_string())
                .o("lineItems", items)
                .o(
                    "prescriptionStatus",
                    status(&issue.status, retrieve_status_text(&issue.status)),
                )
                .s("dispensingOrganisationName", name)
        }
        None => Obj::new()
            .s("dispensingOrganisationODS", "")
            .s("appliedCancellations", "")
            .s("lastDispenseDate", "")
            .s("dispensingOrganisationContact", "")
            .s("issueNumber", "")
            .o("lineItems", Obj::new())
            .o("prescriptionStatus", status("", ""))
            .s("dispensingOrganisationName", ""),
    };
    let mut prescription = Obj::new()
        .o(
            "prescriptionType",
            Obj::new()
                .s("prescriptionTypeText", p.prescriber_type_text.clone())
                .s("prescriptionTypeCode", p.prescriber_type.clone()),
        )
        .o(
            "prescriptionTreatmentType",
            Obj::new()
                .s(
                    "prescriptionTreatmentTypeText",
                    treatment_text(&p.treatment),
                )
                .s("prescriptionTreatmentTypeCode", p.treatment.clone()),
        )
        .s("daysSupply", p.days_supply.to_string())
        .s("pendingCancellations", flag(p.pending_cancellation))
        .s("prescribingOrganisationName", p.prescriber.name.clone())
        .s("prescribingOrganisationContact", p.prescriber.phone.clone())
        .s(
            "signingDate",
            match p.version {
                EpsVersion::R2 => hl7(Some(p.issued)),
                EpsVersion::R1 => "False".to_owned(),
            },
        )
        .s("currentIssueNumber", p.current_issue.to_string())
        .s("prescribingOrganisationODS", p.prescriber.ods.clone())
        .s("prescriptionId", p.id.clone())
        .s("lastEventDate", hl7(Some(p.last_event())))
        .o("issue", issue_obj)
        .s("patientNhsNumber", p.nhs_number.clone());
    // Spine leaves the nominated dispenser out altogether when there is none.
    if let Some(nominated) = &p.nominated {
        prescription.push_str("nominatedDispenserODS", nominated.ods.clone());
        prescription.push_str("nominatedDispenserName", nominated.name.clone());
    }
    let (code, reason) = error.map_or(("0", ""), |e| (e.code, e.reason));
    Obj::new()
        .s("reason", reason)
        .s("version", "1")
        .o("prescription", prescription)
        .s("statusCode", code)
}

fn org_fields(org: Option<&Org>) -> (String, String, String) {
    match org {
        Some(o) => (o.name.clone(), o.ods.clone(), o.phone.clone()),
        None => (String::new(), "False".to_owned(), String::new()),
    }
}

fn eps_version(p: &Prescription) -> &'static str {
    match p.version {
        EpsVersion::R1 => "R1",
        EpsVersion::R2 => "R2",
    }
}

fn dispense_history(p: &Prescription) -> Obj {
    let mut history = Obj::new();
    for issue in &p.issues {
        let entry = match (&issue.dispenser, issue.dispensed) {
            (Some(org), Some(at)) => Obj::new()
                .s("dispenseDate", hl7(Some(at)))
                .s("dispensingOrgName", org.name.clone())
                .s("dispensingOrgCode", org.ods.clone()),
            _ => Obj::new()
                .s("dispenseDate", "False")
                .s("dispensingOrgName", "Not Found")
                .s("dispensingOrgCode", "Not Found"),
        };
        history.push_obj(issue.number.to_string(), entry);
    }
    history
}

pub(super) fn clinical_summary(found: &[&Prescription]) -> Obj {
    let mut prescriptions = Obj::new();
    for p in found {
        let current_status = p.current().map_or("", |i| i.status.as_str());
        let mut items = Obj::new();
        for item in &p.items {
            items.push_str(item.id.clone(), item.description.clone());
        }
        let mut entry = Obj::new()
            .s("lastEventDate", hl7(Some(p.last_event())))
            .s("prescriptionIssueDate", hl7(Some(p.issued)))
            .s("patientNhsNumber", p.nhs_number.clone())
            .s("epsVersion", eps_version(p))
            .s("pendingCancellations", flag(p.pending_cancellation))
            .s(
                "prescriptionTreatmentType",
                clinical_treatment_text(&p.treatment),
            )
            .s(
                "prescriptionStatus",
                prescription_status_text(current_status),
            )
            .o("lineItems", items);
        // As in Spine's example: repeat dispensing carries `repeatInstance`, the others
        // only `currentIssueNumber`.
        if p.is_repeat_dispensing() {
            entry.push_obj(
                "repeatInstance",
                Obj::new()
                    .s("currentIssue", p.current_issue.to_string())
                    .s("totalAuthorised", p.total_authorised.to_string())
                    .o("dispenseHistory", dispense_history(p)),
            );
        } else {
            entry.push_str("currentIssueNumber", p.current_issue.to_string());
        }
        prescriptions.push_obj(p.id.clone(), entry);
    }
    Obj::new()
        .s("version", "1")
        .s("reason", "")
        .s("statusCode", "0")
        .o("prescriptions", prescriptions)
}

fn org_obj(org: Option<&Org>) -> Obj {
    match org {
        Some(o) => Obj::new()
            .s("address", o.address.clone())
            .s("name", o.name.clone())
            .s("ods", o.ods.clone())
            .s("phone", o.phone.clone()),
        None => Obj::new()
            .s("address", "")
            .s("name", "")
            .s("ods", "")
            .s("phone", ""),
    }
}

/// The clinical detail of one issue, optionally of one line item.
pub(super) fn clinical_detail(p: &Prescription, issue: &Issue, line_item: Option<&str>) -> Obj {
    let mut items = Obj::new();
    for (item, code) in p.items.iter().zip(&issue.item_statuses) {
        if line_item.is_some_and(|wanted| wanted != item.id) {
            continue;
        }
        items.push_obj(
            item.id.clone(),
            Obj::new()
                .s("code", item.code.clone())
                .s("quantity", item.quantity.clone())
                .s("itemStatus", item_status_text(code))
                .s("dosage", item.dosage.clone())
                .s("description", item.description.clone())
                .s("uom", item.uom.clone()),
        );
    }
    let previous_dispensed = issue
        .number
        .checked_sub(1)
        .and_then(|n| p.issue(n))
        .and_then(|i| i.dispensed);
    let mut detail = Obj::new()
        .s("pendingCancellations", flag(p.pending_cancellation))
        .s(
            "prescriptionLastIssueDispensedDate",
            hl7(previous_dispensed),
        )
        .s("prescriptionDownloadDate", hl7(issue.downloaded))
        .o(
            "repeatInstance",
            Obj::new()
                .s("currentIssue", issue.number.to_string())
                .s("totalAuthorised", p.total_authorised.to_string()),
        )
        .s("prescriptionDispensedDate", hl7_date(issue.dispensed))
        .s(
            "prescriptionTreatmentType",
            clinical_treatment_text(&p.treatment),
        )
        .s("lastEventDate", hl7(Some(p.last_event())))
        .s("prescriptionClaimedDate", hl7(issue.claimed))
        .o("lineItems", items)
        .s("patientNhsNumber", p.nhs_number.clone())
        .o("prescriber", org_obj(Some(&p.prescriber)))
        .s("epsVersion", eps_version(p))
        .s("prescriptionIssueDate", hl7(Some(p.issued)))
        .s(
            "prescriptionStatus",
            prescription_status_text(&issue.status),
        )
        .o("dispensingPharmacy", org_obj(issue.dispenser.as_ref()));
    // The examples send blank objects where the swagger says null: do both.
    match (&p.nominated, p.version) {
        (Some(org), _) => detail.push_obj("nominatedPharmacy", org_obj(Some(org))),
        (None, EpsVersion::R2) => detail.push_obj("nominatedPharmacy", org_obj(None)),
        (None, EpsVersion::R1) => {}
    }
    Obj::new()
        .s("statusCode", "0")
        .s("reason", "")
        .s("version", "1")
        .o(p.id.clone(), detail)
}
