//! Checks the certificate files before the client uses them, so a misconfiguration is
//! reported as what it is ("the key is encrypted", "the key does not belong to the
//! certificate") instead of as an obscure TLS failure on the first request.

use std::fmt;
use std::io::ErrorKind;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use rustls::crypto::CryptoProvider;
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::{self, PemObject};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use zeroize::Zeroizing;

use super::error::{ClientSetupError, SetupWarning};
use super::settings::ClientSettings;
use crate::files::PemSource;

/// A certificate this close to expiry gets a warning.
pub const EXPIRY_WARNING_DAYS: i64 = 30;

/// Which file a message is about, named as the config file names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PemRole {
    Ca,
    ClientCert,
    ClientKey,
}

impl fmt::Display for PemRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PemRole::Ca => "CA certificate (`ca`)",
            PemRole::ClientCert => "client certificate (`cert`)",
            PemRole::ClientKey => "client key (`key`)",
        })
    }
}

/// The checked PEM material, ready for reqwest.
pub struct TlsMaterial {
    pub ca_pem: Vec<u8>,
    /// Client certificate chain followed by its key, as `reqwest::Identity::from_pem` wants.
    pub identity_pem: Zeroizing<Vec<u8>>,
    pub warnings: Vec<SetupWarning>,
}

pub fn load(settings: &ClientSettings) -> Result<TlsMaterial, ClientSetupError> {
    // Whoever can change the CA or the client files chooses whom the program trusts.
    check_protected(&settings.ca, PemRole::Ca)?;
    check_protected(&settings.client_cert, PemRole::ClientCert)?;
    let ca_text = read(&settings.ca, PemRole::Ca)?;
    let ca_certs = certificates(&ca_text, &settings.ca, PemRole::Ca)?;
    let cert_text = read(&settings.client_cert, PemRole::ClientCert)?;
    let chain = certificates(&cert_text, &settings.client_cert, PemRole::ClientCert)?;
    check_key_permissions(&settings.client_key)?;
    check_protected(&settings.client_key, PemRole::ClientKey)?;
    let key_text = read(&settings.client_key, PemRole::ClientKey)?;
    let key = private_key(&key_text, &settings.client_key)?;

    let mut warnings = Vec::new();
    for ca in &ca_certs {
        check_dates(ca, &settings.ca, PemRole::Ca, &mut warnings)?;
    }
    if let Some(leaf) = chain.first() {
        check_dates(
            leaf,
            &settings.client_cert,
            PemRole::ClientCert,
            &mut warnings,
        )?;
    }
    check_key_matches(chain, key, settings)?;

    let mut identity = Zeroizing::new(Vec::with_capacity(cert_text.len() + key_text.len() + 1));
    identity.extend_from_slice(cert_text.as_bytes());
    identity.push(b'\n');
    identity.extend_from_slice(key_text.as_bytes());
    Ok(TlsMaterial {
        ca_pem: ca_text.as_bytes().to_vec(),
        identity_pem: identity,
        warnings,
    })
}

fn read(source: &PemSource, role: PemRole) -> Result<Zeroizing<String>, ClientSetupError> {
    match source {
        PemSource::Inline(text) => Ok(text.clone()),
        PemSource::File(path) => {
            match std::fs::read(path) {
                Ok(bytes) => String::from_utf8(bytes).map(Zeroizing::new).map_err(|_| {
                    ClientSetupError::NotPem {
                        role,
                        source_name: source.describe(),
                    }
                }),
                Err(e) if e.kind() == ErrorKind::NotFound => Err(ClientSetupError::Missing {
                    role,
                    path: path.clone(),
                }),
                Err(e) => Err(ClientSetupError::Unreadable {
                    role,
                    path: path.clone(),
                    reason: e.to_string(),
                }),
            }
        }
    }
}

fn certificates(
    text: &str,
    source: &PemSource,
    role: PemRole,
) -> Result<Vec<CertificateDer<'static>>, ClientSetupError> {
    let certs = CertificateDer::pem_slice_iter(text.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| ClientSetupError::NotPem {
            role,
            source_name: source.describe(),
        })?;
    if certs.is_empty() {
        return Err(ClientSetupError::NoCertificate {
            role,
            source_name: source.describe(),
        });
    }
    Ok(certs)
}

/// An encrypted key has its own PEM labels, which the key parser would silently skip;
/// look for them first so the user hears "encrypted", not "no key".
fn is_encrypted(text: &str) -> bool {
    text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")
        || text.contains("Proc-Type: 4,ENCRYPTED")
}

fn private_key(text: &str, source: &PemSource) -> Result<PrivateKeyDer<'static>, ClientSetupError> {
    if is_encrypted(text) {
        return Err(ClientSetupError::EncryptedKey {
            source_name: source.describe(),
        });
    }
    match PrivateKeyDer::from_pem_slice(text.as_bytes()) {
        Ok(key) => Ok(key),
        Err(pem::Error::NoItemsFound) => Err(ClientSetupError::NoKey {
            source_name: source.describe(),
        }),
        Err(_) => Err(ClientSetupError::NotPem {
            role: PemRole::ClientKey,
            source_name: source.describe(),
        }),
    }
}

/// Refuses a certificate or key file that group or others can change, or that another
/// account owns (a missing file is reported by `read`).
fn check_protected(source: &PemSource, role: PemRole) -> Result<(), ClientSetupError> {
    let PemSource::File(path) = source else {
        return Ok(());
    };
    crate::files::check_protected(path).map_err(|e| ClientSetupError::Unprotected {
        role,
        reason: e.to_string(),
    })
}

fn check_key_permissions(source: &PemSource) -> Result<(), ClientSetupError> {
    use std::os::unix::fs::PermissionsExt;
    let PemSource::File(path) = source else {
        return Ok(());
    };
    // A missing or unreadable file is reported by `read`, with the right words.
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(());
    };
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(ClientSetupError::KeyPermissions {
            path: path.clone(),
            mode,
        });
    }
    Ok(())
}

fn check_dates(
    der: &CertificateDer<'_>,
    source: &PemSource,
    role: PemRole,
    warnings: &mut Vec<SetupWarning>,
) -> Result<(), ClientSetupError> {
    let (_, cert) =
        x509_parser::parse_x509_certificate(der).map_err(|_| ClientSetupError::NotPem {
            role,
            source_name: source.describe(),
        })?;
    let validity = cert.validity();
    let now = Utc::now();
    let date = |ts: i64| DateTime::from_timestamp(ts, 0).map_or(NaiveDate::MIN, |d| d.date_naive());
    let not_before = validity.not_before.timestamp();
    let not_after = validity.not_after.timestamp();
    if now.timestamp() < not_before {
        return Err(ClientSetupError::NotYetValid {
            role,
            source_name: source.describe(),
            date: date(not_before),
        });
    }
    if now.timestamp() > not_after {
        return Err(ClientSetupError::Expired {
            role,
            source_name: source.describe(),
            date: date(not_after),
        });
    }
    let days_left = (not_after - now.timestamp()) / 86_400;
    if days_left < EXPIRY_WARNING_DAYS {
        warnings.push(SetupWarning::ExpiresSoon {
            role,
            source_name: source.describe(),
            days_left,
            date: date(not_after),
        });
    }
    Ok(())
}

fn check_key_matches(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    settings: &ClientSettings,
) -> Result<(), ClientSetupError> {
    let provider: Arc<CryptoProvider> = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    match CertifiedKey::from_der(chain, key, &provider) {
        Ok(_) => Ok(()),
        Err(rustls::Error::InconsistentKeys(_)) => Err(ClientSetupError::KeyMismatch {
            key: settings.client_key.describe(),
            cert: settings.client_cert.describe(),
        }),
        Err(e) => Err(ClientSetupError::UnusableKey {
            source_name: settings.client_key.describe(),
            reason: e.to_string(),
        }),
    }
}
