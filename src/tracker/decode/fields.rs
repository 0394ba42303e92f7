//! Reading single fields the way Spine writes them: everything a string, `"False"` or `""`
//! for absent, numbers where strings belong, and collections keyed by position.
//! Oddities that lose nothing important become warnings, never failures.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::{self, Display};
use std::sync::Arc;

use super::tree::Node;
use crate::tracker::codes::CodeTable;
use crate::tracker::dates::SpineDate;
use crate::tracker::ids::{NhsNumber, PrescriptionId};
use crate::tracker::model::{Coded, Issue, LineItem, Organisation, Prescription, Text};

/// Collects warnings while a body is decoded, shares the texts it has met, and keeps the
/// search's working lists.
#[derive(Debug, Default)]
pub struct Ctx {
    warnings: Warnings,
    /// Coded texts met so far. A large search repeats a handful of status texts thousands
    /// of times: each distinct one is allocated once and shared.
    texts: Vec<Arc<str>>,
    /// Where the search reads one prescription's issues, and one issue's line items,
    /// before each list is allocated at its final length (see `search::Numbered`).
    pub working_issues: Vec<Issue>,
    pub working_lines: Vec<LineItem>,
}

/// How many distinct texts are shared; past that, texts are allocated each time.
const SHARED_TEXTS: usize = 32;

/// Warnings beyond this many are counted, not listed: a broken body should not bury the
/// screen.
const MAX_WARNINGS: usize = 20;

/// Warnings in the order made, capped at [`MAX_WARNINGS`].
#[derive(Debug, Default)]
pub struct Warnings(Vec<String>);

impl Warnings {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn warn(&mut self, message: impl Into<String>) {
        if self.0.len() < MAX_WARNINGS {
            self.0.push(message.into());
        } else if self.0.len() == MAX_WARNINGS {
            self.0
                .push("more oddities in this response were not listed".to_owned());
        }
    }
}

impl Ctx {
    pub fn warn(&mut self, message: impl Into<String>) {
        self.warnings.warn(message);
    }

    /// Runs `read` with the warnings it makes set apart from those made so far, to be told
    /// later with [`tell`](Self::tell), in another order.
    pub fn apart<R>(&mut self, read: impl FnOnce(&mut Ctx) -> R) -> (R, Warnings) {
        let before = std::mem::take(&mut self.warnings);
        let result = read(self);
        (result, std::mem::replace(&mut self.warnings, before))
    }

    /// Tells warnings set apart, as if they were made now (the cap included: a capped list
    /// ends with the same "more oddities" line this one would add).
    pub fn tell(&mut self, warnings: Warnings) {
        for warning in warnings.0 {
            self.warn(warning);
        }
    }

    /// Spine's `text` for `code`: held as the code's standard wording when it is exactly
    /// that, otherwise shared (see `texts`).
    // Inline, as part of `coded_of`'s short path.
    #[inline(always)]
    fn text_for<C: CodeTable>(&mut self, code: &C, text: &str) -> Text {
        match code.standard_label() {
            Some(label) if same_text(label, text) => Text::Standard(label),
            _ => Text::Shared(self.shared(text)),
        }
    }

    /// `text` as a shared string (see `texts`).
    fn shared(&mut self, text: &str) -> Arc<str> {
        if let Some(known) = self.texts.iter().find(|known| same_text(known, text)) {
            return Arc::clone(known);
        }
        let text: Arc<str> = Arc::from(text);
        if self.texts.len() < SHARED_TEXTS {
            self.texts.push(Arc::clone(&text));
        }
        text
    }

    pub fn into_warnings(self) -> Vec<String> {
        self.warnings.0
    }

    /// A text member exactly as sent; `None` when absent, blank or `False`. A value of the
    /// wrong kind (object, array) is reported and ignored.
    pub fn text(&mut self, node: &Node<'_>, name: &str, whose: &dyn Display) -> Option<String> {
        self.text_of(node.get(name), name, whose)
    }

    /// As [`text`](Self::text), for a member's value already found (`name` is for
    /// warnings).
    pub fn text_of(
        &mut self,
        value: Option<&Node<'_>>,
        name: &str,
        whose: &dyn Display,
    ) -> Option<String> {
        self.raw(value, name, whose).map(Cow::into_owned)
    }

    /// As [`text_of`](Self::text_of), borrowed from the body where possible.
    pub fn raw<'n>(
        &mut self,
        value: Option<&'n Node<'_>>,
        name: &str,
        whose: &dyn Display,
    ) -> Option<Cow<'n, str>> {
        let value = value?;
        match value.text() {
            Some(text) => is_given(&text).then_some(text),
            None => {
                if !matches!(value, Node::Null) {
                    self.warn(format!(
                        "{whose}: {name} is {}, expected text; ignored",
                        value.describe()
                    ));
                }
                None
            }
        }
    }

    /// An HL7 date member; an unreadable one is reported and left out.
    pub fn date(&mut self, node: &Node<'_>, name: &str, whose: &dyn Display) -> Option<SpineDate> {
        self.date_of(node.get(name), name, whose)
    }

    /// As [`date`](Self::date), for a member's value already found.
    pub fn date_of(
        &mut self,
        value: Option<&Node<'_>>,
        name: &str,
        whose: &dyn Display,
    ) -> Option<SpineDate> {
        let text = self.raw(value, name, whose)?;
        match SpineDate::parse_hl7(&text) {
            Ok(date) => date,
            Err(error) => {
                self.warn(format!("{whose}: {name}: {error}; left out"));
                None
            }
        }
    }

    /// A whole number member (`"1"` or `1`).
    pub fn number(&mut self, node: &Node<'_>, name: &str, whose: &dyn Display) -> Option<u32> {
        self.number_of(node.get(name), name, whose)
    }

    /// As [`number`](Self::number), for a member's value already found.
    pub fn number_of(
        &mut self,
        value: Option<&Node<'_>>,
        name: &str,
        whose: &dyn Display,
    ) -> Option<u32> {
        let text = self.raw(value, name, whose)?;
        match parse_count(&text) {
            Some(n) => Some(n),
            None => {
                self.warn(format!(
                    "{whose}: {name} '{}' is not a whole number; left out",
                    short(&text)
                ));
                None
            }
        }
    }

    /// A `"True"` / `"False"` member; absent means false.
    pub fn flag(&mut self, node: &Node<'_>, name: &str, whose: &dyn Display) -> bool {
        self.flag_of(node.get(name), name, whose)
    }

    /// As [`flag`](Self::flag), for a member's value already found.
    pub fn flag_of(&mut self, value: Option<&Node<'_>>, name: &str, whose: &dyn Display) -> bool {
        let Some(text) = self.raw(value, name, whose) else {
            return false;
        };
        let text = trim(&text);
        let is_one_of = |words: [&str; 4]| words.iter().any(|w| text.eq_ignore_ascii_case(w));
        match () {
            () if is_one_of(["true", "1", "yes", "y"]) => true,
            () if is_one_of(["false", "0", "no", "n"]) => false,
            () => {
                self.warn(format!(
                    "{whose}: {name} '{}' is neither True nor False; read as False",
                    short(text)
                ));
                false
            }
        }
    }

    /// A `{…Code, …Text}` pair. Spine's text is kept exactly; a missing text is left empty
    /// rather than invented.
    pub fn coded<C: CodeTable>(
        &mut self,
        node: &Node<'_>,
        names: (&str, &str, &str),
        whose: &dyn Display,
    ) -> Option<Coded<C>> {
        let (_, code_name, text_name) = names;
        let pair = node.get(names.0).map(|pair| match pair {
            Node::Object(_) => PairOf::Object {
                code: pair.get(code_name),
                text: pair.get(text_name),
            },
            other => PairOf::Other(other),
        });
        self.coded_of(pair, names, whose)
    }

    /// As [`coded`](Self::coded), for a member's value already found.
    // Inline, so that the usual pair is built where it is kept (a search reads thousands).
    #[inline(always)]
    pub fn coded_of<C: CodeTable>(
        &mut self,
        pair: Option<PairOf<'_, '_>>,
        names: (&str, &str, &str),
        whose: &dyn Display,
    ) -> Option<Coded<C>> {
        let pair = pair?;
        // Nearly every pair is two plain strings: read them without the general rules,
        // which they would pass.
        if let Some((code, text)) = pair
            .strings()
            .filter(|(code, text)| is_given(code) && is_given(text))
        {
            let code = C::from_wire(code);
            let text = self.text_for(&code, text);
            return Some(Coded { code, text });
        }
        self.coded_by_rules(pair, names, whose)
    }

    /// A pair that the short path of [`coded_of`](Self::coded_of) leaves, read by the
    /// general rules.
    #[inline(never)]
    fn coded_by_rules<C: CodeTable>(
        &mut self,
        pair: PairOf<'_, '_>,
        names: (&str, &str, &str),
        whose: &dyn Display,
    ) -> Option<Coded<C>> {
        let (member, code_name, text_name) = names;
        // A pair of strings that the short path leaves, as the rules below read them.
        let (code_node, text_node);
        let (code, text) = match pair {
            PairOf::Strings { code, text } => {
                [code_node, text_node] = [code, text].map(|s| Node::String(Cow::Borrowed(s)));
                (Some(&code_node), Some(&text_node))
            }
            PairOf::Object { code, text } => (code, text),
            PairOf::Other(other) => {
                // A plain string where a pair belongs: keep it as text, code unknown.
                let text = other.text().filter(|t| !t.trim().is_empty())?;
                return Some(Coded::new(C::from_wire(""), self.shared(&text)));
            }
        };
        let label = At::new(whose, member);
        // A code sent as a JSON number has lost its leading zeros: 1 was "0001".
        let code = match code {
            Some(Node::Number(number)) => Some(Cow::Owned(format!("{number:0>4}"))),
            _ => self.raw(code, code_name, &label),
        };
        let text = self.raw(text, text_name, &label);
        if code.is_none() && text.is_none() {
            return None;
        }
        let code = C::from_wire(code.as_deref().unwrap_or(""));
        let text = match text {
            Some(text) => self.text_for(&code, &text),
            None => Text::Standard(""),
        };
        Some(Coded { code, text })
    }

    /// An organisation from four members of `node`.
    pub fn organisation(
        &mut self,
        node: &Node<'_>,
        names: [&str; 4],
        whose: &dyn Display,
    ) -> Option<Organisation> {
        let [ods, name, address, phone] = names.map(|n| self.text(node, n, whose));
        Organisation::from_parts(
            ods.as_deref(),
            name.as_deref(),
            address.as_deref(),
            phone.as_deref(),
        )
    }

    /// The members of a collection keyed by position (`"1"`, `"2"`, … `"10"`), sorted
    /// numerically. Keys that are not numbers are reported and skipped.
    pub fn positional<'n, 'a>(
        &mut self,
        node: Option<&'n Node<'a>>,
        whose: &dyn Display,
    ) -> Vec<(u32, &'n Node<'a>)> {
        let members = node.map_or(&[][..], Node::members);
        self.positional_of(members.iter().map(|(key, value)| (key, value)), whose)
    }

    /// As [`positional`](Self::positional), for entries already read.
    pub fn positional_of<K: AsRef<str>, T>(
        &mut self,
        entries: impl ExactSizeIterator<Item = (K, T)>,
        whose: &dyn Display,
    ) -> Vec<(u32, T)> {
        let mut items: Vec<(u32, T)> = Vec::with_capacity(entries.len());
        let mut sorted = true;
        for (key, value) in entries {
            match parse_count(key.as_ref()) {
                Some(position) => {
                    sorted &= items.last().is_none_or(|(last, _)| *last < position);
                    items.push((position, value));
                }
                None => self.warn(format!(
                    "{whose}: entry '{}' is not numbered; skipped",
                    short(key.as_ref())
                )),
            }
        }
        if sorted {
            return items;
        }
        // Stable sort, then keep the last of any repeated key, as for every other member.
        items.sort_by_key(|(position, _)| *position);
        let mut unique: Vec<(u32, T)> = Vec::with_capacity(items.len());
        for item in items {
            match unique.last_mut() {
                Some(last) if last.0 == item.0 => *last = item,
                _ => unique.push(item),
            }
        }
        unique
    }
}

/// What a `{…Code, …Text}` member holds: the pair's two values, or something else.
pub enum PairOf<'n, 'a> {
    /// Two strings, as nearly every pair is.
    Strings {
        code: &'n str,
        text: &'n str,
    },
    Object {
        code: Option<&'n Node<'a>>,
        text: Option<&'n Node<'a>>,
    },
    Other(&'n Node<'a>),
}

impl PairOf<'_, '_> {
    /// The code and the text, when both are strings.
    fn strings(&self) -> Option<(&str, &str)> {
        match self {
            PairOf::Strings { code, text } => Some((code, text)),
            PairOf::Object {
                code: Some(Node::String(code)),
                text: Some(Node::String(text)),
            } => Some((code, text)),
            _ => None,
        }
    }
}

/// Where a value sits in the body, for warnings ("prescription X issue 3 line item 2").
/// Cheap to build; formatted only when a warning is made.
pub struct At<'a> {
    parent: &'a dyn Display,
    label: &'a str,
    number: Option<u32>,
}

impl<'a> At<'a> {
    pub fn new(parent: &'a dyn Display, label: &'a str) -> Self {
        Self {
            parent,
            label,
            number: None,
        }
    }

    pub fn numbered(parent: &'a dyn Display, label: &'a str, number: u32) -> Self {
        Self {
            parent,
            label,
            number: Some(number),
        }
    }
}

impl Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.parent, self.label)?;
        match self.number {
            Some(number) => write!(f, " {number}"),
            None => Ok(()),
        }
    }
}

/// Prescriptions in the order first seen; a repeated ID replaces the earlier one (the
/// last wins, as for any repeated member), with a warning.
#[derive(Default)]
pub struct Prescriptions {
    list: Vec<Prescription>,
    seen: HashMap<PrescriptionId, usize>,
}

impl Prescriptions {
    pub fn add(&mut self, ctx: &mut Ctx, prescription: Prescription) {
        match self.seen.get(&prescription.id) {
            Some(&index) => {
                ctx.warn(format!(
                    "prescription {} appears twice; the last one is shown",
                    prescription.id
                ));
                if let Some(slot) = self.list.get_mut(index) {
                    *slot = prescription;
                }
            }
            None => {
                self.seen.insert(prescription.id.clone(), self.list.len());
                self.list.push(prescription);
            }
        }
    }

    pub fn into_vec(self) -> Vec<Prescription> {
        self.list
    }
}

/// A whole number as Spine writes it: `"3"`, `3`, `" 3 "`, or `3.0`.
pub fn parse_count(text: &str) -> Option<u32> {
    let text = trim(text);
    let whole = text.strip_suffix(".0").unwrap_or(text);
    whole.parse().ok()
}

/// `text` without surrounding whitespace. Almost every name and value Spine sends starts
/// and ends with a visible ASCII character, which no Unicode space is, so that is checked
/// first: `str::trim` decodes characters from both ends even when there is nothing to trim.
pub fn trim(text: &str) -> &str {
    match (text.as_bytes().first(), text.as_bytes().last()) {
        (Some(first), Some(last)) if first.is_ascii_graphic() && last.is_ascii_graphic() => text,
        _ => text.trim(),
    }
}

/// `a == b`, compared eight bytes at a time in line: these texts are short, and most
/// comparisons find them equal, where a call to `memcmp` costs more than the comparing.
/// The last word overlaps the one before it, so no byte is compared alone.
fn same_text(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let Some(last) = a.len().checked_sub(8) else {
        return a == b;
    };
    let word = |text: &[u8], at: usize| {
        text.get(at..at + 8)
            .and_then(|word| word.try_into().ok())
            .map_or(0, u64::from_ne_bytes)
    };
    (0..last).step_by(8).all(|at| word(a, at) == word(b, at)) && word(a, last) == word(b, last)
}

/// Whether a text holds a value: Spine writes `""` or `"False"` for none.
fn is_given(text: &str) -> bool {
    let text = trim(text);
    !text.is_empty() && text != "False"
}

/// At most 40 characters of some text, for messages.
pub fn short(text: &str) -> String {
    let mut out: String = text.trim().chars().take(40).collect();
    if text.trim().chars().nth(40).is_some() {
        out.push('…');
    }
    out
}

/// The identity every prescription needs: its ID (the collection key, or a member) and
/// the patient's NHS number. Failing either is a shape error: without them the rest
/// cannot be shown safely.
pub fn identity(ctx: &mut Ctx, key: Option<&str>, node: &Node<'_>) -> Result<Prescription, String> {
    if !node.is_object() {
        return Err(not_an_object(key, node.describe()));
    }
    identity_of(
        ctx,
        key,
        node.get("prescriptionId"),
        node.get("patientNhsNumber"),
    )
}

/// Why a prescription that is not an object cannot be read.
pub fn not_an_object(key: Option<&str>, kind: &str) -> String {
    format!(
        "prescription '{}' is {kind}, expected an object",
        short(key.unwrap_or(""))
    )
}

/// As [`identity`], for the two members' values already found.
pub fn identity_of(
    ctx: &mut Ctx,
    key: Option<&str>,
    prescription_id: Option<&Node<'_>>,
    patient_nhs_number: Option<&Node<'_>>,
) -> Result<Prescription, String> {
    let member_id = ctx.text_of(prescription_id, "prescriptionId", &"prescription");
    let id_text = key
        .map(str::to_owned)
        .or(member_id)
        .ok_or_else(|| "a prescription has no prescriptionId".to_owned())?;
    let id = PrescriptionId::parse(&id_text)
        .map_err(|e| format!("prescription ID '{}' is not valid: {e}", short(&id_text)))?;
    identity_for(ctx, id, patient_nhs_number)
}

/// As [`identity_of`], for an ID already parsed from the collection key.
pub fn identity_for(
    ctx: &mut Ctx,
    id: PrescriptionId,
    patient_nhs_number: Option<&Node<'_>>,
) -> Result<Prescription, String> {
    if let Some(warning) = id.check_warning() {
        ctx.warn(format!("prescription {id}: {warning}"));
    }
    let whose = At::new(&"prescription", id.as_str());
    let nhs_text = ctx
        .raw(patient_nhs_number, "patientNhsNumber", &whose)
        .ok_or_else(|| format!("{whose} has no patientNhsNumber"))?;
    let nhs_number = NhsNumber::parse(&nhs_text)
        .map_err(|e| format!("{whose}: patientNhsNumber is not a valid NHS number: {e}"))?;
    Ok(Prescription::new(id, nhs_number))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Node<'_> {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn positional_keys_sort_numerically() {
        let node = parse(r#"{"10": 10, "2": 2, "1": 1, "11": 11, "x": 0, "2": 22}"#);
        let mut ctx = Ctx::default();
        let items = ctx.positional(Some(&node), &"test");
        let keys: Vec<u32> = items.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, vec![1, 2, 10, 11]);
        assert_eq!(
            items[1].1.text().as_deref(),
            Some("22"),
            "the last \"2\" wins"
        );
        assert_eq!(ctx.into_warnings().len(), 1);
    }

    #[test]
    fn placeholders_and_numbers() {
        let node = parse(r#"{"a": "False", "b": "", "c": 28, "d": "7", "e": "x", "f": {}}"#);
        let mut ctx = Ctx::default();
        assert_eq!(ctx.text(&node, "a", &"t"), None);
        assert_eq!(ctx.text(&node, "b", &"t"), None);
        assert_eq!(ctx.number(&node, "c", &"t"), Some(28));
        assert_eq!(ctx.number(&node, "d", &"t"), Some(7));
        assert_eq!(ctx.number(&node, "e", &"t"), None);
        assert_eq!(ctx.text(&node, "f", &"t"), None);
        assert_eq!(ctx.into_warnings().len(), 2);
    }

    #[test]
    fn flags_accept_spines_spellings() {
        let node = parse(r#"{"a": "True", "b": "False", "c": true, "d": "maybe"}"#);
        let mut ctx = Ctx::default();
        assert!(ctx.flag(&node, "a", &"t"));
        assert!(!ctx.flag(&node, "b", &"t"));
        assert!(ctx.flag(&node, "c", &"t"));
        assert!(!ctx.flag(&node, "d", &"t"));
        assert!(!ctx.flag(&node, "missing", &"t"));
        assert_eq!(ctx.into_warnings().len(), 1);
    }

    #[test]
    fn the_quick_trim_agrees_with_str_trim() {
        for text in [
            "",
            " ",
            "a",
            " a",
            "a ",
            "\u{a0}a",
            "a\u{3000}",
            "é",
            " é ",
            "\ta\n",
            "a b",
        ] {
            assert_eq!(trim(text), text.trim(), "{text:?}");
        }
    }

    #[test]
    fn a_standard_wording_is_held_without_allocating_and_any_other_text_is_kept_as_sent() {
        use crate::tracker::codes::LineItemStatus;
        let mut ctx = Ctx::default();
        let code = LineItemStatus::from_code("0001");
        let standard = ctx.text_for(&code, "Item fully dispensed");
        assert!(matches!(standard, Text::Standard("Item fully dispensed")));
        let spine = ctx.text_for(&code, "Item Fully Dispensed");
        assert!(
            matches!(&spine, Text::Shared(_)),
            "only the exact wording is standard"
        );
        assert_eq!(&*spine, "Item Fully Dispensed");
        let unknown = LineItemStatus::from_code("9999");
        assert!(matches!(
            ctx.text_for(&unknown, "Item fully dispensed"),
            Text::Shared(_)
        ));
    }

    #[test]
    fn same_text_is_equality() {
        let texts = [
            "",
            "a",
            "b",
            "Acute",
            "Acutf",
            "1234567",
            "Dispensed",
            "Dispensef",
            "Item fully dispensed",
            "Item fully dispensee",
            "Jtem fully dispensed",
            "12345678",
            "12345679",
            "0234567890123456",
            "1234567890123456",
            "1234567890123457",
            "12345678901234567",
            "12345678x01234567",
        ];
        for a in texts {
            for b in texts {
                assert_eq!(same_text(a, b), a == b, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn warnings_are_capped() {
        let mut ctx = Ctx::default();
        for _ in 0..100 {
            ctx.warn("odd");
        }
        assert_eq!(ctx.into_warnings().len(), MAX_WARNINGS + 1);
    }
}
