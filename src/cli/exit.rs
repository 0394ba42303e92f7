//! Exit codes shared by the scriptable commands, and how a failure reaches the terminal:
//! `error: …` with its causes indented under it, or (with `--json`) one JSON document on
//! standard output.

use std::error::Error;
use std::process::ExitCode;

use serde::Serialize;

use super::safe;

pub(super) const NOT_FOUND: u8 = 1;
pub(super) const USAGE: u8 = 2;
pub(super) const DENIED: u8 = 3;
pub(super) const NETWORK: u8 = 4;
pub(super) const AUDIT: u8 = 5;
pub(super) const UNAVAILABLE: u8 = 6;

/// The exit codes, as `--help` of the lookups lists them (README.md "Exit codes" too).
pub(super) const EXIT_CODES_HELP: &str = "Exit codes of search and get: 0 found; 1 nothing found, or Spine said no \
(a Spine error code, or the issue asked for does not exist); 2 usage or validation error, or the \
output could not be written; 3 sign-in failed or access denied; 4 network or TLS failure \
(cannot reach Spine); 5 audit trail unavailable; 6 Spine or its gateway is unavailable (a \
gateway page, HTTP 5xx): try again later. A closed pipe (`| head`) exits 0.";

/// A command that could not finish: the code to exit with, what to tell the user, and why.
#[derive(Debug)]
pub(super) struct Failure {
    pub code: u8,
    pub message: String,
    /// The chain of causes under the message, outermost first.
    pub causes: Vec<String>,
    /// The `Eps-TraceId` of the request, when one was sent.
    pub trace_id: Option<String>,
    /// The typed error's own `--json` fields (`class`, `spine`, `http_status`, `body`).
    pub detail: Option<serde_json::Value>,
    /// What to do next, and whether the same command again could succeed, for a request
    /// the gate or Spine refused (`GateError::advice`, shared with the terminal app).
    /// Boxed: every command's `Result` stays small.
    pub advice: Option<Box<Advice>>,
    /// The reader closed the pipe: stop without a word, exit 0.
    quiet: bool,
    /// The command's document is already on standard output: no JSON error after it.
    after_output: bool,
}

/// What to do after a refused or failed request.
#[derive(Debug)]
pub struct Advice {
    pub text: &'static str,
    /// Whether running the same command again could succeed.
    pub retry_can_help: bool,
}

impl Failure {
    pub(super) fn new(code: u8, message: impl ToString) -> Self {
        Self {
            code,
            message: message.to_string(),
            causes: Vec::new(),
            trace_id: None,
            detail: None,
            advice: None,
            quiet: false,
            after_output: false,
        }
    }
    pub(super) fn usage(message: impl ToString) -> Self {
        Self::new(USAGE, message)
    }
    pub(super) fn denied(message: impl ToString) -> Self {
        Self::new(DENIED, message)
    }
    pub(super) fn audit(message: impl ToString) -> Self {
        Self::new(AUDIT, message)
    }

    /// The reader of standard output went away (`| head`): not a failure.
    pub(super) fn closed_pipe() -> Self {
        Self {
            quiet: true,
            ..Self::new(0, "standard output was closed")
        }
    }

    /// `message`, caused by `error` and each of its sources. A cause whose text its parent
    /// already shows (errors that display their source) is not repeated.
    pub(super) fn caused_by(mut self, error: &(dyn Error + 'static)) -> Self {
        let mut shown = self.message.clone();
        let mut next = Some(error);
        while let Some(cause) = next {
            let text = cause.to_string();
            if !text.is_empty() && !shown.contains(&text) {
                shown.clone_from(&text);
                self.causes.push(text);
            }
            next = cause.source();
        }
        self
    }

    /// A failure found after the output was written (nothing found, a missing issue):
    /// told on stderr only, so standard output stays one document.
    pub(super) fn after_output(mut self) -> Self {
        self.after_output = true;
        self
    }

    pub(super) fn trace(mut self, trace_id: impl ToString) -> Self {
        self.trace_id = Some(trace_id.to_string());
        self
    }

    /// What to do next; `retry_can_help` says whether running the command again could help.
    pub(super) fn advice(mut self, advice: &'static str, retry_can_help: bool) -> Self {
        self.advice = Some(Box::new(Advice {
            text: advice,
            retry_can_help,
        }));
        self
    }

    pub(super) fn detail(mut self, detail: impl Serialize) -> Self {
        self.detail = serde_json::to_value(detail).ok();
        self
    }

    /// The error and its causes as stderr shows them, made safe for the terminal.
    pub(super) fn text(&self) -> String {
        let mut text = format!("error: {}", safe::lines(&self.message));
        for cause in &self.causes {
            text.push_str("\n  caused by: ");
            text.push_str(&safe::lines(cause));
        }
        if let Some(trace) = &self.trace_id {
            text.push_str(&format!("\n  trace ID: {}", safe::field(trace)));
        }
        if let Some(advice) = &self.advice {
            text.push_str("\n  what to do: ");
            text.push_str(advice.text);
        }
        text
    }

    /// The `--json` error document: `{class, message, causes, trace_id, exit_code, …}`
    /// plus the typed error's own fields.
    pub(super) fn json(&self) -> serde_json::Value {
        let mut document = serde_json::json!({
            "class": self.class(),
            "message": self.message,
            "causes": self.causes,
            "trace_id": self.trace_id,
            "exit_code": self.code,
        });
        if let (Some(advice), Some(object)) = (&self.advice, document.as_object_mut()) {
            object.insert("advice".into(), advice.text.into());
            object.insert("retry_can_help".into(), advice.retry_can_help.into());
        }
        if let (Some(serde_json::Value::Object(detail)), Some(object)) =
            (&self.detail, document.as_object_mut())
        {
            for (key, value) in detail {
                if key != "message" {
                    object.insert(key.clone(), value.clone());
                }
            }
        }
        document
    }

    fn class(&self) -> &'static str {
        match self.code {
            NOT_FOUND => "not-found",
            USAGE => "usage-error",
            DENIED => "denied",
            NETWORK => "network-error",
            AUDIT => "audit-unavailable",
            UNAVAILABLE => "unavailable",
            _ => "error",
        }
    }

    /// Prints the message on stderr and gives the exit code.
    pub(super) fn report(self) -> ExitCode {
        self.report_as(false)
    }

    /// With `json`, the error document goes to standard output (scripts read one stream)
    /// and the readable message to stderr as well.
    pub(super) fn report_as(self, json: bool) -> ExitCode {
        if self.quiet {
            return ExitCode::SUCCESS;
        }
        if json && !self.after_output {
            let document = serde_json::to_string_pretty(&self.json()).unwrap_or_default();
            if let Err(failure) = super::output::print_raw(&(document + "\n")) {
                return failure.report();
            }
        }
        eprintln!("{}", self.text());
        ExitCode::from(self.code)
    }
}

/// Turns a command's result into the process exit code.
pub(super) fn finish(result: Result<(), Failure>) -> ExitCode {
    finish_as(result, false)
}

/// As `finish`, with the error as a JSON document under `--json`.
pub(super) fn finish_as(result: Result<(), Failure>, json: bool) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report_as(json),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("could not reach Spine")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn the_cause_chain_is_indented_under_the_error() {
        let inner = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let failure = Failure::new(NETWORK, "the search was not answered")
            .caused_by(&Outer(inner))
            .trace("ABC-1");
        assert_eq!(
            failure.text(),
            "error: the search was not answered\n  caused by: could not reach Spine\n  \
             caused by: refused\n  trace ID: ABC-1"
        );
        let json = failure.json();
        assert_eq!(json["class"], "network-error");
        assert_eq!(json["trace_id"], "ABC-1");
        assert_eq!(json["causes"][1], "refused");
        assert_eq!(json["exit_code"], 4);
    }

    #[test]
    fn a_cause_the_message_already_shows_is_not_repeated() {
        let inner = std::io::Error::other("disk full");
        let failure = Failure::audit("cannot write the audit trail: disk full").caused_by(&inner);
        assert!(failure.causes.is_empty());
    }

    #[test]
    fn messages_from_the_wire_cannot_drive_the_terminal() {
        let failure = Failure::new(NOT_FOUND, "Spine said \u{1b}]52;c;aGk=\u{7}");
        assert_eq!(failure.text(), "error: Spine said \\u{1b}]52;c;aGk=\\u{7}");
    }
}
