//! The Personal Demographics Service (PDS FHIR R4), application-restricted: who a patient
//! is (name, date of birth, address, GP), to confirm identity beside the prescriptions and
//! to find a patient's NHS number from their details. The contract is
//! `shared/spec/pds-api.md`; every call goes through the gate (`Gate::patient`).

pub mod client;
pub mod decode;
pub mod errors;
pub mod model;
pub mod query;
pub mod settings;
pub mod token;

pub use client::{PdsClient, PdsError};
pub use decode::{PdsAnswer, decode};
pub use errors::{NotPds, PdsCode, PdsOutcome};
pub use model::Patient;
pub use query::{PatientSearch, PdsRequest, SearchDataError};
pub use settings::{PdsConfig, PdsSettings};
