//! The fake platform API server (`docs/api.md`): an axum router over the [`RecordStore`],
//! whose changes show as the events announcing them go out, so a receiver that calls it
//! on an event reads a record that agrees with the events it got. Started by the session
//! of `run`, `load` and `serve` (for the whole run); tests drive [`router`] in-process.
//!
//! Endpoints:
//! - `GET /v1/account/{account}/callcenter/conversation/{id}`: one record.
//! - `GET /v1/account/{account}/callcenter/conversation?page=&size=`: begun records,
//!   newest first (`pageNo`/`pageSize` too).
//! - With a platform attached ([`ApiState::with_platform`]), the platform's control
//!   endpoints under `/v1/account/{account}/callcenter/` (`super::ops`, merged in).
//! - `GET /openapi.json`: the OpenAPI 3 document (`docs/openapi.json`).
//! - With `--control`, `GET /__ccsim/journal` and `GET /__ccsim/wait` (`crate::control`).
//!
//! Anything else: 404 (no such path) or 405 (wrong method) with the platform envelope
//! `000002`; a declared body over [`BODY_LIMIT`] gets 413 (with auth, POST and PUT bodies
//! are read up to the limit to be verified; other bodies are never read); with auth,
//! requests in the platform's auth scope (`/v*/**`) are verified first (401 plain text);
//! a request too malformed to route gets its 400, 414 or 431 with the envelope `000001`
//! (`parse_errors`). At most [`DEFAULT_CONCURRENCY`] connections are served at once, and
//! idle or slow clients cannot hold them (`serve`).
//!
//! Threads: like nginx's workers, the API runs on its own threads, one single-threaded
//! runtime per core, each accepting from the shared listening socket. A request is parsed,
//! answered and written on one thread without work stealing or cross-thread wake-ups,
//! and the API does not compete with the delivery dispatcher's runtime.

use std::io;
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes, to_bytes};
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use super::auth::{self, AuthPolicy};
use super::error::{self, ApiError};
use super::listener::Slots;
use super::ops::{self, OpsState};
use super::parse_errors::EnvelopeParseErrors;
use super::render::Renderer;
use super::serve::{self as serving, ServeLimits};
use super::store::RecordStore;
use crate::control::{self, Control};
use crate::event::profile::UnknownRecord;
use crate::operation::Platform;

/// Largest request body accepted (64 KiB).
pub const BODY_LIMIT: usize = 64 * 1024;
/// Most connections (so requests) served at once.
pub const DEFAULT_CONCURRENCY: usize = serving::DEFAULT_CONNECTIONS;
/// Largest page `size` (the platform's `PageSizeTooLargeException` limit).
pub const MAX_PAGE_SIZE: u64 = 1000;
/// The OpenAPI document served at `/openapi.json`.
pub const OPENAPI: &str = include_str!("../../docs/openapi.json");

/// What the handlers share: a cheap handle.
#[derive(Clone)]
pub struct ApiState {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for ApiState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiState").finish_non_exhaustive()
    }
}

#[derive(Clone)]
struct Inner {
    store: RecordStore,
    renderer: Renderer,
    auth: Option<AuthPolicy>,
    control: Option<Control>,
    platform: Option<Arc<dyn Platform>>,
}

impl ApiState {
    /// State serving `store`, rendered by `renderer`, checking requests with `auth` if set.
    pub fn new(store: RecordStore, renderer: Renderer, auth: Option<AuthPolicy>) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                renderer,
                auth,
                control: None,
                platform: None,
            }),
        }
    }

    /// The same, also serving the test-control API (`/__ccsim/`) of `control`.
    pub fn with_control(self, control: Control) -> Self {
        let inner = Arc::unwrap_or_clone(self.inner);
        Self {
            inner: Arc::new(Inner {
                control: Some(control),
                ..inner
            }),
        }
    }

    /// The same, also serving the platform's control endpoints (extensions, agents, agent
    /// and conversation operations, ACD conditions: `docs/api.md`), carried out by
    /// `platform`. Without one those paths answer 404 or 405.
    pub fn with_platform(self, platform: Arc<dyn Platform>) -> Self {
        let inner = Arc::unwrap_or_clone(self.inner);
        Self {
            inner: Arc::new(Inner {
                platform: Some(platform),
                ..inner
            }),
        }
    }

    /// The store served.
    pub fn store(&self) -> &RecordStore {
        &self.inner.store
    }
}

/// The API's router. Without auth it has no middleware at all: the body limit is an
/// extractor of every handler and the concurrency limit is the listener's.
pub fn router(state: ApiState) -> Router {
    let router = Router::new()
        .route(
            "/v1/account/{account}/callcenter/conversation/{id}",
            get(conversation),
        )
        .route(
            "/v1/account/{account}/callcenter/conversation",
            get(conversations),
        )
        .route("/openapi.json", get(openapi))
        .fallback(|_: WithinBodyLimit| async { ApiError::NoRoute })
        .with_state(state.clone());
    let router = match &state.inner.platform {
        Some(platform) => router.merge(ops::router(OpsState {
            platform: platform.clone(),
            store: state.inner.store.clone(),
            renderer: state.inner.renderer.clone(),
            body_limit: BODY_LIMIT,
        })),
        None => router,
    };
    // After the merge: two method routers of one path cannot both have a fallback.
    let router = router
        .method_not_allowed_fallback(|_: WithinBodyLimit| async { ApiError::MethodNotAllowed });
    let router = if state.inner.auth.is_some() {
        router.layer(middleware::from_fn_with_state(state.clone(), authenticate))
    } else {
        router
    };
    // Outside the platform's auth scope: the control API checks its own bearer token.
    match state.inner.control.clone() {
        Some(control) => router.merge(control::router(control)),
        None => router,
    }
}

/// Most API worker threads.
const MAX_WORKERS: usize = 8;

/// Serves `state` on `listener` in the background, on one worker thread per core (at most
/// `MAX_WORKERS`), until `shutdown` fires; returns the bound address once every worker
/// is ready.
pub async fn spawn(
    listener: TcpListener,
    state: ApiState,
    shutdown: CancellationToken,
) -> io::Result<SocketAddr> {
    spawn_with(listener, state, shutdown, ServeLimits::default()).await
}

/// [`spawn`] with other connection bounds (tests use a few slots).
pub async fn spawn_with(
    listener: TcpListener,
    state: ApiState,
    shutdown: CancellationToken,
    limits: ServeLimits,
) -> io::Result<SocketAddr> {
    let addr = listener.local_addr()?;
    let socket = listener.into_std()?;
    let slots = Slots::new(limits.connections);
    let workers = std::thread::available_parallelism()
        .map_or(1, NonZeroUsize::get)
        .min(MAX_WORKERS);
    for i in 0..workers {
        let socket = socket.try_clone()?;
        let (state, shutdown, slots) = (state.clone(), shutdown.clone(), slots.clone());
        let (ready, started) = oneshot::channel();
        let timeout = limits.header_timeout;
        std::thread::Builder::new()
            .name(format!("ccsim-api-{i}"))
            .spawn(move || worker(socket, state, shutdown, slots, timeout, ready))?;
        started
            .await
            .map_err(|_| io::Error::other("an API worker thread died at start"))??;
    }
    Ok(addr)
}

/// One worker thread: a single-threaded runtime serving connections it accepts from
/// `socket` until `shutdown`. Reports on `ready` whether it could start.
fn worker(
    socket: std::net::TcpListener,
    state: ApiState,
    shutdown: CancellationToken,
    slots: Arc<Slots>,
    header_timeout: std::time::Duration,
    ready: oneshot::Sender<io::Result<()>>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    runtime.block_on(async move {
        let listener = match TcpListener::from_std(socket) {
            Ok(listener) => listener,
            Err(e) => {
                let _ = ready.send(Err(e));
                return;
            }
        };
        let _ = ready.send(Ok(()));
        serving::serve(
            listener,
            router(state),
            slots,
            header_timeout,
            shutdown,
            EnvelopeParseErrors::new,
        )
        .await;
    });
}

/// `GET …/callcenter/conversation/{id}`.
async fn conversation(
    _: WithinBodyLimit,
    State(state): State<ApiState>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Response, ApiError> {
    // An undecodable path names no conversation we hold.
    let record = path
        .ok()
        .and_then(|Path((_account, id))| state.inner.store.get_str(&id));
    let renderer = &state.inner.renderer;
    match record {
        Some(record) => Ok(error::envelope_with(error::OK, |out| {
            renderer.write_conversation(&record, out)
        })),
        None => match renderer.profile.unknown_record {
            UnknownRecord::NotFound => Err(ApiError::NoSuchConversation),
            UnknownRecord::NullData => Ok(error::envelope(error::OK, b"null")),
        },
    }
}

/// `GET …/callcenter/conversation?page=&size=`.
async fn conversations(
    _: WithinBodyLimit,
    State(state): State<ApiState>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(pairs) = query.map_err(|_| ApiError::BadParameter)?;
    let (page_no, size) = page_params(&pairs)?;
    let offset = (page_no - 1).saturating_mul(size);
    let offset = usize::try_from(offset).unwrap_or(usize::MAX);
    let size_n = usize::try_from(size).unwrap_or(usize::MAX);
    let page = if state.inner.renderer.profile.list_subaccount_only {
        // `subaccountId = ?` never matches a main account's null.
        state
            .inner
            .store
            .page_where(offset, size_n, |r| r.info.subaccount_id.is_some())
    } else {
        state.inner.store.page(offset, size_n)
    };
    Ok(error::envelope_with(error::OK, |out| {
        state.inner.renderer.write_page(&page, page_no, size, out)
    }))
}

/// `page`/`pageNo` (default 1) and `size`/`pageSize` (default 10, at most
/// [`MAX_PAGE_SIZE`]): positive Java `int`s; an empty value means the default, as Spring's
/// `defaultValue` does.
pub fn page_params(pairs: &[(String, String)]) -> Result<(u64, u64), ApiError> {
    let mut page = None;
    let mut size = None;
    for (key, value) in pairs {
        match key.as_str() {
            "page" | "pageNo" => page = Some(value.as_str()),
            "size" | "pageSize" => size = Some(value.as_str()),
            _ => {}
        }
    }
    let number = |value: Option<&str>, default: u64| match value.map(str::trim) {
        None | Some("") => Ok(default),
        Some(text) => text
            .parse::<i32>()
            .ok()
            .and_then(|n| u64::try_from(n).ok())
            .filter(|n| *n >= 1)
            .ok_or(ApiError::BadParameter),
    };
    let page = number(page, 1)?;
    let size = number(size, 10)?;
    if size > MAX_PAGE_SIZE {
        return Err(ApiError::BadParameter);
    }
    Ok((page, size))
}

/// `GET /openapi.json`.
async fn openapi(_: WithinBodyLimit) -> Response {
    let mut response = OPENAPI.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Extracting it refuses a request whose declared body is over [`BODY_LIMIT`] (413).
#[derive(Debug)]
pub struct WithinBodyLimit;

impl<S: Send + Sync> FromRequestParts<S> for WithinBodyLimit {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        if declared_length(&parts.headers).is_some_and(|n| n > BODY_LIMIT as u64) {
            return Err(ApiError::TooLarge);
        }
        Ok(Self)
    }
}

/// The `Content-Length` a request declares, if a valid one.
fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

/// Verifies requests in [`in_auth_scope`] when auth is on: the platform's signed headers, checked by
/// [`super::auth::verify`] (`docs/api.md`, "Authentication").
async fn authenticate(State(state): State<ApiState>, request: Request, next: Next) -> Response {
    let Some(policy) = &state.inner.auth else {
        return next.run(request).await;
    };
    if !in_auth_scope(request.uri().path()) {
        return next.run(request).await;
    }
    if declared_length(request.headers()).is_some_and(|n| n > BODY_LIMIT as u64) {
        return ApiError::TooLarge.into_response();
    }
    let (parts, body) = request.into_parts();
    let method = parts.method.as_str();
    // Only POST and PUT sign their body; others keep it unread.
    let (body, bytes) = if method == "POST" || method == "PUT" {
        match to_bytes(body, BODY_LIMIT).await {
            Ok(bytes) => (Body::from(bytes.clone()), bytes),
            Err(_) => return ApiError::TooLarge.into_response(),
        }
    } else {
        (body, Bytes::new())
    };
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let verdict = auth::verify(
        policy,
        method,
        parts.uri.path(),
        &bytes,
        header,
        chrono::Utc::now(),
    );
    match verdict {
        Ok(()) => next.run(Request::from_parts(parts, body)).await,
        Err(e) => ApiError::Auth(e).into_response(),
    }
}

/// Whether `path` is in the platform's auth filter's scope, the Spring pattern `/v*/**`:
/// its first segment starts with `v` (`/v1/…`, `/v2/x`, `/v1`), so an unknown path there
/// answers 401 before 404, as on the platform; `/openapi.json` is outside.
fn in_auth_scope(path: &str) -> bool {
    path.starts_with("/v")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(query: &[(&str, &str)]) -> Vec<(String, String)> {
        query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn page_parameters_default_to_page_one_of_ten() {
        assert_eq!(page_params(&[]), Ok((1, 10)));
        assert_eq!(
            page_params(&pairs(&[("page", ""), ("size", "")])),
            Ok((1, 10))
        );
    }

    #[test]
    fn page_parameters_accept_both_spellings() {
        assert_eq!(
            page_params(&pairs(&[("page", "3"), ("size", "5")])),
            Ok((3, 5))
        );
        assert_eq!(
            page_params(&pairs(&[("pageNo", "2"), ("pageSize", "1000")])),
            Ok((2, 1000))
        );
    }

    #[test]
    fn bad_page_parameters_are_rejected() {
        for (key, value) in [
            ("page", "abc"),
            ("page", "0"),
            ("page", "-1"),
            ("page", "2147483648"),
            ("size", "1001"),
            ("size", "0"),
            ("pageSize", "1.5"),
        ] {
            assert_eq!(
                page_params(&pairs(&[(key, value)])),
                Err(ApiError::BadParameter),
                "{key}={value}"
            );
        }
    }

    #[test]
    fn the_auth_scope_is_the_platforms_v_star_pattern() {
        for path in ["/v1/account/x", "/v22/", "/v2/x", "/v1", "/vx/x", "/v"] {
            assert!(in_auth_scope(path), "{path}");
        }
        for path in ["/openapi.json", "/", "/x/v1/account", "/V1/x"] {
            assert!(!in_auth_scope(path), "{path}");
        }
    }
}
