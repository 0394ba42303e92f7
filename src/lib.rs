//! eps-tracker: a terminal client for the NHS Spine EPS Prescription Tracker.
//!
//! The library holds everything; `main.rs` only parses the command line and hands over.
//! See ARCHITECTURE.md for the map of modules and how data moves between them.

pub mod app;
pub mod cli;
pub mod config;
pub mod files;
pub mod pds;
pub mod sandbox;
pub mod security;
pub mod tracker;
pub mod tui;
pub mod ui;
