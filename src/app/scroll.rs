//! A reading position in text the app does not lay out itself (the detail sheet, the help):
//! how many lines there are depends on the terminal's width, which only drawing knows. So
//! drawing records the last position the text allows, as ratatui's own list state records
//! its offset while rendering, and moves stay within it: End reaches the last line, and Up
//! moves at once after Down was pressed past the end.

use std::cell::Cell;

#[derive(Debug, Clone, Default)]
pub struct Scroll {
    line: u16,
    /// The last position the text allowed when it was last drawn; `None` before that.
    last: Cell<Option<u16>>,
}

impl Scroll {
    /// The position, within the text as last drawn.
    pub fn line(&self) -> u16 {
        self.line.min(self.limit())
    }

    /// Drawing says how far the text allows.
    pub fn drawn(&self, last: u16) {
        self.last.set(Some(last));
    }

    pub fn step(&mut self, by: i32) {
        let next = (i32::from(self.line()) + by).clamp(0, i32::from(self.limit()));
        self.line = u16::try_from(next).unwrap_or(0);
    }

    pub fn to_top(&mut self) {
        self.line = 0;
    }

    pub fn to_end(&mut self) {
        self.line = self.limit();
    }

    fn limit(&self) -> u16 {
        self.last.get().unwrap_or(u16::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::Scroll;

    #[test]
    fn moves_stay_within_the_text_as_last_drawn() {
        let mut scroll = Scroll::default();
        scroll.drawn(5);
        scroll.step(3);
        assert_eq!(scroll.line(), 3);
        scroll.step(10);
        assert_eq!(scroll.line(), 5);
        // Past the end, one Up moves at once.
        scroll.step(-1);
        assert_eq!(scroll.line(), 4);
        scroll.to_end();
        assert_eq!(scroll.line(), 5);
        scroll.step(-20);
        assert_eq!(scroll.line(), 0);
        // A shorter text drawn later: the position is read within it.
        scroll.to_end();
        scroll.drawn(2);
        assert_eq!(scroll.line(), 2);
    }

    #[test]
    fn before_the_first_draw_nothing_is_known_to_stop_a_move() {
        let mut scroll = Scroll::default();
        scroll.step(7);
        assert_eq!(scroll.line(), 7);
        scroll.to_top();
        assert_eq!(scroll.line(), 0);
    }
}
