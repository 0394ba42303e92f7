//! `eps-tracker sandbox serve`: the sandbox as a server of its own, for integrators who want
//! a Spine Tracker to point their own client (or curl) at.

use std::fs::OpenOptions;
use std::net::SocketAddr;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::exit::{self, Failure};
use crate::config::Home;
use crate::sandbox::certs::{CertDir, CertOrigin, DEFAULT_ASID};
use crate::sandbox::faults::Fault;
use crate::sandbox::pds;
use crate::sandbox::server::{self, DEFAULT_MAX_CONNECTIONS, ServerOptions};
use crate::security::spine_client::{SpineId, SpineIdKind};

#[derive(Debug, clap::Args)]
pub struct SandboxArgs {
    #[command(subcommand)]
    pub command: SandboxCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum SandboxCommand {
    /// Run the sandbox (a local Spine Tracker over mutual TLS, and PDS) until Ctrl-C.
    ///
    /// Prints the URL, where the certificates are, and a curl command that works as
    /// printed; then PDS's base and token URLs, the API key and key ID, and where the
    /// client's RSA key for signing token requests was written. Requests need a client certificate from the sandbox CA whose subject CN
    /// equals the Spine-From-Asid header.
    Serve(ServeArgs),
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:8443", value_name = "ADDR")]
    pub listen: SocketAddr,

    /// Directory for ca.pem, client.pem, client.key, server.pem, server.key: created if
    /// empty, reused if complete. Default: `certs` in the sandbox home (inside --home, or
    /// the user's data directory).
    #[arg(long, value_name = "DIR")]
    pub certs: Option<PathBuf>,

    /// ASID of the client certificate (its subject CN): 12 digits.
    #[arg(long, default_value = DEFAULT_ASID, value_name = "ASID")]
    pub asid: String,

    /// Misbehave on every request: latency=MS, drip=MS, bad-gateway, soap-fault,
    /// unavailable, truncate, drop or hang. Per request, send the header
    /// `X-Sandbox-Fault: NAME` instead.
    #[arg(long, value_name = "FAULT")]
    pub fault: Option<Fault>,

    /// Address for the PDS (patient demographics) listener: ordinary TLS with a bearer
    /// token, on a port of its own; port 0 picks a free one. Default: 127.0.0.1:8444, or a
    /// free port when --listen asks for one (so several sandboxes can run side by side).
    #[arg(long, value_name = "ADDR")]
    pub pds_listen: Option<SocketAddr>,

    /// Most keep-alive connections held at once; a client beyond them is answered once
    /// and its connection closed. Slots are taken only after the TLS handshake, which has
    /// a deadline of its own.
    #[arg(long, default_value_t = DEFAULT_MAX_CONNECTIONS, value_name = "N")]
    pub max_connections: usize,

    /// Log file (why handshakes failed, connections). Default: sandbox.log in the
    /// certificate directory. Nothing is logged to the terminal.
    #[arg(long, value_name = "FILE")]
    pub log_file: Option<PathBuf>,
}

/// `home` is the global `--home`, whose sandbox home holds the certificates by default.
pub(super) fn run(args: &SandboxArgs, home: Option<&Path>) -> ExitCode {
    match &args.command {
        SandboxCommand::Serve(serve) => {
            exit::finish(serve_until_stopped(serve, home).map_err(Failure::usage))
        }
    }
}

impl ServeArgs {
    /// The PDS listener's address: as given, else beside a fixed `--listen` port the
    /// documented 8444, else (a free port asked for) a free one too.
    fn pds_address(&self) -> SocketAddr {
        self.pds_listen.unwrap_or_else(|| {
            let port = if self.listen.port() == 0 { 0 } else { 8444 };
            SocketAddr::from(([127, 0, 0, 1], port))
        })
    }
}

fn serve_until_stopped(args: &ServeArgs, home: Option<&Path>) -> Result<(), String> {
    let asid = SpineId::parse(SpineIdKind::Asid, &args.asid).map_err(|e| e.to_string())?;
    let dir = match &args.certs {
        Some(dir) => dir.clone(),
        None => {
            Home::resolve(home, true)
                .map_err(|e| e.to_string())?
                .certs_dir
        }
    };
    let certs = CertDir::new(&dir);
    let (bundle, origin) = certs
        .load_or_create(asid.as_str())
        .map_err(|e| e.to_string())?;
    let log_path = args
        .log_file
        .clone()
        .unwrap_or_else(|| dir.join("sandbox.log"));
    let _log_guard = start_logging(&log_path)?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async {
        let mut options = ServerOptions::new(args.listen);
        options.fault = args.fault;
        options.max_connections = args.max_connections;
        let running = server::start(&bundle, options)
            .await
            .map_err(|e| e.to_string())?;
        let pds_key = pds::load_or_create_client_key(&dir)?;
        let pds = pds::PdsSandbox::start(&bundle, args.pds_address(), args.fault, &pds_key)
            .await
            .map_err(|e| e.to_string())?;
        let addr = running.local_addr();
        let shown = display_addr(addr);
        println!("listening on https://{shown}/mm");
        let verb = match origin {
            CertOrigin::Created => "made",
            CertOrigin::Reused => "reused",
        };
        println!(
            "certificates ({verb}) in {}: ca.pem, client.pem, client.key (client CN = ASID {})",
            dir.display(),
            asid
        );
        println!("PDS base URL: {}", pds.base_url());
        println!("PDS token URL: {}", pds.token_url());
        println!(
            "PDS API key: {}  key ID (kid): {}  RSA key: {}",
            pds::SANDBOX_API_KEY,
            pds::SANDBOX_KID,
            dir.join(pds::CLIENT_KEY_FILE).display()
        );
        println!("log file: {}", log_path.display());
        if let Some(fault) = args.fault {
            println!("every request gets the fault: {fault}");
        }
        println!("try a basic search:");
        println!("{}", curl_command(&certs, &shown, asid.as_str()));
        println!("Ctrl-C stops the sandbox.");
        wait_for_stop_signal().await;
        println!("stopping…");
        pds.shutdown().await;
        running.shutdown().await;
        println!("stopped");
        Ok(())
    })
}

/// The address to put in URLs: an unspecified address is reached through loopback, the
/// only address the server certificate names besides `localhost`.
fn display_addr(addr: SocketAddr) -> String {
    match addr {
        SocketAddr::V4(v4) if v4.ip().is_unspecified() => format!("127.0.0.1:{}", v4.port()),
        SocketAddr::V6(v6) if v6.ip().is_unspecified() => format!("[::1]:{}", v6.port()),
        other => other.to_string(),
    }
}

fn curl_command(certs: &CertDir, host_port: &str, asid: &str) -> String {
    format!(
        "curl --cacert {} --cert {} --key {} -H 'Accept: application/json' \
         -H 'Spine-From-Asid: {asid}' -H 'Spine-UserId: 555555555555' \
         -H 'Spine-RoleProfileId: 555555555556' -H 'Eps-TraceId: try-sandbox-1' \
         'https://{host_port}/mm/prescriptions?nhsNumber=9990548609&format=trace-summary'",
        shell_quote(&certs.ca_path()),
        shell_quote(&certs.client_cert_path()),
        shell_quote(&certs.client_key_path()),
    )
}

/// Quotes a path for a POSIX shell when it needs quoting.
fn shell_quote(path: &Path) -> String {
    let text = path.display().to_string();
    let plain = text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+".contains(c));
    if plain {
        text
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

fn start_logging(path: &Path) -> Result<tracing_appender::non_blocking::WorkerGuard, String> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("cannot open the log file {}: {e}", path.display()))?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    let filter = tracing_subscriber::EnvFilter::try_from_env("EPS_TRACKER_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Another subscriber may already be installed (a caller that logs on its own):
    // then that one receives the sandbox's events.
    let _ = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init();
    Ok(guard)
}

async fn wait_for_stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_with_spaces_are_quoted_for_the_shell() {
        assert_eq!(shell_quote(Path::new("/tmp/c/ca.pem")), "/tmp/c/ca.pem");
        assert_eq!(
            shell_quote(Path::new("/tmp/my certs/ca.pem")),
            "'/tmp/my certs/ca.pem'"
        );
        assert_eq!(
            shell_quote(Path::new("/tmp/o'k/ca.pem")),
            r"'/tmp/o'\''k/ca.pem'"
        );
    }

    #[test]
    fn pds_takes_a_free_port_when_the_tracker_listener_does() {
        #[derive(clap::Parser)]
        struct Line {
            #[command(flatten)]
            serve: ServeArgs,
        }
        let pds = |args: &[&str]| {
            let line = <Line as clap::Parser>::try_parse_from(
                std::iter::once("serve").chain(args.iter().copied()),
            )
            .unwrap();
            line.serve.pds_address().to_string()
        };
        assert_eq!(pds(&[]), "127.0.0.1:8444");
        assert_eq!(pds(&["--listen", "127.0.0.1:0"]), "127.0.0.1:0");
        assert_eq!(pds(&["--listen", "0.0.0.0:9000"]), "127.0.0.1:8444");
        assert_eq!(
            pds(&["--listen", "127.0.0.1:0", "--pds-listen", "127.0.0.1:7000"]),
            "127.0.0.1:7000"
        );
    }

    #[test]
    fn unspecified_addresses_are_shown_as_loopback() {
        assert_eq!(
            display_addr("0.0.0.0:8443".parse().unwrap()),
            "127.0.0.1:8443"
        );
        assert_eq!(display_addr("127.0.0.1:9".parse().unwrap()), "127.0.0.1:9");
    }
}
