//! Keys become actions here, once, at the edge of `update`. The default bindings can be
//! overridden per action from config; the help screen and the hint line are generated from
//! the same map, so they can never disagree with what the keys really do.

use std::collections::BTreeMap;
use std::fmt;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use thiserror::Error;

/// Everything a key can ask for. Text typed into a field is not an action: it goes to the
/// field unless the key is bound and is not a plain character.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Quit,
    Help,
    NextPane,
    PrevPane,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Submit,
    Cancel,
    ToggleMode,
    NextField,
    PrevField,
    GroupCurrent,
    GroupFuture,
    GroupPast,
    NextGroup,
    PrevGroup,
    Sort,
    Filter,
    NextIssue,
    PrevIssue,
    Retry,
    Copy,
    NewSearch,
    Lock,
    SignOut,
    NewCaller,
}

/// Where a binding applies: everywhere, or only when the focus is not in a text field.
/// Either way, while typing, plain characters are text and never actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Anywhere,
    OutsideText,
}

impl Action {
    /// Every action, in the order the help screen lists them.
    pub const ALL: [Action; 30] = [
        Action::Submit,
        Action::Cancel,
        Action::NextPane,
        Action::PrevPane,
        Action::NextField,
        Action::PrevField,
        Action::ToggleMode,
        Action::NewSearch,
        Action::NewCaller,
        Action::Up,
        Action::Down,
        Action::PageUp,
        Action::PageDown,
        Action::Top,
        Action::Bottom,
        Action::GroupCurrent,
        Action::GroupFuture,
        Action::GroupPast,
        Action::NextGroup,
        Action::PrevGroup,
        Action::Sort,
        Action::Filter,
        Action::NextIssue,
        Action::PrevIssue,
        Action::Retry,
        Action::Copy,
        Action::Help,
        Action::Lock,
        Action::SignOut,
        Action::Quit,
    ];

    /// The name used in config (`[keys]` table) and on the help screen.
    pub fn name(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Help => "help",
            Action::NextPane => "next_pane",
            Action::PrevPane => "prev_pane",
            Action::Up => "up",
            Action::Down => "down",
            Action::PageUp => "page_up",
            Action::PageDown => "page_down",
            Action::Top => "top",
            Action::Bottom => "bottom",
            Action::Submit => "submit",
            Action::Cancel => "cancel",
            Action::ToggleMode => "toggle_mode",
            Action::NextField => "next_field",
            Action::PrevField => "prev_field",
            Action::GroupCurrent => "group_current",
            Action::GroupFuture => "group_future",
            Action::GroupPast => "group_past",
            Action::NextGroup => "next_group",
            Action::PrevGroup => "prev_group",
            Action::Sort => "sort",
            Action::Filter => "filter",
            Action::NextIssue => "next_issue",
            Action::PrevIssue => "prev_issue",
            Action::Retry => "retry",
            Action::Copy => "copy",
            Action::NewSearch => "new_search",
            Action::Lock => "lock",
            Action::SignOut => "sign_out",
            Action::NewCaller => "new_caller",
        }
    }

    /// One line for the help screen.
    pub fn describe(self) -> &'static str {
        match self {
            Action::Quit => "quit (outside a text field; Ctrl-C anywhere)",
            Action::Help => "show or hide this help",
            Action::NextPane => "next pane",
            Action::PrevPane => "previous pane",
            Action::Up => "move up",
            Action::Down => "move down",
            Action::PageUp => "page up",
            Action::PageDown => "page down",
            Action::Top => "first line",
            Action::Bottom => "last line",
            Action::Submit => "send the query / open the selected prescription",
            Action::Cancel => "cancel the request in flight, close, go back",
            Action::ToggleMode => {
                "switch search by NHS number / retrieve by prescription ID / patient details"
            }
            Action::NextField => "next field of the query",
            Action::PrevField => "previous field of the query",
            Action::GroupCurrent => "show Current prescriptions",
            Action::GroupFuture => "show Future prescriptions",
            Action::GroupPast => "show Past prescriptions",
            Action::NextGroup => "next group (Current, Future, Past)",
            Action::PrevGroup => "previous group",
            Action::Sort => "change the sort order of the list",
            Action::Filter => "filter the list as you type",
            Action::NextIssue => "next issue of a repeat-dispensing prescription",
            Action::PrevIssue => "previous issue of a repeat-dispensing prescription",
            Action::Retry => "retry the request that failed",
            Action::Copy => "copy prescription ID and trace ID (OSC 52 clipboard)",
            Action::NewSearch => "go to the query and start a new search",
            Action::Lock => "lock the screen now",
            Action::SignOut => "sign out",
            Action::NewCaller => "new caller: clear the query, its filters and the results",
        }
    }

    /// Keys that also edit text (Home, End, Left, Right) act on the field while typing.
    fn scope(self) -> Scope {
        match self {
            Action::Top | Action::Bottom | Action::NextGroup | Action::PrevGroup => {
                Scope::OutsideText
            }
            _ => Scope::Anywhere,
        }
    }

    fn from_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }

    fn default_keys(self) -> &'static [&'static str] {
        match self {
            Action::Quit => &["q"],
            Action::Help => &["?", "f1"],
            Action::NextPane => &["tab"],
            Action::PrevPane => &["shift-tab"],
            Action::Up => &["up", "k"],
            Action::Down => &["down", "j"],
            Action::PageUp => &["pageup"],
            Action::PageDown => &["pagedown"],
            Action::Top => &["home", "g"],
            Action::Bottom => &["end", "G"],
            Action::Submit => &["enter"],
            Action::Cancel => &["esc"],
            Action::ToggleMode => &["ctrl-t"],
            Action::NextField => &["down"],
            Action::PrevField => &["up"],
            Action::GroupCurrent => &["1"],
            Action::GroupFuture => &["2"],
            Action::GroupPast => &["3"],
            Action::NextGroup => &["right", "l"],
            Action::PrevGroup => &["left", "h"],
            Action::Sort => &["s"],
            Action::Filter => &["/"],
            Action::NextIssue => &["]"],
            Action::PrevIssue => &["["],
            Action::Retry => &["r"],
            Action::Copy => &["y"],
            Action::NewSearch => &["n"],
            Action::Lock => &["ctrl-l"],
            Action::SignOut => &["ctrl-o"],
            Action::NewCaller => &["ctrl-n"],
        }
    }
}

/// A key as the keymap sees it: the key and the modifiers that matter (Shift is folded
/// into the character, so `G` is just `G`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyPress {
    pub code: KeyCodeOrd,
    pub ctrl: bool,
    pub alt: bool,
}

/// `KeyCode` with an ordering, so bindings can live in ordered maps and print stably.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCodeOrd {
    Char(char),
    F(u8),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Insert,
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    PageUp,
    PageDown,
}

impl KeyPress {
    /// Normalises a crossterm key event; `None` for keys we never bind (media keys, …).
    pub fn from_event(event: &KeyEvent) -> Option<KeyPress> {
        let code = match event.code {
            KeyCode::Char(c) => KeyCodeOrd::Char(c),
            KeyCode::F(n) => KeyCodeOrd::F(n),
            KeyCode::Enter => KeyCodeOrd::Enter,
            KeyCode::Esc => KeyCodeOrd::Esc,
            KeyCode::Tab if event.modifiers.contains(KeyModifiers::SHIFT) => KeyCodeOrd::BackTab,
            KeyCode::Tab => KeyCodeOrd::Tab,
            KeyCode::BackTab => KeyCodeOrd::BackTab,
            KeyCode::Backspace => KeyCodeOrd::Backspace,
            KeyCode::Delete => KeyCodeOrd::Delete,
            KeyCode::Insert => KeyCodeOrd::Insert,
            KeyCode::Up => KeyCodeOrd::Up,
            KeyCode::Down => KeyCodeOrd::Down,
            KeyCode::Left => KeyCodeOrd::Left,
            KeyCode::Right => KeyCodeOrd::Right,
            KeyCode::Home => KeyCodeOrd::Home,
            KeyCode::End => KeyCodeOrd::End,
            KeyCode::PageUp => KeyCodeOrd::PageUp,
            KeyCode::PageDown => KeyCodeOrd::PageDown,
            _ => return None,
        };
        Some(KeyPress {
            code,
            ctrl: event.modifiers.contains(KeyModifiers::CONTROL),
            alt: event.modifiers.contains(KeyModifiers::ALT),
        })
    }

    /// A plain printable character with no Ctrl or Alt: text when a field has the focus.
    pub fn typed_char(&self) -> Option<char> {
        match self.code {
            KeyCodeOrd::Char(c) if !self.ctrl && !self.alt => Some(c),
            _ => None,
        }
    }

    /// Ctrl-C: quits from anywhere and cannot be rebound away.
    pub fn is_interrupt(&self) -> bool {
        self.ctrl && !self.alt && matches!(self.code, KeyCodeOrd::Char('c' | 'C'))
    }

    /// Parses a binding as written in config: `q`, `G`, `?`, `ctrl-c`, `shift-tab`, `f5`,
    /// `enter`, `pagedown`, `alt-x`.
    pub fn parse(text: &str) -> Result<KeyPress, KeyParseError> {
        let bad = || KeyParseError {
            key: text.to_string(),
        };
        if text.is_empty() {
            return Err(bad());
        }
        let mut ctrl = false;
        let mut alt = false;
        let mut shift = false;
        let mut rest = text;
        // A lone `-` is a key, not a separator; only strip prefixes while more follows.
        loop {
            let lower = rest.to_ascii_lowercase();
            if lower.starts_with("ctrl-") && rest.len() > 5 {
                ctrl = true;
                rest = &rest[5..];
            } else if lower.starts_with("alt-") && rest.len() > 4 {
                alt = true;
                rest = &rest[4..];
            } else if lower.starts_with("shift-") && rest.len() > 6 {
                shift = true;
                rest = &rest[6..];
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCodeOrd::Char(if shift { c.to_ascii_uppercase() } else { c }),
            _ => match rest.to_ascii_lowercase().as_str() {
                "enter" | "return" => KeyCodeOrd::Enter,
                "esc" | "escape" => KeyCodeOrd::Esc,
                "tab" if shift => KeyCodeOrd::BackTab,
                "tab" => KeyCodeOrd::Tab,
                "backtab" => KeyCodeOrd::BackTab,
                "backspace" => KeyCodeOrd::Backspace,
                "delete" | "del" => KeyCodeOrd::Delete,
                "insert" | "ins" => KeyCodeOrd::Insert,
                "up" => KeyCodeOrd::Up,
                "down" => KeyCodeOrd::Down,
                "left" => KeyCodeOrd::Left,
                "right" => KeyCodeOrd::Right,
                "home" => KeyCodeOrd::Home,
                "end" => KeyCodeOrd::End,
                "pageup" | "pgup" => KeyCodeOrd::PageUp,
                "pagedown" | "pgdn" => KeyCodeOrd::PageDown,
                "space" => KeyCodeOrd::Char(' '),
                other => match other.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
                    Some(n) if (1..=24).contains(&n) => KeyCodeOrd::F(n),
                    _ => return Err(bad()),
                },
            },
        };
        Ok(KeyPress { code, ctrl, alt })
    }
}

impl fmt::Display for KeyPress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("Ctrl-")?;
        }
        if self.alt {
            f.write_str("Alt-")?;
        }
        match self.code {
            KeyCodeOrd::Char(' ') => f.write_str("Space"),
            KeyCodeOrd::Char(c) if self.ctrl || self.alt => write!(f, "{}", c.to_ascii_uppercase()),
            KeyCodeOrd::Char(c) => write!(f, "{c}"),
            KeyCodeOrd::F(n) => write!(f, "F{n}"),
            KeyCodeOrd::Enter => f.write_str("Enter"),
            KeyCodeOrd::Esc => f.write_str("Esc"),
            KeyCodeOrd::Tab => f.write_str("Tab"),
            KeyCodeOrd::BackTab => f.write_str("Shift-Tab"),
            KeyCodeOrd::Backspace => f.write_str("Backspace"),
            KeyCodeOrd::Delete => f.write_str("Delete"),
            KeyCodeOrd::Insert => f.write_str("Insert"),
            KeyCodeOrd::Up => f.write_str("Up"),
            KeyCodeOrd::Down => f.write_str("Down"),
            KeyCodeOrd::Left => f.write_str("Left"),
            KeyCodeOrd::Right => f.write_str("Right"),
            KeyCodeOrd::Home => f.write_str("Home"),
            KeyCodeOrd::End => f.write_str("End"),
            KeyCodeOrd::PageUp => f.write_str("PageUp"),
            KeyCodeOrd::PageDown => f.write_str("PageDown"),
        }
    }
}

/// A key name in config that we cannot read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "key \"{key}\" not understood: write a character (\"q\", \"?\"), a name (\"enter\", \
     \"esc\", \"tab\", \"up\", \"pagedown\", \"f5\") or a modifier and a key (\"ctrl-l\", \
     \"shift-tab\")"
)]
pub struct KeyParseError {
    pub key: String,
}

/// What went wrong with the `[keys]` table of the config file.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeymapError {
    #[error("[keys] {action:?} is not an action; known actions: {known}")]
    UnknownAction { action: String, known: String },
    #[error("[keys] {action}: {source}")]
    BadKey {
        action: String,
        #[source]
        source: KeyParseError,
    },
    #[error("[keys] {action}: Ctrl-C always quits and cannot be bound to another action")]
    Reserved { action: String },
}

/// Which actions each key triggers, built from the defaults and the user's overrides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    bindings: BTreeMap<Action, Vec<KeyPress>>,
}

impl Default for Keymap {
    fn default() -> Self {
        let bindings = Action::ALL
            .into_iter()
            .map(|action| {
                let keys = action
                    .default_keys()
                    .iter()
                    .filter_map(|k| KeyPress::parse(k).ok())
                    .collect();
                (action, keys)
            })
            .collect();
        Keymap { bindings }
    }
}

impl Keymap {
    /// The defaults with the user's `[keys]` table laid over them: an action named there
    /// gets exactly the keys listed (an empty list unbinds it).
    pub fn with_overrides(
        overrides: &BTreeMap<String, Vec<String>>,
    ) -> Result<Keymap, KeymapError> {
        let mut map = Keymap::default();
        for (name, keys) in overrides {
            let action = Action::from_name(name).ok_or_else(|| KeymapError::UnknownAction {
                action: name.clone(),
                known: Action::ALL.map(Action::name).join(", "),
            })?;
            let mut parsed = Vec::with_capacity(keys.len());
            for key in keys {
                let press = KeyPress::parse(key).map_err(|source| KeymapError::BadKey {
                    action: name.clone(),
                    source,
                })?;
                if press.is_interrupt() && action != Action::Quit {
                    return Err(KeymapError::Reserved {
                        action: name.clone(),
                    });
                }
                parsed.push(press);
            }
            map.bindings.insert(action, parsed);
        }
        Ok(map)
    }

    /// The keys bound to an action, in the order configured.
    pub fn keys(&self, action: Action) -> &[KeyPress] {
        self.bindings.get(&action).map_or(&[], Vec::as_slice)
    }

    /// The keys of an action for display, e.g. `?/F1`; `unbound` when it has none.
    pub fn label(&self, action: Action) -> String {
        let keys = self.keys(action);
        if keys.is_empty() {
            return "unbound".to_string();
        }
        keys.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("/")
    }

    /// The first key of an action that works in this context, for hints: while typing
    /// in a field a plain letter would be text, so `?` gives way to `F1`.
    pub fn first(&self, action: Action, in_text: bool) -> Option<KeyPress> {
        if in_text && action.scope() == Scope::OutsideText {
            return None;
        }
        self.keys(action)
            .iter()
            .find(|k| !in_text || k.typed_char().is_none())
            .copied()
    }

    /// The actions a key triggers in this context, best candidates first. While typing in
    /// a text field, plain characters are text, so only non-character keys and
    /// modified keys are looked up.
    pub fn actions_for(&self, key: KeyPress, in_text: bool) -> Vec<Action> {
        if in_text && key.typed_char().is_some() {
            return Vec::new();
        }
        Action::ALL
            .into_iter()
            .filter(|a| !(in_text && a.scope() == Scope::OutsideText))
            .filter(|a| self.keys(*a).contains(&key))
            .collect()
    }

    /// Every action with its keys and description: the source of the help screen.
    pub fn help_rows(&self) -> Vec<(String, &'static str)> {
        Action::ALL
            .into_iter()
            .map(|a| (self.label(a), a.describe()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> KeyPress {
        KeyPress::parse(text).unwrap()
    }

    #[test]
    fn parses_the_forms_config_uses() {
        assert_eq!(key("q").code, KeyCodeOrd::Char('q'));
        assert_eq!(key("G").code, KeyCodeOrd::Char('G'));
        assert!(key("ctrl-l").ctrl);
        assert_eq!(key("shift-tab").code, KeyCodeOrd::BackTab);
        assert_eq!(key("F5").code, KeyCodeOrd::F(5));
        assert_eq!(key("-").code, KeyCodeOrd::Char('-'));
        assert_eq!(key("ctrl--").code, KeyCodeOrd::Char('-'));
        assert!(KeyPress::parse("ctrl-").is_err());
        assert!(KeyPress::parse("hyper-x").is_err());
        assert!(KeyPress::parse("f99").is_err());
    }

    #[test]
    fn plain_letters_are_text_inside_a_field() {
        let map = Keymap::default();
        assert_eq!(map.actions_for(key("q"), false), vec![Action::Quit]);
        assert!(map.actions_for(key("q"), true).is_empty());
        assert_eq!(map.actions_for(key("enter"), true), vec![Action::Submit]);
        assert_eq!(
            map.actions_for(key("ctrl-t"), true),
            vec![Action::ToggleMode]
        );
    }

    #[test]
    fn overrides_replace_the_keys_of_one_action() {
        let mut over = BTreeMap::new();
        over.insert("quit".to_string(), vec!["x".to_string()]);
        let map = Keymap::with_overrides(&over).unwrap();
        assert!(map.actions_for(key("q"), false).is_empty());
        assert_eq!(map.actions_for(key("x"), false), vec![Action::Quit]);
        assert_eq!(map.label(Action::Help), "?/F1");
    }

    #[test]
    fn bad_overrides_say_what_is_wrong() {
        let mut over = BTreeMap::new();
        over.insert("jump".to_string(), vec!["x".to_string()]);
        let err = Keymap::with_overrides(&over).unwrap_err().to_string();
        assert!(err.contains("\"jump\" is not an action"), "{err}");

        let mut over = BTreeMap::new();
        over.insert("help".to_string(), vec!["ctrl-c".to_string()]);
        let err = Keymap::with_overrides(&over).unwrap_err().to_string();
        assert!(err.contains("Ctrl-C always quits"), "{err}");

        let mut over = BTreeMap::new();
        over.insert("help".to_string(), vec!["meta-q".to_string()]);
        let err = Keymap::with_overrides(&over).unwrap_err().to_string();
        assert!(err.contains("key \"meta-q\" not understood"), "{err}");
    }

    #[test]
    fn the_example_config_lists_exactly_the_defaults() {
        let text = include_str!("../../config.example.toml");
        let config =
            crate::config::Config::parse(std::path::Path::new("config.example.toml"), text)
                .unwrap();
        assert_eq!(config.keys.len(), Action::ALL.len());
        assert_eq!(
            Keymap::with_overrides(&config.keys).unwrap(),
            Keymap::default()
        );
    }

    #[test]
    fn help_lists_every_action_with_its_live_keys() {
        let map = Keymap::default();
        let rows = map.help_rows();
        assert_eq!(rows.len(), Action::ALL.len());
        assert!(
            rows.iter()
                .any(|(k, d)| k == "]" && d.contains("next issue"))
        );
    }
}
