//! The patient details mode of the query form: last name, date of birth, and optionally
//! first name, postcode and gender, each checked as typed with PDS's own rules
//! (`PatientSearch::new`), so Enter only sends a search PDS would accept.

use chrono::NaiveDate;
use tui_input::Input;

use super::form::Field;
use crate::pds::{PatientSearch, SearchDataError};

/// Stand-ins for the other fields when one field is judged on its own: valid, never sent.
const SOME_NAME: &str = "Smith";
const SOME_BIRTH_DATE: &str = "2000-01-01";

/// The typed patient details.
#[derive(Debug, Clone, Default)]
pub struct PatientFields {
    pub family: Input,
    pub birth_date: Input,
    pub given: Input,
    pub postcode: Input,
    pub gender: Input,
}

impl PatientFields {
    /// In the order Up/Down walks them: the two PDS needs first.
    pub const FIELDS: [Field; 5] = [
        Field::Family,
        Field::BirthDate,
        Field::Given,
        Field::Postcode,
        Field::Gender,
    ];

    pub fn input(&self, field: Field) -> Option<&Input> {
        match field {
            Field::Family => Some(&self.family),
            Field::BirthDate => Some(&self.birth_date),
            Field::Given => Some(&self.given),
            Field::Postcode => Some(&self.postcode),
            Field::Gender => Some(&self.gender),
            _ => None,
        }
    }

    pub fn input_mut(&mut self, field: Field) -> Option<&mut Input> {
        match field {
            Field::Family => Some(&mut self.family),
            Field::BirthDate => Some(&mut self.birth_date),
            Field::Given => Some(&mut self.given),
            Field::Postcode => Some(&mut self.postcode),
            Field::Gender => Some(&mut self.gender),
            _ => None,
        }
    }

    /// What is wrong with one typed field, judged alone (blank is fine until Enter).
    pub fn field_error(&self, field: Field, today: NaiveDate) -> Option<String> {
        let text = self.input(field)?.value();
        if text.trim().is_empty() {
            return None;
        }
        let optional = |f: Field| (f == field).then_some(text);
        let checked = PatientSearch::new(
            if field == Field::Family {
                text
            } else {
                SOME_NAME
            },
            if field == Field::BirthDate {
                text
            } else {
                SOME_BIRTH_DATE
            },
            optional(Field::Given),
            optional(Field::Postcode),
            optional(Field::Gender),
            today,
        );
        checked.err().map(|e| sentence(&e))
    }

    /// The search to send, or what to fix first.
    pub fn search(&self, today: NaiveDate) -> Result<PatientSearch, String> {
        fn optional(input: &Input) -> Option<&str> {
            Some(input.value()).filter(|v| !v.trim().is_empty())
        }
        if self.birth_date.value().trim().is_empty() && !self.family.value().trim().is_empty() {
            return Err("Add the date of birth: PDS needs the last name and date of birth.".into());
        }
        PatientSearch::new(
            self.family.value(),
            self.birth_date.value(),
            optional(&self.given),
            optional(&self.postcode),
            optional(&self.gender),
            today,
        )
        .map_err(|e| match e {
            SearchDataError::NoFamilyName => {
                "Add the last name: PDS needs the last name and date of birth.".to_owned()
            }
            other => sentence(&other),
        })
    }
}

/// "the last name is needed" → "The last name is needed."
fn sentence(error: &SearchDataError) -> String {
    let text = error.to_string();
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    fn typed(family: &str, dob: &str, postcode: &str) -> PatientFields {
        PatientFields {
            family: Input::new(family.into()),
            birth_date: Input::new(dob.into()),
            postcode: Input::new(postcode.into()),
            ..PatientFields::default()
        }
    }

    #[test]
    fn each_field_is_judged_alone_as_typed() {
        let form = typed("Sm1th", "14/03/58", "LS");
        let t = today();
        assert!(
            form.field_error(Field::Family, t)
                .unwrap()
                .contains("characters")
        );
        assert!(
            form.field_error(Field::BirthDate, t)
                .unwrap()
                .contains("four-digit year")
        );
        assert!(
            form.field_error(Field::Postcode, t)
                .unwrap()
                .contains("UK postcode")
        );
        assert_eq!(form.field_error(Field::Given, t), None, "blank is fine");
        let future = typed("Smith", "2030-01-01", "LS6 3HN");
        assert!(future.field_error(Field::BirthDate, t).is_some());
        assert_eq!(future.field_error(Field::Postcode, t), None);
    }

    #[test]
    fn enter_needs_the_last_name_and_the_date_of_birth() {
        let t = today();
        assert!(
            typed("", "", "")
                .search(t)
                .unwrap_err()
                .contains("last name")
        );
        assert!(
            typed("Smith", "", "")
                .search(t)
                .unwrap_err()
                .contains("date of birth")
        );
        let search = typed("Whitfield-Jones", "14/03/1958", "")
            .search(t)
            .unwrap();
        assert_eq!(search.birth_date.to_string(), "1958-03-14");
        assert_eq!(search.postcode, None);
    }
}
