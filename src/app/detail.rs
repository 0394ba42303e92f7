//! The detail pane's state: which prescription (and which issue of it) is shown, the
//! answers already fetched this session, and the request in flight.

use std::collections::HashMap;

use crate::tracker::ids::PrescriptionId;
use crate::tracker::model::Prescription;
use crate::tracker::query::TrackerRequest;

use super::msg::{Failure, RequestId};
use super::scroll::Scroll;

/// One thing the detail pane can show: a prescription, at an issue (`None`: the current
/// one), basic or clinical.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DetailKey {
    pub id: PrescriptionId,
    pub issue: Option<u32>,
    pub clinical: bool,
}

/// A fetched prescription with the trace ID of the request that brought it.
#[derive(Debug, Clone)]
pub struct Shown {
    pub prescription: Prescription,
    pub trace_id: Option<String>,
    pub notes: Vec<String>,
}

impl Shown {
    /// The issue this answer is about: the only one sent, or the current one.
    pub fn issue_number(&self) -> Option<u32> {
        let p = &self.prescription;
        if let Some(answered) = p.answered_issue {
            return Some(answered);
        }
        match p.issues.as_slice() {
            [only] => Some(only.number),
            _ => p.current_issue,
        }
    }
}

/// Where the detail for the shown key stands.
#[derive(Debug, Clone, Default)]
pub enum DetailLoad {
    #[default]
    Idle,
    /// Being fetched (`Some`: the request in flight) or about to be (`None`: waiting for
    /// the selection to rest, or for the request in flight for another row to finish).
    Loading(Option<RequestId>),
    Failed(Failure),
    Cancelled,
}

/// The one detail request in flight, and what it is for (not always the shown key: the
/// selection may have moved on while it runs).
#[derive(Debug, Clone)]
pub struct InFlight {
    pub id: RequestId,
    pub key: DetailKey,
}

/// The one detail request waiting to be sent: the latest wins.
#[derive(Debug, Clone)]
pub struct Wanted {
    pub key: DetailKey,
    pub request: TrackerRequest,
    /// The selection has rested on it (or Enter was pressed): it may be sent.
    pub rested: bool,
}

#[derive(Debug, Default)]
pub struct Detail {
    pub showing: Option<DetailKey>,
    pub load: DetailLoad,
    pub in_flight: Option<InFlight>,
    pub wanted: Option<Wanted>,
    pub cache: HashMap<DetailKey, Shown>,
    /// The last issue of an eRD prescription, learnt when Spine said the next one does
    /// not exist (the basic answers do not say how many issues there are).
    pub last_issue: HashMap<PrescriptionId, u32>,
    /// The reading line in the detail; the pane shows the page that holds it.
    pub scroll: Scroll,
    /// Said above the detail of this prescription until the next query (e.g. that the
    /// issue asked for does not exist, with that answer's trace ID).
    pub note: Option<(PrescriptionId, String)>,
}

impl Detail {
    /// What is on screen for the current key, if it has been fetched.
    pub fn shown(&self) -> Option<&Shown> {
        self.showing.as_ref().and_then(|k| self.cache.get(k))
    }

    /// The detail request in flight, whichever row it is for.
    pub fn loading(&self) -> Option<RequestId> {
        self.in_flight.as_ref().map(|f| f.id)
    }
}
