//! The real event loop, driven in-process: a scripted key stream, `TestBackend`, paused
//! tokio time and scripted effects that count what was sent and record cancellations the
//! way the gate does (when a request future is dropped before its answer).

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use futures_util::future::BoxFuture;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use tokio::time::sleep;
use zeroize::Zeroizing;

use super::effects::Effects;
use super::event_loop::{Ending, Timing, run};
use super::lookup;
use super::signals::Signals;
use super::worker::Worker;
use crate::app::msg::{Answer, Failure, FailureKind, LockCause, SignInReply, Welcome};
use crate::app::state::Who;
use crate::app::tests::{NHS, answer, search_results};
use crate::app::{RequestId, Settings, State};
use crate::security::gate::GateError;
use crate::security::session::Revoked;
use crate::tracker::ids::{NhsNumber, PrescriptionId};
use crate::tracker::model::{Prescription, ResponseKind};
use crate::tracker::query::TrackerRequest;

/// Scripted effects: what the runtime asked for, and what it recorded.
struct Fake {
    rows: Vec<Prescription>,
    /// How long a retrieve takes to answer.
    retrieve_delay: Duration,
    /// How long the password check takes (real time: it runs on a blocking thread).
    sign_in_delay: Duration,
    deny_search: bool,
    /// PDS set up and the role has `pds.read`: the banner is asked for.
    pds: bool,
    /// Set: every request is refused as the gate refuses a revoked session.
    revoked: Arc<AtomicBool>,
    today: Mutex<NaiveDate>,
    sent: Mutex<Vec<TrackerRequest>>,
    /// Audit-like records: `cancelled`, `lock`, `idle_lock`, `sign_out`, `undo`.
    records: Arc<Mutex<Vec<String>>>,
    session: AtomicBool,
    sign_in_finished: AtomicBool,
    /// What `audit_backlog` says, and how often the loop asks.
    audit_backlog: Mutex<Option<String>>,
    audit_check: Duration,
}

impl Fake {
    fn new() -> Fake {
        Fake {
            rows: many_rows(25),
            retrieve_delay: Duration::from_millis(20),
            sign_in_delay: Duration::ZERO,
            deny_search: false,
            pds: false,
            revoked: Arc::new(AtomicBool::new(false)),
            today: Mutex::new(NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()),
            sent: Mutex::new(Vec::new()),
            records: Arc::new(Mutex::new(Vec::new())),
            session: AtomicBool::new(false),
            sign_in_finished: AtomicBool::new(false),
            audit_backlog: Mutex::new(None),
            audit_check: Duration::from_secs(60),
        }
    }

    fn retrieves(&self) -> Vec<String> {
        self.sent
            .lock()
            .unwrap()
            .iter()
            .filter_map(|r| match r {
                TrackerRequest::Retrieve(q) => Some(q.id.as_str().to_string()),
                _ => None,
            })
            .collect()
    }

    fn searches(&self) -> usize {
        self.sent
            .lock()
            .unwrap()
            .iter()
            .filter(|r| matches!(r, TrackerRequest::Search(_)))
            .count()
    }

    fn records(&self) -> Vec<String> {
        self.records.lock().unwrap().clone()
    }

    fn record(&self, what: &str) {
        self.records.lock().unwrap().push(what.to_string());
    }
}

/// Writes `cancelled` when dropped before the answer, as the gate's outcome guard does.
struct Outcome {
    records: Arc<Mutex<Vec<String>>>,
    answered: bool,
}

impl Drop for Outcome {
    fn drop(&mut self) {
        if !self.answered {
            self.records.lock().unwrap().push("cancelled".into());
        }
    }
}

impl Effects for Fake {
    fn fetch(&self, request: TrackerRequest) -> BoxFuture<'static, Result<Answer, Failure>> {
        self.sent.lock().unwrap().push(request.clone());
        let records = self.records.clone();
        let rows = self.rows.clone();
        let deny = self.deny_search;
        let delay = self.retrieve_delay;
        let revoked = self.revoked.load(Ordering::SeqCst);
        Box::pin(async move {
            let mut outcome = Outcome {
                records,
                answered: false,
            };
            let result = match request {
                _ if revoked => Err(lookup::failure_of(GateError::SessionRevoked {
                    reason: Revoked::Disabled,
                })),
                TrackerRequest::Search(_) if deny => Err(Failure::new(
                    FailureKind::Denied,
                    "your role may not search",
                )),
                TrackerRequest::Search(_) => {
                    sleep(Duration::from_millis(10)).await;
                    Ok(answer(ResponseKind::Search, rows, "t-search"))
                }
                TrackerRequest::Retrieve(q) | TrackerRequest::ClinicalDetail(q) => {
                    sleep(delay).await;
                    let row = rows.into_iter().find(|p| p.id == q.id);
                    Ok(answer(
                        ResponseKind::Retrieve,
                        row.into_iter().collect(),
                        "t",
                    ))
                }
                TrackerRequest::ClinicalSummary(_) => Err(Failure::new(FailureKind::Denied, "no")),
            };
            outcome.answered = true;
            result
        })
    }

    fn sign_in(
        &self,
        _id: RequestId,
        user: &str,
        _password: Zeroizing<String>,
    ) -> Result<SignInReply, String> {
        std::thread::sleep(self.sign_in_delay);
        self.session.store(true, Ordering::SeqCst);
        self.sign_in_finished.store(true, Ordering::SeqCst);
        Ok(SignInReply::Welcome(Welcome {
            who: Who {
                display_name: "Demo Helpdesk".into(),
                user_id: user.into(),
                role: "helpdesk".into(),
                organisation: "X26".into(),
            },
            clinical_allowed: false,
            patient_allowed: self.pds,
            elsewhere: None,
        }))
    }

    fn choose(&self, _id: RequestId, _index: usize) -> Result<SignInReply, String> {
        Err("no role choice in these tests".into())
    }

    fn undo_sign_in(&self, _id: RequestId) -> Result<(), String> {
        self.session.store(false, Ordering::SeqCst);
        self.record("undo");
        Ok(())
    }

    fn lock(&self, cause: LockCause) -> Result<(), String> {
        self.record(match cause {
            LockCause::Manual => "lock",
            LockCause::Idle => "idle_lock",
        });
        Ok(())
    }

    fn sign_out(&self, _reason: Option<&str>) -> Result<(), String> {
        self.session.store(false, Ordering::SeqCst);
        self.record("sign_out");
        Ok(())
    }

    fn touch(&self) {}

    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn today(&self) -> NaiveDate {
        *self.today.lock().unwrap()
    }

    fn patient(
        &self,
        nhs: NhsNumber,
    ) -> BoxFuture<'static, Result<crate::app::patient::Demographics, String>> {
        self.record(&format!("patient {}", nhs.as_digits()));
        Box::pin(async { Err("PDS is not answering".to_string()) })
    }

    fn find_patient(
        &self,
        _search: crate::pds::PatientSearch,
    ) -> BoxFuture<'static, Result<crate::app::patient::Demographics, String>> {
        self.record("patient search");
        Box::pin(async { Err("PDS is not answering".to_string()) })
    }

    fn audit_backlog(&self) -> Option<String> {
        self.audit_backlog.lock().unwrap().clone()
    }
}

/// `n` acute prescriptions, all current, with valid (check-charactered) IDs.
fn many_rows(n: usize) -> Vec<Prescription> {
    let template = search_results().remove(0);
    (0..n)
        .map(|i| {
            let id = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ+"
                .chars()
                .find_map(|check| {
                    PrescriptionId::parse(&format!("A3B4D9-Z42475-{i:05X}{check}")).ok()
                })
                .expect("a check character fits");
            let mut p = template.clone();
            p.id = id;
            p
        })
        .collect()
}

/// The user's side: keys into the loop, with pauses between them.
struct Keys(UnboundedSender<io::Result<Event>>);

impl Keys {
    fn press(&self, code: KeyCode) {
        let _ = self
            .0
            .send(Ok(Event::Key(KeyEvent::new(code, KeyModifiers::NONE))));
    }

    fn ctrl(&self, ch: char) {
        let _ = self.0.send(Ok(Event::Key(KeyEvent::new(
            KeyCode::Char(ch),
            KeyModifiers::CONTROL,
        ))));
    }

    fn type_text(&self, text: &str) {
        text.chars().for_each(|c| self.press(KeyCode::Char(c)));
    }

    async fn pause(&self, millis: u64) {
        sleep(Duration::from_millis(millis)).await;
    }

    /// Signs in and searches the demo patient; returns once the list is there.
    async fn sign_in_and_search(&self) {
        self.type_text("helpdesk");
        self.press(KeyCode::Enter);
        self.type_text("pw");
        self.press(KeyCode::Enter);
        self.pause(50).await;
        self.type_text(NHS);
        self.press(KeyCode::Enter);
        self.pause(50).await;
    }
}

/// Runs the real loop on `fake` while `script` types; the script's end closes the input
/// (the loop then ends as on a hang-up). Returns the final state and the screen.
async fn drive<F>(fake: Arc<Fake>, script: impl FnOnce(Keys) -> F) -> (State, String, Ending)
where
    F: Future<Output = ()>,
{
    let (tx, rx) = unbounded_channel();
    let events = Box::pin(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|event| (event, rx))
    }));
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let settings = Settings {
        pds: fake.pds,
        ..Settings::default()
    };
    let mut state = State::new(settings, fake.today());
    let mut worker = Worker::new(fake.clone(), Box::new(io::sink()));
    let mut signals = Signals::none();
    let timing = Timing {
        idle: Duration::from_secs(15 * 60),
        settle: Duration::from_millis(250),
        audit_check: fake.audit_check,
    };
    let run = run(
        &mut terminal,
        events,
        &mut state,
        &mut worker,
        &mut signals,
        timing,
        || false,
    );
    let script = async move {
        script(Keys(tx)).await;
    };
    let (ending, ()) = tokio::join!(run, script);
    worker.shutdown(Duration::from_secs(1)).await;
    let screen = format!("{:?}", terminal.backend().buffer());
    (state, screen, ending.unwrap())
}

fn fake(change: impl FnOnce(&mut Fake)) -> Arc<Fake> {
    let mut fake = Fake::new();
    change(&mut fake);
    Arc::new(fake)
}

#[tokio::test(start_paused = true)]
async fn twenty_downs_within_100_ms_send_one_fetch() {
    let fake = fake(|_| {});
    let (state, _, _) = drive(fake.clone(), |keys| async move {
        keys.sign_in_and_search().await;
        for _ in 0..20 {
            keys.press(KeyCode::Down);
            keys.pause(5).await;
        }
        keys.pause(1000).await;
    })
    .await;
    let rows = many_rows(25);
    assert_eq!(fake.retrieves(), vec![rows[20].id.as_str().to_string()]);
    assert_eq!(
        state.detail.shown().map(|s| s.prescription.id.clone()),
        Some(rows[20].id.clone())
    );
}

#[tokio::test(start_paused = true)]
async fn moving_back_shows_a_fetched_detail_without_a_request() {
    let fake = fake(|_| {});
    drive(fake.clone(), |keys| async move {
        keys.sign_in_and_search().await;
        keys.pause(500).await;
        keys.press(KeyCode::Down);
        keys.pause(500).await;
        keys.press(KeyCode::Up);
        keys.pause(500).await;
    })
    .await;
    assert_eq!(fake.retrieves().len(), 2, "{:?}", fake.retrieves());
}

#[tokio::test(start_paused = true)]
async fn esc_during_a_slow_request_records_cancelled() {
    let fake = fake(|f| f.retrieve_delay = Duration::from_secs(60));
    let (state, _, _) = drive(fake.clone(), |keys| async move {
        keys.sign_in_and_search().await;
        keys.press(KeyCode::Enter);
        keys.pause(100).await;
        keys.press(KeyCode::Esc);
        keys.pause(100).await;
    })
    .await;
    assert_eq!(fake.retrieves().len(), 1);
    assert_eq!(fake.records(), vec!["cancelled"]);
    assert!(!state.busy());
}

#[tokio::test(start_paused = true)]
async fn lock_and_quit_with_a_request_in_flight_record_its_cancellation() {
    let fake = fake(|f| f.retrieve_delay = Duration::from_secs(60));
    let (_, screen, ending) = drive(fake.clone(), |keys| async move {
        keys.sign_in_and_search().await;
        keys.press(KeyCode::Enter);
        keys.pause(100).await;
        keys.ctrl('l');
        keys.pause(100).await;
    })
    .await;
    assert_eq!(ending, Ending::Hangup);
    let records = fake.records();
    assert!(records.contains(&"cancelled".to_string()), "{records:?}");
    assert!(records.contains(&"lock".to_string()), "{records:?}");
    assert!(
        !screen.contains(NHS),
        "nothing of the patient on the lock screen"
    );
    assert!(
        !screen.contains("A3B4D9"),
        "nothing of the patient on the lock screen"
    );
}

#[tokio::test(start_paused = true)]
async fn the_idle_lock_is_recorded_as_idle_lock() {
    let fake = fake(|_| {});
    let (state, screen, _) = drive(fake.clone(), |keys| async move {
        keys.sign_in_and_search().await;
        keys.pause(16 * 60 * 1000).await;
    })
    .await;
    assert_eq!(fake.records(), vec!["idle_lock"]);
    assert!(!state.signed_in());
    assert!(!screen.contains(NHS));
}

#[tokio::test(start_paused = true)]
async fn a_sign_in_cancelled_after_the_password_check_leaves_no_session() {
    let fake = fake(|f| f.sign_in_delay = Duration::from_millis(200));
    let probe = fake.clone();
    let (state, _, _) = drive(fake.clone(), |keys| async move {
        keys.type_text("helpdesk");
        keys.press(KeyCode::Enter);
        keys.type_text("pw");
        keys.press(KeyCode::Enter);
        // Esc while the check runs (paused time would wait for the blocking thread).
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
        assert!(!probe.sign_in_finished.load(Ordering::SeqCst));
        keys.press(KeyCode::Esc);
        // The check runs on a blocking thread in real time: wait for it, then for the
        // loop to undo it.
        while !probe.sign_in_finished.load(Ordering::SeqCst) {
            tokio::task::yield_now().await;
            std::thread::sleep(Duration::from_millis(5));
        }
        for _ in 0..200 {
            if !probe.session.load(Ordering::SeqCst) {
                break;
            }
            keys.pause(10).await;
            std::thread::sleep(Duration::from_millis(2));
        }
    })
    .await;
    assert!(
        !fake.session.load(Ordering::SeqCst),
        "no session left: {:?} {:?}",
        fake.records(),
        state.signin
    );
    assert_eq!(fake.records(), vec!["undo"]);
    assert!(state.session.is_none());
}

#[tokio::test(start_paused = true)]
async fn a_new_search_fetches_a_cached_detail_again() {
    let fake = fake(|_| {});
    drive(fake.clone(), |keys| async move {
        keys.sign_in_and_search().await;
        keys.pause(500).await;
        keys.press(KeyCode::Char('n'));
        keys.press(KeyCode::Enter);
        keys.pause(500).await;
    })
    .await;
    let first = many_rows(1).remove(0).id.as_str().to_string();
    assert_eq!(fake.searches(), 2);
    assert_eq!(fake.retrieves(), vec![first.clone(), first]);
}

#[tokio::test(start_paused = true)]
async fn crossing_midnight_changes_today() {
    let fake = fake(|_| {});
    let clock = fake.clone();
    let (state, _, _) = drive(fake.clone(), |keys| async move {
        keys.sign_in_and_search().await;
        keys.pause(2000).await;
        *clock.today.lock().unwrap() = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        keys.pause(2000).await;
    })
    .await;
    assert_eq!(state.today, NaiveDate::from_ymd_opt(2026, 11, 26).unwrap());
}

#[tokio::test(start_paused = true)]
async fn retry_is_not_offered_after_a_refusal() {
    let fake = fake(|f| f.deny_search = true);
    let (state, _, _) = drive(fake.clone(), |keys| async move {
        keys.sign_in_and_search().await;
        keys.press(KeyCode::Tab);
        keys.press(KeyCode::Char('r'));
        keys.pause(100).await;
    })
    .await;
    assert_eq!(fake.searches(), 1);
    assert!(
        state
            .notice
            .as_deref()
            .is_some_and(|n| n.contains("will not help")),
        "{:?}",
        state.notice
    );
}

/// The banner's PDS look-up goes through the effects seam beside the search; PDS failing
/// shows in the banner line and the prescriptions still come.
#[tokio::test(start_paused = true)]
async fn the_patient_look_up_runs_beside_the_search_and_its_failure_spares_the_list() {
    let fake = Arc::new(Fake {
        pds: true,
        ..Fake::new()
    });
    let (state, screen, _) = drive(fake.clone(), |keys| async move {
        keys.sign_in_and_search().await;
        keys.pause(100).await;
    })
    .await;
    assert!(
        fake.records().contains(&format!("patient {NHS}")),
        "{:?}",
        fake.records()
    );
    assert!(
        screen.contains("Patient: details not available: PDS is not answering"),
        "{screen}"
    );
    assert!(state.list.ready().is_some(), "{screen}");
}

#[tokio::test(start_paused = true)]
async fn a_revoked_session_returns_to_sign_in_with_the_reason_and_no_patient_data() {
    let fake = fake(|_| {});
    let revoke = fake.revoked.clone();
    let (state, screen, _) = drive(fake.clone(), |keys| async move {
        keys.sign_in_and_search().await;
        keys.pause(500).await;
        // An administrator locks the account; the next request finds out.
        revoke.store(true, Ordering::SeqCst);
        keys.press(KeyCode::Down);
        keys.pause(1000).await;
    })
    .await;
    assert!(state.session.is_none());
    assert!(matches!(state.list, crate::app::ListState::Empty));
    assert!(state.detail.shown().is_none());
    let note = state.signin.as_ref().and_then(|f| f.note.as_ref());
    assert!(
        note.is_some_and(|n| n.is_error && n.text.contains("locked by an administrator")),
        "{note:?}"
    );
    assert!(screen.contains("locked by an"), "the reason is on screen");
    assert!(!screen.contains(NHS), "nothing of the patient stays");
    assert!(!screen.contains("A3B4D9"), "nothing of the patient stays");
    assert_eq!(fake.records(), vec!["sign_out"]);
}

#[tokio::test(start_paused = true)]
async fn the_footer_says_when_audit_records_are_not_leaving_and_stops_once_they_do() {
    const WAITING: &str = "audit records not forwarded since 03:10 UTC: tell IT security";
    let stuck = fake(|f| {
        f.audit_backlog = Mutex::new(Some(WAITING.into()));
        f.audit_check = Duration::from_secs(1);
    });
    let (state, screen, _) = drive(stuck, |keys| async move {
        keys.sign_in_and_search().await;
        keys.pause(3000).await;
    })
    .await;
    assert_eq!(state.audit_warning.as_deref(), Some(WAITING));
    assert!(screen.contains(WAITING), "{screen}");

    let recovers = fake(|f| {
        f.audit_backlog = Mutex::new(Some(WAITING.into()));
        f.audit_check = Duration::from_secs(1);
    });
    let probe = recovers.clone();
    let (state, screen, _) = drive(recovers, |keys| async move {
        keys.sign_in_and_search().await;
        keys.pause(1500).await;
        *probe.audit_backlog.lock().unwrap() = None;
        keys.pause(3000).await;
    })
    .await;
    assert_eq!(
        state.audit_warning, None,
        "cleared once the records have left"
    );
    assert!(!screen.contains("not forwarded"), "{screen}");
}
