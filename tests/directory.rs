//! Directory sign-in against a real OpenLDAP slapd (Debian packages `slapd`, `ldap-utils`),
//! started by the test on a free loopback port with LDAPS and certificates the test makes.
//! Where slapd is absent the test says it was skipped and why, unless `CI=true`, where a
//! missing slapd is a failure.

mod support;

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use support::{code, run, stderr};

use eps_tracker::sandbox::certs::Authority;
use eps_tracker::security::directory::{DirectoryConfig, DirectoryVerdict};
use eps_tracker::security::password::Password;

const SUFFIX: &str = "dc=example,dc=nhs";
const JSMITH_PW: &str = "jsmith directory words";

/// Stops the private slapd (by the PID it wrote) however the test ends.
struct Slapd {
    dir: PathBuf,
    /// LDAPS.
    port: u16,
    /// Plain LDAP, for StartTLS.
    starttls_port: u16,
}

impl Slapd {
    fn pid(&self) -> Option<i32> {
        std::fs::read_to_string(self.dir.join("slapd.pid"))
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    fn stop(&self) {
        if let Some(pid) = self.pid() {
            // SAFETY: kill has no memory preconditions; the PID is the slapd this test started.
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
            let deadline = Instant::now() + Duration::from_secs(10);
            while TcpStream::connect(("127.0.0.1", self.port)).is_ok() && Instant::now() < deadline
            {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        self.stop();
    }
}

fn slapd_present() -> bool {
    [
        "/usr/sbin/slapd",
        "/usr/sbin/slapadd",
        "/usr/bin/ldapmodify",
    ]
    .iter()
    .all(|p| Path::new(p).exists())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn sh(program: &str, args: &[&str], stdin: &str) -> Output {
    sh_with(program, args, stdin, &[])
}

fn sh_with(program: &str, args: &[&str], stdin: &str, envs: &[(&str, &Path)]) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .envs(envs.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    if let Some(mut input) = child.stdin.take() {
        let _ = input.write_all(stdin.as_bytes());
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Starts slapd on LDAPS with one user (jsmith) in the `trackers` group.
fn start_slapd(dir: &Path, ca: &Authority) -> Slapd {
    let server = ca.issue_server().unwrap();
    std::fs::write(dir.join("server.pem"), &server.cert_pem).unwrap();
    std::fs::write(dir.join("server.key"), server.key_pem.as_bytes()).unwrap();
    std::fs::create_dir_all(dir.join("db")).unwrap();
    let d = dir.display();
    let conf = format!(
        "include /etc/ldap/schema/core.schema\n\
         include /etc/ldap/schema/cosine.schema\n\
         include /etc/ldap/schema/inetorgperson.schema\n\
         include /etc/ldap/schema/nis.schema\n\
         modulepath /usr/lib/ldap\n\
         moduleload back_mdb\n\
         pidfile {d}/slapd.pid\n\
         TLSCertificateFile {d}/server.pem\n\
         TLSCertificateKeyFile {d}/server.key\n\
         database mdb\n\
         maxsize 10485760\n\
         suffix \"{SUFFIX}\"\n\
         rootdn \"cn=admin,{SUFFIX}\"\n\
         rootpw admin-secret\n\
         directory {d}/db\n\
         access to attrs=userPassword by self =xw by anonymous auth by * none\n\
         access to * by * read\n"
    );
    std::fs::write(dir.join("slapd.conf"), conf).unwrap();
    let ldif = format!(
        "dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example\n\n\
         dn: ou=people,{SUFFIX}\nobjectClass: organizationalUnit\nou: people\n\n\
         dn: ou=groups,{SUFFIX}\nobjectClass: organizationalUnit\nou: groups\n\n\
         dn: uid=jsmith,ou=people,{SUFFIX}\nobjectClass: inetOrgPerson\nuid: jsmith\ncn: Jo Smith\n\
         sn: Smith\nuserPassword: {JSMITH_PW}\n\n\
         dn: uid=other,ou=people,{SUFFIX}\nobjectClass: inetOrgPerson\nuid: other\ncn: Other\n\
         sn: Other\nuserPassword: other words here\n\n\
         dn: cn=trackers,ou=groups,{SUFFIX}\nobjectClass: groupOfNames\ncn: trackers\n\
         member: uid=jsmith,ou=people,{SUFFIX}\n"
    );
    std::fs::write(dir.join("base.ldif"), ldif).unwrap();
    let conf_path = dir.join("slapd.conf");
    sh(
        "/usr/sbin/slapadd",
        &[
            "-f",
            conf_path.to_str().unwrap(),
            "-l",
            dir.join("base.ldif").to_str().unwrap(),
        ],
        "",
    );
    let port = free_port();
    let starttls_port = free_port();
    let urls = format!("ldaps://127.0.0.1:{port}/ ldap://127.0.0.1:{starttls_port}/");
    sh(
        "/usr/sbin/slapd",
        &["-f", conf_path.to_str().unwrap(), "-h", &urls],
        "",
    );
    let slapd = Slapd {
        dir: dir.to_path_buf(),
        port,
        starttls_port,
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "slapd did not start on port {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    slapd
}

fn write_private(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

#[test]
fn directory_users_sign_in_with_slapd_and_nothing_else() {
    if !slapd_present() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "slapd and ldap-utils are required in CI: apt-get install -y slapd ldap-utils"
        );
        eprintln!(
            "skipped: the directory tests need slapd and ldap-utils \
             (apt-get install -y slapd ldap-utils)"
        );
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let ldap_dir = tmp.path().join("ldap");
    std::fs::create_dir_all(&ldap_dir).unwrap();
    let ca = Authority::generate("eps-tracker test directory CA").unwrap();
    let ca_file = tmp.path().join("directory-ca.pem");
    std::fs::write(&ca_file, ca.cert_pem()).unwrap();
    let slapd = start_slapd(&ldap_dir, &ca);
    let url = format!("ldaps://127.0.0.1:{}", slapd.port);
    let group = format!("cn=trackers,ou=groups,{SUFFIX}");

    // The sandbox home (its own settings file), so `search` really runs.
    let home = tmp.path().join("home");
    let sandbox_home = home.join("sandbox");
    std::fs::create_dir_all(&sandbox_home).unwrap();
    let direct = format!(
        "[directory]\nurl = \"{url}\"\nca = \"{}\"\nuser_dn = \"uid={{user}},ou=people,{SUFFIX}\"\n\
         required_group = \"{group}\"\n",
        ca_file.display()
    );
    std::fs::write(sandbox_home.join("config.toml"), &direct).unwrap();
    let added = run(
        &home,
        &[
            "--sandbox",
            "user",
            "add",
            "jsmith",
            "--name",
            "Jo Smith",
            "--spine-user-id",
            "555000000021",
            "--profile",
            "555000000121:A83008:helpdesk",
            "--directory",
            "--as",
            "admin",
            "--password-stdin",
        ],
        "sandbox-demo\n",
    );
    assert_eq!(code(&added), 0, "{}", stderr(&added));
    let listed = run(
        &home,
        &[
            "--sandbox",
            "user",
            "list",
            "--as",
            "admin",
            "--password-stdin",
        ],
        "sandbox-demo\n",
    );
    assert!(
        String::from_utf8_lossy(&listed.stdout).contains("(directory)"),
        "{}",
        String::from_utf8_lossy(&listed.stdout)
    );
    // `doctor` reaches the directory over TLS with the configured CA.
    let checked = run(&home, &["--sandbox", "doctor"], "");
    let report = String::from_utf8_lossy(&checked.stdout);
    assert!(report.contains("✓ directory "), "{report}");
    assert!(
        report.contains(&format!("{url}: TLS connection made")),
        "{report}"
    );
    assert_eq!(code(&checked), 0, "{report}");
    let reset = run(
        &home,
        &[
            "--sandbox",
            "user",
            "passwd",
            "jsmith",
            "--as",
            "admin",
            "--password-stdin",
        ],
        "sandbox-demo\nsome new passphrase here\n",
    );
    assert_eq!(code(&reset), 2, "{}", stderr(&reset));
    assert!(
        stderr(&reset).contains("change it in the directory"),
        "{}",
        stderr(&reset)
    );
    let search = [
        "--sandbox",
        "search",
        "--user",
        "jsmith",
        "--nhs",
        "9990548609",
        "--password-stdin",
    ];
    let found = run(&home, &search, &format!("{JSMITH_PW}\n"));
    assert_eq!(code(&found), 0, "{}", stderr(&found));
    let wrong = run(&home, &search, "not the directory password\n");
    assert_eq!(code(&wrong), 3, "{}", stderr(&wrong));
    let mut unknown_args = search;
    unknown_args[3] = "nobody";
    let unknown = run(&home, &unknown_args, "whatever it is\n");
    assert_eq!(stderr(&wrong), stderr(&unknown));

    // Taken out of the group in the directory: the next sign-in is refused.
    sh_with(
        "/usr/bin/ldapmodify",
        &[
            "-x",
            "-H",
            &format!("ldaps://127.0.0.1:{}", slapd.port),
            "-D",
            &format!("cn=admin,{SUFFIX}"),
            "-w",
            "admin-secret",
        ],
        &format!(
            "dn: {group}\nchangetype: modify\nreplace: member\nmember: uid=other,ou=people,{SUFFIX}\n"
        ),
        &[("LDAPTLS_CACERT", &ca_file)],
    );
    let out_of_group = run(&home, &search, &format!("{JSMITH_PW}\n"));
    assert_eq!(code(&out_of_group), 3, "{}", stderr(&out_of_group));
    let trail = std::fs::read_to_string(sandbox_home.join("audit/audit.jsonl")).unwrap();
    assert!(
        trail.contains("not in the directory's required group"),
        "{trail}"
    );
    assert!(!trail.contains(JSMITH_PW), "the password reached the trail");

    // Search then bind, as Active Directory needs, with a service account.
    let secret = tmp.path().join("bind-password");
    write_private(&secret, "admin-secret\n");
    let search_then_bind = format!(
        "[directory]\nurl = \"{url}\"\nca = \"{}\"\nsearch_base = \"ou=people,{SUFFIX}\"\n\
         search_filter = \"(uid={{user}})\"\nbind_dn = \"cn=admin,{SUFFIX}\"\n\
         bind_password_file = \"{}\"\n",
        ca_file.display(),
        secret.display()
    );
    std::fs::write(sandbox_home.join("config.toml"), &search_then_bind).unwrap();
    let found = run(&home, &search, &format!("{JSMITH_PW}\n"));
    assert_eq!(code(&found), 0, "{}", stderr(&found));

    // Sign-in time against this slapd, in process (printed for the README; not asserted).
    let configs: Vec<(&str, DirectoryConfig)> = [
        ("direct bind", &direct),
        ("search then bind", &search_then_bind),
    ]
    .iter()
    .map(|(name, text)| {
        let value: toml::Value = toml::from_str(text).unwrap();
        let config: DirectoryConfig = value["directory"].clone().try_into().unwrap();
        (*name, config)
    })
    .collect();
    let password = Password::new(JSMITH_PW.to_owned());
    for (name, config) in &configs {
        let runs = 20;
        let start = Instant::now();
        for _ in 0..runs {
            assert_eq!(
                config.verify("jsmith", &password).unwrap(),
                if config.required_group.is_some() {
                    DirectoryVerdict::NotInGroup
                } else {
                    DirectoryVerdict::Accepted
                }
            );
        }
        eprintln!(
            "directory sign-in, {name}: {:.1} ms per check over {runs} (LDAPS, loopback)",
            start.elapsed().as_secs_f64() * 1000.0 / f64::from(runs)
        );
    }

    // The directory is down: refused, naming it, never a local fallback.
    slapd.stop();
    let down = run(&home, &search, &format!("{JSMITH_PW}\n"));
    assert_eq!(code(&down), 3, "{}", stderr(&down));
    assert!(stderr(&down).contains(&url), "{}", stderr(&down));
}

/// An untrusted certificate (a CA the settings do not name) is a refusal, not a sign-in.
#[test]
fn a_directory_with_an_untrusted_certificate_is_refused() {
    if !slapd_present() {
        eprintln!("skipped: the directory tests need slapd and ldap-utils");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let ca = Authority::generate("the directory's own CA").unwrap();
    let slapd = start_slapd(tmp.path(), &ca);
    let other = Authority::generate("some other CA").unwrap();
    let other_file = tmp.path().join("other-ca.pem");
    std::fs::write(&other_file, other.cert_pem()).unwrap();
    let config = DirectoryConfig {
        url: format!("ldaps://127.0.0.1:{}", slapd.port),
        starttls: false,
        ca: Some(other_file),
        user_dn: Some(format!("uid={{user}},ou=people,{SUFFIX}")),
        search_base: None,
        search_filter: None,
        bind_dn: None,
        bind_password_file: None,
        required_group: None,
        timeout_secs: 5,
    };
    let password = Password::new(JSMITH_PW.to_owned());
    let err = config.verify("jsmith", &password).unwrap_err();
    assert!(err.url.contains(&slapd.port.to_string()), "{err}");
    // `doctor`'s probe is refused the same way, with no password involved.
    let probed = config.probe().unwrap_err();
    assert!(
        probed.reason.to_lowercase().contains("certificate"),
        "{probed}"
    );

    // StartTLS on plain LDAP, with the right CA, works; with the wrong one it is refused.
    let ca_file = tmp.path().join("ca.pem");
    std::fs::write(&ca_file, ca.cert_pem()).unwrap();
    let mut starttls = config.clone();
    starttls.url = format!("ldap://127.0.0.1:{}", slapd.starttls_port);
    starttls.starttls = true;
    starttls.validate().unwrap();
    assert!(starttls.verify("jsmith", &password).is_err());
    starttls.ca = Some(ca_file);
    assert_eq!(
        starttls.verify("jsmith", &password),
        Ok(DirectoryVerdict::Accepted)
    );
    assert_eq!(starttls.probe(), Ok("TLS connection made"));
}

/// A directory that accepts the connection and never answers counts as unreachable after
/// the timeout (no slapd needed).
#[test]
fn a_directory_that_hangs_is_refused_after_the_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept() {
            held.push(socket);
        }
    });
    let config = DirectoryConfig {
        url: format!("ldaps://127.0.0.1:{port}"),
        starttls: false,
        ca: None,
        user_dn: Some(format!("uid={{user}},ou=people,{SUFFIX}")),
        search_base: None,
        search_filter: None,
        bind_dn: None,
        bind_password_file: None,
        required_group: None,
        timeout_secs: 1,
    };
    let err = config
        .verify("jsmith", &Password::new(JSMITH_PW.to_owned()))
        .unwrap_err();
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
}
