//! Forwarding the trail off the machine, to a syslog collector the application account
//! cannot change: each record as an RFC 5424 message, framed by octet counting (RFC 6587)
//! over TCP or TLS (RFC 5425, rustls). The local trail is the spool: a cursor file beside it
//! (`audit.jsonl.forwarded`) names the last record the collector is known to have read.
//!
//! At least once, in order: a batch goes out on a fresh connection, then the program closes
//! its sending side and waits for the collector to close too, which it does only after
//! reading everything before the close. Only then does the cursor move on. Anything less
//! (refused, hung, cut mid-message, TLS refused) leaves the cursor where it was, and the
//! next attempt sends the same records again; each carries its sequence number and hash,
//! so a collector can drop duplicates. Sending runs on its own thread, never on the request
//! path: a lookup waits only for the local record.

mod connection;
mod message;
mod sender;
mod settings;
mod spool;

use std::fs::File;
use std::io;
use std::path::Path;
use std::sync::Arc;

use thiserror::Error;

use crate::files;
use connection::{Connection, IO_TIMEOUT, tls_config};
use message::format_message;
pub(crate) use sender::Forwarder;
pub use settings::{AuditSettings, Facility, ForwardSettings, Transport};
pub use spool::{Backlog, StaleBacklog, backlog};
use spool::{Cursor, MAX_BATCH, Pending, cursor_path, pending_records, read_cursor, write_cursor};

/// Why a batch did not reach the collector. The records stay in the backlog.
#[derive(Debug, Error)]
pub enum ForwardError {
    #[error("cannot reach the syslog collector {address}: {source}")]
    Connect { address: String, source: io::Error },
    #[error("the syslog collector {address} refused TLS: {detail}")]
    Tls { address: String, detail: String },
    #[error("sending to the syslog collector {address} failed: {source}")]
    Send { address: String, source: io::Error },
    #[error(
        "the syslog collector {address} did not confirm it read the records (it did not close \
         the connection within {} seconds)",
        IO_TIMEOUT.as_secs()
    )]
    Unconfirmed { address: String },
    #[error("cannot read the audit trail or its forwarding cursor: {0}")]
    Local(io::Error),
    #[error("[audit.forward] {0}")]
    Settings(String),
}

/// What one attempt did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardReport {
    /// Records sent and confirmed in this attempt.
    pub sent: u64,
    /// The last sequence number the collector has read.
    pub cursor: Option<u64>,
}

/// Opens a connection to the collector (and, over TLS, completes the handshake with the
/// client certificate) and closes it without sending anything: `doctor`'s check that
/// records could leave the machine now.
pub fn probe(settings: &ForwardSettings) -> Result<(), ForwardError> {
    settings.validate().map_err(ForwardError::Settings)?;
    let tls = tls_config(settings)?;
    Connection::open(settings, tls.as_ref())?;
    Ok(())
}

/// Sends every record after the cursor to the collector and moves the cursor on once the
/// collector confirms it read them. One sender at a time per trail (a lock on the cursor
/// file), so records leave in order.
pub fn forward_once(dir: &Path, settings: &ForwardSettings) -> Result<ForwardReport, ForwardError> {
    settings.validate().map_err(ForwardError::Settings)?;
    let tls = tls_config(settings)?;
    let path = cursor_path(dir);
    let mut cursor_file = files::private_options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(ForwardError::Local)?;
    cursor_file.lock().map_err(ForwardError::Local)?;
    let result = forward_locked(dir, settings, tls.as_ref(), &mut cursor_file);
    let _ = cursor_file.unlock();
    result
}

fn forward_locked(
    dir: &Path,
    settings: &ForwardSettings,
    tls: Option<&Arc<rustls::ClientConfig>>,
    cursor_file: &mut File,
) -> Result<ForwardReport, ForwardError> {
    let mut report = ForwardReport {
        sent: 0,
        cursor: None,
    };
    loop {
        let cursor = read_cursor(cursor_file).map_err(ForwardError::Local)?;
        report.cursor = cursor.as_ref().map(|c| c.seq);
        let pending = pending_records(dir, cursor.as_ref()).map_err(ForwardError::Local)?;
        let Some(last) = pending.lines.last() else {
            return Ok(report);
        };
        send_batch(settings, tls, &pending)?;
        write_cursor(
            cursor_file,
            Cursor {
                seq: last.seq,
                offset: last.offset,
                hash: last.hash.clone(),
            },
        )
        .map_err(ForwardError::Local)?;
        report.sent += pending.lines.len() as u64;
        report.cursor = Some(last.seq);
        if pending.lines.len() < MAX_BATCH {
            return Ok(report);
        }
    }
}

/// Sends one batch on a fresh connection and waits for the collector to confirm it read it.
fn send_batch(
    settings: &ForwardSettings,
    tls: Option<&Arc<rustls::ClientConfig>>,
    pending: &Pending,
) -> Result<(), ForwardError> {
    let procid = std::process::id();
    let mut frames = Vec::with_capacity(pending.lines.len() * 700);
    for line in &pending.lines {
        if let Some(message) = format_message(&line.bytes, settings, procid) {
            frames.extend_from_slice(format!("{} ", message.len()).as_bytes());
            frames.extend_from_slice(&message);
        }
    }
    let mut connection = Connection::open(settings, tls)?;
    let send_err = |source| ForwardError::Send {
        address: settings.address.clone(),
        source,
    };
    connection.write_all(&frames).map_err(send_err)?;
    if connection.finish().map_err(send_err)? {
        Ok(())
    } else {
        Err(ForwardError::Unconfirmed {
            address: settings.address.clone(),
        })
    }
}
