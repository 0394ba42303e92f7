//! The sandbox's TLS: client certificates are required and verified against the sandbox CA
//! (never `allow_unauthenticated`), and the verified client's subject CN is what the ASID
//! header is checked against.

use std::sync::Arc;

use rustls::ServerConfig;
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use thiserror::Error;

use super::certs::{CertBundle, common_name};

/// Why the sandbox's TLS configuration could not be built.
#[derive(Debug, Error)]
pub enum TlsSetupError {
    #[error("the sandbox {what} is not valid PEM: {detail}")]
    Pem { what: &'static str, detail: String },
    #[error("the sandbox CA cannot be used as a trust anchor: {0}")]
    Anchor(rustls::Error),
    #[error("could not build the client certificate verifier: {0}")]
    Verifier(String),
    #[error("the sandbox's server certificate and key do not fit together: {0}")]
    ServerCert(rustls::Error),
    #[error("could not make the key for TLS session tickets: {0}")]
    Ticketer(rustls::Error),
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// A rustls server configuration that demands a client certificate issued by the bundle's CA.
/// With `tickets`, TLS 1.3 clients resume with session tickets.
pub fn server_config(
    bundle: &CertBundle,
    tickets: bool,
) -> Result<Arc<ServerConfig>, TlsSetupError> {
    let pem_error = |what| {
        move |e: rustls_pki_types::pem::Error| TlsSetupError::Pem {
            what,
            detail: e.to_string(),
        }
    };
    let ca = CertificateDer::from_pem_slice(bundle.ca_pem.as_bytes()).map_err(pem_error("CA"))?;
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca).map_err(TlsSetupError::Anchor)?;
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
        .build()
        .map_err(|e| TlsSetupError::Verifier(e.to_string()))?;
    let chain = CertificateDer::pem_slice_iter(bundle.server.cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(pem_error("server certificate"))?;
    let key = PrivateKeyDer::from_pem_slice(bundle.server.key_pem.as_bytes())
        .map_err(pem_error("server key"))?;
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(TlsSetupError::ServerCert)?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(TlsSetupError::ServerCert)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    // A client that reconnects resumes its session instead of a full handshake (certificate
    // checks and key agreement, the costliest part of a new connection): TLS 1.3 tickets
    // sealed with a key rustls rotates, so no per-client state is kept; TLS 1.2 clients
    // still use the default in-memory session cache. The client certificate checked at
    // the full handshake travels in the ticket, so the ASID check still sees it.
    if tickets {
        config.ticketer =
            rustls::crypto::aws_lc_rs::Ticketer::new().map_err(TlsSetupError::Ticketer)?;
    }
    Ok(Arc::new(config))
}

/// The subject CN of the verified client certificate on a connection.
pub fn peer_common_name(conn: &rustls::ServerConnection) -> Option<String> {
    let first = conn.peer_certificates()?.first()?;
    let (_, cert) = x509_parser::parse_x509_certificate(first).ok()?;
    common_name(&cert)
}
