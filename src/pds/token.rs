//! The application-restricted token flow: a JWT signed with our RSA key (RS512, `kid`,
//! `iss` = `sub` = API key, `aud` = the token URL, a fresh `jti`, `exp` within 5 minutes)
//! exchanged for a bearer token, which is cached until shortly before it expires.

use std::time::{Duration, Instant};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA512, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rustls_pki_types::PrivateKeyDer;
use rustls_pki_types::pem::PemObject;
use serde_json::{Value, json};
use thiserror::Error;
use zeroize::Zeroizing;

/// How far ahead the JWT expires: under PDS's 5-minute limit, with room for clock skew.
pub const ASSERTION_LIFETIME_SECS: i64 = 240;
/// A cached token is replaced this long before PDS says it expires.
const TOKEN_MARGIN: Duration = Duration::from_secs(30);
/// NHS England asks for 4096-bit keys; smaller than 2048 is refused outright.
pub const MIN_KEY_BITS: usize = 2048;
pub const MAX_KEY_BITS: usize = 8192;

/// Why the signing key cannot be used.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum KeyError {
    #[error(
        "the PDS key is encrypted with a passphrase: store it unencrypted (mode 0600), e.g. \
         `openssl pkey -in KEY -out KEY.plain`"
    )]
    Encrypted,
    #[error("the PDS key is not an RSA private key in PEM (PKCS#8 or PKCS#1)")]
    NotRsaPem,
    #[error(
        "the PDS key has {bits} bits: PDS needs an RSA key of {MIN_KEY_BITS} to {MAX_KEY_BITS} \
         bits (4096 recommended)"
    )]
    WrongSize { bits: usize },
}

/// The application's signing key.
pub struct SigningKey {
    key: RsaKeyPair,
    kid: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    pub fn from_pem(pem: &str, kid: &str) -> Result<Self, KeyError> {
        if pem.contains("ENCRYPTED") {
            return Err(KeyError::Encrypted);
        }
        let der = PrivateKeyDer::from_pem_slice(pem.as_bytes()).map_err(|_| KeyError::NotRsaPem)?;
        let key = match &der {
            PrivateKeyDer::Pkcs8(k) => RsaKeyPair::from_pkcs8(k.secret_pkcs8_der()),
            PrivateKeyDer::Pkcs1(k) => RsaKeyPair::from_der(k.secret_pkcs1_der()),
            _ => return Err(KeyError::NotRsaPem),
        }
        .map_err(|_| KeyError::NotRsaPem)?;
        let bits = key.public_modulus_len() * 8;
        if !(MIN_KEY_BITS..=MAX_KEY_BITS).contains(&bits) {
            return Err(KeyError::WrongSize { bits });
        }
        Ok(Self {
            key,
            kid: kid.to_owned(),
        })
    }

    /// The client assertion for one token request.
    pub fn assertion(&self, api_key: &str, token_url: &str, now_epoch: i64) -> String {
        let header = json!({"alg": "RS512", "typ": "JWT", "kid": self.kid});
        let claims = json!({
            "iss": api_key,
            "sub": api_key,
            "aud": token_url,
            "jti": uuid::Uuid::new_v4().to_string(),
            "exp": now_epoch + ASSERTION_LIFETIME_SECS,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut signature = vec![0; self.key.public_modulus_len()];
        // Signing with a checked key into a buffer of the modulus size cannot fail short of
        // a broken random source; an empty signature is then refused by the server.
        if self
            .key
            .sign(
                &RSA_PKCS1_SHA512,
                &SystemRandom::new(),
                signing_input.as_bytes(),
                &mut signature,
            )
            .is_err()
        {
            signature.clear();
        }
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }
}

/// A fresh RSA key as unencrypted PKCS#8 PEM (for the sandbox's client).
pub fn generate_key_pem() -> Option<Zeroizing<String>> {
    use aws_lc_rs::encoding::AsDer;
    let key = RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).ok()?;
    let der = key.as_der().ok()?;
    Some(pem_wrap("PRIVATE KEY", der.as_ref()))
}

/// The public half of a PEM private key, as the PKCS#1 DER the verifier takes.
pub fn public_key_der(pem: &str) -> Option<Vec<u8>> {
    use aws_lc_rs::signature::KeyPair;
    SigningKey::from_pem(pem, "")
        .ok()
        .map(|k| k.key.public_key().as_ref().to_vec())
}

fn pem_wrap(label: &str, der: &[u8]) -> Zeroizing<String> {
    let body = Zeroizing::new(STANDARD.encode(der));
    let mut pem = Zeroizing::new(format!("-----BEGIN {label}-----\n"));
    for chunk in body.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(chunk));
        pem.push('\n');
    }
    pem.push_str(&format!("-----END {label}-----\n"));
    pem
}

/// A bearer token and when to stop using it.
#[derive(Clone)]
pub struct Token {
    pub access_token: Zeroizing<String>,
    pub good_until: Instant,
}

impl Token {
    pub fn is_fresh(&self, now: Instant) -> bool {
        now < self.good_until
    }
}

/// Reads the token endpoint's 200 answer; `expires_in` is a string in PDS's answers (a
/// number is accepted too).
pub fn parse_token(body: &[u8], received: Instant) -> Option<Token> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let access_token = value.get("access_token")?.as_str()?.to_owned();
    if access_token.is_empty() || !access_token.chars().all(|c| c.is_ascii_graphic()) {
        return None;
    }
    let expires_in = match value.get("expires_in")? {
        Value::String(s) => s.trim().parse::<u64>().ok()?,
        Value::Number(n) => n.as_u64()?,
        _ => return None,
    };
    let lifetime = Duration::from_secs(expires_in).saturating_sub(TOKEN_MARGIN);
    Some(Token {
        access_token: Zeroizing::new(access_token),
        good_until: received + lifetime,
    })
}

/// The `error` and `error_description` of a refused token request, for the message.
pub fn token_refusal(body: &[u8]) -> Option<(String, String)> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let text = |k: &str| {
        value
            .get(k)
            .and_then(Value::as_str)
            .map(|s| s.chars().filter(|c| !c.is_control()).take(200).collect())
    };
    Some((
        text("error")?,
        text("error_description").unwrap_or_default(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_assertion_is_rs512_with_the_claims_pds_checks_and_verifies() {
        let pem = generate_key_pem().unwrap();
        let key = SigningKey::from_pem(&pem, "test-1").unwrap();
        let jwt = key.assertion("KEY", "https://x/oauth2/token", 1_000_000);
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(
            header,
            json!({"alg": "RS512", "typ": "JWT", "kid": "test-1"})
        );
        let claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["iss"], "KEY");
        assert_eq!(claims["sub"], "KEY");
        assert_eq!(claims["aud"], "https://x/oauth2/token");
        assert_eq!(claims["exp"], 1_000_240);
        assert_ne!(
            claims["jti"],
            serde_json::from_slice::<Value>(
                &URL_SAFE_NO_PAD
                    .decode(key.assertion("KEY", "u", 0).split('.').nth(1).unwrap())
                    .unwrap()
            )
            .unwrap()["jti"]
        );
        let public = public_key_der(&pem).unwrap();
        let verifier = aws_lc_rs::signature::UnparsedPublicKey::new(
            &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA512,
            public,
        );
        let signed = format!("{}.{}", parts[0], parts[1]);
        verifier
            .verify(
                signed.as_bytes(),
                &URL_SAFE_NO_PAD.decode(parts[2]).unwrap(),
            )
            .unwrap();
    }

    #[test]
    fn unusable_keys_are_named() {
        assert_eq!(
            SigningKey::from_pem("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n", "k").unwrap_err(),
            KeyError::Encrypted
        );
        assert_eq!(
            SigningKey::from_pem("nonsense", "k").unwrap_err(),
            KeyError::NotRsaPem
        );
        let ec = rcgen::KeyPair::generate().unwrap().serialize_pem();
        assert_eq!(
            SigningKey::from_pem(&ec, "k").unwrap_err(),
            KeyError::NotRsaPem
        );
    }

    #[test]
    fn token_answers_are_read_with_expires_in_as_a_string() {
        let now = Instant::now();
        let t = parse_token(
            br#"{"access_token":"abc","expires_in":"599","token_type":"Bearer","issued_at":"1"}"#,
            now,
        )
        .unwrap();
        assert_eq!(t.good_until, now + Duration::from_secs(569));
        assert!(parse_token(br#"{"access_token":"abc","expires_in":599}"#, now).is_some());
        assert!(parse_token(br#"{"access_token":"a b","expires_in":"599"}"#, now).is_none());
        assert!(parse_token(b"<html>", now).is_none());
    }
}
