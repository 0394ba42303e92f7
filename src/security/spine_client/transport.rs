//! Turns reqwest's errors into `TransportError`s a helpdesk user can act on, by walking the
//! error's causes for the rustls, hyper and I/O errors underneath.

use std::error::Error as StdError;
use std::io;

use rustls::{AlertDescription, CertificateError};

use super::error::TransportError;

/// Where the request went, for messages.
pub(super) struct Target<'a> {
    pub host: &'a str,
    pub host_port: &'a str,
    pub connect_secs: u64,
    pub total_secs: u64,
}

pub(super) fn classify(err: &reqwest::Error, target: &Target<'_>) -> TransportError {
    if let Some(tls) = find::<rustls::Error>(err) {
        return describe_rustls(tls, target);
    }
    if err.is_timeout() {
        return if err.is_connect() {
            TransportError::ConnectTimeout {
                host_port: target.host_port.to_owned(),
                secs: target.connect_secs,
            }
        } else {
            TransportError::NoAnswer {
                secs: target.total_secs,
            }
        };
    }
    if let Some(io) = find::<io::Error>(err) {
        match io.kind() {
            io::ErrorKind::ConnectionRefused => {
                return TransportError::ConnectionRefused {
                    host_port: target.host_port.to_owned(),
                };
            }
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::UnexpectedEof
            | io::ErrorKind::BrokenPipe
                if !err.is_connect() =>
            {
                return TransportError::ConnectionDropped;
            }
            _ => {}
        }
    }
    if let Some(hyper_err) = find::<hyper::Error>(err)
        && hyper_err.is_incomplete_message()
    {
        return TransportError::ConnectionDropped;
    }
    if err.is_connect() && chain_mentions(err, "dns error") {
        return TransportError::HostNotFound {
            host: target.host.to_owned(),
        };
    }
    TransportError::Other {
        host_port: target.host_port.to_owned(),
        detail: innermost(err),
    }
}

pub(super) fn describe_rustls(tls: &rustls::Error, target: &Target<'_>) -> TransportError {
    match tls {
        rustls::Error::InvalidCertificate(CertificateError::NotValidForName)
        | rustls::Error::InvalidCertificate(CertificateError::NotValidForNameContext { .. }) => {
            TransportError::ServerNameMismatch {
                host: target.host.to_owned(),
            }
        }
        rustls::Error::InvalidCertificate(cert_err) => TransportError::ServerCertUntrusted {
            detail: describe_certificate_error(cert_err),
        },
        rustls::Error::AlertReceived(alert) if is_client_cert_alert(*alert) => {
            TransportError::ClientCertRejected {
                alert: describe_alert(*alert),
            }
        }
        other => TransportError::Tls {
            host_port: target.host_port.to_owned(),
            detail: other.to_string(),
        },
    }
}

/// Alerts a server sends when it does not accept the certificate we presented (or that we
/// presented none).
fn is_client_cert_alert(alert: AlertDescription) -> bool {
    matches!(
        alert,
        AlertDescription::BadCertificate
            | AlertDescription::UnsupportedCertificate
            | AlertDescription::CertificateRevoked
            | AlertDescription::CertificateExpired
            | AlertDescription::CertificateUnknown
            | AlertDescription::UnknownCA
            | AlertDescription::AccessDenied
            | AlertDescription::CertificateRequired
            | AlertDescription::DecryptError
    )
}

fn describe_alert(alert: AlertDescription) -> String {
    match alert {
        AlertDescription::CertificateExpired => "it says our certificate has expired".into(),
        AlertDescription::UnknownCA => "it does not know the CA that issued it".into(),
        AlertDescription::CertificateRequired => "it needs one and none was sent".into(),
        AlertDescription::CertificateRevoked => "it says our certificate was revoked".into(),
        AlertDescription::AccessDenied => "access denied".into(),
        other => format!("TLS alert {other:?}"),
    }
}

fn describe_certificate_error(err: &CertificateError) -> String {
    match err {
        CertificateError::UnknownIssuer => "it was issued by a CA we do not trust".into(),
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            "it has expired".into()
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            "it is not valid yet (check this computer's clock)".into()
        }
        CertificateError::BadSignature => "its signature does not verify".into(),
        CertificateError::Revoked => "it has been revoked".into(),
        other => format!("{other:?}"),
    }
}

/// The next cause of an error. An `io::Error` wrapping another error reports that error's
/// *source* as its own, skipping the wrapped error itself (where rustls puts its errors),
/// so step into the payload instead.
fn cause<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a (dyn StdError + 'static)> {
    if let Some(io) = err.downcast_ref::<io::Error>()
        && let Some(inner) = io.get_ref()
    {
        return Some(inner);
    }
    err.source()
}

fn find<'a, T: StdError + 'static>(err: &'a (dyn StdError + 'static)) -> Option<&'a T> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        current = cause(e);
    }
    None
}

fn chain_mentions(err: &(dyn StdError + 'static), needle: &str) -> bool {
    let mut current: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = current {
        if e.to_string().contains(needle) {
            return true;
        }
        current = cause(e);
    }
    false
}

fn innermost(err: &(dyn StdError + 'static)) -> String {
    let mut last = err;
    while let Some(next) = cause(last) {
        last = next;
    }
    last.to_string()
}
