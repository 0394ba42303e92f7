//! Who is asking: the end user's Spine identity (user ID and role profile ID, both sent
//! on every request) and the trace ID that lets the national service desk find a request.

use std::fmt;

pub use crate::tracker::spine_id::{SpineId, SpineIdError, SpineIdKind};

use crate::security::identity::{RoleProfileId, SpineUserId};

/// The end user on whose behalf a request is made (`Spine-UserId`, `Spine-RoleProfileId`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpineIdentity {
    pub user_id: SpineId,
    pub role_profile_id: SpineId,
}

impl SpineIdentity {
    /// The signed-in user's identity, already checked when the session was made.
    pub fn of(user_id: &SpineUserId, role_profile_id: &RoleProfileId) -> Self {
        Self {
            user_id: user_id.spine_id().clone(),
            role_profile_id: role_profile_id.spine_id().clone(),
        }
    }

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

    /// Whether a text follows Spine's trace ID rule (the sandbox checks the header with it).
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
