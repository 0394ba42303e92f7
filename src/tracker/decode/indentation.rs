//! Takes out the indentation that follows each line break before a body is parsed.
//!
//! Spine pretty-prints its bodies: in a long search nearly half the bytes are the spaces
//! that indent each line, and serde_json passes over them one byte at a time, which costs
//! about a quarter of its whole parse. Finding them 64 bytes at a time, one bit per byte,
//! and copying the lines without them costs a fraction of that.
//!
//! Only spaces straight after a line break are taken out, and the line break stays. In a
//! body that is JSON, no line break is inside a string (JSON has no raw control
//! characters in strings), so the spaces after it are between tokens, which the line
//! break still separates: the body says exactly what it said. In a body that is not JSON,
//! everything up to the first problem is unchanged, so it is still not JSON; the caller
//! parses such a body again as it came, so that its error names the column a person sees.

use wide::u8x16;

/// Bytes looked at together, one bit each in a `u64`.
const BLOCK: usize = 64;
/// Bytes compared at once.
const LANE: usize = 16;
/// Each run of kept bytes is copied as this many, the excess cut at once: one copy of a
/// fixed length costs less than one of the run's own.
const COPY: usize = 64;

/// How far into a body [`looks_indented`] looks: a pretty-printed body breaks its first
/// line after the opening brace.
const LOOK: usize = 256;

/// Whether `bytes` are indented with spaces, judged by their start: a line break followed
/// by a space. A body on one line (as the sandbox writes its answers) or indented with tabs
/// would pay for the pass and gain nothing from it.
pub(super) fn looks_indented(bytes: &[u8]) -> bool {
    bytes
        .get(..LOOK)
        .unwrap_or(bytes)
        .windows(2)
        .any(|pair| pair == b"\n ")
}

/// `bytes` without the spaces that follow their line breaks (`None` only if the copying
/// went wrong, which would be a bug here: the caller then parses the body as it came).
///
/// What is left is UTF-8 exactly when `bytes` are: only ASCII spaces go, each after a
/// line break that stays, so no multi-byte character is joined or split.
pub(super) fn without_indentation(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len() + COPY);
    let mut lines = Lines::default();
    // Blocks with COPY bytes after them are read in place, the rest from a padded copy.
    let in_place = bytes.len().saturating_sub(COPY) / BLOCK;
    for index in 0..in_place {
        lines.block(window(bytes, index)?, u64::MAX, &mut out)?;
    }
    let rest = bytes.get(in_place * BLOCK..)?;
    let mut padded = vec![0; rest.len().div_ceil(BLOCK) * BLOCK + COPY];
    padded.get_mut(..rest.len())?.copy_from_slice(rest);
    for (index, block) in rest.chunks(BLOCK).enumerate() {
        let present = u64::MAX >> (BLOCK - block.len());
        lines.block(window(&padded, index)?, present, &mut out)?;
    }
    Some(out)
}

/// Block `index` of `bytes` and the `COPY` bytes after it.
fn window(bytes: &[u8], index: usize) -> Option<&[u8; BLOCK + COPY]> {
    let start = index * BLOCK;
    bytes.get(start..start + BLOCK + COPY)?.try_into().ok()
}

/// What one block leaves for the next: one bit each.
#[derive(Default)]
struct Lines {
    /// The last block ended with a line break.
    after_newline: u64,
    /// The last block ended in indentation.
    in_indentation: u64,
}

impl Lines {
    /// Writes the bytes of the block at the start of `window` that are `present` (one bit
    /// each), less the spaces after line breaks.
    fn block(
        &mut self,
        window: &[u8; BLOCK + COPY],
        present: u64,
        out: &mut Vec<u8>,
    ) -> Option<()> {
        let (newlines, spaces) = masks(window);
        // The first space of each indentation, then all of it: adding a bit at the start
        // of a run of spaces carries through the run.
        let starts = ((newlines << 1) | self.after_newline | self.in_indentation) & spaces;
        let indentation = (spaces.wrapping_add(starts) ^ spaces) & spaces;
        self.after_newline = newlines >> 63;
        self.in_indentation = indentation >> 63;
        let mut keep = !indentation & present;
        while keep != 0 {
            let start = keep.trailing_zeros() as usize;
            let end = start + (!(keep >> start)).trailing_zeros() as usize;
            // A run is at most a block long: one copy of a block's length takes it all,
            // and the excess is cut.
            let kept = out.len() + (end - start);
            let copy: &[u8; COPY] = window.get(start..start + COPY)?.try_into().ok()?;
            out.extend_from_slice(copy);
            out.truncate(kept);
            // Clears the lowest run of ones: the carry runs through it.
            keep &= keep.wrapping_add(keep & keep.wrapping_neg());
        }
        Some(())
    }
}

/// One bit per byte of the block at the start of `window` for line breaks, and for spaces,
/// found 16 bytes at a time with vector compares.
fn masks(window: &[u8; BLOCK + COPY]) -> (u64, u64) {
    let [newline, space] = [b'\n', b' '].map(u8x16::splat);
    let (mut newlines, mut spaces) = (0, 0);
    for (index, lane) in window[..BLOCK].chunks_exact(LANE).enumerate() {
        let Ok(lane) = <[u8; LANE]>::try_from(lane) else {
            continue;
        };
        let bytes = u8x16::new(lane);
        let at = |found: u8x16| u64::from(found.to_bitmask()) << (index * LANE);
        newlines |= at(bytes.simd_eq(newline));
        spaces |= at(bytes.simd_eq(space));
    }
    (newlines, spaces)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::Value;

    use super::*;

    /// The same, a character at a time.
    fn reference(text: &str) -> String {
        let mut out = String::new();
        let mut after_newline = false;
        for c in text.chars() {
            if c == ' ' && after_newline {
                continue;
            }
            after_newline = c == '\n';
            out.push(c);
        }
        out
    }

    #[test]
    fn the_spaces_after_each_line_break_go_and_the_rest_stays() {
        let text = "{\n  \"a b\": \"c  d\",\r\n          \"e\" : [1,\n\t 2]\n}\n   ";
        assert_eq!(
            without_indentation(text.as_bytes()).as_deref(),
            Some("{\n\"a b\": \"c  d\",\r\n\"e\" : [1,\n\t 2]\n}\n".as_bytes())
        );
    }

    #[test]
    fn only_a_body_indented_with_spaces_looks_indented() {
        assert!(looks_indented(b"{\n  \"statusCode\": \"0\"\n}"));
        assert!(looks_indented(b"{\r\n    \"a\": 1}"));
        assert!(!looks_indented(
            b"{\"statusCode\": \"0\", \"reason\": \"\"}"
        ));
        assert!(!looks_indented(b"{\n\t\"statusCode\": \"0\"\n}"));
        assert!(!looks_indented(b""));
        let late = format!("{{\"a\": \"{}\",\n  \"b\": 1}}", "x".repeat(LOOK));
        assert!(
            !looks_indented(late.as_bytes()),
            "only the start is looked at"
        );
    }

    #[test]
    fn indentation_across_blocks_and_at_the_end_goes() {
        for before in [0, 1, 62, 63, 64, 65, 127, 128, 200] {
            for spaces in [0, 1, 63, 64, 65, 130] {
                for after in ["", "x", "\"é\"\n"] {
                    let text = format!("{}\n{}{after}", "a".repeat(before), " ".repeat(spaces));
                    assert_eq!(
                        without_indentation(text.as_bytes()),
                        Some(reference(&text).into_bytes()),
                        "{before} {spaces} {after:?}"
                    );
                }
            }
        }
    }

    /// A JSON value of a few levels.
    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<u32>().prop_map(Value::from),
            "[a-z \"\\\\é]{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 40, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map("[a-z ]{0,8}", inner, 0..6)
                    .prop_map(|members| Value::Object(members.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any text: the same result as taking the spaces out a character at a time.
        #[test]
        fn any_text_matches_the_reference(text in "[ \n\r\ta\"\\\\é{}]{0,300}") {
            prop_assert_eq!(without_indentation(text.as_bytes()), Some(reference(&text).into_bytes()));
        }

        /// Any bytes: what is left is UTF-8 exactly when they are.
        #[test]
        fn what_is_left_is_utf8_exactly_when_the_bytes_are(
            bytes in prop::collection::vec(
                prop::sample::select(vec![b' ', b'\n', b'a', b'{', 0xC3, 0xA9, 0x80, 0xE2, 0xFF]),
                0..200,
            ),
        ) {
            let left = without_indentation(&bytes).unwrap_or_default();
            prop_assert_eq!(
                std::str::from_utf8(&left).is_ok(),
                std::str::from_utf8(&bytes).is_ok()
            );
        }

        /// A pretty-printed body, perhaps with one character put in or taken out: it
        /// parses without its indentation exactly when it parses as it came, to the same
        /// value.
        #[test]
        fn a_body_says_the_same_without_its_indentation(
            value in value(),
            edit in prop::option::of((any::<prop::sample::Index>(), prop::option::of(
                prop::sample::select(vec![' ', '\n', '\t', '"', '\\', ',', ':', '1', 'x', '{', ']']),
            ))),
        ) {
            let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
            if let Some((at, put)) = edit {
                let at = text
                    .char_indices()
                    .map(|(at, _)| at)
                    .nth(at.index(text.chars().count().max(1)))
                    .unwrap_or(text.len());
                match put {
                    Some(c) => text.insert(at, c),
                    None if at < text.len() => {
                        text.remove(at);
                    }
                    None => {}
                }
            }
            let unindented = without_indentation(text.as_bytes()).unwrap_or_default();
            let unindented = String::from_utf8(unindented).unwrap_or_default();
            prop_assert_eq!(&unindented, &reference(&text));
            let as_came = serde_json::from_str::<Value>(&text).ok();
            let without = serde_json::from_str::<Value>(&unindented).ok();
            prop_assert_eq!(as_came, without);
        }
    }
}
