//! A small borrowed JSON tree, read with serde_json, that keeps every object member in
//! the order sent (duplicates included) and lets the decoders match names after trimming.
//! Strings without escapes are borrowed from the body, so a large search decodes with few
//! allocations.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// One JSON value.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Node<'a> {
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
    pub(super) fn get(&self, name: &str) -> Option<&Node<'a>> {
        match self {
            Node::Object(members) => members
                .iter()
                .rev()
                .find(|(key, _)| name_matches(key, name))
                .map(|(_, value)| value),
            _ => None,
        }
    }

    pub(super) fn members(&self) -> &[(Cow<'a, str>, Node<'a>)] {
        match self {
            Node::Object(members) => members,
            _ => &[],
        }
    }

    /// The value as text: strings as they are, numbers as written, booleans as Spine
    /// writes them (`True` / `False`). `None` for null, objects and arrays.
    pub(super) fn text(&self) -> Option<Cow<'_, str>> {
        match self {
            Node::String(s) => Some(Cow::Borrowed(s.as_ref())),
            Node::Number(n) => Some(Cow::Borrowed(n.as_str())),
            Node::Bool(true) => Some(Cow::Borrowed("True")),
            Node::Bool(false) => Some(Cow::Borrowed("False")),
            Node::Null | Node::Array(_) | Node::Object(_) => None,
        }
    }

    /// What kind of value this is, for messages.
    pub(super) fn describe(&self) -> &'static str {
        match self {
            Node::Null => "null",
            Node::Bool(_) => "a boolean",
            Node::Number(_) => "a number",
            Node::String(_) => "a string",
            Node::Array(_) => "an array",
            Node::Object(_) => "an object",
        }
    }

    pub(super) fn is_object(&self) -> bool {
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

/// What the depth scan needs to know about a byte: nothing for almost all of them, which
/// keeps the loop to one table load and one well-predicted branch per byte.
const QUOTE: u8 = 1;
const BACKSLASH: u8 = 2;
const OPEN: u8 = 3;
const CLOSE: u8 = 4;
const SCAN_CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    table[b'"' as usize] = QUOTE;
    table[b'\\' as usize] = BACKSLASH;
    table[b'[' as usize] = OPEN;
    table[b'{' as usize] = OPEN;
    table[b']' as usize] = CLOSE;
    table[b'}' as usize] = CLOSE;
    table
};

/// Whether `body` nests arrays and objects deeper than `limit`, stopping as soon as it
/// does, so pathological input is refused before any recursive parser sees it.
pub(super) fn exceeds_depth(body: &[u8], limit: usize) -> bool {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in body {
        let class = SCAN_CLASS[usize::from(byte)];
        if class == 0 {
            escaped = false;
            continue;
        }
        if in_string {
            match class {
                _ if escaped => escaped = false,
                BACKSLASH => escaped = true,
                QUOTE => in_string = false,
                _ => {}
            }
            continue;
        }
        match class {
            QUOTE => in_string = true,
            OPEN => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            CLOSE => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

impl<'de> Deserialize<'de> for Node<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

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

/// An object member name, borrowed when it has no escapes (serde's own `Cow` impl always
/// copies).
struct Key<'a>(Cow<'a, str>);

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

    #[test]
    fn depth_scan_ignores_brackets_inside_strings() {
        assert!(!exceeds_depth(br#"{"a": "[[[[[[[[", "b": {"c": []}}"#, 3));
        assert!(exceeds_depth(b"[[[[", 3));
        assert!(!exceeds_depth(br#"["\"[[[["]"#, 1));
        let deep = "[".repeat(200_000);
        assert!(exceeds_depth(deep.as_bytes(), 64));
    }
}
