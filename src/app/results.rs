//! The result list: prescriptions grouped Current / Future / Past as the national web
//! tracker groups them, sorted within a group, filtered in place as the user types.

use tui_input::Input;

use super::zone::Zone;
use crate::tracker::ids::PrescriptionId;
use crate::tracker::model::{Prescription, StatusGroup, TreatmentType};
use crate::tracker::query::TrackerRequest;

/// The groups in tab order.
pub const GROUPS: [StatusGroup; 3] = [StatusGroup::Current, StatusGroup::Future, StatusGroup::Past];

/// How the list is ordered within a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    #[default]
    NewestFirst,
    OldestFirst,
    LastEvent,
    Status,
}

impl SortOrder {
    pub fn label(self) -> &'static str {
        match self {
            SortOrder::NewestFirst => "newest first",
            SortOrder::OldestFirst => "oldest first",
            SortOrder::LastEvent => "latest event first",
            SortOrder::Status => "by status",
        }
    }

    fn next(self) -> SortOrder {
        match self {
            SortOrder::NewestFirst => SortOrder::OldestFirst,
            SortOrder::OldestFirst => SortOrder::LastEvent,
            SortOrder::LastEvent => SortOrder::Status,
            SortOrder::Status => SortOrder::NewestFirst,
        }
    }
}

/// The group a prescription is listed under. A status code we do not know is shown
/// under Current, where somebody will look at it.
pub fn group_of(p: &Prescription) -> StatusGroup {
    p.group().unwrap_or(StatusGroup::Current)
}

/// "acute", "repeat", "eRD 2/6": the treatment column.
pub fn treatment_label(p: &Prescription) -> String {
    match p.treatment.as_ref().map(|t| &t.code) {
        Some(TreatmentType::Acute) => "acute".into(),
        Some(TreatmentType::Repeat) => "repeat".into(),
        Some(TreatmentType::RepeatDispensing) => match (p.current_issue, p.total_issues) {
            (Some(n), Some(total)) => format!("eRD {n}/{total}"),
            (Some(n), None) => format!("eRD {n}"),
            _ => "eRD".into(),
        },
        Some(TreatmentType::Unknown(code)) => code.clone(),
        None => p
            .treatment
            .as_ref()
            .map(|t| t.text.to_string())
            .unwrap_or_default(),
    }
}

/// The status text Spine sent for the current issue.
pub fn status_label(p: &Prescription) -> String {
    p.current_status()
        .map(|s| s.text.to_string())
        .unwrap_or_default()
}

/// A loaded list of prescriptions and how the user is looking at it.
#[derive(Debug, Clone)]
pub struct ResultList {
    /// What was asked, for the empty-state explanation and retry.
    pub request: TrackerRequest,
    pub prescriptions: Vec<Prescription>,
    pub trace_id: Option<String>,
    /// Spine's notice or decoding warnings that came with the answer.
    pub notes: Vec<String>,
    pub group: StatusGroup,
    pub sort: SortOrder,
    pub filter: Input,
    /// The filter field has the keyboard.
    pub filtering: bool,
    /// Indices into `prescriptions` of the rows shown, in order.
    pub visible: Vec<usize>,
    /// Position in `visible`.
    pub selected: usize,
    /// How many prescriptions each group holds (in `GROUPS` order), counted once: drawn
    /// on every frame.
    counts: [usize; 3],
    /// The zone the dates are shown in, which the filter matches.
    zone: Zone,
}

impl ResultList {
    pub fn new(
        request: TrackerRequest,
        prescriptions: Vec<Prescription>,
        trace_id: Option<String>,
        notes: Vec<String>,
        zone: Zone,
    ) -> ResultList {
        // Open on the first group that has anything, Current first.
        let group = GROUPS
            .into_iter()
            .find(|g| prescriptions.iter().any(|p| group_of(p) == *g))
            .unwrap_or(StatusGroup::Current);
        let counts = GROUPS.map(|g| prescriptions.iter().filter(|p| group_of(p) == g).count());
        let mut list = ResultList {
            counts,
            request,
            prescriptions,
            trace_id,
            notes,
            group,
            sort: SortOrder::default(),
            filter: Input::default(),
            filtering: false,
            visible: Vec::new(),
            selected: 0,
            zone,
        };
        list.refresh();
        list
    }

    pub fn count(&self, group: StatusGroup) -> usize {
        GROUPS
            .iter()
            .position(|g| *g == group)
            .and_then(|i| self.counts.get(i))
            .copied()
            .unwrap_or(0)
    }

    /// How many prescriptions in `group` the filter lets through.
    pub fn matching(&self, group: StatusGroup) -> usize {
        let needle = self.filter.value().trim().to_lowercase();
        self.prescriptions
            .iter()
            .filter(|p| group_of(p) == group && matches_filter(p, &needle, self.zone))
            .count()
    }

    /// The selected prescription, if any row is shown.
    pub fn selected(&self) -> Option<&Prescription> {
        self.visible
            .get(self.selected)
            .and_then(|i| self.prescriptions.get(*i))
    }

    pub fn selected_id(&self) -> Option<&PrescriptionId> {
        self.selected().map(|p| &p.id)
    }

    /// Recomputes the rows after a change of group, sort or filter, keeping the same
    /// prescription selected where it is still shown.
    pub fn refresh(&mut self) {
        let keep = self.selected_id().cloned();
        let needle = self.filter.value().trim().to_lowercase();
        let mut rows: Vec<usize> = self
            .prescriptions
            .iter()
            .enumerate()
            .filter(|(_, p)| group_of(p) == self.group)
            .filter(|(_, p)| needle.is_empty() || matches_filter(p, &needle, self.zone))
            .map(|(i, _)| i)
            .collect();
        let ps = &self.prescriptions;
        let issued = |i: &usize| ps[*i].issue_date.map(|d| d.datetime());
        let event = |i: &usize| ps[*i].last_event_date.map(|d| d.datetime());
        match self.sort {
            SortOrder::NewestFirst => rows.sort_by_key(|i| std::cmp::Reverse(issued(i))),
            SortOrder::OldestFirst => rows.sort_by_key(issued),
            SortOrder::LastEvent => rows.sort_by_key(|i| std::cmp::Reverse(event(i))),
            SortOrder::Status => rows.sort_by(|a, b| {
                let key = |i: &usize| ps[*i].current_status().map(|s| s.code.code().to_owned());
                key(a).cmp(&key(b)).then(issued(b).cmp(&issued(a)))
            }),
        }
        self.visible = rows;
        self.selected = keep
            .and_then(|id| {
                self.visible
                    .iter()
                    .position(|i| self.prescriptions[*i].id == id)
            })
            .unwrap_or(0);
    }

    /// Shows another group; its first row is selected (the old selection is not in it).
    pub fn show_group(&mut self, group: StatusGroup) {
        self.group = group;
        self.refresh();
    }

    pub fn cycle_group(&mut self, forward: bool) {
        let at = GROUPS.iter().position(|g| *g == self.group).unwrap_or(0);
        let next = if forward { (at + 1) % 3 } else { (at + 2) % 3 };
        self.show_group(GROUPS[next]);
    }

    pub fn cycle_sort(&mut self) {
        self.sort = self.sort.next();
        self.refresh();
    }

    /// Moves the selection by `delta` rows, stopping at the ends.
    pub fn move_by(&mut self, delta: isize) {
        if self.visible.is_empty() {
            return;
        }
        let last = self.visible.len() - 1;
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }

    pub fn move_to(&mut self, end: bool) {
        self.selected = if end {
            self.visible.len().saturating_sub(1)
        } else {
            0
        };
    }

    /// Replaces a prescription with a fuller copy (from a retrieve), keeping its place.
    pub fn enrich(&mut self, fuller: &Prescription) {
        if let Some(p) = self.prescriptions.iter_mut().find(|p| p.id == fuller.id) {
            if p.treatment.is_none() {
                p.treatment = fuller.treatment.clone();
            }
            if p.total_issues.is_none() {
                p.total_issues = fuller.total_issues;
            }
            // A row from an answer for an issue that does not exist has no status: the
            // current issue, fetched next, gives it one.
            if p.issues.is_empty() && p.status_text.is_none() && fuller.current_issue.is_some() {
                p.issues = fuller.issues.clone();
                p.current_issue = fuller.current_issue;
            }
        }
    }
}

fn matches_filter(p: &Prescription, needle: &str, zone: Zone) -> bool {
    // Both the style on screen (27 Nov 2026, on the reader's clock) and ISO (2026-11-27)
    // match.
    let date = |d: Option<crate::tracker::model::SpineDate>| {
        d.map(|d| {
            let day = zone.day_of(d);
            format!(
                "{} {}",
                crate::tracker::dates::people_date(day),
                day.format("%Y-%m-%d")
            )
        })
        .unwrap_or_default()
    };
    [
        p.id.as_str().to_string(),
        status_label(p),
        treatment_label(p),
        date(p.issue_date),
        date(p.last_event_date),
    ]
    .iter()
    .any(|field| field.to_lowercase().contains(needle))
}
