//! A local Spine Tracker simulator: same endpoints, validation, error codes and quirks,
//! served over mutual TLS on synthetic patients.

pub mod certs;
pub mod dataset;
pub mod embedded;
pub mod faults;
mod json;
mod routes;
pub mod server;
pub mod tls;
pub mod validate;
mod wire;

#[cfg(test)]
mod guidance_check;
