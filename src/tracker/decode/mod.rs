//! Turns a Tracker response body (and the HTTP status, when there is one) into the model,
//! or into an error that names exactly what came back.
//!
//! The order of checks matters: size, then bytes (binary, UTF-8), then what kind of text
//! it is (JSON, markup, plain text), then the JSON itself (nesting depth included: see
//! [`json_error`]), then which of the four shapes (or which error body) it is.

mod basic;
mod clinical;
mod fields;
mod indentation;
mod member;
mod root;
mod search;
mod tree;

use serde_json::error::Category;

use super::error::{BodyKind, MAX_BODY_BYTES, NotAResponse, ResponseError, SpineError};
use super::model::{Prescription, ResponseKind, TrackerResponse};
use super::xml;
use fields::Ctx;
use root::Root;
use search::SearchList;
use tree::Node;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Members every response carries beside its result.
const ENVELOPE_MEMBERS: [&str; 4] = ["statusCode", "reason", "version", "message"];

/// Decodes a response body. `http_status` is `None` when the body did not come over HTTP
/// (a saved file); a non-2xx status turns anything that is not a Tracker body into a
/// gateway error.
pub fn decode(http_status: Option<u16>, body: &[u8]) -> Result<TrackerResponse, ResponseError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(NotAResponse::TooLarge.into());
    }
    let failed_status = http_status.filter(|s| !(200..300).contains(s));
    let gateway = |body: BodyKind| ResponseError::Gateway {
        status: failed_status,
        body,
    };
    let body = body.strip_prefix(UTF8_BOM).unwrap_or(body);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(match failed_status {
            Some(_) => gateway(BodyKind::Empty),
            None => NotAResponse::Empty.into(),
        });
    }
    // The usual case, a JSON body indented with spaces, is parsed without its indentation
    // (see `indentation`). That text is UTF-8 exactly when the body is, so the body itself
    // is not checked; any body that fails here goes through every check below, in order,
    // as it came, so that what is said about it (and the line and column of a JSON error)
    // is about the body.
    if let Some(b'{' | b'[') = body.iter().find(|b| !b.is_ascii_whitespace())
        && indentation::looks_indented(body)
        && let Some(unindented) = indentation::without_indentation(body)
        && let Ok(text) = simdutf8::basic::from_utf8(&unindented)
        && let Ok(root) = serde_json::from_str(text)
    {
        return decode_root(failed_status, root);
    }
    // A binary body is named as such before anything else is said about it. A body that
    // parses as JSON has no such byte (serde_json refuses control characters in strings
    // and outside them), so the scan is only made when something else is wrong.
    let binary = || {
        binary_byte(body)
            .map(|(offset, byte)| ResponseError::from(NotAResponse::Binary { offset, byte }))
    };
    // The SIMD check passes a large body in a fraction of the standard library's time; only
    // a body it refuses is checked again, for where the bad byte is.
    let text = match simdutf8::basic::from_utf8(body).or_else(|_| std::str::from_utf8(body)) {
        Ok(text) => text,
        Err(e) => {
            return Err(binary().unwrap_or_else(|| {
                NotAResponse::NotUtf8 {
                    offset: e.valid_up_to(),
                }
                .into()
            }));
        }
    };
    let trimmed = text.trim_start();
    if let Some(b'{' | b'[') = trimmed.as_bytes().first() {
        return decode_json(failed_status, text).map_err(|error| match error {
            ResponseError::NotAResponse(
                NotAResponse::InvalidJson { .. }
                | NotAResponse::Truncated { .. }
                | NotAResponse::TooDeep,
            ) => binary().unwrap_or(error),
            other => other,
        });
    }
    if let Some(error) = binary() {
        return Err(error);
    }
    match trimmed.as_bytes().first() {
        Some(b'<') => Err(ResponseError::Gateway {
            status: failed_status,
            body: xml::describe(trimmed),
        }),
        _ => {
            let kind = BodyKind::PlainText {
                first_line: first_line(trimmed),
            };
            Err(match failed_status {
                Some(_) => gateway(kind),
                None => NotAResponse::Other(kind).into(),
            })
        }
    }
}

/// The first byte (and its offset) that makes this binary rather than text: a control
/// character other than tab, newline, carriage return and form feed. Clean chunks are
/// passed over with a branch-free test the compiler vectorises.
fn binary_byte(body: &[u8]) -> Option<(usize, u8)> {
    let is_binary = |b: u8| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C);
    const CHUNK: usize = 64;
    for (index, chunk) in body.chunks(CHUNK).enumerate() {
        if chunk.iter().fold(false, |seen, &b| seen | is_binary(b)) {
            let offset = chunk.iter().position(|&b| is_binary(b))?;
            return Some((index * CHUNK + offset, *chunk.get(offset)?));
        }
    }
    None
}

/// The first non-blank line, shortened for a message.
fn first_line(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    shorten(line, 120)
}

fn shorten(text: &str, limit: usize) -> String {
    let mut out: String = text.chars().take(limit).collect();
    if text.chars().nth(limit).is_some() {
        out.push('…');
    }
    out
}

fn decode_json(failed_status: Option<u16>, text: &str) -> Result<TrackerResponse, ResponseError> {
    let root = serde_json::from_str(text).map_err(|e| json_error(text, &e))?;
    decode_root(failed_status, root)
}

/// Which shape a parsed body is, and its result read into the model.
fn decode_root(
    failed_status: Option<u16>,
    root: Root<'_>,
) -> Result<TrackerResponse, ResponseError> {
    let Root {
        node: root,
        search,
        search_capitalised,
    } = root;
    let not_tracker = |summary: String| -> ResponseError {
        match failed_status {
            Some(status) => ResponseError::Gateway {
                status: Some(status),
                body: BodyKind::Json { summary },
            },
            None => NotAResponse::WrongShape(summary).into(),
        }
    };
    if !root.is_object() {
        return Err(not_tracker(format!(
            "the top level is {}, not an object",
            root.describe()
        )));
    }
    let status_code = root.get("statusCode").and_then(Node::text);
    let reason = root
        .get("reason")
        .and_then(Node::text)
        .map(|r| r.trim().to_owned())
        .unwrap_or_default();
    let notice = match status_code.as_deref().map(str::trim) {
        None | Some("" | "0") => None,
        Some(code) => Some(SpineError::new(code, reason)),
    };
    let Some(found) = find_result(&root, search, search_capitalised) else {
        if let Some(error) = notice {
            return Err(error.into());
        }
        return Err(not_tracker(describe_members(&root)));
    };
    let mut ctx = Ctx::default();
    let (kind, prescriptions) = match found {
        Found::Search(list) => {
            ctx = list.ctx;
            (ResponseKind::Search, list.prescriptions)
        }
        Found::Retrieve(node) => (ResponseKind::Retrieve, basic::retrieve(&mut ctx, node)),
        Found::ClinicalSummary(node) => (
            ResponseKind::ClinicalSummary,
            clinical::summary(&mut ctx, node),
        ),
        Found::ClinicalDetail(root) => (
            ResponseKind::ClinicalDetail,
            clinical::detail(&mut ctx, root),
        ),
    };
    // An error code with data is still an error, except "issue not found", which Spine
    // documents as returning the rest of the prescription.
    match notice {
        Some(error)
            if !(error.is_issue_not_found()
                && prescriptions.as_ref().is_ok_and(|p| !p.is_empty())) =>
        {
            return Err(error.into());
        }
        _ => {}
    }
    if status_code.is_none() {
        ctx.warn("the response has no statusCode; decoded it as a success");
    }
    let mut prescriptions = prescriptions.map_err(not_tracker)?;
    sort_for_reading(&mut prescriptions);
    Ok(TrackerResponse {
        kind,
        prescriptions,
        notice,
        warnings: ctx.into_warnings(),
    })
}

/// The result a body carries: a search list already decoded, or the tree of one of the
/// other shapes.
enum Found<'n, 'a> {
    Search(SearchList),
    Retrieve(&'n Node<'a>),
    ClinicalSummary(&'n Node<'a>),
    ClinicalDetail(&'n Node<'a>),
}

/// Which result member the body carries, and so which of the four shapes it is.
fn find_result<'n, 'a>(
    root: &'n Node<'a>,
    search: Option<SearchList>,
    search_capitalised: Option<SearchList>,
) -> Option<Found<'n, 'a>> {
    if let Some(list) = search {
        return Some(Found::Search(list));
    }
    if let Some(node) = root.get("prescription") {
        return Some(Found::Retrieve(node));
    }
    if let Some(node) = root.get("prescriptions") {
        return Some(Found::ClinicalSummary(node));
    }
    // The clinical detail names its result member by the prescription ID itself; the
    // overview table once spelled the search member `PrescriptionList`.
    if let Some(list) = search_capitalised {
        return Some(Found::Search(list));
    }
    root.members()
        .iter()
        .rev()
        .find(|(name, value)| value.is_object() && !ENVELOPE_MEMBERS.contains(&name.trim()))
        .map(|_| Found::ClinicalDetail(root))
}

/// A short description of an object with no result member, naming its first members.
fn describe_members(root: &Node<'_>) -> String {
    let names: Vec<String> = root
        .members()
        .iter()
        .take(5)
        .map(|(name, _)| format!("\"{}\"", shorten(name.trim(), 40)))
        .collect();
    if names.is_empty() {
        return "an empty object, with no statusCode and no result".to_owned();
    }
    let status = if root.get("statusCode").is_some() {
        ""
    } else {
        "no statusCode and "
    };
    format!(
        "{status}none of prescriptionList, prescription, prescriptions or a member named by \
         a prescription ID (members: {})",
        names.join(", ")
    )
}

fn json_error(text: &str, error: &serde_json::Error) -> ResponseError {
    let (line, column) = (error.line(), error.column());
    match error.classify() {
        Category::Eof => NotAResponse::Truncated { line, column }.into(),
        _ => {
            let mut message = error.to_string();
            // Nesting is bounded by serde_json's own recursion limit, checked as it parses
            // (every value we read or skip goes through it): no separate pass over the
            // body, and no parser recursion past the limit. Its error has no category of
            // its own, only this message.
            if message.starts_with("recursion limit exceeded") {
                return NotAResponse::TooDeep.into();
            }
            // serde_json appends " at line L column C"; we print our own.
            if let Some(cut) = message.rfind(" at line ") {
                message.truncate(cut);
            }
            if has_typographic_quote(text, line) {
                message.push_str(" (typographic quotes “ ” where JSON needs plain \")");
            }
            NotAResponse::InvalidJson {
                message,
                line,
                column,
            }
            .into()
        }
    }
}

/// Whether the line where JSON parsing failed holds a typographic quote (the published
/// clinical summary example has them).
fn has_typographic_quote(text: &str, line: usize) -> bool {
    text.lines()
        .nth(line.saturating_sub(1))
        .is_some_and(|l| l.contains(['“', '”']))
}

/// Newest issue date first (undated last), then by ID, so a list reads as a person
/// expects whatever order Spine used.
fn sort_for_reading(prescriptions: &mut [Prescription]) {
    prescriptions.sort_by(|a, b| {
        b.issue_date
            .cmp(&a.issue_date)
            .then_with(|| a.id.cmp(&b.id))
    });
}

#[cfg(test)]
mod tests;
