//! Forwarding the audit trail to a real rsyslog (`rsyslogd -n` on a free loopback port,
//! started and stopped by the test): every record arrives, in order, across a collector
//! that goes down and comes back, over TCP and over TLS; and against fake collectors that
//! refuse, hang or cut the connection, nothing is counted as delivered.
//!
//! Where rsyslogd is missing the rsyslog tests print why they were skipped, unless `CI=true`,
//! where a missing rsyslogd is a failure (`.ci/run` installs it).

mod support;

use std::fs;
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::run_sandbox as run;

use chrono::Utc;
use eps_tracker::sandbox::certs::Authority;
use eps_tracker::security::audit::{
    AuditEntry, AuditLog, Event, ForwardError, ForwardSettings, Origin, Outcome, Transport,
    backlog, compare, forward_once,
};

fn rsyslogd() -> Option<PathBuf> {
    let found = ["/usr/sbin/rsyslogd", "/sbin/rsyslogd", "/usr/bin/rsyslogd"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists());
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "rsyslogd is not installed, and CI=true: install the rsyslog package (.ci/run does)"
        );
        eprintln!(
            "SKIPPED: rsyslogd is not installed (apt-get install -y rsyslog rsyslog-gnutls); \
             the forwarding tests against a real collector did not run"
        );
    }
    found
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A private rsyslogd, stopped (SIGTERM, then SIGKILL) when dropped, also on panic.
struct Collector {
    binary: PathBuf,
    dir: PathBuf,
    port: u16,
    child: Option<Child>,
}

impl Collector {
    fn start(binary: &Path, dir: &Path, port: u16, tls: Option<&TlsFiles>) -> Self {
        let input = match tls {
            None => format!(
                "module(load=\"imtcp\")\n\
                 input(type=\"imtcp\" address=\"127.0.0.1\" port=\"{port}\" ruleset=\"eps\")\n"
            ),
            Some(files) => format!(
                "global(DefaultNetstreamDriverCAFile=\"{ca}\" \
                 DefaultNetstreamDriverCertFile=\"{cert}\" \
                 DefaultNetstreamDriverKeyFile=\"{key}\")\n\
                 module(load=\"imtcp\" StreamDriver.Name=\"gtls\" StreamDriver.Mode=\"1\" \
                 StreamDriver.AuthMode=\"anon\")\n\
                 input(type=\"imtcp\" address=\"127.0.0.1\" port=\"{port}\" ruleset=\"eps\")\n",
                ca = files.ca.display(),
                cert = files.server_cert.display(),
                key = files.server_key.display(),
            ),
        };
        let conf = format!(
            "global(workDirectory=\"{dir}\")\n{input}\
             template(name=\"raw\" type=\"string\" string=\"%rawmsg%\\n\")\n\
             ruleset(name=\"eps\") {{ action(type=\"omfile\" file=\"{dir}/collected.log\" \
             template=\"raw\") }}\n",
            dir = dir.display()
        );
        fs::write(dir.join("rsyslog.conf"), conf).unwrap();
        let child = Command::new(binary)
            .arg("-n")
            .arg("-f")
            .arg(dir.join("rsyslog.conf"))
            .arg("-i")
            .arg(dir.join("rsyslog.pid"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("rsyslogd starts");
        let collector = Self {
            binary: binary.to_path_buf(),
            dir: dir.to_path_buf(),
            port,
            child: Some(child),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "rsyslogd did not start listening"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        collector
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn restart(&mut self, tls: Option<&TlsFiles>) {
        self.stop();
        *self = Self::start(&self.binary.clone(), &self.dir.clone(), self.port, tls);
    }

    /// The sequence numbers in the collector's file, in the order they arrived.
    fn seqs(&self) -> Vec<u64> {
        let text = fs::read_to_string(self.dir.join("collected.log")).unwrap_or_default();
        text.lines()
            .filter_map(|line| {
                let start = line.find("{\"seq\":")?;
                let value: serde_json::Value = serde_json::from_str(&line[start..]).ok()?;
                value["seq"].as_u64()
            })
            .collect()
    }

    /// Waits until records 0..=last have all arrived.
    fn wait_for(&self, last: u64) -> Vec<u64> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let seqs = self.seqs();
            if (0..=last).all(|s| seqs.contains(&s)) {
                return seqs;
            }
            assert!(
                Instant::now() < deadline,
                "records up to {last} did not all arrive: {seqs:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        self.stop();
    }
}

struct TlsFiles {
    ca: PathBuf,
    server_cert: PathBuf,
    server_key: PathBuf,
}

fn make_tls(dir: &Path) -> TlsFiles {
    let ca = Authority::generate("audit test CA").unwrap();
    let server = ca.issue_server().unwrap();
    let files = TlsFiles {
        ca: dir.join("ca.pem"),
        server_cert: dir.join("server.pem"),
        server_key: dir.join("server.key"),
    };
    fs::write(&files.ca, ca.cert_pem()).unwrap();
    fs::write(&files.server_cert, &server.cert_pem).unwrap();
    fs::write(&files.server_key, server.key_pem.as_bytes()).unwrap();
    files
}

fn settings(port: u16, transport: Transport, ca: Option<&Path>) -> ForwardSettings {
    let mut text = format!("address = \"127.0.0.1:{port}\"\n");
    if transport == Transport::Tls {
        text.push_str("transport = \"tls\"\n");
    }
    if let Some(ca) = ca {
        text.push_str(&format!("ca = \"{}\"\n", ca.display()));
    }
    toml::from_str(&text).unwrap()
}

fn lookup(log: &AuditLog, i: usize) {
    let mut attempt = AuditEntry::new(Event::SearchAttempt).outcome(Outcome::Sending);
    attempt.nhs = Some("9990548609".into());
    attempt.trace = Some(format!("trace-{i}"));
    log.append(&attempt, Utc::now()).unwrap();
    let mut result = AuditEntry::new(Event::SearchResult).outcome(Outcome::Success);
    result.trace = Some(format!("trace-{i}"));
    log.append(&result, Utc::now()).unwrap();
}

/// First arrivals must be 0, 1, 2, … in order; repeats (at least once) are allowed.
fn assert_in_order(seqs: &[u64], last: u64) {
    let mut seen = std::collections::BTreeSet::new();
    let firsts: Vec<u64> = seqs.iter().copied().filter(|s| seen.insert(*s)).collect();
    assert_eq!(firsts, (0..=last).collect::<Vec<_>>(), "{seqs:?}");
}

fn stopped_collector_loses_nothing(transport: Transport) {
    let Some(binary) = rsyslogd() else { return };
    let work = tempfile::tempdir().unwrap();
    let collector_dir = work.path().join("collector");
    fs::create_dir(&collector_dir).unwrap();
    let audit_dir = work.path().join("audit");
    let tls = (transport == Transport::Tls).then(|| make_tls(&collector_dir));
    let port = free_port();
    let mut collector = Collector::start(&binary, &collector_dir, port, tls.as_ref());
    let forward = settings(port, transport, tls.as_ref().map(|t| t.ca.as_path()));

    let log = AuditLog::open(&audit_dir, Origin::detect())
        .unwrap()
        .forwarding(Some(forward.clone()));
    lookup(&log, 1);
    collector.wait_for(2);

    // The collector goes down: two lookups still go ahead (the local record is durable).
    collector.stop();
    lookup(&log, 2);
    lookup(&log, 3);
    assert!(backlog(&audit_dir).unwrap().records > 0);

    // It comes back: the next record written sends the backlog too.
    collector.restart(tls.as_ref());
    lookup(&log, 4);
    let seqs = collector.wait_for(8);
    assert_in_order(&seqs, 8);

    // Down again, and this time `audit forward` (a cron job) sends what is left.
    drop(log);
    collector.stop();
    let log = AuditLog::open(&audit_dir, Origin::default()).unwrap();
    lookup(&log, 5);
    assert!(forward_once(&audit_dir, &forward).is_err());
    collector.restart(tls.as_ref());
    let report = forward_once(&audit_dir, &forward).unwrap();
    assert_eq!(report.cursor, Some(10));
    let seqs = collector.wait_for(10);
    assert_in_order(&seqs, 10);
    assert_eq!(backlog(&audit_dir).unwrap().records, 0);

    // The collector's copy matches the local trail.
    collector.stop();
    let against = compare(&audit_dir, &collector_dir.join("collected.log")).unwrap();
    assert!(!against.differs(), "{against:?}");
    assert_eq!(against.local_records, 11);
    assert_eq!(against.not_yet_forwarded, 0);
}

#[test]
fn a_stopped_rsyslog_loses_nothing_over_tcp() {
    stopped_collector_loses_nothing(Transport::Tcp);
}

#[test]
fn a_stopped_rsyslog_loses_nothing_over_tls() {
    stopped_collector_loses_nothing(Transport::Tls);
}

#[test]
fn a_collector_with_a_certificate_from_another_ca_is_refused() {
    let Some(binary) = rsyslogd() else { return };
    let work = tempfile::tempdir().unwrap();
    let tls = make_tls(work.path());
    let port = free_port();
    let _collector = Collector::start(&binary, work.path(), port, Some(&tls));
    let other = work.path().join("other-ca.pem");
    fs::write(
        &other,
        Authority::generate("someone else").unwrap().cert_pem(),
    )
    .unwrap();
    let audit_dir = work.path().join("audit");
    let log = AuditLog::open(&audit_dir, Origin::default()).unwrap();
    lookup(&log, 1);
    let err = forward_once(&audit_dir, &settings(port, Transport::Tls, Some(&other))).unwrap_err();
    assert!(matches!(err, ForwardError::Tls { .. }), "{err}");
    assert_eq!(backlog(&audit_dir).unwrap().records, 3);
}

// ---- fake collectors: nothing counts as delivered unless the collector read it --------

fn trail_with_records() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::open(dir.path(), Origin::default()).unwrap();
    lookup(&log, 1);
    dir
}

#[test]
fn a_refused_connection_keeps_the_backlog() {
    let dir = trail_with_records();
    let port = free_port();
    let err = forward_once(dir.path(), &settings(port, Transport::Tcp, None)).unwrap_err();
    assert!(matches!(err, ForwardError::Connect { .. }), "{err}");
    assert_eq!(backlog(dir.path()).unwrap().records, 3);
}

#[test]
fn a_collector_that_cuts_the_connection_mid_message_keeps_the_backlog() {
    let dir = trail_with_records();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut first = [0u8; 20];
        let _ = stream.read_exact(&mut first);
        // Closing with unread data sends a reset: the rest was never read.
    });
    let result = forward_once(dir.path(), &settings(port, Transport::Tcp, None));
    server.join().unwrap();
    assert!(result.is_err(), "{result:?}");
    assert_eq!(backlog(dir.path()).unwrap().records, 3);
}

#[test]
fn a_collector_that_accepts_then_hangs_is_not_counted_as_delivered() {
    let dir = trail_with_records();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let server = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        // Reads nothing and never closes, until the test is over.
        let _ = done_rx.recv();
        drop(stream);
    });
    let err = forward_once(dir.path(), &settings(port, Transport::Tcp, None)).unwrap_err();
    done_tx.send(()).unwrap();
    server.join().unwrap();
    assert!(matches!(err, ForwardError::Unconfirmed { .. }), "{err}");
    assert_eq!(backlog(dir.path()).unwrap().records, 3);
}

// ---- the auditor's check with the real binary -----------------------------------------

fn search(home: &Path) -> std::process::Output {
    run(
        home,
        &[
            "search",
            "--user",
            "helpdesk",
            "--nhs",
            "9990548609",
            "--password-stdin",
        ],
        "sandbox-demo\n",
    )
}

#[test]
fn lookups_go_on_while_rsyslog_is_down_and_every_record_reaches_it_afterwards() {
    let Some(binary) = rsyslogd() else { return };
    let work = tempfile::tempdir().unwrap();
    let collector_dir = work.path().join("collector");
    fs::create_dir(&collector_dir).unwrap();
    let home = work.path().join("home");
    let sandbox_home = home.join("sandbox");
    fs::create_dir_all(&sandbox_home).unwrap();
    let port = free_port();
    fs::write(
        sandbox_home.join("config.toml"),
        format!("[audit.forward]\naddress = \"127.0.0.1:{port}\"\ntransport = \"tcp\"\n"),
    )
    .unwrap();
    let mut collector = Collector::start(&binary, &collector_dir, port, None);
    let out = search(&home);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doctor = run(&home, &["doctor"], "");
    let report = String::from_utf8_lossy(&doctor.stdout).into_owned();
    assert!(report.contains("✓ audit forwarding "), "{report}");
    assert!(
        report.contains(&format!(
            "the syslog collector 127.0.0.1:{port} accepts a TCP connection"
        )),
        "{report}"
    );
    assert_eq!(doctor.status.code(), Some(0), "{report}");

    collector.stop();
    // With the collector down, `doctor` says so and what to do.
    let doctor = run(&home, &["doctor"], "");
    let report = String::from_utf8_lossy(&doctor.stdout).into_owned();
    assert!(
        report.contains("✗ audit forwarding ")
            && report.contains("cannot reach the syslog collector"),
        "{report}"
    );
    assert!(report.contains("audit forward"), "{report}");
    assert_eq!(doctor.status.code(), Some(1), "{report}");
    for _ in 0..2 {
        let out = search(&home);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let down = run(&home, &["audit", "forward"], "");
    assert_eq!(
        down.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&down.stderr)
    );

    collector.restart(None);
    let sent = run(&home, &["audit", "forward"], "");
    assert_eq!(
        sent.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&sent.stderr)
    );
    let audit = sandbox_home.join("audit");
    let last: u64 = fs::read_to_string(audit.join("audit.jsonl.head"))
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let seqs = collector.wait_for(last);
    assert_in_order(&seqs, last);
    collector.stop();
    let verify = run(
        &home,
        &[
            "audit",
            "verify",
            "--against",
            collector_dir.join("collected.log").to_str().unwrap(),
        ],
        "",
    );
    let text = String::from_utf8_lossy(&verify.stdout);
    assert!(text.contains("matches this trail"), "{text}");
}

#[test]
fn commands_warn_on_stderr_when_records_wait_too_long_for_the_collector() {
    let work = tempfile::tempdir().unwrap();
    let home = work.path().join("home");
    let sandbox_home = home.join("sandbox");
    fs::create_dir_all(&sandbox_home).unwrap();
    // Nothing listens there; any record waiting counts as too old.
    fs::write(
        sandbox_home.join("config.toml"),
        format!(
            "[audit.forward]\naddress = \"127.0.0.1:{}\"\nwarn_after_minutes = 0\n",
            free_port()
        ),
    )
    .unwrap();
    let first = search(&home);
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    std::thread::sleep(Duration::from_millis(50));
    let second = search(&home);
    assert_eq!(second.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains("have not reached the syslog collector"),
        "{stderr}"
    );
    assert!(stderr.contains("eps-tracker audit forward"), "{stderr}");
}
