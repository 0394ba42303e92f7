//! Patient look-ups for the banner, always through the gate (session check, `pds.read`,
//! audit before and after), with every failure turned into a few words for the banner.

use chrono::Utc;

use crate::app::patient::Demographics;
use crate::pds::{PdsAnswer, PdsRequest};
use crate::security::gate::{Gate, PatientError};
use crate::security::session::Session;
use crate::tracker::ids::NhsNumber;

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
