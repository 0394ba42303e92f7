//! The runtime's side of sign-in: it holds the session (and the half-done sign-in of a
//! user who still has to pick a role profile) and nothing else; what the user sees is the
//! app's `State`. The slow password checks run on blocking threads and hold only the
//! authenticator, so reading the session for a request or signing out never waits on one.

use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use zeroize::Zeroizing;

use crate::app::RequestId;
use crate::app::msg::{LockCause, SignInReply, Welcome};
use crate::app::state::Who;
use crate::security::audit::{AuditEntry, AuditLog, Event};
use crate::security::password::Password;
use crate::security::rbac::{Action, authorize};
use crate::security::session::Session;
use crate::security::signin::{Authenticator, SignInError, SignedIn};

/// A refused unlock: the password was wrong, or the account was locked out or disabled
/// since; either way the way out for someone else is to sign out.
const UNLOCK_REFUSED: &str = "That password is not right, or this account can no longer sign \
in: try again, or sign out so that someone else can sign in.";

/// Shared between the loop and the blocking tasks that check passwords.
#[derive(Clone)]
pub struct Access {
    auth: Arc<Mutex<Authenticator>>,
    audit: AuditLog,
    held: Arc<Mutex<Held>>,
}

#[derive(Default)]
struct Held {
    session: Option<Session>,
    /// The sign-in request that started (or unlocked) the session, so a cancelled one can
    /// be undone without touching a session started since.
    opened_by: Option<Opened>,
    /// A user whose password was right and who still has to pick a role profile.
    choosing: Option<(RequestId, SignedIn)>,
}

#[derive(Clone, Copy)]
struct Opened {
    id: RequestId,
    unlocked: bool,
}

fn guard<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock already restored the terminal and ends the app; the
    // data inside is still consistent enough to sign out with.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What the app is told about a session.
fn welcome(session: &Session) -> Welcome {
    Welcome {
        who: Who {
            display_name: session.display_name().to_string(),
            user_id: session.user().as_str().to_string(),
            role: session.role().name().to_string(),
            organisation: session.organisation().as_str().to_string(),
        },
        clinical_allowed: authorize(session, Action::ClinicalSearch).is_ok()
            && authorize(session, Action::ClinicalRetrieve).is_ok(),
        patient_allowed: authorize(session, Action::LookUpPatient).is_ok(),
        elsewhere: elsewhere(session),
    }
}

/// What a role that may look nothing up is told at sign-in: the commands its permissions
/// are for. `None` for a role that can search or retrieve.
fn elsewhere(session: &Session) -> Option<String> {
    if authorize(session, Action::Search).is_ok() || authorize(session, Action::Retrieve).is_ok() {
        return None;
    }
    let commands: Vec<&str> = [
        (Action::ReadAudit, "eps-tracker audit show"),
        (Action::VerifyAudit, "eps-tracker audit verify"),
        (Action::AdministerUsers, "eps-tracker user …"),
    ]
    .into_iter()
    .filter(|(action, _)| authorize(session, *action).is_ok())
    .map(|(_, command)| command)
    .collect();
    let role = session.role().name();
    Some(if commands.is_empty() {
        format!("The {role} role cannot look up prescriptions or patients.")
    } else {
        format!(
            "The {role} role cannot look up prescriptions or patients: its work is on the \
             command line ({}).",
            commands.join(", ")
        )
    })
}

impl Access {
    pub fn new(auth: Authenticator) -> Access {
        Access {
            audit: auth.audit().clone(),
            auth: Arc::new(Mutex::new(auth)),
            held: Arc::new(Mutex::new(Held::default())),
        }
    }

    /// Minutes of inactivity before the idle lock, from the settings.
    pub fn idle_lock_minutes(&self) -> u32 {
        guard(&self.auth).settings().idle_lock_minutes
    }

    /// The audit trail, shared with the gate.
    pub fn audit(&self) -> AuditLog {
        self.audit.clone()
    }

    /// The session, for a request. `None` when nobody is signed in.
    pub fn session(&self) -> Option<Session> {
        guard(&self.held).session.clone()
    }

    /// Records activity, so the session's own idle clock (checked by the gate) agrees with
    /// the screen's. Never waits on a password check.
    pub fn touch(&self, now: DateTime<Utc>) {
        if let Some(session) = guard(&self.held).session.as_mut() {
            session.touch(now);
        }
    }

    /// Signs in, or unlocks the locked session of the same user. Slow: call from a
    /// blocking task.
    pub fn sign_in(
        &self,
        id: RequestId,
        user: &str,
        password: Zeroizing<String>,
    ) -> Result<SignInReply, String> {
        let password = Password::new(password.to_string());
        let now = Utc::now();
        let mut auth = guard(&self.auth);
        let locked = guard(&self.held)
            .session
            .clone()
            .filter(|s| s.is_locked() && s.user().as_str() == user);
        if let Some(mut current) = locked {
            auth.unlock(&mut current, &password, now)
                .map_err(|e| match e {
                    // The user is known here, so the screen can say which part was wrong.
                    SignInError::Rejected => UNLOCK_REFUSED.to_string(),
                    other => sentence(&other.to_string()),
                })?;
            let reply = welcome(&current);
            let mut held = guard(&self.held);
            // Signed out meanwhile: the unlock has nothing left to open.
            let Some(stored) = held.session.as_mut() else {
                return Err("Signed out.".to_string());
            };
            stored.set_locked(false, now);
            held.opened_by = Some(Opened { id, unlocked: true });
            return Ok(SignInReply::Welcome(reply));
        }
        // An earlier right password whose role choice was left is recorded now.
        let left = guard(&self.held).choosing.take();
        if let Some((_, abandoned)) = left {
            auth.abandon(abandoned, "role choice cancelled", now)
                .map_err(|e| sentence(&e.to_string()))?;
        }
        let signed_in = auth
            .sign_in(user, &password, now)
            .map_err(|e| sentence(&e.to_string()))?;
        match signed_in.only_profile().cloned() {
            Some(profile) => {
                let started = auth
                    .choose_profile(signed_in, &profile, now)
                    .map_err(|e| sentence(&e.to_string()))?;
                Ok(self.start(id, started))
            }
            None => {
                let options = signed_in
                    .profiles()
                    .iter()
                    .map(|p| format!("{} at {} (role profile {})", p.role, p.ods, p.id))
                    .collect();
                guard(&self.held).choosing = Some((id, signed_in));
                Ok(SignInReply::ChooseRole(options))
            }
        }
    }

    fn start(&self, id: RequestId, session: Session) -> SignInReply {
        let reply = welcome(&session);
        let mut held = guard(&self.held);
        held.session = Some(session);
        held.opened_by = Some(Opened {
            id,
            unlocked: false,
        });
        SignInReply::Welcome(reply)
    }

    /// Starts the session in the chosen role profile (by position in the list offered).
    pub fn choose(&self, id: RequestId, index: usize) -> Result<SignInReply, String> {
        let mut auth = guard(&self.auth);
        let Some((_, signed_in)) = guard(&self.held).choosing.take() else {
            return Err("Sign in again: the role choice has expired.".to_string());
        };
        let Some(profile) = signed_in.profiles().get(index).map(|p| p.id.clone()) else {
            return Err("That role profile is not in the list.".to_string());
        };
        let started = auth
            .choose_profile(signed_in, &profile, Utc::now())
            .map_err(|e| sentence(&e.to_string()))?;
        Ok(self.start(id, started))
    }

    /// Undoes a sign-in the user cancelled but that completed anyway: a new session is
    /// signed out, an unlocked one locked again, a pending role choice forgotten. Anything
    /// opened by another request is left alone.
    pub fn undo_sign_in(&self, id: RequestId) -> Result<(), String> {
        let mut held = guard(&self.held);
        if held.choosing.as_ref().is_some_and(|(by, _)| *by == id)
            && let Some((_, abandoned)) = held.choosing.take()
        {
            self.record(abandoned.abandoned("sign-in cancelled"))?;
        }
        let Some(opened) = held.opened_by.filter(|o| o.id == id) else {
            return Ok(());
        };
        held.opened_by = None;
        let now = Utc::now();
        if opened.unlocked {
            return match held.session.as_mut() {
                Some(s) if !s.is_locked() => {
                    s.set_locked(true, now);
                    self.record(AuditEntry::by(Event::Lock, s).reason("unlock cancelled"))
                }
                _ => Ok(()),
            };
        }
        match held.session.take() {
            Some(s) => self.record(AuditEntry::by(Event::SignOut, &s).reason("sign-in cancelled")),
            None => Ok(()),
        }
    }

    /// Applies the lock and records who locked: the user (`lock`) or the timer
    /// (`idle_lock`).
    pub fn lock_session(&self, cause: LockCause) -> Result<(), String> {
        let mut held = guard(&self.held);
        let Some(session) = held.session.as_mut().filter(|s| !s.is_locked()) else {
            return Ok(());
        };
        session.set_locked(true, Utc::now());
        let event = match cause {
            LockCause::Manual => Event::Lock,
            LockCause::Idle => Event::IdleLock,
        };
        self.record(AuditEntry::by(event, session))
    }

    /// Ends the session (and any half-done sign-in) and records it, with the reason when
    /// the user did not ask for it (the terminal closed, a signal).
    pub fn sign_out(&self, reason: Option<&str>) -> Result<(), String> {
        let mut held = guard(&self.held);
        held.opened_by = None;
        // A right password whose role choice was left is recorded (it keeps the failure
        // count; see `Authenticator::abandon`).
        if let Some((_, abandoned)) = held.choosing.take() {
            self.record(abandoned.abandoned("role choice cancelled"))?;
        }
        let Some(session) = held.session.take() else {
            return Ok(());
        };
        let mut entry = AuditEntry::by(Event::SignOut, &session);
        if let Some(reason) = reason {
            entry = entry.reason(reason);
        }
        self.record(entry)
    }

    fn record(&self, entry: AuditEntry) -> Result<(), String> {
        self.audit
            .append(&entry, Utc::now())
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// Messages from the security layer start lower case; on the sign-in screen they stand
/// alone, so they read better as sentences.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = chars
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    out.push_str(chars.as_str());
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::setup::open_authenticator;
    use crate::config::{Config, Home};
    use crate::security::audit::Origin;
    use crate::security::demo::DEMO_PASSWORD;

    /// A sandbox home with its demo accounts, and the access object over it.
    fn access() -> (tempfile::TempDir, Home, Access) {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::in_folder(dir.path(), true);
        home.prepare().unwrap();
        let auth =
            open_authenticator(&home, &Config::default(), Origin::default(), Utc::now()).unwrap();
        (dir, home, Access::new(auth))
    }

    /// The audit records written so far, one line each.
    fn trail(home: &Home) -> Vec<String> {
        let mut lines = Vec::new();
        for entry in std::fs::read_dir(&home.audit_dir).unwrap().flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            lines.extend(text.lines().map(String::from));
        }
        lines
    }

    fn sign_in(access: &Access, id: u64) -> SignInReply {
        access
            .sign_in(
                RequestId(id),
                "helpdesk",
                Zeroizing::new(DEMO_PASSWORD.to_string()),
            )
            .unwrap()
    }

    #[test]
    fn a_cancelled_sign_in_that_completed_is_signed_out_and_recorded() {
        let (_dir, home, access) = access();
        assert!(matches!(sign_in(&access, 1), SignInReply::Welcome(_)));
        // Another request's undo leaves this session alone.
        access.undo_sign_in(RequestId(7)).unwrap();
        assert!(access.session().is_some());
        access.undo_sign_in(RequestId(1)).unwrap();
        assert!(access.session().is_none());
        let trail = trail(&home);
        assert!(
            trail
                .iter()
                .any(|l| l.contains("\"sign_out\"") && l.contains("sign-in cancelled")),
            "{trail:#?}"
        );
    }

    #[test]
    fn locks_name_who_locked_and_a_hangup_is_the_sign_out_reason() {
        let (_dir, home, access) = access();
        sign_in(&access, 1);
        access.lock_session(LockCause::Manual).unwrap();
        assert!(access.session().unwrap().is_locked());
        // The same user's password unlocks it.
        assert!(matches!(sign_in(&access, 2), SignInReply::Welcome(_)));
        assert!(!access.session().unwrap().is_locked());
        access.lock_session(LockCause::Idle).unwrap();
        access.sign_out(Some("hangup")).unwrap();
        let events: Vec<&str> = trail(&home)
            .iter()
            .filter_map(|l| {
                [
                    "\"lock\"",
                    "\"idle_lock\"",
                    "\"session_unlocked\"",
                    "\"sign_out\"",
                ]
                .into_iter()
                .find(|e| l.contains(e))
            })
            .collect();
        assert_eq!(
            events,
            [
                "\"lock\"",
                "\"session_unlocked\"",
                "\"idle_lock\"",
                "\"sign_out\""
            ]
        );
        assert!(
            trail(&home).iter().any(|l| l.contains("\"hangup\"")),
            "the sign-out names the hang-up"
        );
    }

    #[test]
    fn roles_that_look_nothing_up_are_told_where_their_work_is() {
        use crate::security::rbac::{Role, RoleMap};
        let map = RoleMap::default();
        let said = |role| elsewhere(&Session::for_tests(role, map.permissions(role)));
        let auditor = said(Role::Auditor).expect("the auditor is told");
        assert!(auditor.contains("audit show"), "{auditor}");
        assert!(!auditor.contains("user …"), "{auditor}");
        let admin = said(Role::Admin).expect("the admin is told");
        assert!(admin.contains("eps-tracker user"), "{admin}");
        assert_eq!(said(Role::Helpdesk), None);
        assert_eq!(said(Role::Clinician), None);
    }

    #[test]
    fn a_wrong_password_on_the_lock_screen_says_so_and_the_way_out() {
        let (_dir, _home, access) = access();
        sign_in(&access, 1);
        access.lock_session(LockCause::Manual).unwrap();
        let refused = access
            .sign_in(
                RequestId(2),
                "helpdesk",
                Zeroizing::new("wrong".to_string()),
            )
            .map(|_| ())
            .unwrap_err();
        assert_eq!(refused, UNLOCK_REFUSED);
        assert!(!refused.contains("user ID"), "{refused}");
        assert!(access.session().unwrap().is_locked());
    }
}
