//! Fault injection: the ways a real gateway or Spine misbehaves, on demand. A request picks
//! one with the `X-Sandbox-Fault` header or by searching for a magic NHS number; `sandbox
//! serve --fault` applies one to every request.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use thiserror::Error;

/// The request header that selects a fault.
pub const FAULT_HEADER: &str = "X-Sandbox-Fault";

/// The longest delay a fault may ask for: long enough to outlast any client timeout,
/// short enough that a typo cannot tie up a connection for hours.
const MAX_DELAY_MS: u64 = 120_000;

/// One way to misbehave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer normally after this long.
    Latency(Duration),
    /// Answer normally, but send the body in small pieces spread over this long.
    Drip(Duration),
    /// HTTP 502 with an HTML page, as a proxy in front of Spine sends.
    BadGateway,
    /// HTTP 500 with a SOAP fault.
    SoapFault,
    /// HTTP 503 with plain text.
    Unavailable,
    /// Announce the whole body, send half, then close the connection.
    Truncate,
    /// Close the connection without answering.
    Drop,
    /// Never answer (until the sandbox stops): the client's timeout must fire.
    Hang,
}

/// Why a fault name was not understood.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "unknown fault \"{0}\": use one of latency=MS, drip=MS, bad-gateway (502), soap-fault \
     (500), unavailable (503), truncate, drop, hang"
)]
pub struct FaultParseError(pub String);

impl FromStr for Fault {
    type Err = FaultParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || FaultParseError(text.to_owned());
        let trimmed = text.trim();
        let (name, value) = match trimmed.split_once('=') {
            Some((name, value)) => (name.trim(), Some(value.trim())),
            None => (trimmed, None),
        };
        let millis = |value: Option<&str>| -> Result<Duration, FaultParseError> {
            let ms: u64 = value.ok_or_else(bad)?.parse().map_err(|_| bad())?;
            if ms > MAX_DELAY_MS {
                return Err(bad());
            }
            Ok(Duration::from_millis(ms))
        };
        match (name.to_ascii_lowercase().as_str(), value) {
            ("latency", v) => Ok(Fault::Latency(millis(v)?)),
            ("drip", v) => Ok(Fault::Drip(millis(v)?)),
            ("bad-gateway" | "502", None) => Ok(Fault::BadGateway),
            ("soap-fault" | "500", None) => Ok(Fault::SoapFault),
            ("unavailable" | "503", None) => Ok(Fault::Unavailable),
            ("truncate", None) => Ok(Fault::Truncate),
            ("drop", None) => Ok(Fault::Drop),
            ("hang", None) => Ok(Fault::Hang),
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Latency(d) => write!(f, "latency={}", d.as_millis()),
            Fault::Drip(d) => write!(f, "drip={}", d.as_millis()),
            Fault::BadGateway => f.write_str("bad-gateway"),
            Fault::SoapFault => f.write_str("soap-fault"),
            Fault::Unavailable => f.write_str("unavailable"),
            Fault::Truncate => f.write_str("truncate"),
            Fault::Drop => f.write_str("drop"),
            Fault::Hang => f.write_str("hang"),
        }
    }
}

/// NHS numbers (valid, from the 999 test range, no patient behind them) that trigger a
/// fault when searched for, for clients that cannot set headers.
pub const MAGIC_NHS_NUMBERS: [(&str, Fault); 8] = [
    ("9990000018", Fault::Latency(Duration::from_millis(3000))),
    ("9990000026", Fault::Drip(Duration::from_millis(3000))),
    ("9990000034", Fault::BadGateway),
    ("9990000042", Fault::SoapFault),
    ("9990000050", Fault::Unavailable),
    ("9990000069", Fault::Truncate),
    ("9990000077", Fault::Drop),
    ("9990000085", Fault::Hang),
];

pub fn magic_fault(nhs_number: &str) -> Option<Fault> {
    MAGIC_NHS_NUMBERS
        .iter()
        .find(|(n, _)| *n == nhs_number)
        .map(|(_, f)| *f)
}

pub const BAD_GATEWAY_HTML: &str = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n\
<body><h1>Bad Gateway</h1><p>The proxy server received an invalid response from an upstream \
server.</p></body></html>\n";

pub const SOAP_FAULT_XML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\">\
<SOAP-ENV:Body><SOAP-ENV:Fault><faultcode>SOAP-ENV:Server</faultcode>\
<faultstring>System failure to process message - default</faultstring>\
<detail><nasp:errorList xmlns:nasp=\"http://national.carerecords.nhs.uk/schema/\">\
<nasp:error><nasp:codeContext>urn:nhs:names:errors:tms</nasp:codeContext>\
<nasp:errorCode>200</nasp:errorCode><nasp:severity>Error</nasp:severity>\
<nasp:location/><nasp:description>System failure to process message - default\
</nasp:description></nasp:error></nasp:errorList></detail>\
</SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>\n";

pub const UNAVAILABLE_TEXT: &str =
    "Service Unavailable: the Prescription Tracker is undergoing maintenance. Try again later.\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_print_back() {
        for text in [
            "latency=2000",
            "drip=500",
            "bad-gateway",
            "soap-fault",
            "unavailable",
            "truncate",
            "drop",
            "hang",
        ] {
            assert_eq!(text.parse::<Fault>().unwrap().to_string(), text);
        }
        assert_eq!("502".parse::<Fault>().unwrap(), Fault::BadGateway);
        assert_eq!(
            " LATENCY = 10 ".parse::<Fault>().unwrap(),
            Fault::Latency(Duration::from_millis(10))
        );
    }

    #[test]
    fn bad_names_say_what_exists() {
        for text in [
            "latency",
            "latency=x",
            "latency=999999999",
            "explode",
            "drop=1",
        ] {
            let err = text.parse::<Fault>().unwrap_err();
            assert!(
                err.to_string()
                    .starts_with(&format!("unknown fault \"{text}\"")),
                "{err}"
            );
        }
    }

    #[test]
    fn magic_numbers_are_valid_and_unused_by_patients() {
        let now = chrono::Utc::now().naive_utc();
        let data = crate::sandbox::dataset::DataSet::load(now).unwrap();
        for (number, _) in MAGIC_NHS_NUMBERS {
            assert!(
                crate::tracker::ids::NhsNumber::parse(number).is_ok(),
                "{number}"
            );
            assert!(data.patient(number).is_none(), "{number}");
        }
    }
}
