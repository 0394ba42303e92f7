//! A small borrowed JSON tree, read with serde_json, that keeps every object member in
//! the order sent (duplicates included) and lets the decoders match names after trimming.
//! Strings without escapes are borrowed from the body. The search is not read into a tree
//! (see `search`); the other shapes, which are small, are.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// One JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Node<'a> {
    Null,
    Bool(bool),
    /// A number, kept as its text so `"28"` and `28` read the same.
    Number(String),
    String(Cow<'a, str>),
    Array(Vec<Node<'a>>),
    Object(Vec<(Cow<'a, str>, Node<'a>)>),
}

impl<'a> Node<'a> {
    /// The member whose name, trimmed, is `name`. When a name is repeated the last one
    /// wins, as in most JSON readers.
    pub fn get(&self, name: &str) -> Option<&Node<'a>> {
        match self {
            Node::Object(members) => members
                .iter()
                .rev()
                .find(|(key, _)| name_matches(key, name))
                .map(|(_, value)| value),
            _ => None,
        }
    }

    pub fn members(&self) -> &[(Cow<'a, str>, Node<'a>)] {
        match self {
            Node::Object(members) => members,
            _ => &[],
        }
    }

    /// The value as text: strings as they are, numbers as written, booleans as Spine
    /// writes them (`True` / `False`). `None` for null, objects and arrays.
    pub fn text(&self) -> Option<Cow<'_, str>> {
        match self {
            Node::String(s) => Some(Cow::Borrowed(s.as_ref())),
            Node::Number(n) => Some(Cow::Borrowed(n.as_str())),
            Node::Bool(true) => Some(Cow::Borrowed("True")),
            Node::Bool(false) => Some(Cow::Borrowed("False")),
            Node::Null | Node::Array(_) | Node::Object(_) => None,
        }
    }

    /// What kind of value this is, for messages.
    pub fn describe(&self) -> &'static str {
        match self {
            Node::Null => "null",
            Node::Bool(_) => "a boolean",
            Node::Number(_) => "a number",
            Node::String(_) => "a string",
            Node::Array(_) => "an array",
            Node::Object(_) => "an object",
        }
    }

    pub fn is_object(&self) -> bool {
        matches!(self, Node::Object(_))
    }
}

/// Whether a member name is `name`, ignoring surrounding whitespace. The exact comparison
/// comes first: almost every name is spelt plainly, and trimming costs more than comparing.
fn name_matches(key: &str, name: &str) -> bool {
    match key.len().cmp(&name.len()) {
        std::cmp::Ordering::Equal => key == name,
        std::cmp::Ordering::Greater => key.trim() == name,
        std::cmp::Ordering::Less => false,
    }
}

impl<'de> Deserialize<'de> for Node<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

pub struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Node::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Node::Number(v.to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Node::Number(v.to_string()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Node::Number(v.to_string()))
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Node::String(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Node::String(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Node::String(Cow::Owned(v)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Node::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Node::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
        while let Some(Key(key)) = map.next_key()? {
            let value = map.next_value()?;
            members.push((key, value));
        }
        Ok(Node::Object(members))
    }
}

/// A value passed over. serde's `IgnoredAny` would be faster, but serde_json skips it
/// without counting depth; going through `deserialize_any` keeps every array and object
/// under serde_json's recursion limit, so a deep body is refused wherever it nests.
pub struct Skip;

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SkipVisitor)
    }
}

struct SkipVisitor;

impl<'de> Visitor<'de> for SkipVisitor {
    type Value = Skip;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Skip)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Skip)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Skip)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Skip)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Skip)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Skip)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Skip)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Skip)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<Skip, Skip>()?.is_some() {}
        Ok(Skip)
    }
}

/// An object member name, borrowed when it has no escapes (serde's own `Cow` impl always
/// copies).
pub struct Key<'a>(pub Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }

            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Node<'_> {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn names_match_after_trimming_and_the_last_duplicate_wins() {
        let node = parse(r#"{" prescriptionList ": {}, "a": "1", "a": "2"}"#);
        assert!(node.get("prescriptionList").is_some_and(Node::is_object));
        assert_eq!(node.get("a").and_then(|n| n.text()).as_deref(), Some("2"));
        assert_eq!(node.get("missing"), None);
    }

    #[test]
    fn scalars_read_as_text() {
        let node = parse(r#"{"n": 28, "f": 12.5, "b": true, "z": null}"#);
        assert_eq!(node.get("n").and_then(|n| n.text()).as_deref(), Some("28"));
        assert_eq!(
            node.get("f").and_then(|n| n.text()).as_deref(),
            Some("12.5")
        );
        assert_eq!(
            node.get("b").and_then(|n| n.text()).as_deref(),
            Some("True")
        );
        assert_eq!(node.get("z").and_then(|n| n.text()), None);
    }

    #[test]
    fn strings_without_escapes_are_borrowed() {
        let node = parse(r#"{"plain": "abc", "escaped": "a\"b"}"#);
        assert!(matches!(
            node.get("plain"),
            Some(Node::String(Cow::Borrowed(_)))
        ));
        assert!(matches!(
            node.get("escaped"),
            Some(Node::String(Cow::Owned(_)))
        ));
    }
}
