//! `eps-tracker doctor` end to end: against `eps-tracker sandbox serve` with a good
//! configuration and with each broken variant (missing file, wrong CA, expired client
//! certificate, a certificate the server rejects, closed port, a host that does not
//! resolve, a port that never speaks TLS), and with `--sandbox`.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Output, Stdio};

use eps_tracker::sandbox::certs::{Authority, Validity};

const ASID: &str = "200000000001";

fn eps_tracker() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_eps-tracker"));
    command
        .env_remove("EPS_TRACKER_HOME")
        .env_remove("COLUMNS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// `sandbox serve` on a free port, stopped when dropped.
struct Served {
    child: Child,
    port: u16,
    certs: PathBuf,
    /// Kept open: `serve` keeps printing, and a closed pipe would end it.
    _stdout: BufReader<ChildStdout>,
}

impl Served {
    fn start(dir: &Path) -> Self {
        let certs = dir.join("certs");
        let mut child = eps_tracker()
            // Every address, so 127.0.0.2 (not named in the server's certificate) reaches
            // it too; the sandbox only answers clients with a certificate from its own CA.
            .args(["sandbox", "serve", "--listen", "0.0.0.0:0", "--certs"])
            .arg(&certs)
            .arg("--asid")
            .arg(ASID)
            .spawn()
            .expect("sandbox serve starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut first = String::new();
        let mut stdout = BufReader::new(stdout);
        stdout.read_line(&mut first).expect("a first line");
        let port = first
            .trim()
            .strip_prefix("listening on https://127.0.0.1:")
            .and_then(|rest| rest.strip_suffix("/mm"))
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"));
        Self {
            child,
            port,
            certs,
            _stdout: stdout,
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn write_private(path: &Path, text: &str) {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .mode(0o600)
        .open(path)
        .unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

fn environment(name: &str, base_url: &str, ca: &Path, cert: &Path, key: &Path) -> String {
    format!(
        "[environments.{name}]\nbase_url = \"{base_url}\"\nca = \"{}\"\ncert = \"{}\"\nkey = \
         \"{}\"\nasid = \"{ASID}\"\nconnect_timeout_secs = 2\n\n",
        ca.display(),
        cert.display(),
        key.display()
    )
}

fn doctor(home: &Path, args: &[&str]) -> (i32, String) {
    let out: Output = eps_tracker()
        .arg("--home")
        .arg(home)
        .arg("doctor")
        .args(args)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn doctor_passes_a_good_environment_and_names_what_is_broken_in_each_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(dir.path());
    let good_url = format!("https://127.0.0.1:{}/mm", served.port);
    let (ca, cert, key) = (
        served.certs.join("ca.pem"),
        served.certs.join("client.pem"),
        served.certs.join("client.key"),
    );
    let other = Authority::generate("Another CA").unwrap();
    let other_ca = dir.path().join("other-ca.pem");
    std::fs::write(&other_ca, other.cert_pem()).unwrap();
    let stranger = other.issue_client(ASID, Validity::Current).unwrap();
    let (stranger_cert, stranger_key) = (dir.path().join("s.pem"), dir.path().join("s.key"));
    std::fs::write(&stranger_cert, &stranger.cert_pem).unwrap();
    write_private(&stranger_key, &stranger.key_pem);
    let expired = other.issue_client(ASID, Validity::Expired).unwrap();
    let (expired_cert, expired_key) = (dir.path().join("e.pem"), dir.path().join("e.key"));
    std::fs::write(&expired_cert, &expired.cert_pem).unwrap();
    write_private(&expired_key, &expired.key_pem);
    let closed_port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    // Accepts TCP and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_url = format!(
        "https://127.0.0.1:{}/mm",
        silent.local_addr().unwrap().port()
    );
    let missing_key = dir.path().join("no-such.key");

    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let mut config = String::new();
    config += &environment("good", &good_url, &ca, &cert, &key);
    config += &environment("missing", &good_url, &ca, &cert, &missing_key);
    config += &environment("wrongca", &good_url, &other_ca, &cert, &key);
    config += &environment("expired", &good_url, &ca, &expired_cert, &expired_key);
    config += &environment("stranger", &good_url, &ca, &stranger_cert, &stranger_key);
    let closed_url = format!("https://127.0.0.1:{closed_port}/mm");
    config += &environment("closed", &closed_url, &ca, &cert, &key);
    let unknown_url = "https://no-such-host.invalid/mm";
    config += &environment("unknown", unknown_url, &ca, &cert, &key);
    config += &environment("silent", &silent_url, &ca, &cert, &key);
    let other_host = format!("https://127.0.0.2:{}/mm", served.port);
    config += &environment("otherhost", &other_host, &ca, &cert, &key);
    std::fs::write(home.join("config.toml"), config).unwrap();

    let (code, text) = doctor(&home, &["--env", "good"]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("✓ TLS handshake"), "{text}");
    assert!(text.contains("all checks passed"), "{text}");
    assert!(text.contains("✓ audit write"), "{text}");

    let broken = [
        ("missing", "no-such.key does not exist"),
        ("wrongca", "not trusted"),
        ("expired", "expired on"),
        ("stranger", "rejected our client certificate"),
        ("closed", "connection refused"),
        ("unknown", "cannot find the host no-such-host.invalid"),
        ("silent", "did not speak TLS"),
        ("otherhost", "not valid for 127.0.0.2"),
    ];
    for (name, expected) in broken {
        let (code, text) = doctor(&home, &["--env", name]);
        assert_eq!(code, 1, "{name}: {text}");
        assert!(text.contains(expected), "{name}: {text}");
        assert!(text.contains('✗'), "{name}: {text}");
    }
    let expired_text = doctor(&home, &["--env", "expired"]).1;
    assert!(expired_text.contains("e.pem"), "{expired_text}");

    let (code, json) = doctor(&home, &["--env", "closed", "--json"]);
    assert_eq!(code, 1);
    let start = json.find('{').unwrap();
    let end = json.rfind('}').unwrap();
    let document: serde_json::Value = serde_json::from_str(&json[start..=end]).unwrap();
    assert_eq!(document["ok"], false);
    let checks = document["checks"].as_array().unwrap();
    assert!(
        checks
            .iter()
            .any(|c| c["check"] == "TCP connect" && c["status"] == "fail")
    );
    assert!(
        checks
            .iter()
            .any(|c| c["check"] == "TLS handshake" && c["status"] == "skip")
    );
    drop(silent);
}

#[test]
fn doctor_with_the_sandbox_passes_end_to_end() {
    let home = tempfile::tempdir().unwrap();
    let (code, text) = doctor(home.path(), &["--sandbox"]);
    // `--sandbox` is global: it goes before or after the subcommand.
    assert_eq!(code, 0, "{text}");
    for check in [
        "certificates",
        "ASID",
        "DNS",
        "TCP connect",
        "TLS handshake",
        "audit trail",
    ] {
        assert!(text.contains(&format!("✓ {check}")), "{check}: {text}");
    }
}

#[test]
fn doctor_without_an_environment_says_how_to_add_one() {
    let home = tempfile::tempdir().unwrap();
    let (code, text) = doctor(home.path(), &[]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("configures no Spine environment"), "{text}");
    assert!(text.contains("--sandbox"), "{text}");
}
