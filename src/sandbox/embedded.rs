//! The sandbox in-process, for `--sandbox`: a free loopback port, certificates (throwaway
//! ones held only in memory, or the sandbox home's, reused), and client settings ready for
//! `TrackerClient::new`. PDS runs beside it on a second port, with a throwaway RSA key for
//! the client's JWTs.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use zeroize::Zeroizing;

use super::certs::{Authority, CertBundle, CertDir, CertError, DEFAULT_ASID, Issued, Validity};
use super::faults::Fault;
use super::pds::PdsSandbox;
use super::server::{self, RunningServer, ServeError, ServerOptions};
use crate::files::PemSource;
use crate::pds::PdsSettings;
use crate::security::spine_client::ClientSettings;

/// How to start an embedded sandbox.
#[derive(Debug, Clone)]
pub struct EmbeddedOptions {
    /// The ASID of the client certificate (its subject CN).
    pub asid: String,
    /// A fault applied to every request.
    pub fault: Option<Fault>,
    pub max_connections: usize,
    /// How long a client may take over the TLS handshake.
    pub handshake_deadline: Duration,
    /// How long a write may wait on a client that does not read its answers.
    pub write_deadline: Duration,
    /// Where to keep the certificates and reuse them on the next start (the sandbox home's
    /// `certs`, as `sandbox serve` uses): making keys is the costliest part of starting.
    /// `None`: fresh ones, in memory only.
    pub cert_dir: Option<PathBuf>,
}

impl Default for EmbeddedOptions {
    fn default() -> Self {
        Self {
            asid: DEFAULT_ASID.to_owned(),
            fault: None,
            max_connections: server::DEFAULT_MAX_CONNECTIONS,
            handshake_deadline: server::DEFAULT_HANDSHAKE_DEADLINE,
            write_deadline: server::DEFAULT_WRITE_DEADLINE,
            cert_dir: None,
        }
    }
}

/// A running in-process sandbox. Stops when dropped, or on `shutdown`.
pub struct EmbeddedSandbox {
    server: RunningServer,
    bundle: CertBundle,
    /// The CA that made fresh certificates; `None` when they were read from disk.
    authority: Option<Authority>,
    pds: PdsSandbox,
    pds_key: Zeroizing<String>,
}

impl EmbeddedSandbox {
    /// Starts a sandbox on `127.0.0.1` and a free port, with fresh certificates.
    pub async fn start(options: EmbeddedOptions) -> Result<Self, ServeError> {
        let (bundle, authority) = certificates(&options)?;
        let mut server_options = ServerOptions::new(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)));
        server_options.fault = options.fault;
        server_options.max_connections = options.max_connections;
        server_options.handshake_deadline = options.handshake_deadline;
        server_options.write_deadline = options.write_deadline;
        // One client, the app itself, which keeps its connection: tickets would save
        // nothing, and their key would hold up the terminal app's first frame.
        server_options.session_tickets = false;
        let server = server::start(&bundle, server_options).await?;
        // Beside kept certificates, the PDS client's key is kept too: making an RSA key
        // would hold up the terminal app's first frame at every launch.
        // A folder that cannot hold it gets a fresh key, as the certificates do.
        let fresh = || {
            crate::pds::token::generate_key_pem()
                .ok_or_else(|| "the RSA key could not be generated".to_owned())
        };
        let pds_key = match &options.cert_dir {
            Some(dir) => super::pds::load_or_create_client_key(dir).or_else(|_| fresh()),
            None => fresh(),
        }
        .map_err(|detail| super::tls::TlsSetupError::Pem {
            what: "PDS client key",
            detail,
        })?;
        let pds = PdsSandbox::start(
            &bundle,
            SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            options.fault,
            &pds_key,
        )
        .await?;
        Ok(Self {
            server,
            bundle,
            authority,
            pds,
            pds_key,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// `https://127.0.0.1:PORT/mm`
    pub fn base_url(&self) -> String {
        format!("https://{}/mm", self.local_addr())
    }

    /// The sandbox CA's certificate (PEM).
    pub fn ca_pem(&self) -> &str {
        &self.bundle.ca_pem
    }

    /// The client certificate and key `client_settings` presents.
    pub fn client_identity(&self) -> &Issued {
        &self.bundle.client
    }

    /// The ASID the client certificate was made for.
    pub fn asid(&self) -> &str {
        &self.bundle.asid
    }

    /// Settings for `TrackerClient::new` that reach this sandbox with its client
    /// certificate (all in memory).
    pub fn client_settings(&self) -> ClientSettings {
        self.settings_with(&self.bundle.client, &self.bundle.asid)
    }

    /// Settings that present another certificate, e.g. one from `issue_client_cert`.
    pub fn settings_with(&self, client: &Issued, asid: &str) -> ClientSettings {
        ClientSettings::new(
            self.base_url(),
            PemSource::Inline(Zeroizing::new(self.bundle.ca_pem.clone())),
            PemSource::Inline(Zeroizing::new(client.cert_pem.clone())),
            PemSource::Inline(client.key_pem.clone()),
            asid,
        )
    }

    /// A client certificate from this sandbox's CA: for another ASID, or expired, or
    /// about to expire (what the negative tests need).
    pub fn issue_client_cert(&self, asid: &str, validity: Validity) -> Result<Issued, CertError> {
        self.authority
            .as_ref()
            .ok_or(CertError::NoAuthority)?
            .issue_client(asid, validity)
    }

    /// The PDS sandbox beside it (for its URLs, or to revoke its tokens in tests).
    pub fn pds(&self) -> &PdsSandbox {
        &self.pds
    }

    /// Settings for `PdsClient::new` that reach the PDS sandbox (all in memory).
    pub fn pds_settings(&self) -> PdsSettings {
        self.pds.settings(&self.bundle.ca_pem, &self.pds_key)
    }

    /// Stops the sandbox, letting requests in flight finish (up to 5 s).
    pub async fn shutdown(self) {
        self.pds.shutdown().await;
        self.server.shutdown().await;
    }
}

/// The certificates to serve with: those kept in `cert_dir` (made there the first time),
/// or fresh ones. Kept ones that cannot be used (half a set, expired, another ASID) are
/// left alone and fresh ones used instead, so the app still starts.
fn certificates(options: &EmbeddedOptions) -> Result<(CertBundle, Option<Authority>), CertError> {
    if let Some(dir) = &options.cert_dir {
        match CertDir::new(dir).load_or_create(&options.asid) {
            Ok((bundle, _)) => return Ok((bundle, None)),
            Err(error) => {
                tracing::warn!(%error, "sandbox certificates not reused; fresh ones in memory");
            }
        }
    }
    let (bundle, authority) = CertBundle::generate(&options.asid)?;
    Ok((bundle, Some(authority)))
}
