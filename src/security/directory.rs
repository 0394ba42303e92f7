//! Sign-in against the organisation's directory (LDAP or Active Directory): the password is
//! checked by binding as the user, over TLS only (`ldaps://`, or `ldap://` with StartTLS),
//! then membership of the required group is checked. The password is never stored or
//! logged. A directory that cannot be reached refuses the sign-in: there is no fallback to
//! a local password.
//!
//! The user's DN is either built from a template (direct bind) or found by a search made
//! with a service account (search then bind, as Active Directory needs). Every value typed
//! by the user is escaped: RFC 4514 in a DN, RFC 4515 in a search filter.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ldap3::{LdapConnAsync, LdapConnSettings, Scope, SearchEntry, dn_escape, ldap_escape};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use zeroize::Zeroizing;

use super::password::Password;
use crate::files;

/// The `[directory]` settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectoryConfig {
    /// `ldaps://host:636` or `ldap://host:389` (then `starttls = true` is required).
    pub url: String,
    #[serde(default)]
    pub starttls: bool,
    /// A private CA's certificate (PEM); without it the system's trusted roots are used.
    #[serde(default)]
    pub ca: Option<PathBuf>,
    /// Direct bind: the user's DN with `{user}` for the local user ID.
    #[serde(default)]
    pub user_dn: Option<String>,
    /// Search then bind: where to look, and the filter with `{user}`.
    #[serde(default)]
    pub search_base: Option<String>,
    #[serde(default)]
    pub search_filter: Option<String>,
    /// The service account that searches, and a 0600 file holding its password.
    #[serde(default)]
    pub bind_dn: Option<String>,
    #[serde(default)]
    pub bind_password_file: Option<PathBuf>,
    /// A group whose `member` must include the user's DN.
    #[serde(default)]
    pub required_group: Option<String>,
    /// Seconds before an unanswered directory counts as unreachable.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
}

fn default_timeout() -> u64 {
    5
}

/// What the directory said about a password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirectoryVerdict {
    /// Bound as the user, and in the required group (if any).
    Accepted,
    /// Wrong password, or no such user in the directory.
    WrongPassword,
    /// The password was right but the user is not in the required group.
    NotInGroup,
}

/// The directory could not give an answer: the sign-in is refused, naming it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "the directory {url} could not check the password ({reason}): try again later, or ask the administrator"
)]
pub struct DirectoryUnavailable {
    pub url: String,
    pub reason: String,
}

impl DirectoryConfig {
    /// Checks the settings make sense before any sign-in relies on them.
    pub fn validate(&self) -> Result<(), String> {
        let tls = if self.url.starts_with("ldaps://") {
            true
        } else if self.url.starts_with("ldap://") {
            self.starttls
        } else {
            return Err(format!(
                "url \"{}\" must start with ldaps:// or ldap://",
                self.url
            ));
        };
        if !tls {
            return Err(format!(
                "url \"{}\" would send passwords in the clear: use ldaps://, or set starttls = true",
                self.url
            ));
        }
        match (&self.user_dn, &self.search_base, &self.search_filter) {
            (Some(dn), None, None) if dn.contains("{user}") => Ok(()),
            (None, Some(_), Some(filter)) if filter.contains("{user}") => {
                if self.bind_dn.is_some() != self.bind_password_file.is_some() {
                    return Err("bind_dn and bind_password_file go together".to_owned());
                }
                Ok(())
            }
            _ => Err(
                "set either user_dn (with {user}) or search_base and search_filter (with \
                 {user})"
                    .to_owned(),
            ),
        }
    }

    /// Binds as `user` with `password` and checks the group. Runs on a thread of its own
    /// with its own small runtime, so it can be called from any blocking context.
    pub fn verify(
        &self,
        user: &str,
        password: &Password,
    ) -> Result<DirectoryVerdict, DirectoryUnavailable> {
        // An empty password is an "unauthenticated bind", which succeeds: never send one.
        if password.expose().is_empty() {
            return Ok(DirectoryVerdict::WrongPassword);
        }
        self.on_own_thread(self.exchange(user, password))
    }

    /// Connects over TLS (ldaps or StartTLS, checking the server's certificate) and, where a
    /// service account is set, binds as it; then lets go. No user's password is involved:
    /// `doctor`'s check that sign-ins could be checked now. Says what was checked.
    pub fn probe(&self) -> Result<&'static str, DirectoryUnavailable> {
        self.on_own_thread(async {
            let mut ldap = self.connect().await?;
            self.bind_service_account(&mut ldap).await?;
            let _ = ldap.unbind().await;
            Ok(if self.bind_dn.is_some() {
                "TLS connection made and the service account bound"
            } else {
                "TLS connection made"
            })
        })
    }

    /// Runs `work` on a thread of its own with its own small runtime and the configured
    /// time limit, so it can be called from any blocking context (or from inside another
    /// runtime).
    fn on_own_thread<T: Send>(
        &self,
        work: impl Future<Output = Result<T, String>> + Send,
    ) -> Result<T, DirectoryUnavailable> {
        let unavailable = |reason: String| DirectoryUnavailable {
            url: self.url.clone(),
            reason,
        };
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(|e| unavailable(e.to_string()))?;
                    let limit = Duration::from_secs(self.timeout_secs.max(1));
                    runtime.block_on(async {
                        tokio::time::timeout(limit, work)
                            .await
                            .unwrap_or_else(|_| Err(format!("no answer in {}s", limit.as_secs())))
                            .map_err(unavailable)
                    })
                })
                .join()
                .unwrap_or_else(|_| Err(unavailable("the directory check failed".to_owned())))
        })
    }

    async fn connect(&self) -> Result<ldap3::Ldap, String> {
        let mut settings = LdapConnSettings::new()
            .set_conn_timeout(Duration::from_secs(self.timeout_secs.max(1)))
            .set_starttls(self.starttls && self.url.starts_with("ldap://"));
        if let Some(ca) = &self.ca {
            settings = settings.set_config(Arc::new(tls_config(ca)?));
        }
        let (conn, ldap) = LdapConnAsync::with_settings(settings, &self.url)
            .await
            .map_err(|e| e.to_string())?;
        ldap3::drive!(conn);
        Ok(ldap)
    }

    /// Binds as the service account that searches for users, where one is set.
    async fn bind_service_account(&self, ldap: &mut ldap3::Ldap) -> Result<(), String> {
        if let (Some(bind_dn), Some(file)) = (&self.bind_dn, &self.bind_password_file) {
            let secret = service_password(file)?;
            ldap.simple_bind(bind_dn, &secret)
                .await
                .and_then(|r| r.success())
                .map_err(|e| format!("the service account cannot bind: {e}"))?;
        }
        Ok(())
    }

    async fn exchange(&self, user: &str, password: &Password) -> Result<DirectoryVerdict, String> {
        let mut ldap = self.connect().await?;
        let dn = match (&self.user_dn, &self.search_base, &self.search_filter) {
            (Some(template), _, _) => template.replace("{user}", &dn_escape(user)),
            (None, Some(base), Some(filter)) => {
                self.bind_service_account(&mut ldap).await?;
                let filter = filter.replace("{user}", &ldap_escape(user));
                let (entries, _) = ldap
                    .search(base, Scope::Subtree, &filter, vec!["1.1"])
                    .await
                    .and_then(|r| r.success())
                    .map_err(|e| format!("the search failed: {e}"))?;
                match entries.as_slice() {
                    [only] => SearchEntry::construct(only.clone()).dn,
                    [] => return Ok(DirectoryVerdict::WrongPassword),
                    _ => return Err(format!("{} entries match the user", entries.len())),
                }
            }
            _ => return Err("the [directory] settings name no way to find users".to_owned()),
        };
        let bound = ldap
            .simple_bind(&dn, password.expose())
            .await
            .map_err(|e| e.to_string())?;
        match bound.rc {
            0 => {}
            // invalidCredentials: wrong password, or no such entry.
            49 => return Ok(DirectoryVerdict::WrongPassword),
            rc => return Err(format!("bind answered {rc} {}", bound.text)),
        }
        let verdict = match &self.required_group {
            None => DirectoryVerdict::Accepted,
            Some(group) => {
                let member = ldap
                    .compare(group, "member", dn.as_bytes())
                    .await
                    .and_then(|r| r.equal())
                    .map_err(|e| format!("the group check failed: {e}"))?;
                if member {
                    DirectoryVerdict::Accepted
                } else {
                    DirectoryVerdict::NotInGroup
                }
            }
        };
        let _ = ldap.unbind().await;
        Ok(verdict)
    }
}

fn tls_config(ca: &PathBuf) -> Result<rustls::ClientConfig, String> {
    files::check_protected(ca).map_err(|e| e.to_string())?;
    let mut roots = rustls::RootCertStore::empty();
    let certs = CertificateDer::pem_file_iter(ca)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("cannot read the directory CA {}: {e}", ca.display()))?;
    for cert in certs {
        roots
            .add(cert)
            .map_err(|e| format!("the directory CA {} is not usable: {e}", ca.display()))?;
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// The service account's password: one line of a private (0600) file.
fn service_password(file: &PathBuf) -> Result<Zeroizing<String>, String> {
    files::check_private(file).map_err(|e| e.to_string())?;
    let text = Zeroizing::new(
        std::fs::read_to_string(file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?,
    );
    Ok(Zeroizing::new(
        text.trim_end_matches(['\r', '\n']).to_owned(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn direct() -> DirectoryConfig {
        DirectoryConfig {
            url: "ldaps://127.0.0.1:1".into(),
            starttls: false,
            ca: None,
            user_dn: Some("uid={user},ou=people,dc=example,dc=nhs".into()),
            search_base: None,
            search_filter: None,
            bind_dn: None,
            bind_password_file: None,
            required_group: None,
            timeout_secs: 2,
        }
    }

    #[test]
    fn plain_ldap_without_starttls_is_refused() {
        let mut config = direct();
        config.url = "ldap://127.0.0.1:389".into();
        assert!(config.validate().unwrap_err().contains("in the clear"));
        config.starttls = true;
        config.validate().unwrap();
    }

    #[test]
    fn user_input_is_escaped_for_dns_and_filters() {
        // RFC 4515: the classic injection becomes a literal.
        assert_eq!(ldap_escape("*)(uid=*"), "\\2a\\29\\28uid=\\2a");
        // RFC 4514: a comma cannot start a new RDN.
        assert_eq!(dn_escape("a,ou=admins"), "a\\2cou\\3dadmins");
    }

    #[test]
    fn an_unreachable_directory_is_named_and_an_empty_password_never_binds() {
        let config = direct();
        let err = config
            .verify("jsmith", &Password::new("some password".into()))
            .unwrap_err();
        assert_eq!(err.url, "ldaps://127.0.0.1:1");
        assert!(err.to_string().contains("ldaps://127.0.0.1:1"), "{err}");
        assert_eq!(
            config.verify("jsmith", &Password::new(String::new())),
            Ok(DirectoryVerdict::WrongPassword)
        );
    }
}
