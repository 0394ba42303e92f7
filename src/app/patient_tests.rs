//! `update` tests of the patient banner: when PDS is asked, what the banner shows, and
//! that a PDS failure never touches the prescriptions.

use chrono::NaiveDate;
use ratatui::crossterm::event::KeyCode;

use super::form::{Field, QueryMode, Verdict};
use super::msg::{Cmd, Msg, RequestId, SignInReply, Welcome};
use super::patient::{Banner, Demographics};
use super::state::{ListState, Settings, State, Who};
use super::tests::{ACUTE, NHS, answer, ctrl, key, only_fetch, search_results, today, type_text};
use super::update;
use crate::pds::Patient;
use crate::pds::model::{Address, NameUse, PartialDate, PersonName};
use crate::tracker::model::ResponseKind;
use crate::tracker::query::TrackerRequest;

/// Signed in through the form; `pds` is whether PDS is set up, `allowed` whether the role
/// has `pds.read`.
fn signed_in(pds: bool, allowed: bool) -> State {
    let settings = Settings {
        pds,
        ..Settings::default()
    };
    let mut state = State::new(settings, today());
    type_text(&mut state, "helpdesk");
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
            result: Ok(SignInReply::Welcome(Welcome {
                who: Who {
                    display_name: "Helpdesk".into(),
                    user_id: "helpdesk".into(),
                    role: "helpdesk".into(),
                    organisation: "X26".into(),
                },
                clinical_allowed: false,
                patient_allowed: allowed,
                elsewhere: None,
            })),
        },
    );
    state
}

fn jane() -> Demographics {
    Demographics(Box::new(Patient {
        nhs_number: NHS.into(),
        name: Some(PersonName {
            prefix: Some("Mrs".into()),
            given: vec!["Jane".into()],
            family: Some("Smith".into()),
            name_use: NameUse::Usual,
        }),
        other_names: Vec::new(),
        birth_date: NaiveDate::from_ymd_opt(1980, 5, 14).map(PartialDate::Day),
        gender: Some("female".into()),
        address: Some(Address {
            lines: vec!["1 Trevelyan Square".into()],
            postcode: Some("LS1 6AE".into()),
        }),
        gp_ods: Some("Y12345".into()),
        deceased: None,
        restricted: false,
        superseded_from: None,
    }))
}

fn look_ups(cmds: &[Cmd]) -> Vec<(RequestId, String)> {
    cmds.iter()
        .filter_map(|c| match c {
            Cmd::LookUpPatient { id, nhs } => Some((*id, nhs.as_digits())),
            _ => None,
        })
        .collect()
}

/// Searched `NHS`: the list request and the patient look-up ids.
fn search(state: &mut State) -> (RequestId, RequestId) {
    type_text(state, NHS);
    let cmds = update(state, key(KeyCode::Enter));
    let (list, _) = only_fetch(&cmds);
    let found = look_ups(&cmds);
    assert_eq!(found.len(), 1, "{cmds:?}");
    assert_eq!(found[0].1, NHS);
    (list, found[0].0)
}

#[test]
fn a_search_by_nhs_number_looks_the_patient_up_beside_the_list() {
    let mut state = signed_in(true, true);
    let (list, patient) = search(&mut state);
    assert!(matches!(state.patient.banner, Banner::Loading { id, .. } if id == patient));
    update(
        &mut state,
        Msg::PatientFound {
            id: patient,
            result: Ok(jane()),
        },
    );
    assert!(state.dirty);
    let Banner::Found(found) = &state.patient.banner else {
        panic!("a banner");
    };
    assert_eq!(found.0.nhs_number, NHS);
    let cmds = update(
        &mut state,
        Msg::Fetched {
            id: list,
            result: Ok(answer(ResponseKind::Search, search_results(), "t")),
        },
    );
    assert!(look_ups(&cmds).is_empty(), "asked once: {cmds:?}");
    assert!(matches!(state.list, ListState::Ready(_)));
}

#[test]
fn a_pds_failure_shows_in_the_banner_and_the_prescriptions_still_come() {
    let mut state = signed_in(true, true);
    let (list, patient) = search(&mut state);
    update(
        &mut state,
        Msg::PatientFound {
            id: patient,
            result: Err("PDS is not answering".into()),
        },
    );
    assert!(matches!(&state.patient.banner, Banner::Failed(why) if why.contains("not answering")));
    update(
        &mut state,
        Msg::Fetched {
            id: list,
            result: Ok(answer(ResponseKind::Search, search_results(), "t")),
        },
    );
    assert!(matches!(state.list, ListState::Ready(_)));
}

#[test]
fn no_look_up_without_pds_read_or_without_pds() {
    for (pds, allowed) in [(true, false), (false, true)] {
        let mut state = signed_in(pds, allowed);
        type_text(&mut state, NHS);
        let cmds = update(&mut state, key(KeyCode::Enter));
        assert!(look_ups(&cmds).is_empty(), "{cmds:?}");
        assert!(matches!(state.patient.banner, Banner::Hidden));
    }
}

#[test]
fn a_prescription_found_by_id_looks_up_its_patient_once_it_answers() {
    let mut state = signed_in(true, true);
    update(&mut state, Msg::Paste(ACUTE.to_string()));
    let cmds = update(&mut state, key(KeyCode::Enter));
    assert!(
        look_ups(&cmds).is_empty(),
        "the NHS number is not known yet"
    );
    let (id, request) = only_fetch(&cmds);
    assert!(matches!(request, TrackerRequest::Retrieve(_)));
    let cmds = update(
        &mut state,
        Msg::Fetched {
            id,
            result: Ok(answer(
                ResponseKind::Retrieve,
                vec![search_results().remove(0)],
                "t",
            )),
        },
    );
    let found = look_ups(&cmds);
    assert_eq!(found.len(), 1, "{cmds:?}");
    assert_eq!(found[0].1, NHS);
}

#[test]
fn new_caller_clears_the_banner_and_cancels_its_look_up() {
    let mut state = signed_in(true, true);
    let (_, patient) = search(&mut state);
    let cmds = update(&mut state, ctrl('n'));
    assert!(cmds.contains(&Cmd::Cancel(patient)), "{cmds:?}");
    assert!(matches!(state.patient.banner, Banner::Hidden));
    // The answer arriving after all is dropped.
    update(
        &mut state,
        Msg::PatientFound {
            id: patient,
            result: Ok(jane()),
        },
    );
    assert!(!state.dirty);
    assert!(matches!(state.patient.banner, Banner::Hidden));
}

#[test]
fn a_new_search_replaces_the_banner_and_drops_the_old_answer() {
    let mut state = signed_in(true, true);
    let (_, first) = search(&mut state);
    update(&mut state, ctrl('n'));
    let (_, second) = search(&mut state);
    assert_ne!(first, second);
    update(
        &mut state,
        Msg::PatientFound {
            id: first,
            result: Ok(jane()),
        },
    );
    assert!(matches!(state.patient.banner, Banner::Loading { id, .. } if id == second));
}

#[test]
fn demographics_never_show_in_debug_output() {
    let mut state = signed_in(true, true);
    let (_, patient) = search(&mut state);
    let msg = Msg::PatientFound {
        id: patient,
        result: Ok(jane()),
    };
    let shown = format!("{msg:?}");
    update(&mut state, msg);
    let shown = format!("{shown} {state:?}");
    for secret in ["Jane", "Smith", "1980", "LS1", "Trevelyan"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
}

/// Ctrl-T to the patient details mode, then the details typed field by field (Down moves).
fn patient_mode(state: &mut State, fields: &[&str]) {
    update(state, ctrl('t'));
    update(state, ctrl('t'));
    assert_eq!(state.form.mode, QueryMode::Patient);
    for (i, text) in fields.iter().enumerate() {
        if i > 0 {
            update(state, key(KeyCode::Down));
        }
        type_text(state, text);
    }
}

#[test]
fn the_patient_details_mode_is_offered_only_with_pds_read() {
    let mut state = signed_in(true, false);
    update(&mut state, ctrl('t'));
    assert_eq!(state.form.mode, QueryMode::Retrieve);
    update(&mut state, ctrl('t'));
    assert_eq!(state.form.mode, QueryMode::Search);
    let mut state = signed_in(true, true);
    patient_mode(&mut state, &[]);
    assert_eq!(
        state.form.fields(),
        [
            Field::Family,
            Field::BirthDate,
            Field::Given,
            Field::Postcode,
            Field::Gender
        ]
    );
    update(&mut state, ctrl('t'));
    assert_eq!(state.form.mode, QueryMode::Search);
    // A new caller keeps the mode on offer.
    update(&mut state, ctrl('n'));
    assert!(state.form.patient_allowed);
}

#[test]
fn details_are_checked_as_typed_and_enter_says_what_is_missing() {
    let mut state = signed_in(true, true);
    patient_mode(&mut state, &["Whitfield-Jones", "14/03/58"]);
    let Verdict::Error(why) = state.form.verdict(Field::BirthDate, state.today) else {
        panic!("a two-digit year is refused as typed");
    };
    assert!(why.contains("four-digit year"), "{why}");
    let mut state = signed_in(true, true);
    patient_mode(&mut state, &["Whitfield-Jones"]);
    let cmds = update(&mut state, key(KeyCode::Enter));
    assert!(cmds.is_empty(), "{cmds:?}");
    assert!(
        state
            .form
            .note
            .as_deref()
            .unwrap()
            .contains("date of birth"),
        "{:?}",
        state.form.note
    );
}

#[test]
fn enter_finds_the_patient_then_searches_their_prescriptions() {
    let mut state = signed_in(true, true);
    patient_mode(&mut state, &["Whitfield-Jones", "1958-03-14"]);
    let cmds = update(&mut state, key(KeyCode::Enter));
    let [Cmd::FindPatient { id, search }] = cmds.as_slice() else {
        panic!("one PDS search: {cmds:?}");
    };
    assert_eq!(search.0.family, "Whitfield-Jones");
    assert!(
        !format!("{cmds:?}").contains("Whitfield"),
        "no names in Debug"
    );
    assert!(matches!(state.patient.banner, Banner::Finding(_)));
    let cmds = update(
        &mut state,
        Msg::PatientMatched {
            id: *id,
            result: Ok(jane()),
        },
    );
    let (_, request) = only_fetch(&cmds);
    assert!(
        matches!(&request, TrackerRequest::Search(q) if q.nhs_number.as_digits() == NHS),
        "{request:?}"
    );
    assert!(matches!(state.patient.banner, Banner::Found(_)));
    assert!(look_ups(&cmds).is_empty(), "PDS is not asked twice");
}

#[test]
fn too_many_matches_is_explained_under_the_form_with_what_to_add() {
    let mut state = signed_in(true, true);
    patient_mode(&mut state, &["Patel", "12/07/1985"]);
    let cmds = update(&mut state, key(KeyCode::Enter));
    let [Cmd::FindPatient { id, .. }] = cmds.as_slice() else {
        panic!("{cmds:?}");
    };
    let why = "More than one patient matches: add the first name or the postcode.";
    let cmds = update(
        &mut state,
        Msg::PatientMatched {
            id: *id,
            result: Err(why.into()),
        },
    );
    assert!(cmds.is_empty(), "{cmds:?}");
    assert_eq!(state.form.note.as_deref(), Some(why));
    assert!(matches!(state.patient.banner, Banner::Hidden));
    assert!(matches!(state.list, ListState::Empty));
}

#[test]
fn esc_cancels_the_search_by_details_and_keeps_what_was_typed() {
    let mut state = signed_in(true, true);
    patient_mode(&mut state, &["Whitfield-Jones", "1958-03-14"]);
    let cmds = update(&mut state, key(KeyCode::Enter));
    let [Cmd::FindPatient { id, .. }] = cmds.as_slice() else {
        panic!("one PDS search: {cmds:?}");
    };
    let id = *id;
    assert!(state.busy(), "the spinner turns while PDS searches");
    let cmds = update(&mut state, key(KeyCode::Esc));
    assert!(
        cmds.iter().any(|c| matches!(c, Cmd::Cancel(c) if *c == id)),
        "{cmds:?}"
    );
    assert!(matches!(state.patient.banner, Banner::Hidden));
    assert!(!state.busy());
    let note = state.form.note.as_deref().unwrap_or("");
    assert!(note.contains("cancelled"), "{note}");
    // A late answer is dropped, and Enter sends the same details again.
    assert!(
        update(
            &mut state,
            Msg::PatientMatched {
                id,
                result: Ok(jane())
            }
        )
        .is_empty()
    );
    assert!(matches!(state.patient.banner, Banner::Hidden));
    let cmds = update(&mut state, key(KeyCode::Enter));
    let [Cmd::FindPatient { search, .. }] = cmds.as_slice() else {
        panic!("the search goes again: {cmds:?}");
    };
    assert_eq!(search.0.family, "Whitfield-Jones");
}
