//! Who is asking: the end user's Spine identity (user ID and role profile ID, both sent
//! on every request) and the trace ID that lets the national service desk find a request.

use std::fmt;

use thiserror::Error;

/// A 12-digit Spine identifier: user ID, role profile ID or ASID.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SpineId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The end user on whose behalf a request is made (`Spine-UserId`, `Spine-RoleProfileId`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpineIdentity {
    pub user_id: SpineId,
    pub role_profile_id: SpineId,
}

impl SpineIdentity {
    pub fn new(user_id: &str, role_profile_id: &str) -> Result<Self, SpineIdError> {
        Ok(Self {
            user_id: SpineId::parse(SpineIdKind::UserId, user_id)?,
            role_profile_id: SpineId::parse(SpineIdKind::RoleProfileId, role_profile_id)?,
        })
    }
}

/// The `Eps-TraceId` of one request: at most 30 characters of `A-Z a-z 0-9 -` (Spine's
/// rule, code 54), fresh for every request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TraceId(String);

/// Spine refuses longer trace IDs (a 36-character GUID breaks the rule).
pub const MAX_TRACE_ID_LEN: usize = 30;

impl TraceId {
    /// A new random trace ID: `EPST-` and 25 hex digits of a v4 UUID (30 characters).
    pub fn new_random() -> Self {
        let hex = uuid::Uuid::new_v4().simple().to_string();
        let tail: String = hex.chars().take(MAX_TRACE_ID_LEN - 5).collect();
        Self(format!("EPST-{tail}"))
    }

    /// Whether a text follows Spine's trace ID rule.
    pub fn is_valid(text: &str) -> bool {
        !text.is_empty()
            && text.len() <= MAX_TRACE_ID_LEN
            && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_ids_follow_spines_rule_and_are_fresh() {
        let a = TraceId::new_random();
        let b = TraceId::new_random();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 30);
        assert!(TraceId::is_valid(a.as_str()), "{a}");
        assert!(!TraceId::is_valid(&"a".repeat(31)));
        assert!(!TraceId::is_valid("has space"));
        assert!(!TraceId::is_valid(""));
    }

    #[test]
    fn spine_ids_say_what_is_wrong() {
        assert_eq!(
            SpineIdentity::new("55555555555", "555555555555")
                .unwrap_err()
                .to_string(),
            "the Spine user ID has 11 characters: it is exactly 12 digits"
        );
        assert_eq!(
            SpineIdentity::new("555555555555", "55555555555x")
                .unwrap_err()
                .to_string(),
            "the role profile ID may hold only digits, not 'x'"
        );
        let ok = SpineIdentity::new(" 555555555555 ", "666666666666").unwrap();
        assert_eq!(ok.user_id.as_str(), "555555555555");
    }
}
