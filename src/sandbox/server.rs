//! The sandbox's listener: TLS with required client certificates, HTTP/1.1 with
//! keep-alive, a bound on simultaneous connections, and a clean stop.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use thiserror::Error;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::answers::Answers;
use super::certs::CertBundle;
use super::dataset::{DataSet, DataSetError};
use super::faults::Fault;
use super::routes::{self, State};
use super::tls::{self, TlsSetupError};
use super::write_deadline::WriteDeadline;

/// How long a client may take over the TLS handshake by default: a client on loopback or
/// a LAN needs milliseconds, and a connection that says nothing is let go soon.
pub const DEFAULT_HANDSHAKE_DEADLINE: Duration = Duration::from_secs(3);
/// How long a write may wait on a client that does not read its answers before the
/// connection is closed (see `write_deadline`); a client that reads at all is not cut off.
pub const DEFAULT_WRITE_DEADLINE: Duration = Duration::from_secs(10);
/// Connections in their handshake, or answered once without a keep-alive slot, beyond
/// which new connections wait in the listen queue. They hold no keep-alive slot (a slot is
/// taken only once a client has authenticated), so silent connections cannot keep real
/// clients out; this bound keeps their memory bounded (a few KB each).
const MAX_HANDSHAKES: usize = 4096;
/// How long a connection may sit idle (or take to send its request head) before it is
/// closed; this also frees idle keep-alive connections for others.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// hyper's read buffer, which bounds the request head (hyper answers 431 beyond it).
const MAX_REQUEST_HEAD: usize = 16 * 1024;
/// Each connection's kernel send buffer (Linux doubles it for its bookkeeping): several
/// answers, far more than one keep-alive client has in flight.
const SEND_BUFFER: u32 = 128 * 1024;
/// Connections the kernel queues before they are accepted (tokio's own default).
const LISTEN_BACKLOG: u32 = 1024;
/// How long `shutdown` waits for requests in flight.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Default bound on keep-alive connections; an authenticated client beyond it is answered
/// once and its connection closed.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;

/// How to run a sandbox.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    pub listen: SocketAddr,
    /// A fault applied to every request (`sandbox serve --fault`).
    pub fault: Option<Fault>,
    /// Keep-alive connections held at once; beyond them a client is answered once.
    pub max_connections: usize,
    /// How long a client may take over the TLS handshake.
    pub handshake_deadline: Duration,
    /// How long a write may wait on a client that is not reading.
    pub write_deadline: Duration,
    /// TLS 1.3 session tickets for clients that reconnect. Making their key is the
    /// process's first use of the TLS library's randomness (about 100 ms of entropy
    /// gathering), which the embedded sandbox must not put before the first frame.
    pub session_tickets: bool,
}

impl ServerOptions {
    pub fn new(listen: SocketAddr) -> Self {
        Self {
            listen,
            fault: None,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            handshake_deadline: DEFAULT_HANDSHAKE_DEADLINE,
            write_deadline: DEFAULT_WRITE_DEADLINE,
            session_tickets: true,
        }
    }
}

/// Why the sandbox could not start.
#[derive(Debug, Error)]
pub enum ServeError {
    #[error(transparent)]
    Tls(#[from] TlsSetupError),
    #[error(transparent)]
    DataSet(#[from] DataSetError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Certs(#[from] super::certs::CertError),
}

/// A sandbox serving in the background. Dropping it stops it; `shutdown` stops it and
/// waits for the requests in flight.
pub struct RunningServer {
    local_addr: SocketAddr,
    stop: CancellationToken,
    tasks: TaskTracker,
}

impl RunningServer {
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting, lets requests in flight finish (up to 5 s), then returns.
    pub async fn shutdown(self) {
        self.stop.cancel();
        self.tasks.close();
        let _ = tokio::time::timeout(DRAIN_TIMEOUT, self.tasks.wait()).await;
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Binds and starts serving; returns once the socket is listening.
pub async fn start(
    bundle: &CertBundle,
    options: ServerOptions,
) -> Result<RunningServer, ServeError> {
    let config = tls::server_config(bundle, options.session_tickets)?;
    let data = DataSet::load(Utc::now().naive_utc())?;
    let listener = listen(options.listen).map_err(|source| ServeError::Bind {
        addr: options.listen,
        source,
    })?;
    let local_addr = listener.local_addr().map_err(|source| ServeError::Bind {
        addr: options.listen,
        source,
    })?;
    let stop = CancellationToken::new();
    let state = Arc::new(State {
        data,
        answers: Answers::default(),
        global_fault: options.fault,
        shutdown: stop.clone(),
    });
    let tasks = TaskTracker::new();
    let acceptor = TlsAcceptor::from(config);
    let limits = Limits {
        handshakes: Arc::new(Semaphore::new(MAX_HANDSHAKES)),
        connections: Arc::new(Semaphore::new(options.max_connections.max(1))),
        handshake_deadline: options.handshake_deadline,
        write_deadline: options.write_deadline,
    };
    tasks.spawn(accept_loop(
        listener,
        acceptor,
        state,
        limits,
        stop.clone(),
        tasks.clone(),
    ));
    tracing::info!(%local_addr, "sandbox listening");
    Ok(RunningServer {
        local_addr,
        stop,
        tasks,
    })
}

/// A listening socket whose connections (which inherit it) each have a kernel send buffer
/// of about `SEND_BUFFER`, instead of one that the kernel grows up to several MB: a client
/// that sends requests over and over but reads nothing can then make the sandbox write, and
/// the kernel hold, only that much before the write deadline lets it go (200 such clients
/// held about 840 MB of kernel memory between them, and kept the sandbox busy writing
/// answers nobody read; now about 70 MB, mostly their unread requests).
fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    // As `TcpListener::bind` does: a restarted sandbox can take its port straight back.
    socket.set_reuseaddr(true)?;
    socket.set_send_buffer_size(SEND_BUFFER)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// The two bounds on connections (handshakes in progress and connections answered once,
/// and keep-alive connections) and the two deadlines that make sure they are given back.
#[derive(Clone)]
struct Limits {
    handshakes: Arc<Semaphore>,
    connections: Arc<Semaphore>,
    handshake_deadline: Duration,
    write_deadline: Duration,
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    state: Arc<State>,
    limits: Limits,
    stop: CancellationToken,
    tasks: TaskTracker,
) {
    loop {
        let handshake = tokio::select! {
            permit = limits.handshakes.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = stop.cancelled() => break,
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = stop.cancelled() => break,
        };
        match accepted {
            Ok((tcp, peer)) => {
                let acceptor = acceptor.clone();
                let state = state.clone();
                let stop = stop.clone();
                let limits = limits.clone();
                tasks.spawn(async move {
                    serve_connection(tcp, peer, acceptor, state, stop, limits, handshake).await;
                });
            }
            Err(e) => {
                // Out of file descriptors and the like: pause rather than spin.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    tracing::info!("sandbox stopped accepting connections");
}

async fn serve_connection(
    tcp: TcpStream,
    peer: SocketAddr,
    acceptor: TlsAcceptor,
    state: Arc<State>,
    stop: CancellationToken,
    limits: Limits,
    handshake: OwnedSemaphorePermit,
) {
    let _ = tcp.set_nodelay(true);
    let deadline = limits.handshake_deadline;
    let tls = tokio::select! {
        handshake = tokio::time::timeout(deadline, acceptor.accept(WriteDeadline::new(tcp, limits.write_deadline))) => match handshake {
            Ok(Ok(stream)) => stream,
            Ok(Err(e)) => {
                tracing::warn!(%peer, reason = %e, "TLS handshake refused");
                return;
            }
            Err(_) => {
                tracing::warn!(%peer, "TLS handshake timed out");
                return;
            }
        },
        () = stop.cancelled() => return,
    };
    // A keep-alive slot is spent only on a client that has authenticated. When they are all
    // taken (often by idle keep-alive connections), the client is still answered, once, and
    // the connection closed: its request is already sent and must not wait for a slot.
    let (_permit, keep_alive) = match limits.connections.clone().try_acquire_owned() {
        Ok(slot) => {
            drop(handshake);
            (slot, true)
        }
        Err(_) => (handshake, false),
    };
    let common_name: Option<Arc<str>> = tls::peer_common_name(tls.get_ref().1).map(Arc::from);
    tracing::debug!(%peer, client = common_name.as_deref().unwrap_or("?"), keep_alive, "client connected");
    let service = service_fn(move |req| routes::handle(req, state.clone(), common_name.clone()));
    let conn = http1::Builder::new()
        .keep_alive(keep_alive)
        .timer(TokioTimer::new())
        .header_read_timeout(IDLE_TIMEOUT)
        .max_buf_size(MAX_REQUEST_HEAD)
        .serve_connection(TokioIo::new(tls), service);
    tokio::pin!(conn);
    let result = tokio::select! {
        result = conn.as_mut() => result,
        () = stop.cancelled() => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = result {
        tracing::debug!(%peer, error = %e, "connection ended with an error");
    }
}
