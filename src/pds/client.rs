//! `PdsClient`: reqwest over rustls to PDS with a bearer token from the signed-JWT flow.
//! Every call carries `X-Request-ID` (a UUID, the same on a retry, as PDS de-duplicates
//! on it) and `X-Correlation-ID` (the trace ID the gate recorded). Calls are spaced to
//! PDS's default 5 per second, and 429/502/503 are retried with backoff.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use reqwest::{StatusCode, Url};
use thiserror::Error;
use tokio::sync::Mutex;
use zeroize::Zeroizing;

use super::decode::{self, MAX_BODY_BYTES, PdsAnswer};
use super::errors::{NotPds, PdsCode, PdsOutcome};
use super::query::PdsRequest;
use super::settings::PdsSettings;
use super::token::{KeyError, SigningKey, Token, parse_token, token_refusal};
use crate::files::PemSource;

/// PDS's default rate limit per application.
const CALLS_PER_SECOND: usize = 5;
/// The window the limit is kept over: a second, plus a margin because PDS counts calls
/// when they arrive and a first call's connection set-up can delay it past later ones.
const RATE_WINDOW: Duration = Duration::from_millis(1250);
/// Waits before the retries of a 429, 502 or 503.
const BACKOFF: [Duration; 3] = [
    Duration::from_millis(250),
    Duration::from_millis(500),
    Duration::from_secs(1),
];

/// Why the client cannot be built.
#[derive(Debug, Error)]
pub enum PdsSetupError {
    #[error("the PDS {what} file {path} cannot be read: {reason}")]
    Unreadable {
        what: &'static str,
        path: String,
        reason: String,
    },
    #[error(
        "the PDS key file {path} can be read by other users (mode {mode:o}): run `chmod 600 {path}`"
    )]
    KeyPermissions { path: String, mode: u32 },
    #[error("{0}")]
    Key(KeyError),
    #[error("the PDS {what} `{url}` is not an https URL")]
    BadUrl { what: &'static str, url: String },
    #[error("the PDS CA file is not a PEM certificate: {0}")]
    Ca(String),
    #[error("the PDS API key or key ID is empty")]
    MissingId,
    #[error("cannot set up HTTPS for PDS: {0}")]
    Http(String),
}

/// Why a PDS call did not give a patient.
#[derive(Debug, Error)]
pub enum PdsError {
    #[error("PDS is not set up for this environment: add an [environments.NAME.pds] table")]
    NotConfigured,
    #[error("{0}")]
    Setup(PdsSetupError),
    #[error(
        "the PDS token endpoint refused our signed request (HTTP {status}: {error} {description}): \
         check api_key, kid and key in the PDS settings"
    )]
    TokenRefused {
        status: u16,
        error: String,
        description: String,
    },
    #[error("the PDS token endpoint answered HTTP {status} with something that is not a token")]
    TokenUnreadable { status: u16 },
    #[error(
        "PDS refused the access token twice, even a fresh one: ask whoever manages the PDS settings"
    )]
    TokenRejected,
    #[error("cannot reach PDS ({what}): {detail}")]
    Network { what: &'static str, detail: String },
    #[error("{0}")]
    Outcome(PdsOutcome),
    #[error("PDS answered HTTP {status} with something that is not PDS's: {reason}")]
    NotPds { status: u16, reason: NotPds },
    #[error("PDS answered a retrieve with a search result, or a search with a single patient")]
    WrongShape,
}

impl PdsError {
    /// The PDS error code, when PDS gave one.
    pub fn code(&self) -> Option<&PdsCode> {
        match self {
            Self::Outcome(o) => Some(&o.code),
            _ => None,
        }
    }
}

/// A decoded PDS answer with the IDs sent.
#[derive(Debug, Clone)]
pub struct PdsReply {
    pub answer: PdsAnswer,
    pub request_id: String,
    /// How long the call took, token exchange included.
    pub elapsed: Duration,
    /// Whether a new token was fetched for this call.
    pub fetched_token: bool,
}

/// A configured client for one PDS environment; share it with `Arc`.
pub struct PdsClient {
    http: reqwest::Client,
    base: Url,
    token_url: String,
    api_key: String,
    key: SigningKey,
    token: Mutex<Option<Token>>,
    recent: Mutex<VecDeque<Instant>>,
}

impl std::fmt::Debug for PdsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PdsClient")
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

impl PdsClient {
    /// Checks the settings (URLs, key file mode, key type and size, CA) before first use.
    pub fn new(settings: &PdsSettings) -> Result<Self, PdsSetupError> {
        if settings.api_key.trim().is_empty() || settings.kid.trim().is_empty() {
            return Err(PdsSetupError::MissingId);
        }
        let https = |what, url: &str| {
            Url::parse(url)
                .ok()
                .filter(|u| u.scheme() == "https" && u.host_str().is_some())
                .ok_or_else(|| PdsSetupError::BadUrl {
                    what,
                    url: url.to_owned(),
                })
        };
        let mut base = https("base_url", &settings.base_url)?;
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        https("token_url", &settings.token_url)?;
        let key_pem = read(&settings.key, "key", true)?;
        let key = SigningKey::from_pem(&key_pem, &settings.kid).map_err(PdsSetupError::Key)?;
        let mut builder = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.total_timeout)
            .pool_idle_timeout(Duration::from_secs(20))
            .user_agent(concat!("eps-tracker/", env!("CARGO_PKG_VERSION")));
        if let Some(ca) = &settings.ca {
            let pem = read(ca, "CA", false)?;
            let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
                .map_err(|e| PdsSetupError::Ca(e.to_string()))?;
            if certs.is_empty() {
                return Err(PdsSetupError::Ca("no certificate in it".into()));
            }
            builder = builder.tls_certs_only(certs);
        }
        let http = builder
            .build()
            .map_err(|e| PdsSetupError::Http(e.to_string()))?;
        Ok(Self {
            http,
            base,
            token_url: settings.token_url.clone(),
            api_key: settings.api_key.clone(),
            key,
            token: Mutex::new(None),
            recent: Mutex::new(VecDeque::new()),
        })
    }

    /// Sends one request; `correlation_id` goes out as `X-Correlation-ID`. An expired or
    /// revoked token gets one fresh token and one more try.
    pub async fn send(
        &self,
        request: &PdsRequest,
        correlation_id: &str,
    ) -> Result<PdsReply, PdsError> {
        let started = Instant::now();
        let request_id = uuid::Uuid::new_v4().to_string();
        let (path, query) = request.path_and_query();
        let mut url = self.base.join(&path).map_err(|e| PdsError::Network {
            what: "URL",
            detail: e.to_string(),
        })?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query.iter());
        }
        let mut fetched_token = false;
        let mut answer = None;
        for attempt in 0..2 {
            let (token, fresh) = self.bearer(attempt > 0).await?;
            fetched_token |= fresh;
            let (status, body) = self
                .get_with_backoff(&url, &token, &request_id, correlation_id)
                .await?;
            let decoded = decode::decode(&body, Some(status.as_u16()));
            let denied = status == StatusCode::UNAUTHORIZED
                && matches!(&decoded, Ok(PdsAnswer::Outcome { outcome }) if outcome.code == PdsCode::AccessDenied);
            if denied {
                *self.token.lock().await = None;
                if attempt == 0 {
                    continue;
                }
                return Err(PdsError::TokenRejected);
            }
            answer = Some(decoded.map_err(|reason| PdsError::NotPds {
                status: status.as_u16(),
                reason,
            })?);
            break;
        }
        let answer = answer.ok_or(PdsError::TokenRejected)?;
        let answer = match (request, answer) {
            (_, PdsAnswer::Outcome { outcome }) => return Err(PdsError::Outcome(outcome)),
            (PdsRequest::Retrieve(asked), PdsAnswer::Patient { mut patient }) => {
                let asked = asked.as_digits();
                if patient.nhs_number != asked {
                    patient.superseded_from = Some(asked);
                }
                PdsAnswer::Patient { patient }
            }
            (PdsRequest::Search(_), answer @ PdsAnswer::Search { .. }) => answer,
            _ => return Err(PdsError::WrongShape),
        };
        Ok(PdsReply {
            answer,
            request_id,
            elapsed: started.elapsed(),
            fetched_token,
        })
    }

    /// The cached token, or a new one (always new when `renew`); says whether it is new.
    async fn bearer(&self, renew: bool) -> Result<(Zeroizing<String>, bool), PdsError> {
        let mut cached = self.token.lock().await;
        if !renew && let Some(token) = cached.as_ref().filter(|t| t.is_fresh(Instant::now())) {
            return Ok((token.access_token.clone(), false));
        }
        let token = self.fetch_token().await?;
        let access = token.access_token.clone();
        *cached = Some(token);
        Ok((access, true))
    }

    /// The token endpoint is the identity service's, not PDS's: it is not paced with the
    /// PDS calls.
    async fn fetch_token(&self) -> Result<Token, PdsError> {
        let assertion = Zeroizing::new(self.key.assertion(
            &self.api_key,
            &self.token_url,
            chrono::Utc::now().timestamp(),
        ));
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "client_credentials")
            .append_pair(
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            )
            .append_pair("client_assertion", &assertion)
            .finish();
        let response = self
            .http
            .post(&self.token_url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .map_err(|e| network("token endpoint", &e))?;
        let status = response.status().as_u16();
        let body = read_body(response).await?;
        if status == 200 {
            return parse_token(&body, Instant::now()).ok_or(PdsError::TokenUnreadable { status });
        }
        match token_refusal(&body) {
            Some((error, description)) => Err(PdsError::TokenRefused {
                status,
                error,
                description,
            }),
            None => Err(PdsError::TokenUnreadable { status }),
        }
    }

    async fn get_with_backoff(
        &self,
        url: &Url,
        token: &str,
        request_id: &str,
        correlation_id: &str,
    ) -> Result<(StatusCode, Vec<u8>), PdsError> {
        let mut waits = BACKOFF.iter();
        loop {
            self.pace().await;
            let response = self
                .http
                .get(url.clone())
                .bearer_auth(token)
                .header("X-Request-ID", request_id)
                .header("X-Correlation-ID", correlation_id)
                .header("Accept", "application/fhir+json")
                .send()
                .await
                .map_err(|e| network("Patient", &e))?;
            let status = response.status();
            let retry = matches!(status.as_u16(), 429 | 502 | 503);
            match waits.next() {
                Some(wait) if retry => {
                    drop(response);
                    tokio::time::sleep(*wait).await;
                }
                _ => return Ok((status, read_body(response).await?)),
            }
        }
    }

    /// Waits until sending keeps us within `CALLS_PER_SECOND`.
    async fn pace(&self) {
        let mut recent = self.recent.lock().await;
        let now = Instant::now();
        while recent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= RATE_WINDOW)
        {
            recent.pop_front();
        }
        if recent.len() >= CALLS_PER_SECOND
            && let Some(oldest) = recent.pop_front()
        {
            tokio::time::sleep_until((oldest + RATE_WINDOW).into()).await;
        }
        recent.push_back(Instant::now());
    }
}

/// Reads a body up to the decoder's limit; more is refused without reading it all.
async fn read_body(mut response: reqwest::Response) -> Result<Vec<u8>, PdsError> {
    let status = response.status().as_u16();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| network("answer", &e))? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(PdsError::NotPds {
                status,
                reason: NotPds::TooLarge {
                    limit: MAX_BODY_BYTES,
                },
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn network(what: &'static str, error: &reqwest::Error) -> PdsError {
    let detail = if error.is_timeout() {
        "no answer in time".to_owned()
    } else if error.is_connect() {
        format!("cannot connect: {}", innermost(error))
    } else {
        innermost(error)
    };
    PdsError::Network { what, detail }
}

fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

fn read(
    source: &PemSource,
    what: &'static str,
    secret: bool,
) -> Result<Zeroizing<String>, PdsSetupError> {
    match source {
        PemSource::Inline(text) => Ok(text.clone()),
        PemSource::File(path) => {
            let shown = path.display().to_string();
            if secret {
                use std::os::unix::fs::PermissionsExt;
                if let Ok(meta) = std::fs::metadata(path) {
                    let mode = meta.permissions().mode() & 0o777;
                    if mode & 0o077 != 0 {
                        return Err(PdsSetupError::KeyPermissions { path: shown, mode });
                    }
                }
            }
            std::fs::read(path)
                .map_err(|e| e.to_string())
                .and_then(|b| String::from_utf8(b).map_err(|_| "it is not text".to_owned()))
                .map(Zeroizing::new)
                .map_err(|reason| PdsSetupError::Unreadable {
                    what,
                    path: shown,
                    reason,
                })
        }
    }
}
