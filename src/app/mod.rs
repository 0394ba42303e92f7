//! The terminal app's brain: state, messages and the pure `update` function. No I/O.

pub mod detail;
pub mod form;
pub mod keymap;
pub mod msg;
pub mod patient;
pub mod patient_form;
mod requests;
pub mod results;
pub mod scroll;
pub mod secret;
pub mod signin;
pub mod state;
pub mod update;
pub mod zone;

pub use msg::{Cmd, Msg, RequestId};
pub use state::{ListState, Pane, Settings, State};
pub use update::update;

#[cfg(test)]
mod helpdesk_tests;
#[cfg(test)]
mod patient_tests;
#[cfg(test)]
pub(crate) mod tests;
