//! Sign-in, lockout, idle lock, user administration and the audit trail, end to end over
//! real files in a temporary home (never the real one).

use std::fs;
use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use eps_tracker::config::Home;
use eps_tracker::security::admin::{self, AdminError, NewUser};
use eps_tracker::security::audit::{
    AuditEntry, AuditFilter, AuditLog, Event, FileResult, Origin, TamperKind, VerifyReport,
    read_records, verify_dir,
};
use eps_tracker::security::hashing::{self, HashParams};
use eps_tracker::security::identity::{LocalUserId, OdsCode, RoleProfileId, SpineUserId};
use eps_tracker::security::password::Password;
use eps_tracker::security::rbac::{Permission, Role, RoleMap};
use eps_tracker::security::session::Session;
use eps_tracker::security::settings::SecuritySettings;
use eps_tracker::security::signin::{Authenticator, SignInError};
use eps_tracker::security::users::{RoleProfile, UserStore};
use proptest::prelude::*;
use tempfile::TempDir;

const ADMIN_PASSWORD: &str = "admin passphrase one";
const HELPDESK_PASSWORD: &str = "helpdesk passphrase two";

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-25T09:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn pw(text: &str) -> Password {
    Password::new(text.to_owned())
}

fn profile(id: &str, ods: &str, role: Role) -> RoleProfile {
    RoleProfile {
        id: RoleProfileId::parse(id).unwrap(),
        ods: OdsCode::parse(ods).unwrap(),
        role,
    }
}

fn new_user(id: &str, spine: &str, profiles: Vec<RoleProfile>) -> NewUser {
    NewUser {
        id: LocalUserId::parse(id).unwrap(),
        display_name: format!("Test {id}"),
        spine_user_id: SpineUserId::parse(spine).unwrap(),
        role_profiles: profiles,
    }
}

fn open_auth(home: &Home, params: HashParams) -> Authenticator {
    let store = UserStore::open(&home.users_file, params).unwrap();
    let audit = AuditLog::open(&home.audit_dir, Origin::default()).unwrap();
    Authenticator::new(
        store,
        audit,
        SecuritySettings::default(),
        RoleMap::default(),
    )
}

/// A home with an admin and a helpdesk user, hashed cheaply (tests only).
fn home_with_users() -> (TempDir, Home, Authenticator) {
    let dir = tempfile::tempdir().unwrap();
    let home = Home::in_folder(dir.path(), false);
    home.prepare().unwrap();
    let mut auth = open_auth(&home, HashParams::FAST_INSECURE_FOR_TESTS);
    admin::add_first_admin(
        &mut auth,
        new_user(
            "root",
            "555000000009",
            vec![profile("555000000109", "X26", Role::Admin)],
        ),
        &pw(ADMIN_PASSWORD),
        t0(),
    )
    .unwrap();
    let admin = sign_in(&mut auth, "root", ADMIN_PASSWORD, t0()).unwrap();
    admin::add_user(
        &mut auth,
        &admin,
        new_user(
            "hd",
            "555000000001",
            vec![
                profile("555000000101", "X26", Role::Helpdesk),
                profile("555000000102", "A83008", Role::Clinician),
            ],
        ),
        &pw(HELPDESK_PASSWORD),
        t0(),
    )
    .unwrap();
    (dir, home, auth)
}

fn sign_in(
    auth: &mut Authenticator,
    user: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<Session, SignInError> {
    let signed_in = auth.sign_in(user, &pw(password), now)?;
    let chosen = signed_in.profiles()[0].id.clone();
    auth.choose_profile(signed_in, &chosen, now)
}

fn events(home: &Home) -> Vec<Event> {
    read_records(&home.audit_dir, &AuditFilter::default())
        .unwrap()
        .into_iter()
        .map(|r| r.entry.event)
        .collect()
}

fn assert_intact(report: &VerifyReport) {
    for file in &report.files {
        assert_eq!(file.result, FileResult::Intact, "{}", file.path.display());
    }
}

#[test]
fn sign_in_gives_a_session_with_the_chosen_profile_and_is_recorded() {
    let (_dir, home, mut auth) = home_with_users();
    let signed_in = auth.sign_in("hd", &pw(HELPDESK_PASSWORD), t0()).unwrap();
    assert_eq!(signed_in.profiles().len(), 2);
    assert_eq!(signed_in.only_profile(), None);
    let clinician = RoleProfileId::parse("555000000102").unwrap();
    let session = auth.choose_profile(signed_in, &clinician, t0()).unwrap();
    assert_eq!(session.role(), Role::Clinician);
    assert_eq!(session.organisation().as_str(), "A83008");
    assert_eq!(session.spine_user().as_str(), "555000000001");
    assert!(session.permissions().contains(&Permission::TrackerClinical));
    let records = read_records(
        &home.audit_dir,
        &AuditFilter {
            event: Some(Event::SignIn),
            user: Some("hd".into()),
            ..AuditFilter::default()
        },
    )
    .unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(
        records[0].entry.role_profile.as_deref(),
        Some("555000000102")
    );
    assert_intact(&verify_dir(&home.audit_dir).unwrap());
}

#[test]
fn choosing_a_profile_that_is_not_yours_is_refused() {
    let (_dir, home, mut auth) = home_with_users();
    let signed_in = auth.sign_in("hd", &pw(HELPDESK_PASSWORD), t0()).unwrap();
    let other = RoleProfileId::parse("555000000109").unwrap();
    let err = auth.choose_profile(signed_in, &other, t0()).unwrap_err();
    // The password may have been a guess: the message does not list the real profiles.
    assert!(!err.to_string().contains("555000000101"), "{err}");
    let failures = read_records(
        &home.audit_dir,
        &AuditFilter {
            event: Some(Event::SignInFailed),
            ..AuditFilter::default()
        },
    )
    .unwrap();
    assert_eq!(failures.len(), 1);
    let reason = failures[0].entry.reason.clone().unwrap();
    assert!(reason.starts_with("right password, no session"), "{reason}");
}

#[test]
fn unknown_user_and_wrong_password_get_the_same_message() {
    let (_dir, home, mut auth) = home_with_users();
    let unknown = auth
        .sign_in("nobody", &pw(HELPDESK_PASSWORD), t0())
        .unwrap_err();
    let wrong = auth
        .sign_in("hd", &pw("not the password"), t0())
        .unwrap_err();
    assert!(matches!(unknown, SignInError::Rejected));
    assert_eq!(unknown.to_string(), wrong.to_string());
    let failures = read_records(
        &home.audit_dir,
        &AuditFilter {
            event: Some(Event::SignInFailed),
            ..AuditFilter::default()
        },
    )
    .unwrap();
    let reasons: Vec<_> = failures
        .iter()
        .map(|r| r.entry.reason.clone().unwrap())
        .collect();
    assert_eq!(reasons, ["unknown user", "wrong password"]);
}

#[test]
fn empty_and_huge_passwords_are_refused_without_fuss() {
    let (_dir, _home, mut auth) = home_with_users();
    for attempt in [String::new(), "x".repeat(10_000)] {
        let err = auth
            .sign_in("hd", &Password::new(attempt), t0())
            .unwrap_err();
        assert!(matches!(err, SignInError::Rejected), "{err}");
    }
}

#[test]
fn a_password_typed_as_the_user_id_never_reaches_the_trail() {
    let (_dir, home, mut auth) = home_with_users();
    let _ = auth.sign_in("My Secret Pass!", &pw("x"), t0());
    let text = fs::read_to_string(home.audit_dir.join("audit.jsonl")).unwrap();
    assert!(!text.contains("Secret"), "{text}");
    assert!(text.contains("(not a valid user ID)"));
}

#[test]
fn five_failures_lock_the_account_for_fifteen_minutes_across_restarts() {
    let (_dir, home, mut auth) = home_with_users();
    for attempt in 1..=4 {
        let err = auth.sign_in("hd", &pw("wrong guess"), t0()).unwrap_err();
        assert!(
            matches!(err, SignInError::Rejected),
            "attempt {attempt}: {err}"
        );
    }
    let fifth = auth.sign_in("hd", &pw("wrong guess"), t0()).unwrap_err();
    assert!(matches!(fifth, SignInError::Rejected), "{fifth}");
    drop(auth);
    // A new process: the lockout was persisted.
    let mut restarted = open_auth(&home, HashParams::FAST_INSECURE_FOR_TESTS);
    let err = sign_in(
        &mut restarted,
        "hd",
        HELPDESK_PASSWORD,
        t0() + Duration::minutes(14),
    )
    .unwrap_err();
    // Refused without checking the (right) password, in the same words as a wrong one.
    assert!(matches!(err, SignInError::Rejected), "{err}");
    let last_failure = read_records(
        &home.audit_dir,
        &AuditFilter {
            event: Some(Event::SignInFailed),
            ..AuditFilter::default()
        },
    )
    .unwrap()
    .pop()
    .unwrap();
    assert_eq!(
        last_failure.entry.reason.as_deref(),
        Some("account locked out")
    );
    sign_in(
        &mut restarted,
        "hd",
        HELPDESK_PASSWORD,
        t0() + Duration::minutes(16),
    )
    .unwrap();
    assert!(events(&home).contains(&Event::Lockout));
    // The count started again after the successful sign-in.
    let again = restarted
        .sign_in("hd", &pw("wrong guess"), t0() + Duration::minutes(17))
        .unwrap_err();
    assert!(matches!(again, SignInError::Rejected));
}

#[test]
fn unknown_wrong_locked_out_and_disabled_all_read_the_same() {
    let (_dir, home, mut auth) = home_with_users();
    let unknown = auth.sign_in("nobody", &pw("x"), t0()).unwrap_err();
    let admin = sign_in(&mut auth, "root", ADMIN_PASSWORD, t0()).unwrap();
    admin::set_disabled(&mut auth, &admin, "hd", true, t0()).unwrap();
    let disabled = auth
        .sign_in("hd", &pw(HELPDESK_PASSWORD), t0())
        .unwrap_err();
    assert_eq!(unknown.to_string(), disabled.to_string());
    let reasons: Vec<_> = read_records(
        &home.audit_dir,
        &AuditFilter {
            event: Some(Event::SignInFailed),
            ..AuditFilter::default()
        },
    )
    .unwrap()
    .into_iter()
    .filter_map(|r| r.entry.reason)
    .collect();
    assert_eq!(
        reasons,
        ["unknown user", "account locked by an administrator"]
    );
}

#[test]
fn a_right_password_without_a_session_does_not_reset_the_count() {
    let (_dir, home, mut auth) = home_with_users();
    for _ in 0..4 {
        let _ = auth.sign_in("hd", &pw("wrong guess"), t0());
    }
    // The right password, then no role profile chosen (hd has two).
    let signed_in = auth.sign_in("hd", &pw(HELPDESK_PASSWORD), t0()).unwrap();
    auth.abandon(signed_in, "several role profiles, none chosen", t0())
        .unwrap();
    // The next wrong guess is the fifth in a row: locked out.
    let _ = auth.sign_in("hd", &pw("wrong guess"), t0());
    assert!(events(&home).contains(&Event::Lockout));
    let err = sign_in(&mut auth, "hd", HELPDESK_PASSWORD, t0()).unwrap_err();
    assert!(matches!(err, SignInError::Rejected), "{err}");
}

#[test]
fn an_admin_unlock_clears_a_lockout() {
    let (_dir, _home, mut auth) = home_with_users();
    for _ in 0..5 {
        let _ = auth.sign_in("hd", &pw("wrong guess"), t0());
    }
    let admin = sign_in(&mut auth, "root", ADMIN_PASSWORD, t0()).unwrap();
    admin::set_disabled(&mut auth, &admin, "hd", false, t0()).unwrap();
    sign_in(&mut auth, "hd", HELPDESK_PASSWORD, t0()).unwrap();
}

#[test]
fn the_idle_lock_needs_the_password_again() {
    let (_dir, home, mut auth) = home_with_users();
    let mut session = sign_in(&mut auth, "hd", HELPDESK_PASSWORD, t0()).unwrap();
    let later = t0() + Duration::minutes(15);
    assert!(session.is_idle(later));
    auth.lock_idle(&mut session, later).unwrap();
    let err = auth
        .unlock(&mut session, &pw("wrong guess"), later)
        .unwrap_err();
    assert!(matches!(err, SignInError::Rejected));
    assert!(session.is_locked());
    auth.unlock(&mut session, &pw(HELPDESK_PASSWORD), later)
        .unwrap();
    assert!(!session.is_idle(later + Duration::minutes(1)));
    auth.sign_out(session, later).unwrap();
    let all = events(&home);
    for expected in [Event::IdleLock, Event::SessionUnlocked, Event::SignOut] {
        assert!(all.contains(&expected), "{expected:?} in {all:?}");
    }
}

#[test]
fn hashes_are_redone_at_sign_in_when_the_cost_rises() {
    let (_dir, home, auth) = home_with_users();
    drop(auth);
    let stronger = HashParams {
        memory_kib: 256,
        iterations: 2,
        parallelism: 1,
    };
    let mut auth = open_auth(&home, stronger);
    sign_in(&mut auth, "hd", HELPDESK_PASSWORD, t0()).unwrap();
    let store = UserStore::open(&home.users_file, HashParams::FAST_INSECURE_FOR_TESTS).unwrap();
    let hd = hashing::params_of(&stored_hash(&home.users_file, "hd")).unwrap();
    let root = hashing::params_of(&stored_hash(&home.users_file, "root")).unwrap();
    assert_eq!(hd, stronger);
    assert_eq!(
        root,
        HashParams::FAST_INSECURE_FOR_TESTS,
        "not signed in yet"
    );
    assert_eq!(
        store.hash_params(),
        stronger,
        "the store remembers the raised cost"
    );
    sign_in(&mut auth, "hd", HELPDESK_PASSWORD, t0()).unwrap();
}

/// Reads a user's PHC string from the store file (the API keeps it private).
fn stored_hash(users_file: &Path, id: &str) -> String {
    let text = fs::read_to_string(users_file).unwrap();
    let value: toml::Value = toml::from_str(&text).unwrap();
    value["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"].as_str() == Some(id))
        .unwrap()["password_hash"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn admin_changes_are_recorded_in_full_and_admins_cannot_grant_themselves_roles() {
    let (_dir, home, mut auth) = home_with_users();
    let admin = sign_in(&mut auth, "root", ADMIN_PASSWORD, t0()).unwrap();
    let err = admin::change_role_profiles(
        &mut auth,
        &admin,
        "root",
        vec![profile("555000000110", "X26", Role::Clinician)],
        &[],
        t0(),
    )
    .unwrap_err();
    assert!(matches!(err, AdminError::SelfGrant), "{err}");
    admin::change_role_profiles(
        &mut auth,
        &admin,
        "hd",
        vec![profile("555000000103", "Y12345", Role::Pharmacist)],
        &[RoleProfileId::parse("555000000102").unwrap()],
        t0(),
    )
    .unwrap();
    let records = read_records(&home.audit_dir, &AuditFilter::default()).unwrap();
    let reason_of = |event: Event| {
        records
            .iter()
            .filter(|r| r.entry.event == event)
            .map(|r| {
                (
                    r.entry.user.clone().unwrap_or_default(),
                    r.entry.target_user.clone().unwrap_or_default(),
                    r.entry.reason.clone().unwrap_or_default(),
                )
            })
            .collect::<Vec<_>>()
    };
    let changed = reason_of(Event::RolesChanged);
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert_eq!(
        changed[0],
        (
            "root".to_owned(),
            "hd".to_owned(),
            "added 555000000103:Y12345:pharmacist; removed 555000000102:A83008:clinician"
                .to_owned()
        )
    );
    let added = reason_of(Event::UserAdded);
    assert!(
        added[1]
            .2
            .contains("555000000001, role profiles 555000000101:X26:helpdesk"),
        "{added:?}"
    );
    let denied = reason_of(Event::AccessDenied);
    assert!(
        denied[0].2.contains("555000000110:X26:clinician"),
        "{denied:?}"
    );
}

#[test]
fn administration_is_for_admins_and_never_removes_the_last_one() {
    let (_dir, home, mut auth) = home_with_users();
    let helpdesk = sign_in(&mut auth, "hd", HELPDESK_PASSWORD, t0()).unwrap();
    let err = admin::remove_user(&mut auth, &helpdesk, "root", t0()).unwrap_err();
    assert!(matches!(err, AdminError::Denied(_)), "{err}");
    assert!(
        err.to_string()
            .contains("helpdesk role cannot administer users"),
        "{err}"
    );
    assert!(events(&home).contains(&Event::AccessDenied));

    let admin = sign_in(&mut auth, "root", ADMIN_PASSWORD, t0()).unwrap();
    let err = admin::remove_user(&mut auth, &admin, "root", t0()).unwrap_err();
    assert!(matches!(err, AdminError::LastAdmin), "{err}");
    let err = admin::set_disabled(&mut auth, &admin, "root", true, t0()).unwrap_err();
    assert!(matches!(err, AdminError::LastAdmin), "{err}");
    admin::remove_user(&mut auth, &admin, "hd", t0()).unwrap();
    assert!(auth.store().find("hd").is_none());
    let err = admin::add_first_admin(
        &mut auth,
        new_user(
            "second",
            "555000000008",
            vec![profile("555000000108", "X26", Role::Admin)],
        ),
        &pw("another long passphrase"),
        t0(),
    )
    .unwrap_err();
    assert!(matches!(err, AdminError::NotFirstUser), "{err}");
}

#[test]
fn a_weak_new_password_is_refused_and_nothing_changes() {
    let (_dir, _home, mut auth) = home_with_users();
    let err =
        admin::change_own_password(&mut auth, "hd", &pw(HELPDESK_PASSWORD), &pw("short"), t0())
            .unwrap_err();
    assert!(err.to_string().contains("at least 12"), "{err}");
    sign_in(&mut auth, "hd", HELPDESK_PASSWORD, t0()).unwrap();
    admin::change_own_password(
        &mut auth,
        "hd",
        &pw(HELPDESK_PASSWORD),
        &pw("a brand new passphrase"),
        t0(),
    )
    .unwrap();
    sign_in(&mut auth, "hd", "a brand new passphrase", t0()).unwrap();
}

#[test]
fn a_user_store_edited_into_invalid_toml_stops_sign_in_with_the_line() {
    let (_dir, home, mut auth) = home_with_users();
    let text = fs::read_to_string(&home.users_file).unwrap();
    fs::write(
        &home.users_file,
        text.replacen("display_name = ", "display_name = = ", 1),
    )
    .unwrap();
    let err = auth
        .sign_in("hd", &pw(HELPDESK_PASSWORD), t0())
        .unwrap_err();
    let message = err.to_string();
    assert!(message.contains("not valid"), "{message}");
    assert!(message.contains("line "), "{message}");
}

#[test]
fn a_read_only_audit_trail_stops_everything_that_needs_it() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, home, _auth) = home_with_users();
    let path = home.audit_dir.join("audit.jsonl");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o400)).unwrap();
    let err = AuditLog::open(&home.audit_dir, Origin::default()).unwrap_err();
    assert!(err.to_string().contains("read-only"), "{err}");
}

#[test]
fn two_instances_appending_at_once_keep_one_valid_chain() {
    let dir = tempfile::tempdir().unwrap();
    let threads: Vec<_> = (0..2)
        .map(|n| {
            let path = dir.path().to_path_buf();
            std::thread::spawn(move || {
                // Separate opens: separate file descriptions, like two processes.
                let log = AuditLog::open(&path, Origin::default()).unwrap();
                for i in 0..25 {
                    let entry = AuditEntry::new(Event::SignOut).target(format!("t{n}-{i}"));
                    log.append(&entry, Utc::now()).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let report = verify_dir(dir.path()).unwrap();
    assert_intact(&report);
    assert_eq!(report.files[0].records, 51);
}

/// A trail with a header and `n` records, plus its head file, in a fresh directory.
fn trail(n: usize) -> (TempDir, Vec<u8>, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::open(dir.path(), Origin::default()).unwrap();
    for i in 0..n {
        let mut entry = AuditEntry::new(Event::SearchAttempt);
        entry.nhs = Some("9990548609".into());
        entry.trace = Some(format!("trace-{i}"));
        log.append(&entry, t0() + Duration::seconds(i as i64))
            .unwrap();
    }
    let trail = fs::read(dir.path().join("audit.jsonl")).unwrap();
    let head = fs::read(dir.path().join("audit.jsonl.head")).unwrap();
    (dir, trail, head)
}

fn verify_bytes(trail: &[u8], head: &[u8]) -> VerifyReport {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("audit.jsonl"), trail).unwrap();
    fs::write(dir.path().join("audit.jsonl.head"), head).unwrap();
    verify_dir(dir.path()).unwrap()
}

fn lines(trail: &[u8]) -> Vec<Vec<u8>> {
    trail
        .split_inclusive(|b| *b == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

fn first_tampering(report: &VerifyReport) -> Option<(usize, TamperKind)> {
    report.files.iter().find_map(|f| match &f.result {
        FileResult::Tampered(t) => Some((t.line, t.kind)),
        _ => None,
    })
}

#[test]
fn verify_names_the_first_bad_record_and_what_happened_to_it() {
    let (_dir, good, head) = trail(6);
    assert_intact(&verify_bytes(&good, &head));
    let original = lines(&good);

    let mut edited = original.clone();
    edited[3] = String::from_utf8(edited[3].clone())
        .unwrap()
        .replace("trace-2", "trace-X")
        .into_bytes();
    assert_eq!(
        first_tampering(&verify_bytes(&edited.concat(), &head)),
        Some((4, TamperKind::Edited))
    );

    let mut deleted = original.clone();
    deleted.remove(2);
    assert_eq!(
        first_tampering(&verify_bytes(&deleted.concat(), &head)),
        Some((3, TamperKind::Deleted))
    );

    let mut swapped = original.clone();
    swapped.swap(2, 3);
    assert_eq!(
        first_tampering(&verify_bytes(&swapped.concat(), &head)),
        Some((3, TamperKind::Deleted)),
        "record 2 where 1 was expected reads as a gap first"
    );
    let mut moved_back = original.clone();
    let line = moved_back.remove(1);
    moved_back.insert(3, line);
    assert_eq!(
        first_tampering(&verify_bytes(&moved_back.concat(), &head)),
        Some((2, TamperKind::Deleted))
    );
    let mut duplicated = original.clone();
    duplicated.insert(3, original[2].clone());
    assert_eq!(
        first_tampering(&verify_bytes(&duplicated.concat(), &head)),
        Some((4, TamperKind::Reordered))
    );

    let mut truncated = original.clone();
    truncated.pop();
    let report = verify_bytes(&truncated.concat(), &head);
    assert_eq!(
        first_tampering(&report).map(|t| t.1),
        Some(TamperKind::Truncated)
    );
}

#[test]
fn a_torn_last_line_is_a_crash_not_tampering_and_writing_resumes_after_it() {
    let (dir, good, head) = trail(3);
    let mut torn = good.clone();
    torn.extend_from_slice(b"{\"seq\":4,\"ts\":\"2026-11-25T09:");
    let report = verify_bytes(&torn, &head);
    assert_intact(&report);
    assert!(
        report.files[0].notes[0].contains("incomplete"),
        "{:?}",
        report.files[0].notes
    );

    // The next append after the crash ends the torn line and says so.
    fs::write(dir.path().join("audit.jsonl"), &torn).unwrap();
    let log = AuditLog::open(dir.path(), Origin::default()).unwrap();
    assert_eq!(
        log.append(&AuditEntry::new(Event::SignOut), t0()).unwrap(),
        4
    );
    let report = verify_dir(dir.path()).unwrap();
    assert_intact(&report);
    assert!(
        report.files[0].notes[0].contains("crash"),
        "{:?}",
        report.files[0].notes
    );
    assert_eq!(report.files[0].records, 5);
}

#[test]
fn a_missing_head_file_is_reported() {
    let (_dir, good, _head) = trail(3);
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("audit.jsonl"), &good).unwrap();
    let report = verify_dir(dir.path()).unwrap();
    assert_eq!(
        first_tampering(&report).map(|t| t.1),
        Some(TamperKind::Truncated)
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn any_single_byte_changed_is_caught(position in any::<prop::sample::Index>(), flip in 1u8..=255) {
        let (_dir, good, head) = TRAIL.with(|t| t.clone());
        let mut bad = good.clone();
        let at = position.index(bad.len());
        bad[at] ^= flip;
        prop_assert!(verify_bytes(&bad, &head).tampered(), "byte {} changed", at);
    }

    #[test]
    fn any_line_deleted_is_caught(which in any::<prop::sample::Index>()) {
        let (_dir, good, head) = TRAIL.with(|t| t.clone());
        let mut all = lines(&good);
        all.remove(which.index(all.len()));
        prop_assert!(verify_bytes(&all.concat(), &head).tampered());
    }

    #[test]
    fn any_two_lines_swapped_are_caught(a in any::<prop::sample::Index>(), b in any::<prop::sample::Index>()) {
        let (_dir, good, head) = TRAIL.with(|t| t.clone());
        let mut all = lines(&good);
        let (a, b) = (a.index(all.len()), b.index(all.len()));
        prop_assume!(a != b);
        all.swap(a, b);
        prop_assert!(verify_bytes(&all.concat(), &head).tampered());
    }
}

thread_local! {
    /// One generated trail per test thread: appending fsyncs, so build it once.
    static TRAIL: (std::rc::Rc<TempDir>, Vec<u8>, Vec<u8>) = {
        let (dir, trail, head) = trail(8);
        (std::rc::Rc::new(dir), trail, head)
    };
}

// ---- the gate ------------------------------------------------------------------------

mod gate {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use eps_tracker::sandbox::embedded::{EmbeddedOptions, EmbeddedSandbox};
    use eps_tracker::security::gate::{Gate, GateError};
    use eps_tracker::security::rbac::{Action, Permission};
    use eps_tracker::security::spine_client::{ClientSettings, TrackerClient};
    use eps_tracker::tracker::ids::{NhsNumber, PrescriptionId};
    use eps_tracker::tracker::query::{RetrieveQuery, SearchQuery, TrackerRequest};

    use super::*;

    /// A TCP listener that counts connections and drops them: any request that leaves the
    /// program shows up here.
    async fn counting_listener() -> (String, Arc<AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let count = Arc::new(AtomicUsize::new(0));
        let seen = count.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                seen.fetch_add(1, Ordering::SeqCst);
                drop(socket);
            }
        });
        (format!("https://127.0.0.1:{port}/mm"), count)
    }

    /// Client settings with the sandbox's certificates, pointed at `base_url`.
    async fn settings_for(base_url: Option<String>) -> (EmbeddedSandbox, ClientSettings) {
        let sandbox = EmbeddedSandbox::start(EmbeddedOptions::default())
            .await
            .unwrap();
        let mut settings = sandbox.client_settings();
        if let Some(url) = base_url {
            settings.base_url = url;
        }
        (sandbox, settings)
    }

    fn search(clinical: bool) -> TrackerRequest {
        let query = SearchQuery::new(NhsNumber::parse("9990548609").unwrap());
        if clinical {
            TrackerRequest::ClinicalSummary(query)
        } else {
            TrackerRequest::Search(query)
        }
    }

    #[tokio::test]
    async fn a_refused_request_never_leaves_the_program_and_is_recorded() {
        let (_dir, home, mut auth) = home_with_users();
        let helpdesk = sign_in(&mut auth, "hd", HELPDESK_PASSWORD, Utc::now()).unwrap();
        let (url, connections) = counting_listener().await;
        let (_sandbox, settings) = settings_for(Some(url)).await;
        let gate = Gate::new(TrackerClient::new(&settings).unwrap(), auth.audit().clone());

        let clinical = TrackerRequest::ClinicalDetail(RetrieveQuery::new(
            PrescriptionId::parse("0FBD16-C81007-00001S").unwrap(),
        ));
        for request in [search(true), clinical] {
            let err = gate
                .request(&helpdesk, request, Utc::now())
                .await
                .unwrap_err();
            let GateError::Denied(denied) = err else {
                panic!("expected a refusal, got {err}");
            };
            assert_eq!(denied.missing, Permission::TrackerClinical);
            assert!(matches!(
                denied.action,
                Action::ClinicalSearch | Action::ClinicalRetrieve
            ));
        }
        assert_eq!(connections.load(Ordering::SeqCst), 0, "nothing may be sent");

        let denied = read_records(
            &home.audit_dir,
            &AuditFilter {
                event: Some(Event::AccessDenied),
                ..AuditFilter::default()
            },
        )
        .unwrap();
        assert_eq!(denied.len(), 2);
        assert_eq!(denied[0].entry.nhs.as_deref(), Some("9990548609"));
        assert_eq!(denied[0].entry.clinical, Some(true));
        assert_eq!(
            denied[1].entry.prescription.as_deref(),
            Some("0FBD16-C81007-00001S")
        );

        // The same gate does send what the role allows (so the counter can see requests).
        let err = gate
            .request(&helpdesk, search(false), Utc::now())
            .await
            .unwrap_err();
        assert!(matches!(err, GateError::Fetch(_)), "{err}");
        assert_eq!(connections.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn an_idle_session_is_refused_before_anything_else() {
        let (_dir, _home, mut auth) = home_with_users();
        let session = sign_in(&mut auth, "hd", HELPDESK_PASSWORD, t0()).unwrap();
        let (url, connections) = counting_listener().await;
        let (_sandbox, settings) = settings_for(Some(url)).await;
        let gate = Gate::new(TrackerClient::new(&settings).unwrap(), auth.audit().clone());
        let err = gate
            .request(&session, search(false), t0() + Duration::minutes(16))
            .await
            .unwrap_err();
        assert!(matches!(err, GateError::SessionLocked), "{err}");
        assert_eq!(connections.load(Ordering::SeqCst), 0);
        // The refusal is on the trail.
        let refusals = read_records(
            &_home.audit_dir,
            &AuditFilter {
                event: Some(Event::AccessDenied),
                ..AuditFilter::default()
            },
        )
        .unwrap();
        assert_eq!(refusals.len(), 1, "{refusals:?}");
        assert_eq!(
            refusals[0].entry.reason.as_deref(),
            Some("session idle-locked")
        );
    }

    /// An administrator's change ends the open session at its next request, before anything
    /// is sent, with a `session_revoked` record naming why.
    #[tokio::test]
    async fn a_session_ends_when_its_account_changes() {
        use eps_tracker::security::session::Revoked;
        let (_dir, home, mut auth) = home_with_users();
        let (url, connections) = counting_listener().await;
        let (_sandbox, settings) = settings_for(Some(url)).await;
        let gate = Gate::new(TrackerClient::new(&settings).unwrap(), auth.audit().clone());
        let now = Utc::now();
        let admin = sign_in(&mut auth, "root", ADMIN_PASSWORD, now).unwrap();
        type Change = Box<dyn Fn(&mut Authenticator, &Session)>;
        let cases: Vec<(Change, Revoked)> = vec![
            (
                Box::new(|auth, admin| {
                    admin::change_role_profiles(
                        auth,
                        admin,
                        "hd",
                        vec![],
                        &[RoleProfileId::parse("555000000101").unwrap()],
                        Utc::now(),
                    )
                    .unwrap();
                }),
                Revoked::ProfileWithdrawn,
            ),
            (
                Box::new(|auth, admin| {
                    admin::reset_password(
                        auth,
                        admin,
                        "hd",
                        &pw("a new passphrase now"),
                        Utc::now() + Duration::seconds(1),
                    )
                    .unwrap();
                }),
                Revoked::PasswordChanged,
            ),
            (
                Box::new(|auth, admin| {
                    admin::set_disabled(auth, admin, "hd", true, Utc::now()).unwrap();
                }),
                Revoked::Disabled,
            ),
            (
                Box::new(|auth, admin| {
                    admin::remove_user(auth, admin, "hd", Utc::now()).unwrap();
                }),
                Revoked::Removed,
            ),
        ];
        let mut password = HELPDESK_PASSWORD.to_owned();
        for (change, expected) in cases {
            let signed_in = auth.sign_in("hd", &pw(&password), now).unwrap();
            let profile = signed_in.profiles()[0].id.clone();
            let session = auth.choose_profile(signed_in, &profile, now).unwrap();
            assert_eq!(session.revoked(now), None);
            change(&mut auth, &admin);
            let err = gate
                .request(&session, search(false), Utc::now())
                .await
                .unwrap_err();
            let GateError::SessionRevoked { reason } = &err else {
                panic!("expected the session to end, got {err}");
            };
            assert_eq!(reason, &expected);
            assert!(err.to_string().contains("Sign in again"), "{err}");
            if expected == Revoked::PasswordChanged {
                password = "a new passphrase now".to_owned();
            }
            if expected == Revoked::Disabled {
                admin::set_disabled(&mut auth, &admin, "hd", false, Utc::now()).unwrap();
            }
        }
        assert_eq!(connections.load(Ordering::SeqCst), 0, "nothing may be sent");
        let revoked: Vec<_> = read_records(
            &home.audit_dir,
            &AuditFilter {
                event: Some(Event::SessionRevoked),
                ..AuditFilter::default()
            },
        )
        .unwrap()
        .into_iter()
        .filter_map(|r| r.entry.reason)
        .collect();
        assert_eq!(revoked.len(), 4, "{revoked:?}");
        assert!(revoked[3].contains("removed"), "{revoked:?}");
    }

    #[tokio::test]
    async fn when_the_attempt_cannot_be_recorded_nothing_is_sent() {
        let (_dir, home, mut auth) = home_with_users();
        let session = sign_in(&mut auth, "hd", HELPDESK_PASSWORD, Utc::now()).unwrap();
        let (url, connections) = counting_listener().await;
        let (_sandbox, settings) = settings_for(Some(url)).await;
        let gate = Gate::new(TrackerClient::new(&settings).unwrap(), auth.audit().clone());
        // Someone damages the end of the trail behind the running program's back.
        let mut file = fs::OpenOptions::new()
            .append(true)
            .open(home.audit_dir.join("audit.jsonl"))
            .unwrap();
        std::io::Write::write_all(&mut file, b"not a record\n").unwrap();
        let err = gate
            .request(&session, search(false), Utc::now())
            .await
            .unwrap_err();
        assert!(matches!(err, GateError::AuditUnavailable(_)), "{err}");
        assert!(err.to_string().contains("was not sent"), "{err}");
        assert_eq!(connections.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn an_allowed_search_is_recorded_before_and_after_with_one_trace_id() {
        let (_dir, home, mut auth) = home_with_users();
        let signed_in = auth
            .sign_in("hd", &pw(HELPDESK_PASSWORD), Utc::now())
            .unwrap();
        let clinician_profile = RoleProfileId::parse("555000000102").unwrap();
        let clinician = auth
            .choose_profile(signed_in, &clinician_profile, Utc::now())
            .unwrap();
        let (_sandbox, settings) = settings_for(None).await;
        let gate = Gate::new(TrackerClient::new(&settings).unwrap(), auth.audit().clone());
        let fetched = gate
            .request(&clinician, search(true), Utc::now())
            .await
            .unwrap();
        assert!(!fetched.response.prescriptions.is_empty());
        let records = read_records(
            &home.audit_dir,
            &AuditFilter {
                nhs: Some("9990548609".into()),
                ..AuditFilter::default()
            },
        )
        .unwrap();
        let kinds: Vec<_> = records.iter().map(|r| r.entry.event).collect();
        assert_eq!(kinds, [Event::SearchAttempt, Event::SearchResult]);
        let trace = fetched.trace_id.to_string();
        assert!(
            records
                .iter()
                .all(|r| r.entry.trace.as_deref() == Some(trace.as_str()))
        );
        assert_eq!(
            records[1].entry.results,
            Some(fetched.response.prescriptions.len())
        );
        assert_eq!(
            records[0].entry.role_profile.as_deref(),
            Some("555000000102")
        );
        assert_eq!(records[0].entry.clinical, Some(true));
        // Never clinical content: the medicines the answer named are not in the trail.
        let text = fs::read_to_string(home.audit_dir.join("audit.jsonl")).unwrap();
        let medicines: Vec<&String> = fetched
            .response
            .prescriptions
            .iter()
            .flat_map(|p| {
                p.line_items
                    .iter()
                    .chain(p.issues.iter().flat_map(|i| i.line_items.iter()))
            })
            .filter_map(|item| item.medication().description.as_ref())
            .collect();
        assert!(
            !medicines.is_empty(),
            "the clinical summary names medicines"
        );
        for medicine in medicines {
            assert!(!text.contains(medicine.as_str()), "{medicine}");
        }
        assert_intact(&verify_dir(&home.audit_dir).unwrap());
    }
}
