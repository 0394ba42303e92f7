//! `update` tests for what the helpdesk sees: the search window, filters that never carry
//! over to the next caller, and the keys that start a new query.

use ratatui::crossterm::event::KeyCode;

use super::form::{Field, QueryMode};
use super::tests::{ERD, NHS, ctrl, key, only_fetch, signed_in, today, type_text};
use super::*;
use crate::tracker::query::TrackerRequest;

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
    let mut state = State::new(settings, today());
    type_text(&mut state, "helpdesk");
    update(&mut state, key(KeyCode::Enter));
    type_text(&mut state, "sandbox-demo");
    let cmds = update(&mut state, key(KeyCode::Enter));
    let Some(Cmd::SignIn { id, .. }) = cmds.first() else {
        panic!("{cmds:?}")
    };
    update(
        &mut state,
        Msg::SignInDone {
            id: *id,
            result: Ok(super::msg::SignInReply::Welcome(super::msg::Welcome {
                who: super::state::Who {
                    display_name: "D".into(),
                    user_id: "helpdesk".into(),
                    role: "helpdesk".into(),
                    organisation: "X26".into(),
                },
                clinical_allowed: false,
            })),
        },
    );
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
