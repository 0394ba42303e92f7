//! The password field: its own buffer, wiped when dropped or cleared, never printed by
//! `Debug`, drawn only as a count of dots. Not `tui-input`, whose buffers are ordinary
//! strings that would leave copies of the password behind.

use std::fmt;

use zeroize::Zeroizing;

/// A masked, zeroizing text field. Editing is append / delete-last only: a password field
/// with a movable cursor gains nothing and makes stray copies likelier.
#[derive(Default, Clone)]
pub struct SecretField {
    text: Zeroizing<String>,
}

impl SecretField {
    pub fn push(&mut self, ch: char) {
        // Reserve first so the push never reallocates and leaves an unwiped copy behind.
        if self.text.len() + ch.len_utf8() > self.text.capacity() {
            let mut bigger =
                Zeroizing::new(String::with_capacity((self.text.capacity() * 2).max(32)));
            bigger.push_str(&self.text);
            self.text = bigger;
        }
        self.text.push(ch);
    }

    pub fn pop(&mut self) {
        self.text.pop();
    }

    pub fn clear(&mut self) {
        self.text = Zeroizing::new(String::new());
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// How many characters were typed: what the mask shows.
    pub fn len(&self) -> usize {
        self.text.chars().count()
    }

    /// Moves the secret out, leaving the field empty.
    pub fn take(&mut self) -> Zeroizing<String> {
        std::mem::take(&mut self.text)
    }
}

impl fmt::Debug for SecretField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretField({} chars)", self.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_text() {
        let mut field = SecretField::default();
        for ch in "sandbox-demo".chars() {
            field.push(ch);
        }
        let shown = format!("{field:?}");
        assert!(!shown.contains("sandbox"), "{shown}");
        assert_eq!(field.len(), 12);
        field.pop();
        assert_eq!(field.take().as_str(), "sandbox-dem");
        assert!(field.is_empty());
    }

    #[test]
    fn long_input_keeps_every_character() {
        let mut field = SecretField::default();
        for _ in 0..10_000 {
            field.push('é');
        }
        assert_eq!(field.len(), 10_000);
    }
}
