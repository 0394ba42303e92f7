//! `TrackerClient`: the production client for the Spine Tracker, reqwest over rustls with
//! mutual TLS. The same code talks to the sandbox and to real Spine; only `ClientSettings`
//! differ.
//!
//! Cancellation is dropping the future returned by `fetch`: it owns the whole request, so
//! dropping it closes or abandons the connection and nothing keeps running behind it.

mod error;
mod identity;
mod material;
mod settings;
mod transport;

use std::time::{Duration, Instant};

use reqwest::Url;

use crate::tracker::decode;
use crate::tracker::model::TrackerResponse;
use crate::tracker::query::TrackerRequest;

pub use error::{ClientSetupError, FetchError, FetchFailure, SetupWarning, TransportError};
pub use identity::{MAX_TRACE_ID_LEN, SpineId, SpineIdError, SpineIdKind, SpineIdentity, TraceId};
pub use material::{EXPIRY_WARNING_DAYS, PemRole, TlsMaterial, load as check_material};
pub use settings::{
    ClientSettings, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BODY_BYTES, DEFAULT_TOTAL_TIMEOUT,
    EnvironmentConfig,
};

use transport::Target;

/// A configured, checked client for one Spine environment. Cheap to clone (the connection
/// pool is shared).
#[derive(Debug, Clone)]
pub struct TrackerClient {
    http: reqwest::Client,
    base: Url,
    asid: SpineId,
    host: String,
    host_port: String,
    connect_timeout: Duration,
    total_timeout: Duration,
    max_body_bytes: usize,
    warnings: Vec<SetupWarning>,
}

/// A decoded Tracker answer.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The `Eps-TraceId` sent: show it, so the user can quote it to the service desk.
    pub trace_id: TraceId,
    pub response: TrackerResponse,
    pub elapsed: Duration,
}

/// A complete HTTP answer, before decoding.
struct RawReply {
    status: u16,
    body: Vec<u8>,
}

impl TrackerClient {
    /// Checks the certificate files and builds the client. Fails with a specific message
    /// for each kind of misconfiguration; certificates close to expiry give `warnings()`.
    pub fn new(settings: &ClientSettings) -> Result<Self, ClientSetupError> {
        let asid =
            SpineId::parse(SpineIdKind::Asid, &settings.asid).map_err(ClientSetupError::BadAsid)?;
        let base = parse_base_url(&settings.base_url)?;
        let host = base.host_str().unwrap_or_default().to_owned();
        let port = base.port_or_known_default().unwrap_or(443);
        let material = material::load(settings)?;
        let http_error = |e: reqwest::Error| ClientSetupError::Http(e.to_string());
        let ca = reqwest::Certificate::from_pem_bundle(&material.ca_pem).map_err(http_error)?;
        let identity = reqwest::Identity::from_pem(&material.identity_pem).map_err(http_error)?;
        let http = reqwest::Client::builder()
            .tls_certs_only(ca)
            .identity(identity)
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.total_timeout)
            // Shorter than the idle limit of common gateways, so a pooled connection is not
            // reused just as the server closes it.
            .pool_idle_timeout(Duration::from_secs(20))
            .user_agent(concat!("eps-tracker/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(http_error)?;
        Ok(Self {
            http,
            base,
            asid,
            host_port: format!("{host}:{port}"),
            host,
            connect_timeout: settings.connect_timeout,
            total_timeout: settings.total_timeout,
            max_body_bytes: settings.max_body_bytes,
            warnings: material.warnings,
        })
    }

    /// Things the user should hear about although the client works (a certificate about
    /// to expire).
    pub fn warnings(&self) -> &[SetupWarning] {
        &self.warnings
    }

    /// Sends one request and decodes the answer, with the trace ID the attempt recorded.
    /// Visible inside `security` only: the gate calls it after checking the session and the
    /// role and recording the attempt, and nothing else can. Callers validate the request first
    /// (`TrackerRequest::validate`) to catch what Spine would refuse.
    ///
    /// Dropping the returned future cancels the request.
    pub(in crate::security) async fn fetch(
        &self,
        trace_id: TraceId,
        request: &TrackerRequest,
        identity: &SpineIdentity,
    ) -> Result<Fetched, FetchError> {
        let started = Instant::now();
        let path = request.path();
        // Request paths start at Spine's base path `/mm`, which `base_url` already ends in.
        let relative = path.strip_prefix("/mm").unwrap_or(&path);
        let sent = self
            .send(relative, &request.params(), identity, &trace_id)
            .await;
        let decoded = sent.map_err(FetchFailure::Transport).and_then(|reply| {
            decode(Some(reply.status), &reply.body)
                .map_err(|e| FetchFailure::Response(e.on(request.endpoint())))
        });
        let elapsed = started.elapsed();
        match decoded {
            Ok(response) => Ok(Fetched {
                trace_id,
                response,
                elapsed,
            }),
            Err(failure) => Err(FetchError {
                trace_id,
                elapsed,
                failure,
            }),
        }
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        self.base.as_str()
    }

    fn url(&self, path: &str, params: &[(&str, String)]) -> Url {
        let mut url = self.base.clone();
        let joined = format!("{}{}", self.base.path().trim_end_matches('/'), path);
        url.set_path(&joined);
        if !params.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(params.iter().map(|(k, v)| (*k, v.as_str())));
        }
        url
    }

    async fn send(
        &self,
        path: &str,
        params: &[(&str, String)],
        identity: &SpineIdentity,
        trace_id: &TraceId,
    ) -> Result<RawReply, TransportError> {
        let target = Target {
            host: &self.host,
            host_port: &self.host_port,
            connect_secs: self.connect_timeout.as_secs(),
            total_secs: self.total_timeout.as_secs(),
        };
        let mut response = self
            .http
            .get(self.url(path, params))
            .header(reqwest::header::ACCEPT, "application/json")
            .header("Spine-From-Asid", self.asid.as_str())
            .header("Spine-UserId", identity.user_id.as_str())
            .header("Spine-RoleProfileId", identity.role_profile_id.as_str())
            .header("Eps-TraceId", trace_id.as_str())
            .send()
            .await
            .map_err(|e| transport::classify(&e, &target))?;
        let status = response.status().as_u16();
        let too_large = TransportError::TooLarge {
            limit: self.max_body_bytes,
        };
        if response
            .content_length()
            .is_some_and(|len| len > self.max_body_bytes as u64)
        {
            return Err(too_large);
        }
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > self.max_body_bytes {
                        return Err(too_large);
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) if e.is_timeout() => {
                    return Err(TransportError::NoAnswer {
                        secs: target.total_secs,
                    });
                }
                Err(_) => {
                    return Err(TransportError::CutOff {
                        received: body.len(),
                    });
                }
            }
        }
        Ok(RawReply { status, body })
    }
}

fn parse_base_url(text: &str) -> Result<Url, ClientSetupError> {
    let bad = |reason: &str| ClientSetupError::BadBaseUrl {
        url: text.to_owned(),
        reason: reason.to_owned(),
    };
    let url = Url::parse(text.trim()).map_err(|e| bad(&e.to_string()))?;
    if url.scheme() != "https" {
        return Err(bad("it must start with https:// (Spine needs mutual TLS)"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("it names no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("it must not carry a query or fragment"));
    }
    Ok(url)
}

/// A failed TLS handshake in the words `fetch` uses (for `doctor`, which shakes hands
/// without sending a request).
pub fn describe_tls_failure(error: &rustls::Error, host: &str, host_port: &str) -> TransportError {
    transport::describe_rustls(
        error,
        &Target {
            host,
            host_port,
            connect_secs: 0,
            total_secs: 0,
        },
    )
}
