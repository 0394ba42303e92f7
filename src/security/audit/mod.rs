//! The audit trail: one JSON object per line, each carrying the SHA-256 of its own exact
//! bytes and the hash of the line before it, starting from a header with a random chain ID.
//! Records say who, what, where and when; never names, medicines or other clinical
//! content.
//!
//! Line layout: `{"seq":…,"ts":…,"event":…,…,"prev":"<hex>","hash":"<hex>"}` where `hash`
//! is SHA-256 over the line with its `,"hash":"…"` member removed (the exact bytes written,
//! ending in `}`), and `prev` is the previous line's `hash` (64 zeros for the header).

mod against;
mod bound;
mod forward;
mod head;
mod origin;
mod reader;
mod record;
mod verify;
mod writer;

pub use against::{AgainstReport, compare};
pub use forward::{
    AuditSettings, Backlog, Facility, ForwardError, ForwardReport, ForwardSettings, StaleBacklog,
    Transport, backlog, forward_once, probe as probe_forwarding,
};
pub use head::{Mismatch, MismatchKind};
pub use origin::Origin;
pub use reader::{AuditFilter, StoredRecord, for_each_record, read_records};
pub use record::{AuditEntry, Event, Filters, Outcome, PatientCriteria};
pub use verify::{FileReport, FileResult, TamperKind, Tampering, VerifyReport, verify_dir};
pub use writer::{ACTIVE_FILE, AuditError, AuditLog, Resealed};
