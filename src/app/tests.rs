//! `update` tests: one or more per message, driving the state the way keys and the
//! runtime's answers do.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::form::QueryMode;
use super::msg::{Secret, SignInReply, Welcome};
use super::scroll::Scroll;
use super::state::Who;
use super::*;

pub fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub fn ctrl(ch: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(ch), KeyModifiers::CONTROL))
}

pub fn type_text(state: &mut State, text: &str) -> Vec<Cmd> {
    let mut cmds = Vec::new();
    for ch in text.chars() {
        cmds.extend(update(state, key(KeyCode::Char(ch))));
    }
    cmds
}

pub fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

fn who() -> Who {
    Who {
        display_name: "Hélène Desk".into(),
        user_id: "helpdesk".into(),
        role: "helpdesk".into(),
        organisation: "NHS England (X26)".into(),
    }
}

/// Signs in through the form, as a user would, and returns the state.
pub fn signed_in() -> State {
    signed_in_as("helpdesk", welcome())
}

/// The helpdesk user's welcome: no clinical detail, no PDS.
pub fn welcome() -> Welcome {
    Welcome {
        who: who(),
        clinical_allowed: false,
        patient_allowed: false,
        elsewhere: None,
    }
}

/// Signed in as `user`, the runtime answering with `welcome`.
fn signed_in_as(user: &str, welcome: Welcome) -> State {
    signed_in_with(Settings::default(), user, welcome)
}

/// Signed in as `user` with `settings`, the runtime answering with `welcome`.
pub fn signed_in_with(settings: Settings, user: &str, welcome: Welcome) -> State {
    let mut state = State::new(settings, today());
    type_text(&mut state, user);
    update(&mut state, key(KeyCode::Enter));
    type_text(&mut state, "sandbox-demo");
    let cmds = update(&mut state, key(KeyCode::Enter));
    let Some(Cmd::SignIn { id, .. }) = cmds.first() else {
        panic!("no sign-in command: {cmds:?}");
    };
    update(
        &mut state,
        Msg::SignInDone {
            id: *id,
            result: Ok(SignInReply::Welcome(welcome)),
        },
    );
    state
}

#[test]
fn sign_in_sends_the_typed_credentials_once() {
    let mut state = State::new(Settings::default(), today());
    assert!(type_text(&mut state, "helpdesk").is_empty());
    assert!(update(&mut state, key(KeyCode::Enter)).is_empty());
    type_text(&mut state, "sandbox-demo");
    let cmds = update(&mut state, key(KeyCode::Enter));
    assert_eq!(
        cmds,
        vec![Cmd::SignIn {
            id: RequestId(1),
            user: "helpdesk".into(),
            password: Secret(zeroize::Zeroizing::new("sandbox-demo".into())),
        }]
    );
    // A second Enter while the check runs does not send again.
    assert!(update(&mut state, key(KeyCode::Enter)).is_empty());
    assert!(state.busy());
}

#[test]
fn sign_in_says_what_is_missing() {
    let mut state = State::new(Settings::default(), today());
    update(&mut state, key(KeyCode::Enter));
    let note = state.signin.as_ref().and_then(|f| f.note.clone()).unwrap();
    assert!(note.is_error && note.text.contains("user ID"), "{note:?}");
    type_text(&mut state, "helpdesk");
    update(&mut state, key(KeyCode::Enter));
    update(&mut state, key(KeyCode::Enter));
    let note = state.signin.as_ref().and_then(|f| f.note.clone()).unwrap();
    assert!(note.text.contains("password"), "{note:?}");
}

#[test]
fn q_is_text_while_typing_and_ctrl_c_always_quits() {
    let mut state = State::new(Settings::default(), today());
    type_text(&mut state, "q");
    assert!(!state.quit);
    assert_eq!(state.signin.as_ref().unwrap().user.value(), "q");
    update(&mut state, ctrl('c'));
    assert!(state.quit);
}

#[test]
fn a_refused_sign_in_shows_the_reason_and_keeps_the_user() {
    let mut state = State::new(Settings::default(), today());
    type_text(&mut state, "helpdesk");
    update(&mut state, key(KeyCode::Enter));
    type_text(&mut state, "wrong");
    let cmds = update(&mut state, key(KeyCode::Enter));
    let Some(Cmd::SignIn { id, .. }) = cmds.first() else {
        panic!("{cmds:?}")
    };
    update(
        &mut state,
        Msg::SignInDone {
            id: *id,
            result: Err("Wrong user ID or password.".into()),
        },
    );
    let form = state.signin.as_ref().unwrap();
    assert_eq!(form.user.value(), "helpdesk");
    assert!(form.password.is_empty());
    assert_eq!(
        form.note.as_ref().unwrap().text,
        "Wrong user ID or password."
    );
    assert!(!state.busy());
}

#[test]
fn a_stale_sign_in_answer_is_dropped() {
    let mut state = State::new(Settings::default(), today());
    type_text(&mut state, "helpdesk");
    update(&mut state, key(KeyCode::Enter));
    type_text(&mut state, "pw");
    update(&mut state, key(KeyCode::Enter));
    update(&mut state, key(KeyCode::Esc));
    assert!(!state.busy());
    update(
        &mut state,
        Msg::SignInDone {
            id: RequestId(1),
            result: Ok(SignInReply::Welcome(Welcome {
                who: who(),
                clinical_allowed: true,
                patient_allowed: false,
                elsewhere: None,
            })),
        },
    );
    assert!(
        state.session.is_none(),
        "a cancelled sign-in must not sign in"
    );
    assert!(state.signin.is_some());
}

#[test]
fn esc_cancels_the_sign_in_in_flight() {
    let mut state = State::new(Settings::default(), today());
    type_text(&mut state, "helpdesk");
    update(&mut state, key(KeyCode::Enter));
    type_text(&mut state, "pw");
    update(&mut state, key(KeyCode::Enter));
    assert_eq!(
        update(&mut state, key(KeyCode::Esc)),
        vec![Cmd::Cancel(RequestId(1))]
    );
}

#[test]
fn signing_in_opens_the_query_pane() {
    let state = signed_in();
    assert!(state.signin.is_none());
    assert!(state.signed_in());
    assert_eq!(state.focus, Pane::Query);
    assert_eq!(state.form.mode, QueryMode::Search);
}

#[test]
fn help_opens_and_closes_and_q_quits_from_it() {
    let mut state = signed_in();
    update(&mut state, key(KeyCode::Tab));
    update(&mut state, key(KeyCode::Char('?')));
    assert_eq!(state.help.as_ref().map(Scroll::line), Some(0));
    update(&mut state, key(KeyCode::Down));
    assert_eq!(state.help.as_ref().map(Scroll::line), Some(1));
    update(&mut state, key(KeyCode::Esc));
    assert!(state.help.is_none());
    update(&mut state, key(KeyCode::F(1)));
    update(&mut state, key(KeyCode::Char('q')));
    assert!(state.quit);
}

#[test]
fn idle_countdown_shows_then_any_key_keeps_the_session() {
    let mut state = signed_in();
    update(&mut state, Msg::IdleCountdown(119));
    assert!(state.idle_warning().unwrap().contains("1:59"));
    let before = state.form.nhs.value().to_string();
    update(&mut state, key(KeyCode::Char('9')));
    assert_eq!(state.idle_lock_in, None);
    assert_eq!(
        state.form.nhs.value(),
        before,
        "the waking key is not typed"
    );
}

#[test]
fn idle_lock_hides_everything_and_asks_only_for_the_password() {
    let mut state = signed_in();
    type_text(&mut state, "999");
    update(&mut state, Msg::IdleLock);
    assert!(state.clear_screen);
    let form = state.signin.as_ref().unwrap();
    assert_eq!(form.locked_user.as_deref(), Some("helpdesk"));
    type_text(&mut state, "x");
    assert_eq!(state.signin.as_ref().unwrap().user.value(), "helpdesk");
    assert_eq!(state.signin.as_ref().unwrap().password.len(), 1);
}

#[test]
fn signals_quit() {
    let mut state = signed_in();
    update(&mut state, Msg::Terminate);
    assert!(state.quit);
}

#[test]
fn ticks_turn_the_spinner_only_while_busy() {
    let mut state = signed_in();
    state.dirty = false;
    update(&mut state, Msg::Tick);
    assert!(!state.dirty, "an idle tick must not cause a redraw");
}

// ---- search, list, detail ----

use super::detail::DetailLoad;
use super::msg::{Answer, Failure, FailureKind};
use crate::tracker::ids::{NhsNumber, PrescriptionId};
use crate::tracker::model::{
    Coded, Issue, LineItem, LineItemStatus, Prescription, PrescriptionStatus, ResponseKind,
    SpineDate, SpineError, StatusGroup, TrackerResponse, TreatmentType,
};
use crate::tracker::query::TrackerRequest;

pub const NHS: &str = "9990548609";
pub const ACUTE: &str = "A3B4D9-Z42475-11E6B+";
pub const ERD: &str = "0FBD16-C81007-00001S";

pub fn day(y: i32, m: u32, d: u32) -> Option<SpineDate> {
    chrono::NaiveDate::from_ymd_opt(y, m, d).map(SpineDate::Day)
}

pub fn prescription(
    id: &str,
    status: PrescriptionStatus,
    text: &str,
    treatment: TreatmentType,
    issued: u32,
) -> Prescription {
    let mut p = Prescription::new(
        PrescriptionId::parse(id).unwrap(),
        NhsNumber::parse(NHS).unwrap(),
    );
    p.treatment = Some(Coded::new(treatment, "treatment"));
    p.issue_date = day(2026, 11, issued);
    p.last_event_date = day(2026, 11, issued + 1);
    let mut issue = Issue::numbered(1);
    issue.status = Some(Coded::new(status, text));
    issue.line_items.push(LineItem {
        status: Some(Coded::new(LineItemStatus::ToBeDispensed, "To Be Dispensed")),
        ..LineItem::default()
    });
    p.issues.push(issue);
    p.current_issue = Some(1);
    p
}

/// An eRD prescription at issue `n` of 6, as a retrieve of that issue returns it.
pub fn erd_issue(n: u32, current: u32) -> Prescription {
    let (status, text) = if n < current {
        (PrescriptionStatus::Dispensed, "Dispensed")
    } else if n == current {
        (PrescriptionStatus::WithDispenser, "With Dispenser")
    } else {
        (
            PrescriptionStatus::RepeatDispenseFutureInstance,
            "Repeat Dispense future instance",
        )
    };
    let mut p = prescription(ERD, status, text, TreatmentType::RepeatDispensing, 2);
    p.issues[0].number = n;
    p.current_issue = Some(current);
    p.total_issues = Some(6);
    p.pending_cancellation = true;
    p
}

pub fn search_results() -> Vec<Prescription> {
    let mut erd = erd_issue(3, 3);
    // A search lists the current issue only.
    erd.issues[0].number = 3;
    vec![
        prescription(
            ACUTE,
            PrescriptionStatus::ToBeDispensed,
            "To Be Dispensed",
            TreatmentType::Acute,
            10,
        ),
        erd,
        prescription(
            "9C18AE6F-510D-F7A3-E050-D20AE3A231C8K",
            PrescriptionStatus::Claimed,
            "Claimed",
            TreatmentType::Repeat,
            1,
        ),
    ]
}

pub fn answer(kind: ResponseKind, prescriptions: Vec<Prescription>, trace: &str) -> Answer {
    Answer {
        trace_id: Some(trace.to_string()),
        response: TrackerResponse {
            kind,
            prescriptions,
            notice: None,
            warnings: Vec::new(),
        },
    }
}

/// What the runtime does after a `FetchWhenRested`: once the selection has rested, it says
/// so.
pub fn rest(state: &mut State, mut cmds: Vec<Cmd>) -> Vec<Cmd> {
    if cmds.contains(&Cmd::FetchWhenRested) {
        cmds.extend(update(state, Msg::Rested));
    }
    cmds
}

pub fn only_fetch(cmds: &[Cmd]) -> (RequestId, TrackerRequest) {
    let fetches: Vec<_> = cmds
        .iter()
        .filter_map(|c| match c {
            Cmd::Fetch { id, request } => Some((*id, request.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(fetches.len(), 1, "{cmds:?}");
    fetches.into_iter().next().unwrap()
}

/// Signed in, searched for NHS, list answered; returns the detail request sent for the
/// first selected prescription.
pub fn searched() -> (State, RequestId, TrackerRequest) {
    let mut state = signed_in();
    type_text(&mut state, NHS);
    let cmds = update(&mut state, key(KeyCode::Enter));
    let (id, request) = only_fetch(&cmds);
    assert!(matches!(request, TrackerRequest::Search(_)), "{request:?}");
    let cmds = update(
        &mut state,
        Msg::Fetched {
            id,
            result: Ok(answer(
                ResponseKind::Search,
                search_results(),
                "trace-search",
            )),
        },
    );
    assert_eq!(
        cmds,
        vec![Cmd::FetchWhenRested],
        "nothing sent before the selection rests"
    );
    let cmds = rest(&mut state, cmds);
    let (detail_id, detail_request) = only_fetch(&cmds);
    (state, detail_id, detail_request)
}

#[test]
fn enter_with_a_bad_nhs_number_sends_nothing_and_says_why() {
    let mut state = signed_in();
    type_text(&mut state, "9990548608");
    assert!(update(&mut state, key(KeyCode::Enter)).is_empty());
    let note = state.form.note.clone().unwrap();
    assert!(note.contains("check digit"), "{note}");
}

#[test]
fn earliest_after_latest_is_refused_beside_the_latest_date() {
    let mut state = signed_in();
    type_text(&mut state, NHS);
    update(&mut state, key(KeyCode::Down));
    type_text(&mut state, "2026-11-20");
    update(&mut state, key(KeyCode::Down));
    type_text(&mut state, "01/11/2026");
    match state.form.verdict(super::form::Field::Latest, state.today) {
        super::form::Verdict::Error(e) => assert!(e.contains("after the latest"), "{e}"),
        other => panic!("{other:?}"),
    }
    assert!(update(&mut state, key(KeyCode::Enter)).is_empty());
}

#[test]
fn an_old_latest_date_with_no_earliest_searches_the_window_before_it() {
    let mut state = signed_in();
    type_text(&mut state, NHS);
    update(&mut state, key(KeyCode::Down));
    update(&mut state, key(KeyCode::Down));
    type_text(&mut state, "-60d");
    assert_eq!(
        state.form.verdict(super::form::Field::Latest, state.today),
        super::form::Verdict::Fine
    );
    let (_, request) = only_fetch(&update(&mut state, key(KeyCode::Enter)));
    let TrackerRequest::Search(q) = request else {
        panic!("{request:?}")
    };
    let latest = today() - chrono::Days::new(60);
    assert_eq!(q.latest, Some(latest));
    assert_eq!(q.earliest, Some(latest - chrono::Days::new(730)));
}

#[test]
fn pasting_a_prescription_id_into_the_nhs_field_switches_to_retrieve() {
    let mut state = signed_in();
    update(&mut state, Msg::Paste(ERD.to_string()));
    assert_eq!(state.form.mode, QueryMode::Retrieve);
    assert_eq!(state.form.prescription_id.value(), ERD);
    let (_, request) = only_fetch(&update(&mut state, key(KeyCode::Enter)));
    assert!(matches!(request, TrackerRequest::Retrieve(q) if q.id.as_str() == ERD));
}

#[test]
fn a_search_answer_lists_groups_and_fetches_the_selected_detail() {
    let (state, _, request) = searched();
    let list = state.list.ready().unwrap();
    assert_eq!(list.group, StatusGroup::Current);
    assert_eq!(list.count(StatusGroup::Current), 2);
    assert_eq!(list.count(StatusGroup::Past), 1);
    // Newest first: the acute from the 10th before the eRD from the 2nd.
    assert_eq!(list.selected_id().unwrap().as_str(), ACUTE);
    assert_eq!(state.focus, Pane::Results);
    assert_eq!(state.last_trace.as_deref(), Some("trace-search"));
    assert!(
        matches!(request, TrackerRequest::Retrieve(q) if q.id.as_str() == ACUTE && q.issue.is_none())
    );
}

#[test]
fn a_stale_search_answer_is_dropped() {
    let mut state = signed_in();
    type_text(&mut state, NHS);
    let (first, _) = only_fetch(&update(&mut state, key(KeyCode::Enter)));
    let cmds = update(&mut state, key(KeyCode::Enter));
    assert!(cmds.contains(&Cmd::Cancel(first)), "{cmds:?}");
    let (second, _) = only_fetch(&cmds);
    state.dirty = false;
    update(
        &mut state,
        Msg::Fetched {
            id: first,
            result: Ok(answer(ResponseKind::Search, Vec::new(), "old")),
        },
    );
    assert!(!state.dirty, "a stale answer must not redraw");
    assert_eq!(state.list.loading(), Some(second));
    assert_eq!(state.last_trace, None);
}

#[test]
fn esc_cancels_the_search_and_r_retries_it() {
    let mut state = signed_in();
    type_text(&mut state, NHS);
    let (id, request) = only_fetch(&update(&mut state, key(KeyCode::Enter)));
    update(&mut state, key(KeyCode::Tab));
    let cmds = update(&mut state, key(KeyCode::Esc));
    assert_eq!(cmds, vec![Cmd::Cancel(id)]);
    assert!(matches!(state.list, ListState::Cancelled { .. }));
    assert!(!state.busy());
    let (again, resent) = only_fetch(&update(&mut state, key(KeyCode::Char('r'))));
    assert_ne!(again, id);
    assert_eq!(resent, request);
}

#[test]
fn a_failed_search_shows_the_failure_with_its_trace_and_retries() {
    let mut state = signed_in();
    type_text(&mut state, NHS);
    let (id, _) = only_fetch(&update(&mut state, key(KeyCode::Enter)));
    let mut failure = Failure::new(FailureKind::Gateway, "the Spine gateway answered 502");
    failure.trace_id = Some("trace-502".into());
    update(
        &mut state,
        Msg::Fetched {
            id,
            result: Err(failure.clone()),
        },
    );
    match &state.list {
        ListState::Failed { failure: shown, .. } => assert_eq!(shown, &failure),
        other => panic!("{other:?}"),
    }
    assert_eq!(state.last_trace.as_deref(), Some("trace-502"));
    update(&mut state, key(KeyCode::Tab));
    assert_eq!(update(&mut state, key(KeyCode::Char('r'))).len(), 1);
}

#[test]
fn a_refusal_by_role_is_shown_and_not_offered_for_retry() {
    let mut state = signed_in();
    type_text(&mut state, NHS);
    let (id, _) = only_fetch(&update(&mut state, key(KeyCode::Enter)));
    let failure = Failure::new(
        FailureKind::Denied,
        "the helpdesk role cannot see clinical detail (tracker.clinical)",
    );
    assert!(!failure.retryable());
    update(
        &mut state,
        Msg::Fetched {
            id,
            result: Err(failure),
        },
    );
    assert!(
        matches!(&state.list, ListState::Failed { failure, .. } if failure.kind == FailureKind::Denied)
    );
    // Asking again would only add another refusal to the audit trail.
    state.focus = Pane::Results;
    assert!(update(&mut state, key(KeyCode::Char('r'))).is_empty());
    assert!(
        state.notice.as_deref().unwrap().contains("will not help"),
        "{:?}",
        state.notice
    );
}

#[test]
fn clinical_toggle_is_only_offered_to_roles_that_have_it() {
    let state = signed_in();
    assert!(!state.form.fields().contains(&super::form::Field::Clinical));
    let mut state = State::new(Settings::default(), today());
    state.form.clinical_allowed = true;
    assert!(state.form.fields().contains(&super::form::Field::Clinical));
}

#[test]
fn a_spine_error_is_kept_with_code_and_reason() {
    let mut state = signed_in();
    type_text(&mut state, NHS);
    let (id, _) = only_fetch(&update(&mut state, key(KeyCode::Enter)));
    let mut failure = Failure::new(FailureKind::Spine, "no prescription found");
    failure.spine = Some(SpineError::new("1", "Prescription not found"));
    update(
        &mut state,
        Msg::Fetched {
            id,
            result: Err(failure),
        },
    );
    let ListState::Failed { failure, .. } = &state.list else {
        panic!()
    };
    assert_eq!(failure.spine.as_ref().unwrap().code, "1");
}

#[test]
fn the_new_detail_waits_for_the_one_in_flight_and_only_the_latest_waits() {
    let (mut state, first, _) = searched();
    // Moving on: nothing is sent until the selection rests, and then only once the
    // request in flight has answered (it is not cancelled: its answer is cached).
    assert_eq!(
        update(&mut state, key(KeyCode::Down)),
        vec![Cmd::FetchWhenRested]
    );
    assert!(update(&mut state, Msg::Rested).is_empty());
    assert!(matches!(state.detail.load, DetailLoad::Loading(None)));
    let acute = search_results().remove(0);
    let cmds = update(
        &mut state,
        Msg::Fetched {
            id: first,
            result: Ok(answer(ResponseKind::Retrieve, vec![acute], "t1")),
        },
    );
    let (_, request) = only_fetch(&cmds);
    assert!(matches!(request, TrackerRequest::Retrieve(q) if q.id.as_str() == ERD));
    // The first row's detail came back meanwhile: moving back shows it at once.
    assert!(update(&mut state, key(KeyCode::Up)).is_empty());
    assert!(state.detail.shown().is_some());
}

#[test]
fn rows_passed_over_send_nothing_and_the_resting_row_one_request() {
    let (mut state, first, _) = searched();
    update(
        &mut state,
        Msg::Fetched {
            id: first,
            result: Err(Failure::new(FailureKind::Network, "no answer")),
        },
    );
    let mut cmds = Vec::new();
    for _ in 0..20 {
        cmds.extend(update(&mut state, key(KeyCode::Down)));
        cmds.extend(update(&mut state, key(KeyCode::Up)));
    }
    cmds.extend(update(&mut state, key(KeyCode::Down)));
    assert!(
        cmds.iter().all(|c| *c == Cmd::FetchWhenRested),
        "no request for rows passed over: {cmds:?}"
    );
    let (_, request) = only_fetch(&update(&mut state, Msg::Rested));
    assert!(matches!(request, TrackerRequest::Retrieve(q) if q.id.as_str() == ERD));
}

#[test]
fn enter_fetches_at_once_and_the_request_it_replaces_is_cancelled() {
    let (mut state, first, _) = searched();
    update(&mut state, key(KeyCode::Down));
    let cmds = update(&mut state, key(KeyCode::Enter));
    assert!(cmds.contains(&Cmd::Cancel(first)), "{cmds:?}");
    let (_, request) = only_fetch(&cmds);
    assert!(matches!(request, TrackerRequest::Retrieve(q) if q.id.as_str() == ERD));
    assert_eq!(state.focus, Pane::Detail);
}

#[test]
fn a_new_search_fetches_a_cached_detail_again() {
    let (mut state, first, _) = searched();
    update(
        &mut state,
        Msg::Fetched {
            id: first,
            result: Ok(answer(
                ResponseKind::Retrieve,
                vec![search_results().remove(0)],
                "t1",
            )),
        },
    );
    assert!(state.detail.shown().is_some());
    update(&mut state, key(KeyCode::Char('/')));
    state.focus = Pane::Query;
    let (id, _) = only_fetch(&update(&mut state, key(KeyCode::Enter)));
    update(
        &mut state,
        Msg::Fetched {
            id,
            result: Ok(answer(ResponseKind::Search, search_results(), "t2")),
        },
    );
    assert!(
        state.detail.shown().is_none(),
        "the old detail is not shown"
    );
    let cmds = update(&mut state, Msg::Rested);
    let (_, request) = only_fetch(&cmds);
    assert!(matches!(request, TrackerRequest::Retrieve(q) if q.id.as_str() == ACUTE));
}

#[test]
fn r_on_the_detail_fetches_it_afresh() {
    let (mut state, first, _) = searched();
    update(
        &mut state,
        Msg::Fetched {
            id: first,
            result: Ok(answer(
                ResponseKind::Retrieve,
                vec![search_results().remove(0)],
                "t1",
            )),
        },
    );
    state.focus = Pane::Detail;
    let (_, request) = only_fetch(&update(&mut state, key(KeyCode::Char('r'))));
    assert!(matches!(request, TrackerRequest::Retrieve(q) if q.id.as_str() == ACUTE));
}

#[test]
fn a_late_detail_answer_for_an_old_selection_is_dropped() {
    let (mut state, first, _) = searched();
    let cmds = update(&mut state, key(KeyCode::Down));
    rest(&mut state, cmds);
    let acute = search_results().remove(0);
    update(
        &mut state,
        Msg::Fetched {
            id: first,
            result: Ok(answer(ResponseKind::Retrieve, vec![acute], "late")),
        },
    );
    assert!(state.detail.shown().is_none());
    assert!(state.detail.loading().is_some());
}

#[test]
fn erd_issues_step_with_brackets_and_come_from_the_cache_when_seen() {
    let (mut state, first, _) = searched();
    update(
        &mut state,
        Msg::Fetched {
            id: first,
            result: Ok(answer(
                ResponseKind::Retrieve,
                vec![search_results().remove(0)],
                "t1",
            )),
        },
    );
    let cmds = update(&mut state, key(KeyCode::Down));
    let (id, _) = only_fetch(&rest(&mut state, cmds));
    update(
        &mut state,
        Msg::Fetched {
            id,
            result: Ok(answer(ResponseKind::Retrieve, vec![erd_issue(3, 3)], "t3")),
        },
    );
    assert_eq!(state.detail.shown().unwrap().issue_number(), Some(3));
    update(&mut state, key(KeyCode::Enter));
    assert_eq!(state.focus, Pane::Detail);

    let cmds = update(&mut state, key(KeyCode::Char(']')));
    let (id, request) = only_fetch(&rest(&mut state, cmds));
    assert!(matches!(request, TrackerRequest::Retrieve(q) if q.issue == Some(4)));
    update(
        &mut state,
        Msg::Fetched {
            id,
            result: Ok(answer(ResponseKind::Retrieve, vec![erd_issue(4, 3)], "t4")),
        },
    );
    assert_eq!(state.detail.shown().unwrap().issue_number(), Some(4));
    // Back to 3: already fetched, so no request.
    assert!(update(&mut state, key(KeyCode::Char('['))).is_empty());
    assert_eq!(state.detail.shown().unwrap().issue_number(), Some(3));
    let cmds = update(&mut state, key(KeyCode::Char('[')));
    let (_, request) = only_fetch(&rest(&mut state, cmds));
    assert!(matches!(request, TrackerRequest::Retrieve(q) if q.issue == Some(2)));
}

#[test]
fn issue_steps_stop_at_the_ends() {
    let (mut state, first, _) = searched();
    let cmds = update(&mut state, key(KeyCode::Down));
    rest(&mut state, cmds);
    update(
        &mut state,
        Msg::Fetched {
            id: first,
            result: Err(Failure::new(FailureKind::Network, "no answer")),
        },
    );
    let id = state.detail.loading().unwrap();
    update(
        &mut state,
        Msg::Fetched {
            id,
            result: Ok(answer(ResponseKind::Retrieve, vec![erd_issue(6, 6)], "t6")),
        },
    );
    assert!(update(&mut state, key(KeyCode::Char(']'))).is_empty());
    assert!(state.notice.as_deref().unwrap().contains("last of 6"));
}

#[test]
fn brackets_on_an_acute_prescription_explain_instead_of_fetching() {
    let (mut state, first, _) = searched();
    update(
        &mut state,
        Msg::Fetched {
            id: first,
            result: Ok(answer(
                ResponseKind::Retrieve,
                vec![search_results().remove(0)],
                "t1",
            )),
        },
    );
    assert!(update(&mut state, key(KeyCode::Char(']'))).is_empty());
    assert!(
        state
            .notice
            .as_deref()
            .unwrap()
            .contains("repeat-dispensing")
    );
}

#[test]
fn a_failed_detail_is_shown_in_the_detail_and_retried() {
    let (mut state, first, _) = searched();
    update(
        &mut state,
        Msg::Fetched {
            id: first,
            result: Err(Failure::new(FailureKind::Network, "no answer within 10 s")),
        },
    );
    assert!(matches!(state.detail.load, DetailLoad::Failed(_)));
    let (_, request) = only_fetch(&update(&mut state, key(KeyCode::Char('r'))));
    assert!(matches!(request, TrackerRequest::Retrieve(q) if q.id.as_str() == ACUTE));
}

#[test]
fn groups_switch_with_one_key_and_the_filter_narrows_in_place() {
    let (mut state, _, _) = searched();
    update(&mut state, key(KeyCode::Char('3')));
    let list = state.list.ready().unwrap();
    assert_eq!(list.group, StatusGroup::Past);
    assert_eq!(list.visible.len(), 1);
    update(&mut state, key(KeyCode::Char('1')));
    update(&mut state, key(KeyCode::Char('/')));
    assert!(state.typing());
    type_text(&mut state, "erd");
    let list = state.list.ready().unwrap();
    assert_eq!(list.visible.len(), 1);
    assert_eq!(list.selected_id().unwrap().as_str(), ERD);
    // q is text while filtering.
    type_text(&mut state, "q");
    assert!(!state.quit);
    update(&mut state, key(KeyCode::Esc));
    let list = state.list.ready().unwrap();
    assert_eq!(list.visible.len(), 2);
    assert!(!state.typing());
}

#[test]
fn sort_cycles_and_keeps_the_selection() {
    let (mut state, _, _) = searched();
    update(&mut state, key(KeyCode::Down));
    update(&mut state, key(KeyCode::Char('s')));
    let list = state.list.ready().unwrap();
    assert_eq!(list.sort, super::results::SortOrder::OldestFirst);
    assert_eq!(list.selected_id().unwrap().as_str(), ERD);
    assert_eq!(list.selected, 0);
}

#[test]
fn copy_puts_the_prescription_and_trace_ids_on_the_clipboard() {
    let (mut state, first, _) = searched();
    update(
        &mut state,
        Msg::Fetched {
            id: first,
            result: Ok(answer(
                ResponseKind::Retrieve,
                vec![search_results().remove(0)],
                "trace-detail",
            )),
        },
    );
    let cmds = update(&mut state, key(KeyCode::Char('y')));
    assert_eq!(cmds, vec![Cmd::Copy(format!("{ACUTE} trace trace-detail"))]);
}

#[test]
fn sign_out_forgets_everything_and_clears_the_screen() {
    let (mut state, first, _) = searched();
    let cmds = update(&mut state, ctrl('o'));
    assert!(cmds.contains(&Cmd::Cancel(first)));
    assert!(cmds.contains(&Cmd::SignOut));
    assert!(state.session.is_none());
    assert!(state.list.ready().is_none());
    assert!(state.detail.cache.is_empty());
    assert!(state.clear_screen);
}

#[test]
fn lock_keeps_the_work_for_after_the_password() {
    let (mut state, _, _) = searched();
    let cmds = update(&mut state, ctrl('l'));
    assert!(cmds.contains(&Cmd::Lock(crate::app::msg::LockCause::Manual)));
    assert!(state.signin.is_some());
    type_text(&mut state, "sandbox-demo");
    let cmds = update(&mut state, key(KeyCode::Enter));
    let Some(Cmd::SignIn { id, user, .. }) = cmds.first() else {
        panic!("{cmds:?}")
    };
    assert_eq!(user, "helpdesk");
    update(
        &mut state,
        Msg::SignInDone {
            id: *id,
            result: Ok(SignInReply::Welcome(welcome())),
        },
    );
    assert!(state.signin.is_none());
    assert!(state.list.ready().is_some());
}

#[test]
fn a_retrieve_by_id_opens_the_detail_directly() {
    let mut state = signed_in();
    update(&mut state, ctrl('t'));
    type_text(&mut state, ERD);
    let (id, _) = only_fetch(&update(&mut state, key(KeyCode::Enter)));
    let cmds = update(
        &mut state,
        Msg::Fetched {
            id,
            result: Ok(answer(ResponseKind::Retrieve, vec![erd_issue(3, 3)], "t")),
        },
    );
    assert!(
        cmds.is_empty(),
        "the retrieve answer is the detail: {cmds:?}"
    );
    assert_eq!(state.focus, Pane::Detail);
    assert!(state.detail.shown().is_some());
}

#[test]
fn an_empty_search_lists_nothing_and_fetches_no_detail() {
    let mut state = signed_in();
    type_text(&mut state, NHS);
    let (id, _) = only_fetch(&update(&mut state, key(KeyCode::Enter)));
    let cmds = update(
        &mut state,
        Msg::Fetched {
            id,
            result: Ok(answer(ResponseKind::Search, Vec::new(), "t")),
        },
    );
    assert!(cmds.is_empty());
    assert!(state.list.ready().unwrap().visible.is_empty());
}

#[test]
fn several_role_profiles_are_offered_and_the_chosen_one_is_sent() {
    let mut state = State::new(Settings::default(), today());
    type_text(&mut state, "multi");
    update(&mut state, key(KeyCode::Enter));
    type_text(&mut state, "pw");
    let cmds = update(&mut state, key(KeyCode::Enter));
    let Some(Cmd::SignIn { id, .. }) = cmds.first() else {
        panic!()
    };
    update(
        &mut state,
        Msg::SignInDone {
            id: *id,
            result: Ok(SignInReply::ChooseRole(vec![
                "helpdesk at X26".into(),
                "pharmacist at FA565".into(),
            ])),
        },
    );
    assert!(state.signin.as_ref().unwrap().roles.is_some());
    update(&mut state, key(KeyCode::Down));
    let cmds = update(&mut state, key(KeyCode::Enter));
    let Some(Cmd::ChooseRole { id, index }) = cmds.first() else {
        panic!("{cmds:?}")
    };
    assert_eq!(*index, 1);
    update(
        &mut state,
        Msg::SignInDone {
            id: *id,
            result: Ok(SignInReply::Welcome(Welcome {
                who: who(),
                clinical_allowed: true,
                patient_allowed: false,
                elsewhere: None,
            })),
        },
    );
    assert!(state.signed_in());
    assert!(state.form.clinical_allowed);
}

#[test]
fn an_issue_spine_does_not_have_is_said_plainly_and_ends_the_steps() {
    let (mut state, _, _) = searched();
    update(&mut state, key(KeyCode::Down));
    let id = only_fetch(&update(&mut state, key(KeyCode::Enter))).0;
    let mut erd = erd_issue(3, 3);
    erd.total_issues = None;
    update(
        &mut state,
        Msg::Fetched {
            id,
            result: Ok(answer(ResponseKind::Retrieve, vec![erd.clone()], "t3")),
        },
    );
    let cmds = update(&mut state, key(KeyCode::Char(']')));
    let (id, _) = only_fetch(&rest(&mut state, cmds));
    let mut blank = erd.clone();
    blank.issues.clear();
    let mut reply = answer(ResponseKind::Retrieve, vec![blank], "t4");
    reply.response.notice = Some(SpineError::new("3", "Issue not found"));
    update(
        &mut state,
        Msg::Fetched {
            id,
            result: Ok(reply),
        },
    );
    // Issue 3 stays shown; the footer says where the issues end.
    assert!(matches!(state.detail.load, DetailLoad::Idle));
    assert_eq!(state.detail.shown().unwrap().issue_number(), Some(3));
    assert!(update(&mut state, key(KeyCode::Char(']'))).is_empty());
    assert!(
        state.notice.as_deref().unwrap().contains("last of 3"),
        "{:?}",
        state.notice
    );
    let cmds = update(&mut state, key(KeyCode::Char('[')));
    let (_, request) = only_fetch(&rest(&mut state, cmds));
    assert!(matches!(request, TrackerRequest::Retrieve(q) if q.issue == Some(2)));
}

#[test]
fn keys_typed_while_the_password_is_checked_go_to_the_query() {
    let mut state = State::new(Settings::default(), today());
    type_text(&mut state, "helpdesk");
    update(&mut state, key(KeyCode::Enter));
    type_text(&mut state, "pw");
    let cmds = update(&mut state, key(KeyCode::Enter));
    let Some(Cmd::SignIn { id, .. }) = cmds.first() else {
        panic!("{cmds:?}")
    };
    let id = *id;
    // Typed before the answer: the number and Enter.
    assert!(type_text(&mut state, NHS).is_empty());
    assert!(update(&mut state, key(KeyCode::Enter)).is_empty());
    let cmds = update(
        &mut state,
        Msg::SignInDone {
            id,
            result: Ok(SignInReply::Welcome(welcome())),
        },
    );
    let (_, request) = only_fetch(&cmds);
    assert!(matches!(request, TrackerRequest::Search(q) if q.nhs_number.as_digits() == NHS));
}

#[test]
fn a_role_that_looks_nothing_up_is_told_where_its_work_is_at_sign_in() {
    let said = "The auditor role cannot look up prescriptions or patients.";
    let state = signed_in_as(
        "auditor",
        Welcome {
            elsewhere: Some(said.to_owned()),
            ..welcome()
        },
    );
    assert_eq!(state.form.note.as_deref(), Some(said));
}

#[test]
fn the_filter_matches_dates_as_shown_on_the_readers_clock() {
    let mut p = prescription(
        ACUTE,
        PrescriptionStatus::ToBeDispensed,
        "To Be Dispensed",
        TreatmentType::Acute,
        10,
    );
    p.issue_date = chrono::NaiveDate::from_ymd_opt(2026, 7, 20)
        .and_then(|d| d.and_hms_opt(23, 30, 0))
        .map(SpineDate::Moment);
    let request = TrackerRequest::Search(crate::tracker::query::SearchQuery::new(
        NhsNumber::parse(NHS).unwrap(),
    ));
    let summer = super::zone::Zone::Fixed(chrono::FixedOffset::east_opt(3600).unwrap());
    let shown = |zone, needle: &str| {
        let mut list = super::results::ResultList::new(
            request.clone(),
            vec![p.clone()],
            None,
            Vec::new(),
            zone,
        );
        list.filter = needle.into();
        list.refresh();
        list.visible.len()
    };
    assert_eq!(shown(super::zone::Zone::Utc, "20 Jul"), 1);
    assert_eq!(shown(summer, "21 Jul"), 1);
    assert_eq!(shown(summer, "2026-07-21"), 1);
    assert_eq!(shown(summer, "20 Jul"), 0);
}
