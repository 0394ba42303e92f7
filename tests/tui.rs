//! Screens of the terminal app, drawn through ratatui's `TestBackend` and compared with
//! insta snapshots at 80x24 and 200x50. States are built by driving `update` with the
//! messages a user and the runtime would send, with fixed dates and trace IDs, so nothing
//! volatile reaches a snapshot.

use chrono::NaiveDate;
use eps_tracker::app::msg::{Answer, Failure, FailureKind, SignInReply, Welcome};
use eps_tracker::app::patient::Demographics;
use eps_tracker::app::state::Who;
use eps_tracker::app::zone::Zone;
use eps_tracker::app::{Cmd, Msg, RequestId, Settings, State, update};
use eps_tracker::pds::Patient;
use eps_tracker::pds::model::{Address, NameUse, PartialDate, PersonName};
use eps_tracker::tracker::ids::{NhsNumber, PrescriptionId};
use eps_tracker::tracker::model::{
    Coded, EpsVersion, Issue, LineItem, LineItemStatus, Medication, Organisation, PrescriberType,
    Prescription, PrescriptionStatus, ResponseKind, SpineDate, SpineError, TrackerResponse,
    TreatmentType,
};
use eps_tracker::ui;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::Color;

const NHS: &str = "9990548609";
const ACUTE: &str = "A3B4D9-Z42475-11E6B+";
const ERD: &str = "0FBD16-C81007-00001S";
const R1: &str = "9C18AE6F-510D-F7A3-E050-D20AE3A231C8K";

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

fn day(d: u32) -> Option<SpineDate> {
    NaiveDate::from_ymd_opt(2026, 11, d).map(SpineDate::Day)
}

fn settings(color: bool) -> Settings {
    Settings {
        environment: "SANDBOX".into(),
        color,
        demo_accounts: ["helpdesk", "pharmacist", "clinician", "auditor", "admin"]
            .map(String::from)
            .to_vec(),
        demo_password: Some("sandbox-demo".into()),
        ..Settings::default()
    }
}

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn ctrl(ch: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(ch), KeyModifiers::CONTROL))
}

/// Sends the messages, then lets the selection rest (as a user pausing between steps).
fn send(state: &mut State, msgs: impl IntoIterator<Item = Msg>) -> Vec<Cmd> {
    let cmds = msgs.into_iter().flat_map(|m| update(state, m)).collect();
    rested(state, cmds)
}

/// What the runtime does after a `FetchWhenRested`: once the selection rests, it says so.
fn rested(state: &mut State, mut cmds: Vec<Cmd>) -> Vec<Cmd> {
    if cmds.contains(&Cmd::FetchWhenRested) {
        cmds.extend(update(state, Msg::Rested));
    }
    cmds
}

fn typed(text: &str) -> Vec<Msg> {
    text.chars().map(|c| key(KeyCode::Char(c))).collect()
}

fn fetch_id(cmds: &[Cmd]) -> RequestId {
    cmds.iter()
        .rev()
        .find_map(|c| match c {
            Cmd::Fetch { id, .. } => Some(*id),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no fetch in {cmds:?}"))
}

fn org(name: &str, ods: &str, address: Option<&str>, phone: Option<&str>) -> Option<Organisation> {
    Organisation::from_parts(Some(ods), Some(name), address, phone)
}

fn prescription(
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
    let treatment_text = match treatment {
        TreatmentType::Acute => "Acute",
        TreatmentType::Repeat => "Repeat Prescribing",
        _ => "Repeat Dispensing",
    };
    p.treatment = Some(Coded::new(treatment, treatment_text));
    p.prescriber_type = Some(Coded::new(
        PrescriberType::GeneralPractitioner,
        "GP Prescribing",
    ));
    p.issue_date = day(issued);
    p.signing_date = day(issued);
    p.last_event_date = day(issued + 1);
    p.days_supply = Some(28);
    p.prescriber = org(
        "THE SURGERY",
        "A83008",
        Some("1 HIGH STREET, , CROYDON, CR0 1AA"),
        Some("0208 123 4567"),
    );
    p.nominated_dispenser = org("CROYDON PHARMACY", "FA666", None, None);
    let mut issue = Issue::numbered(1);
    issue.issue_date = day(issued);
    issue.status = Some(Coded::new(status, text));
    issue.line_items.push(LineItem {
        id: Some("A54219B8-F741-4C47-B662-E4F8DFA49AB6".into()),
        status: Some(Coded::new(LineItemStatus::ToBeDispensed, "To Be Dispensed")),
        ..LineItem::default()
    });
    p.issues.push(issue);
    p.current_issue = Some(1);
    p
}

fn erd_issue(n: u32) -> Prescription {
    let current = 3;
    let (status, text) = match n.cmp(&current) {
        std::cmp::Ordering::Less => (PrescriptionStatus::Dispensed, "Dispensed"),
        std::cmp::Ordering::Equal => (PrescriptionStatus::WithDispenser, "With Dispenser"),
        std::cmp::Ordering::Greater => (
            PrescriptionStatus::RepeatDispenseFutureInstance,
            "Repeat Dispense future instance",
        ),
    };
    let mut p = prescription(ERD, status, text, TreatmentType::RepeatDispensing, 2);
    p.issues[0].number = n;
    p.current_issue = Some(current);
    p.total_issues = Some(6);
    p.pending_cancellation = n == current;
    if n == current {
        p.issues[0].dispenser =
            org("CROYDON PHARMACY", "FA666", None, Some("0208 765 4321")).map(Box::new);
        p.issues[0].line_items[0].status =
            Some(Coded::new(LineItemStatus::WithDispenser, "With Dispenser"));
    }
    if n < current {
        p.issues[0].last_dispense_date = day(3);
        p.issues[0].line_items[0].status =
            Some(Coded::new(LineItemStatus::FullyDispensed, "Dispensed"));
    }
    p
}

fn search_results() -> Vec<Prescription> {
    let mut r1 = prescription(
        R1,
        PrescriptionStatus::Claimed,
        "Claimed",
        TreatmentType::Repeat,
        1,
    );
    r1.eps_version = Some(EpsVersion::R1);
    vec![
        prescription(
            ACUTE,
            PrescriptionStatus::ToBeDispensed,
            "To Be Dispensed",
            TreatmentType::Acute,
            10,
        ),
        erd_issue(3),
        prescription(
            "1D5B17-A83008-4F9A8J",
            PrescriptionStatus::FutureInstance,
            "Prescription future instance",
            TreatmentType::Acute,
            20,
        ),
        r1,
    ]
}

fn answer(kind: ResponseKind, prescriptions: Vec<Prescription>, trace: &str) -> Answer {
    Answer {
        trace_id: Some(trace.into()),
        response: TrackerResponse {
            kind,
            prescriptions,
            notice: None,
            warnings: Vec::new(),
        },
    }
}

fn signed_in_with(color: bool, clinical: bool) -> State {
    signed_in_to(settings(color), clinical)
}

fn signed_in_to(settings: Settings, clinical: bool) -> State {
    let mut state = State::new(settings, today());
    send(&mut state, typed("helpdesk"));
    send(&mut state, [key(KeyCode::Enter)]);
    send(&mut state, typed("sandbox-demo"));
    let cmds = send(&mut state, [key(KeyCode::Enter)]);
    let Some(Cmd::SignIn { id, .. }) = cmds.first() else {
        panic!("{cmds:?}")
    };
    let pds = state.settings.pds;
    let (user, role) = if clinical {
        ("clinician", "clinician")
    } else {
        ("helpdesk", "helpdesk")
    };
    update(
        &mut state,
        Msg::SignInDone {
            id: *id,
            result: Ok(SignInReply::Welcome(Welcome {
                who: Who {
                    display_name: format!("Sandbox {user}"),
                    user_id: user.into(),
                    role: role.into(),
                    organisation: "X26".into(),
                },
                clinical_allowed: clinical,
                patient_allowed: pds,
                elsewhere: None,
            })),
        },
    );
    state
}

fn signed_in() -> State {
    signed_in_with(true, false)
}

/// Searched 9990548609; the list answered; the first detail answered.
fn with_results() -> State {
    with_first_detail(search_results().remove(0))
}

/// Searched 9990548609; the list answered; the first row's detail answered with `detail`.
fn with_first_detail(detail: Prescription) -> State {
    let mut state = signed_in();
    send(&mut state, typed(NHS));
    let list = fetch_id(&send(&mut state, [key(KeyCode::Enter)]));
    answer_list_and_first_detail(&mut state, list, detail);
    state
}

/// The search `list` answers with the demo rows; the first row's detail, fetched once the
/// selection rests, answers with `detail`.
fn answer_list_and_first_detail(state: &mut State, list: RequestId, detail: Prescription) {
    let cmds = update(
        state,
        Msg::Fetched {
            id: list,
            result: Ok(answer(
                ResponseKind::Search,
                search_results(),
                "TRACE-SEARCH-0001",
            )),
        },
    );
    let id = fetch_id(&rested(state, cmds));
    update(
        state,
        Msg::Fetched {
            id,
            result: Ok(answer(
                ResponseKind::Retrieve,
                vec![detail],
                "TRACE-DETAIL-0001",
            )),
        },
    );
}

/// The eRD prescription selected and open in the detail pane, at its current issue.
fn with_erd_detail() -> State {
    let mut state = with_results();
    let id = fetch_id(&send(&mut state, [key(KeyCode::Down)]));
    update(
        &mut state,
        Msg::Fetched {
            id,
            result: Ok(answer(
                ResponseKind::Retrieve,
                vec![erd_issue(3)],
                "TRACE-DETAIL-0003",
            )),
        },
    );
    send(&mut state, [key(KeyCode::Enter)]);
    state
}

fn render(state: &State, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| ui::draw(state, frame)).unwrap();
    terminal.backend().buffer().clone()
}

/// The screen as text, trailing spaces trimmed so the snapshots read well.
fn screen(state: &State, width: u16, height: u16) -> String {
    let buffer = render(state, width, height);
    let mut out = String::new();
    for y in 0..height {
        let mut line = String::new();
        for x in 0..width {
            line.push_str(buffer[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn both_sizes(name: &str, state: &State) {
    insta::assert_snapshot!(format!("{name}_80x24"), screen(state, 80, 24));
    insta::assert_snapshot!(format!("{name}_200x50"), screen(state, 200, 50));
}

#[test]
fn sign_in() {
    let mut state = State::new(settings(true), today());
    send(&mut state, typed("helpdesk"));
    send(&mut state, [key(KeyCode::Tab)]);
    send(&mut state, typed("secret"));
    both_sizes("sign_in", &state);
}

#[test]
fn sign_in_refused() {
    let mut state = State::new(settings(true), today());
    send(&mut state, typed("helpdesk"));
    send(&mut state, [key(KeyCode::Enter)]);
    send(&mut state, typed("wrong"));
    let cmds = send(&mut state, [key(KeyCode::Enter)]);
    let Some(Cmd::SignIn { id, .. }) = cmds.first() else {
        panic!()
    };
    update(
        &mut state,
        Msg::SignInDone {
            id: *id,
            result: Err(
                "Wrong user ID or password. 4 attempts left before a 15-minute lockout.".into(),
            ),
        },
    );
    both_sizes("sign_in_refused", &state);
}

#[test]
fn empty_query() {
    both_sizes("empty", &signed_in());
}

#[test]
fn query_with_validation_messages() {
    let mut state = signed_in();
    send(&mut state, typed("9990548608"));
    send(&mut state, [key(KeyCode::Down)]);
    send(&mut state, typed("31/02/2026"));
    send(&mut state, [key(KeyCode::Down)]);
    send(&mut state, typed("-60d"));
    both_sizes("query_invalid", &state);
}

#[test]
fn searching() {
    let mut state = signed_in();
    send(&mut state, typed(NHS));
    send(&mut state, [key(KeyCode::Enter)]);
    both_sizes("searching", &state);
}

#[test]
fn results() {
    both_sizes("results", &with_results());
}

#[test]
fn results_empty_says_what_was_searched() {
    let mut state = signed_in();
    send(&mut state, typed(NHS));
    let id = fetch_id(&send(&mut state, [key(KeyCode::Enter)]));
    update(
        &mut state,
        Msg::Fetched {
            id,
            result: Ok(answer(ResponseKind::Search, Vec::new(), "TRACE-EMPTY")),
        },
    );
    both_sizes("results_empty", &state);
}

/// At 80 columns a long status is shown whole and the last-event column gives way; dates
/// are never cut.
#[test]
fn long_statuses_are_not_cut_at_80_columns() {
    let mut state = signed_in();
    send(&mut state, typed(NHS));
    let id = fetch_id(&send(&mut state, [key(KeyCode::Enter)]));
    let future = prescription(
        ACUTE,
        PrescriptionStatus::FutureInstance,
        "Prescription future instance",
        TreatmentType::Acute,
        20,
    );
    update(
        &mut state,
        Msg::Fetched {
            id,
            result: Ok(answer(ResponseKind::Search, vec![future], "TRACE-FUTURE")),
        },
    );
    let narrow = screen(&state, 80, 24);
    assert!(narrow.contains("Prescription future instance"), "{narrow}");
    assert!(narrow.contains("20 Nov 2026"), "{narrow}");
    assert!(!narrow.contains("Last event"), "{narrow}");
}

/// Spine's code 1 to a search with filters left set: the empty state, not an error, with
/// the window and every filter, in the list and in the collapsed query line.
#[test]
fn not_found_with_filters_names_them() {
    let mut state = signed_in();
    send(&mut state, typed(NHS));
    // Status: 0008 Claimed (the eighth choice); EPS version R1.
    send(
        &mut state,
        [key(KeyCode::Down), key(KeyCode::Down), key(KeyCode::Down)],
    );
    send(&mut state, (0..8).map(|_| key(KeyCode::Right)));
    send(&mut state, [key(KeyCode::Down), key(KeyCode::Right)]);
    let id = fetch_id(&send(&mut state, [key(KeyCode::Enter)]));
    let mut failure = Failure::new(FailureKind::Spine, "no prescription found");
    failure.spine = Some(SpineError::new("1", "Prescription not found"));
    failure.trace_id = Some("TRACE-NOT-FOUND".into());
    update(
        &mut state,
        Msg::Fetched {
            id,
            result: Err(failure),
        },
    );
    let screen = screen(&state, 80, 24);
    assert!(!screen.contains("Error"), "{screen}");
    assert_eq!(
        screen.matches("No prescriptions found").count(),
        1,
        "{screen}"
    );
    both_sizes("not_found_with_filters", &state);
}

#[test]
fn results_filtered_to_nothing() {
    let mut state = with_results();
    send(&mut state, [key(KeyCode::Char('/'))]);
    send(&mut state, typed("zzz"));
    both_sizes("results_filtered", &state);
}

#[test]
fn detail_basic() {
    let mut state = with_results();
    send(&mut state, [key(KeyCode::Enter)]);
    both_sizes("detail_basic", &state);
}

#[test]
fn detail_erd_current_issue() {
    both_sizes("detail_erd", &with_erd_detail());
}

#[test]
fn detail_erd_previous_issue() {
    let mut state = with_erd_detail();
    let id = fetch_id(&send(&mut state, [key(KeyCode::Char('['))]));
    update(
        &mut state,
        Msg::Fetched {
            id,
            result: Ok(answer(
                ResponseKind::Retrieve,
                vec![erd_issue(2)],
                "TRACE-DETAIL-0002",
            )),
        },
    );
    both_sizes("detail_erd_issue_2", &state);
}

#[test]
fn detail_clinical() {
    let mut state = signed_in_with(true, true);
    send(&mut state, [ctrl('t')]);
    send(&mut state, typed(ACUTE));
    send(
        &mut state,
        [
            key(KeyCode::Down),
            key(KeyCode::Down),
            key(KeyCode::Char(' ')),
        ],
    );
    let id = fetch_id(&send(&mut state, [key(KeyCode::Enter)]));
    let mut p = prescription(
        ACUTE,
        PrescriptionStatus::WithDispenser,
        "With Dispenser",
        TreatmentType::Acute,
        10,
    );
    p.issues[0].line_items = vec![
        LineItem {
            id: Some("A54219B8-F741-4C47-B662-E4F8DFA49AB6".into()),
            status: Some(Coded::new(LineItemStatus::WithDispenser, "With Dispenser")),
            medication: Some(Box::new(Medication {
                description: Some("Amoxicillin 500mg capsules".into()),
                quantity: Some("21".into()),
                uom: Some("capsule".into()),
                dosage: Some("One capsule three times a day".into()),
                ..Medication::default()
            })),
        },
        LineItem {
            id: Some("B64219B8-F741-4C47-B662-E4F8DFA49AB7".into()),
            status: Some(Coded::new(LineItemStatus::Cancelled, "Item Cancelled")),
            medication: Some(Box::new(Medication {
                description: Some("Paracetamol 500mg tablets".into()),
                quantity: Some("32".into()),
                uom: Some("tablet".into()),
                dosage: Some("Two tablets up to four times a day".into()),
                ..Medication::default()
            })),
        },
    ];
    p.issues[0].dispenser = org(
        "CROYDON PHARMACY",
        "FA666",
        Some("2 LOW ROAD, CROYDON, CR0 2BB"),
        Some("0208 765 4321"),
    )
    .map(Box::new);
    // With no issue number, the basic retrieve is asked first which issue is current;
    // then the clinical detail.
    let cmds = update(
        &mut state,
        Msg::Fetched {
            id,
            result: Ok(answer(
                ResponseKind::Retrieve,
                vec![p.clone()],
                "TRACE-BASIC",
            )),
        },
    );
    let cmds = rested(&mut state, cmds);
    update(
        &mut state,
        Msg::Fetched {
            id: fetch_id(&cmds),
            result: Ok(answer(
                ResponseKind::ClinicalDetail,
                vec![p],
                "TRACE-CLINICAL",
            )),
        },
    );
    both_sizes("detail_clinical", &state);
}

fn failed_with(failure: Failure) -> State {
    let mut state = signed_in();
    send(&mut state, typed(NHS));
    let id = fetch_id(&send(&mut state, [key(KeyCode::Enter)]));
    update(
        &mut state,
        Msg::Fetched {
            id,
            result: Err(failure),
        },
    );
    state
}

#[test]
fn errors() {
    let mut spine = Failure::new(FailureKind::Spine, "no prescription found");
    spine.spine = Some(SpineError::new("5", "Unexpected exception"));
    spine.trace_id = Some("TRACE-ERROR-5".into());
    let mut gateway = Failure::new(
        FailureKind::Gateway,
        "the Spine gateway answered 502 Bad Gateway (HTML page \"502 Bad Gateway\"), not a Tracker response",
    );
    gateway.trace_id = Some("TRACE-ERROR-502".into());
    let network = Failure::new(
        FailureKind::Network,
        "no answer from 127.0.0.1:8443 within 10 s",
    );
    let denied = Failure::new(
        FailureKind::Denied,
        "the helpdesk role may not see clinical detail",
    );
    let audit = Failure::new(
        FailureKind::Audit,
        "the audit trail could not be written: disk full",
    );
    for (name, failure) in [
        ("error_spine", spine),
        ("error_gateway", gateway),
        ("error_network", network),
        ("error_denied", denied),
        ("error_audit", audit),
    ] {
        both_sizes(name, &failed_with(failure));
    }
}

#[test]
fn help() {
    let mut state = with_results();
    send(&mut state, [key(KeyCode::Char('?'))]);
    both_sizes("help", &state);
}

#[test]
fn locked() {
    let mut state = with_results();
    update(&mut state, Msg::IdleLock);
    both_sizes("locked", &state);
}

#[test]
fn idle_warning() {
    let mut state = with_results();
    update(&mut state, Msg::IdleCountdown(95));
    insta::assert_snapshot!("idle_warning_80x24", screen(&state, 80, 24));
}

#[test]
fn too_small() {
    insta::assert_snapshot!("too_small", screen(&with_results(), 59, 19));
    // Tiny and degenerate sizes draw without panicking.
    for (w, h) in [(0, 0), (1, 1), (10, 3), (59, 30), (300, 19)] {
        render(&with_results(), w, h);
    }
}

#[test]
fn no_color_means_no_colour_in_any_cell() {
    let mut states = vec![
        State::new(settings(false), today()),
        signed_in_with(false, false),
    ];
    let mut state = signed_in_with(false, false);
    send(&mut state, typed("9990548608"));
    states.push(state);
    let mut failed = signed_in_with(false, false);
    send(&mut failed, typed(NHS));
    let id = fetch_id(&send(&mut failed, [key(KeyCode::Enter)]));
    update(
        &mut failed,
        Msg::Fetched {
            id,
            result: Err(Failure::new(FailureKind::Network, "no answer")),
        },
    );
    states.push(failed);
    for state in &states {
        for (w, h) in [(80, 24), (200, 50)] {
            let buffer = render(state, w, h);
            for cell in buffer.content() {
                assert_eq!(cell.fg, Color::Reset, "{cell:?}");
                assert_eq!(cell.bg, Color::Reset, "{cell:?}");
            }
        }
    }
}

#[test]
fn selection_is_visible_without_colour() {
    let state = {
        let mut s = with_results();
        s.settings.color = false;
        s
    };
    let buffer = render(&state, 80, 24);
    let reversed = buffer
        .content()
        .iter()
        .filter(|c| c.modifier.contains(ratatui::style::Modifier::REVERSED))
        .count();
    assert!(
        reversed >= 70,
        "the selected row is drawn in reverse video ({reversed} cells)"
    );
}

/// Searched 9990548609 as a helpdesk user with PDS set up; the list answered and PDS
/// answered with `patient` (or failed with `Err`).
fn with_banner(patient: Result<Patient, String>) -> State {
    let mut state = signed_in_to(
        Settings {
            pds: true,
            ..settings(true)
        },
        false,
    );
    send(&mut state, typed(NHS));
    let cmds = send(&mut state, [key(KeyCode::Enter)]);
    let list = fetch_id(&cmds);
    let Some(&Cmd::LookUpPatient { id, .. }) =
        cmds.iter().find(|c| matches!(c, Cmd::LookUpPatient { .. }))
    else {
        panic!("no patient look-up: {cmds:?}");
    };
    update(
        &mut state,
        Msg::PatientFound {
            id,
            result: patient.map(|p| Demographics(Box::new(p))),
        },
    );
    answer_list_and_first_detail(&mut state, list, search_results().remove(0));
    state
}

/// The sandbox's demo patient as PDS holds them, with a name long enough to test the cut.
fn demo_patient() -> Patient {
    Patient {
        nhs_number: NHS.into(),
        name: Some(PersonName {
            prefix: Some("Mrs".into()),
            given: vec!["Jane".into(), "Élodie".into()],
            family: Some("O'Brien-Smith".into()),
            name_use: NameUse::Usual,
        }),
        other_names: Vec::new(),
        birth_date: NaiveDate::from_ymd_opt(1980, 5, 14).map(PartialDate::Day),
        gender: Some("female".into()),
        address: Some(Address {
            lines: vec!["1 Trevelyan Square".into(), "Leeds".into()],
            postcode: Some("LS1 6AE".into()),
        }),
        gp_ods: Some("Y12345".into()),
        deceased: None,
        restricted: false,
        superseded_from: None,
    }
}

#[test]
fn patient_banner() {
    both_sizes("patient_banner", &with_banner(Ok(demo_patient())));
}

#[test]
fn patient_banner_deceased_and_restricted_are_said_first() {
    let deceased = Patient {
        deceased: NaiveDate::from_ymd_opt(2026, 2, 3).map(PartialDate::Day),
        ..demo_patient()
    };
    let state = with_banner(Ok(deceased));
    let screen80 = screen(&state, 80, 24);
    assert!(
        screen80.contains("\nDECEASED 3 Feb 2026 · Jane O'BRIEN-SMITH · 14 May 1980"),
        "{screen80}"
    );
    insta::assert_snapshot!("patient_banner_deceased_80x24", screen80);
    let restricted = Patient {
        restricted: true,
        address: None,
        gp_ods: None,
        ..demo_patient()
    };
    let screen80 = screen(&with_banner(Ok(restricted)), 80, 24);
    assert!(
        screen80.contains("Patient: RESTRICTED RECORD · Jane O'BRIEN-SMITH"),
        "{screen80}"
    );
    assert!(!screen80.contains("LS1 6AE"), "{screen80}");
}

/// PDS answered the search's number with the record that replaced it: the note comes
/// first, whole at 200 columns and cut (never dropped) at 80.
#[test]
fn patient_banner_says_when_the_number_was_replaced() {
    let merged = Patient {
        nhs_number: "9990100217".into(),
        superseded_from: Some(NHS.into()),
        ..demo_patient()
    };
    let state = with_banner(Ok(merged));
    let wide = screen(&state, 200, 50);
    assert!(
        wide.contains(
            "\nNHS number 999 054 8609 has been replaced by 999 010 0217: use the new number \
             from now on, and search it too for newer prescriptions"
        ),
        "{wide}"
    );
    assert!(
        wide.contains("\nPatient: Mrs Jane Élodie O'BRIEN-SMITH"),
        "{wide}"
    );
    let narrow = screen(&state, 80, 24);
    assert!(
        narrow.contains("\nNHS number 999 054 8609 has been replaced by 999 010 0217"),
        "{narrow}"
    );
    insta::assert_snapshot!("patient_banner_superseded_80x24", narrow);
}

#[test]
fn patient_banner_when_pds_fails_keeps_the_prescriptions() {
    let state = with_banner(Err("PDS did not answer in time".into()));
    let screen80 = screen(&state, 80, 24);
    assert!(
        screen80.contains("Patient: details not available: PDS did not answer in time"),
        "{screen80}"
    );
    insta::assert_snapshot!("patient_banner_failed_80x24", screen80);
}

/// The patient details mode with the Patel details typed and PDS's answer that more than
/// one patient matches.
#[test]
fn patient_details_mode() {
    let mut state = signed_in_to(
        Settings {
            pds: true,
            ..settings(true)
        },
        false,
    );
    send(&mut state, [ctrl('t'), ctrl('t')]);
    send(&mut state, typed("Patel"));
    send(&mut state, [key(KeyCode::Down)]);
    send(&mut state, typed("12/07/85"));
    both_sizes("patient_details_typing", &state);

    // The year corrected; Enter asks PDS, which finds two.
    send(&mut state, (0..2).map(|_| key(KeyCode::Backspace)));
    send(&mut state, typed("1985"));
    let cmds = send(&mut state, [key(KeyCode::Enter)]);
    let Some(&Cmd::FindPatient { id, .. }) = cmds.first() else {
        panic!("a PDS search: {cmds:?}");
    };
    update(
        &mut state,
        Msg::PatientMatched {
            id,
            result: Err(
                "More than one patient matches: add the first name or the postcode.".into(),
            ),
        },
    );
    both_sizes("patient_details_too_many", &state);
}

/// The detail pane turns a page at a time: a one-line move only moves the reading line
/// (two rows redrawn on a slow link), and the text moves once the line leaves the page.
#[test]
fn the_detail_pane_scrolls_by_pages() {
    let mut state = with_erd_detail();
    let before = screen(&state, 80, 24);
    let reversed = |buffer: &Buffer| {
        (0..24)
            .filter(|&y| {
                (0..80).any(|x| {
                    buffer[(x, y)]
                        .modifier
                        .contains(ratatui::style::Modifier::REVERSED)
                        && buffer[(x, y)].symbol() != " "
                })
            })
            .collect::<Vec<u16>>()
    };
    let first = reversed(&render(&state, 80, 24));
    send(&mut state, [key(KeyCode::Down)]);
    assert_eq!(screen(&state, 80, 24), before, "the text stays put");
    let second = reversed(&render(&state, 80, 24));
    assert_ne!(first, second, "the reading line moved");
    send(&mut state, (0..24).map(|_| key(KeyCode::Down)));
    assert_ne!(screen(&state, 80, 24), before, "the next page");

    // End reaches the last line of the sheet, whose end then shows.
    send(&mut state, [key(KeyCode::End)]);
    let end = render(&state, 80, 24);
    let at_end = reversed(&end);
    assert!(
        screen(&state, 80, 24).contains("↑ more above"),
        "{}",
        screen(&state, 80, 24)
    );
    // Down past the end stays on the last line, and one Up moves at once.
    send(&mut state, (0..30).map(|_| key(KeyCode::Down)));
    assert_eq!(reversed(&render(&state, 80, 24)), at_end);
    // (Row 0 is the header's environment marker; the last line is the detail's.)
    let last = *at_end.last().unwrap();
    // Two Ups move two lines at once (the first lands on a blank line).
    send(&mut state, [key(KeyCode::Up), key(KeyCode::Up)]);
    assert_eq!(
        reversed(&render(&state, 80, 24)).last(),
        Some(&(last - 2)),
        "{}",
        screen(&state, 80, 24)
    );
    // Home goes back to the first page.
    send(&mut state, [key(KeyCode::Home)]);
    assert_eq!(screen(&state, 80, 24), before);
}

/// Spine's moments are UTC; the terminal app shows them on the reader's clock, naming the
/// offset (snapshots keep UTC).
#[test]
fn detail_times_are_on_the_readers_clock_with_the_zone_named() {
    let mut detail = search_results().remove(0);
    detail.download_date = NaiveDate::from_ymd_opt(2026, 7, 20)
        .and_then(|d| d.and_hms_opt(23, 30, 0))
        .map(SpineDate::Moment);
    let mut state = with_first_detail(detail);
    assert!(
        screen(&state, 200, 50).contains("Downloaded     20 Jul 2026 23:30 UTC"),
        "{}",
        screen(&state, 200, 50)
    );
    state.settings.zone = Zone::Fixed(chrono::FixedOffset::east_opt(3600).unwrap());
    let summer = screen(&state, 200, 50);
    assert!(
        summer.contains("Downloaded     21 Jul 2026 00:30 UTC+1"),
        "{summer}"
    );
}
