//! Local sign-in, role-based access control and the audit trail: the gate every Tracker
//! call passes through.
//!
//! Password checks (argon2id) take 50–100 ms by design. Everything here is synchronous and
//! free of terminal code: an interactive caller runs sign-in, unlock and password changes off
//! its UI thread (`tokio::task::spawn_blocking`).

pub mod admin;
pub mod audit;
pub mod demo;
pub mod directory;
pub mod fingerprint;
pub mod gate;
pub mod hashing;
pub mod identity;
pub mod password;
pub mod rbac;
pub mod session;
pub mod settings;
pub mod signin;
pub mod spine_client;
pub mod users;
