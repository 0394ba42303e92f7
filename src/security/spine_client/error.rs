//! Everything that can go wrong setting up the client or fetching, each in words a helpdesk
//! user can act on.

use std::path::PathBuf;
use std::time::Duration;

use chrono::NaiveDate;
use thiserror::Error;

use super::identity::{SpineIdError, TraceId};
use super::material::PemRole;

/// Why a `TrackerClient` could not be made from its settings.
#[derive(Debug, Error)]
pub enum ClientSetupError {
    #[error("the {role} file {path} does not exist")]
    Missing { role: PemRole, path: PathBuf },
    #[error("cannot read the {role} file {path}: {reason}")]
    Unreadable {
        role: PemRole,
        path: PathBuf,
        reason: String,
    },
    #[error("the {role} {source_name} is not a readable PEM file")]
    NotPem { role: PemRole, source_name: String },
    #[error(
        "the {role} {source_name} holds no certificate: expected a PEM block \
         '-----BEGIN CERTIFICATE-----'"
    )]
    NoCertificate { role: PemRole, source_name: String },
    #[error(
        "the client key (`key`) {source_name} holds no private key: expected a PEM block such \
         as '-----BEGIN PRIVATE KEY-----'"
    )]
    NoKey { source_name: String },
    #[error(
        "the client key (`key`) {source_name} is protected by a passphrase, which eps-tracker \
         cannot use: convert it once with `openssl pkcs8 -topk8 -nocrypt -in {source_name} \
         -out client-plain.key` (it asks for the passphrase), run `chmod 600 client-plain.key` \
         and set `key` to the new file"
    )]
    EncryptedKey { source_name: String },
    #[error("the client key (`key`) {source_name} cannot be used: {reason}")]
    UnusableKey { source_name: String, reason: String },
    #[error(
        "the client key (`key`) {key} does not belong to the client certificate (`cert`) \
         {cert}: `cert` and `key` must name the pair that was issued together"
    )]
    KeyMismatch { key: String, cert: String },
    #[error("the {role} {source_name} expired on {date}: ask for a new one")]
    Expired {
        role: PemRole,
        source_name: String,
        date: NaiveDate,
    },
    #[error("the {role} {source_name} is not valid until {date}: check this computer's clock")]
    NotYetValid {
        role: PemRole,
        source_name: String,
        date: NaiveDate,
    },
    #[error(
        "the client key (`key`) {path} can be read by other users (mode {mode:04o}): run \
         `chmod 600 {path}`",
        path = path.display()
    )]
    KeyPermissions { path: PathBuf, mode: u32 },
    #[error("the `asid` in config is not valid: {0}")]
    BadAsid(SpineIdError),
    #[error("`base_url` \"{url}\" is not usable: {reason}")]
    BadBaseUrl { url: String, reason: String },
    #[error("could not set up the HTTPS client: {0}")]
    Http(String),
    #[error("the {role} file cannot be trusted: {reason}")]
    Unprotected { role: PemRole, reason: String },
}

/// Something the user should hear about although the client works.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SetupWarning {
    #[error(
        "the {role} {source_name} expires in {days_left} days (on {date}): ask for a new one \
         now"
    )]
    ExpiresSoon {
        role: PemRole,
        source_name: String,
        days_left: i64,
        date: NaiveDate,
    },
}

/// A request that did not produce a decodable Tracker answer.
#[derive(Debug, Error)]
#[error("{failure}")]
pub struct FetchError {
    /// The `Eps-TraceId` sent: quote it to the national service desk.
    pub trace_id: TraceId,
    pub elapsed: Duration,
    pub failure: FetchFailure,
}

/// Whether the request never got a complete answer, or got one that is not a successful
/// Tracker response.
#[derive(Debug, Error)]
pub enum FetchFailure {
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// A complete answer that is not a successful Tracker response: a Spine error code, a
    /// gateway's HTML/SOAP/text page (any non-2xx status), or a body that does not decode.
    #[error(transparent)]
    Response(#[from] crate::tracker::ResponseError),
}

/// Failures between us and Spine, before a complete Tracker answer arrived.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TransportError {
    #[error(
        "Spine rejected our client certificate ({alert}): check `cert` and `key` in config and \
         that the certificate was issued for this environment and ASID"
    )]
    ClientCertRejected { alert: String },
    #[error("the server's certificate is not trusted (check `ca` in config): {detail}")]
    ServerCertUntrusted { detail: String },
    #[error("the server's certificate is not valid for {host} (check `base_url` in config)")]
    ServerNameMismatch { host: String },
    #[error("connection refused at {host_port}: is the service running and `base_url` right?")]
    ConnectionRefused { host_port: String },
    #[error("cannot find the host {host}: check `base_url` in config and the network")]
    HostNotFound { host: String },
    #[error("no connection to {host_port} within {secs} s")]
    ConnectTimeout { host_port: String, secs: u64 },
    #[error("no answer within {secs} s")]
    NoAnswer { secs: u64 },
    #[error("the server closed the connection without answering")]
    ConnectionDropped,
    #[error("the answer was cut off after {received} bytes: try again")]
    CutOff { received: usize },
    #[error("the answer is larger than the {} limit and was not read", size(*limit))]
    TooLarge { limit: usize },
    #[error("the secure connection to {host_port} failed: {detail}")]
    Tls { host_port: String, detail: String },
    #[error("the request to {host_port} failed: {detail}")]
    Other { host_port: String, detail: String },
}

/// A byte count as people read it: `16 MiB`, `300 KiB`, `100 bytes`.
fn size(bytes: usize) -> String {
    const KIB: usize = 1024;
    const MIB: usize = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}
