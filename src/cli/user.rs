//! `eps-tracker user …`: local accounts. Administrators sign in with `--as ID`; the very
//! first user of an empty store is created without signing in and must be an admin.

use std::process::ExitCode;

use chrono::Utc;
use clap::{Args, Subcommand};

use super::exit::{self, Failure, finish};
use super::output::{self, print_raw};
use super::password_input::PasswordInput;
use super::secure::{Globals, Secured};
use super::table::{Column, Table};
use crate::config::managed;
use crate::security::admin::{self, AdminError, NewUser};
use crate::security::identity::{LocalUserId, OdsCode, RoleProfileId, SpineUserId};
use crate::security::rbac::Role;
use crate::security::session::Session;
use crate::security::users::{RoleProfile, UserRecord};

#[derive(Debug, Args)]
#[command(
    after_help = "Exit codes: 0 done, 2 usage or validation error, 3 sign-in failed or \
access denied, 5 audit trail unavailable."
)]
pub struct UserArgs {
    #[command(subcommand)]
    pub command: UserCommand,
    /// Read passwords from standard input, one per line (the administrator's first, then
    /// the new one), instead of prompting.
    #[arg(long, global = true)]
    pub password_stdin: bool,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user (the first user of an empty store needs no --as and must be an admin).
    Add {
        /// The new user's local ID (lower-case letters, digits, '.', '_' or '-').
        id: String,
        /// Their name as shown on screen.
        #[arg(long)]
        name: String,
        /// Their 12-digit Spine user ID (from their smartcard registration).
        #[arg(long, value_name = "DIGITS")]
        spine_user_id: String,
        /// A role profile as ROLE_PROFILE_ID:ODS_CODE:ROLE, where ROLE is helpdesk,
        /// pharmacist, clinician, auditor or admin. Repeat for several.
        #[arg(long = "profile", value_name = "ID:ODS:ROLE", required = true)]
        profiles: Vec<String>,
        /// The user signs in with their password in the organisation's directory
        /// (`[directory]` in the settings file); no local password is set.
        #[arg(long)]
        directory: bool,
        #[command(flatten)]
        signer: Signer,
    },
    /// List the users, their role profiles and whether they are locked.
    List {
        #[command(flatten)]
        signer: Signer,
    },
    /// Change your own password, or (with --as) reset another user's.
    Passwd {
        id: String,
        #[command(flatten)]
        signer: Signer,
    },
    /// Lock an account so it cannot sign in.
    Lock {
        id: String,
        #[command(flatten)]
        signer: Signer,
    },
    /// Unlock an account (also clears a lockout after failed sign-ins).
    Unlock {
        id: String,
        #[command(flatten)]
        signer: Signer,
    },
    /// Remove a user.
    Remove {
        id: String,
        #[command(flatten)]
        signer: Signer,
    },
    /// Show a user's role profiles, or add and remove some.
    Roles {
        id: String,
        /// Add a role profile, ID:ODS:ROLE. Repeat for several.
        #[arg(long, value_name = "ID:ODS:ROLE")]
        add: Vec<String>,
        /// Remove the role profile with this ID. Repeat for several.
        #[arg(long, value_name = "ID")]
        remove: Vec<String>,
        #[command(flatten)]
        signer: Signer,
    },
}

/// `eps-tracker init`: the first administrator of an empty store.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The administrator's local ID (lower-case letters, digits, '.', '_' or '-').
    pub id: String,
    /// Their name as shown on screen.
    #[arg(long)]
    pub name: String,
    /// Their 12-digit Spine user ID.
    #[arg(long, value_name = "DIGITS")]
    pub spine_user_id: String,
    /// A role profile as ROLE_PROFILE_ID:ODS_CODE:ROLE; one must be admin. Repeat for several.
    #[arg(long = "profile", value_name = "ID:ODS:ROLE", required = true)]
    pub profiles: Vec<String>,
    /// Read the new password from standard input instead of prompting.
    #[arg(long)]
    pub password_stdin: bool,
}

/// Makes the first administrator. In a managed install only root or the service account
/// may, and files root creates are handed to the service account.
pub(super) fn init(args: &InitArgs, globals: Globals<'_>) -> ExitCode {
    finish(make_first_admin(args, globals))
}

fn make_first_admin(args: &InitArgs, globals: Globals<'_>) -> Result<(), Failure> {
    let mut secured = Secured::open(globals)?;
    let service_uid = match &secured.home.managed {
        Some(managed) => {
            let service = managed.service_account.as_deref();
            let service_uid = match service {
                Some(name) => Some(managed::uid_of(name).ok_or_else(|| {
                    Failure::usage(format!(
                        "the service account \"{name}\" named in {} does not exist on this \
                         machine: create it, or correct service_account",
                        managed.source.display()
                    ))
                })?),
                None => None,
            };
            // SAFETY: geteuid has no preconditions and cannot fail.
            let me = unsafe { libc::geteuid() };
            if me != 0 && Some(me) != service_uid {
                return Err(Failure::denied(format!(
                    "this is a managed install: only root{} can make the first administrator",
                    service.map(|s| format!(" or {s}")).unwrap_or_default()
                )));
            }
            service_uid.filter(|_| me == 0)
        }
        None => None,
    };
    if !secured.auth.store().is_empty() {
        return Err(Failure::usage(
            "there are already users: an administrator adds more with `eps-tracker user add … \
             --as ADMIN_ID`",
        ));
    }
    let new = NewUser {
        id: LocalUserId::parse(&args.id).map_err(Failure::usage)?,
        display_name: args.name.clone(),
        spine_user_id: SpineUserId::parse(&args.spine_user_id).map_err(Failure::usage)?,
        role_profiles: args
            .profiles
            .iter()
            .map(|p| parse_profile(p))
            .collect::<Result<_, _>>()?,
    };
    let mut passwords = PasswordInput::new(args.password_stdin);
    let password = passwords.read_new(&format!("New password for {}", args.id))?;
    admin::add_first_admin(&mut secured.auth, new, &password, Utc::now()).map_err(admin_failure)?;
    if let (Some(uid), Some(managed)) = (service_uid, &secured.home.managed) {
        hand_over(&managed.home, uid).map_err(|e| {
            Failure::usage(format!(
                "the administrator was added, but {} could not be given to the service account: \
                 {e}. Fix it with: chown -R SERVICE_ACCOUNT {}",
                managed.home.display(),
                managed.home.display()
            ))
        })?;
    }
    println!("added {}, the first administrator", args.id);
    Ok(())
}

/// Gives everything under `dir` to `uid` (root made it; the service account must use it).
fn hand_over(dir: &std::path::Path, uid: u32) -> std::io::Result<()> {
    std::os::unix::fs::chown(dir, Some(uid), None)?;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            hand_over(&entry.path(), uid)?;
        } else {
            std::os::unix::fs::lchown(entry.path(), Some(uid), None)?;
        }
    }
    Ok(())
}

/// The administrator making the change.
#[derive(Debug, Args)]
pub struct Signer {
    /// Sign in as this administrator to make the change.
    #[arg(long = "as", value_name = "ADMIN_ID")]
    pub admin: Option<String>,
}

pub(super) fn run(args: &UserArgs, globals: Globals<'_>) -> ExitCode {
    finish(dispatch(args, globals))
}

fn dispatch(args: &UserArgs, globals: Globals<'_>) -> Result<(), Failure> {
    let mut secured = Secured::open(globals)?;
    let mut passwords = PasswordInput::new(args.password_stdin);
    let now = Utc::now;
    match &args.command {
        UserCommand::Add {
            id,
            name,
            spine_user_id,
            profiles,
            directory,
            signer,
        } => {
            let new = NewUser {
                id: LocalUserId::parse(id).map_err(Failure::usage)?,
                display_name: name.clone(),
                spine_user_id: SpineUserId::parse(spine_user_id).map_err(Failure::usage)?,
                role_profiles: profiles
                    .iter()
                    .map(|p| parse_profile(p))
                    .collect::<Result<_, _>>()?,
            };
            if secured.auth.store().is_empty() && signer.admin.is_none() {
                if let Some(managed) = &secured.home.managed {
                    return Err(Failure::denied(format!(
                        "this is a managed install ({}): root or the service account makes the \
                         first administrator with `eps-tracker init {id} --name … \
                         --spine-user-id … --profile ID:ODS:admin`",
                        managed.source.display()
                    )));
                }
                let password = passwords.read_new(&format!("New password for {id}"))?;
                admin::add_first_admin(&mut secured.auth, new, &password, now())
                    .map_err(admin_failure)?;
                println!("added {id}, the first administrator");
                return Ok(());
            }
            let session = admin_session(&mut secured, signer, &mut passwords)?;
            if *directory {
                admin::add_directory_user(&mut secured.auth, &session, new, now())
                    .map_err(admin_failure)?;
                println!("added {id}, who signs in with the directory's password");
                return Ok(());
            }
            let password = passwords.read_new(&format!("New password for {id}"))?;
            admin::add_user(&mut secured.auth, &session, new, &password, now())
                .map_err(admin_failure)?;
            println!("added {id}");
        }
        UserCommand::List { signer } => {
            let session = admin_session(&mut secured, signer, &mut passwords)?;
            refuse_unless_admin(&secured, &session)?;
            print_users(secured.auth.store().users())?;
        }
        UserCommand::Passwd { id, signer } => match &signer.admin {
            None => {
                let old = passwords.read(&format!("Current password for {id}"))?;
                let new = passwords.read_new("New password")?;
                admin::change_own_password(&mut secured.auth, id, &old, &new, now())
                    .map_err(admin_failure)?;
                println!("password changed for {id}");
            }
            Some(_) => {
                let session = admin_session(&mut secured, signer, &mut passwords)?;
                let new = passwords.read_new(&format!("New password for {id}"))?;
                admin::reset_password(&mut secured.auth, &session, id, &new, now())
                    .map_err(admin_failure)?;
                println!("password reset for {id}");
            }
        },
        UserCommand::Lock { id, signer } | UserCommand::Unlock { id, signer } => {
            let lock = matches!(args.command, UserCommand::Lock { .. });
            let session = admin_session(&mut secured, signer, &mut passwords)?;
            admin::set_disabled(&mut secured.auth, &session, id, lock, now())
                .map_err(admin_failure)?;
            println!("{} {id}", if lock { "locked" } else { "unlocked" });
        }
        UserCommand::Remove { id, signer } => {
            let session = admin_session(&mut secured, signer, &mut passwords)?;
            admin::remove_user(&mut secured.auth, &session, id, now()).map_err(admin_failure)?;
            println!("removed {id}");
        }
        UserCommand::Roles {
            id,
            add,
            remove,
            signer,
        } => {
            let session = admin_session(&mut secured, signer, &mut passwords)?;
            if add.is_empty() && remove.is_empty() {
                refuse_unless_admin(&secured, &session)?;
                let user = secured
                    .auth
                    .store()
                    .find(id)
                    .ok_or_else(|| Failure::usage(format!("there is no user \"{id}\"")))?;
                return print_users(std::slice::from_ref(user));
            }
            let add = add
                .iter()
                .map(|p| parse_profile(p))
                .collect::<Result<Vec<_>, _>>()?;
            let remove = remove
                .iter()
                .map(|r| RoleProfileId::parse(r).map_err(Failure::usage))
                .collect::<Result<Vec<_>, _>>()?;
            admin::change_role_profiles(&mut secured.auth, &session, id, add, &remove, now())
                .map_err(admin_failure)?;
            println!("role profiles of {id} changed");
        }
    }
    Ok(())
}

fn admin_session(
    secured: &mut Secured,
    signer: &Signer,
    passwords: &mut PasswordInput,
) -> Result<Session, Failure> {
    let Some(admin) = &signer.admin else {
        return Err(Failure::usage(
            "sign in as an administrator with --as ADMIN_ID to do this",
        ));
    };
    secured.sign_in(admin, None, Some(Role::Admin), passwords)
}

/// Read-only administration (listing) is still administration: same permission, and a
/// refusal is recorded like any other.
fn refuse_unless_admin(secured: &Secured, session: &Session) -> Result<(), Failure> {
    use crate::security::audit::{AuditEntry, Event, Outcome};
    use crate::security::rbac::{Action, authorize};
    if let Err(denied) = authorize(session, Action::AdministerUsers) {
        let entry = AuditEntry::by(Event::AccessDenied, session)
            .outcome(Outcome::Denied)
            .reason(denied.action.describe());
        secured
            .auth
            .audit()
            .append(&entry, Utc::now())
            .map_err(Failure::audit)?;
        return Err(Failure::denied(denied));
    }
    Ok(())
}

fn parse_profile(text: &str) -> Result<RoleProfile, Failure> {
    let parts: Vec<&str> = text.split(':').collect();
    let [id, ods, role] = parts.as_slice() else {
        return Err(Failure::usage(format!(
            "role profile \"{text}\" should be ROLE_PROFILE_ID:ODS_CODE:ROLE, like \
             555000000101:A83008:helpdesk"
        )));
    };
    Ok(RoleProfile {
        id: RoleProfileId::parse(id).map_err(Failure::usage)?,
        ods: OdsCode::parse(ods).map_err(Failure::usage)?,
        role: Role::parse(role).ok_or_else(|| {
            Failure::usage(format!(
                "role \"{role}\" unknown: use helpdesk, pharmacist, clinician, auditor or admin"
            ))
        })?,
    })
}

fn admin_failure(error: AdminError) -> Failure {
    match &error {
        AdminError::Audit(_) => Failure::audit(error),
        AdminError::Denied(_) | AdminError::SessionLocked | AdminError::SelfGrant => {
            Failure::denied(error)
        }
        AdminError::SignIn(inner) => match inner {
            crate::security::signin::SignInError::Audit(_) => Failure::audit(error),
            _ => Failure::denied(error),
        },
        _ => Failure::new(exit::USAGE, error),
    }
}

/// The table fits the width (see `table`): ROLE PROFILES and NAME are shortened, then
/// SPINE USER and STATE dropped.
fn print_users(users: &[UserRecord]) -> Result<(), Failure> {
    let now = Utc::now();
    let mut table = Table::new(&[
        Column::whole("ID"),
        Column::text("NAME", 8),
        Column::whole("SPINE USER").dropped(1),
        Column::whole("STATE").dropped(2),
        Column::text("ROLE PROFILES", 20),
    ]);
    for user in users {
        let state = if user.disabled {
            "locked".to_owned()
        } else if let Some(until) = user.locked_out_until(now) {
            format!("out→{}", until.format("%H:%M"))
        } else {
            "active".to_owned()
        };
        let profiles: Vec<String> = user
            .role_profiles
            .iter()
            .map(|p| format!("{}:{}:{}", p.id, p.ods, p.role))
            .collect();
        // Directory users sign in with the directory's password, not a local one.
        let source = if user.directory { " (directory)" } else { "" };
        table.row(vec![
            user.id.to_string(),
            user.display_name.to_string(),
            user.spine_user_id.to_string(),
            format!("{state}{source}"),
            profiles.join(" "),
        ]);
    }
    print_raw(&table.render(output::width()))
}
