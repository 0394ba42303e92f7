//! The runtime's side of sign-in: it owns the authenticator (user store and audit trail)
//! and the session, and runs the slow password checks on blocking threads. The app only
//! ever sees who is signed in and what their role may do.

use std::sync::{Arc, Mutex, MutexGuard};

use chrono::Utc;
use zeroize::Zeroizing;

use crate::app::msg::{SignInReply, Welcome};
use crate::app::state::Who;
use crate::security::audit::AuditLog;
use crate::security::password::Password;
use crate::security::rbac::{Action, authorize};
use crate::security::session::Session;
use crate::security::signin::{Authenticator, SignedIn};

/// Shared between the loop and the blocking tasks that check passwords.
#[derive(Clone)]
pub struct Access {
    inner: Arc<Mutex<Inner>>,
}

struct Inner {
    auth: Authenticator,
    session: Option<Session>,
    /// A user whose password was right and who still has to pick a role profile.
    choosing: Option<SignedIn>,
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
    }
}

impl Access {
    pub fn new(auth: Authenticator) -> Access {
        Access {
            inner: Arc::new(Mutex::new(Inner {
                auth,
                session: None,
                choosing: None,
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock already restored the terminal and ends the app;
        // the data inside is still consistent enough to sign out with.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Minutes of inactivity before the idle lock, from the settings.
    pub fn idle_lock_minutes(&self) -> u32 {
        self.lock().auth.settings().idle_lock_minutes
    }

    /// The audit trail, shared with the gate.
    pub fn audit(&self) -> AuditLog {
        self.lock().auth.audit().clone()
    }

    /// The session, for a request. `None` when nobody is signed in.
    pub fn session(&self) -> Option<Session> {
        self.lock().session.clone()
    }

    /// Records activity, so the session's own idle clock agrees with the screen's.
    pub fn touch(&self) {
        // Never wait on a password check from the UI thread: a missed touch is harmless,
        // the next key brings another.
        if let Ok(mut inner) = self.inner.try_lock()
            && let Some(session) = inner.session.as_mut()
        {
            session.touch(Utc::now());
        }
    }

    /// Signs in, or unlocks the locked session of the same user. Slow: call from a
    /// blocking task.
    pub fn sign_in(&self, user: &str, password: Zeroizing<String>) -> Result<SignInReply, String> {
        let password = Password::new(password.to_string());
        let now = Utc::now();
        let mut inner = self.lock();
        let Inner {
            auth,
            session,
            choosing,
        } = &mut *inner;
        if let Some(current) = session.as_mut()
            && current.is_locked()
            && current.user().as_str() == user
        {
            auth.unlock(current, &password, now)
                .map_err(|e| sentence(&e.to_string()))?;
            return Ok(SignInReply::Welcome(welcome(current)));
        }
        // An earlier right password whose role choice was cancelled (Esc) is recorded now.
        if let Some(abandoned) = choosing.take() {
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
                let reply = welcome(&started);
                *session = Some(started);
                Ok(SignInReply::Welcome(reply))
            }
            None => {
                let options = signed_in
                    .profiles()
                    .iter()
                    .map(|p| format!("{} at {} (role profile {})", p.role, p.ods, p.id))
                    .collect();
                *choosing = Some(signed_in);
                Ok(SignInReply::ChooseRole(options))
            }
        }
    }

    /// Starts the session in the chosen role profile (by position in the list offered).
    pub fn choose(&self, index: usize) -> Result<SignInReply, String> {
        let mut inner = self.lock();
        let Inner {
            auth,
            session,
            choosing,
        } = &mut *inner;
        let Some(signed_in) = choosing.take() else {
            return Err("Sign in again: the role choice has expired.".to_string());
        };
        let Some(profile) = signed_in.profiles().get(index).map(|p| p.id.clone()) else {
            return Err("That role profile is not in the list.".to_string());
        };
        let started = auth
            .choose_profile(signed_in, &profile, Utc::now())
            .map_err(|e| sentence(&e.to_string()))?;
        let reply = welcome(&started);
        *session = Some(started);
        Ok(SignInReply::Welcome(reply))
    }

    /// Applies the lock and records it.
    pub fn lock_session(&self) -> Result<(), String> {
        let mut inner = self.lock();
        let Inner { auth, session, .. } = &mut *inner;
        match session.as_mut() {
            Some(s) => auth.lock_idle(s, Utc::now()).map_err(|e| e.to_string()),
            None => Ok(()),
        }
    }

    /// Ends the session and records it.
    pub fn sign_out(&self) -> Result<(), String> {
        let mut inner = self.lock();
        let Inner {
            auth,
            session,
            choosing,
        } = &mut *inner;
        // A right password whose role choice was abandoned is recorded (it keeps the
        // failure count; see `Authenticator::abandon`).
        if let Some(abandoned) = choosing.take() {
            auth.abandon(abandoned, "role choice cancelled", Utc::now())
                .map_err(|e| e.to_string())?;
        }
        match session.take() {
            Some(s) => auth.sign_out(s, Utc::now()).map_err(|e| e.to_string()),
            None => Ok(()),
        }
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
