//! Sending Tracker requests and taking their answers: the list query, the detail of the
//! selected prescription and its eRD issues, cancel and retry. Answers to anything but the
//! latest list request are dropped; a detail answer is kept for its row even when the
//! selection has moved on.
//!
//! Details are fetched where the selection rests, not for every row passed: a move asks
//! the runtime for `Msg::Rested`, and only then is the request sent. At most one detail
//! request is in flight and one waits behind it (the latest wins), as in gitui's
//! single-job queue; Enter, `r` and retry send at once.

use super::detail::{DetailKey, DetailLoad, InFlight, Shown, Wanted};
use super::msg::{Answer, Cmd, Failure, FailureKind, RequestId};
use super::results::ResultList;
use super::scroll::Scroll;
use super::state::{ListState, Pane, State};
use crate::tracker::model::Prescription;
use crate::tracker::query::{KnownPrescription, RetrieveQuery, TrackerRequest};

/// Sends the list query (search or retrieve), cancelling whatever it replaces.
pub fn send_list(state: &mut State, request: TrackerRequest) -> Vec<Cmd> {
    let mut cmds = cancel_all(state);
    let id = state.next_request_id();
    state.list = ListState::Loading {
        id,
        request: request.clone(),
    };
    state.detail.showing = None;
    state.detail.load = DetailLoad::Idle;
    state.detail.note = None;
    // A new search may show newer statuses than the details fetched before it: those
    // details are fetched again rather than shown beside a fresher list row.
    state.detail.cache.clear();
    cmds.push(Cmd::Fetch {
        id,
        request: first_step(request),
    });
    cmds
}

/// What to ask first. The clinical detail of a repeat-dispensing prescription needs an
/// issue number, so a clinical retrieve with none first asks the basic retrieve which
/// issue is current (as a search does); the detail then asks for that issue.
fn first_step(request: TrackerRequest) -> TrackerRequest {
    match request {
        TrackerRequest::ClinicalDetail(q) if q.issue.is_none() => TrackerRequest::Retrieve(q),
        other => other,
    }
}

/// How soon a detail is wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// Once the selection has rested (arrow keys, list answers, issue steps).
    Rested,
    /// At once (Enter, retry).
    Now,
    /// At once, even when cached (`r` on the detail).
    Refresh,
}

/// Cancels every request in flight (Esc).
pub fn cancel_all(state: &mut State) -> Vec<Cmd> {
    let mut cmds = Vec::new();
    state.list = match std::mem::take(&mut state.list) {
        ListState::Loading { id, request } => {
            cmds.push(Cmd::Cancel(id));
            ListState::Cancelled { request }
        }
        other => other,
    };
    if let Some(flight) = state.detail.in_flight.take() {
        cmds.push(Cmd::Cancel(flight.id));
    }
    state.detail.wanted = None;
    if matches!(state.detail.load, DetailLoad::Loading(_)) {
        state.detail.load = DetailLoad::Cancelled;
    }
    cmds
}

/// Takes a Tracker answer; `false` when it answers nothing we still wait for.
pub fn on_fetched(
    state: &mut State,
    id: RequestId,
    result: Result<Answer, Failure>,
) -> (bool, Vec<Cmd>) {
    if state.list.loading() == Some(id) {
        return (true, on_list_answer(state, result));
    }
    if state.detail.loading() == Some(id)
        && let Some(flight) = state.detail.in_flight.take()
    {
        on_detail_answer(state, flight.key, result);
        return (true, send_wanted(state));
    }
    (false, Vec::new())
}

/// The selection has rested: the waiting detail request may go.
pub fn on_rested(state: &mut State) -> Vec<Cmd> {
    if let Some(wanted) = state.detail.wanted.as_mut() {
        wanted.rested = true;
    }
    send_wanted(state)
}

/// Sends the waiting detail request if it may go and nothing else is in flight.
fn send_wanted(state: &mut State) -> Vec<Cmd> {
    if state.detail.in_flight.is_some() || !state.detail.wanted.as_ref().is_some_and(|w| w.rested) {
        return Vec::new();
    }
    let Some(Wanted { key, request, .. }) = state.detail.wanted.take() else {
        return Vec::new();
    };
    let id = state.next_request_id();
    if state.detail.showing.as_ref() == Some(&key) {
        state.detail.load = DetailLoad::Loading(Some(id));
    }
    state.detail.in_flight = Some(InFlight { id, key });
    vec![Cmd::Fetch { id, request }]
}

/// Spine's own notice, for the helpdesk view. Decoder warnings are for the log and
/// `inspect`, not for helpdesk staff.
fn notes_of(answer: &Answer) -> Vec<String> {
    answer
        .response
        .notice
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn on_list_answer(state: &mut State, result: Result<Answer, Failure>) -> Vec<Cmd> {
    let ListState::Loading { request, .. } = std::mem::take(&mut state.list) else {
        return Vec::new();
    };
    match result {
        Err(failure) => {
            state.last_trace = failure.trace_id.clone().or(state.last_trace.take());
            state.list = ListState::Failed { request, failure };
            Vec::new()
        }
        Ok(answer) => {
            state.last_trace = answer.trace_id.clone().or(state.last_trace.take());
            let notes = notes_of(&answer);
            let retrieved = match &request {
                TrackerRequest::Retrieve(q) | TrackerRequest::ClinicalDetail(q) => Some(q.clone()),
                _ => None,
            };
            let missing = match (&retrieved, &answer.response.notice) {
                (Some(q), Some(notice)) if notice.is_issue_not_found() => q.issue,
                _ => None,
            };
            // The look-up before a clinical retrieve is basic: the detail comes next.
            let looked_up = first_step(request.clone()) != request;
            if let (Some(asked), Some(p)) = (missing, answer.response.prescriptions.first()) {
                // Spine answered "no such issue" with the rest of the prescription: say so
                // where the detail is, with this answer's trace ID, and show the current
                // issue (fetched next) rather than a blank one.
                let current = p
                    .current_issue
                    .map_or(String::new(), |c| format!(", which is issue {c}"));
                let trace = answer
                    .trace_id
                    .as_deref()
                    .map_or(String::new(), |t| format!(" (trace ID {t})"));
                state.detail.note = Some((
                    p.id.clone(),
                    format!(
                        "Issue {asked} does not exist{trace}. Showing the current issue{current}."
                    ),
                ));
            } else if let (Some(query), Some(p), false) =
                (&retrieved, answer.response.prescriptions.first(), looked_up)
            {
                // A retrieve answers with the whole prescription: it is also the detail.
                let key = DetailKey {
                    id: p.id.clone(),
                    issue: query.issue,
                    clinical: request.is_clinical(),
                };
                remember(
                    state,
                    key,
                    p.clone(),
                    answer.trace_id.clone(),
                    notes.clone(),
                );
            }
            let list = ResultList::new(
                request,
                answer.response.prescriptions,
                answer.trace_id,
                notes,
                state.settings.zone,
            );
            let retrieved_one = retrieved.is_some() && list.selected().is_some();
            state.list = ListState::Ready(list);
            if state.focus == Pane::Query {
                state.focus = if retrieved_one {
                    Pane::Detail
                } else {
                    Pane::Results
                };
            }
            show_selected(state, When::Rested)
        }
    }
}

/// Takes the answer for `key`, which may no longer be the row shown: a success is cached
/// for when the user comes back to it, a failure is shown only where it belongs.
fn on_detail_answer(state: &mut State, key: DetailKey, result: Result<Answer, Failure>) {
    let shown = state.detail.showing.as_ref() == Some(&key);
    let fail = |state: &mut State, failure: Failure| {
        if shown {
            state.detail.load = DetailLoad::Failed(failure);
        }
    };
    match result {
        Err(failure) => {
            state.last_trace = failure.trace_id.clone().or(state.last_trace.take());
            fail(state, failure);
        }
        Ok(answer) => {
            state.last_trace = answer.trace_id.clone().or(state.last_trace.take());
            if let (Some(asked), Some(notice)) = (key.issue, &answer.response.notice)
                && notice.is_issue_not_found()
            {
                // Spine sends the rest of the prescription with blank issue details. Stepping
                // on from an issue that exists means the issues end there: keep it shown and
                // say so, as when the total is known.
                let previous = DetailKey {
                    issue: Some(asked.saturating_sub(1)),
                    ..key.clone()
                };
                if asked > 1 && state.detail.cache.contains_key(&previous) {
                    let last = asked - 1;
                    state.detail.last_issue.insert(key.id.clone(), last);
                    state.detail.showing = Some(previous);
                    state.detail.load = DetailLoad::Idle;
                    state.notice = Some(format!("Issue {last} is the last of {last}."));
                    return;
                }
                let mut failure =
                    Failure::new(FailureKind::Spine, format!("Issue {asked} does not exist."));
                failure.spine = Some(notice.clone());
                failure.trace_id = answer.trace_id;
                fail(state, failure);
                return;
            }
            let notes = notes_of(&answer);
            match answer.response.prescriptions.into_iter().next() {
                Some(p) => {
                    remember(state, key, p, answer.trace_id, notes);
                    if shown {
                        state.detail.load = DetailLoad::Idle;
                    }
                }
                None => {
                    let mut failure = Failure::new(
                        FailureKind::Spine,
                        "Spine answered but sent no prescription for this ID.",
                    );
                    failure.spine = answer.response.notice;
                    failure.trace_id = answer.trace_id;
                    fail(state, failure);
                }
            }
        }
    }
}

/// Caches a fetched prescription under its key, and under its issue number when it was
/// asked for as "the current issue", so moving back to it costs nothing.
fn remember(
    state: &mut State,
    key: DetailKey,
    prescription: Prescription,
    trace_id: Option<String>,
    notes: Vec<String>,
) {
    if let Some(list) = state.list.ready_mut() {
        list.enrich(&prescription);
    }
    let shown = Shown {
        prescription,
        trace_id,
        notes,
    };
    if key.issue.is_none()
        && let Some(number) = shown.issue_number()
    {
        let numbered = DetailKey {
            issue: Some(number),
            ..key.clone()
        };
        state.detail.cache.insert(numbered, shown.clone());
    }
    state.detail.cache.insert(key, shown);
}

/// Shows the selected prescription in the detail pane, fetching it if it is not cached.
pub fn show_selected(state: &mut State, when: When) -> Vec<Cmd> {
    let Some(list) = state.list.ready() else {
        return Vec::new();
    };
    let Some(p) = list.selected() else {
        state.detail.showing = None;
        return Vec::new();
    };
    let key = DetailKey {
        id: p.id.clone(),
        issue: None,
        clinical: list.request.is_clinical(),
    };
    let known = KnownPrescription {
        repeat_dispensing: p.is_repeat_dispensing(),
        total_issues: p.total_issues,
    };
    let current = p.current_issue;
    show(state, key, known, current, when)
}

/// Moves to the next (`forward`) or previous issue of a repeat-dispensing prescription.
pub fn step_issue(state: &mut State, forward: bool) -> Vec<Cmd> {
    let Some(key) = state.detail.showing.clone() else {
        return Vec::new();
    };
    let listed = state
        .list
        .ready()
        .and_then(|l| l.prescriptions.iter().find(|p| p.id == key.id).cloned());
    let shown = state.detail.shown().cloned();
    let Some(p) = shown.as_ref().map(|s| &s.prescription).or(listed.as_ref()) else {
        return Vec::new();
    };
    if !p.is_repeat_dispensing() && listed.as_ref().is_none_or(|l| !l.is_repeat_dispensing()) {
        state.notice =
            Some("Only repeat-dispensing (eRD) prescriptions have several issues.".into());
        return Vec::new();
    }
    // What Spine said about a missing issue outranks a count from elsewhere.
    let total = state
        .detail
        .last_issue
        .get(&key.id)
        .copied()
        .or(p.total_issues)
        .or(listed.as_ref().and_then(|l| l.total_issues));
    let at = key
        .issue
        .or(shown.as_ref().and_then(Shown::issue_number))
        .or(p.current_issue)
        .unwrap_or(1);
    let next = if forward {
        at.saturating_add(1)
    } else {
        at.saturating_sub(1)
    };
    if next < 1 || total.is_some_and(|t| next > t) {
        state.notice = Some(match total {
            Some(t) if forward => format!("Issue {t} is the last of {t}."),
            _ => "Issue 1 is the first.".to_string(),
        });
        return Vec::new();
    }
    let known = KnownPrescription {
        repeat_dispensing: true,
        total_issues: total,
    };
    let current = p.current_issue;
    let key = DetailKey {
        issue: Some(next),
        ..key
    };
    show(state, key, known, current, When::Rested)
}

fn show(
    state: &mut State,
    key: DetailKey,
    known: KnownPrescription,
    current: Option<u32>,
    when: When,
) -> Vec<Cmd> {
    // The clinical detail of an eRD prescription must name an issue: the current one. It
    // is cached under that number, so a detail fetched for another issue is never passed
    // off as the current one.
    let key = match (key.issue, current) {
        (None, Some(current)) if key.clinical && known.repeat_dispensing => DetailKey {
            issue: Some(current),
            ..key
        },
        _ => key,
    };
    let refresh = when == When::Refresh;
    let detail = &mut state.detail;
    let same = detail.showing.as_ref() == Some(&key);
    let waiting = matches!(detail.load, DetailLoad::Loading(None));
    if same && when == When::Rested && (waiting || detail.cache.contains_key(&key)) {
        return Vec::new();
    }
    detail.showing = Some(key.clone());
    detail.scroll = Scroll::default();
    if !refresh && detail.cache.contains_key(&key) {
        // Cached details show at once; whatever waited for another row is not wanted now.
        detail.load = DetailLoad::Idle;
        detail.wanted = None;
        return Vec::new();
    }
    if !refresh && let Some(flight) = detail.in_flight.as_ref().filter(|f| f.key == key) {
        detail.load = DetailLoad::Loading(Some(flight.id));
        detail.wanted = None;
        return Vec::new();
    }
    let query = RetrieveQuery {
        id: key.id.clone(),
        issue: key.issue,
    };
    let request = if key.clinical {
        TrackerRequest::ClinicalDetail(query)
    } else {
        TrackerRequest::Retrieve(query)
    };
    if let Err(error) = request.validate_with(state.today, known) {
        state.detail.wanted = None;
        state.detail.load =
            DetailLoad::Failed(Failure::new(FailureKind::Invalid, error.to_string()));
        return Vec::new();
    }
    let rested = when != When::Rested;
    state.detail.wanted = Some(Wanted {
        key,
        request,
        rested,
    });
    state.detail.load = DetailLoad::Loading(None);
    if !rested {
        return vec![Cmd::FetchWhenRested];
    }
    // Asked for at once: whatever is in flight for another row gives way.
    let mut cmds = Vec::new();
    if let Some(flight) = state.detail.in_flight.take() {
        cmds.push(Cmd::Cancel(flight.id));
    }
    cmds.extend(send_wanted(state));
    cmds
}

/// Sends again whatever failed or was cancelled (the list, else the detail) when trying
/// again can help; on the detail pane, fetches the shown prescription afresh.
pub fn retry(state: &mut State) -> Vec<Cmd> {
    match &state.list {
        ListState::Failed { failure, .. } if !failure.retryable() => {
            return no_retry(state, failure.advice());
        }
        ListState::Failed { request, .. } | ListState::Cancelled { request } => {
            let request = request.clone();
            return send_list(state, request);
        }
        _ => {}
    }
    let when = match &state.detail.load {
        DetailLoad::Failed(failure) if !failure.retryable() => {
            return no_retry(state, failure.advice());
        }
        DetailLoad::Failed(_) | DetailLoad::Cancelled => Some(When::Now),
        DetailLoad::Idle if state.focus == Pane::Detail && state.detail.shown().is_some() => {
            Some(When::Refresh)
        }
        _ => None,
    };
    if let Some(when) = when
        && let Some(key) = state.detail.showing.clone()
    {
        let listed = state
            .list
            .ready()
            .and_then(|l| l.prescriptions.iter().find(|p| p.id == key.id));
        let known = KnownPrescription {
            repeat_dispensing: listed.is_some_and(Prescription::is_repeat_dispensing),
            total_issues: listed.and_then(|p| p.total_issues),
        };
        let current = listed.and_then(|p| p.current_issue);
        return show(state, key, known, current, when);
    }
    state.notice = Some("Nothing to retry.".into());
    Vec::new()
}

/// Retry refused: sending the same request again would get the same refusal (and add
/// another record of it to the audit trail).
fn no_retry(state: &mut State, advice: &str) -> Vec<Cmd> {
    state.notice = Some(format!("Trying again will not help. {advice}"));
    Vec::new()
}
