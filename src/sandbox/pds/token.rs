//! The sandbox's `/oauth2/token`: checks the signed client assertion as NHS England's
//! identity service does (RS512 only, a known `kid`, the signature, `aud` = this token
//! URL, `exp` not past and at most 5 minutes ahead (310 s allowed), `iss` = `sub` = the
//! API key, `jti` never reused) and hands out bearer tokens valid for 599 seconds.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA512, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

/// How long a token lasts, as PDS's `expires_in` says.
pub(super) const TOKEN_SECS: u64 = 599;
/// The furthest ahead `exp` may be: 5 minutes, and 10 seconds of grace.
const MAX_EXP_AHEAD: i64 = 310;

/// The registered application: its API key, key ID and public key.
pub(super) struct Registration {
    pub api_key: String,
    pub kid: String,
    pub public_key: Vec<u8>,
}

/// Tokens issued and assertion IDs seen.
pub(super) struct TokenDesk {
    registration: Registration,
    token_url: String,
    issued: Mutex<HashMap<String, Instant>>,
    seen_jti: Mutex<HashSet<String>>,
}

/// The status and JSON body to answer.
pub(super) type Answer = (u16, Value);

impl TokenDesk {
    pub(super) fn new(registration: Registration, token_url: String) -> Self {
        Self {
            registration,
            token_url,
            issued: Mutex::new(HashMap::new()),
            seen_jti: Mutex::new(HashSet::new()),
        }
    }

    /// Whether a bearer token is one we issued and still valid.
    pub(super) fn accepts(&self, token: &str) -> bool {
        self.issued
            .lock()
            .is_ok_and(|t| t.get(token).is_some_and(|until| Instant::now() < *until))
    }

    /// Forgets every token issued (as if they were revoked): clients must fetch new ones.
    pub(super) fn revoke_all(&self) {
        if let Ok(mut tokens) = self.issued.lock() {
            tokens.clear();
        }
    }

    /// Answers one token request; `content_type` is the request's header.
    pub(super) fn exchange(
        &self,
        content_type: Option<&str>,
        body: &[u8],
        now_epoch: i64,
    ) -> Answer {
        if content_type.map(|c| c.split(';').next().unwrap_or("").trim())
            != Some("application/x-www-form-urlencoded")
        {
            return invalid_request("Content-Type must be application/x-www-form-urlencoded");
        }
        let form: HashMap<String, String> = form_urlencoded::parse(body).into_owned().collect();
        if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
            return (
                400,
                error_body(
                    "unsupported_grant_type",
                    "grant_type is missing or not client_credentials",
                ),
            );
        }
        if form.get("client_assertion_type").map(String::as_str)
            != Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        {
            return invalid_request(
                "Missing or invalid client_assertion_type - must be 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'",
            );
        }
        let Some(assertion) = form.get("client_assertion") else {
            return invalid_request("Missing client_assertion");
        };
        match self.check(assertion, now_epoch) {
            Ok(()) => self.issue(),
            Err(answer) => answer,
        }
    }

    fn check(&self, assertion: &str, now: i64) -> Result<(), Answer> {
        let malformed = || invalid_request("Malformed JWT in client_assertion");
        let parts: Vec<&str> = assertion.split('.').collect();
        let [header, claims, signature] = parts.as_slice() else {
            return Err(malformed());
        };
        let decode = |part: &str| -> Option<Value> {
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()
        };
        let (Some(head), Some(body), Ok(sig)) = (
            decode(header),
            decode(claims),
            URL_SAFE_NO_PAD.decode(signature),
        ) else {
            return Err(malformed());
        };
        let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        let Some(kid) = text(&head, "kid") else {
            return Err(invalid_request("Missing 'kid' header in JWT"));
        };
        if text(&head, "alg").as_deref() != Some("RS512") {
            return Err(invalid_request(
                "Invalid 'alg' header in JWT - unsupported JWT algorithm - must be 'RS512'",
            ));
        }
        let (iss, sub) = (text(&body, "iss"), text(&body, "sub"));
        let Some(iss) = iss.filter(|i| Some(i) == sub.as_ref()) else {
            return Err(invalid_request(
                "Missing or non-matching iss/sub claims in JWT",
            ));
        };
        let Some(jti) = text(&body, "jti") else {
            return Err(invalid_request("Missing jti claim in JWT"));
        };
        let Some(exp) = body.get("exp").and_then(Value::as_i64) else {
            return Err(invalid_request("Missing exp claim in JWT"));
        };
        if exp < now {
            return Err(invalid_request(
                "Invalid exp claim in JWT - JWT has expired",
            ));
        }
        if exp > now + MAX_EXP_AHEAD {
            return Err(invalid_request(
                "Invalid exp claim in JWT - more than 5 minutes in future",
            ));
        }
        if iss != self.registration.api_key {
            return Err(unauthorized("Invalid iss/sub claims in JWT"));
        }
        if kid != self.registration.kid {
            return Err(unauthorized(
                "Invalid 'kid' header in JWT - no matching public key",
            ));
        }
        let signed = format!("{header}.{claims}");
        let key =
            UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA512, &self.registration.public_key);
        if key.verify(signed.as_bytes(), &sig).is_err() {
            return Err(unauthorized("Unable to verify JWT"));
        }
        if text(&body, "aud").as_deref() != Some(self.token_url.as_str()) {
            return Err(unauthorized("Invalid 'aud' claim in JWT"));
        }
        // Recorded only once the signature is good, so junk cannot use up IDs.
        let fresh = self
            .seen_jti
            .lock()
            .map(|mut seen| seen.insert(jti))
            .unwrap_or(false);
        if !fresh {
            return Err(invalid_request("Non-unique jti claim in JWT"));
        }
        Ok(())
    }

    fn issue(&self) -> Answer {
        let token = uuid::Uuid::new_v4().simple().to_string();
        if let Ok(mut tokens) = self.issued.lock() {
            let now = Instant::now();
            tokens.retain(|_, until| *until > now);
            tokens.insert(token.clone(), now + Duration::from_secs(TOKEN_SECS));
        }
        (
            200,
            json!({
                "access_token": token,
                "expires_in": TOKEN_SECS.to_string(),
                "token_type": "Bearer",
                "issued_at": chrono::Utc::now().timestamp_millis().to_string(),
            }),
        )
    }
}

fn error_body(error: &str, description: &str) -> Value {
    json!({
        "error": error,
        "error_description": description,
        "message_id": uuid::Uuid::new_v4().to_string(),
    })
}

fn invalid_request(description: &str) -> Answer {
    (400, error_body("invalid_request", description))
}

fn unauthorized(description: &str) -> Answer {
    (401, error_body("invalid_request", description))
}
