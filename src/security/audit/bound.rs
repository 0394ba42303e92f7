//! Bounds on what goes into a record. Many fields come from outside the program (the OS
//! user, terminal and SSH client from the environment, user IDs and filters as typed,
//! reasons): each is cut to a fixed length with a marker saying how much was cut, so no
//! record can outgrow what every writer reads back (`MAX_LINE`), and a 70 KB `$USER`
//! cannot stop other users' lookups.

use super::origin::Origin;
use super::record::AuditEntry;

/// Longest field kept, in bytes (cut on a character boundary).
pub(crate) const MAX_FIELD: usize = 256;
/// Several NHS numbers (10 digits and a space each) fit in a record naming every patient
/// of a retrieve.
const MAX_NHS_LIST: usize = 1100;

/// Cuts `text` to `limit` bytes, ending with a marker that says how many bytes were cut.
pub(crate) fn bound_text(text: &mut String, limit: usize) {
    if text.len() <= limit {
        return;
    }
    let original = text.len();
    // Leave room for the marker; the marker itself is at most 30 bytes.
    let mut keep = limit.saturating_sub(30);
    while !text.is_char_boundary(keep) {
        keep -= 1;
    }
    text.truncate(keep);
    text.push_str(&format!("…[cut {} bytes]", original - keep));
}

fn bound(field: &mut Option<String>, limit: usize) {
    if let Some(text) = field {
        bound_text(text, limit);
    }
}

/// Bounds every string field of a record and its origin.
pub(crate) fn bound_entry(entry: &mut AuditEntry) {
    for field in [
        &mut entry.chain,
        &mut entry.user,
        &mut entry.spine_user,
        &mut entry.role_profile,
        &mut entry.org,
        &mut entry.prescription,
        &mut entry.trace,
        &mut entry.spine_code,
        &mut entry.reason,
        &mut entry.target_user,
        &mut entry.found,
        &mut entry.continues,
    ] {
        bound(field, MAX_FIELD);
    }
    bound(&mut entry.nhs, MAX_NHS_LIST);
    if let Some(filters) = &mut entry.filters {
        bound(&mut filters.status, MAX_FIELD);
        bound(&mut filters.version, MAX_FIELD);
    }
}

pub(crate) fn bound_origin(origin: &mut Origin) {
    for field in [
        &mut origin.host,
        &mut origin.os_user,
        &mut origin.claimed_user,
        &mut origin.tty,
        &mut origin.ssh_client,
    ] {
        bound(field, MAX_FIELD);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_cut_on_a_character_boundary_with_a_marker() {
        let mut text = "é".repeat(40_000);
        bound_text(&mut text, MAX_FIELD);
        assert!(text.len() <= MAX_FIELD, "{}", text.len());
        assert!(text.ends_with("bytes]"), "{text}");
        assert!(text.contains("…[cut "), "{text}");
        let mut short = "abc".to_owned();
        bound_text(&mut short, MAX_FIELD);
        assert_eq!(short, "abc");
    }
}
