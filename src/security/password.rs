//! Passwords in memory and the rules for new ones. A `Password` lives in a buffer that is
//! wiped when dropped and never shows its content in `Debug`, logs or panics. The policy is
//! length plus a blocklist, no composition rules (NIST SP 800-63B, NCSC guidance): the
//! 100,000 most common passwords of a public list (`assets/common-passwords.txt.gz`, its
//! source in README.md) and words from this program's own context.

use std::collections::HashSet;
use std::fmt;
use std::io::Read;
use std::sync::OnceLock;

use thiserror::Error;
use zeroize::Zeroizing;

/// A password typed by a user, wiped from memory when dropped.
#[derive(Clone)]
pub struct Password(Zeroizing<String>);

impl Password {
    /// Takes ownership of the text (the caller's `String` moves in and is wiped with it).
    pub fn new(text: String) -> Self {
        Self(Zeroizing::new(text))
    }

    /// The password's text, for hashing only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Length in characters (not bytes), as people count it.
    pub fn chars(&self) -> usize {
        self.0.chars().count()
    }
}

impl From<Zeroizing<String>> for Password {
    fn from(text: Zeroizing<String>) -> Self {
        Self(text)
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(redacted)")
    }
}

/// The longest password accepted when setting one: long passphrases are welcome, but an
/// unbounded input would only cost hashing time.
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// Why a new password is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PolicyError {
    #[error("the password is empty")]
    Empty,
    #[error("the password has {found} characters: use at least {min} (a few words work well)")]
    TooShort { found: usize, min: usize },
    #[error("the password has {found} characters: use at most {MAX_PASSWORD_CHARS}")]
    TooLong { found: usize },
    #[error("the password must not contain {0}")]
    Contains(&'static str),
    #[error("the password is one of the most common passwords: choose another")]
    Common,
    #[error("the password repeats a single character: choose another")]
    Repetitive,
}

/// The 100,000 most common passwords, most common first, one a line (gzip).
const COMMON_LIST_GZ: &[u8] = include_bytes!("../../assets/common-passwords.txt.gz");

/// Passwords from this program's context, too guessable whatever their length.
const CONTEXT: &[&str] = &[
    "123456789012",
    "1234567890123",
    "qwertyuiopas",
    "qwertyuiop123",
    "letmein12345",
    "welcome12345",
    "iloveyou1234",
    "changeme1234",
    "abcdefghijkl",
    "nhsnhsnhsnhs",
    "sandbox-demo",
    "prescription",
    "prescriptions",
    "nhs-prescription",
    "spine-tracker",
];

/// The blocklist in lower case, unpacked on first use (a few milliseconds, once).
fn common() -> &'static HashSet<String> {
    static COMMON: OnceLock<HashSet<String>> = OnceLock::new();
    COMMON.get_or_init(|| {
        let mut text = String::new();
        // The asset is compiled in and checked by a test, so a failure here can only be a
        // damaged build: the context words still apply.
        if flate2::read::GzDecoder::new(COMMON_LIST_GZ)
            .read_to_string(&mut text)
            .is_err()
        {
            text.clear();
        }
        text.lines()
            .map(str::to_lowercase)
            .chain(CONTEXT.iter().map(|c| (*c).to_owned()))
            .collect()
    })
}

/// Checks a new password for `user_id` against the policy.
pub fn check_new_password(
    password: &Password,
    user_id: &str,
    min_chars: usize,
) -> Result<(), PolicyError> {
    let found = password.chars();
    if found == 0 {
        return Err(PolicyError::Empty);
    }
    if found < min_chars {
        return Err(PolicyError::TooShort {
            found,
            min: min_chars,
        });
    }
    if found > MAX_PASSWORD_CHARS {
        return Err(PolicyError::TooLong { found });
    }
    let lower = Zeroizing::new(password.expose().to_lowercase());
    if user_id.len() >= 3 && lower.contains(&user_id.to_lowercase()) {
        return Err(PolicyError::Contains("your user ID"));
    }
    if lower.contains("eps-tracker") || lower.contains("epstracker") {
        return Err(PolicyError::Contains("the application's name"));
    }
    if lower.contains("password") {
        return Err(PolicyError::Contains("the word \"password\""));
    }
    if common().contains(lower.as_str()) {
        return Err(PolicyError::Common);
    }
    let mut chars = lower.chars();
    if let Some(first) = chars.next()
        && chars.all(|c| c == first)
    {
        return Err(PolicyError::Repetitive);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Result<(), PolicyError> {
        check_new_password(&Password::new(text.to_owned()), "jsmith", 12)
    }

    #[test]
    fn debug_never_shows_the_password() {
        let shown = format!("{:?}", Password::new("correct horse battery".into()));
        assert!(!shown.contains("horse"), "{shown}");
    }

    #[test]
    fn the_policy_accepts_a_passphrase_and_refuses_each_bad_kind() {
        assert_eq!(check("correct horse battery"), Ok(()));
        assert_eq!(check(""), Err(PolicyError::Empty));
        assert_eq!(
            check("short one"),
            Err(PolicyError::TooShort { found: 9, min: 12 })
        );
        assert_eq!(
            check(&"ab".repeat(5_000)),
            Err(PolicyError::TooLong { found: 10_000 })
        );
        assert!(matches!(
            check("JSmith-2026-xyz"),
            Err(PolicyError::Contains(_))
        ));
        assert!(matches!(
            check("my-eps-tracker-key"),
            Err(PolicyError::Contains(_))
        ));
        assert!(matches!(
            check("Password2026!"),
            Err(PolicyError::Contains(_))
        ));
        assert_eq!(check("QWERTYUIOPAS"), Err(PolicyError::Common));
        assert_eq!(check("1q2w3e4r5t6y"), Err(PolicyError::Common));
        assert_eq!(check("1Q2W3E4R5T6Y"), Err(PolicyError::Common));
        assert_eq!(check("zzzzzzzzzzzzzz"), Err(PolicyError::Repetitive));
    }

    #[test]
    fn the_blocklist_holds_the_whole_public_list() {
        // 100,000 lines; some differ only in case, so fewer entries in lower case.
        let entries = common().len();
        assert!((95_000..=100_100).contains(&entries), "{entries}");
        for listed in ["123456", "password", "trustno1", "1q2w3e4r5t6y"] {
            assert!(common().contains(listed), "{listed}");
        }
        assert!(!common().contains("correct horse battery"));
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        assert_eq!(check("ééééé ààààà ü"), Ok(()));
    }
}
