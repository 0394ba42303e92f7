//! The patient banner: who the prescriptions on screen belong to, from PDS, so staff can
//! confirm identity with the caller. Looked up beside the list query (a search by NHS
//! number) or once a prescription found by ID names its patient; a PDS failure only
//! changes the banner, never the prescriptions. Offered only to roles with `pds.read`
//! when PDS is set up.

use super::msg::{Cmd, RequestId};
use super::state::State;
use crate::pds::Patient;
use crate::tracker::ids::NhsNumber;
use crate::tracker::query::TrackerRequest;

/// A patient record on its way to the screen. `Debug` names no one: messages and state
/// may end up in a panic message or a log line, demographics must not.
pub struct Demographics(pub Box<Patient>);

impl std::fmt::Debug for Demographics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Demographics(..)")
    }
}

/// What the banner shows.
#[derive(Debug, Default)]
pub enum Banner {
    /// No patient asked about (or not allowed): no banner line at all.
    #[default]
    Hidden,
    Loading {
        id: RequestId,
        nhs: NhsNumber,
    },
    Found(Demographics),
    /// Why there is no patient line, in a few words.
    Failed(String),
}

/// The banner and whether this session may have it.
#[derive(Debug, Default)]
pub struct PatientBanner {
    /// The role has `pds.read` and PDS is set up for this environment.
    pub allowed: bool,
    pub banner: Banner,
}

impl PatientBanner {
    pub fn new(allowed: bool) -> PatientBanner {
        PatientBanner {
            allowed,
            banner: Banner::Hidden,
        }
    }

    fn loading(&self) -> Option<RequestId> {
        match self.banner {
            Banner::Loading { id, .. } => Some(id),
            _ => None,
        }
    }
}

/// A list query is being sent: the old banner goes; a search names its patient at once.
pub fn on_list_sent(state: &mut State, request: &TrackerRequest) -> Vec<Cmd> {
    let mut cmds = clear(state);
    if let TrackerRequest::Search(q) | TrackerRequest::ClinicalSummary(q) = request {
        cmds.extend(look_up(state, q.nhs_number));
    }
    cmds
}

/// The list answered: a prescription found by ID names the patient to look up.
pub fn on_list_answered(state: &mut State) -> Vec<Cmd> {
    if !matches!(state.patient.banner, Banner::Hidden) {
        return Vec::new();
    }
    let nhs = state
        .list
        .ready()
        .and_then(|list| list.prescriptions.first())
        .map(|p| p.nhs_number);
    nhs.map_or_else(Vec::new, |nhs| look_up(state, nhs))
}

fn look_up(state: &mut State, nhs: NhsNumber) -> Vec<Cmd> {
    if !state.patient.allowed {
        return Vec::new();
    }
    let id = state.next_request_id();
    state.patient.banner = Banner::Loading { id, nhs };
    vec![Cmd::LookUpPatient { id, nhs }]
}

/// PDS answered; `false` when nobody waits for this answer any more.
pub fn on_found(state: &mut State, id: RequestId, result: Result<Demographics, String>) -> bool {
    if state.patient.loading() != Some(id) {
        return false;
    }
    state.patient.banner = match result {
        Ok(found) => Banner::Found(found),
        Err(why) => Banner::Failed(why),
    };
    true
}

/// A new caller (or a new query): the banner goes, and a look-up still running is cancelled.
pub fn clear(state: &mut State) -> Vec<Cmd> {
    let cmds = state
        .patient
        .loading()
        .map(Cmd::Cancel)
        .into_iter()
        .collect();
    state.patient.banner = Banner::Hidden;
    cmds
}
