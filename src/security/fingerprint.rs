//! The settings in force, fingerprinted: a SHA-256 for each section that decides who may do
//! what (security rules, the role map, the Spine environments), and one over them all. The
//! sign-in records the overall digest; a difference from the previous sign-in's is recorded
//! as `config_changed` naming the sections, so an edit of `config.toml` cannot go unseen.
//! The previous fingerprint is kept in a private file beside the user store.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::files::{self, FileError};

/// Per-section SHA-256 digests (hex) of the settings in force, defaults included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsFingerprint {
    sections: BTreeMap<String, String>,
}

impl SettingsFingerprint {
    /// Fingerprints each named section's text (the settings as the program will act on
    /// them, so a setting written out at its default value does not count as a change).
    pub fn of_sections<'a>(sections: impl IntoIterator<Item = (&'a str, String)>) -> Self {
        let sections = sections
            .into_iter()
            .map(|(name, text)| (name.to_owned(), sha256_hex(text.as_bytes())))
            .collect();
        Self { sections }
    }

    /// One digest over every section.
    pub fn digest(&self) -> String {
        let joined: String = self
            .sections
            .iter()
            .map(|(name, hash)| format!("{name}={hash}\n"))
            .collect();
        sha256_hex(joined.as_bytes())
    }

    /// The sections whose digest differs from `previous` (or that only one of them has).
    pub fn changed_since(&self, previous: &Self) -> Vec<String> {
        let names: BTreeSet<&String> = self
            .sections
            .keys()
            .chain(previous.sections.keys())
            .filter(|name| self.sections.get(*name) != previous.sections.get(*name))
            .collect();
        names.into_iter().cloned().collect()
    }

    /// The fingerprint saved at the previous sign-in; `None` before the first one or when
    /// the file cannot be understood (then the next sign-in records it afresh).
    pub fn load(path: &Path) -> Result<Option<Self>, FileError> {
        files::check_private(path)?;
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(toml::from_str(&text).ok()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(FileError::Read {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    pub fn save(&self, path: &Path) -> Result<(), FileError> {
        let text = toml::to_string(self).unwrap_or_default();
        files::write_atomically(path, text.as_bytes())
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fingerprint(security: &str, roles: &str) -> SettingsFingerprint {
        SettingsFingerprint::of_sections([
            ("security", security.to_owned()),
            ("roles", roles.to_owned()),
        ])
    }

    #[test]
    fn a_change_names_its_section() {
        let before = fingerprint("lockout 5", "helpdesk: search");
        assert_eq!(before.changed_since(&before), Vec::<String>::new());
        let after = fingerprint("lockout 5", "helpdesk: search, clinical");
        assert_eq!(after.changed_since(&before), ["roles"]);
        assert_ne!(after.digest(), before.digest());
    }

    #[test]
    fn it_survives_a_save_and_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.sha256");
        assert_eq!(SettingsFingerprint::load(&path).unwrap(), None);
        let fingerprint = fingerprint("a", "b");
        fingerprint.save(&path).unwrap();
        assert_eq!(SettingsFingerprint::load(&path).unwrap(), Some(fingerprint));
    }
}
