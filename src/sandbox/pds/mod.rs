//! The sandbox's PDS: a second listener, ordinary server-authenticated TLS with a
//! certificate from the same sandbox CA (PDS is reached with a bearer token, not Spine's
//! mutual TLS), serving `/oauth2/token` and `/personal-demographics/FHIR/R4/Patient` on
//! synthetic demographics for every sandbox patient.

mod people;
mod routes;
mod token;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use zeroize::Zeroizing;

use super::certs::CertBundle;
use super::faults::Fault;
use super::server::ServeError;
use super::tls::TlsSetupError;
use crate::files::PemSource;
use crate::pds::PdsSettings;
pub use routes::{FHIR_BASE, TOKEN_PATH};

/// The API key the sandbox registers for its client.
pub const SANDBOX_API_KEY: &str = "eps-tracker-sandbox-app";
/// The key ID its public key is registered under.
pub const SANDBOX_KID: &str = "eps-tracker-sandbox-1";
/// The client key file `sandbox serve --certs DIR` writes beside the certificates.
pub const CLIENT_KEY_FILE: &str = "pds-client.key";

const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// A running PDS sandbox; stops when dropped.
pub struct PdsSandbox {
    local_addr: SocketAddr,
    state: Arc<routes::PdsState>,
    stop: CancellationToken,
    tasks: TaskTracker,
}

impl Drop for PdsSandbox {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

impl PdsSandbox {
    /// Listens on `listen` with the bundle's server certificate; `client_key_pem` is the
    /// RSA key whose public half is registered under `SANDBOX_KID`.
    pub async fn start(
        bundle: &CertBundle,
        listen: SocketAddr,
        fault: Option<Fault>,
        client_key_pem: &str,
    ) -> Result<Self, ServeError> {
        let config = server_config(bundle)?;
        let public_key = crate::pds::token::public_key_der(client_key_pem).ok_or_else(|| {
            TlsSetupError::Pem {
                what: "PDS client key",
                detail: "not an RSA key of 2048 to 8192 bits".into(),
            }
        })?;
        let people = people::People::load().map_err(|e| TlsSetupError::Pem {
            what: "PDS demographics",
            detail: e.to_string(),
        })?;
        let listener = TcpListener::bind(listen)
            .await
            .map_err(|source| ServeError::Bind {
                addr: listen,
                source,
            })?;
        let local_addr = listener.local_addr().map_err(|source| ServeError::Bind {
            addr: listen,
            source,
        })?;
        let stop = CancellationToken::new();
        let registration = token::Registration {
            api_key: SANDBOX_API_KEY.to_owned(),
            kid: SANDBOX_KID.to_owned(),
            public_key,
        };
        let state = Arc::new(routes::PdsState {
            people,
            tokens: token::TokenDesk::new(registration, token_url(local_addr)),
            fault,
            shutdown: stop.clone(),
            recent: Mutex::new(Default::default()),
            forced_throttles: Default::default(),
        });
        let tasks = TaskTracker::new();
        tasks.spawn(accept_loop(
            listener,
            TlsAcceptor::from(config),
            state.clone(),
            stop.clone(),
            tasks.clone(),
        ));
        tracing::info!(%local_addr, "PDS sandbox listening");
        Ok(Self {
            local_addr,
            state,
            stop,
            tasks,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `https://127.0.0.1:PORT/personal-demographics/FHIR/R4`
    pub fn base_url(&self) -> String {
        format!("https://{}{FHIR_BASE}", reachable(self.local_addr))
    }

    /// `https://127.0.0.1:PORT/oauth2/token`, the `aud` the JWT must name.
    pub fn token_url(&self) -> String {
        token_url(self.local_addr)
    }

    /// Client settings that reach this sandbox (all in memory).
    pub fn settings(&self, ca_pem: &str, client_key_pem: &str) -> PdsSettings {
        PdsSettings {
            base_url: self.base_url(),
            token_url: self.token_url(),
            api_key: SANDBOX_API_KEY.to_owned(),
            key: PemSource::Inline(Zeroizing::new(client_key_pem.to_owned())),
            kid: SANDBOX_KID.to_owned(),
            ca: Some(PemSource::Inline(Zeroizing::new(ca_pem.to_owned()))),
            connect_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_secs(10),
        }
    }

    /// Revokes every token issued, as PDS would on a credential change: clients must fetch
    /// a new one.
    pub fn revoke_tokens(&self) {
        self.state.tokens.revoke_all();
    }

    /// Answers the next `calls` Patient requests 429 TOO_MANY_REQUESTS whatever the rate,
    /// as PDS's spike arrest does under load from other applications' traffic.
    pub fn throttle_next(&self, calls: usize) {
        self.state
            .forced_throttles
            .store(calls, std::sync::atomic::Ordering::SeqCst);
    }

    /// Stops accepting and waits (up to 5 s) for requests in flight.
    pub async fn shutdown(self) {
        self.stop.cancel();
        self.tasks.close();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.tasks.wait()).await;
    }
}

/// The token URL as clients reach it: an unspecified listen address is reached through
/// loopback (the only address the server certificate names besides `localhost`).
fn token_url(addr: SocketAddr) -> String {
    format!("https://{}{TOKEN_PATH}", reachable(addr))
}

fn reachable(addr: SocketAddr) -> String {
    match addr {
        SocketAddr::V4(v4) if v4.ip().is_unspecified() => format!("127.0.0.1:{}", v4.port()),
        SocketAddr::V6(v6) if v6.ip().is_unspecified() => format!("[::1]:{}", v6.port()),
        other => other.to_string(),
    }
}

/// The client's RSA key in `dir` (`pds-client.key`, mode 0600): reused if there, made if
/// not.
pub fn load_or_create_client_key(dir: &Path) -> Result<Zeroizing<String>, String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let path = dir.join(CLIENT_KEY_FILE);
    match std::fs::read_to_string(&path) {
        Ok(pem) => {
            let pem = Zeroizing::new(pem);
            crate::pds::token::public_key_der(&pem)
                .map(|_| pem)
                .ok_or_else(|| {
                    format!(
                        "{} is not an RSA private key: remove it to get a new one",
                        path.display()
                    )
                })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let pem = crate::pds::token::generate_key_pem()
                .ok_or("the PDS client's RSA key could not be generated")?;
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
                .and_then(|mut f| f.write_all(pem.as_bytes()))
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            Ok(pem)
        }
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// Server-authenticated TLS only: PDS asks for no client certificate.
fn server_config(bundle: &CertBundle) -> Result<Arc<ServerConfig>, TlsSetupError> {
    let pem_error = |what| {
        move |e: rustls_pki_types::pem::Error| TlsSetupError::Pem {
            what,
            detail: e.to_string(),
        }
    };
    let chain = CertificateDer::pem_slice_iter(bundle.server.cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(pem_error("server certificate"))?;
    let key = PrivateKeyDer::from_pem_slice(bundle.server.key_pem.as_bytes())
        .map_err(pem_error("server key"))?;
    let mut config = ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(TlsSetupError::ServerCert)?
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .map_err(TlsSetupError::ServerCert)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    state: Arc<routes::PdsState>,
    stop: CancellationToken,
    tasks: TaskTracker,
) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = stop.cancelled() => break,
        };
        let Ok((tcp, peer)) = accepted else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let (acceptor, state, stop) = (acceptor.clone(), state.clone(), stop.clone());
        tasks.spawn(async move {
            let _ = tcp.set_nodelay(true);
            let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(stream)) => stream,
                _ => {
                    tracing::debug!(%peer, "PDS TLS handshake failed");
                    return;
                }
            };
            let service = service_fn(move |req| routes::handle(req, state.clone()));
            let conn = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(IDLE_TIMEOUT)
                .serve_connection(TokioIo::new(tls), service);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                () = stop.cancelled() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
    }
}
