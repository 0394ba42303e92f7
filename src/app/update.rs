//! `update`: the one place state changes. Pure: it never awaits and never does I/O;
//! effects leave as `Cmd`s for the runtime, whose answers come back as `Msg`s.

use ratatui::crossterm::event::{Event, KeyEvent, KeyEventKind};
use tui_input::InputRequest;
use tui_input::backend::crossterm::to_input_request;

use super::detail::Detail;
use super::form::{QueryForm, QueryMode};
use super::keymap::{Action, KeyCodeOrd, KeyPress};
use super::msg::{Cmd, FailureKind, LockCause, Msg, RequestId, Secret, SignInReply};
use super::patient::{self, PatientBanner};
use super::requests::{self, When};
use super::scroll::Scroll;
use super::signin::{Note, RoleChoice, SignInField, SignInForm};
use super::state::{ListState, Pane, State};
use crate::tracker::model::StatusGroup;

/// Rows moved by PageUp / PageDown.
const PAGE: isize = 10;
/// Keys kept while a password is checked, at most.
const TYPEAHEAD: usize = 256;

/// Applies one message to the state and returns the work it asks the runtime to do.
pub fn update(state: &mut State, msg: Msg) -> Vec<Cmd> {
    state.dirty = true;
    match msg {
        Msg::Key(event) => on_key(state, event),
        Msg::Paste(text) => {
            on_paste(state, &text);
            Vec::new()
        }
        Msg::Resize => Vec::new(),
        Msg::Tick => {
            if state.busy() {
                state.spinner = state.spinner.wrapping_add(1);
            } else {
                state.dirty = false;
            }
            Vec::new()
        }
        Msg::Terminate => {
            state.quit = true;
            Vec::new()
        }
        Msg::IdleCountdown(seconds) => {
            state.idle_lock_in = state.signed_in().then_some(seconds);
            Vec::new()
        }
        Msg::IdleLock => lock(
            state,
            "Locked after a period without activity.",
            LockCause::Idle,
        ),
        Msg::SignInDone { id, result } => on_signed_in(state, id, result),
        // Whichever request found it out, a revoked session ends now: nothing of it stays
        // on screen.
        Msg::Fetched {
            result: Err(failure),
            ..
        } if failure.kind == FailureKind::Revoked && state.session.is_some() => end_session(
            state,
            Note::error(format!("{} {}", failure.message, failure.advice())),
        ),
        Msg::Fetched { id, result } => {
            let list_answer = state.list.loading() == Some(id);
            let (current, mut cmds) = requests::on_fetched(state, id, result);
            if list_answer {
                cmds.extend(patient::on_list_answered(state));
            }
            if !current {
                // An answer to a request the user has moved on from: drop it.
                state.dirty = false;
            }
            cmds
        }
        Msg::Rested => {
            let cmds = requests::on_rested(state);
            // Nothing sent: nothing on screen changed either.
            state.dirty = !cmds.is_empty();
            cmds
        }
        Msg::Today(today) => {
            state.today = today;
            Vec::new()
        }
        Msg::PatientFound { id, result } => {
            state.dirty = patient::on_found(state, id, result);
            Vec::new()
        }
        Msg::PatientMatched { id, result } => {
            let cmds = patient::on_matched(state, id, result);
            state.dirty = cmds.is_some();
            cmds.unwrap_or_default()
        }
        Msg::AuditCheckDue => {
            state.dirty = false;
            vec![Cmd::CheckAuditBacklog]
        }
        Msg::AuditBacklog(warning) => {
            state.dirty = state.audit_warning != warning;
            state.audit_warning = warning;
            Vec::new()
        }
    }
}

/// Hides everything behind the unlock screen; the workspace stays for after the password.
fn lock(state: &mut State, why: &str, cause: LockCause) -> Vec<Cmd> {
    state.idle_lock_in = None;
    let Some(who) = state.session.as_ref() else {
        state.dirty = false;
        return Vec::new();
    };
    if state.signin.is_some() {
        state.dirty = false;
        return Vec::new();
    }
    state.signin = Some(SignInForm::locked(&who.user_id, Note::info(why)));
    state.help = None;
    state.clear_screen = true;
    let mut cmds = requests::cancel_all(state);
    cmds.push(Cmd::Lock(cause));
    cmds
}

/// Forgets the session and everything looked up in it.
fn sign_out(state: &mut State) -> Vec<Cmd> {
    end_session(state, Note::info("Signed out."))
}

/// Back to the sign-in screen with `note`, the session and its patient data gone.
fn end_session(state: &mut State, note: Note) -> Vec<Cmd> {
    let mut cmds = requests::cancel_all(state);
    cmds.push(Cmd::SignOut);
    state.session = None;
    state.list = ListState::Empty;
    state.detail = Detail::default();
    state.patient = PatientBanner::default();
    state.form = QueryForm::fresh(false, state.settings.search_window_days);
    state.focus = Pane::Query;
    state.last_trace = None;
    state.idle_lock_in = None;
    state.help = None;
    state.signin = Some(SignInForm {
        note: Some(note),
        ..SignInForm::default()
    });
    state.clear_screen = true;
    cmds
}

fn on_signed_in(state: &mut State, id: RequestId, result: Result<SignInReply, String>) -> Vec<Cmd> {
    if state.signin_request != Some(id) {
        state.dirty = false;
        // Cancelled, but the password check got there first: undo what it opened, or the
        // runtime would hold a session the screen says does not exist.
        return match result {
            Ok(_) => vec![Cmd::UndoSignIn(id)],
            Err(_) => Vec::new(),
        };
    }
    state.signin_request = None;
    // Keys typed during the check go to the workspace, never into a sign-in field.
    let typed_ahead = std::mem::take(&mut state.typeahead);
    let Some(form) = state.signin.as_mut() else {
        return Vec::new();
    };
    form.checking = false;
    match result {
        Ok(SignInReply::ChooseRole(options)) => {
            form.roles = Some(RoleChoice {
                options,
                selected: 0,
            });
            form.note = Some(Note::info("Choose the role profile to work in."));
        }
        Ok(SignInReply::Welcome(welcome)) => {
            let unlocking = form.locked_user.is_some();
            state.signin = None;
            if !unlocking {
                state.form =
                    QueryForm::fresh(welcome.clinical_allowed, state.settings.search_window_days);
                state.patient = PatientBanner::new(state.settings.pds && welcome.patient_allowed);
                state.form.patient_allowed = state.patient.allowed;
                state.session = Some(welcome.who);
                state.focus = Pane::Query;
                state.form.note = welcome.elsewhere;
            }
            return typed_ahead
                .into_iter()
                .flat_map(|key| on_key(state, key))
                .collect();
        }
        Err(message) => {
            form.note = Some(Note::error(message));
            form.field = SignInField::Password;
            form.roles = None;
        }
    }
    Vec::new()
}

fn on_key(state: &mut State, event: KeyEvent) -> Vec<Cmd> {
    if event.kind == KeyEventKind::Release {
        state.dirty = false;
        return Vec::new();
    }
    let Some(key) = KeyPress::from_event(&event) else {
        state.dirty = false;
        return Vec::new();
    };
    if key.is_interrupt() {
        state.quit = true;
        return Vec::new();
    }
    // Any key keeps the session: the first one after the warning only dismisses it.
    if state.idle_lock_in.take().is_some() {
        return Vec::new();
    }
    state.notice = None;
    let actions = state.settings.keymap.actions_for(key, state.typing());
    if state.help.is_some() {
        return on_help_key(state, &actions);
    }
    if state.signin.is_some() {
        return on_signin_key(state, key, event, &actions);
    }
    let handled = match state.focus {
        Pane::Query => on_query_key(state, key, event, &actions),
        Pane::Results => on_results_key(state, key, event, &actions),
        Pane::Detail => on_detail_key(state, &actions),
    };
    if let Some(cmds) = handled {
        return cmds;
    }
    on_global_key(state, &actions)
}

fn on_help_key(state: &mut State, actions: &[Action]) -> Vec<Cmd> {
    for action in actions {
        if matches!(action, Action::Help | Action::Cancel) {
            state.help = None;
            return Vec::new();
        }
        if *action == Action::Quit {
            state.quit = true;
            return Vec::new();
        }
        let Some(scroll) = state.help.as_mut() else {
            break;
        };
        if scroll_by(scroll, *action, 10) {
            return Vec::new();
        }
    }
    state.dirty = false;
    Vec::new()
}

/// Moves a reading position for a scrolling key; `false` for any other key.
fn scroll_by(scroll: &mut Scroll, action: Action, page: i32) -> bool {
    match action {
        Action::Down => scroll.step(1),
        Action::Up => scroll.step(-1),
        Action::PageDown => scroll.step(page),
        Action::PageUp => scroll.step(-page),
        Action::Top => scroll.to_top(),
        Action::Bottom => scroll.to_end(),
        _ => return false,
    }
    true
}

fn on_signin_key(
    state: &mut State,
    key: KeyPress,
    event: KeyEvent,
    actions: &[Action],
) -> Vec<Cmd> {
    let Some(form) = state.signin.as_mut() else {
        return Vec::new();
    };
    if let Some(choice) = form.roles.as_mut() {
        for action in actions {
            match action {
                Action::Up | Action::PrevField => {
                    choice.selected = choice.selected.saturating_sub(1)
                }
                Action::Down | Action::NextField => {
                    choice.selected =
                        (choice.selected + 1).min(choice.options.len().saturating_sub(1));
                }
                Action::Submit if !form.checking => {
                    let index = choice.selected;
                    form.checking = true;
                    form.note = Some(Note::info("Starting the session…"));
                    let id = state.next_request_id();
                    state.signin_request = Some(id);
                    return vec![Cmd::ChooseRole { id, index }];
                }
                Action::Cancel => {
                    // The password was right but no session was started: forget the
                    // half-done sign-in in the runtime too, and undo any role choice
                    // still being applied.
                    form.roles = None;
                    form.checking = false;
                    form.note = Some(Note::info("Sign-in cancelled."));
                    let mut cmds: Vec<Cmd> = state
                        .signin_request
                        .take()
                        .map(Cmd::Cancel)
                        .into_iter()
                        .collect();
                    cmds.push(Cmd::SignOut);
                    return cmds;
                }
                _ => continue,
            }
            return Vec::new();
        }
        state.dirty = false;
        return Vec::new();
    }
    if form.checking && !actions.contains(&Action::Cancel) {
        // Typed ahead while the password is checked: kept for the screen that follows
        // (a user who knows the app types the NHS number straight away).
        if state.typeahead.len() < TYPEAHEAD {
            state.typeahead.push(event);
        }
        state.dirty = false;
        return Vec::new();
    }
    for action in actions {
        match action {
            Action::Submit => {
                let Some(credentials) = form.submit() else {
                    return Vec::new();
                };
                let id = state.next_request_id();
                state.signin_request = Some(id);
                return vec![Cmd::SignIn {
                    id,
                    user: credentials.user,
                    password: Secret(credentials.password),
                }];
            }
            Action::NextPane | Action::NextField | Action::PrevPane | Action::PrevField => {
                form.next_field();
                return Vec::new();
            }
            Action::Cancel => {
                if let Some(id) = state.signin_request.take() {
                    state.typeahead.clear();
                    form.checking = false;
                    form.note = Some(Note::info("Sign-in cancelled."));
                    return vec![Cmd::Cancel(id)];
                }
                continue;
            }
            Action::Help => {
                state.help = Some(Scroll::default());
                return Vec::new();
            }
            Action::SignOut if form.locked_user.is_some() => return sign_out(state),
            _ => continue,
        }
    }
    if form.checking {
        state.dirty = false;
        return Vec::new();
    }
    if let Some(ch) = key.typed_char() {
        form.type_char(ch);
    } else if let Some(request) = to_input_request(&Event::Key(event)) {
        form.edit(request);
    } else {
        state.dirty = false;
    }
    Vec::new()
}

/// Keys that mean the same in every pane.
fn on_global_key(state: &mut State, actions: &[Action]) -> Vec<Cmd> {
    for action in actions {
        match action {
            Action::Quit => state.quit = true,
            Action::Help => state.help = Some(Scroll::default()),
            Action::NextPane => state.focus = state.focus.next(true),
            Action::PrevPane => state.focus = state.focus.next(false),
            Action::NewSearch => {
                state.focus = Pane::Query;
                state.form.focus_main_field();
            }
            Action::NewCaller => return new_caller(state),
            Action::Cancel => {
                let busy = state.busy();
                let mut cmds = requests::cancel_all(state);
                cmds.extend(patient::cancel_finding(state));
                // Esc leaves the query form (as help says) or the detail.
                if !busy && state.focus != Pane::Results {
                    state.focus = Pane::Results;
                }
                return cmds;
            }
            Action::Retry => return requests::retry(state),
            Action::Copy => return copy(state),
            Action::Lock => return lock(state, "Locked.", LockCause::Manual),
            Action::SignOut => return sign_out(state),
            Action::GroupCurrent | Action::GroupFuture | Action::GroupPast => {
                let group = match action {
                    Action::GroupFuture => StatusGroup::Future,
                    Action::GroupPast => StatusGroup::Past,
                    _ => StatusGroup::Current,
                };
                let Some(list) = state.list.ready_mut() else {
                    continue;
                };
                list.show_group(group);
                if state.focus == Pane::Query {
                    state.focus = Pane::Results;
                }
                return requests::show_selected(state, When::Rested);
            }
            Action::NextIssue | Action::PrevIssue => {
                return requests::step_issue(state, *action == Action::NextIssue);
            }
            _ => continue,
        }
        return Vec::new();
    }
    state.dirty = false;
    Vec::new()
}

/// A new caller: nothing of the last one stays (query, filters, list, detail), and the
/// cursor waits in the NHS number field.
fn new_caller(state: &mut State) -> Vec<Cmd> {
    let mut cmds = requests::cancel_all(state);
    cmds.extend(patient::clear(state));
    state.form.clear_for_new_caller();
    state.list = ListState::Empty;
    state.detail = Detail::default();
    state.focus = Pane::Query;
    state.notice = Some("Cleared for a new caller.".into());
    cmds
}

/// The prescription ID and trace ID on the clipboard, together, as the helpdesk quotes them.
fn copy(state: &mut State) -> Vec<Cmd> {
    let shown = state.detail.shown();
    let id = shown
        .map(|s| s.prescription.id.as_str().to_string())
        .or_else(|| {
            state
                .list
                .ready()
                .and_then(|l| l.selected_id())
                .map(|id| id.as_str().to_string())
        });
    let trace = shown
        .and_then(|s| s.trace_id.clone())
        .or_else(|| state.last_trace.clone());
    let text = match (id, trace) {
        (Some(id), Some(trace)) => format!("{id} trace {trace}"),
        (Some(id), None) => id,
        (None, Some(trace)) => format!("trace {trace}"),
        (None, None) => {
            state.notice = Some("Nothing to copy yet.".into());
            return Vec::new();
        }
    };
    state.notice = Some(format!("Copied: {text}"));
    vec![Cmd::Copy(text)]
}

/// Keys for the query pane; `None` when the key is not the pane's business.
fn on_query_key(
    state: &mut State,
    key: KeyPress,
    event: KeyEvent,
    actions: &[Action],
) -> Option<Vec<Cmd>> {
    let field = state.form.focused();
    for action in actions {
        let form = &mut state.form;
        match action {
            Action::Submit if form.mode == QueryMode::Patient => {
                return Some(patient::find(state));
            }
            Action::Submit => {
                return Some(match form.request(state.today) {
                    Ok(request) => {
                        form.note = None;
                        let mut cmds = patient::on_list_sent(state, &request);
                        cmds.extend(requests::send_list(state, request));
                        cmds
                    }
                    Err(reason) => {
                        form.note = Some(reason);
                        Vec::new()
                    }
                });
            }
            Action::NextField => form.move_focus(true),
            Action::PrevField => form.move_focus(false),
            Action::ToggleMode => form.toggle_mode(),
            Action::NextGroup if !field.is_text() => form.cycle_choice(true),
            Action::PrevGroup if !field.is_text() => form.cycle_choice(false),
            _ => continue,
        }
        return Some(Vec::new());
    }
    if !field.is_text() {
        if key.code == KeyCodeOrd::Char(' ') && !key.ctrl && !key.alt {
            state.form.cycle_choice(true);
            return Some(Vec::new());
        }
        return None;
    }
    if !actions.is_empty() {
        return None;
    }
    let request = match key.typed_char() {
        Some(ch) => Some(InputRequest::InsertChar(ch)),
        None => to_input_request(&Event::Key(event)),
    }?;
    state.form.edit(request);
    state.form.note = None;
    Some(Vec::new())
}

fn on_results_key(
    state: &mut State,
    key: KeyPress,
    event: KeyEvent,
    actions: &[Action],
) -> Option<Vec<Cmd>> {
    let list = state.list.ready_mut()?;
    if list.filtering {
        for action in actions {
            match action {
                Action::Submit | Action::NextPane | Action::PrevPane => list.filtering = false,
                Action::Cancel => {
                    list.filtering = false;
                    list.filter.reset();
                    list.refresh();
                }
                Action::Up | Action::Down => {
                    list.move_by(if *action == Action::Up { -1 } else { 1 });
                }
                _ => continue,
            }
            return Some(requests::show_selected(state, When::Rested));
        }
        let request = match key.typed_char() {
            Some(ch) => Some(InputRequest::InsertChar(ch)),
            None => to_input_request(&Event::Key(event)),
        }?;
        list.filter.handle(request);
        list.refresh();
        return Some(requests::show_selected(state, When::Rested));
    }
    for action in actions {
        match action {
            Action::Up => list.move_by(-1),
            Action::Down => list.move_by(1),
            Action::PageUp => list.move_by(-PAGE),
            Action::PageDown => list.move_by(PAGE),
            Action::Top => list.move_to(false),
            Action::Bottom => list.move_to(true),
            Action::NextGroup => list.cycle_group(true),
            Action::PrevGroup => list.cycle_group(false),
            Action::Sort => {
                list.cycle_sort();
                state.notice = Some(format!("Sorted {}.", list.sort.label()));
            }
            Action::Filter => list.filtering = true,
            // Nothing selected (an empty group): there is no detail to open.
            Action::Submit if list.selected().is_none() => {
                state.dirty = false;
                return Some(Vec::new());
            }
            Action::Submit => {
                state.focus = Pane::Detail;
                return Some(requests::show_selected(state, When::Now));
            }
            _ => continue,
        }
        return Some(requests::show_selected(state, When::Rested));
    }
    None
}

fn on_detail_key(state: &mut State, actions: &[Action]) -> Option<Vec<Cmd>> {
    actions
        .iter()
        .any(|action| scroll_by(&mut state.detail.scroll, *action, PAGE as i32))
        .then(Vec::new)
}

fn on_paste(state: &mut State, text: &str) {
    if let Some(form) = state.signin.as_mut() {
        // Pasting is allowed (password managers), line breaks dropped.
        for ch in text.chars().filter(|c| !c.is_control()) {
            form.type_char(ch);
        }
        return;
    }
    match state.focus {
        Pane::Query if state.form.focused().is_text() => {
            state.form.paste(text);
            state.form.note = None;
        }
        Pane::Results => match state.list.ready_mut() {
            Some(list) if list.filtering => {
                for ch in text.chars().filter(|c| !c.is_control()) {
                    list.filter.handle(InputRequest::InsertChar(ch));
                }
                list.refresh();
            }
            _ => state.dirty = false,
        },
        _ => state.dirty = false,
    }
}
