//! The search (`prescriptionList`) read straight into the model as serde parses it: the
//! largest answers are searches, so this shape builds no tree and no intermediate lists.
//! Issues and line items become model values as their objects close; the few members of a
//! prescription and of an issue that are read with a rule (dates, codes, flags) are caught
//! in typed slots first (the last of a repeated member wins, names match after trimming,
//! values stay borrowed from the body). Warnings are kept beside each entry and told once a
//! list is complete, in the order the tree decoders would make them: a prescription's own,
//! then its issues' in issue order, each issue's own before its line items'.

use std::fmt::{self, Display};

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::basic::{ITEM_STATUS, STATUS, TREATMENT};
use super::fields::{
    At, Ctx, PairOf, Prescriptions, identity_of, not_an_object, parse_count, short, trim,
};
use super::tree::{Key, Node, NodeVisitor, Skip};
use crate::tracker::codes::{LineItemStatus, PrescriptionStatus, TreatmentType};
use crate::tracker::ids::PrescriptionId;
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

/// The `Visitor` methods for every kind of value but an object, each answering
/// `self.other(kind)` (`kind` as in "an array"). An array's elements are only checked.
macro_rules! visit_non_objects {
    () => {
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<Skip>()?.is_some() {}
            Ok(self.other("an array"))
        }

        fn visit_bool<Er: de::Error>(self, _: bool) -> Result<Self::Value, Er> {
            Ok(self.other("a boolean"))
        }

        fn visit_i64<Er: de::Error>(self, _: i64) -> Result<Self::Value, Er> {
            Ok(self.other("a number"))
        }

        fn visit_u64<Er: de::Error>(self, _: u64) -> Result<Self::Value, Er> {
            Ok(self.other("a number"))
        }

        fn visit_f64<Er: de::Error>(self, _: f64) -> Result<Self::Value, Er> {
            Ok(self.other("a number"))
        }

        fn visit_str<Er: de::Error>(self, _: &str) -> Result<Self::Value, Er> {
            Ok(self.other("a string"))
        }

        fn visit_unit<Er: de::Error>(self) -> Result<Self::Value, Er> {
            Ok(self.other("null"))
        }
    };
}

struct ListVisitor;

impl ListVisitor {
    fn other(self, kind: &str) -> SearchList {
        SearchList {
            prescriptions: Err(format!(
                "prescriptionList is {kind}, expected an object keyed by prescription ID"
            )),
            ctx: Ctx::default(),
        }
    }
}

impl<'de> Visitor<'de> for ListVisitor {
    type Value = SearchList;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a prescription list")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut ctx = Ctx::default();
        let mut prescriptions = Ok(Prescriptions::default());
        while let Some(Key(key)) = map.next_key()? {
            let Ok(list) = &mut prescriptions else {
                // After the first unreadable prescription the rest is only checked as JSON.
                map.next_value::<Skip>()?;
                continue;
            };
            let key = trim(&key);
            // The key is the ID (see `identity_of`); when it is not one, the prescription
            // cannot be read, and its issues are only checked as JSON.
            let id = PrescriptionId::parse(key).ok();
            let raw = map.next_value_seed(RawSeed { id: id.as_ref() })?;
            match raw.read(&mut ctx, key) {
                Ok(prescription) => list.add(&mut ctx, prescription),
                Err(error) => prescriptions = Err(error),
            }
        }
        Ok(SearchList {
            prescriptions: prescriptions.map(Prescriptions::into_vec),
            ctx,
        })
    }

    visit_non_objects!();
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

    fn visit_unit<Er: de::Error>(self) -> Result<Self::Value, Er> {
        NodeVisitor.visit_unit().map(Pair::Other)
    }
}

/// A collection keyed by position (`"1"`, `"2"`, … `"10"`), each entry read as it is
/// parsed, with the warnings it made kept beside it.
struct Numbered<T> {
    /// "not numbered" warnings, in the order sent.
    keys: Ctx,
    entries: Vec<(u32, T, Ctx)>,
    /// Whether the positions so far rose strictly (the usual case: nothing to sort).
    sorted: bool,
}

impl<T> Numbered<T> {
    /// The entries in position order, the last of a repeated position winning (as for
    /// every other member); their warnings go to `ctx` in the same order.
    fn into_sorted(self, ctx: &mut Ctx) -> Vec<T> {
        ctx.absorb(self.keys);
        let mut entries = self.entries;
        if !self.sorted {
            // A stable sort of the reversed list puts the last sent of each position first.
            entries.reverse();
            entries.sort_by_key(|(position, ..)| *position);
            entries.dedup_by_key(|(position, ..)| *position);
        }
        entries
            .into_iter()
            .map(|(_, item, warnings)| {
                ctx.absorb(warnings);
                item
            })
            .collect()
    }
}

/// How one entry of a numbered collection is read.
trait Entry {
    type Item;

    /// Reads the entry at `position` of the collection belonging to `whose`.
    fn read<'de, D: Deserializer<'de>>(
        whose: &dyn Display,
        position: u32,
        deserializer: D,
    ) -> Result<(Self::Item, Ctx), D::Error>;
}

/// Reads a numbered collection; anything but an object has no entries.
struct NumberedSeed<'w, E> {
    whose: &'w dyn Display,
    entry: std::marker::PhantomData<E>,
}

impl<'w, E: Entry> NumberedSeed<'w, E> {
    fn new(whose: &'w dyn Display) -> Self {
        Self {
            whose,
            entry: std::marker::PhantomData,
        }
    }

    fn other(self, _kind: &str) -> Numbered<E::Item> {
        Numbered {
            keys: Ctx::default(),
            entries: Vec::new(),
            sorted: true,
        }
    }
}

/// One entry, at its position.
struct EntrySeed<'w, E> {
    whose: &'w dyn Display,
    position: u32,
    entry: std::marker::PhantomData<E>,
}

impl<'de, E: Entry> DeserializeSeed<'de> for EntrySeed<'_, E> {
    type Value = (E::Item, Ctx);

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        E::read(self.whose, self.position, deserializer)
    }
}

impl<'de, E: Entry> DeserializeSeed<'de> for NumberedSeed<'_, E> {
    type Value = Numbered<E::Item>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, E: Entry> Visitor<'de> for NumberedSeed<'_, E> {
    type Value = Numbered<E::Item>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("numbered entries")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut keys = Ctx::default();
        let mut entries: Vec<(u32, E::Item, Ctx)> = Vec::new();
        let mut sorted = true;
        while let Some(Key(key)) = map.next_key()? {
            let Some(position) = parse_count(&key) else {
                keys.warn(format!(
                    "{}: entry '{}' is not numbered; skipped",
                    self.whose,
                    short(&key)
                ));
                map.next_value::<Skip>()?;
                continue;
            };
            sorted &= entries.last().is_none_or(|(last, ..)| *last < position);
            let (item, warnings) = map.next_value_seed(EntrySeed::<E> {
                whose: self.whose,
                position,
                entry: std::marker::PhantomData,
            })?;
            entries.push((position, item, warnings));
        }
        Ok(Numbered {
            keys,
            entries,
            sorted,
        })
    }

    visit_non_objects!();
}

/// Reads one prescription of the list; `id` is its key, parsed, when it is an ID.
struct RawSeed<'s> {
    id: Option<&'s PrescriptionId>,
}

impl<'de> DeserializeSeed<'de> for RawSeed<'_> {
    type Value = Raw<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl RawSeed<'_> {
    fn other<'de>(self, kind: &'static str) -> Raw<'de> {
        Raw {
            not_an_object: Some(kind),
            ..Raw::default()
        }
    }
}

impl<'de> Visitor<'de> for RawSeed<'_> {
    type Value = Raw<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a prescription")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let whose = self.id.map(|id| At::new(&"prescription", id.as_str()));
        let mut raw = Raw::default();
        while let Some(Key(key)) = map.next_key()? {
            match trim(&key) {
                "prescriptionId" => raw.prescription_id = Some(map.next_value()?),
                "patientNhsNumber" => raw.patient_nhs_number = Some(map.next_value()?),
                "prescriptionTreatmentType" => {
                    raw.treatment = Some(map.next_value_seed(PairSeed::of(TREATMENT))?);
                }
                "prescriptionIssueDate" => raw.issue_date = Some(map.next_value()?),
                "lastEventDate" => raw.last_event_date = Some(map.next_value()?),
                "currentIssueNumber" => raw.current_issue = Some(map.next_value()?),
                "pendingCancellations" => raw.pending_cancellations = Some(map.next_value()?),
                "issues" => match &whose {
                    Some(whose) => {
                        raw.issues =
                            Some(map.next_value_seed(NumberedSeed::<IssueEntry>::new(whose))?);
                    }
                    None => map.next_value::<Skip>().map(drop)?,
                },
                _ => map.next_value::<Skip>().map(drop)?,
            }
        }
        Ok(raw)
    }

    visit_non_objects!();
}

/// One prescription of the list: its issues read, its own members as sent.
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
    issues: Option<Numbered<Issue>>,
}

impl Raw<'_> {
    /// The prescription, read as `basic::retrieve` reads a tree.
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
        let whose = At::new(&"prescription", prescription.id.as_str());
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
        if let Some(issues) = self.issues {
            prescription.issues = issues.into_sorted(ctx);
        }
        // The search lists every issue Spine holds, future ones included (Spine creates
        // them all when the prescription is signed): the highest is the last.
        if prescription.is_repeat_dispensing() {
            prescription.total_issues = prescription.issues.iter().map(|i| i.number).max();
        }
        Ok(prescription)
    }
}

/// An issue, read when its object closes.
struct IssueEntry;

impl Entry for IssueEntry {
    type Item = Issue;

    fn read<'de, D: Deserializer<'de>>(
        whose: &dyn Display,
        number: u32,
        deserializer: D,
    ) -> Result<(Issue, Ctx), D::Error> {
        deserializer.deserialize_any(IssueVisitor {
            whose: At::numbered(whose, "issue", number),
            number,
        })
    }
}

struct IssueVisitor<'w> {
    whose: At<'w>,
    number: u32,
}

impl IssueVisitor<'_> {
    fn other(self, _kind: &str) -> (Issue, Ctx) {
        (Issue::numbered(self.number), Ctx::default())
    }
}

impl<'de> Visitor<'de> for IssueVisitor<'_> {
    type Value = (Issue, Ctx);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an issue")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut issue_date, mut status, mut lines) = (None::<Node<'de>>, None, None);
        while let Some(Key(key)) = map.next_key()? {
            match trim(&key) {
                "issueDate" => issue_date = Some(map.next_value()?),
                "prescriptionStatus" => {
                    status = Some(map.next_value_seed(PairSeed::of(STATUS))?);
                }
                "lineItems" => {
                    lines = Some(map.next_value_seed(NumberedSeed::<LineEntry>::new(&self.whose))?);
                }
                _ => map.next_value::<Skip>().map(drop)?,
            }
        }
        let mut ctx = Ctx::default();
        let mut issue = Issue::numbered(self.number);
        issue.issue_date = ctx.date_of(issue_date.as_ref(), "issueDate", &self.whose);
        issue.status = ctx.coded_of(
            status.as_ref().map(Pair::as_ref),
            STATUS,
            &self.whose,
            PrescriptionStatus::from_code,
        );
        if let Some(lines) = lines {
            issue.line_items = lines.into_sorted(&mut ctx);
        }
        Ok((issue, ctx))
    }

    visit_non_objects!();
}

/// A line item, read when its object closes.
struct LineEntry;

impl Entry for LineEntry {
    type Item = LineItem;

    fn read<'de, D: Deserializer<'de>>(
        whose: &dyn Display,
        position: u32,
        deserializer: D,
    ) -> Result<(LineItem, Ctx), D::Error> {
        deserializer.deserialize_any(LineVisitor {
            whose: At::numbered(whose, "line item", position),
        })
    }
}

struct LineVisitor<'w> {
    whose: At<'w>,
}

impl LineVisitor<'_> {
    fn other(self, _kind: &str) -> (LineItem, Ctx) {
        (LineItem::default(), Ctx::default())
    }
}

impl<'de> Visitor<'de> for LineVisitor<'_> {
    type Value = (LineItem, Ctx);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a line item")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut id, mut status) = (None::<Node<'de>>, None);
        while let Some(Key(key)) = map.next_key()? {
            match trim(&key) {
                "id" => id = Some(map.next_value()?),
                "status" => status = Some(map.next_value_seed(PairSeed::of(ITEM_STATUS))?),
                _ => map.next_value::<Skip>().map(drop)?,
            }
        }
        let mut ctx = Ctx::default();
        let line = LineItem {
            id: ctx
                .raw(id.as_ref(), "id", &self.whose)
                .map(|id| trim(&id).to_owned()),
            status: ctx.coded_of(
                status.as_ref().map(Pair::as_ref),
                ITEM_STATUS,
                &self.whose,
                LineItemStatus::from_code,
            ),
            ..LineItem::default()
        };
        Ok((line, ctx))
    }

    visit_non_objects!();
}
