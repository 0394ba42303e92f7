//! Validated identifiers for local users and their Spine identity: the local user ID, the
//! 12-digit Spine user ID and role profile ID, and the organisation's ODS code.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::tracker::spine_id::{SpineId, SpineIdKind};

/// Why an identifier is not valid.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IdentityError {
    #[error(
        "local user ID \"{0}\" not allowed: use 1 to 32 lower-case letters, digits, '.', '_' or \
         '-', starting with a letter or digit"
    )]
    LocalUser(String),
    #[error("{what} \"{value}\" not valid: it is exactly 12 digits")]
    TwelveDigits { what: &'static str, value: String },
    #[error("ODS code \"{0}\" not valid: 3 to 10 letters and digits, like A83008")]
    Ods(String),
}

/// A local account name, like `jsmith` or `helpdesk`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LocalUserId(String);

impl LocalUserId {
    pub fn parse(input: &str) -> Result<Self, IdentityError> {
        let ok_first = input
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        let ok_rest = input
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
        if ok_first && ok_rest && input.len() <= 32 {
            Ok(Self(input.to_owned()))
        } else {
            Err(IdentityError::LocalUser(shorten(input)))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Keeps a rejected value short in messages (it may be a password typed in the wrong box).
fn shorten(input: &str) -> String {
    let mut short: String = input.chars().take(40).collect();
    if input.chars().count() > 40 {
        short.push('…');
    }
    short
}

macro_rules! twelve_digit_id {
    ($name:ident, $kind:expr, $what:literal, $doc:literal) => {
        #[doc = $doc]
        /// Wraps the domain's `SpineId`, so the gate sends it as it is, with no second check.
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(SpineId);

        impl $name {
            pub fn parse(input: &str) -> Result<Self, IdentityError> {
                SpineId::parse($kind, input)
                    .map(Self)
                    .map_err(|_| IdentityError::TwelveDigits {
                        what: $what,
                        value: shorten(input),
                    })
            }

            pub fn as_str(&self) -> &str {
                self.0.as_str()
            }

            pub fn spine_id(&self) -> &SpineId {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdentityError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0.as_str().to_owned()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(self.0.as_str())
            }
        }
    };
}

twelve_digit_id!(
    SpineUserId,
    SpineIdKind::UserId,
    "Spine user ID",
    "The user's 12-digit Spine (smartcard) user ID, sent as `Spine-UserId`."
);
twelve_digit_id!(
    RoleProfileId,
    SpineIdKind::RoleProfileId,
    "role profile ID",
    "A 12-digit Spine role profile ID, sent as `Spine-RoleProfileId`."
);

/// An organisation's ODS code, upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OdsCode(String);

impl OdsCode {
    pub fn parse(input: &str) -> Result<Self, IdentityError> {
        let upper = input.trim().to_ascii_uppercase();
        if (3..=10).contains(&upper.len()) && upper.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Ok(Self(upper))
        } else {
            Err(IdentityError::Ods(shorten(input)))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! string_conversions {
    ($($name:ident),*) => {$(
        impl TryFrom<String> for $name {
            type Error = IdentityError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }
        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(&self.0)
            }
        }
    )*};
}

string_conversions!(LocalUserId, OdsCode);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_accept_good_values_and_explain_bad_ones() {
        assert!(LocalUserId::parse("j.smith-2").is_ok());
        assert!(LocalUserId::parse("").is_err());
        assert!(LocalUserId::parse("JSmith").is_err());
        assert!(LocalUserId::parse("-x").is_err());
        assert!(LocalUserId::parse(&"a".repeat(33)).is_err());
        assert!(SpineUserId::parse("555000000001").is_ok());
        let err = SpineUserId::parse("55500000001").unwrap_err().to_string();
        assert!(err.contains("12 digits"), "{err}");
        assert!(RoleProfileId::parse("55500000000a").is_err());
        assert_eq!(OdsCode::parse("a83008").unwrap().as_str(), "A83008");
        assert!(OdsCode::parse("A8").is_err());
        assert!(OdsCode::parse("A83 008").is_err());
    }

    #[test]
    fn a_long_rejected_value_is_shortened_in_the_message() {
        let err = LocalUserId::parse(&"X".repeat(10_000))
            .unwrap_err()
            .to_string();
        assert!(err.len() < 300, "{}", err.len());
    }
}
