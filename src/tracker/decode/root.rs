//! The top level of a body: a tree of its members, except that a search list is decoded
//! straight into the model as it is parsed (see `search`), leaving a null in its place.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

use super::fields::trim;
use super::search::SearchList;
use super::tree::{Key, Node, NodeVisitor};

/// The search member's name, and the spelling the overview table once used.
pub const SEARCH: &str = "prescriptionList";
pub const SEARCH_CAPITALISED: &str = "PrescriptionList";

pub struct Root<'a> {
    /// The whole body as a tree, search lists aside.
    pub node: Node<'a>,
    /// The last `prescriptionList` member, decoded.
    pub search: Option<SearchList>,
    /// The last `PrescriptionList` member, decoded.
    pub search_capitalised: Option<SearchList>,
}

impl<'de> de::Deserialize<'de> for Root<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RootVisitor)
    }
}

struct RootVisitor;

fn tree(node: Node<'_>) -> Root<'_> {
    Root {
        node,
        search: None,
        search_capitalised: None,
    }
}

impl<'de> Visitor<'de> for RootVisitor {
    type Value = Root<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members: Vec<(Cow<'de, str>, Node<'de>)> = Vec::new();
        let (mut search, mut search_capitalised) = (None, None);
        while let Some(Key(key)) = map.next_key()? {
            let value = match trim(&key) {
                SEARCH => {
                    search = Some(map.next_value()?);
                    Node::Null
                }
                SEARCH_CAPITALISED => {
                    search_capitalised = Some(map.next_value()?);
                    Node::Null
                }
                _ => map.next_value()?,
            };
            members.push((key, value));
        }
        Ok(Root {
            node: Node::Object(members),
            search,
            search_capitalised,
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        NodeVisitor.visit_seq(seq).map(tree)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        NodeVisitor.visit_bool(v).map(tree)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        NodeVisitor.visit_i64(v).map(tree)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        NodeVisitor.visit_u64(v).map(tree)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        NodeVisitor.visit_f64(v).map(tree)
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        NodeVisitor.visit_borrowed_str(v).map(tree)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        NodeVisitor.visit_str(v).map(tree)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        NodeVisitor.visit_unit().map(tree)
    }
}
