//! `eps-tracker doctor`: in ten seconds, is the fault ours or Spine's? Checks the settings,
//! the certificate files, the ASID, DNS, a TCP connection and a TLS handshake with our
//! client certificate, the audit trail, and the syslog collector and the directory where
//! they are configured, each with a tick or a cross and the fix. It needs no sign-in, sends
//! no Tracker request and shows no patient data; the only record it writes is its own
//! verification of the audit trail.

use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use serde::Serialize;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

use super::exit::{self, Failure};
use super::lines::Lines;
use super::output::{print, print_raw, width};
use super::secure::Globals;
use crate::config::{Config, Home};
use crate::files::PemSource;
use crate::sandbox::embedded::{EmbeddedOptions, EmbeddedSandbox};
use crate::security::audit::{
    AuditEntry, AuditLog, Event, FileResult, Origin, Outcome, Transport, backlog, probe_forwarding,
    verify_dir,
};
use crate::security::spine_client::{
    ClientSettings, PemRole, SpineId, SpineIdKind, TlsMaterial, TransportError, check_material,
    describe_tls_failure,
};

/// Check the settings, certificates, network path to Spine and the audit trail.
///
/// For each configured environment (or the one named with --env; with --sandbox the
/// embedded sandbox end to end): settings file, certificate/key/CA files (present, key
/// private, parseable, matching, in date with a warning under 30 days), ASID, DNS, TCP
/// connect, TLS handshake with our client certificate, then the audit trail (verified and
/// writable), and when configured the syslog collector ([audit.forward], with the records
/// waiting for it) and the directory ([directory]). Needs no sign-in and sends no Tracker
/// request.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit codes: 0 every check passed (warnings allowed), 1 a check \
failed, 2 usage error. With --json: {\"ok\": bool, \"checks\": [{\"environment\", \"check\", \
\"status\" (pass, warn, fail or skip), \"detail\", \"fix\", \"millis\"}]}."
)]
pub struct DoctorArgs {
    /// Print the checks as one JSON document, for monitoring.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Status {
    Pass,
    Warn,
    Fail,
    /// Not run because a check it depends on failed.
    Skip,
}

#[derive(Debug, Serialize)]
struct Check {
    environment: Option<String>,
    check: &'static str,
    status: Status,
    detail: String,
    fix: Option<String>,
    millis: Option<u64>,
}

#[derive(Debug, Default)]
struct Report {
    checks: Vec<Check>,
    environment: Option<String>,
}

impl Report {
    fn add(
        &mut self,
        check: &'static str,
        status: Status,
        detail: impl Into<String>,
    ) -> &mut Check {
        self.checks.push(Check {
            environment: self.environment.clone(),
            check,
            status,
            detail: detail.into(),
            fix: None,
            millis: None,
        });
        self.checks.last_mut().expect("just pushed")
    }

    fn ok(&self) -> bool {
        self.checks.iter().all(|c| c.status != Status::Fail)
    }

    /// The report for people, wrapped to `width` (none: one line per check).
    fn text(&self, width: Option<usize>) -> String {
        let mut out = Lines::new(width);
        // The details line up one space after the longest check name.
        let name_width = self.checks.iter().map(|c| c.check.len()).max().unwrap_or(0) + 1;
        let mut heading: Option<Option<&str>> = None;
        for check in &self.checks {
            let environment = check.environment.as_deref();
            if heading != Some(environment) {
                out.plain(&match environment {
                    Some(name) => format!("environment {name}"),
                    None => "this computer".to_owned(),
                });
                heading = Some(environment);
            }
            let mark = match check.status {
                Status::Pass => "✓",
                Status::Warn => "!",
                Status::Fail => "✗",
                Status::Skip => "-",
            };
            let took = check
                .millis
                .map(|ms| format!(" ({ms} ms)"))
                .unwrap_or_default();
            let lead = format!("  {mark} {:<name_width$}", check.check);
            out.put(&lead, &format!("{}{took}", check.detail), 4 + name_width);
            if let Some(fix) = &check.fix {
                out.put("      fix: ", fix, 11);
            }
        }
        let failed = self
            .checks
            .iter()
            .filter(|c| c.status == Status::Fail)
            .count();
        out.plain(&match failed {
            0 => "all checks passed".to_owned(),
            1 => "1 check failed".to_owned(),
            n => format!("{n} checks failed"),
        });
        out.into_text()
    }
}

impl Check {
    fn fix(&mut self, fix: impl Into<String>) -> &mut Self {
        self.fix = Some(fix.into());
        self
    }
    fn took(&mut self, started: Instant) -> &mut Self {
        self.millis = Some(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX));
        self
    }
}

pub(super) fn run(args: &DoctorArgs, globals: Globals<'_>) -> ExitCode {
    let home = match globals.resolve_home() {
        Ok(home) => home,
        Err(failure) => return failure.report_as(args.json),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            return Failure::new(exit::NETWORK, "cannot start the network runtime")
                .caused_by(&e)
                .report_as(args.json);
        }
    };
    let mut report = Report::default();
    let config = runtime.block_on(check_all(&mut report, &home, globals));
    check_audit(&mut report, &home);
    if let Some(config) = config {
        check_forwarding(&mut report, &home, &config);
        check_directory(&mut report, &config);
    }
    let printed = if args.json {
        let document = serde_json::json!({"ok": report.ok(), "checks": report.checks});
        print_raw(&(serde_json::to_string_pretty(&document).unwrap_or_default() + "\n"))
    } else {
        print(&report.text(width()))
    };
    if let Err(failure) = printed {
        return failure.report();
    }
    if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The settings, then each environment; returns the settings when they could be read.
async fn check_all(report: &mut Report, home: &Home, globals: Globals<'_>) -> Option<Config> {
    let path = home.config_file.display();
    let config = match Config::load(&home.config_file) {
        Ok(config) => {
            let detail = if home.config_file.exists() {
                format!("{path} is readable and valid")
            } else {
                format!("{path} does not exist: the defaults apply")
            };
            report.add("settings", Status::Pass, detail);
            config
        }
        Err(e) => {
            report
                .add("settings", Status::Fail, e.to_string())
                .fix("correct the line named (config.example.toml shows every setting)");
            return None;
        }
    };
    if globals.sandbox {
        match EmbeddedSandbox::start(EmbeddedOptions::default()).await {
            Ok(sandbox) => {
                report.environment = Some("sandbox (embedded)".to_owned());
                check_environment(report, &sandbox.client_settings()).await;
                sandbox.shutdown().await;
            }
            Err(e) => {
                report.add(
                    "sandbox",
                    Status::Fail,
                    format!("the embedded sandbox did not start: {e}"),
                );
            }
        }
        return Some(config);
    }
    let names: Vec<String> = match globals.environment {
        Some(name) => match config.environment(Some(name)) {
            Ok((name, _)) => vec![name.to_owned()],
            Err(e) => {
                report.add("environment", Status::Fail, e);
                return Some(config);
            }
        },
        None => config.environments.keys().cloned().collect(),
    };
    if names.is_empty() {
        report
            .add(
                "environment",
                Status::Fail,
                format!("{path} configures no Spine environment"),
            )
            .fix(
                "add an [environments.NAME] table (see config.example.toml), or try the \
                 program with --sandbox",
            );
        return Some(config);
    }
    for name in names {
        let settings = config.environments[&name].client_settings(home.config_file.parent());
        report.environment = Some(format!("{name} ({})", settings.base_url));
        check_environment(report, &settings).await;
    }
    Some(config)
}

async fn check_environment(report: &mut Report, settings: &ClientSettings) {
    let files_ok = check_files(report, settings);
    let material = if files_ok {
        check_certificates(report, settings)
    } else {
        report.add(
            "certificates",
            Status::Skip,
            "a file is missing or unusable",
        );
        None
    };
    match SpineId::parse(SpineIdKind::Asid, &settings.asid) {
        Ok(asid) => {
            report.add("ASID", Status::Pass, format!("{asid} is 12 digits"));
        }
        Err(e) => {
            report
                .add("ASID", Status::Fail, e.to_string())
                .fix("set `asid` to the 12-digit ASID your certificate was issued for");
        }
    }
    let Some((host, port)) = host_port(report, &settings.base_url) else {
        return;
    };
    let host_port = format!("{host}:{port}");
    let timeout = settings.connect_timeout;
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        report.add(
            "DNS",
            Status::Pass,
            format!("{ip} is an address: nothing to look up"),
        );
        let address = SocketAddr::new(ip, port);
        return connect_and_shake(report, address, material, &host, &host_port, timeout).await;
    }
    let started = Instant::now();
    let lookup = tokio::time::timeout(timeout, tokio::net::lookup_host(host_port.as_str())).await;
    let addresses: Vec<SocketAddr> = match lookup {
        Ok(Ok(found)) => found.collect(),
        _ => Vec::new(),
    };
    let Some(address) = addresses.first().copied() else {
        report
            .add(
                "DNS",
                Status::Fail,
                TransportError::HostNotFound { host: host.clone() }.to_string(),
            )
            .took(started)
            .fix("check the host in `base_url`, and this computer's DNS and network");
        skip(report, &["TCP connect", "TLS handshake"], "DNS");
        return;
    };
    report
        .add("DNS", Status::Pass, format!("{host} is {}", address.ip()))
        .took(started);
    connect_and_shake(report, address, material, &host, &host_port, timeout).await;
}

/// TCP connect, then the TLS handshake when the certificates are usable.
async fn connect_and_shake(
    report: &mut Report,
    address: SocketAddr,
    material: Option<TlsMaterial>,
    host: &str,
    host_port: &str,
    timeout: Duration,
) {
    let started = Instant::now();
    let tcp = match tokio::time::timeout(timeout, TcpStream::connect(address)).await {
        Ok(Ok(tcp)) => {
            report
                .add(
                    "TCP connect",
                    Status::Pass,
                    format!("connected to {address}"),
                )
                .took(started);
            tcp
        }
        Ok(Err(e)) => {
            let detail = if e.kind() == std::io::ErrorKind::ConnectionRefused {
                TransportError::ConnectionRefused {
                    host_port: host_port.to_owned(),
                }
                .to_string()
            } else {
                format!("cannot connect to {address}: {e}")
            };
            report
                .add("TCP connect", Status::Fail, detail)
                .took(started)
                .fix("check the port in `base_url`, the firewall, and that the service is up");
            skip(report, &["TLS handshake"], "TCP connect");
            return;
        }
        Err(_) => {
            report
                .add(
                    "TCP connect",
                    Status::Fail,
                    TransportError::ConnectTimeout {
                        host_port: host_port.to_owned(),
                        secs: timeout.as_secs(),
                    }
                    .to_string(),
                )
                .took(started)
                .fix("a firewall may be dropping the connection: check the route to Spine");
            skip(report, &["TLS handshake"], "TCP connect");
            return;
        }
    };
    match material {
        Some(material) => handshake(report, tcp, &material, host, host_port, timeout).await,
        None => {
            report.add(
                "TLS handshake",
                Status::Skip,
                "the certificates are not usable",
            );
        }
    }
}

fn skip(report: &mut Report, checks: &[&'static str], failed: &str) {
    for check in checks {
        report.add(check, Status::Skip, format!("{failed} failed"));
    }
}

/// Each file present and readable, and the key private.
fn check_files(report: &mut Report, settings: &ClientSettings) -> bool {
    let mut all_ok = true;
    for (role, key, source) in [
        (PemRole::Ca, "ca", &settings.ca),
        (PemRole::ClientCert, "cert", &settings.client_cert),
        (PemRole::ClientKey, "key", &settings.client_key),
    ] {
        let check = match role {
            PemRole::Ca => "CA file",
            PemRole::ClientCert => "cert file",
            PemRole::ClientKey => "key file",
        };
        let PemSource::File(path) = source else {
            report.add(check, Status::Pass, format!("the {role} is built in"));
            continue;
        };
        let shown = path.display();
        match std::fs::File::open(path).and_then(|f| f.metadata()) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                all_ok = false;
                report
                    .add(check, Status::Fail, format!("the {role} file {shown} does not exist"))
                    .fix(format!("set `{key}` to the file's path (relative paths start at the settings file's folder)"));
            }
            Err(e) => {
                all_ok = false;
                report
                    .add(
                        check,
                        Status::Fail,
                        format!("cannot read the {role} file {shown}: {e}"),
                    )
                    .fix("give the user running eps-tracker read access to it");
            }
            Ok(meta) => {
                let mode = meta.permissions().mode() & 0o777;
                if role == PemRole::ClientKey && mode & 0o077 != 0 {
                    all_ok = false;
                    report
                        .add(
                            check,
                            Status::Fail,
                            format!("{shown} can be read by other users (mode {mode:04o})"),
                        )
                        .fix(format!("chmod 600 {shown}"));
                } else {
                    let private = if role == PemRole::ClientKey {
                        ", private"
                    } else {
                        ""
                    };
                    report.add(
                        check,
                        Status::Pass,
                        format!("{shown} (mode {mode:04o}{private})"),
                    );
                }
            }
        }
    }
    all_ok
}

/// Parseable, matching and in date (the checks the client makes before its first request).
fn check_certificates(report: &mut Report, settings: &ClientSettings) -> Option<TlsMaterial> {
    match check_material(settings) {
        Ok(material) => {
            let until = leaf_expiry(&material)
                .map(|d| {
                    format!(
                        ", the client certificate is valid until {}",
                        d.format("%Y-%m-%d")
                    )
                })
                .unwrap_or_default();
            report.add(
                "certificates",
                Status::Pass,
                format!("they parse and the key matches the certificate{until}"),
            );
            for warning in &material.warnings {
                report.add("certificates", Status::Warn, warning.to_string());
            }
            Some(material)
        }
        Err(e) => {
            report.add("certificates", Status::Fail, e.to_string());
            None
        }
    }
}

fn leaf_expiry(material: &TlsMaterial) -> Option<DateTime<Utc>> {
    let leaf = CertificateDer::pem_slice_iter(&material.identity_pem)
        .next()?
        .ok()?;
    let (_, cert) = x509_parser::parse_x509_certificate(&leaf).ok()?;
    DateTime::from_timestamp(cert.validity().not_after.timestamp(), 0)
}

fn host_port(report: &mut Report, base_url: &str) -> Option<(String, u16)> {
    let parsed = reqwest::Url::parse(base_url).ok().and_then(|url| {
        let host = url.host_str()?.trim_matches(['[', ']']).to_owned();
        Some((host, url.port_or_known_default()?))
    });
    if parsed.is_none() {
        report
            .add(
                "base_url",
                Status::Fail,
                format!("\"{base_url}\" is not a URL with a host"),
            )
            .fix("set `base_url` to e.g. https://host.example/mm");
    }
    parsed
}

/// A TLS handshake presenting our client certificate. With TLS 1.3 a server that refuses
/// the certificate says so just after the handshake, so we wait a moment for its answer.
async fn handshake(
    report: &mut Report,
    tcp: TcpStream,
    material: &TlsMaterial,
    host: &str,
    host_port: &str,
    timeout: Duration,
) {
    let config = match client_config(material) {
        Ok(config) => config,
        Err(detail) => {
            report.add("TLS handshake", Status::Fail, detail);
            return;
        }
    };
    let Ok(name) = ServerName::try_from(host.to_owned()) else {
        report.add(
            "TLS handshake",
            Status::Fail,
            format!("{host} is not a server name"),
        );
        return;
    };
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let started = Instant::now();
    let tls_failure = |e: &std::io::Error| {
        e.get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            .map(|tls| describe_tls_failure(tls, host, host_port).to_string())
            .unwrap_or_else(|| format!("the secure connection to {host_port} failed: {e}"))
    };
    let mut stream = match tokio::time::timeout(timeout, connector.connect(name, tcp)).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => {
            report
                .add("TLS handshake", Status::Fail, tls_failure(&e))
                .took(started)
                .fix(
                    "check `ca`, `cert` and `key`, and that they were issued for this environment",
                );
            return;
        }
        Err(_) => {
            report
                .add(
                    "TLS handshake",
                    Status::Fail,
                    format!(
                        "{host_port} accepted the connection but did not speak TLS within {} s",
                        timeout.as_secs()
                    ),
                )
                .took(started)
                .fix("check the port in `base_url`: it may not be the HTTPS port");
            return;
        }
    };
    let elapsed = started.elapsed();
    let mut byte = [0u8; 1];
    let answer = tokio::time::timeout(Duration::from_secs(1), stream.read(&mut byte)).await;
    let refused = match answer {
        Ok(Err(e)) => Some(tls_failure(&e)),
        Ok(Ok(0)) => Some(format!(
            "{host_port} closed the connection after the handshake: it may not accept our \
             client certificate"
        )),
        Ok(Ok(_)) | Err(_) => None,
    };
    let check = match refused {
        Some(detail) => report
            .add("TLS handshake", Status::Fail, detail)
            .fix("check `cert` and `key`, and that the certificate was issued for this environment and ASID"),
        None => report.add(
            "TLS handshake",
            Status::Pass,
            format!(
                "the server's certificate is trusted and valid for {host}, and it accepted ours"
            ),
        ),
    };
    check.millis = Some(u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX));
}

fn client_config(material: &TlsMaterial) -> Result<rustls::ClientConfig, String> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&material.ca_pem).flatten() {
        roots
            .add(cert)
            .map_err(|e| format!("the CA certificate cannot be used: {e}"))?;
    }
    let chain: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(&material.identity_pem)
            .flatten()
            .collect();
    let key = PrivateKeyDer::from_pem_slice(&material.identity_pem)
        .map_err(|e| format!("the client key cannot be used: {e}"))?;
    rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_root_certificates(roots)
    .with_client_auth_cert(chain, key)
    .map_err(|e| format!("the client certificate cannot be used: {e}"))
}

/// Verified up to its head, and writable: the verification is recorded.
fn check_audit(report: &mut Report, home: &Home) {
    report.environment = None;
    let dir = home.audit_dir.display();
    let verified = match verify_dir(&home.audit_dir) {
        Ok(verified) => verified,
        Err(e) => {
            report
                .add(
                    "audit trail",
                    Status::Fail,
                    format!("cannot read {dir}: {e}"),
                )
                .fix("give the user running eps-tracker access to the folder");
            return;
        }
    };
    let outcome = if let Some(file) = verified
        .files
        .iter()
        .find(|f| !matches!(f.result, FileResult::Intact))
    {
        let detail = match &file.result {
            FileResult::Tampered(t) => format!(
                "{} was changed at line {} ({})",
                file.path.display(),
                t.line,
                t.kind
            ),
            FileResult::Unreadable(message) => {
                format!("{} cannot be read: {message}", file.path.display())
            }
            FileResult::Intact => String::new(),
        };
        report
            .add("audit trail", Status::Fail, detail)
            .fix("run `eps-tracker audit verify` and tell your information governance lead");
        if verified.tampered() {
            Outcome::Tampered
        } else {
            Outcome::Failed
        }
    } else {
        let records: u64 = verified.files.iter().map(|f| f.records).sum();
        report.add(
            "audit trail",
            Status::Pass,
            format!(
                "{dir}: {} file(s), {records} records, every chain intact",
                verified.files.len()
            ),
        );
        Outcome::Success
    };
    let entry = AuditEntry::new(Event::AuditVerified).outcome(outcome);
    match AuditLog::open(&home.audit_dir, Origin::detect())
        .and_then(|log| log.append(&entry, Utc::now()))
    {
        Ok(_) => {
            report.add(
                "audit write",
                Status::Pass,
                "writable (this check is recorded there)",
            );
        }
        Err(e) => {
            report
                .add("audit write", Status::Fail, format!("cannot be written: {e}"))
                .fix("lookups are refused until it can: check the folder's owner, mode and free space");
        }
    }
}

/// `[audit.forward]`: the collector can be reached now (over TLS, with our certificate),
/// and how many records wait for it.
fn check_forwarding(report: &mut Report, home: &Home, config: &Config) {
    let Some(settings) = &config.audit.forward else {
        return;
    };
    let started = Instant::now();
    match probe_forwarding(settings) {
        Ok(()) => {
            report
                .add(
                    "audit forwarding",
                    Status::Pass,
                    format!(
                        "the syslog collector {} accepts a {} connection",
                        settings.address,
                        match settings.transport {
                            Transport::Tcp => "TCP",
                            Transport::Tls => "TLS",
                        }
                    ),
                )
                .took(started);
        }
        Err(e) => {
            report
                .add("audit forwarding", Status::Fail, e.to_string())
                .took(started)
                .fix(
                    "start the collector or correct [audit.forward]; records wait in the trail \
                     and are sent once it answers (`eps-tracker audit forward` sends them now)",
                );
        }
    }
    match backlog(&home.audit_dir) {
        Ok(waiting) if waiting.records == 0 => {
            report.add(
                "forwarding backlog",
                Status::Pass,
                "every record has been sent",
            );
        }
        Ok(waiting) => match waiting.stale(settings, Utc::now()) {
            Some(stale) => {
                report.add("forwarding backlog", Status::Warn, stale.to_string());
            }
            None => {
                report.add(
                    "forwarding backlog",
                    Status::Pass,
                    format!("{} record(s) waiting, none for long", waiting.records),
                );
            }
        },
        Err(e) => {
            report
                .add(
                    "forwarding backlog",
                    Status::Fail,
                    format!("cannot read the forwarding cursor: {e}"),
                )
                .fix("give the user running eps-tracker access to the audit folder");
        }
    }
}

/// `[directory]`: the directory answers over TLS (and takes the service account's bind).
fn check_directory(report: &mut Report, config: &Config) {
    let Some(directory) = &config.directory else {
        return;
    };
    if let Err(e) = directory.validate() {
        report
            .add("directory", Status::Fail, format!("[directory] {e}"))
            .fix("correct [directory] (config.example.toml shows every setting)");
        return;
    }
    let started = Instant::now();
    match directory.probe() {
        Ok(what) => {
            report
                .add(
                    "directory",
                    Status::Pass,
                    format!("{}: {what}", directory.url),
                )
                .took(started);
        }
        Err(e) => {
            report
                .add("directory", Status::Fail, e.reason.clone())
                .took(started)
                .fix(format!(
                    "directory users cannot sign in until {} answers: check the address, the \
                     CA and the service account in [directory]",
                    e.url
                ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_wraps_to_the_width_under_each_check_and_stays_whole_when_piped() {
        let mut report = Report::default();
        report
            .add(
                "forwarding backlog",
                Status::Warn,
                "5 audit record(s) have not reached the syslog collector 127.0.0.1:9 since \
                 2026-11-30 05:25 UTC. Check that the collector is running and reachable",
            )
            .fix("run `eps-tracker audit forward` once it is back, and tell your IT security lead");
        let narrow = report.text(Some(80));
        assert!(narrow.lines().all(|l| l.chars().count() <= 80), "{narrow}");
        let lines: Vec<&str> = narrow.lines().collect();
        assert!(
            lines[1].starts_with("  ! forwarding backlog 5 audit record(s)"),
            "{narrow}"
        );
        assert!(lines[2].starts_with(&" ".repeat(23)), "{narrow}");
        assert!(narrow.contains("\n      fix: run"), "{narrow}");
        let piped = report.text(None);
        assert_eq!(piped.lines().count(), 4, "{piped}");
    }
}
