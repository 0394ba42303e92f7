//! Where PDS is and who we are to it: the `[environments.NAME.pds]` table, and the
//! settings the client runs with (the embedded sandbox makes them in memory).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::files::PemSource;

/// One `[environments.NAME.pds]` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PdsConfig {
    /// Ends `/personal-demographics/FHIR/R4`.
    pub base_url: String,
    /// The OAuth token endpoint, e.g. `https://int.api.service.nhs.uk/oauth2/token`.
    pub token_url: String,
    /// The application's API key (the JWT's `iss` and `sub`).
    pub api_key: String,
    /// PEM file of the RSA private key registered for the application (mode 0600,
    /// unencrypted).
    pub key: PathBuf,
    /// The key ID (`kid`) under which its public key is registered.
    pub kid: String,
    /// PEM file of the CA to trust for PDS instead of the system's (the sandbox's `ca.pem`).
    #[serde(default)]
    pub ca: Option<PathBuf>,
    /// Seconds to wait for a whole answer (default 10).
    #[serde(default)]
    pub timeout_secs: Option<u64>,
}

/// Everything `PdsClient::new` needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdsSettings {
    pub base_url: String,
    pub token_url: String,
    pub api_key: String,
    pub key: PemSource,
    pub kid: String,
    pub ca: Option<PemSource>,
    pub connect_timeout: Duration,
    pub total_timeout: Duration,
}

impl PdsConfig {
    /// Settings with relative paths resolved against `base_dir` (the config file's folder).
    pub fn settings(&self, base_dir: Option<&Path>) -> PdsSettings {
        let resolve = |p: &Path| match base_dir {
            Some(dir) if p.is_relative() => PemSource::File(dir.join(p)),
            _ => PemSource::File(p.to_owned()),
        };
        PdsSettings {
            base_url: self.base_url.clone(),
            token_url: self.token_url.clone(),
            api_key: self.api_key.clone(),
            key: resolve(&self.key),
            kid: self.kid.clone(),
            ca: self.ca.as_deref().map(resolve),
            connect_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_secs(self.timeout_secs.unwrap_or(10)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_pds_settings_are_reported() {
        let unknown = toml::from_str::<PdsConfig>(
            "base_url = \"a\"\ntoken_url = \"b\"\napi_key = \"c\"\nkey = \"d\"\nkid = \"e\"\nsecret = \"f\"\n",
        )
        .unwrap_err();
        assert!(
            unknown.to_string().contains("unknown field `secret`"),
            "{unknown}"
        );
    }
}
