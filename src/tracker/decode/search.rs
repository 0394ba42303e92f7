//! The search (`prescriptionList`) read straight into the model as serde parses it: the
//! largest answers are searches, so this shape builds no tree and no intermediate lists.
//! Issues and line items are read into their place in the model's lists; the few members
//! of a prescription, an issue or a line item that are read with a rule (dates, codes,
//! flags) are caught in typed slots first and read when the object closes (the last of a
//! repeated member wins, names match after trimming, values stay borrowed from the body).
//! Each entry's warnings are set apart and told once its list is complete, in the order
//! reading the sorted lists would make them (as the other shapes do): a prescription's
//! own, then its issues' in issue order, each issue's own before its line items'.

use std::borrow::Cow;
use std::fmt::{self, Display};
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::basic::{ITEM_STATUS, STATUS, TREATMENT};
use super::fields::{
    At, Ctx, PairOf, Prescriptions, Warnings, identity_for, identity_of, not_an_object, short, trim,
};
use super::member::{
    MemberSeed, Members, PairMember, PairMemberOf, PairNames, Position, PositionSeed, StatusPair,
    TreatmentPair,
};
use super::tree::{Key, Node, NodeVisitor, Skip};
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

/// The visitor methods for values other than objects and borrowed strings: each is read
/// as a tree and handed to `self.put`.
macro_rules! put_other_values {
    () => {
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            NodeVisitor.visit_seq(seq).map(|node| self.put(node))
        }

        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            NodeVisitor.visit_bool(v).map(|node| self.put(node))
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            NodeVisitor.visit_i64(v).map(|node| self.put(node))
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            NodeVisitor.visit_u64(v).map(|node| self.put(node))
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            NodeVisitor.visit_f64(v).map(|node| self.put(node))
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            NodeVisitor.visit_str(v).map(|node| self.put(node))
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            NodeVisitor.visit_unit().map(|node| self.put(node))
        }
    };
}

/// Reads a member's value into its slot, where the last of a repeated member wins.
/// Written in place rather than returned: a value handed back through serde's `Result`s
/// is copied piece by piece at each layer and read whole straight after, which stalls
/// the processor (the profile of a large search showed it at every member read so).
struct Slot<'s, T>(&'s mut Option<T>);

/// A value kept in a [`Slot`]: a string borrowed from the body, or anything else as a tree.
trait SlotValue<'de> {
    fn borrowed(text: &'de str) -> Self;
    fn node(node: Node<'de>) -> Self;
}

impl<'de> SlotValue<'de> for Node<'de> {
    fn borrowed(text: &'de str) -> Self {
        Node::String(Cow::Borrowed(text))
    }

    fn node(node: Node<'de>) -> Self {
        node
    }
}

impl<'de, T: SlotValue<'de>> Slot<'_, T> {
    fn put(self, node: Node<'de>) {
        *self.0 = Some(T::node(node));
    }
}

impl<'de, T: SlotValue<'de>> DeserializeSeed<'de> for Slot<'_, T> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, T: SlotValue<'de>> Visitor<'de> for Slot<'_, T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<(), E> {
        *self.0 = Some(T::borrowed(v));
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        NodeVisitor.visit_map(map).map(|node| self.put(node))
    }

    put_other_values!();
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
            let raw = map.next_value_seed(RawSeed {
                id: id.as_ref(),
                ctx: &mut ctx,
            })?;
            match raw.read(&mut ctx, key, id) {
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
    /// Two strings, as nearly every pair is: kept borrowed, with no tree.
    Strings {
        code: &'a str,
        text: &'a str,
    },
    Object {
        code: Option<Node<'a>>,
        text: Option<Node<'a>>,
    },
    Other(Node<'a>),
}

impl<'a> Pair<'a> {
    fn as_ref(&self) -> PairOf<'_, 'a> {
        match self {
            Pair::Strings { code, text } => PairOf::Strings { code, text },
            Pair::Object { code, text } => PairOf::Object {
                code: code.as_ref(),
                text: text.as_ref(),
            },
            Pair::Other(node) => PairOf::Other(node),
        }
    }
}

/// One value of a pair: a string kept borrowed, or anything else as a tree.
enum PairValue<'a> {
    String(&'a str),
    Node(Node<'a>),
}

impl<'a> PairValue<'a> {
    fn into_node(self) -> Node<'a> {
        match self {
            PairValue::String(text) => Node::String(Cow::Borrowed(text)),
            PairValue::Node(node) => node,
        }
    }
}

impl<'de> SlotValue<'de> for PairValue<'de> {
    fn borrowed(text: &'de str) -> Self {
        PairValue::String(text)
    }

    fn node(node: Node<'de>) -> Self {
        PairValue::Node(node)
    }
}

/// Reads a pair whose member names `N` gives into its slot (see [`Slot`]).
struct PairSlot<'s, 'de, N> {
    slot: &'s mut Option<Pair<'de>>,
    names: PhantomData<N>,
}

impl<'s, 'de, N> PairSlot<'s, 'de, N> {
    fn new(slot: &'s mut Option<Pair<'de>>) -> Self {
        Self {
            slot,
            names: PhantomData,
        }
    }

    fn put(self, node: Node<'de>) {
        *self.slot = Some(Pair::Other(node));
    }
}

impl<'de, N: PairNames> DeserializeSeed<'de> for PairSlot<'_, 'de, N> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, N: PairNames> Visitor<'de> for PairSlot<'_, 'de, N> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a code and text pair")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let (mut code, mut text) = (None, None);
        while let Some(member) = map.next_key_seed(MemberSeed::<PairMemberOf<N>>::new())? {
            match member.0 {
                PairMember::Code => map.next_value_seed(Slot(&mut code))?,
                PairMember::Text => map.next_value_seed(Slot(&mut text))?,
                PairMember::Other => map.next_value::<Skip>().map(drop)?,
            }
        }
        *self.slot = Some(match (code, text) {
            (Some(PairValue::String(code)), Some(PairValue::String(text))) => {
                Pair::Strings { code, text }
            }
            (code, text) => Pair::Object {
                code: code.map(PairValue::into_node),
                text: text.map(PairValue::into_node),
            },
        });
        Ok(())
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<(), E> {
        self.put(Node::String(Cow::Borrowed(v)));
        Ok(())
    }

    put_other_values!();
}

/// A collection keyed by position (`"1"`, `"2"`, … `"10"`), each entry read as it is
/// parsed, with the warnings it made set apart.
struct Numbered<T> {
    /// "not numbered" warnings, in the order sent.
    keys: Warnings,
    /// In the order sent: the reader's working list for this kind of entry (see
    /// `Entry::working`), lent for this collection.
    items: Vec<T>,
    positions: Positions,
    /// The warnings of the entries that made any: (index in `items`, warnings).
    told: Vec<(usize, Warnings)>,
    /// Whether the positions rose strictly (the usual case: nothing to sort).
    sorted: bool,
}

impl<T> Default for Numbered<T> {
    fn default() -> Self {
        Self {
            keys: Warnings::default(),
            items: Vec::new(),
            positions: Positions::default(),
            told: Vec::new(),
            sorted: true,
        }
    }
}

impl<T> Numbered<T> {
    /// Writes the entries into `into` in position order (a list returned would be copied
    /// on its way there), the last of a repeated position winning (as for every other
    /// member), their warnings told in the same order. The list is allocated once at its
    /// final length (the model of a large answer holds no unused tail), and the working
    /// list goes back to the reader, emptied, for the next collection.
    fn sort_into<E: Entry<Item = T>>(self, ctx: &mut Ctx, into: &mut Vec<T>) {
        let Self {
            keys,
            mut items,
            positions,
            mut told,
            sorted,
        } = self;
        ctx.tell(keys);
        if sorted {
            for (_, warnings) in told {
                ctx.tell(warnings);
            }
            // Moved into a list of exactly its length; the working list keeps its room.
            *into = Vec::with_capacity(items.len());
            into.append(&mut items);
        } else {
            // A stable sort of the indices in reverse puts the last sent of each position
            // first.
            let mut order: Vec<usize> = (0..positions.len).rev().collect();
            order.sort_by_key(|&index| positions.get(index));
            order.dedup_by_key(|index| positions.get(*index));
            *into = Vec::with_capacity(order.len());
            for index in order {
                if let Ok(at) = told.binary_search_by_key(&index, |(told, _)| *told)
                    && let Some((_, warnings)) = told.get_mut(at)
                {
                    ctx.tell(std::mem::take(warnings));
                }
                if let Some(item) = items.get_mut(index) {
                    into.push(std::mem::replace(item, E::blank(0)));
                }
            }
            items.clear();
        }
        *E::working(ctx) = items;
    }
}

/// How many positions a list keeps without allocating: most lists are short, and there is
/// one per issue.
const INLINE_POSITIONS: usize = 16;

/// The positions of a numbered collection's entries, in the order sent.
#[derive(Default)]
struct Positions {
    inline: [u32; INLINE_POSITIONS],
    more: Vec<u32>,
    len: usize,
}

impl Positions {
    fn push(&mut self, position: u32) {
        match self.inline.get_mut(self.len) {
            Some(slot) => *slot = position,
            None => self.more.push(position),
        }
        self.len += 1;
    }

    fn get(&self, index: usize) -> Option<u32> {
        if index >= self.len {
            return None;
        }
        match self.inline.get(index) {
            Some(position) => Some(*position),
            None => self.more.get(index - INLINE_POSITIONS).copied(),
        }
    }

    fn last(&self) -> Option<u32> {
        self.get(self.len.checked_sub(1)?)
    }
}

/// How one entry of a numbered collection is read.
/// Entries are read into their place in the list: a line item is a few hundred bytes, and
/// moving each through the visitors costs more than reading it.
trait Entry {
    type Item;

    /// The entry at `position` before anything is read (and when it is not an object).
    fn blank(position: u32) -> Self::Item;

    /// The reader's working list for this kind of entry, kept between collections so a
    /// large answer does not grow a list for each one.
    fn working(ctx: &mut Ctx) -> &mut Vec<Self::Item>;

    /// Reads the entry at `position` of the collection belonging to `whose` into `item`.
    fn read<'de, D: Deserializer<'de>>(
        whose: &dyn Display,
        position: u32,
        ctx: &mut Ctx,
        item: &mut Self::Item,
        deserializer: D,
    ) -> Result<(), D::Error>;
}

/// Reads a numbered collection into `list`, a blank one in its place in the reader's
/// slots (a collection is large to move, so it is read where it stays); anything but an
/// object has no entries.
struct NumberedSeed<'w, 'c, 'l, E: Entry> {
    whose: &'w dyn Display,
    ctx: &'c mut Ctx,
    list: &'l mut Numbered<E::Item>,
}

impl<'w, 'c, 'l, E: Entry> NumberedSeed<'w, 'c, 'l, E> {
    fn new(whose: &'w dyn Display, ctx: &'c mut Ctx, list: &'l mut Numbered<E::Item>) -> Self {
        Self { whose, ctx, list }
    }

    /// Not an object: the collection stays empty.
    fn other(self, _kind: &str) {}
}

impl<'de, E: Entry> DeserializeSeed<'de> for NumberedSeed<'_, '_, '_, E> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, E: Entry> Visitor<'de> for NumberedSeed<'_, '_, '_, E> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("numbered entries")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let list = self.list;
        list.items = std::mem::take(E::working(self.ctx));
        while let Some(key) = map.next_key_seed(PositionSeed)? {
            let position = match key {
                Position::At(position) => position,
                Position::NotNumbered(key) => {
                    list.keys.warn(format!(
                        "{}: entry '{}' is not numbered; skipped",
                        self.whose,
                        short(&key)
                    ));
                    map.next_value::<Skip>()?;
                    continue;
                }
            };
            list.sorted &= list.positions.last().is_none_or(|last| last < position);
            let index = list.items.len();
            // Made in its place (a push would build it aside and copy it in).
            list.items.resize_with(index + 1, || E::blank(position));
            list.positions.push(position);
            let Some(item) = list.items.last_mut() else {
                // Not reached (the entry was just made); the value is still passed over.
                map.next_value::<Skip>()?;
                continue;
            };
            map.next_value_seed(EntrySeed::<E> {
                whose: self.whose,
                position,
                ctx: &mut *self.ctx,
                item,
                told: (&mut list.told, index),
            })?;
        }
        Ok(())
    }

    visit_non_objects!();
}

/// One entry, at its position, read into its place, its warnings set apart in `told`
/// with its index there.
struct EntrySeed<'w, 'c, 'i, 't, E: Entry> {
    whose: &'w dyn Display,
    position: u32,
    ctx: &'c mut Ctx,
    item: &'i mut E::Item,
    told: (&'t mut Vec<(usize, Warnings)>, usize),
}

impl<'de, E: Entry> DeserializeSeed<'de> for EntrySeed<'_, '_, '_, '_, E> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        let Self {
            whose,
            position,
            ctx,
            item,
            told: (told, index),
        } = self;
        let (read, warnings) = ctx.apart(|ctx| E::read(whose, position, ctx, item, deserializer));
        if !warnings.is_empty() {
            told.push((index, warnings));
        }
        read
    }
}

/// Reads one prescription of the list; `id` is its key, parsed, when it is an ID.
struct RawSeed<'s, 'c> {
    id: Option<&'s PrescriptionId>,
    ctx: &'c mut Ctx,
}

impl<'de> DeserializeSeed<'de> for RawSeed<'_, '_> {
    type Value = Raw<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl RawSeed<'_, '_> {
    fn other<'de>(self, kind: &'static str) -> Raw<'de> {
        Raw {
            not_an_object: Some(kind),
            ..Raw::default()
        }
    }
}

impl<'de> Visitor<'de> for RawSeed<'_, '_> {
    type Value = Raw<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a prescription")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let Self { id, ctx } = self;
        let whose = id.map(|id| At::new(&"prescription", id.as_str()));
        let mut raw = Raw::default();
        while let Some(member) = map.next_key_seed(MemberSeed::new())? {
            match member {
                RawMember::PrescriptionId => map.next_value_seed(Slot(&mut raw.prescription_id))?,
                RawMember::PatientNhsNumber => {
                    map.next_value_seed(Slot(&mut raw.patient_nhs_number))?;
                }
                RawMember::Treatment => {
                    map.next_value_seed(PairSlot::<TreatmentPair>::new(&mut raw.treatment))?;
                }
                RawMember::IssueDate => map.next_value_seed(Slot(&mut raw.issue_date))?,
                RawMember::LastEventDate => {
                    map.next_value_seed(Slot(&mut raw.last_event_date))?;
                }
                RawMember::CurrentIssue => {
                    map.next_value_seed(Slot(&mut raw.current_issue))?;
                }
                RawMember::PendingCancellations => {
                    map.next_value_seed(Slot(&mut raw.pending_cancellations))?;
                }
                RawMember::Issues => match &whose {
                    Some(whose) => {
                        let list = raw.issues.insert(Numbered::default());
                        map.next_value_seed(NumberedSeed::<IssueEntry>::new(whose, ctx, list))?;
                    }
                    None => map.next_value::<Skip>().map(drop)?,
                },
                RawMember::Other => map.next_value::<Skip>().map(drop)?,
            }
        }
        Ok(raw)
    }

    visit_non_objects!();
}

/// The members of a prescription the search reads.
enum RawMember {
    PrescriptionId,
    PatientNhsNumber,
    Treatment,
    IssueDate,
    LastEventDate,
    CurrentIssue,
    PendingCancellations,
    Issues,
    Other,
}

impl Members for RawMember {
    fn named(name: &str) -> Self {
        match name {
            "prescriptionId" => Self::PrescriptionId,
            "patientNhsNumber" => Self::PatientNhsNumber,
            "prescriptionTreatmentType" => Self::Treatment,
            "prescriptionIssueDate" => Self::IssueDate,
            "lastEventDate" => Self::LastEventDate,
            "currentIssueNumber" => Self::CurrentIssue,
            "pendingCancellations" => Self::PendingCancellations,
            "issues" => Self::Issues,
            _ => Self::Other,
        }
    }
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
    /// `id` is `key` parsed, when it is an ID.
    fn read(
        self,
        ctx: &mut Ctx,
        key: &str,
        id: Option<PrescriptionId>,
    ) -> Result<Prescription, String> {
        if let Some(kind) = self.not_an_object {
            return Err(not_an_object(Some(key), kind));
        }
        let mut prescription = match id {
            Some(id) => {
                // The member is not needed beside the key, but is still checked as
                // `identity_of` checks it.
                ctx.text_of(
                    self.prescription_id.as_ref(),
                    "prescriptionId",
                    &"prescription",
                );
                identity_for(ctx, id, self.patient_nhs_number.as_ref())?
            }
            None => identity_of(
                ctx,
                Some(key),
                self.prescription_id.as_ref(),
                self.patient_nhs_number.as_ref(),
            )?,
        };
        let whose = At::new(&"prescription", prescription.id.as_str());
        prescription.treatment =
            ctx.coded_of(self.treatment.as_ref().map(Pair::as_ref), TREATMENT, &whose);
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
            issues.sort_into::<IssueEntry>(ctx, &mut prescription.issues);
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

    fn blank(number: u32) -> Issue {
        Issue::numbered(number)
    }

    fn working(ctx: &mut Ctx) -> &mut Vec<Issue> {
        &mut ctx.working_issues
    }

    fn read<'de, D: Deserializer<'de>>(
        whose: &dyn Display,
        number: u32,
        ctx: &mut Ctx,
        issue: &mut Issue,
        deserializer: D,
    ) -> Result<(), D::Error> {
        deserializer.deserialize_any(IssueVisitor {
            whose: At::numbered(whose, "issue", number),
            ctx,
            issue,
        })
    }
}

/// The members of an issue the search reads.
enum IssueMember {
    IssueDate,
    Status,
    LineItems,
    Other,
}

impl Members for IssueMember {
    fn named(name: &str) -> Self {
        match name {
            "issueDate" => Self::IssueDate,
            "prescriptionStatus" => Self::Status,
            "lineItems" => Self::LineItems,
            _ => Self::Other,
        }
    }
}

struct IssueVisitor<'w, 'c, 'i> {
    whose: At<'w>,
    ctx: &'c mut Ctx,
    issue: &'i mut Issue,
}

impl IssueVisitor<'_, '_, '_> {
    /// Not an object: the issue stays as it is, with only its number.
    fn other(self, _kind: &str) {}
}

impl<'de> Visitor<'de> for IssueVisitor<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an issue")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let Self { whose, ctx, issue } = self;
        let (mut issue_date, mut status, mut lines) = (None::<Node<'de>>, None, None);
        while let Some(member) = map.next_key_seed(MemberSeed::new())? {
            match member {
                IssueMember::IssueDate => map.next_value_seed(Slot(&mut issue_date))?,
                IssueMember::Status => {
                    map.next_value_seed(PairSlot::<StatusPair>::new(&mut status))?;
                }
                IssueMember::LineItems => {
                    let list = lines.insert(Numbered::default());
                    map.next_value_seed(NumberedSeed::<LineEntry>::new(&whose, ctx, list))?;
                }
                IssueMember::Other => map.next_value::<Skip>().map(drop)?,
            }
        }
        // The issue's own warnings come before its line items'.
        issue.issue_date = ctx.date_of(issue_date.as_ref(), "issueDate", &whose);
        issue.status = ctx.coded_of(status.as_ref().map(Pair::as_ref), STATUS, &whose);
        if let Some(lines) = lines {
            lines.sort_into::<LineEntry>(ctx, &mut issue.line_items);
        }
        Ok(())
    }

    visit_non_objects!();
}

/// A line item, read when its object closes.
struct LineEntry;

impl Entry for LineEntry {
    type Item = LineItem;

    fn blank(_position: u32) -> LineItem {
        LineItem::default()
    }

    fn working(ctx: &mut Ctx) -> &mut Vec<LineItem> {
        &mut ctx.working_lines
    }

    // Out of line: inlined into the issue's reader, a line item's reading made one large
    // function that measured slower (more spilling, more of it to fetch) than two.
    #[inline(never)]
    fn read<'de, D: Deserializer<'de>>(
        whose: &dyn Display,
        position: u32,
        ctx: &mut Ctx,
        line: &mut LineItem,
        deserializer: D,
    ) -> Result<(), D::Error> {
        deserializer.deserialize_any(LineVisitor {
            whose: At::numbered(whose, "line item", position),
            ctx,
            line,
        })
    }
}

/// The members of a line item the search reads.
enum LineMember {
    Id,
    Status,
    Other,
}

impl Members for LineMember {
    fn named(name: &str) -> Self {
        match name {
            "id" => Self::Id,
            "status" => Self::Status,
            _ => Self::Other,
        }
    }
}

struct LineVisitor<'w, 'c, 'l> {
    whose: At<'w>,
    ctx: &'c mut Ctx,
    line: &'l mut LineItem,
}

impl LineVisitor<'_, '_, '_> {
    /// Not an object: the line item stays blank.
    fn other(self, _kind: &str) {}
}

impl<'de> Visitor<'de> for LineVisitor<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a line item")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let Self { whose, ctx, line } = self;
        let (mut id, mut status) = (None::<Node<'de>>, None);
        while let Some(member) = map.next_key_seed(MemberSeed::new())? {
            match member {
                LineMember::Id => map.next_value_seed(Slot(&mut id))?,
                LineMember::Status => {
                    map.next_value_seed(PairSlot::<StatusPair>::new(&mut status))?;
                }
                LineMember::Other => map.next_value::<Skip>().map(drop)?,
            }
        }
        line.id = ctx
            .raw(id.as_ref(), "id", &whose)
            .map(|id| trim(&id).to_owned());
        line.status = ctx.coded_of(status.as_ref().map(Pair::as_ref), ITEM_STATUS, &whose);
        Ok(())
    }

    visit_non_objects!();
}
