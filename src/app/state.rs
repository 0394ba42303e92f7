//! The whole state of the terminal app: what is on screen and what is in flight.
//! `draw` reads it, `update` changes it; the runtime only resets the `dirty` and
//! `clear_screen` flags once it has drawn.

use chrono::NaiveDate;
use ratatui::crossterm::event::KeyEvent;

use super::detail::{Detail, DetailLoad};
use super::form::QueryForm;
use super::keymap::Keymap;
use super::msg::Failure;
use super::msg::RequestId;
use super::patient::PatientBanner;
use super::results::ResultList;
use super::scroll::Scroll;
use super::signin::SignInForm;
use super::zone::Zone;
use crate::tracker::query::TrackerRequest;

/// The three panes of the main screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pane {
    #[default]
    Query,
    Results,
    Detail,
}

impl Pane {
    pub fn next(self, forward: bool) -> Pane {
        match (self, forward) {
            (Pane::Query, true) | (Pane::Detail, false) => Pane::Results,
            (Pane::Results, true) | (Pane::Query, false) => Pane::Detail,
            (Pane::Detail, true) | (Pane::Results, false) => Pane::Query,
        }
    }
}

/// Settings fixed for the session: where we are talking to and how to draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The environment marker shown all session: `SANDBOX`, `INT`, `DEP`, `LIVE`.
    pub environment: String,
    /// False under `NO_COLOR` or `--no-color`: state is then carried by text and
    /// attributes (bold, reverse) alone.
    pub color: bool,
    /// Demo accounts listed on the sign-in screen (sandbox only).
    pub demo_accounts: Vec<String>,
    pub demo_password: Option<String>,
    pub keymap: Keymap,
    /// `[search] default_window_days`: how far back a search looks by default.
    pub search_window_days: u32,
    /// PDS is set up for this environment: the patient banner can be offered.
    pub pds: bool,
    /// The zone times are shown in.
    pub zone: Zone,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            environment: "SANDBOX".into(),
            color: true,
            demo_accounts: Vec::new(),
            demo_password: None,
            keymap: Keymap::default(),
            search_window_days: crate::tracker::window::DEFAULT_WINDOW_DAYS,
            pds: false,
            zone: Zone::Utc,
        }
    }
}

/// Who is signed in, as the confidentiality line names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Who {
    pub display_name: String,
    pub user_id: String,
    pub role: String,
    pub organisation: String,
}

/// The result list pane: nothing asked yet, waiting, an answer, or why there is none.
#[derive(Debug, Default)]
pub enum ListState {
    #[default]
    Empty,
    Loading {
        id: RequestId,
        request: TrackerRequest,
    },
    Ready(ResultList),
    Failed {
        request: TrackerRequest,
        failure: Failure,
    },
    Cancelled {
        request: TrackerRequest,
    },
}

impl ListState {
    pub fn ready(&self) -> Option<&ResultList> {
        match self {
            ListState::Ready(list) => Some(list),
            _ => None,
        }
    }

    pub fn ready_mut(&mut self) -> Option<&mut ResultList> {
        match self {
            ListState::Ready(list) => Some(list),
            _ => None,
        }
    }

    pub fn loading(&self) -> Option<RequestId> {
        match self {
            ListState::Loading { id, .. } => Some(*id),
            _ => None,
        }
    }
}

#[derive(Debug)]
pub struct State {
    pub settings: Settings,
    /// Present while the sign-in (or unlock) screen is up.
    pub signin: Option<SignInForm>,
    pub signin_request: Option<RequestId>,
    pub session: Option<Who>,
    /// Trace ID of the last Tracker request, to quote to the national service desk.
    pub last_trace: Option<String>,
    /// Seconds left before the idle lock, once the two-minute warning has started.
    pub idle_lock_in: Option<u64>,
    pub focus: Pane,
    pub form: QueryForm,
    pub list: ListState,
    pub detail: Detail,
    /// Who the patient on screen is, from PDS.
    pub patient: PatientBanner,
    /// Today's local date, for reading typed dates, defaults, Spine's 28-day rule and
    /// "n days ago". The runtime owns the clock and moves it on (`Msg::Today`) when the
    /// date changes.
    pub today: NaiveDate,
    /// A short note for the footer (e.g. what was copied), until the next key.
    pub notice: Option<String>,
    /// Audit records are not leaving the machine: said in the footer until they do, so
    /// staff can tell IT security (they cannot fix it themselves).
    pub audit_warning: Option<String>,
    /// Scroll offset of the help overlay when it is open.
    pub help: Option<Scroll>,
    /// Turns once per tick while anything is in flight.
    pub spinner: usize,
    /// Set when the user asked to leave; the runtime restores the terminal and exits.
    pub quit: bool,
    /// Whether anything visible changed since the last draw.
    pub dirty: bool,
    /// Keys typed while the password was being checked, replayed once the workspace opens.
    pub typeahead: Vec<KeyEvent>,
    /// Set when the whole terminal must be wiped (lock, sign-out): the runtime clears it
    /// before the next draw so no patient data survives in any cell.
    pub clear_screen: bool,
    next_request: u64,
}

impl State {
    pub fn new(settings: Settings, today: NaiveDate) -> State {
        let form = QueryForm {
            window_days: settings.search_window_days,
            ..QueryForm::default()
        };
        State {
            list: ListState::Empty,
            detail: Detail::default(),
            patient: PatientBanner::default(),
            today,
            notice: None,
            audit_warning: None,
            settings,
            signin: Some(SignInForm::default()),
            signin_request: None,
            session: None,
            last_trace: None,
            idle_lock_in: None,
            focus: Pane::Query,
            form,
            help: None,
            spinner: 0,
            quit: false,
            dirty: true,
            clear_screen: false,
            typeahead: Vec::new(),
            next_request: 0,
        }
    }

    /// A fresh id for a new request.
    pub fn next_request_id(&mut self) -> RequestId {
        self.next_request += 1;
        RequestId(self.next_request)
    }

    /// Whether a key press goes into a text field (so plain letters are text, not commands).
    pub fn typing(&self) -> bool {
        if self.help.is_some() {
            return false;
        }
        if self.signin.is_some() {
            return true;
        }
        match self.focus {
            Pane::Query => self.form.focused().is_text(),
            Pane::Results => self.list.ready().is_some_and(|l| l.filtering),
            Pane::Detail => false,
        }
    }

    /// The countdown shown before the idle lock, if it has started.
    pub fn idle_warning(&self) -> Option<String> {
        self.idle_lock_in.map(|secs| {
            format!(
                "Locking in {}:{:02} (press any key to stay signed in)",
                secs / 60,
                secs % 60
            )
        })
    }

    /// Whether someone is signed in and the screen is not locked.
    pub fn signed_in(&self) -> bool {
        self.session.is_some() && self.signin.is_none()
    }

    /// Whether anything is in flight (the runtime ticks the spinner only then).
    pub fn busy(&self) -> bool {
        self.signin_request.is_some()
            || self.list.loading().is_some()
            || matches!(self.detail.load, DetailLoad::Loading(_))
            || self.patient.finding().is_some()
    }
}
