//! `update` tests for what the helpdesk sees: the search window, filters that never carry
//! over to the next caller, and the keys that start a new query.

use ratatui::crossterm::event::KeyCode;

use super::form::{Field, QueryMode};
use super::tests::{
    ERD, NHS, ctrl, key, only_fetch, rest, signed_in, signed_in_with, today, type_text, welcome,
};
use super::*;
use crate::tracker::query::TrackerRequest;

/// `update`, with the person pausing after each key: a detail waiting for the selection to
/// rest is sent (what these tests look at is what is asked for, not when).
fn update(state: &mut State, msg: Msg) -> Vec<Cmd> {
    let cmds = super::update(state, msg);
    rest(state, cmds)
}

fn sent_search(state: &mut State) -> crate::tracker::query::SearchQuery {
    let (_, request) = only_fetch(&update(state, key(KeyCode::Enter)));
    match request {
        TrackerRequest::Search(q) | TrackerRequest::ClinicalSummary(q) => q,
        other => panic!("not a search: {other:?}"),
    }
}

#[test]
fn a_default_search_sends_the_configured_window_explicitly() {
    let mut state = signed_in();
    type_text(&mut state, NHS);
    let q = sent_search(&mut state);
    assert_eq!(q.earliest, Some(today() - chrono::Days::new(730)));
    assert_eq!(q.latest, None);
}

#[test]
fn the_window_setting_reaches_the_form_and_survives_sign_in() {
    let settings = Settings {
        search_window_days: 28,
        ..Settings::default()
    };
    let mut state = signed_in_with(settings, "helpdesk", welcome());
    type_text(&mut state, NHS);
    let q = sent_search(&mut state);
    assert_eq!(q.earliest, Some(today() - chrono::Days::new(28)));
}

#[test]
fn a_typed_earliest_date_wins_over_the_window() {
    let mut state = signed_in();
    type_text(&mut state, NHS);
    update(&mut state, key(KeyCode::Down));
    type_text(&mut state, "-90d");
    let q = sent_search(&mut state);
    assert_eq!(q.earliest, Some(today() - chrono::Days::new(90)));
}

/// Sets a status filter and an EPS version, as the last caller's search left them.
fn with_filters(state: &mut State) {
    type_text(state, NHS);
    for _ in 0..3 {
        update(state, key(KeyCode::Down));
    }
    assert_eq!(state.form.focused(), Field::Status);
    update(state, key(KeyCode::Right));
    update(state, key(KeyCode::Down));
    update(state, key(KeyCode::Right));
    assert!(state.form.status.is_some());
    assert_ne!(state.form.version, super::form::VersionChoice::Any);
}

#[test]
fn new_caller_clears_the_form_filters_list_and_detail() {
    let mut state = signed_in();
    with_filters(&mut state);
    update(&mut state, key(KeyCode::Enter));
    assert!(state.list.loading().is_some());
    let cmds = update(&mut state, ctrl('n'));
    assert!(
        cmds.iter().any(|c| matches!(c, Cmd::Cancel(_))),
        "the last caller's search is cancelled: {cmds:?}"
    );
    assert!(matches!(state.list, ListState::Empty));
    assert_eq!(state.focus, Pane::Query);
    assert_eq!(state.form.focused(), Field::Nhs);
    assert_eq!(state.form.nhs.value(), "");
    assert_eq!(state.form.status, None);
    assert_eq!(state.form.version, super::form::VersionChoice::Any);
    assert_eq!(state.form.window_days, 730);
    type_text(&mut state, NHS);
    let q = sent_search(&mut state);
    assert_eq!((q.status, q.version), (None, None));
}

#[test]
fn n_returns_to_the_number_with_its_text_selected_and_typing_replaces_it() {
    let mut state = signed_in();
    type_text(&mut state, NHS);
    update(&mut state, key(KeyCode::Down));
    update(&mut state, key(KeyCode::Enter));
    // The first Esc cancels the search in flight, the second leaves the form; then `n`.
    update(&mut state, key(KeyCode::Esc));
    assert_eq!(state.focus, Pane::Query);
    update(&mut state, key(KeyCode::Esc));
    assert_eq!(state.focus, Pane::Results);
    update(&mut state, key(KeyCode::Char('n')));
    assert_eq!(state.focus, Pane::Query);
    assert_eq!(state.form.focused(), Field::Nhs);
    assert!(state.form.selected);
    type_text(&mut state, "9990100098");
    assert_eq!(state.form.nhs.value(), "9990100098");
    assert!(!state.form.selected);
}

#[test]
fn esc_leaves_the_form_when_nothing_is_in_flight() {
    let mut state = signed_in();
    type_text(&mut state, "999");
    assert!(update(&mut state, key(KeyCode::Esc)).is_empty());
    assert_eq!(state.focus, Pane::Results);
    assert_eq!(state.form.nhs.value(), "999", "Esc keeps what was typed");
}

#[test]
fn a_pasted_id_replaces_a_number_and_switches_mode_and_a_pasted_number_replaces_too() {
    let mut state = signed_in();
    type_text(&mut state, "9990100101");
    update(&mut state, Msg::Paste(ERD.to_string()));
    assert_eq!(state.form.mode, QueryMode::Retrieve);
    assert_eq!(state.form.prescription_id.value(), ERD);
    assert_eq!(state.form.nhs.value(), "");
    update(&mut state, Msg::Paste(" 999 054 8609\n".to_string()));
    assert_eq!(state.form.mode, QueryMode::Search);
    assert_eq!(state.form.nhs.value(), "999 054 8609");
}

#[test]
fn a_pasted_date_still_goes_into_the_date_field() {
    let mut state = signed_in();
    update(&mut state, key(KeyCode::Down));
    update(&mut state, Msg::Paste("-90d".to_string()));
    assert_eq!(state.form.earliest.value(), "-90d");
    assert_eq!(state.form.mode, QueryMode::Search);
}

// ---- issues told truthfully ----

use super::detail::DetailLoad;
use super::msg::Answer;
use super::tests::{answer, erd_issue, searched};
use crate::tracker::model::{ResponseKind, SpineError};

fn fetched(state: &mut State, id: RequestId, answer: Answer) -> Vec<Cmd> {
    update(
        state,
        Msg::Fetched {
            id,
            result: Ok(answer),
        },
    )
}

/// Retrieve mode, the eRD's ID and an issue number (blank for none), Clinical as given.
fn retrieve(state: &mut State, issue: &str, clinical: bool) -> (RequestId, TrackerRequest) {
    state.form.clinical_allowed = clinical;
    state.form.clinical = clinical;
    update(state, ctrl('t'));
    type_text(state, ERD);
    update(state, key(KeyCode::Down));
    type_text(state, issue);
    only_fetch(&update(state, key(KeyCode::Enter)))
}

#[test]
fn next_issue_at_the_last_of_a_listed_total_sends_nothing() {
    let (mut state, first, _) = searched();
    // Down waits behind the first row's detail; once that answers, the eRD's is sent.
    update(&mut state, key(KeyCode::Down));
    let first_answer = answer(ResponseKind::Retrieve, Vec::new(), "t1");
    let (id, _) = only_fetch(&fetched(&mut state, first, first_answer));
    // The search answer gave the total (6) and the current issue (3).
    assert_eq!(
        state.list.ready().unwrap().selected().unwrap().total_issues,
        Some(6)
    );
    fetched(
        &mut state,
        id,
        answer(ResponseKind::Retrieve, vec![erd_issue(3, 3)], "t3"),
    );
    for n in 4..=6 {
        let (id, _) = only_fetch(&update(&mut state, key(KeyCode::Char(']'))));
        fetched(
            &mut state,
            id,
            answer(ResponseKind::Retrieve, vec![erd_issue(n, 3)], "t"),
        );
    }
    assert!(update(&mut state, key(KeyCode::Char(']'))).is_empty());
    assert_eq!(state.notice.as_deref(), Some("Issue 6 is the last of 6."));
    assert!(matches!(state.detail.load, DetailLoad::Idle));
}

#[test]
fn stepping_past_an_unknown_last_issue_keeps_the_last_one_and_says_so() {
    let mut state = signed_in();
    let (id, _) = retrieve(&mut state, "", false);
    let mut p = erd_issue(6, 6);
    p.total_issues = None;
    fetched(
        &mut state,
        id,
        answer(ResponseKind::Retrieve, vec![p.clone()], "t6"),
    );
    let (id, request) = only_fetch(&update(&mut state, key(KeyCode::Char(']'))));
    assert!(matches!(request, TrackerRequest::Retrieve(q) if q.issue == Some(7)));
    let mut blank = p;
    blank.issues.clear();
    let mut reply = answer(ResponseKind::Retrieve, vec![blank], "t7");
    reply.response.notice = Some(SpineError::new("3", "Issue not found"));
    fetched(&mut state, id, reply);
    assert!(matches!(state.detail.load, DetailLoad::Idle));
    assert_eq!(state.detail.shown().unwrap().issue_number(), Some(6));
    assert_eq!(state.notice.as_deref(), Some("Issue 6 is the last of 6."));
    // Known now: no second request.
    assert!(update(&mut state, key(KeyCode::Char(']'))).is_empty());
}

#[test]
fn a_retrieve_for_an_issue_that_does_not_exist_says_so_and_shows_the_current_one() {
    let mut state = signed_in();
    let (id, request) = retrieve(&mut state, "9", false);
    assert!(matches!(request, TrackerRequest::Retrieve(q) if q.issue == Some(9)));
    let mut blank = erd_issue(2, 2);
    blank.issues.clear();
    let mut reply = answer(ResponseKind::Retrieve, vec![blank], "TRACE-ISSUE-9");
    reply.response.notice = Some(SpineError::new("3", "Issue not found"));
    let (id, request) = only_fetch(&fetched(&mut state, id, reply));
    assert!(matches!(request, TrackerRequest::Retrieve(q) if q.issue.is_none()));
    let (_, note) = state.detail.note.clone().unwrap();
    assert_eq!(
        note,
        "Issue 9 does not exist (trace ID TRACE-ISSUE-9). Showing the current issue, which is \
         issue 2."
    );
    fetched(
        &mut state,
        id,
        answer(ResponseKind::Retrieve, vec![erd_issue(2, 2)], "t2"),
    );
    assert_eq!(state.detail.shown().unwrap().issue_number(), Some(2));
    let row = state.list.ready().unwrap().selected().unwrap();
    assert_eq!(
        row.current_issue,
        Some(2),
        "the row gets the current issue's status"
    );
    assert!(!row.issues.is_empty());
}

#[test]
fn a_clinical_retrieve_with_no_issue_looks_up_the_current_issue_first() {
    let mut state = signed_in();
    let (id, request) = retrieve(&mut state, "", true);
    assert!(
        matches!(&request, TrackerRequest::Retrieve(q) if q.issue.is_none()),
        "basic look-up first: {request:?}"
    );
    let cmds = fetched(
        &mut state,
        id,
        answer(ResponseKind::Retrieve, vec![erd_issue(2, 2)], "t-basic"),
    );
    let (id, request) = only_fetch(&cmds);
    assert!(
        matches!(&request, TrackerRequest::ClinicalDetail(q) if q.issue == Some(2)),
        "{request:?}"
    );
    assert!(
        state.detail.shown().is_none(),
        "the basic answer is not the clinical detail"
    );
    let mut clinical = erd_issue(2, 2);
    clinical.answered_issue = clinical.current_issue.take();
    fetched(
        &mut state,
        id,
        answer(ResponseKind::ClinicalDetail, vec![clinical], "t-c"),
    );
    assert_eq!(state.detail.shown().unwrap().issue_number(), Some(2));
}

#[test]
fn a_cached_clinical_issue_is_never_shown_as_the_current_one() {
    let mut state = signed_in();
    // Clinical detail of issue 1, asked for by number.
    let (id, _) = retrieve(&mut state, "1", true);
    let mut issue_1 = erd_issue(1, 2);
    issue_1.answered_issue = Some(1);
    issue_1.current_issue = None;
    fetched(
        &mut state,
        id,
        answer(ResponseKind::ClinicalDetail, vec![issue_1], "t1"),
    );
    // Then a clinical search whose row says issue 2 is current.
    state.focus = Pane::Query;
    update(&mut state, ctrl('t'));
    assert_eq!(state.form.mode, QueryMode::Search);
    type_text(&mut state, NHS);
    let (id, _) = only_fetch(&update(&mut state, key(KeyCode::Enter)));
    let mut row = erd_issue(2, 2);
    row.total_issues = Some(6);
    let (_, request) = only_fetch(&fetched(
        &mut state,
        id,
        answer(ResponseKind::ClinicalSummary, vec![row], "t-search"),
    ));
    assert!(
        matches!(&request, TrackerRequest::ClinicalDetail(q) if q.issue == Some(2)),
        "issue 2 is fetched, not issue 1 from the cache: {request:?}"
    );
}

// ---- minor findings ----

#[test]
fn enter_on_an_empty_group_opens_nothing() {
    let (mut state, _, _) = searched();
    // Every group holds something, so filter the shown one to nothing; the first Enter
    // closes the filter field.
    update(&mut state, key(KeyCode::Char('/')));
    type_text(&mut state, "zzz");
    update(&mut state, key(KeyCode::Enter));
    assert!(update(&mut state, key(KeyCode::Enter)).is_empty());
    assert_eq!(state.focus, Pane::Results);
}

#[test]
fn an_earliest_date_in_the_future_is_not_sent() {
    let mut state = signed_in();
    type_text(&mut state, NHS);
    update(&mut state, key(KeyCode::Down));
    type_text(&mut state, "+7d");
    assert!(update(&mut state, key(KeyCode::Enter)).is_empty());
    let note = state.form.note.clone().unwrap();
    assert!(note.contains("in the future"), "{note}");
}

#[test]
fn code_2_advice_is_to_search_by_nhs_number() {
    let mut failure = super::msg::Failure::new(super::msg::FailureKind::Spine, "sibling");
    failure.spine = Some(SpineError::new("2", "Sibling found"));
    assert_eq!(
        failure.advice(),
        "Search by the patient's NHS number instead."
    );
}
