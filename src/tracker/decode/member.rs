//! Object member names as the search's visitors read them: each visitor names the members
//! it reads in an enum, and a name is matched as serde parses it, without keeping the
//! name. Names match after trimming; the trim is only made when a name starts or ends
//! with something other than a visible ASCII character (see `fields::trim`).

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, Visitor};

use super::basic::{STATUS_CODE, STATUS_TEXT, TREATMENT_CODE, TREATMENT_TEXT};
use super::fields::{parse_count, trim};

/// The members one kind of object has that a visitor reads.
pub trait Members: Sized {
    /// The member called `name` (already trimmed), or the "any other" case.
    fn named(name: &str) -> Self;
}

/// Reads a member name as `M`.
pub struct MemberSeed<M>(PhantomData<M>);

impl<M> MemberSeed<M> {
    pub fn new() -> Self {
        Self(PhantomData)
    }
}

impl<'de, M: Members> DeserializeSeed<'de> for MemberSeed<M> {
    type Value = M;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<M, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<M: Members> Visitor<'_> for MemberSeed<M> {
    type Value = M;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<M, E> {
        Ok(M::named(trim(name)))
    }
}

/// The two members of a `{…Code, …Text}` pair.
pub enum PairMember {
    Code,
    Text,
    Other,
}

/// The names of one kind of pair's two members.
pub trait PairNames {
    const CODE: &'static str;
    const TEXT: &'static str;
}

/// A status pair: an issue's `prescriptionStatus`, a line item's `status`.
pub struct StatusPair;

impl PairNames for StatusPair {
    const CODE: &'static str = STATUS_CODE;
    const TEXT: &'static str = STATUS_TEXT;
}

/// A prescription's `prescriptionTreatmentType` pair.
pub struct TreatmentPair;

impl PairNames for TreatmentPair {
    const CODE: &'static str = TREATMENT_CODE;
    const TEXT: &'static str = TREATMENT_TEXT;
}

/// A member of a pair whose names `N` gives.
pub struct PairMemberOf<N>(pub PairMember, PhantomData<N>);

impl<N: PairNames> Members for PairMemberOf<N> {
    fn named(name: &str) -> Self {
        let member = if name == N::CODE {
            PairMember::Code
        } else if name == N::TEXT {
            PairMember::Text
        } else {
            PairMember::Other
        };
        Self(member, PhantomData)
    }
}

/// A numbered collection's key: the position, or the key as sent when it is not a number.
pub enum Position {
    At(u32),
    NotNumbered(String),
}

/// Reads a numbered collection's key.
pub struct PositionSeed;

impl<'de> DeserializeSeed<'de> for PositionSeed {
    type Value = Position;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Position, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for PositionSeed {
    type Value = Position;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Position, E> {
        Ok(match digits(key).or_else(|| parse_count(key)) {
            Some(position) => Position::At(position),
            None => Position::NotNumbered(key.to_owned()),
        })
    }
}

/// A key of one to nine ASCII digits (as Spine numbers nearly everything), read without
/// the general parser; anything else is left to `parse_count`.
fn digits(key: &str) -> Option<u32> {
    if key.is_empty() || key.len() > 9 {
        return None;
    }
    key.bytes().try_fold(0u32, |number, byte| {
        byte.is_ascii_digit()
            .then(|| number * 10 + u32::from(byte - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_agree_with_parse_count() {
        for key in [
            "",
            "0",
            "1",
            "12",
            "007",
            "999999999",
            "1000000000",
            "4294967295",
            "1.0",
            " 3 ",
            "-1",
            "+1",
            "x",
            "1x",
            "٣",
        ] {
            if let Some(number) = digits(key) {
                assert_eq!(Some(number), parse_count(key), "{key:?}");
            }
        }
        assert_eq!(digits("12"), Some(12));
        assert_eq!(digits("1000000000"), None, "left to the general parser");
    }
}
