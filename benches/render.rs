//! The terminal app's cost per key: one `update` + `draw` for a list of 500 prescriptions
//! (target under 1 ms), and the bytes written to the terminal for the first frame at 80x24
//! and for moving the selection by one line (target under 300: a 9600 baud link must stay
//! usable). Bytes are counted by drawing through crossterm into a `Vec<u8>`, as the real
//! terminal gets them. Run with `cargo bench --bench render`.

use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use eps_tracker::app::msg::{Answer, SignInReply, Welcome};
use eps_tracker::app::state::Who;
use eps_tracker::app::{Cmd, Msg, Settings, State, update};
use eps_tracker::tracker::ids::{NhsNumber, PrescriptionId, mod37_check_character};
use eps_tracker::tracker::model::{
    Coded, Issue, LineItem, Medication, Prescription, PrescriptionStatus, ResponseKind, SpineDate,
    TrackerResponse, TreatmentType,
};
use eps_tracker::ui;
use ratatui::Terminal;
use ratatui::backend::{CrosstermBackend, TestBackend};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// A valid R2 prescription ID for a number.
fn id(n: usize) -> PrescriptionId {
    let body = format!("{:06X}-A83008-{:05X}", n, n * 7);
    let check = mod37_check_character(&body);
    PrescriptionId::parse(&format!("{body}{check}")).expect("valid ID")
}

fn prescriptions(count: usize) -> Vec<Prescription> {
    let statuses = [
        (PrescriptionStatus::ToBeDispensed, "To Be Dispensed"),
        (PrescriptionStatus::WithDispenser, "With Dispenser"),
        (PrescriptionStatus::Dispensed, "Dispensed"),
    ];
    (0..count)
        .map(|n| {
            let mut p = Prescription::new(id(n), NhsNumber::parse("9990548609").expect("valid"));
            p.treatment = Some(Coded::new(TreatmentType::Acute, "Acute"));
            let day = NaiveDate::from_ymd_opt(2026, 1, 1).expect("date")
                + chrono::Days::new(n as u64 % 300);
            p.issue_date = Some(SpineDate::Day(day));
            p.last_event_date = Some(SpineDate::Day(day));
            let mut issue = Issue::numbered(1);
            let (code, text) = statuses[n % statuses.len()].clone();
            issue.status = Some(Coded::new(code, text));
            p.issues.push(issue);
            p.current_issue = Some(1);
            p
        })
        .collect()
}

/// Signed in, searched, 500 prescriptions listed (all Current), the list focused.
fn listed(count: usize) -> State {
    let today = NaiveDate::from_ymd_opt(2026, 11, 25).expect("date");
    let mut state = State::new(Settings::default(), today);
    for ch in "helpdesk".chars() {
        update(&mut state, key(KeyCode::Char(ch)));
    }
    update(&mut state, key(KeyCode::Enter));
    for ch in "pw".chars() {
        update(&mut state, key(KeyCode::Char(ch)));
    }
    let cmds = update(&mut state, key(KeyCode::Enter));
    let Some(Cmd::SignIn { id, .. }) = cmds.first() else {
        panic!("no sign-in");
    };
    update(
        &mut state,
        Msg::SignInDone {
            id: *id,
            result: Ok(SignInReply::Welcome(Welcome {
                who: Who {
                    display_name: "Demo Helpdesk".into(),
                    user_id: "helpdesk".into(),
                    role: "helpdesk".into(),
                    organisation: "X26".into(),
                },
                clinical_allowed: false,
                patient_allowed: false,
                elsewhere: None,
            })),
        },
    );
    for ch in "9990548609".chars() {
        update(&mut state, key(KeyCode::Char(ch)));
    }
    let cmds = update(&mut state, key(KeyCode::Enter));
    let Some(Cmd::Fetch { id, .. }) = cmds.last() else {
        panic!("no search");
    };
    update(
        &mut state,
        Msg::Fetched {
            id: *id,
            result: Ok(Answer {
                trace_id: Some("EPST-0123456789abcdef012345678".into()),
                response: TrackerResponse {
                    kind: ResponseKind::Search,
                    prescriptions: prescriptions(count),
                    notice: None,
                    warnings: Vec::new(),
                },
            }),
        },
    );
    state
}

/// Counts what crossterm writes.
#[derive(Clone, Default)]
struct Tty(Arc<Mutex<Vec<u8>>>);

impl Write for Tty {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Tty {
    fn take(&self) -> usize {
        std::mem::take(&mut *self.0.lock().expect("lock")).len()
    }
}

fn crossterm_terminal(width: u16, height: u16, tty: &Tty) -> Terminal<CrosstermBackend<Tty>> {
    let options = ratatui::TerminalOptions {
        viewport: ratatui::Viewport::Fixed(ratatui::layout::Rect::new(0, 0, width, height)),
    };
    Terminal::with_options(CrosstermBackend::new(tty.clone()), options).expect("terminal")
}

/// Prints the bytes a first frame and a one-line move cost at a size.
fn bytes(width: u16, height: u16) {
    let tty = Tty::default();
    let mut terminal = crossterm_terminal(width, height, &tty);
    let mut state = listed(500);
    terminal.draw(|f| ui::draw(&state, f)).expect("draw");
    let first = tty.take();
    update(&mut state, key(KeyCode::Down));
    terminal.draw(|f| ui::draw(&state, f)).expect("draw");
    let moved = tty.take();
    // The answer for the new selection's detail arriving is not part of the move.
    update(&mut state, key(KeyCode::Down));
    terminal.draw(|f| ui::draw(&state, f)).expect("draw");
    let moved_again = tty.take();
    println!(
        "render/bytes {width}x{height}: first frame {first} B, selection down one line {moved} B \
         (next one {moved_again} B)"
    );
    detail_bytes(&mut state, &mut terminal, &tty, width, height);
}

/// Opens the selected prescription (a long one: twelve medicines) and prints what moving
/// down its detail one line costs, the page turn aside.
fn detail_bytes(
    state: &mut State,
    terminal: &mut Terminal<CrosstermBackend<Tty>>,
    tty: &Tty,
    width: u16,
    height: u16,
) {
    let cmds = update(state, key(KeyCode::Enter));
    let Some(Cmd::Fetch { id, .. }) = cmds.last() else {
        panic!("no retrieve");
    };
    let mut long = prescriptions(3).remove(2);
    long.issues[0].line_items = (0..12)
        .map(|n| LineItem {
            medication: Some(Box::new(Medication {
                description: Some(format!("Medicine number {n} 500mg tablets")),
                quantity: Some("28".into()),
                uom: Some("tablet".into()),
                dosage: Some("One to be taken twice a day with food".into()),
                ..Medication::default()
            })),
            ..LineItem::default()
        })
        .collect();
    update(
        state,
        Msg::Fetched {
            id: *id,
            result: Ok(Answer {
                trace_id: Some("EPST-0123456789abcdef012345679".into()),
                response: TrackerResponse {
                    kind: ResponseKind::Retrieve,
                    prescriptions: vec![long],
                    notice: None,
                    warnings: Vec::new(),
                },
            }),
        },
    );
    terminal.draw(|f| ui::draw(state, f)).expect("draw");
    tty.take();
    let mut moves = Vec::new();
    for _ in 0..3 {
        update(state, key(KeyCode::Down));
        terminal.draw(|f| ui::draw(state, f)).expect("draw");
        moves.push(tty.take());
    }
    println!("render/bytes {width}x{height}: detail down one line {moves:?} B");
}

fn bench(c: &mut Criterion) {
    bytes(80, 24);
    bytes(200, 50);
    let mut group = c.benchmark_group("render");
    for (width, height) in [(80u16, 24u16), (200, 50)] {
        let mut state = listed(500);
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
        let mut down = true;
        group.bench_function(
            format!("update+draw 500 prescriptions {width}x{height}"),
            |b| {
                b.iter(|| {
                    // Up and down alternately, so the selection stays near the top.
                    let code = if down { KeyCode::Down } else { KeyCode::Up };
                    down = !down;
                    update(&mut state, key(code));
                    terminal.draw(|f| ui::draw(&state, f)).expect("draw");
                });
            },
        );
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
