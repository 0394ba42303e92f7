//! Text for people written line by line, each value made safe for the terminal and
//! wrapped to its width under a label: `inspect`'s summary and `doctor`'s report.

use unicode_width::UnicodeWidthStr;

use super::safe;
use crate::ui::text::wrap;

pub(super) struct Lines {
    text: String,
    /// `None`: no limit (standard output is a pipe or a file).
    width: Option<usize>,
}

impl Lines {
    pub(super) fn new(width: Option<usize>) -> Lines {
        Lines {
            text: String::new(),
            width,
        }
    }

    /// A heading or other line of our own words.
    pub(super) fn plain(&mut self, line: &str) {
        self.text.push_str(line);
        self.text.push('\n');
    }

    /// `prefix` then `value` (made safe for the terminal); when too wide, the value wraps
    /// onto lines indented by `hang` columns.
    pub(super) fn put(&mut self, prefix: &str, value: &str, hang: usize) {
        let value = safe::field(value);
        let fits = self
            .width
            .is_none_or(|w| prefix.width() + value.width() <= w);
        if fits {
            self.text.push_str(prefix);
            self.text.push_str(&value);
            self.text.push('\n');
            return;
        }
        let room = self.width.unwrap_or(80).saturating_sub(hang).max(20);
        let mut first = true;
        for line in wrap(&value, room) {
            if first {
                self.text.push_str(prefix);
                self.text
                    .push_str(&" ".repeat(hang.saturating_sub(prefix.width())));
                first = false;
            } else {
                self.text.push_str(&" ".repeat(hang));
            }
            self.text.push_str(&line);
            self.text.push('\n');
        }
    }

    pub(super) fn into_text(self) -> String {
        self.text
    }
}
