//! What every signed-in command does first: find the home, read the settings, open the user
//! store and the audit trail (refusing to go on if it cannot be written), seed the sandbox's
//! demo accounts, and sign the user in.

use std::path::{Path, PathBuf};

use chrono::Utc;

use super::exit::Failure;
use super::password_input::PasswordInput;
use crate::config::setup::{SetupError, open_authenticator};
use crate::config::{Config, Home};
use crate::security::audit::Origin;
use crate::security::identity::RoleProfileId;
use crate::security::rbac::Role;
use crate::security::session::Session;
use crate::security::signin::{Authenticator, SignInError};

/// The global flags that pick the home.
#[derive(Debug, Clone, Copy)]
pub(super) struct Globals<'a> {
    pub sandbox: bool,
    pub home: Option<&'a Path>,
    pub environment: Option<&'a str>,
}

impl Globals<'_> {
    pub(super) fn resolve_home(&self) -> Result<Home, Failure> {
        let home = Home::resolve(self.home, self.sandbox).map_err(Failure::usage)?;
        home.prepare().map_err(Failure::usage)?;
        Ok(home)
    }
}

/// An opened home, ready to sign users in.
pub(super) struct Secured {
    pub home: Home,
    pub config: Config,
    pub auth: Authenticator,
}

impl Secured {
    pub(super) fn open(globals: Globals<'_>) -> Result<Self, Failure> {
        let home = globals.resolve_home()?;
        let config = Config::load(&home.config_file).map_err(Failure::usage)?;
        let auth = open_authenticator(&home, &config, Origin::detect(), Utc::now()).map_err(
            |e| match e {
                SetupError::Audit(_) => Failure::audit(e),
                _ => Failure::denied(e),
            },
        )?;
        if let Some(stale) = auth.audit().stale_backlog(Utc::now()) {
            eprintln!("warning: {stale}");
        }
        Ok(Self { home, config, auth })
    }

    /// Signs `user` in and starts a session in `role_profile`, or in their only profile, or
    /// (when `prefer` is given) in their first profile with that role.
    pub(super) fn sign_in(
        &mut self,
        user: &str,
        role_profile: Option<&str>,
        prefer: Option<Role>,
        passwords: &mut PasswordInput,
    ) -> Result<Session, Failure> {
        if self.auth.store().is_empty() {
            return Err(Failure::denied(first_run_help(&self.home.users_file)));
        }
        let password = passwords.read(&format!("Password for {user}"))?;
        let now = Utc::now();
        let signed_in = self
            .auth
            .sign_in(user, &password, now)
            .map_err(sign_in_failure)?;
        let chosen = match role_profile {
            Some(text) => RoleProfileId::parse(text).map_err(Failure::usage)?,
            None => {
                let preferred = prefer.and_then(|role| {
                    signed_in
                        .profiles()
                        .iter()
                        .find(|p| p.role == role)
                        .map(|p| p.id.clone())
                });
                match preferred.or_else(|| signed_in.only_profile().cloned()) {
                    Some(id) => id,
                    None => {
                        // A right password, but no session: recorded, and the profiles are
                        // not listed (the password may be a guess).
                        self.auth
                            .abandon(signed_in, "several role profiles, none chosen", now)
                            .map_err(Failure::audit)?;
                        return Err(Failure::usage(format!(
                            "{user} has several role profiles: choose one with --role-profile \
                             ID (an administrator can list them with `eps-tracker user list`)"
                        )));
                    }
                }
            }
        };
        self.auth
            .choose_profile(signed_in, &chosen, now)
            .map_err(sign_in_failure)
    }
}

fn sign_in_failure(error: SignInError) -> Failure {
    match error {
        SignInError::Audit(_) => Failure::audit(error),
        SignInError::UnknownProfile { .. } => Failure::usage(error),
        _ => Failure::denied(error),
    }
}

fn first_run_help(users_file: &Path) -> String {
    let shown: PathBuf = users_file.to_path_buf();
    format!(
        "there are no users yet ({} does not exist). Create the first administrator with:\n  \
         eps-tracker user add YOUR_ID --name \"Your Name\" --spine-user-id 123456789012 \
         --profile ROLE_PROFILE_ID:ODS_CODE:admin\nthen, signed in as that admin, add the other \
         users with `eps-tracker user add … --as YOUR_ID`. To try the program first, use \
         --sandbox (demo users helpdesk, pharmacist, clinician, auditor and admin; password \
         sandbox-demo).",
        shown.display()
    )
}
