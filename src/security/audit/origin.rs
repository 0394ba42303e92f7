//! Where the program runs, for the "where" of every record: host, operating-system user,
//! terminal and SSH client address. Read once at start.

use std::io::IsTerminal;

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
        Self {
            host,
            os_user: env("USER").or_else(|| env("LOGNAME")),
            tty,
            ssh_client,
        }
    }
}
