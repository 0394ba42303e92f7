//! Where a PEM document comes from: a file named in the settings, or memory. Shared by the
//! Spine client, the PDS client and the sandboxes that issue their certificates.

use std::fmt;
use std::path::PathBuf;

use zeroize::Zeroizing;

/// Where a PEM document comes from: a file named in the config, or memory (the embedded
/// sandbox, whose throwaway keys never touch the disk).
#[derive(Clone, PartialEq, Eq)]
pub enum PemSource {
    File(PathBuf),
    Inline(Zeroizing<String>),
}

impl PemSource {
    /// How to name this source in a message.
    pub fn describe(&self) -> String {
        match self {
            PemSource::File(path) => path.display().to_string(),
            PemSource::Inline(_) => "(in memory)".to_owned(),
        }
    }
}

impl fmt::Debug for PemSource {
    /// Never prints inline PEM: it may be a private key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PemSource::File(path) => f.debug_tuple("File").field(path).finish(),
            PemSource::Inline(_) => f.write_str("Inline(..)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_pem_is_never_printed() {
        let source = PemSource::Inline(Zeroizing::new("-----BEGIN PRIVATE KEY-----".into()));
        assert_eq!(format!("{source:?}"), "Inline(..)");
    }
}
