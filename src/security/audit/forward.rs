//! Forwarding the trail off the machine, to a syslog collector the application account
//! cannot change: each record as an RFC 5424 message, framed by octet counting (RFC 6587)
//! over TCP or TLS (RFC 5425, rustls). The local trail is the spool: a cursor file beside it
//! (`audit.jsonl.forwarded`) names the last record the collector is known to have read.
//!
//! At least once, in order: a batch goes out on a fresh connection, then the program closes
//! its sending side and waits for the collector to close too, which it does only after
//! reading everything before the close. Only then does the cursor move on. Anything less
//! (refused, hung, cut mid-message, TLS refused) leaves the cursor where it was, and the
//! next attempt sends the same records again; each carries its sequence number and hash,
//! so a collector can drop duplicates. Sending runs on its own thread, never on the request
//! path: a lookup waits only for the local record.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use thiserror::Error;

use super::record::{Event, Outcome};
use super::verify::trail_files;
use super::writer::ACTIVE_FILE;
use crate::config::files;

/// How long to wait for a connection, a write, or the collector's close.
const IO_TIMEOUT: Duration = Duration::from_secs(5);
/// How often a long-running program retries a backlog when nothing new is written.
const RETRY_EVERY: Duration = Duration::from_secs(30);
/// How long a finishing program waits for its last records to go out.
const FINISH_WAIT: Duration = Duration::from_secs(3);
/// Most records read and sent in one go, so a long backlog never fills memory.
const MAX_BATCH: usize = 5000;
/// The structured-data ID: `eps` under IANA's example enterprise number (RFC 5612).
const SD_ID: &str = "eps@32473";

/// `[audit]` in the settings file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSettings {
    /// Past this size the next record starts a new file (the full one is kept, renamed
    /// `audit-<time>-<seq>.jsonl`); the chain runs on across files.
    #[serde(default = "default_rotate_bytes")]
    pub rotate_bytes: u64,
    /// Send every record to a syslog collector off this machine.
    #[serde(default)]
    pub forward: Option<ForwardSettings>,
}

impl Default for AuditSettings {
    fn default() -> Self {
        Self {
            rotate_bytes: default_rotate_bytes(),
            forward: None,
        }
    }
}

fn default_rotate_bytes() -> u64 {
    64 * 1024 * 1024
}

/// `[audit.forward]`: where to send every record.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForwardSettings {
    /// The collector, `HOST:PORT`.
    pub address: String,
    /// `tcp` (octet counting, RFC 6587) or `tls` (RFC 5425).
    #[serde(default)]
    pub transport: Transport,
    /// The CA that issued the collector's certificate (PEM), for `tls`.
    #[serde(default)]
    pub ca: Option<PathBuf>,
    /// A client certificate (PEM) and its key, when the collector asks for one.
    #[serde(default)]
    pub cert: Option<PathBuf>,
    #[serde(default)]
    pub key: Option<PathBuf>,
    /// APP-NAME in each message.
    #[serde(default = "default_app_name")]
    pub app_name: String,
    /// Syslog facility: `authpriv` (default), `auth`, `user`, `local0` … `local7`.
    #[serde(default)]
    pub facility: Facility,
    /// Warn when records have waited longer than this for the collector.
    #[serde(default = "default_warn_minutes")]
    pub warn_after_minutes: u32,
}

fn default_app_name() -> String {
    "eps-tracker".to_owned()
}

fn default_warn_minutes() -> u32 {
    15
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    #[default]
    Tcp,
    Tls,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Facility {
    Auth,
    #[default]
    Authpriv,
    User,
    Local0,
    Local1,
    Local2,
    Local3,
    Local4,
    Local5,
    Local6,
    Local7,
}

impl Facility {
    fn code(self) -> u8 {
        match self {
            Self::User => 1,
            Self::Auth => 4,
            Self::Authpriv => 10,
            Self::Local0 => 16,
            Self::Local1 => 17,
            Self::Local2 => 18,
            Self::Local3 => 19,
            Self::Local4 => 20,
            Self::Local5 => 21,
            Self::Local6 => 22,
            Self::Local7 => 23,
        }
    }
}

impl ForwardSettings {
    /// Checks what can be checked before the first send: the address's form, TLS material.
    pub fn validate(&self) -> Result<(), String> {
        let Some((host, port)) = self.address.rsplit_once(':') else {
            return Err(format!(
                "address \"{}\" needs a port: write it as HOST:PORT",
                self.address
            ));
        };
        if host.is_empty() || port.parse::<u16>().is_err() {
            return Err(format!(
                "address \"{}\" is not HOST:PORT with a port from 1 to 65535",
                self.address
            ));
        }
        if self.app_name.is_empty()
            || self.app_name.len() > 48
            || !self.app_name.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err("app_name must be 1 to 48 printable characters without spaces".into());
        }
        if self.transport == Transport::Tls && self.ca.is_none() {
            return Err(
                "transport = \"tls\" needs ca = \"PATH\" (the CA that issued the collector's \
                 certificate)"
                    .into(),
            );
        }
        if self.cert.is_some() != self.key.is_some() {
            return Err("cert and key go together: give both or neither".into());
        }
        Ok(())
    }
}

/// Why a batch did not reach the collector. The records stay in the backlog.
#[derive(Debug, Error)]
pub enum ForwardError {
    #[error("cannot reach the syslog collector {address}: {source}")]
    Connect { address: String, source: io::Error },
    #[error("the syslog collector {address} refused TLS: {detail}")]
    Tls { address: String, detail: String },
    #[error("sending to the syslog collector {address} failed: {source}")]
    Send { address: String, source: io::Error },
    #[error(
        "the syslog collector {address} did not confirm it read the records (it did not close \
         the connection within {} seconds)",
        IO_TIMEOUT.as_secs()
    )]
    Unconfirmed { address: String },
    #[error("cannot read the audit trail or its forwarding cursor: {0}")]
    Local(io::Error),
    #[error("[audit.forward] {0}")]
    Settings(String),
}

/// What one attempt did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardReport {
    /// Records sent and confirmed in this attempt.
    pub sent: u64,
    /// The last sequence number the collector has read.
    pub cursor: Option<u64>,
}

/// Records not yet read by the collector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backlog {
    /// How many (counted up to one batch, 5000: "at least" beyond that).
    pub records: u64,
    /// When the oldest of them was written.
    pub oldest: Option<DateTime<Utc>>,
}

impl Backlog {
    /// A warning when the oldest unsent record has waited longer than `minutes`.
    pub fn stale_warning(&self, settings: &ForwardSettings, now: DateTime<Utc>) -> Option<String> {
        let oldest = self.oldest?;
        let waited = now - oldest;
        (waited > chrono::Duration::minutes(i64::from(settings.warn_after_minutes))).then(|| {
            format!(
                "{} audit record(s) have not reached the syslog collector {} since {} UTC. \
                 Check that the collector is running and reachable, then run `eps-tracker audit \
                 forward`; tell your IT security lead if it stays down",
                self.records,
                settings.address,
                oldest.format("%Y-%m-%d %H:%M")
            )
        })
    }
}

pub(crate) fn cursor_path(dir: &Path) -> PathBuf {
    dir.join(format!("{ACTIVE_FILE}.forwarded"))
}

/// Where forwarding stopped: the last record read by the collector, and the byte offset
/// just after it in the active file (a hint, checked before use).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cursor {
    seq: u64,
    offset: u64,
    /// The record's hash: the next record names it as `prev`, and it is found again in
    /// whichever file holds it after a rotation.
    hash: String,
}

fn read_cursor(file: &mut File) -> io::Result<Option<Cursor>> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0))?;
    file.read_to_string(&mut text)?;
    let mut parts = text.split_whitespace();
    Ok(
        match (
            parts.next().and_then(|s| s.parse().ok()),
            parts.next().and_then(|s| s.parse().ok()),
            parts.next(),
        ) {
            (Some(seq), Some(offset), Some(hash)) => Some(Cursor {
                seq,
                offset,
                hash: hash.to_owned(),
            }),
            _ => None,
        },
    )
}

fn write_cursor(file: &mut File, cursor: Cursor) -> io::Result<()> {
    let text = format!("{:020} {:020} {}\n", cursor.seq, cursor.offset, cursor.hash);
    file.set_len(0)?;
    file.seek(SeekFrom::Start(0))?;
    file.write_all(text.as_bytes())?;
    file.sync_data()
}

/// The fields of a record a syslog header needs.
#[derive(Deserialize)]
struct Header {
    seq: u64,
    ts: String,
    event: Event,
    #[serde(default)]
    outcome: Option<Outcome>,
    #[serde(default)]
    host: Option<String>,
    #[serde(default)]
    hash: Option<String>,
    #[serde(default)]
    chain: Option<String>,
}

/// Severity by event: refusals and failed sign-ins are warnings, a damaged or resealed
/// trail is critical, the rest is informational.
fn severity(header: &Header) -> u8 {
    match (header.event, header.outcome) {
        (Event::ChainBreak, _) | (_, Some(Outcome::Tampered)) => 2,
        (Event::SignInFailed | Event::Lockout | Event::AccessDenied, _) => 4,
        (
            Event::UserAdded
            | Event::UserRemoved
            | Event::UserDisabled
            | Event::AccountUnlocked
            | Event::PasswordChanged
            | Event::RolesChanged
            | Event::SessionRevoked
            | Event::ConfigChanged,
            _,
        ) => 5,
        _ => 6,
    }
}

/// RFC 5424 PARAM-VALUE escaping.
fn sd_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '"' | '\\' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A header field: printable ASCII without spaces, at most `max` long, or `-`.
fn header_field(value: Option<&str>, max: usize) -> String {
    let cleaned: String = value
        .unwrap_or("")
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(max)
        .collect();
    if cleaned.is_empty() {
        "-".to_owned()
    } else {
        cleaned
    }
}

/// One record as an RFC 5424 message (without framing): header, structured data with its
/// sequence number and hash, and the record's exact line as MSG. `None` for a line that is
/// not a record (a torn line).
pub(crate) fn format_message(
    line: &[u8],
    settings: &ForwardSettings,
    procid: u32,
) -> Option<Vec<u8>> {
    let header: Header = serde_json::from_slice(line).ok()?;
    let pri = settings.facility.code() * 8 + severity(&header);
    let mut sd = format!("[{SD_ID} seq=\"{}\"", header.seq);
    if let Some(hash) = &header.hash {
        sd.push_str(&format!(" hash=\"{}\"", sd_escape(hash)));
    }
    if let Some(chain) = &header.chain {
        sd.push_str(&format!(" chain=\"{}\"", sd_escape(chain)));
    }
    sd.push(']');
    let mut out = format!(
        "<{pri}>1 {} {} {} {procid} {} {sd} ",
        header_field(Some(&header.ts), 64),
        header_field(header.host.as_deref(), 255),
        header_field(Some(&settings.app_name), 48),
        header_field(Some(header.event.name()), 32),
    )
    .into_bytes();
    out.extend_from_slice(line);
    Some(out)
}

/// The records of the active trail after the cursor, with the offset after each.
struct Pending {
    lines: Vec<Line>,
}

/// One record to send: its sequence number, the offset just after it in its file, its
/// hash, and the line itself.
struct Line {
    seq: u64,
    offset: u64,
    hash: String,
    bytes: Vec<u8>,
}

/// Reads the records after `cursor`. The cursor's offset into the active file is tried
/// first (the record there must name the cursor's record as `prev`); when it does not fit
/// (the file was rotated, cut, resealed or replaced), the file holding the cursor's record
/// is found by its hash and sending resumes after it; failing that, the whole active file is
/// sent again. Nothing forwarded yet: every file, from the first. Duplicates are allowed,
/// losses are not.
fn pending_records(dir: &Path, cursor: Option<&Cursor>) -> io::Result<Pending> {
    let active = dir.join(ACTIVE_FILE);
    let mut lines = Vec::new();
    if let Some(c) = cursor
        && c.offset > 0
        && read_file_records(&active, c.offset, Some(&c.hash), &mut lines)?
    {
        return Ok(Pending { lines });
    }
    lines.clear();
    let files = trail_files(dir)?;
    let start = match cursor {
        None => Some((0, 0)),
        Some(c) => {
            let mut found = None;
            for (index, file) in files.iter().enumerate().rev() {
                if let Some(offset) = offset_after(file, &c.hash)? {
                    found = Some((index, offset));
                    break;
                }
            }
            found
        }
    };
    let (index, offset) = start.unwrap_or((files.len().saturating_sub(1), 0));
    for (n, file) in files.iter().enumerate().skip(index) {
        let from = if n == index { offset } else { 0 };
        read_file_records(file, from, None, &mut lines)?;
        if lines.len() >= MAX_BATCH {
            break;
        }
    }
    Ok(Pending { lines })
}

/// The offset just after the record with `hash` in `path`, if it is there.
fn offset_after(path: &Path, hash: &str) -> io::Result<Option<u64>> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let needle = format!(",\"hash\":\"{hash}\"}}");
    let mut reader = BufReader::new(file);
    let mut position = 0u64;
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = reader.read_until(b'\n', &mut line)?;
        if read == 0 {
            return Ok(None);
        }
        position += read as u64;
        if line.trim_ascii_end().ends_with(needle.as_bytes()) {
            return Ok(Some(position));
        }
    }
}

/// Appends the complete records of `path` from `offset` to `out`. With `follows`, answers
/// `false` (and reads nothing) unless the first record there names that hash as `prev`.
fn read_file_records(
    path: &Path,
    offset: u64,
    follows: Option<&str>,
    out: &mut Vec<Line>,
) -> io::Result<bool> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(follows.is_none()),
        Err(e) => return Err(e),
    };
    if offset > file.metadata()?.len() {
        return Ok(false);
    }
    let mut reader = BufReader::new(file);
    reader.seek(SeekFrom::Start(offset))?;
    let mut position = offset;
    let mut check_first = follows;
    let mut line = Vec::new();
    while out.len() < MAX_BATCH {
        line.clear();
        let read = reader.read_until(b'\n', &mut line)?;
        if read == 0 || !line.ends_with(b"\n") {
            break; // end, or a torn last line: sent once the next append completes it
        }
        position += read as u64;
        let body = &line[..line.len() - 1];
        let Ok(link) = serde_json::from_slice::<SeqOnly>(body) else {
            if check_first.is_some() {
                return Ok(false);
            }
            continue;
        };
        if let Some(prev) = check_first.take()
            && link.prev != prev
        {
            return Ok(false);
        }
        out.push(Line {
            seq: link.seq,
            offset: position,
            hash: link.hash.unwrap_or_default(),
            bytes: body.to_vec(),
        });
    }
    Ok(true)
}

#[derive(Deserialize)]
struct SeqOnly {
    seq: u64,
    ts: DateTime<Utc>,
    #[serde(default)]
    prev: String,
    #[serde(default)]
    hash: Option<String>,
}

/// The records waiting for the collector.
pub fn backlog(dir: &Path) -> io::Result<Backlog> {
    let cursor = match File::open(cursor_path(dir)) {
        Ok(mut file) => read_cursor(&mut file)?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let pending = pending_records(dir, cursor.as_ref())?;
    let oldest = pending
        .lines
        .first()
        .and_then(|line| serde_json::from_slice::<SeqOnly>(&line.bytes).ok())
        .map(|r| r.ts);
    Ok(Backlog {
        records: pending.lines.len() as u64,
        oldest,
    })
}

/// A connection to the collector, plain or TLS.
enum Connection {
    Tcp(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Connection {
    fn open(
        settings: &ForwardSettings,
        tls: Option<&Arc<rustls::ClientConfig>>,
    ) -> Result<Self, ForwardError> {
        let connect_err = |source| ForwardError::Connect {
            address: settings.address.clone(),
            source,
        };
        let addrs: Vec<_> = settings
            .address
            .to_socket_addrs()
            .map_err(connect_err)?
            .collect();
        let mut last = io::Error::new(io::ErrorKind::NotFound, "the name has no address");
        let mut stream = None;
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, IO_TIMEOUT) {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(e) => last = e,
            }
        }
        let stream = stream.ok_or_else(|| connect_err(last))?;
        stream
            .set_read_timeout(Some(IO_TIMEOUT))
            .map_err(connect_err)?;
        stream
            .set_write_timeout(Some(IO_TIMEOUT))
            .map_err(connect_err)?;
        let _ = stream.set_nodelay(true);
        let Some(config) = tls else {
            return Ok(Self::Tcp(stream));
        };
        let tls_err = |detail: String| ForwardError::Tls {
            address: settings.address.clone(),
            detail,
        };
        let host = settings
            .address
            .rsplit_once(':')
            .map_or(settings.address.as_str(), |(h, _)| h)
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let name =
            rustls_pki_types::ServerName::try_from(host).map_err(|e| tls_err(e.to_string()))?;
        let conn = rustls::ClientConnection::new(Arc::clone(config), name)
            .map_err(|e| tls_err(e.to_string()))?;
        let mut tls = rustls::StreamOwned::new(conn, stream);
        // Finish the handshake now, so an untrusted collector is reported as such.
        while tls.conn.is_handshaking() {
            tls.conn
                .complete_io(&mut tls.sock)
                .map_err(|e| tls_err(e.to_string()))?;
        }
        Ok(Self::Tls(Box::new(tls)))
    }

    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Self::Tcp(s) => s.write_all(bytes),
            Self::Tls(s) => s.write_all(bytes),
        }
    }

    /// Closes the sending side and waits for the collector to close its side: it does so
    /// only after reading everything sent before.
    fn finish(mut self) -> io::Result<bool> {
        match &mut self {
            Self::Tcp(s) => {
                s.flush()?;
                s.shutdown(std::net::Shutdown::Write)?;
            }
            Self::Tls(s) => {
                s.flush()?;
                s.conn.send_close_notify();
                s.conn.complete_io(&mut s.sock)?;
                s.sock.shutdown(std::net::Shutdown::Write)?;
            }
        }
        let mut buf = [0u8; 512];
        loop {
            let read = match &mut self {
                Self::Tcp(s) => s.read(&mut buf),
                Self::Tls(s) => s.sock.read(&mut buf),
            };
            match read {
                Ok(0) => return Ok(true),
                Ok(_) => continue,
                // A reset, not a close: the collector dropped data it had not read.
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return Ok(false);
                }
                Err(e) => return Err(e),
            }
        }
    }
}

fn tls_config(
    settings: &ForwardSettings,
) -> Result<Option<Arc<rustls::ClientConfig>>, ForwardError> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    if settings.transport != Transport::Tls {
        return Ok(None);
    }
    let bad = |what: &str, path: &Path, e: &dyn std::fmt::Display| {
        ForwardError::Settings(format!("{what} {}: {e}", path.display()))
    };
    let ca = settings
        .ca
        .as_deref()
        .ok_or_else(|| ForwardError::Settings("transport = \"tls\" needs ca".into()))?;
    let mut roots = rustls::RootCertStore::empty();
    let cas = CertificateDer::pem_file_iter(ca)
        .map_err(|e| bad("cannot read ca", ca, &e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad("ca is not PEM", ca, &e))?;
    for cert in cas {
        roots
            .add(cert)
            .map_err(|e| bad("ca cannot be a trust anchor", ca, &e))?;
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ForwardError::Settings(e.to_string()))?
        .with_root_certificates(roots);
    let config = match (&settings.cert, &settings.key) {
        (Some(cert), Some(key)) => {
            let chain = CertificateDer::pem_file_iter(cert)
                .map_err(|e| bad("cannot read cert", cert, &e))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| bad("cert is not PEM", cert, &e))?;
            let key_der =
                PrivateKeyDer::from_pem_file(key).map_err(|e| bad("cannot read key", key, &e))?;
            builder
                .with_client_auth_cert(chain, key_der)
                .map_err(|e| bad("cert and key do not fit", cert, &e))?
        }
        _ => builder.with_no_client_auth(),
    };
    Ok(Some(Arc::new(config)))
}

/// Sends every record after the cursor to the collector and moves the cursor on once the
/// collector confirms it read them. One sender at a time per trail (a lock on the cursor
/// file), so records leave in order.
pub fn forward_once(dir: &Path, settings: &ForwardSettings) -> Result<ForwardReport, ForwardError> {
    settings.validate().map_err(ForwardError::Settings)?;
    let tls = tls_config(settings)?;
    let path = cursor_path(dir);
    let mut cursor_file = files::private_options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(ForwardError::Local)?;
    cursor_file.lock().map_err(ForwardError::Local)?;
    let result = forward_locked(dir, settings, tls.as_ref(), &mut cursor_file);
    let _ = cursor_file.unlock();
    result
}

fn forward_locked(
    dir: &Path,
    settings: &ForwardSettings,
    tls: Option<&Arc<rustls::ClientConfig>>,
    cursor_file: &mut File,
) -> Result<ForwardReport, ForwardError> {
    let mut report = ForwardReport {
        sent: 0,
        cursor: None,
    };
    loop {
        let cursor = read_cursor(cursor_file).map_err(ForwardError::Local)?;
        report.cursor = cursor.as_ref().map(|c| c.seq);
        let pending = pending_records(dir, cursor.as_ref()).map_err(ForwardError::Local)?;
        let Some(last) = pending.lines.last() else {
            return Ok(report);
        };
        send_batch(settings, tls, &pending)?;
        write_cursor(
            cursor_file,
            Cursor {
                seq: last.seq,
                offset: last.offset,
                hash: last.hash.clone(),
            },
        )
        .map_err(ForwardError::Local)?;
        report.sent += pending.lines.len() as u64;
        report.cursor = Some(last.seq);
        if pending.lines.len() < MAX_BATCH {
            return Ok(report);
        }
    }
}

/// Sends one batch on a fresh connection and waits for the collector to confirm it read it.
fn send_batch(
    settings: &ForwardSettings,
    tls: Option<&Arc<rustls::ClientConfig>>,
    pending: &Pending,
) -> Result<(), ForwardError> {
    let procid = std::process::id();
    let mut frames = Vec::with_capacity(pending.lines.len() * 700);
    for line in &pending.lines {
        if let Some(message) = format_message(&line.bytes, settings, procid) {
            frames.extend_from_slice(format!("{} ", message.len()).as_bytes());
            frames.extend_from_slice(&message);
        }
    }
    let mut connection = Connection::open(settings, tls)?;
    let send_err = |source| ForwardError::Send {
        address: settings.address.clone(),
        source,
    };
    connection.write_all(&frames).map_err(send_err)?;
    if connection.finish().map_err(send_err)? {
        Ok(())
    } else {
        Err(ForwardError::Unconfirmed {
            address: settings.address.clone(),
        })
    }
}

/// The background sender of one program: woken after every append, retrying a backlog now
/// and then, and given a few seconds to finish when the program ends.
#[derive(Debug)]
pub(crate) struct Forwarder {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

#[derive(Debug, Default)]
struct State {
    /// Records were appended since the last attempt began.
    dirty: bool,
    stopping: bool,
    /// An attempt is running or queued.
    busy: bool,
    last_error: Option<String>,
}

impl Forwarder {
    pub(crate) fn start(dir: PathBuf, settings: ForwardSettings) -> Self {
        let shared = Arc::new(Shared::default());
        let worker = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("audit-forward".into())
            .spawn(move || run(&worker, &dir, &settings))
            .ok();
        // Whatever an earlier program left behind goes first.
        shared.state.lock().unwrap_or_else(|p| p.into_inner()).dirty = true;
        shared.wake.notify_one();
        Self { shared, thread }
    }

    /// A record was appended: send it (and any backlog) soon.
    pub(crate) fn notify(&self) {
        let mut state = self.shared.state.lock().unwrap_or_else(|p| p.into_inner());
        state.dirty = true;
        state.busy = true;
        self.shared.wake.notify_one();
    }

    /// Why the last attempt failed, if it did.
    pub(crate) fn last_error(&self) -> Option<String> {
        self.shared
            .state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .last_error
            .clone()
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        {
            let mut state = self.shared.state.lock().unwrap_or_else(|p| p.into_inner());
            state.stopping = true;
            self.shared.wake.notify_one();
            // Give the last records a moment to go out; the backlog stays for the next
            // program (or `audit forward`) either way.
            let deadline = std::time::Instant::now() + FINISH_WAIT;
            while (state.busy || state.dirty) && std::time::Instant::now() < deadline {
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                state = self
                    .shared
                    .wake
                    .wait_timeout(state, left)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
        }
        if let Some(thread) = self.thread.take()
            && thread.is_finished()
        {
            let _ = thread.join();
        }
    }
}

fn run(shared: &Shared, dir: &Path, settings: &ForwardSettings) {
    loop {
        {
            let mut state = shared.state.lock().unwrap_or_else(|p| p.into_inner());
            while !state.dirty && !state.stopping {
                let (next, timeout) = shared
                    .wake
                    .wait_timeout(state, RETRY_EVERY)
                    .unwrap_or_else(|p| p.into_inner());
                state = next;
                if timeout.timed_out() && state.last_error.is_some() {
                    state.dirty = true;
                }
            }
            if !state.dirty {
                state.busy = false;
                shared.wake.notify_all();
                return;
            }
            state.dirty = false;
            state.busy = true;
        }
        let result = forward_once(dir, settings);
        let mut state = shared.state.lock().unwrap_or_else(|p| p.into_inner());
        state.last_error = result.err().map(|e| e.to_string());
        // Stopping after a failure: no point retrying now.
        if state.stopping && state.last_error.is_some() {
            state.dirty = false;
        }
        state.busy = state.dirty;
        shared.wake.notify_all();
        if state.stopping && !state.dirty {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> ForwardSettings {
        toml::from_str("address = \"127.0.0.1:6514\"").unwrap()
    }

    #[test]
    fn a_record_becomes_an_rfc_5424_message_with_its_line_as_msg() {
        let line = br#"{"seq":7,"ts":"2026-11-25T09:00:00.000Z","event":"sign_in_failed","outcome":"rejected","host":"ws 1","prev":"00","hash":"abc"}"#;
        let message = format_message(line, &settings(), 42).unwrap();
        let text = String::from_utf8(message).unwrap();
        assert_eq!(
            text,
            format!(
                "<84>1 2026-11-25T09:00:00.000Z ws1 eps-tracker 42 sign_in_failed \
                 [eps@32473 seq=\"7\" hash=\"abc\"] {}",
                String::from_utf8_lossy(line)
            )
        );
        assert!(format_message(b"{\"seq\":1,\"ts\":", &settings(), 1).is_none());
    }

    #[test]
    fn settings_are_checked_with_the_fix() {
        let mut s = settings();
        assert!(s.validate().is_ok());
        s.address = "collector".into();
        assert!(s.validate().unwrap_err().contains("HOST:PORT"));
        let tls: ForwardSettings =
            toml::from_str("address = \"h:1\"\ntransport = \"tls\"").unwrap();
        assert!(tls.validate().unwrap_err().contains("needs ca"));
        assert!(
            toml::from_str::<ForwardSettings>("address = \"h:1\"\ntransport = \"udp\"").is_err()
        );
    }

    #[test]
    fn the_settings_file_takes_an_audit_section_and_names_a_bad_key() {
        use crate::config::Config;
        let path = std::path::Path::new("config.toml");
        let config = Config::parse(
            path,
            "[audit]\nrotate_bytes = 1048576\n[audit.forward]\naddress = \"h:514\"\n\
             facility = \"local3\"\n",
        )
        .unwrap();
        assert_eq!(config.audit.rotate_bytes, 1_048_576);
        let forward = config.audit.forward.unwrap();
        assert_eq!(forward.facility, Facility::Local3);
        assert_eq!(forward.app_name, "eps-tracker");
        let err = Config::parse(path, "[audit.forward]\naddress = \"h\"\n").unwrap_err();
        assert!(err.to_string().contains("audit.forward"), "{err}");
        let err = Config::parse(path, "[audit]\nrotate_bytes = 10\n").unwrap_err();
        assert!(err.to_string().contains("audit.rotate_bytes"), "{err}");
        assert_eq!(Config::default().audit.rotate_bytes, 64 * 1024 * 1024);
    }

    #[test]
    fn an_old_backlog_is_warned_about() {
        let now = Utc::now();
        let backlog = Backlog {
            records: 3,
            oldest: Some(now - chrono::Duration::minutes(20)),
        };
        let warning = backlog.stale_warning(&settings(), now).unwrap();
        assert!(warning.contains("audit forward"), "{warning}");
        let fresh = Backlog {
            records: 3,
            oldest: Some(now - chrono::Duration::minutes(2)),
        };
        assert!(fresh.stale_warning(&settings(), now).is_none());
    }
}
