//! A connection to the collector, plain TCP or TLS (rustls), and its careful close: the
//! collector's own close is the only confirmation that it read everything sent.

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::ForwardError;
use super::settings::{ForwardSettings, Transport};

/// How long to wait for a connection, a write, or the collector's close.
pub(super) const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// A connection to the collector, plain or TLS.
pub(super) enum Connection {
    Tcp(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Connection {
    pub(super) fn open(
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

    pub(super) fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Self::Tcp(s) => s.write_all(bytes),
            Self::Tls(s) => s.write_all(bytes),
        }
    }

    /// Closes the sending side and waits for the collector to close its side: it does so
    /// only after reading everything sent before.
    pub(super) fn finish(mut self) -> io::Result<bool> {
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

pub(super) fn tls_config(
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
