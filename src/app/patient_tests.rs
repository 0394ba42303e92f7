//! `update` tests of the patient banner: when PDS is asked, what the banner shows, and
//! that a PDS failure never touches the prescriptions.

use chrono::NaiveDate;
use ratatui::crossterm::event::KeyCode;

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
