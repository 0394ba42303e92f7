//! The search (`prescriptionList`) read straight into the model as serde parses it: the
//! largest answers are searches, so this shape builds no tree. Each prescription's members
//! are caught in typed slots (the last of a repeated member wins, names match after
//! trimming, values stay borrowed from the body), then read with the same rules and in the
//! same order as every other shape, so warnings and errors are those of the tree decoders.

use std::borrow::Cow;
use std::fmt::{self, Display};

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::basic::{ITEM_STATUS, STATUS, TREATMENT};
use super::fields::{At, Ctx, PairOf, Prescriptions, identity_of, not_an_object, trim};
use super::tree::{Key, Node, NodeVisitor, Skip};
use crate::tracker::codes::{LineItemStatus, PrescriptionStatus, TreatmentType};
use crate::tracker::model::{Issue, LineItem, Prescription};

/// A decoded `prescriptionList`: the prescriptions, or why the list cannot be shown, and
/// the warnings made on the way.
pub struct SearchList {
    pub prescriptions: Result<Vec<Prescription>, String>,
    pub ctx: Ctx,
}

impl<'de> de::Deserialize<'de> for SearchList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ListVisitor)
    }
}

struct ListVisitor;

impl<'de> Visitor<'de> for ListVisitor {
    type Value = SearchList;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a prescription list")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut ctx = Ctx::default();
        let mut prescriptions = Ok(Prescriptions::default());
        while let Some(Key(key)) = map.next_key()? {
            let raw: Raw<'de> = map.next_value()?;
            // After the first unreadable prescription the rest is only checked as JSON.
            if let Ok(list) = &mut prescriptions {
                match raw.read(&mut ctx, trim(&key)) {
                    Ok(prescription) => list.add(&mut ctx, prescription),
                    Err(error) => prescriptions = Err(error),
                }
            }
        }
        Ok(SearchList {
            prescriptions: prescriptions.map(Prescriptions::into_vec),
            ctx,
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let node = NodeVisitor.visit_seq(seq)?;
        Ok(not_a_list(&node))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(not_a_list(&Node::Bool(v)))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(not_a_list(&Node::Number(String::new())))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(not_a_list(&Node::Number(String::new())))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(not_a_list(&Node::Number(String::new())))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(not_a_list(&Node::String(Cow::Borrowed(""))))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(not_a_list(&Node::Null))
    }
}

fn not_a_list(node: &Node<'_>) -> SearchList {
    SearchList {
        prescriptions: Err(format!(
            "prescriptionList is {}, expected an object keyed by prescription ID",
            node.describe()
        )),
        ctx: Ctx::default(),
    }
}

/// A `{…Code, …Text}` member as sent.
enum Pair<'a> {
    Object {
        code: Option<Node<'a>>,
        text: Option<Node<'a>>,
    },
    Other(Node<'a>),
}

impl<'a> Pair<'a> {
    fn as_ref(&self) -> PairOf<'_, 'a> {
        match self {
            Pair::Object { code, text } => PairOf::Object {
                code: code.as_ref(),
                text: text.as_ref(),
            },
            Pair::Other(node) => PairOf::Other(node),
        }
    }
}

/// Reads a pair whose members are named `code` and `text`.
struct PairSeed {
    code: &'static str,
    text: &'static str,
}

impl PairSeed {
    fn of(names: (&str, &'static str, &'static str)) -> Self {
        Self {
            code: names.1,
            text: names.2,
        }
    }
}

impl<'de> DeserializeSeed<'de> for PairSeed {
    type Value = Pair<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for PairSeed {
    type Value = Pair<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a code and text pair")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut code, mut text) = (None, None);
        while let Some(Key(key)) = map.next_key()? {
            let key = trim(&key);
            if key == self.code {
                code = Some(map.next_value()?);
            } else if key == self.text {
                text = Some(map.next_value()?);
            } else {
                map.next_value::<Skip>()?;
            }
        }
        Ok(Pair::Object { code, text })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        NodeVisitor.visit_seq(seq).map(Pair::Other)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        NodeVisitor.visit_bool(v).map(Pair::Other)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        NodeVisitor.visit_i64(v).map(Pair::Other)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        NodeVisitor.visit_u64(v).map(Pair::Other)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        NodeVisitor.visit_f64(v).map(Pair::Other)
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        NodeVisitor.visit_borrowed_str(v).map(Pair::Other)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        NodeVisitor.visit_str(v).map(Pair::Other)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        NodeVisitor.visit_unit().map(Pair::Other)
    }
}

/// Members keyed by position (`"1"`, `"2"`, …), as sent; anything but an object has none.
struct Entries<'a, T>(Vec<(Cow<'a, str>, T)>);

impl<'de, T: de::Deserialize<'de>> de::Deserialize<'de> for Entries<'de, T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: de::Deserialize<'de>> Visitor<'de> for EntriesVisitor<T> {
            type Value = Entries<'de, T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("numbered entries")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
                while let Some(Key(key)) = map.next_key()? {
                    entries.push((key, map.next_value()?));
                }
                Ok(Entries(entries))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<Skip>()?.is_some() {}
                Ok(Entries(Vec::new()))
            }

            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Entries(Vec::new()))
            }

            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Entries(Vec::new()))
            }

            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Entries(Vec::new()))
            }

            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Entries(Vec::new()))
            }

            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Entries(Vec::new()))
            }

            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Entries(Vec::new()))
            }
        }
        deserializer.deserialize_any(EntriesVisitor(std::marker::PhantomData))
    }
}

/// Fills typed slots from an object's members; anything but an object leaves them empty
/// and says what it was.
trait Slots<'de>: Default {
    /// Reads the value of the member named `key` (trimmed), or skips it.
    fn member<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error>;

    /// Notes that the value was not an object (`kind` as in "an array").
    fn not_an_object(&mut self, _kind: &'static str) {}
}

struct SlotsVisitor<S>(std::marker::PhantomData<S>);

impl<'de, S: Slots<'de>> Visitor<'de> for SlotsVisitor<S> {
    type Value = S;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut slots = S::default();
        while let Some(Key(key)) = map.next_key()? {
            slots.member(trim(&key), &mut map)?;
        }
        Ok(slots)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(other("an array"))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(other("a boolean"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(other("a number"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(other("a number"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(other("a number"))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(other("a string"))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(other("null"))
    }
}

fn other<'de, S: Slots<'de>>(kind: &'static str) -> S {
    let mut slots = S::default();
    slots.not_an_object(kind);
    slots
}

macro_rules! slots_deserialize {
    ($name:ident) => {
        impl<'de> de::Deserialize<'de> for $name<'de> {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_any(SlotsVisitor(std::marker::PhantomData))
            }
        }
    };
}

/// One prescription of the list, as sent.
#[derive(Default)]
struct Raw<'a> {
    /// What it was when it was not an object.
    not_an_object: Option<&'static str>,
    prescription_id: Option<Node<'a>>,
    patient_nhs_number: Option<Node<'a>>,
    treatment: Option<Pair<'a>>,
    issue_date: Option<Node<'a>>,
    last_event_date: Option<Node<'a>>,
    current_issue: Option<Node<'a>>,
    pending_cancellations: Option<Node<'a>>,
    issues: Option<Entries<'a, RawIssue<'a>>>,
}

slots_deserialize!(Raw);

impl<'de> Slots<'de> for Raw<'de> {
    fn member<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "prescriptionId" => self.prescription_id = Some(map.next_value()?),
            "patientNhsNumber" => self.patient_nhs_number = Some(map.next_value()?),
            "prescriptionTreatmentType" => {
                self.treatment = Some(map.next_value_seed(PairSeed::of(TREATMENT))?);
            }
            "prescriptionIssueDate" => self.issue_date = Some(map.next_value()?),
            "lastEventDate" => self.last_event_date = Some(map.next_value()?),
            "currentIssueNumber" => self.current_issue = Some(map.next_value()?),
            "pendingCancellations" => self.pending_cancellations = Some(map.next_value()?),
            "issues" => self.issues = Some(map.next_value()?),
            _ => {
                map.next_value::<Skip>()?;
            }
        }
        Ok(())
    }

    fn not_an_object(&mut self, kind: &'static str) {
        self.not_an_object = Some(kind);
    }
}

impl Raw<'_> {
    /// The prescription, read as `basic::search` reads a tree.
    fn read(self, ctx: &mut Ctx, key: &str) -> Result<Prescription, String> {
        if let Some(kind) = self.not_an_object {
            return Err(not_an_object(Some(key), kind));
        }
        let mut prescription = identity_of(
            ctx,
            Some(key),
            self.prescription_id.as_ref(),
            self.patient_nhs_number.as_ref(),
        )?;
        let id = prescription.id.clone();
        let whose = At::new(&"prescription", id.as_str());
        prescription.treatment = ctx.coded_of(
            self.treatment.as_ref().map(Pair::as_ref),
            TREATMENT,
            &whose,
            TreatmentType::from_code,
        );
        prescription.issue_date =
            ctx.date_of(self.issue_date.as_ref(), "prescriptionIssueDate", &whose);
        prescription.last_event_date =
            ctx.date_of(self.last_event_date.as_ref(), "lastEventDate", &whose);
        prescription.current_issue =
            ctx.number_of(self.current_issue.as_ref(), "currentIssueNumber", &whose);
        prescription.pending_cancellation = ctx.flag_of(
            self.pending_cancellations.as_ref(),
            "pendingCancellations",
            &whose,
        );
        let issues = self.issues.map(|e| e.0).unwrap_or_default();
        for (number, raw) in ctx.positional_of(issues.into_iter(), &whose) {
            prescription.issues.push(raw.read(ctx, number, &whose));
        }
        // The search lists every issue Spine holds, future ones included (Spine creates
        // them all when the prescription is signed): the highest is the last.
        if prescription.is_repeat_dispensing() {
            prescription.total_issues = prescription.issues.iter().map(|i| i.number).max();
        }
        Ok(prescription)
    }
}

/// One issue of a prescription, as sent.
#[derive(Default)]
struct RawIssue<'a> {
    issue_date: Option<Node<'a>>,
    status: Option<Pair<'a>>,
    line_items: Option<Entries<'a, RawLine<'a>>>,
}

slots_deserialize!(RawIssue);

impl<'de> Slots<'de> for RawIssue<'de> {
    fn member<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "issueDate" => self.issue_date = Some(map.next_value()?),
            "prescriptionStatus" => {
                self.status = Some(map.next_value_seed(PairSeed::of(STATUS))?);
            }
            "lineItems" => self.line_items = Some(map.next_value()?),
            _ => {
                map.next_value::<Skip>()?;
            }
        }
        Ok(())
    }
}

impl RawIssue<'_> {
    fn read(self, ctx: &mut Ctx, number: u32, whose: &dyn Display) -> Issue {
        let whose = At::numbered(whose, "issue", number);
        let mut issue = Issue::numbered(number);
        issue.issue_date = ctx.date_of(self.issue_date.as_ref(), "issueDate", &whose);
        issue.status = ctx.coded_of(
            self.status.as_ref().map(Pair::as_ref),
            STATUS,
            &whose,
            PrescriptionStatus::from_code,
        );
        let lines = self.line_items.map(|e| e.0).unwrap_or_default();
        issue.line_items = ctx
            .positional_of(lines.into_iter(), &whose)
            .into_iter()
            .map(|(position, line)| line.read(ctx, position, &whose))
            .collect();
        issue
    }
}

/// One line item of an issue, as sent.
#[derive(Default)]
struct RawLine<'a> {
    id: Option<Node<'a>>,
    status: Option<Pair<'a>>,
}

slots_deserialize!(RawLine);

impl<'de> Slots<'de> for RawLine<'de> {
    fn member<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match key {
            "id" => self.id = Some(map.next_value()?),
            "status" => self.status = Some(map.next_value_seed(PairSeed::of(ITEM_STATUS))?),
            _ => {
                map.next_value::<Skip>()?;
            }
        }
        Ok(())
    }
}

impl RawLine<'_> {
    fn read(self, ctx: &mut Ctx, position: u32, whose: &dyn Display) -> LineItem {
        let whose = At::numbered(whose, "line item", position);
        LineItem {
            id: ctx
                .text_of(self.id.as_ref(), "id", &whose)
                .map(|id| trim(&id).to_owned()),
            status: ctx.coded_of(
                self.status.as_ref().map(Pair::as_ref),
                ITEM_STATUS,
                &whose,
                LineItemStatus::from_code,
            ),
            ..LineItem::default()
        }
    }
}
