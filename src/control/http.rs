//! The control API's routes, its bearer-token check and its JSON answers. Errors are
//! JSON too: `{"error": "...", "parameter": "..."}` (400 for a bad query value, naming
//! the parameter), 401 without the token, 429 past [`super::MAX_WAITERS`] waits.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::value::RawValue;
use subtle::ConstantTimeEq as _;
use tokio::time::Instant;

use super::journal::{Entry, Page, WaitEnd};
use super::query::{BadParameter, JournalQuery, WaitQuery};
use super::{Control, MAX_WAITERS, drive};
use crate::event::charset::body_text;

/// The control routes, to merge into the API's router.
pub fn router(control: Control) -> Router {
    Router::new()
        .route("/__ccsim/journal", get(journal))
        .route("/__ccsim/wait", get(wait))
        .route("/__ccsim/clock", get(drive::clock))
        .route("/__ccsim/clock/advance", post(drive::advance))
        .route("/__ccsim/calls", post(drive::inject))
        .route("/__ccsim/phone", post(drive::phone))
        .route("/__ccsim/reset", post(drive::reset))
        .with_state(control)
}

/// An answer outside the happy path.
#[derive(Debug)]
pub(super) enum Refusal {
    Unauthorized,
    BadQuery(BadParameter),
    Unreadable,
    TooManyWaiters,
    /// Any other status, with its message and the field it is about, if one.
    Status(StatusCode, String, Option<String>),
}

#[derive(Serialize)]
pub(super) struct ErrorBody<'a> {
    error: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    parameter: Option<&'a str>,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (status, message, parameter) = match &self {
            Refusal::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "this ccsim's control API needs `Authorization: Bearer TOKEN` with its \
                 --control-token"
                    .to_owned(),
                None,
            ),
            Refusal::BadQuery(bad) => (
                StatusCode::BAD_REQUEST,
                bad.message.clone(),
                Some(bad.parameter.as_str()),
            ),
            Refusal::Unreadable => (
                StatusCode::BAD_REQUEST,
                "the query string is not valid URL encoding".to_owned(),
                None,
            ),
            Refusal::TooManyWaiters => (
                StatusCode::TOO_MANY_REQUESTS,
                format!("{MAX_WAITERS} waits are in progress, the most at once: try again"),
                None,
            ),
            Refusal::Status(status, message, parameter) => {
                (*status, message.clone(), parameter.as_deref())
            }
        };
        let mut response = (
            status,
            Json(ErrorBody {
                error: &message,
                parameter,
            }),
        )
            .into_response();
        if matches!(self, Refusal::Unauthorized) {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"ccsim control\""),
            );
        }
        response
    }
}

/// Whether `headers` carry the token (always, without one); compared in constant time.
pub(super) fn authorized(control: &Control, headers: &HeaderMap) -> bool {
    let Some(token) = &control.token else {
        return true;
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, credentials)| credentials.trim());
    given.is_some_and(|given| bool::from(given.as_bytes().ct_eq(token.as_bytes())))
}

/// The query's pairs, once the caller is known to hold the token.
fn pairs(
    control: &Control,
    headers: &HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Vec<(String, String)>, Refusal> {
    if !authorized(control, headers) {
        return Err(Refusal::Unauthorized);
    }
    query
        .map(|Query(pairs)| pairs)
        .map_err(|_| Refusal::Unreadable)
}

/// One event as the answers show it.
#[derive(Serialize)]
struct EventOut<'a> {
    seq: u64,
    webhook_id: String,
    event: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    conversation_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    queue_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    agent: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    extension_id: Option<&'a str>,
    scheduled_at_ms: i64,
    sent_at_ms: i64,
    outcome: Option<&'static str>,
    payload: Option<Box<RawValue>>,
}

impl<'a> EventOut<'a> {
    fn of(entry: &'a Entry) -> Self {
        let ids = entry.subject.ids();
        Self {
            seq: entry.seq,
            webhook_id: entry.webhook_id(),
            event: entry.kind.name(),
            conversation_id: ids.conversation_id,
            queue_id: ids.queue_id,
            agent: ids.agent,
            extension_id: ids.extension_id,
            scheduled_at_ms: entry.scheduled_ms,
            sent_at_ms: entry.sent_ms,
            outcome: entry.outcome.map(|o| o.as_str()),
            // Every body ccsim sends is JSON, in UTF-8 or (`--legacy-charset`) ISO-8859-1,
            // read as the receiver reads it; one that were not JSON would show as null.
            payload: serde_json::from_str(&body_text(&entry.body).0).ok(),
        }
    }
}

#[derive(Serialize)]
struct PageOut<'a> {
    events: Vec<EventOut<'a>>,
    next_after: u64,
    more: bool,
    dropped: u64,
    missed: u64,
    finished: bool,
    latest: u64,
}

/// `GET /__ccsim/journal`.
async fn journal(
    State(control): State<Control>,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, Refusal> {
    let pairs = pairs(&control, &headers, query)?;
    let q = JournalQuery::parse(&pairs).map_err(Refusal::BadQuery)?;
    let Page {
        entries,
        next_after,
        more,
        dropped,
        missed,
        finished,
        latest,
    } = control.journal.page(&q.filter, q.after, q.limit);
    Ok(Json(PageOut {
        events: entries.iter().map(EventOut::of).collect(),
        next_after,
        more,
        dropped,
        missed,
        finished,
        latest,
    })
    .into_response())
}

#[derive(Serialize)]
struct WaitOut<'a> {
    timed_out: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    event: Option<EventOut<'a>>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    finished: bool,
}

/// `GET /__ccsim/wait`: 200 with the event, or 408 `{"timed_out": true}` when none came
/// in time (`"finished": true` too when none ever will); 503 when the server stops.
async fn wait(
    State(control): State<Control>,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, Refusal> {
    let pairs = pairs(&control, &headers, query)?;
    let q = WaitQuery::parse(&pairs).map_err(Refusal::BadQuery)?;
    let Some(_slot) = control.waiter() else {
        return Err(Refusal::TooManyWaiters);
    };
    let deadline = Instant::now() + q.timeout;
    let end = control
        .journal
        .wait(&q.filter, q.after, deadline, &control.stop)
        .await;
    let (status, timed_out, entry, finished) = match &end {
        WaitEnd::Found(entry) => (StatusCode::OK, false, Some(&**entry), false),
        WaitEnd::TimedOut => (StatusCode::REQUEST_TIMEOUT, true, None, false),
        WaitEnd::Finished => (StatusCode::REQUEST_TIMEOUT, true, None, true),
        WaitEnd::Stopping => {
            let body = ErrorBody {
                error: "ccsim is stopping",
                parameter: None,
            };
            return Ok((StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response());
        }
    };
    let body = WaitOut {
        timed_out,
        event: entry.map(EventOut::of),
        finished,
    };
    Ok((status, Json(body)).into_response())
}
