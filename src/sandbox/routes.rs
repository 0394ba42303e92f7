//! One request, start to finish: limits, fault injection, Spine's header and parameter
//! checks, the look-up, and the answer in Spine's wire format.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use chrono::Utc;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use thiserror::Error;
use tokio_util::sync::CancellationToken;

use super::answers::Answers;
use super::dataset::{DataSet, Patient, Prescription};
use super::faults::{
    BAD_GATEWAY_HTML, FAULT_HEADER, Fault, SOAP_FAULT_XML, UNAVAILABLE_TEXT, magic_fault,
};
use super::json::{Obj, seed_for};
use super::validate::{self, MAX_QUERY_BYTES, Params, SearchKind, SpineError};
use super::wire::{self, ErrorShape};

/// What every request handler shares.
pub(super) struct State {
    pub data: DataSet,
    /// Answers already written, by path, query and prescriptions shown.
    pub answers: Answers,
    pub global_fault: Option<Fault>,
    pub shutdown: CancellationToken,
}

/// Returned instead of a response to make hyper close the connection unanswered.
#[derive(Debug, Error)]
#[error("connection dropped on purpose (fault injection)")]
pub(super) struct Dropped;

/// How the sandbox answers one request (never fails, except by injected fault).
pub(super) async fn handle(
    req: Request<Incoming>,
    state: Arc<State>,
    peer_common_name: Option<Arc<str>>,
) -> Result<Response<Body>, Dropped> {
    if req.method() != Method::GET {
        let mut response = text(StatusCode::METHOD_NOT_ALLOWED, "only GET is supported\n");
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET"));
        return Ok(response);
    }
    let query = req.uri().query().unwrap_or_default();
    if query.len() > MAX_QUERY_BYTES {
        return Ok(text(
            StatusCode::URI_TOO_LONG,
            "the query string is longer than 2048 bytes\n",
        ));
    }
    if has_body(&req) {
        let mut response = text(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the Tracker takes no request body\n",
        );
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return Ok(response);
    }
    let params = Params::parse(query);
    let fault = match req.headers().get(FAULT_HEADER) {
        Some(value) => match value.to_str().map(str::parse::<Fault>) {
            Ok(Ok(fault)) => Some(fault),
            Ok(Err(e)) => return Ok(text(StatusCode::BAD_REQUEST, &format!("{e}\n"))),
            Err(_) => {
                return Ok(text(
                    StatusCode::BAD_REQUEST,
                    "X-Sandbox-Fault is not readable text\n",
                ));
            }
        },
        None => state
            .global_fault
            .or_else(|| params.get("nhsNumber").and_then(magic_fault)),
    };
    match fault {
        Some(Fault::Latency(delay)) => {
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = state.shutdown.cancelled() => return Err(Dropped),
            }
        }
        Some(Fault::Hang) => {
            state.shutdown.cancelled().await;
            return Err(Dropped);
        }
        Some(Fault::Drop) => return Err(Dropped),
        Some(Fault::BadGateway) => {
            return Ok(canned(
                StatusCode::BAD_GATEWAY,
                "text/html",
                BAD_GATEWAY_HTML,
            ));
        }
        Some(Fault::SoapFault) => {
            return Ok(canned(
                StatusCode::INTERNAL_SERVER_ERROR,
                "text/xml; charset=utf-8",
                SOAP_FAULT_XML,
            ));
        }
        Some(Fault::Unavailable) => {
            return Ok(canned(
                StatusCode::SERVICE_UNAVAILABLE,
                "text/plain",
                UNAVAILABLE_TEXT,
            ));
        }
        Some(Fault::Drip(_) | Fault::Truncate) | None => {}
    }

    let path = req.uri().path();
    let Some(endpoint) = Endpoint::from_path(path) else {
        return Ok(canned(
            StatusCode::NOT_FOUND,
            "text/html",
            "<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>\n",
        ));
    };
    let path_and_query = req.uri().path_and_query().map_or("", |pq| pq.as_str());
    let (json, trace_id) = match validate::check_headers(req.headers(), peer_common_name.as_deref())
    {
        Err(error) => {
            let body = wire::error_body(&error, endpoint.error_shape(), true);
            (Bytes::from(body.render(seed_for(path_and_query))), None)
        }
        Ok(trace_id) => (answer(&endpoint, &params, &state, path_and_query), trace_id),
    };
    Ok(json_response(json, trace_id.as_deref(), fault))
}

/// The four Tracker endpoints, under `/mm`.
enum Endpoint<'a> {
    Search,
    Retrieve(&'a str),
    ItemSummary,
    ItemDetails,
}

impl<'a> Endpoint<'a> {
    fn from_path(path: &'a str) -> Option<Self> {
        let rest = path.strip_prefix("/mm/")?;
        match rest {
            "prescriptions" => Some(Endpoint::Search),
            "nhs111itemsummary" => Some(Endpoint::ItemSummary),
            "nhs111itemdetails" => Some(Endpoint::ItemDetails),
            _ => rest
                .strip_prefix("prescriptions/")
                .filter(|id| !id.is_empty() && !id.contains('/'))
                .map(Endpoint::Retrieve),
        }
    }

    fn error_shape(&self) -> ErrorShape {
        match self {
            Endpoint::Retrieve(_) => ErrorShape::Prescription,
            _ => ErrorShape::Prescriptions,
        }
    }
}

/// The answer to a request whose headers passed: Spine's error bodies are written afresh
/// (small, and a search's may depend on the date); the rest come from the cache of answers
/// already written.
fn answer(endpoint: &Endpoint<'_>, params: &Params, state: &State, path_and_query: &str) -> Bytes {
    let data = &state.data;
    let cached = |selection: &[u32], build: &dyn Fn() -> Obj| {
        state.answers.get_or_render(path_and_query, selection, || {
            build().render(seed_for(path_and_query))
        })
    };
    let result = match endpoint {
        Endpoint::Search => search(params, data, SearchKind::Basic).map(|found| {
            cached(&found.positions, &|| {
                wire::basic_search(&found.nhs_number, &found.prescriptions())
            })
        }),
        Endpoint::ItemSummary => search(params, data, SearchKind::Clinical).map(|found| {
            cached(&found.positions, &|| {
                wire::clinical_summary(&found.prescriptions())
            })
        }),
        // Both are decided by the path and query alone.
        Endpoint::Retrieve(id) => retrieve(id, params, data).map(|body| cached(&[], &body)),
        Endpoint::ItemDetails => detail(params, data).map(|body| cached(&[], &body)),
    };
    result.unwrap_or_else(|error| {
        let body = wire::error_body(&error, endpoint.error_shape(), false);
        Bytes::from(body.render(seed_for(path_and_query)))
    })
}

/// What a search found: the patient's prescriptions at these positions.
struct Found<'a> {
    nhs_number: String,
    patient: &'a Patient,
    positions: Vec<u32>,
}

impl Found<'_> {
    fn prescriptions(&self) -> Vec<&Prescription> {
        self.positions
            .iter()
            .filter_map(|&n| self.patient.prescriptions.get(n as usize))
            .collect()
    }
}

fn search<'a>(
    params: &Params,
    data: &'a DataSet,
    kind: SearchKind,
) -> Result<Found<'a>, SpineError> {
    let query = validate::search(params, kind, Utc::now().naive_utc())?;
    let not_found = match kind {
        SearchKind::Basic => validate::PRESCRIPTION_NOT_FOUND,
        SearchKind::Clinical => validate::NO_MATCHING_RECORDS,
    };
    let patient = data.patient(&query.nhs_number).ok_or(not_found.clone())?;
    let positions: Vec<u32> = (0u32..)
        .zip(&patient.prescriptions)
        .filter(|(_, p)| p.issued >= query.earliest && p.issued <= query.latest)
        .filter(|(_, p)| {
            query
                .status
                .as_deref()
                .is_none_or(|s| p.current().is_some_and(|i| i.status == s))
        })
        .filter(|(_, p)| query.version.is_none_or(|v| p.version == v))
        .map(|(n, _)| n)
        .collect();
    if positions.is_empty() {
        return Err(not_found);
    }
    Ok(Found {
        nhs_number: query.nhs_number,
        patient,
        positions,
    })
}

fn retrieve<'a>(
    id: &str,
    params: &Params,
    data: &'a DataSet,
) -> Result<impl Fn() -> Obj + 'a, SpineError> {
    let query = validate::retrieve(id, params)?;
    let p = data
        .prescription(&query.id)
        .ok_or(validate::PRESCRIPTION_NOT_FOUND)?;
    spine_error(p)?;
    let issue = match query.issue {
        None => p.current(),
        Some(Some(n)) => p.issue(n),
        Some(None) => None,
    };
    let error = issue.is_none().then_some(&validate::ISSUE_NOT_FOUND);
    Ok(move || wire::basic_retrieve(p, issue, error))
}

fn detail<'a>(params: &Params, data: &'a DataSet) -> Result<impl Fn() -> Obj + 'a, SpineError> {
    let query = validate::detail(params)?;
    let p = data
        .prescription(&query.id)
        .ok_or(validate::CLINICAL_PRESCRIPTION_NOT_FOUND)?;
    spine_error(p)?;
    let issue = match query.issue {
        None if p.is_repeat_dispensing() => return Err(validate::INSTANCE_REQUIRED),
        None => p.current(),
        Some(Some(n)) => p.issue(n),
        Some(None) => None,
    }
    .ok_or(validate::INSTANCE_NOT_FOUND)?;
    if let Some(wanted) = &query.line_item
        && !p.items.iter().any(|item| &item.id == wanted)
    {
        return Err(validate::LINE_ITEM_NOT_FOUND);
    }
    let line_item = query.line_item;
    Ok(move || wire::clinical_detail(p, issue, line_item.as_deref()))
}

fn spine_error(p: &Prescription) -> Result<(), SpineError> {
    match p.spine_error {
        Some(2) => Err(validate::NOT_UNIQUE),
        Some(4) => Err(validate::RECORD_UNPARSABLE),
        Some(_) => Err(validate::UNEXPECTED),
        None => Ok(()),
    }
}

fn has_body(req: &Request<Incoming>) -> bool {
    let headers = req.headers();
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() != "0")
}

fn json_response(json: Bytes, trace_id: Option<&str>, fault: Option<Fault>) -> Response<Body> {
    let length = json.len();
    let body = match fault {
        Some(Fault::Drip(over)) => drip(json, over),
        Some(Fault::Truncate) => truncated(json),
        _ => Body::from(json),
    };
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if fault == Some(Fault::Truncate) {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    }
    if let Some(trace) = trace_id.and_then(|t| HeaderValue::from_str(t).ok()) {
        headers.insert("Eps-TraceId", trace);
    }
    response
}

/// The body in twenty pieces, spread evenly over `over`.
fn drip(body: Bytes, over: Duration) -> Body {
    const PIECES: usize = 20;
    let piece = body.len().div_ceil(PIECES).max(1);
    let pause = over / PIECES as u32;
    let stream = futures_util::stream::unfold(body, move |mut rest| async move {
        if rest.is_empty() {
            return None;
        }
        tokio::time::sleep(pause).await;
        let chunk = rest.split_to(piece.min(rest.len()));
        Some((Ok::<_, std::io::Error>(chunk), rest))
    });
    Body::from_stream(stream)
}

/// Half the body, then an error, which makes hyper cut the connection short of the
/// announced Content-Length. The pause lets hyper flush the half first; without it the
/// client would see no body at all.
fn truncated(mut body: Bytes) -> Body {
    let half = body.split_to(body.len() / 2);
    let stream = futures_util::stream::unfold(Some(half), |half| async move {
        match half {
            Some(half) => Some((Ok(half), None)),
            None => {
                tokio::time::sleep(Duration::from_millis(20)).await;
                let cut = std::io::Error::other("truncated on purpose (fault injection)");
                Some((Err(cut), None))
            }
        }
    });
    Body::from_stream(stream)
}

fn text(status: StatusCode, message: &str) -> Response<Body> {
    canned(status, "text/plain; charset=utf-8", message)
}

fn canned(status: StatusCode, content_type: &'static str, body: &str) -> Response<Body> {
    let mut response = Response::new(Body::from(body.to_owned()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}
