//! A local Spine Tracker simulator: same endpoints, validation, error codes and quirks,
//! served over mutual TLS on synthetic patients.

mod answers;
pub mod certs;
pub mod dataset;
pub mod embedded;
pub mod faults;
mod json;
pub mod pds;
mod routes;
pub mod server;
pub mod tls;
pub mod validate;
mod wire;
mod write_deadline;

#[cfg(test)]
mod guidance_check;
