//! One record as an RFC 5424 syslog message: header, structured data with its sequence
//! number and hash, and the record's exact JSON line as MSG.

use serde::Deserialize;

use super::settings::ForwardSettings;
use crate::security::audit::record::{Event, Outcome};

/// The structured-data ID: `eps` under IANA's example enterprise number (RFC 5612).
const SD_ID: &str = "eps@32473";

/// The fields of a record a syslog header needs.
#[derive(Deserialize)]
struct Header {
    seq: u64,
    ts: String,
    event: Event,
    #[serde(default)]
    outcome: Option<Outcome>,
    #[serde(default)]
    host: Option<String>,
    #[serde(default)]
    hash: Option<String>,
    #[serde(default)]
    chain: Option<String>,
}

/// Severity by event: refusals and failed sign-ins are warnings, a damaged or resealed
/// trail is critical, the rest is informational.
fn severity(header: &Header) -> u8 {
    match (header.event, header.outcome) {
        (Event::ChainBreak, _) | (_, Some(Outcome::Tampered)) => 2,
        (Event::SignInFailed | Event::Lockout | Event::AccessDenied, _) => 4,
        (
            Event::UserAdded
            | Event::UserRemoved
            | Event::UserDisabled
            | Event::AccountUnlocked
            | Event::PasswordChanged
            | Event::RolesChanged
            | Event::SessionRevoked
            | Event::ConfigChanged,
            _,
        ) => 5,
        _ => 6,
    }
}

/// RFC 5424 PARAM-VALUE escaping.
fn sd_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '"' | '\\' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A header field: printable ASCII without spaces, at most `max` long, or `-`.
fn header_field(value: Option<&str>, max: usize) -> String {
    let cleaned: String = value
        .unwrap_or("")
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(max)
        .collect();
    if cleaned.is_empty() {
        "-".to_owned()
    } else {
        cleaned
    }
}

/// One record as an RFC 5424 message (without framing): header, structured data with its
/// sequence number and hash, and the record's exact line as MSG. `None` for a line that is
/// not a record (a torn line).
pub(super) fn format_message(
    line: &[u8],
    settings: &ForwardSettings,
    procid: u32,
) -> Option<Vec<u8>> {
    let header: Header = serde_json::from_slice(line).ok()?;
    let pri = settings.facility.code() * 8 + severity(&header);
    let mut sd = format!("[{SD_ID} seq=\"{}\"", header.seq);
    if let Some(hash) = &header.hash {
        sd.push_str(&format!(" hash=\"{}\"", sd_escape(hash)));
    }
    if let Some(chain) = &header.chain {
        sd.push_str(&format!(" chain=\"{}\"", sd_escape(chain)));
    }
    sd.push(']');
    let mut out = format!(
        "<{pri}>1 {} {} {} {procid} {} {sd} ",
        header_field(Some(&header.ts), 64),
        header_field(header.host.as_deref(), 255),
        header_field(Some(&settings.app_name), 48),
        header_field(Some(header.event.name()), 32),
    )
    .into_bytes();
    out.extend_from_slice(line);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> ForwardSettings {
        toml::from_str("address = \"127.0.0.1:6514\"").unwrap()
    }

    #[test]
    fn a_record_becomes_an_rfc_5424_message_with_its_line_as_msg() {
        let line = br#"{"seq":7,"ts":"2026-11-25T09:00:00.000Z","event":"sign_in_failed","outcome":"rejected","host":"ws 1","prev":"00","hash":"abc"}"#;
        let message = format_message(line, &settings(), 42).unwrap();
        let text = String::from_utf8(message).unwrap();
        assert_eq!(
            text,
            format!(
                "<84>1 2026-11-25T09:00:00.000Z ws1 eps-tracker 42 sign_in_failed \
                 [eps@32473 seq=\"7\" hash=\"abc\"] {}",
                String::from_utf8_lossy(line)
            )
        );
        assert!(format_message(b"{\"seq\":1,\"ts\":", &settings(), 1).is_none());
    }
}
