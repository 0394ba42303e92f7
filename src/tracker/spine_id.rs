//! The 12-digit Spine identifier (user ID, role profile ID, ASID): one type and one rule,
//! used by the client's headers, the signed-in session (`security::identity` wraps it) and
//! the sandbox's header check.

use std::fmt;

use thiserror::Error;

/// A 12-digit Spine identifier: user ID, role profile ID or ASID.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SpineId(String);

/// Which identifier a `SpineId` is, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpineIdKind {
    UserId,
    RoleProfileId,
    Asid,
}

impl fmt::Display for SpineIdKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SpineIdKind::UserId => "Spine user ID",
            SpineIdKind::RoleProfileId => "role profile ID",
            SpineIdKind::Asid => "ASID",
        })
    }
}

/// Why a text is not a 12-digit Spine identifier.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SpineIdError {
    #[error("the {kind} is empty: it is 12 digits")]
    Empty { kind: SpineIdKind },
    #[error("the {kind} has {found} characters: it is exactly 12 digits")]
    WrongLength { kind: SpineIdKind, found: usize },
    #[error("the {kind} may hold only digits, not '{ch}'")]
    NotDigit { kind: SpineIdKind, ch: char },
}

impl SpineId {
    /// Leading and trailing blanks are dropped (they come with pasted and configured values).
    pub fn parse(kind: SpineIdKind, text: &str) -> Result<Self, SpineIdError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(SpineIdError::Empty { kind });
        }
        if let Some(ch) = text.chars().find(|c| !c.is_ascii_digit()) {
            return Err(SpineIdError::NotDigit { kind, ch });
        }
        if text.len() != 12 {
            return Err(SpineIdError::WrongLength {
                kind,
                found: text.len(),
            });
        }
        Ok(Self(text.to_owned()))
    }

    /// Whether a text is exactly 12 digits, blanks included: the check for a header as it
    /// arrived (the sandbox's side of the rule).
    pub fn is_exact(text: &str) -> bool {
        text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SpineId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twelve_digits_after_trimming_and_exactly_for_a_header() {
        assert_eq!(
            SpineId::parse(SpineIdKind::Asid, " 200000001285 ")
                .unwrap()
                .as_str(),
            "200000001285"
        );
        assert_eq!(
            SpineId::parse(SpineIdKind::Asid, "").unwrap_err(),
            SpineIdError::Empty {
                kind: SpineIdKind::Asid
            }
        );
        assert!(SpineId::is_exact("555555555555"));
        assert!(!SpineId::is_exact(" 555555555555"));
        assert!(!SpineId::is_exact("55555555555"));
        assert!(!SpineId::is_exact("55555555555x"));
    }
}
