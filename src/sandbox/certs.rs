//! Certificates for the sandbox: a private CA, a server certificate for the loopback
//! names, and client certificates whose subject CN is the client's ASID. Also the
//! deliberately wrong ones the tests need (expired, foreign CA, other ASID).
//!
//! Everything is generated in memory; `CertDir` writes a set to disk (keys 0600) for
//! `sandbox serve` and reuses it on the next start so integrators keep trusting one CA.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{Datelike, Duration, NaiveDate, Utc};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use thiserror::Error;
use zeroize::Zeroizing;

/// The ASID the sandbox's default client certificate is made for.
pub const DEFAULT_ASID: &str = "200000000001";

/// Names the server certificate is valid for: the sandbox only ever listens on loopback.
const SERVER_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// Why certificates could not be made, read or written.
#[derive(Debug, Error)]
pub enum CertError {
    #[error("could not generate a certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("could not create the certificate directory {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("could not write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("could not read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{dir} holds only some of the sandbox certificates (missing {missing}): delete the \
         directory or point --certs at an empty one"
    )]
    Incomplete { dir: PathBuf, missing: String },
    #[error(
        "the client certificate in {dir} was made for ASID {found}, not {wanted}: use \
         --asid {found}, or point --certs at a new directory"
    )]
    OtherAsid {
        dir: PathBuf,
        found: String,
        wanted: String,
    },
    #[error("{path} does not hold a readable certificate")]
    Unparsable { path: PathBuf },
    #[error("{path} expired on {date}: delete the directory and start again to make new ones")]
    Expired { path: PathBuf, date: NaiveDate },
    #[error(
        "this sandbox reuses certificates kept on disk and cannot issue more (the CA key is \
         not kept)"
    )]
    NoAuthority,
}

/// How long a certificate is valid, relative to today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    /// From yesterday for a year: like a freshly issued Spine endpoint certificate.
    Current,
    /// Expired five days ago.
    Expired,
    /// Valid now, expiring in this many days.
    ExpiringIn(u32),
}

impl Validity {
    fn bounds(self) -> (i64, i64) {
        match self {
            Validity::Current => (-1, 365),
            Validity::Expired => (-400, -5),
            Validity::ExpiringIn(days) => (-300, i64::from(days)),
        }
    }
}

/// A certificate and its private key, both PEM. The key is wiped from memory on drop.
#[derive(Clone)]
pub struct Issued {
    pub cert_pem: String,
    pub key_pem: Zeroizing<String>,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued").finish_non_exhaustive()
    }
}

/// A private certificate authority that can issue server and client certificates.
pub struct Authority {
    issuer: Issuer<'static, KeyPair>,
    cert_pem: String,
}

impl Authority {
    /// A new CA valid from yesterday for five years.
    pub fn generate(name: &str) -> Result<Self, CertError> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.distinguished_name.push(DnType::CommonName, name);
        params
            .distinguished_name
            .push(DnType::OrganizationName, "eps-tracker sandbox");
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        set_validity(&mut params, (-1, 5 * 365));
        let key = KeyPair::generate()?;
        let cert = params.self_signed(&key)?;
        Ok(Self {
            issuer: Issuer::new(params, key),
            cert_pem: cert.pem(),
        })
    }

    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// A server certificate for `localhost`, `127.0.0.1` and `::1`.
    pub fn issue_server(&self) -> Result<Issued, CertError> {
        let names: Vec<String> = SERVER_NAMES.iter().map(|s| (*s).to_owned()).collect();
        let mut params = CertificateParams::new(names)?;
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        self.issue(params, Validity::Current)
    }

    /// A client certificate whose subject CN is `asid`, as the sandbox expects.
    pub fn issue_client(&self, asid: &str, validity: Validity) -> Result<Issued, CertError> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.distinguished_name.push(DnType::CommonName, asid);
        params
            .distinguished_name
            .push(DnType::OrganizationName, "eps-tracker sandbox client");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        self.issue(params, validity)
    }

    fn issue(
        &self,
        mut params: CertificateParams,
        validity: Validity,
    ) -> Result<Issued, CertError> {
        params.use_authority_key_identifier_extension = true;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        set_validity(&mut params, validity.bounds());
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.issuer)?;
        Ok(Issued {
            cert_pem: cert.pem(),
            key_pem: Zeroizing::new(key.serialize_pem()),
        })
    }
}

fn set_validity(params: &mut CertificateParams, (from, to): (i64, i64)) {
    let today = Utc::now().date_naive();
    let (start, end) = (today + Duration::days(from), today + Duration::days(to));
    // chrono's months and days are always in range, which is all `date_time_ymd` needs.
    params.not_before = rcgen::date_time_ymd(start.year(), start.month() as u8, start.day() as u8);
    params.not_after = rcgen::date_time_ymd(end.year(), end.month() as u8, end.day() as u8);
}

/// The certificates one sandbox runs with: its CA, its server certificate, and the client
/// certificate it hands to its users.
#[derive(Clone, Debug)]
pub struct CertBundle {
    pub ca_pem: String,
    pub server: Issued,
    pub client: Issued,
    pub asid: String,
}

impl CertBundle {
    /// A fresh set, in memory only. The authority is returned too, so callers (tests) can
    /// issue more client certificates the sandbox will trust.
    pub fn generate(asid: &str) -> Result<(Self, Authority), CertError> {
        let authority = Authority::generate("eps-tracker sandbox CA")?;
        let bundle = Self {
            ca_pem: authority.cert_pem().to_owned(),
            server: authority.issue_server()?,
            client: authority.issue_client(asid, Validity::Current)?,
            asid: asid.to_owned(),
        };
        Ok((bundle, authority))
    }
}

/// The five files `sandbox serve --certs DIR` keeps.
pub struct CertDir {
    dir: PathBuf,
}

/// Whether `CertDir::load_or_create` made new certificates or found existing ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertOrigin {
    Created,
    Reused,
}

const CA_FILE: &str = "ca.pem";
const CLIENT_CERT_FILE: &str = "client.pem";
const CLIENT_KEY_FILE: &str = "client.key";
const SERVER_CERT_FILE: &str = "server.pem";
const SERVER_KEY_FILE: &str = "server.key";
const ALL_FILES: [&str; 5] = [
    CA_FILE,
    CLIENT_CERT_FILE,
    CLIENT_KEY_FILE,
    SERVER_CERT_FILE,
    SERVER_KEY_FILE,
];

impl CertDir {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn ca_path(&self) -> PathBuf {
        self.dir.join(CA_FILE)
    }

    pub fn client_cert_path(&self) -> PathBuf {
        self.dir.join(CLIENT_CERT_FILE)
    }

    pub fn client_key_path(&self) -> PathBuf {
        self.dir.join(CLIENT_KEY_FILE)
    }

    /// Reuses the certificates in the directory when all five are there (and were made
    /// for `asid`), creates them when none are, and refuses a half-filled directory
    /// rather than overwriting a CA someone may already trust.
    pub fn load_or_create(&self, asid: &str) -> Result<(CertBundle, CertOrigin), CertError> {
        let present: Vec<&str> = ALL_FILES
            .iter()
            .copied()
            .filter(|f| self.dir.join(f).exists())
            .collect();
        if present.is_empty() {
            let (bundle, _authority) = CertBundle::generate(asid)?;
            self.write(&bundle)?;
            return Ok((bundle, CertOrigin::Created));
        }
        if present.len() < ALL_FILES.len() {
            let missing: Vec<&str> = ALL_FILES
                .iter()
                .copied()
                .filter(|f| !present.contains(f))
                .collect();
            return Err(CertError::Incomplete {
                dir: self.dir.clone(),
                missing: missing.join(", "),
            });
        }
        let bundle = CertBundle {
            ca_pem: self.read(CA_FILE)?,
            server: Issued {
                cert_pem: self.read(SERVER_CERT_FILE)?,
                key_pem: Zeroizing::new(self.read(SERVER_KEY_FILE)?),
            },
            client: Issued {
                cert_pem: self.read(CLIENT_CERT_FILE)?,
                key_pem: Zeroizing::new(self.read(CLIENT_KEY_FILE)?),
            },
            asid: asid.to_owned(),
        };
        for file in [CA_FILE, SERVER_CERT_FILE, CLIENT_CERT_FILE] {
            let path = self.dir.join(file);
            let pem = self.read(file)?;
            let facts =
                cert_facts(&pem).ok_or_else(|| CertError::Unparsable { path: path.clone() })?;
            if facts.not_after < Utc::now().date_naive() {
                return Err(CertError::Expired {
                    path,
                    date: facts.not_after,
                });
            }
            if file == CLIENT_CERT_FILE && facts.common_name.as_deref() != Some(asid) {
                return Err(CertError::OtherAsid {
                    dir: self.dir.clone(),
                    found: facts.common_name.unwrap_or_default(),
                    wanted: asid.to_owned(),
                });
            }
        }
        Ok((bundle, CertOrigin::Reused))
    }

    fn read(&self, file: &str) -> Result<String, CertError> {
        let path = self.dir.join(file);
        fs::read_to_string(&path).map_err(|source| CertError::Read { path, source })
    }

    fn write(&self, bundle: &CertBundle) -> Result<(), CertError> {
        create_private_dir(&self.dir)?;
        write_file(&self.dir.join(CA_FILE), &bundle.ca_pem, 0o644)?;
        write_file(
            &self.dir.join(SERVER_CERT_FILE),
            &bundle.server.cert_pem,
            0o644,
        )?;
        write_file(
            &self.dir.join(SERVER_KEY_FILE),
            &bundle.server.key_pem,
            0o600,
        )?;
        write_file(
            &self.dir.join(CLIENT_CERT_FILE),
            &bundle.client.cert_pem,
            0o644,
        )?;
        write_file(
            &self.dir.join(CLIENT_KEY_FILE),
            &bundle.client.key_pem,
            0o600,
        )
    }
}

fn create_private_dir(dir: &Path) -> Result<(), CertError> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|source| CertError::CreateDir {
            path: dir.to_owned(),
            source,
        })
}

/// Writes with the final mode from the start, so a key is never readable by others,
/// not even for a moment.
fn write_file(path: &Path, contents: &str, mode: u32) -> Result<(), CertError> {
    use std::os::unix::fs::OpenOptionsExt;
    let wrap = |source| CertError::Write {
        path: path.to_owned(),
        source,
    };
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(wrap)?;
    file.write_all(contents.as_bytes()).map_err(wrap)?;
    file.sync_all().map_err(wrap)
}

/// What the sandbox needs to know about a certificate it reuses.
pub(crate) struct CertFacts {
    pub common_name: Option<String>,
    pub not_after: NaiveDate,
}

/// The subject CN and expiry date of the first certificate in a PEM text.
pub(crate) fn cert_facts(pem: &str) -> Option<CertFacts> {
    use rustls_pki_types::pem::PemObject;
    let der = rustls_pki_types::CertificateDer::from_pem_slice(pem.as_bytes()).ok()?;
    let (_, cert) = x509_parser::parse_x509_certificate(&der).ok()?;
    let not_after =
        chrono::DateTime::from_timestamp(cert.validity().not_after.timestamp(), 0)?.date_naive();
    Some(CertFacts {
        common_name: common_name(&cert),
        not_after,
    })
}

/// The subject's first common name, if it is text.
pub(crate) fn common_name(cert: &x509_parser::certificate::X509Certificate<'_>) -> Option<String> {
    cert.subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_certificate_carries_the_asid_and_a_realistic_validity() {
        let (bundle, _) = CertBundle::generate("200000000077").unwrap();
        let facts = cert_facts(&bundle.client.cert_pem).unwrap();
        assert_eq!(facts.common_name.as_deref(), Some("200000000077"));
        let days_left = (facts.not_after - Utc::now().date_naive()).num_days();
        assert!((360..=366).contains(&days_left), "{days_left}");
        assert!(bundle.client.key_pem.contains("BEGIN PRIVATE KEY"));
    }

    #[test]
    fn expired_certificate_is_in_the_past() {
        let authority = Authority::generate("test CA").unwrap();
        let issued = authority
            .issue_client("200000000001", Validity::Expired)
            .unwrap();
        let facts = cert_facts(&issued.cert_pem).unwrap();
        assert!(facts.not_after < Utc::now().date_naive());
    }

    #[test]
    fn directory_is_created_with_private_keys_then_reused() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let dir = CertDir::new(tmp.path().join("certs"));
        let (first, origin) = dir.load_or_create(DEFAULT_ASID).unwrap();
        assert_eq!(origin, CertOrigin::Created);
        for (file, mode) in [
            (CLIENT_KEY_FILE, 0o600),
            (SERVER_KEY_FILE, 0o600),
            (CA_FILE, 0o644),
        ] {
            let meta = fs::metadata(dir.dir().join(file)).unwrap();
            assert_eq!(meta.permissions().mode() & 0o777, mode, "{file}");
        }
        let (second, origin) = dir.load_or_create(DEFAULT_ASID).unwrap();
        assert_eq!(origin, CertOrigin::Reused);
        assert_eq!(first.ca_pem, second.ca_pem);
    }

    #[test]
    fn directory_made_for_another_asid_is_refused_with_the_fix() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = CertDir::new(tmp.path());
        dir.load_or_create(DEFAULT_ASID).unwrap();
        let err = dir.load_or_create("200000000002").unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "the client certificate in {} was made for ASID 200000000001, not \
                 200000000002: use --asid 200000000001, or point --certs at a new directory",
                tmp.path().display()
            )
        );
    }

    #[test]
    fn half_filled_directory_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join(CA_FILE), "x").unwrap();
        let err = CertDir::new(tmp.path())
            .load_or_create(DEFAULT_ASID)
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("missing client.pem, client.key, server.pem, server.key"),
            "{err}"
        );
    }
}
