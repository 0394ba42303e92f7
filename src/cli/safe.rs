//! The one sanitiser for text that came from the wire or a file before it reaches a
//! terminal: a hostile or broken upstream must not move the cursor, clear the screen, set
//! the clipboard (OSC 52), overwrite a line (CR) or reorder what is shown (bidi overrides).
//! Every C0 and C1 control character, DEL and the bidi controls are shown as `\u{1b}`.

use std::borrow::Cow;
use std::fmt::Write;

/// Whether `c` would act on the terminal or the reading order instead of being shown.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

fn escape(text: &str, keep_newlines: bool) -> Cow<'_, str> {
    let keep = |c: char| keep_newlines && c == '\n';
    if !text.chars().any(|c| is_unsafe(c) && !keep(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) && !keep(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// One value on one line (a table cell, a labelled field): line breaks are escaped too,
/// so a value cannot forge another row.
pub(super) fn field(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

/// Text of several lines (a whole summary, an error with a list): `\n` is kept.
pub(super) fn lines(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_clipboard_writes_and_carriage_returns_are_shown_not_obeyed() {
        assert_eq!(field("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(
            field("\u{1b}]52;c;aGVsbG8=\u{7}"),
            "\\u{1b}]52;c;aGVsbG8=\\u{7}"
        );
        assert_eq!(field("paid\rFREE"), "paid\\u{d}FREE");
        assert_eq!(field("x\ny"), "x\\u{a}y");
        assert_eq!(lines("x\ny\r"), "x\ny\\u{d}");
    }

    #[test]
    fn every_c0_and_c1_control_and_the_bidi_controls_are_escaped() {
        for c in (0u32..0x20).chain(0x7f..0xa0) {
            let c = char::from_u32(c).unwrap();
            let shown = field(&c.to_string()).into_owned();
            assert!(
                shown.starts_with("\\u{"),
                "{:x} shown as {shown:?}",
                c as u32
            );
        }
        let bidi = "\u{202A}\u{202B}\u{202C}\u{202D}\u{202E}\u{2066}\u{2067}\u{2068}\u{2069}\
                    \u{200E}\u{200F}\u{061C}";
        let shown = field(bidi);
        assert!(!shown.chars().any(is_unsafe), "{shown}");
        assert!(shown.contains("\\u{202e}"));
    }

    #[test]
    fn ordinary_text_is_borrowed_unchanged() {
        let text = "Amoxicillin 500mg · ‘St Mary’s’ 5–7 Ωmega";
        assert!(matches!(field(text), Cow::Borrowed(t) if t == text));
    }
}
