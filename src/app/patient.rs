//! The patient banner: who the prescriptions on screen belong to, from PDS, so staff can
//! confirm identity with the caller. Looked up beside the list query (a search by NHS
//! number) or once a prescription found by ID names its patient; a PDS failure only
//! changes the banner, never the prescriptions. Offered only to roles with `pds.read`
//! when PDS is set up.

use super::detail::Detail;
use super::msg::{Cmd, RequestId};
use super::requests;
use super::state::{ListState, State};
use crate::pds::{Patient, PatientSearch};
use crate::tracker::ids::NhsNumber;
use crate::tracker::query::{SearchQuery, TrackerRequest};
use crate::tracker::window::default_earliest;

/// A patient record on its way to the screen. `Debug` names no one: messages and state
/// may end up in a panic message or a log line, demographics must not.
pub struct Demographics(pub Box<Patient>);

impl std::fmt::Debug for Demographics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Demographics(..)")
    }
}

/// Patient details on their way to PDS. `Debug` names no one, as for `Demographics`.
#[derive(Clone, PartialEq, Eq)]
pub struct SearchDetails(pub PatientSearch);

impl std::fmt::Debug for SearchDetails {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SearchDetails(..)")
    }
}

/// What the banner shows.
#[derive(Debug, Default)]
pub enum Banner {
    /// No patient asked about (or not allowed): no banner line at all.
    #[default]
    Hidden,
    /// A search by patient details is with PDS; the prescriptions follow its match.
    Finding(RequestId),
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
            Banner::Loading { id, .. } | Banner::Finding(id) => Some(id),
            _ => None,
        }
    }

    /// The search by patient details still with PDS: the staff member waits on it, so it
    /// keeps the spinner going and Esc cancels it, as for a prescription search.
    pub fn finding(&self) -> Option<RequestId> {
        match self.banner {
            Banner::Finding(id) => Some(id),
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
    if !matches!(state.patient.banner, Banner::Loading { id: asked, .. } if asked == id) {
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

/// Esc while PDS is searching by patient details: the search is cancelled and the details
/// stay in the form, to be sent again with Enter. A look-up beside a list (the banner's
/// `Loading`) is not waited on and goes on.
pub fn cancel_finding(state: &mut State) -> Vec<Cmd> {
    let Some(id) = state.patient.finding() else {
        return Vec::new();
    };
    state.patient.banner = Banner::Hidden;
    state.form.note = Some("Search by patient details cancelled. Enter sends it again.".into());
    vec![Cmd::Cancel(id)]
}

/// Enter in the patient details mode: the details go to PDS, or the form says what to fix.
pub fn find(state: &mut State) -> Vec<Cmd> {
    let search = match state.form.patient.search(state.today) {
        Ok(search) => search,
        Err(why) => {
            state.form.note = Some(why);
            return Vec::new();
        }
    };
    state.form.note = None;
    // The last caller's prescriptions go now: they are not this patient's.
    let mut cmds = requests::cancel_all(state);
    cmds.extend(clear(state));
    state.list = ListState::Empty;
    state.detail = Detail::default();
    let id = state.next_request_id();
    state.patient.banner = Banner::Finding(id);
    cmds.push(Cmd::FindPatient {
        id,
        search: SearchDetails(search),
    });
    cmds
}

/// PDS answered a search by details: the one match goes in the banner and their
/// prescriptions are searched; no match or too many is explained under the form, with what
/// to add. `None` when nobody waits for this answer any more.
pub fn on_matched(
    state: &mut State,
    id: RequestId,
    result: Result<Demographics, String>,
) -> Option<Vec<Cmd>> {
    if !matches!(state.patient.banner, Banner::Finding(asked) if asked == id) {
        return None;
    }
    let found = result.and_then(|found| match NhsNumber::parse(&found.0.nhs_number) {
        Ok(nhs) => Ok((nhs, found)),
        Err(_) => Err(
            "PDS answered with an NHS number that is not valid: search by the \
                       caller's NHS number instead."
                .to_owned(),
        ),
    });
    match found {
        Ok((nhs, found)) => {
            state.patient.banner = Banner::Found(found);
            let mut query = SearchQuery::new(nhs);
            query.earliest = Some(default_earliest(None, state.today, state.form.window_days));
            Some(requests::send_list(state, TrackerRequest::Search(query)))
        }
        Err(why) => {
            state.patient.banner = Banner::Hidden;
            state.form.note = Some(why);
            Some(Vec::new())
        }
    }
}
