//! Patient look-ups for the banner, always through the gate (session check, `pds.read`,
//! audit before and after), with every failure turned into a few words for the banner.

use chrono::Utc;

use crate::app::patient::Demographics;
use crate::pds::{PatientSearch, PdsAnswer, PdsRequest};
use crate::security::gate::{Gate, PatientError};
use crate::security::session::Session;
use crate::tracker::ids::NhsNumber;

/// The one patient matching the details, or why there is none with what to add.
pub async fn search(
    gate: &Gate,
    session: Option<Session>,
    search: PatientSearch,
) -> Result<Demographics, String> {
    let Some(session) = session else {
        return Err("Nobody is signed in.".into());
    };
    match gate
        .patient(&session, PdsRequest::Search(search), Utc::now())
        .await
    {
        Ok(reply) => match reply.answer {
            PdsAnswer::Search { patients, .. } => patients
                .into_iter()
                .next()
                .map(|p| Demographics(Box::new(p)))
                .ok_or_else(|| {
                    "No patient matches these details. Check the spelling of the last name and \
                     the date of birth with the caller; a first name or postcode PDS holds \
                     differently also stops a match, so try without them."
                        .into()
                }),
            PdsAnswer::Patient { patient } => Ok(Demographics(patient)),
            PdsAnswer::Outcome { .. } => Err("PDS answered without a patient record.".into()),
        },
        Err(PatientError::Denied(_)) => Err("Your role cannot look up patient details.".into()),
        Err(error) => Err(sentence(&error.to_string())),
    }
}

/// "more than one patient matches: …" → "More than one patient matches: ….", for the form.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => text.to_owned(),
    }
}

/// Retrieves the patient with this NHS number on behalf of the session.
pub async fn retrieve(
    gate: &Gate,
    session: Option<Session>,
    nhs: NhsNumber,
) -> Result<Demographics, String> {
    let Some(session) = session else {
        return Err("nobody is signed in".into());
    };
    match gate
        .patient(&session, PdsRequest::Retrieve(nhs), Utc::now())
        .await
    {
        Ok(reply) => match reply.answer {
            PdsAnswer::Patient { patient } => Ok(Demographics(patient)),
            PdsAnswer::Search { .. } | PdsAnswer::Outcome { .. } => {
                Err("PDS answered without a patient record".into())
            }
        },
        Err(PatientError::Denied(_)) => Err("your role cannot look up patient details".into()),
        Err(error) => Err(error.to_string()),
    }
}
