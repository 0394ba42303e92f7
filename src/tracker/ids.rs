//! Validated identifiers: NHS numbers (Modulus 11) and EPS prescription IDs (ISO/IEC 7064
//! MOD 37-2). Parsing says exactly what is wrong, in words a helpdesk user can act on.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};
use thiserror::Error;

/// A 10-digit NHS number whose Modulus 11 check digit is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NhsNumber([u8; 10]);

/// Why a piece of text is not a valid NHS number.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NhsNumberError {
    #[error("enter an NHS number (10 digits)")]
    Empty,
    #[error("character '{ch}' not allowed at position {position}: an NHS number is 10 digits")]
    BadCharacter { ch: char, position: usize },
    #[error("{0} digits, need 10")]
    WrongLength(usize),
    // Never name the digit that would pass: someone who mistyped a middle digit could
    // "fix" the last one and reach another valid number, perhaps another patient's.
    #[error(
        "not a valid NHS number: the check digit does not match; check every digit with the \
         caller"
    )]
    CheckDigit,
    #[error(
        "not a valid NHS number: no NHS number starts with these nine digits; check every \
         digit with the caller"
    )]
    NoCheckDigit,
    #[error(
        "not an NHS number: one digit repeated ten times passes the check but is never \
         issued; check every digit with the caller"
    )]
    NeverIssued,
}

impl NhsNumber {
    /// Parses an NHS number, accepting spaces and dashes between digits
    /// (`9990548609`, `999 054 8609`, `999-054-8609`).
    pub fn parse(input: &str) -> Result<Self, NhsNumberError> {
        let mut digits = [0u8; 10];
        let mut count = 0usize;
        for (index, ch) in input.trim().chars().enumerate() {
            match ch {
                ' ' | '-' => {}
                '0'..='9' => {
                    if count < 10 {
                        digits[count] = ch as u8 - b'0';
                    }
                    count += 1;
                }
                _ => {
                    return Err(NhsNumberError::BadCharacter {
                        ch,
                        position: index + 1,
                    });
                }
            }
        }
        match count {
            0 => return Err(NhsNumberError::Empty),
            10 => {}
            n => return Err(NhsNumberError::WrongLength(n)),
        }
        let expected = match nhs_check_digit(&digits[..9]) {
            Some(d) => d,
            None => return Err(NhsNumberError::NoCheckDigit),
        };
        if expected != digits[9] {
            return Err(NhsNumberError::CheckDigit);
        }
        // 0000000000, 2222222222, … pass Modulus 11 but are dummies, never a patient's.
        if digits.iter().all(|d| *d == digits[0]) {
            return Err(NhsNumberError::NeverIssued);
        }
        Ok(Self(digits))
    }

    /// The ten digits with no separators, as Spine wants them on the wire.
    pub fn as_digits(&self) -> String {
        self.0.iter().map(|d| char::from(b'0' + d)).collect()
    }
}

/// The Modulus 11 check digit of the first nine digits, or `None` when the remainder
/// makes the number impossible (check value 10).
pub fn nhs_check_digit(first_nine: &[u8]) -> Option<u8> {
    let sum: u32 = first_nine
        .iter()
        .zip((2..=10u32).rev())
        .map(|(d, w)| u32::from(*d) * w)
        .sum();
    match 11 - (sum % 11) {
        11 => Some(0),
        10 => None,
        d => Some(d as u8),
    }
}

impl fmt::Display for NhsNumber {
    /// The NHS's own 3-3-4 grouping: `999 054 8609`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.as_digits();
        write!(f, "{} {} {}", &d[..3], &d[3..6], &d[6..])
    }
}

impl FromStr for NhsNumber {
    type Err = NhsNumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for NhsNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.as_digits())
    }
}

/// Which form a prescription ID takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum IdForm {
    /// EPS Release 2 short form, `XXXXXX-XXXXXX-XXXXXC` (20 characters).
    R2,
    /// EPS Release 1 long form, a GUID followed by a check character (37 characters).
    R1,
}

/// An EPS prescription ID, in canonical upper-case form. A failed check character is
/// kept as a warning, never an error: real Spine data contains such IDs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PrescriptionId {
    text: String,
    check_fails: bool,
}

/// Why a piece of text is not a prescription ID.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PrescriptionIdError {
    #[error("enter a prescription ID")]
    Empty,
    #[error(
        "{0} characters: a prescription ID is 20 (XXXXXX-XXXXXX-XXXXXX) or 37 (a GUID and a \
         check character)"
    )]
    WrongLength(usize),
    #[error("character '{ch}' not allowed at position {position}: {expected}")]
    BadCharacter {
        ch: char,
        position: usize,
        expected: &'static str,
    },
}

/// The MOD 37-2 alphabet: `0-9`, `A-Z`, then `+`.
const CHECK_ALPHABET: &[u8; 37] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ+";

/// ISO/IEC 7064 MOD 37-2 check character over the alphanumeric characters of `body`
/// (dashes ignored). `body` must already be upper case and alphanumeric or `-`.
pub fn mod37_check_character(body: &str) -> char {
    // Each step of the standard's recurrence is `t = (t + value) * 2 mod 37`; reducing
    // only every eighth step gives the same remainder (the total stays well inside a u64)
    // without a division for each character.
    let total = body
        .bytes()
        .filter(|b| *b != b'-')
        .enumerate()
        .fold(0u64, |t, (index, b)| {
            let t = (t + check_value(b)) * 2;
            if index % 8 == 7 { t % 37 } else { t }
        })
        % 37;
    char::from(CHECK_ALPHABET[((38 - total) % 37) as usize])
}

/// A character's value in [`CHECK_ALPHABET`] (0 for anything outside it).
fn check_value(b: u8) -> u64 {
    match b {
        b'0'..=b'9' => u64::from(b - b'0'),
        b'A'..=b'Z' => u64::from(b - b'A') + 10,
        b'+' => 36,
        _ => 0,
    }
}

/// The shape of each form: positions of dashes, and what each other position allows.
fn expected_at(form: IdForm, index: usize) -> Expect {
    match form {
        IdForm::R2 => match index {
            6 | 13 => Expect::Dash,
            19 => Expect::Check,
            _ => Expect::Alphanumeric,
        },
        IdForm::R1 => match index {
            8 | 13 | 18 | 23 => Expect::Dash,
            36 => Expect::Check,
            _ => Expect::Hex,
        },
    }
}

#[derive(Clone, Copy)]
enum Expect {
    Dash,
    Alphanumeric,
    Hex,
    Check,
}

impl Expect {
    fn allows(self, ch: char) -> bool {
        match self {
            Expect::Dash => ch == '-',
            Expect::Alphanumeric => ch.is_ascii_alphanumeric(),
            Expect::Hex => ch.is_ascii_hexdigit(),
            Expect::Check => ch.is_ascii_alphanumeric() || ch == '+',
        }
    }

    fn describe(self, form: IdForm) -> &'static str {
        match (self, form) {
            (Expect::Dash, IdForm::R2) => "expected '-' (XXXXXX-XXXXXX-XXXXXX)",
            (Expect::Dash, IdForm::R1) => {
                "expected '-' (GUID form 8-4-4-4-12, then a check character)"
            }
            (Expect::Alphanumeric, _) => "expected a letter or digit",
            (Expect::Hex, _) => "expected 0-9 or A-F (the long form is a GUID)",
            (Expect::Check, _) => "expected a check character: a letter, a digit or '+'",
        }
    }
}

impl PrescriptionId {
    /// Parses either form. Surrounding whitespace is ignored and letters are upper-cased;
    /// an R2 ID typed without its dashes (18 characters) is accepted too.
    pub fn parse(input: &str) -> Result<Self, PrescriptionIdError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(PrescriptionIdError::Empty);
        }
        let upper = trimmed.to_ascii_uppercase();
        let text = if upper.len() == 18 && !upper.contains('-') && upper.is_ascii() {
            format!("{}-{}-{}", &upper[..6], &upper[6..12], &upper[12..])
        } else {
            upper
        };
        let length = text.chars().count();
        let form = match length {
            20 => IdForm::R2,
            37 => IdForm::R1,
            n => return Err(PrescriptionIdError::WrongLength(n)),
        };
        for (index, ch) in text.chars().enumerate() {
            let expect = expected_at(form, index);
            if !expect.allows(ch) {
                return Err(PrescriptionIdError::BadCharacter {
                    ch,
                    position: index + 1,
                    expected: expect.describe(form),
                });
            }
        }
        let (body, check) = text.split_at(text.len() - 1);
        let check_fails = !check.starts_with(mod37_check_character(body));
        Ok(Self { text, check_fails })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn form(&self) -> IdForm {
        if self.text.len() == 20 {
            IdForm::R2
        } else {
            IdForm::R1
        }
    }

    /// Whether the check character is valid.
    pub fn check_ok(&self) -> bool {
        !self.check_fails
    }

    /// A warning to show beside the ID when its check character fails. It never names the
    /// character that would pass (see [`NhsNumberError::CheckDigit`]).
    pub fn check_warning(&self) -> Option<String> {
        self.check_fails.then(|| {
            "the check character does not match: the ID may be mistyped, so check every \
             character with the caller (Spine holds some IDs like this)"
                .to_owned()
        })
    }
}

impl fmt::Display for PrescriptionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for PrescriptionId {
    type Err = PrescriptionIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for PrescriptionId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_character_follows_the_standard_recurrence() {
        // The recurrence as ISO/IEC 7064 writes it, reduced at every step.
        let reference = |body: &str| {
            let total = body.bytes().filter(|b| *b != b'-').fold(0u32, |t, b| {
                let value = CHECK_ALPHABET.iter().position(|c| *c == b).unwrap_or(0) as u32;
                ((t + value) * 2) % 37
            });
            char::from(CHECK_ALPHABET[((38 - total) % 37) as usize])
        };
        let mut body = String::new();
        for index in 0..200usize {
            let byte = CHECK_ALPHABET[(index * 7 + index / 3) % 37];
            body.push(if index % 9 == 4 {
                '-'
            } else {
                char::from(byte)
            });
            assert_eq!(mod37_check_character(&body), reference(&body), "{body}");
        }
        assert_eq!(
            mod37_check_character("ZZZZZZ-ZZZZZZ-ZZZZZ"),
            reference("ZZZZZZ-ZZZZZZ-ZZZZZ")
        );
    }

    #[test]
    fn nhs_numbers_from_the_spec() {
        assert_eq!(
            NhsNumber::parse("9990548609").unwrap().to_string(),
            "999 054 8609"
        );
        assert!(NhsNumber::parse("9434765919").is_ok());
        assert!(NhsNumber::parse("1234567890").is_err());
    }

    #[test]
    fn nhs_number_separators_accepted() {
        let spaced = NhsNumber::parse("999 054 8609").unwrap();
        let dashed = NhsNumber::parse("999-054-8609").unwrap();
        assert_eq!(spaced, dashed);
        assert_eq!(dashed.as_digits(), "9990548609");
    }

    #[test]
    fn nhs_number_messages_say_what_is_wrong() {
        assert_eq!(
            NhsNumber::parse("999054860").unwrap_err().to_string(),
            "9 digits, need 10"
        );
        assert_eq!(
            NhsNumber::parse("9990548601").unwrap_err(),
            NhsNumberError::CheckDigit
        );
        assert_eq!(
            NhsNumber::parse("9990548608").unwrap_err().to_string(),
            "not a valid NHS number: the check digit does not match; check every digit with \
             the caller"
        );
        assert_eq!(
            NhsNumber::parse("99905x8609").unwrap_err(),
            NhsNumberError::BadCharacter {
                ch: 'x',
                position: 6
            }
        );
        assert_eq!(NhsNumber::parse("  ").unwrap_err(), NhsNumberError::Empty);
    }

    #[test]
    fn check_messages_never_name_a_digit_or_character() {
        for typed in ["9990548600", "9990548601", "9990548608", "0000000060"] {
            let message = NhsNumber::parse(typed).unwrap_err().to_string();
            assert!(!message.chars().any(|c| c.is_ascii_digit()), "{message}");
        }
        let warning = PrescriptionId::parse("0FBD16-C81007-00001T")
            .unwrap()
            .check_warning()
            .unwrap();
        assert!(!warning.contains('\''), "{warning}");
        assert!(!warning.contains(" S"), "{warning}");
    }

    #[test]
    fn numbers_never_issued_are_refused() {
        for dummy in ["0000000000", "2222222222", "000 000 0000"] {
            assert_eq!(
                NhsNumber::parse(dummy).unwrap_err(),
                NhsNumberError::NeverIssued,
                "{dummy}"
            );
        }
        assert!(NhsNumber::parse("9990548609").is_ok());
    }

    #[test]
    fn nhs_number_with_impossible_check_digit() {
        // 000000006: sum is 12, remainder 1, check value 10: no valid number exists.
        assert_eq!(
            NhsNumber::parse("0000000060").unwrap_err(),
            NhsNumberError::NoCheckDigit
        );
    }

    #[test]
    fn prescription_ids_from_the_spec_pass() {
        for id in [
            "A3B4D9-Z42475-11E6B+",
            "0FBD16-C81007-00001S",
            "9C18AE6F-510D-F7A3-E050-D20AE3A231C8K",
        ] {
            let parsed = PrescriptionId::parse(id).unwrap();
            assert!(parsed.check_ok(), "{id} should pass its check");
            assert_eq!(parsed.as_str(), id);
        }
    }

    #[test]
    fn forms_are_recognised() {
        assert_eq!(
            PrescriptionId::parse("0FBD16-C81007-00001S")
                .unwrap()
                .form(),
            IdForm::R2
        );
        assert_eq!(
            PrescriptionId::parse("9C18AE6F-510D-F7A3-E050-D20AE3A231C8K")
                .unwrap()
                .form(),
            IdForm::R1
        );
    }

    #[test]
    fn failed_check_character_is_a_warning_not_an_error() {
        let id = PrescriptionId::parse("0FBD16-C81007-00001T").unwrap();
        assert!(!id.check_ok());
        let warning = id.check_warning().unwrap();
        assert!(warning.contains("check every character"), "{warning}");
    }

    #[test]
    fn lower_case_and_missing_dashes_are_normalised() {
        let id = PrescriptionId::parse(" 0fbd16c8100700001s ").unwrap();
        assert_eq!(id.as_str(), "0FBD16-C81007-00001S");
        assert!(id.check_ok());
    }

    #[test]
    fn prescription_id_messages_say_what_is_wrong() {
        assert_eq!(
            PrescriptionId::parse("9C18AEOF-510D-F7A3-E050-D20AE3A231C8K")
                .unwrap_err()
                .to_string(),
            "character 'O' not allowed at position 7: expected 0-9 or A-F (the long form is a GUID)"
        );
        assert_eq!(
            PrescriptionId::parse("0FBD16-C81007-0000").unwrap_err(),
            PrescriptionIdError::WrongLength(18)
        );
        assert!(matches!(
            PrescriptionId::parse("0FBD16XC81007-00001S").unwrap_err(),
            PrescriptionIdError::BadCharacter {
                ch: 'X',
                position: 7,
                ..
            }
        ));
        assert_eq!(
            PrescriptionId::parse("").unwrap_err(),
            PrescriptionIdError::Empty
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// Characters a one-character typing slip could produce.
        const SLIPS: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ+-O/ ";

        fn valid_nhs_number() -> impl Strategy<Value = String> {
            prop::collection::vec(0u8..10, 9).prop_filter_map("no check digit exists", |digits| {
                let check = nhs_check_digit(&digits)?;
                if digits.iter().chain([&check]).all(|d| *d == check) {
                    return None;
                }
                Some(
                    digits
                        .iter()
                        .chain(std::iter::once(&check))
                        .map(|d| char::from(b'0' + d))
                        .collect(),
                )
            })
        }

        fn alphanumeric(count: usize) -> impl Strategy<Value = String> {
            prop::collection::vec(prop::sample::select(CHECK_ALPHABET[..36].to_vec()), count)
                .prop_map(|bytes| bytes.into_iter().map(char::from).collect())
        }

        fn hex(count: usize) -> impl Strategy<Value = String> {
            prop::collection::vec(prop::sample::select(b"0123456789ABCDEF".to_vec()), count)
                .prop_map(|bytes| bytes.into_iter().map(char::from).collect())
        }

        fn valid_prescription_id() -> impl Strategy<Value = String> {
            let r2 = (alphanumeric(6), alphanumeric(6), alphanumeric(5))
                .prop_map(|(a, b, c)| format!("{a}-{b}-{c}"));
            let r1 = (hex(8), hex(4), hex(4), hex(4), hex(12))
                .prop_map(|(a, b, c, d, e)| format!("{a}-{b}-{c}-{d}-{e}"));
            prop_oneof![r2, r1].prop_map(|body| {
                let check = mod37_check_character(&body);
                format!("{body}{check}")
            })
        }

        fn replace(text: &str, position: usize, with: char) -> String {
            text.chars()
                .enumerate()
                .map(|(i, c)| if i == position { with } else { c })
                .collect()
        }

        proptest! {
            #[test]
            fn nhs_numbers_round_trip(digits in valid_nhs_number()) {
                let parsed = NhsNumber::parse(&digits).unwrap();
                prop_assert_eq!(parsed.as_digits(), digits.clone());
                prop_assert_eq!(NhsNumber::parse(&parsed.to_string()).unwrap(), parsed);
                let dashed = parsed.to_string().replace(' ', "-");
                prop_assert_eq!(NhsNumber::parse(&dashed).unwrap(), parsed);
            }

            #[test]
            fn every_single_character_change_of_an_nhs_number_is_rejected(
                digits in valid_nhs_number(),
                position in 0usize..10,
                slip in prop::sample::select(SLIPS.chars().collect::<Vec<_>>()),
            ) {
                let original = digits.chars().nth(position).unwrap();
                prop_assume!(slip != original);
                let changed = replace(&digits, position, slip);
                // A separator in place of a digit leaves nine digits: still rejected.
                prop_assert!(NhsNumber::parse(&changed).is_err(), "{} accepted", changed);
            }

            #[test]
            fn prescription_ids_round_trip(id in valid_prescription_id()) {
                let parsed = PrescriptionId::parse(&id).unwrap();
                prop_assert!(parsed.check_ok());
                prop_assert_eq!(parsed.to_string(), id.clone());
                prop_assert_eq!(PrescriptionId::parse(&id.to_ascii_lowercase()).unwrap(), parsed);
            }

            #[test]
            fn every_single_character_change_of_a_prescription_id_is_rejected_or_flagged(
                id in valid_prescription_id(),
                position in 0usize..37,
                slip in prop::sample::select(SLIPS.chars().collect::<Vec<_>>()),
            ) {
                let position = position % id.len();
                let original = id.chars().nth(position).unwrap();
                prop_assume!(slip != original);
                let changed = replace(&id, position, slip);
                match PrescriptionId::parse(&changed) {
                    Err(_) => {}
                    Ok(parsed) => prop_assert!(
                        !parsed.check_ok(),
                        "{} passed its check after changing {} to {}", changed, original, slip
                    ),
                }
            }
        }
    }
}
