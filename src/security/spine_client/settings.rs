//! What the client needs to reach one Spine environment, and the `[environments.NAME]`
//! tables of the config file that describe them. Hosts are configuration, never code.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::files::PemSource;

/// How long to wait for the TCP connection and TLS handshake.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long to wait for a whole answer, connection included.
pub const DEFAULT_TOTAL_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest response body the client reads: the decoder's own limit (Spine documents
/// none; 16 MiB is far above any real patient's prescription history).
pub const DEFAULT_MAX_BODY_BYTES: usize = crate::tracker::MAX_BODY_BYTES;

/// Everything `TrackerClient::new` needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSettings {
    /// The Tracker's base URL including `/mm`, e.g. `https://mm-sync.national.ncrs.nhs.uk/mm`.
    pub base_url: String,
    /// The CA certificate(s) the server's certificate must chain to.
    pub ca: PemSource,
    /// Our client certificate (the endpoint certificate Spine issued for our ASID).
    pub client_cert: PemSource,
    /// Its private key, unencrypted PKCS#8 / PKCS#1 / SEC1 PEM.
    pub client_key: PemSource,
    /// Our Accredited System ID, 12 digits, sent as `Spine-From-Asid`.
    pub asid: String,
    pub connect_timeout: Duration,
    pub total_timeout: Duration,
    pub max_body_bytes: usize,
}

impl ClientSettings {
    /// Settings with the default timeouts and body cap.
    pub fn new(
        base_url: impl Into<String>,
        ca: PemSource,
        client_cert: PemSource,
        client_key: PemSource,
        asid: impl Into<String>,
    ) -> Self {
        Self {
            base_url: base_url.into(),
            ca,
            client_cert,
            client_key,
            asid: asid.into(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            total_timeout: DEFAULT_TOTAL_TIMEOUT,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }
}

/// One `[environments.NAME]` table of the config file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentConfig {
    /// A short name shown in the title bar and audit trail: "INT", "DEP", "LIVE".
    #[serde(default)]
    pub label: Option<String>,
    /// The Tracker's base URL including `/mm`.
    pub base_url: String,
    /// PEM file of the CA that signs the server's certificate.
    pub ca: PathBuf,
    /// PEM file of our client certificate.
    pub cert: PathBuf,
    /// PEM file of our client certificate's private key (mode 0600, unencrypted).
    pub key: PathBuf,
    /// Our ASID, 12 digits.
    pub asid: String,
    /// Seconds to wait for connection and handshake (default 5).
    #[serde(default)]
    pub connect_timeout_secs: Option<u64>,
    /// Seconds to wait for a whole answer (default 10).
    #[serde(default)]
    pub timeout_secs: Option<u64>,
    /// PDS (patient demographics) for this environment: `[environments.NAME.pds]`.
    #[serde(default)]
    pub pds: Option<crate::pds::PdsConfig>,
}

impl EnvironmentConfig {
    /// Client settings, with relative file paths taken relative to `base_dir` (the
    /// directory of the config file that named them).
    pub fn client_settings(&self, base_dir: Option<&Path>) -> ClientSettings {
        let resolve = |p: &Path| match base_dir {
            Some(dir) if p.is_relative() => PemSource::File(dir.join(p)),
            _ => PemSource::File(p.to_owned()),
        };
        let mut settings = ClientSettings::new(
            self.base_url.clone(),
            resolve(&self.ca),
            resolve(&self.cert),
            resolve(&self.key),
            self.asid.clone(),
        );
        if let Some(secs) = self.connect_timeout_secs {
            settings.connect_timeout = Duration::from_secs(secs);
        }
        if let Some(secs) = self.timeout_secs {
            settings.total_timeout = Duration::from_secs(secs);
        }
        settings
    }
}

impl From<&EnvironmentConfig> for ClientSettings {
    fn from(env: &EnvironmentConfig) -> Self {
        env.client_settings(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_table_parses_and_resolves_relative_paths() {
        let env: EnvironmentConfig = toml::from_str(
            r#"
            label = "INT"
            base_url = "https://int.example.invalid/mm"
            ca = "certs/ca.pem"
            cert = "/etc/eps/client.pem"
            key = "certs/client.key"
            asid = "200000000123"
            timeout_secs = 20
            "#,
        )
        .unwrap();
        let settings = env.client_settings(Some(Path::new("/home/u/.config/eps-tracker")));
        assert_eq!(
            settings.ca,
            PemSource::File("/home/u/.config/eps-tracker/certs/ca.pem".into())
        );
        assert_eq!(
            settings.client_cert,
            PemSource::File("/etc/eps/client.pem".into())
        );
        assert_eq!(settings.total_timeout, Duration::from_secs(20));
        assert_eq!(settings.connect_timeout, DEFAULT_CONNECT_TIMEOUT);
        assert_eq!(settings.asid, "200000000123");
    }

    #[test]
    fn unknown_keys_in_an_environment_are_reported() {
        let err = toml::from_str::<EnvironmentConfig>(
            "base_url = \"https://x/mm\"\nca = \"a\"\ncert = \"b\"\nkey = \"c\"\nasid = \"1\"\nhost = \"x\"\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("unknown field `host`"), "{err}");
    }

    #[test]
    fn the_pds_table_sits_inside_its_environment() {
        let env: EnvironmentConfig = toml::from_str(
            r#"
            base_url = "https://int.example.invalid/mm"
            ca = "ca.pem"
            cert = "client.pem"
            key = "client.key"
            asid = "200000000123"
            [pds]
            base_url = "https://int.api.service.nhs.uk/personal-demographics/FHIR/R4"
            token_url = "https://int.api.service.nhs.uk/oauth2/token"
            api_key = "KEY"
            key = "pds.key"
            kid = "int-1"
            "#,
        )
        .unwrap();
        let settings = env.pds.unwrap().settings(Some(Path::new("/etc/eps")));
        assert_eq!(settings.key, PemSource::File("/etc/eps/pds.key".into()));
        assert_eq!(settings.ca, None);
        assert_eq!(settings.total_timeout, Duration::from_secs(10));
    }
}
