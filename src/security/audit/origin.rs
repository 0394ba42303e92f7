//! Where the program runs, for the "where" of every record: host, operating-system user,
//! terminal and SSH client address. Read once at start.
//!
//! The OS user is the account the process runs as (its user ID, named from `/etc/passwd`),
//! not `$USER`, which anyone can set; a `$USER` that differs is kept as `claimed_user`. The
//! SSH client address comes from the environment and can be spoofed the same way: it is a
//! hint, not evidence. Every field is bounded when written.

use std::io::IsTerminal;
use std::os::unix::fs::MetadataExt;

use serde::{Deserialize, Serialize};

/// The machine and connection a record was written from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tty: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_client: Option<String>,
    /// `$USER` (or `$LOGNAME`) when it names someone other than `os_user`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed_user: Option<String>,
}

impl Origin {
    /// Reads the host name, OS user, controlling terminal and SSH client of this process.
    pub fn detect() -> Self {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .or_else(|| env("HOSTNAME"));
        let tty = if std::io::stdin().is_terminal() {
            std::fs::read_link("/proc/self/fd/0")
                .ok()
                .map(|p| p.display().to_string())
        } else {
            None
        };
        let ssh_client = env("SSH_CLIENT")
            .or_else(|| env("SSH_CONNECTION"))
            .and_then(|v| v.split_whitespace().next().map(str::to_owned));
        let claimed = env("USER").or_else(|| env("LOGNAME"));
        let os_user = process_user().or_else(|| claimed.clone());
        Self {
            host,
            claimed_user: claimed.filter(|c| Some(c) != os_user.as_ref()),
            os_user,
            tty,
            ssh_client,
        }
    }
}

/// The name of the account this process runs as, or `uid N` when it has no name.
fn process_user() -> Option<String> {
    // /proc/self belongs to the user the process runs as (its effective user ID).
    let uid = std::fs::metadata("/proc/self").ok()?.uid();
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let named = passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let id: u32 = fields.nth(1)?.parse().ok()?;
        (id == uid).then(|| name.to_owned())
    });
    Some(named.unwrap_or_else(|| format!("uid {uid}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_os_user_is_the_account_the_process_runs_as() {
        let origin = Origin::detect();
        assert!(origin.os_user.is_some());
        assert_ne!(origin.claimed_user, origin.os_user);
    }
}
