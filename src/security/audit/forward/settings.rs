//! `[audit]` and `[audit.forward]` in the settings file, checked before the first send.

use std::path::PathBuf;

use serde::Deserialize;

/// `[audit]` in the settings file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSettings {
    /// Past this size the next record starts a new file (the full one is kept, renamed
    /// `audit-<time>-<seq>.jsonl`); the chain runs on across files.
    #[serde(default = "default_rotate_bytes")]
    pub rotate_bytes: u64,
    /// Send every record to a syslog collector off this machine.
    #[serde(default)]
    pub forward: Option<ForwardSettings>,
}

impl Default for AuditSettings {
    fn default() -> Self {
        Self {
            rotate_bytes: default_rotate_bytes(),
            forward: None,
        }
    }
}

fn default_rotate_bytes() -> u64 {
    64 * 1024 * 1024
}

/// `[audit.forward]`: where to send every record.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForwardSettings {
    /// The collector, `HOST:PORT`.
    pub address: String,
    /// `tcp` (octet counting, RFC 6587) or `tls` (RFC 5425).
    #[serde(default)]
    pub transport: Transport,
    /// The CA that issued the collector's certificate (PEM), for `tls`.
    #[serde(default)]
    pub ca: Option<PathBuf>,
    /// A client certificate (PEM) and its key, when the collector asks for one.
    #[serde(default)]
    pub cert: Option<PathBuf>,
    #[serde(default)]
    pub key: Option<PathBuf>,
    /// APP-NAME in each message.
    #[serde(default = "default_app_name")]
    pub app_name: String,
    /// Syslog facility: `authpriv` (default), `auth`, `user`, `local0` … `local7`.
    #[serde(default)]
    pub facility: Facility,
    /// Warn when records have waited longer than this for the collector.
    #[serde(default = "default_warn_minutes")]
    pub warn_after_minutes: u32,
}

fn default_app_name() -> String {
    "eps-tracker".to_owned()
}

fn default_warn_minutes() -> u32 {
    15
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    #[default]
    Tcp,
    Tls,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Facility {
    Auth,
    #[default]
    Authpriv,
    User,
    Local0,
    Local1,
    Local2,
    Local3,
    Local4,
    Local5,
    Local6,
    Local7,
}

impl Facility {
    pub(super) fn code(self) -> u8 {
        match self {
            Self::User => 1,
            Self::Auth => 4,
            Self::Authpriv => 10,
            Self::Local0 => 16,
            Self::Local1 => 17,
            Self::Local2 => 18,
            Self::Local3 => 19,
            Self::Local4 => 20,
            Self::Local5 => 21,
            Self::Local6 => 22,
            Self::Local7 => 23,
        }
    }
}

impl ForwardSettings {
    /// Checks what can be checked before the first send: the address's form, TLS material.
    pub fn validate(&self) -> Result<(), String> {
        let Some((host, port)) = self.address.rsplit_once(':') else {
            return Err(format!(
                "address \"{}\" needs a port: write it as HOST:PORT",
                self.address
            ));
        };
        if host.is_empty() || port.parse::<u16>().is_err() {
            return Err(format!(
                "address \"{}\" is not HOST:PORT with a port from 1 to 65535",
                self.address
            ));
        }
        if self.app_name.is_empty()
            || self.app_name.len() > 48
            || !self.app_name.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err("app_name must be 1 to 48 printable characters without spaces".into());
        }
        if self.transport == Transport::Tls && self.ca.is_none() {
            return Err(
                "transport = \"tls\" needs ca = \"PATH\" (the CA that issued the collector's \
                 certificate)"
                    .into(),
            );
        }
        if self.cert.is_some() != self.key.is_some() {
            return Err("cert and key go together: give both or neither".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> ForwardSettings {
        toml::from_str("address = \"127.0.0.1:6514\"").unwrap()
    }

    #[test]
    fn settings_are_checked_with_the_fix() {
        let mut s = settings();
        assert!(s.validate().is_ok());
        s.address = "collector".into();
        assert!(s.validate().unwrap_err().contains("HOST:PORT"));
        let tls: ForwardSettings =
            toml::from_str("address = \"h:1\"\ntransport = \"tls\"").unwrap();
        assert!(tls.validate().unwrap_err().contains("needs ca"));
        assert!(
            toml::from_str::<ForwardSettings>("address = \"h:1\"\ntransport = \"udp\"").is_err()
        );
    }
}
