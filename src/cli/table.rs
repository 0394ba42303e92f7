//! Tables that fit the width (`output::width`): when the natural table is too wide, the
//! columns that may be dropped go in their documented order (lowest `drop` first) until the
//! rest fit when shortened; then the widest shortenable column is cut (with `…`) one column
//! at a time down to its floor. Columns marked `whole` (prescription IDs, NHS numbers,
//! dates) are never cut: when even the kept columns cannot fit, the line is left longer.

use unicode_width::UnicodeWidthStr;

use super::safe;
use crate::ui::text::{fit, pad};

const GAP: &str = "  ";

/// One column: its header, how it gives way, and its alignment.
#[derive(Debug, Clone, Copy)]
pub(super) struct Column {
    pub header: &'static str,
    /// Cut no narrower than this; `None`: never cut.
    min: Option<usize>,
    /// Dropped in this order when the table does not fit (1 first); `None`: always kept.
    drop: Option<u8>,
    right: bool,
}

impl Column {
    /// A column never cut and never dropped (IDs, NHS numbers).
    pub(super) const fn whole(header: &'static str) -> Self {
        Self {
            header,
            min: None,
            drop: None,
            right: false,
        }
    }
    /// A column of free text, cut to no less than `min` columns.
    pub(super) const fn text(header: &'static str, min: usize) -> Self {
        Self {
            header,
            min: Some(min),
            drop: None,
            right: false,
        }
    }
    /// Dropped `rank`-th when the table does not fit.
    pub(super) const fn dropped(mut self, rank: u8) -> Self {
        self.drop = Some(rank);
        self
    }
    pub(super) const fn right(mut self) -> Self {
        self.right = true;
        self
    }
}

/// A table: columns and rows of cells, each cell made safe for the terminal.
#[derive(Debug)]
pub(super) struct Table {
    columns: Vec<Column>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub(super) fn new(columns: &[Column]) -> Self {
        Self {
            columns: columns.to_vec(),
            rows: Vec::new(),
        }
    }

    pub(super) fn row(&mut self, cells: Vec<String>) {
        let cells = cells
            .into_iter()
            .map(|cell| safe::field(&cell).into_owned())
            .collect();
        self.rows.push(cells);
    }

    /// The widths to draw each column at (`None` where dropped).
    fn layout(&self, limit: Option<usize>) -> Vec<Option<usize>> {
        let mut widths: Vec<Option<usize>> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, column)| {
                let cells = self.rows.iter().filter_map(|row| row.get(i));
                Some(
                    cells
                        .map(|c| c.width())
                        .fold(column.header.width(), usize::max),
                )
            })
            .collect();
        let Some(limit) = limit else {
            return widths;
        };
        let total = |widths: &[Option<usize>], floor: bool| {
            let shown: Vec<usize> = widths
                .iter()
                .zip(&self.columns)
                .filter_map(|(w, c)| w.map(|w| if floor { c.min.unwrap_or(w).min(w) } else { w }))
                .collect();
            shown.iter().sum::<usize>() + GAP.len() * shown.len().saturating_sub(1)
        };
        // Drop columns in their order until the rest fit once shortened.
        while total(&widths, true) > limit {
            let next = (0..self.columns.len())
                .filter(|&i| widths[i].is_some())
                .filter_map(|i| self.columns[i].drop.map(|rank| (rank, i)))
                .min();
            match next {
                Some((_, i)) => widths[i] = None,
                None => break,
            }
        }
        // Shorten the widest column that can give way, one column at a time.
        while total(&widths, false) > limit {
            let widest = (0..self.columns.len())
                .filter_map(|i| {
                    let w = widths[i]?;
                    let min = self.columns[i].min?;
                    (w > min).then_some((w, i))
                })
                .max();
            match widest {
                Some((w, i)) => widths[i] = Some(w - 1),
                None => break,
            }
        }
        widths
    }

    /// The header and rows, each line within `limit` columns when the kept columns allow.
    pub(super) fn render(&self, limit: Option<usize>) -> String {
        let widths = self.layout(limit);
        let mut out = String::new();
        let headers: Vec<String> = self.columns.iter().map(|c| c.header.to_owned()).collect();
        for cells in std::iter::once(&headers).chain(&self.rows) {
            let mut line = String::new();
            for (i, width) in widths.iter().enumerate() {
                let Some(width) = *width else { continue };
                if !line.is_empty() {
                    line.push_str(GAP);
                }
                let cell = cells.get(i).map(String::as_str).unwrap_or("");
                if self.columns[i].right {
                    let cut = fit(cell, width);
                    line.push_str(&" ".repeat(width.saturating_sub(cut.width())));
                    line.push_str(&cut);
                } else {
                    line.push_str(&pad(cell, width));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        let mut table = Table::new(&[
            Column::whole("ID"),
            Column::text("STATUS", 6),
            Column::text("NOTE", 4).dropped(1),
            Column::whole("DATE").dropped(2),
        ]);
        table.row(vec![
            "ABC-123-XYZ".into(),
            "With Dispenser".into(),
            "a long note here".into(),
            "2026-11-01".into(),
        ]);
        table
    }

    #[test]
    fn a_table_that_fits_is_left_alone_and_a_pipe_has_no_limit() {
        let text = sample().render(None);
        assert_eq!(
            text,
            "ID           STATUS          NOTE              DATE\n\
             ABC-123-XYZ  With Dispenser  a long note here  2026-11-01\n"
        );
        assert_eq!(sample().render(Some(200)), text);
    }

    #[test]
    fn columns_are_shortened_then_dropped_in_order_and_ids_never_cut() {
        let text = sample().render(Some(50));
        assert!(text.lines().all(|l| l.width() <= 50), "{text}");
        assert!(text.contains("ABC-123-XYZ"), "{text}");
        assert!(text.contains("2026-11-01"), "{text}");
        let text = sample().render(Some(24));
        assert!(text.lines().all(|l| l.width() <= 24), "{text}");
        assert!(!text.contains("NOTE") && !text.contains("DATE"), "{text}");
        assert!(text.contains("ABC-123-XYZ  With Dispe…"), "{text}");
        // Narrower than the ID and the status floor: the ID is still whole.
        let text = sample().render(Some(5));
        assert!(text.contains("ABC-123-XYZ"), "{text}");
    }

    #[test]
    fn cells_cannot_drive_the_terminal() {
        let mut table = Table::new(&[Column::whole("A")]);
        table.row(vec!["x\u{1b}[2Jy\nz".into()]);
        assert_eq!(table.render(None), "A\nx\\u{1b}[2Jy\\u{a}z\n");
    }
}
