//! The sign-in form: user ID, masked password, and the note shown above them (why the
//! last attempt failed, or why the session was locked).

use tui_input::{Input, InputRequest};

use super::secret::SecretField;

/// Which sign-in field has the cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignInField {
    #[default]
    User,
    Password,
}

/// A line shown above the fields, and whether it is bad news.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub text: String,
    pub is_error: bool,
}

impl Note {
    pub fn info(text: impl Into<String>) -> Note {
        Note {
            text: text.into(),
            is_error: false,
        }
    }

    pub fn error(text: impl Into<String>) -> Note {
        Note {
            text: text.into(),
            is_error: true,
        }
    }
}

#[derive(Debug, Default)]
pub struct SignInForm {
    pub user: Input,
    pub password: SecretField,
    pub field: SignInField,
    pub note: Option<Note>,
    /// Set while the (deliberately slow) password check runs off the UI thread.
    pub checking: bool,
    /// Set on an idle lock: the user stays fixed and only the password is asked for.
    pub locked_user: Option<String>,
    /// After a right password, when the user has several role profiles: the choice.
    pub roles: Option<RoleChoice>,
}

/// The role profiles on offer and the one highlighted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleChoice {
    pub options: Vec<String>,
    pub selected: usize,
}

/// What a finished form asks for.
pub struct Credentials {
    pub user: String,
    pub password: zeroize::Zeroizing<String>,
}

impl SignInForm {
    /// The form for re-entering the password after an idle lock.
    pub fn locked(user: &str, note: Note) -> SignInForm {
        SignInForm {
            user: Input::new(user.to_string()),
            field: SignInField::Password,
            note: Some(note),
            locked_user: Some(user.to_string()),
            ..SignInForm::default()
        }
    }

    /// Types a character into the focused field.
    pub fn type_char(&mut self, ch: char) {
        match self.field {
            SignInField::User if self.locked_user.is_none() => {
                self.user.handle(InputRequest::InsertChar(ch));
            }
            SignInField::User => {}
            SignInField::Password => self.password.push(ch),
        }
    }

    /// Applies an editing request (cursor moves, deletes) to the focused field.
    pub fn edit(&mut self, request: InputRequest) {
        match self.field {
            SignInField::User if self.locked_user.is_none() => {
                self.user.handle(request);
            }
            SignInField::User => {}
            SignInField::Password => match request {
                InputRequest::DeletePrevChar => self.password.pop(),
                InputRequest::DeleteLine | InputRequest::DeleteFromStart => self.password.clear(),
                _ => {}
            },
        }
    }

    pub fn next_field(&mut self) {
        self.field = match self.field {
            SignInField::User => SignInField::Password,
            SignInField::Password if self.locked_user.is_some() => SignInField::Password,
            SignInField::Password => SignInField::User,
        };
    }

    /// Enter: from the user field moves on; from the password field hands over the
    /// credentials (taking the password out of the field), or says what is missing.
    pub fn submit(&mut self) -> Option<Credentials> {
        if self.checking {
            return None;
        }
        let user = self.user.value().trim().to_string();
        if user.is_empty() {
            self.field = SignInField::User;
            self.note = Some(Note::error("Enter your user ID."));
            return None;
        }
        if self.field == SignInField::User {
            self.field = SignInField::Password;
            return None;
        }
        if self.password.is_empty() {
            self.note = Some(Note::error("Enter your password."));
            return None;
        }
        self.checking = true;
        self.note = Some(Note::info("Checking…"));
        Some(Credentials {
            user,
            password: self.password.take(),
        })
    }
}
