//! The one extractor of every control endpoint, [`Call`]: the path parameters, the query,
//! and for POST the body (read within the API's body limit, 413 past it) with its
//! content type; then the strict readers the handlers use, and
//! running the operation on the platform.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::{Bytes, to_bytes};
use axum::extract::{FromRequest, FromRequestParts, Query, RawPathParams, Request};
use axum::http::{Method, header};
use axum::response::{IntoResponse, Response};

use super::OpsState;
use super::answer;
use super::fields::{Fields, bad};
use super::rules::{self, StateRule};
use crate::api::error::ApiError;
use crate::event::profile::ProfileName;
use crate::operation::{Answer, Code, Operation, Platform, Refusal};

/// A request to a control endpoint, read whole.
#[derive(Debug)]
pub(super) struct Call {
    state: OpsState,
    params: HashMap<String, String>,
    query: Result<Vec<(String, String)>, String>,
    body: Option<Bytes>,
    content_type: Option<String>,
}

impl FromRequest<OpsState> for Call {
    type Rejection = Response;

    async fn from_request(request: Request, state: &OpsState) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let limit = state.body_limit;
        let declared = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit as u64) {
            return Err(ApiError::TooLarge.into_response());
        }
        let params = RawPathParams::from_request_parts(&mut parts, state)
            .await
            .map_err(|_| {
                answer::refusal(&Refusal::new(
                    Code::BadParameter,
                    "path: not valid percent-encoded UTF-8",
                ))
            })?;
        let params = params
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let query = Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
            .map(|Query(pairs)| pairs)
            .map_err(|e| format!("query: {}", e.body_text()));
        let content_type = parts
            .headers
            .get(header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let body = if parts.method == Method::POST {
            Some(
                to_bytes(body, limit)
                    .await
                    .map_err(|_| ApiError::TooLarge.into_response())?,
            )
        } else {
            None
        };
        Ok(Self {
            state: state.clone(),
            params,
            query,
            body,
            content_type,
        })
    }
}

impl Call {
    /// What the profile accepts as an agent state.
    pub(super) fn state_rule(&self) -> StateRule {
        match self.state.renderer.profile.name {
            ProfileName::Documented => StateRule::Documented,
            ProfileName::Platform => StateRule::Platform,
        }
    }

    fn param(&self, name: &str) -> Result<&str, Refusal> {
        self.params
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| bad(format!("path: no {{{name}}}")))
    }

    /// The agent named in the path (`{name}`), checked.
    pub(super) fn agent(&self) -> Result<Arc<str>, Refusal> {
        rules::agent_name("agent name in the path", self.param("name")?)
    }

    /// The 32-hex id in the path (`{id}`), called `what` in messages.
    pub(super) fn id(&self, what: &str) -> Result<Arc<str>, Refusal> {
        rules::hex32(what, self.param("id")?)
    }

    /// The query's parameters; any other than `allowed` is refused, as is a repeated one.
    pub(super) fn query(&self, allowed: &[&str]) -> Result<HashMap<String, String>, Refusal> {
        let pairs = self.query.as_ref().map_err(|e| bad(e.clone()))?;
        let mut out = HashMap::new();
        for (key, value) in pairs {
            if !allowed.contains(&key.as_str()) {
                return Err(bad(format!("unknown query parameter \"{key}\"")));
            }
            if out.insert(key.clone(), value.clone()).is_some() {
                return Err(bad(format!("query parameter \"{key}\" given twice")));
            }
        }
        Ok(out)
    }

    /// The JSON object body, any field but `allowed` refused (and any query parameter:
    /// a POST takes its parameters in the body).
    pub(super) fn body(&self, allowed: &[&str]) -> Result<Fields, Refusal> {
        self.query(&[])?;
        let json = self.content_type.as_deref().is_some_and(|t| {
            let essence = t.split(';').next().unwrap_or("").trim();
            essence.eq_ignore_ascii_case("application/json")
        });
        if !json {
            let got = self.content_type.as_deref().unwrap_or("none");
            return Err(bad(format!(
                "Content-Type: expected application/json, got {got}"
            )));
        }
        let body = self.body.as_deref().unwrap_or_default();
        Fields::parse(body, allowed)
    }

    /// Parses the request with `parse`, then carries the operation out: the answer or
    /// the refusal in the platform's envelope.
    pub(super) async fn run(
        self,
        parse: impl FnOnce(&Call) -> Result<Operation, Refusal>,
    ) -> Response {
        match parse(&self) {
            Ok(op) => self.operate(move |platform| platform.operate(op)).await,
            Err(refusal) => answer::refusal(&refusal),
        }
    }

    /// Runs `work` against the platform on a blocking thread (an operation may wait for
    /// the engine), and renders what it answers.
    pub(super) async fn operate(
        self,
        work: impl FnOnce(&dyn Platform) -> Result<Answer, Refusal> + Send + 'static,
    ) -> Response {
        let platform = self.state.platform.clone();
        match tokio::task::spawn_blocking(move || work(platform.as_ref())).await {
            Ok(Ok(data)) => answer::ok(&data, &self.state.store, &self.state.renderer),
            Ok(Err(refusal)) => answer::refusal(&refusal),
            // The engine failed: the platform's answer to anything unexpected.
            Err(_) => answer::unknown_error(),
        }
    }
}
