//! Small text helpers: word wrapping to a known width (so the caller knows exactly how
//! many lines it drew) and cutting to a width with an ellipsis.

use unicode_width::UnicodeWidthStr;

/// Wraps `text` at spaces to lines of at most `width` columns; words longer than the
/// width are split. Never returns an empty vector.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let mut word = word.to_string();
        loop {
            let needed = if current.is_empty() {
                word.width()
            } else {
                current.width() + 1 + word.width()
            };
            if needed <= width {
                if !current.is_empty() {
                    current.push(' ');
                }
                current.push_str(&word);
                break;
            }
            if !current.is_empty() {
                lines.push(std::mem::take(&mut current));
                continue;
            }
            let (head, tail) = split_at_width(&word, width);
            lines.push(head);
            word = tail;
            if word.is_empty() {
                break;
            }
        }
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
}

fn split_at_width(word: &str, width: usize) -> (String, String) {
    let mut head = String::new();
    let mut used = 0;
    let mut chars = word.chars();
    for ch in chars.by_ref() {
        let w = UnicodeWidthStr::width(ch.encode_utf8(&mut [0; 4]) as &str);
        if used + w > width && !head.is_empty() {
            let mut tail = String::from(ch);
            tail.extend(chars);
            return (head, tail);
        }
        used += w;
        head.push(ch);
    }
    (head, String::new())
}

/// Cuts `text` to `width` columns, ending with `…` when something was cut.
pub fn fit(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let (head, _) = split_at_width(text, width - 1);
    format!("{head}…")
}

/// Pads or cuts `text` to exactly `width` columns.
pub fn pad(text: &str, width: usize) -> String {
    let cut = fit(text, width);
    let fill = width.saturating_sub(cut.width());
    format!("{cut}{}", " ".repeat(fill))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_spaces_and_splits_long_words() {
        assert_eq!(wrap("one two three", 7), vec!["one two", "three"]);
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 10), vec![""]);
    }

    #[test]
    fn fit_and_pad_keep_the_width() {
        assert_eq!(fit("With Dispenser", 8), "With Di…");
        assert_eq!(pad("ab", 4), "ab  ");
        assert_eq!(pad("abcdef", 4), "abc…");
    }
}
