//! The vocabulary of one HTTP attempt, shared by both clients (`h1` for `http://`,
//! `https` through reqwest) and by the workers that drive them: what an attempt came to
//! ([`AttemptResult`], [`Attempt`]), the extra headers it carries ([`ExtraHeaders`]), the
//! fixed `Content-Type` and `Accept` values the platform sends, and how much of a response
//! body is read. A leaf: it knows nothing of how requests are sent.

use super::retry::RetryAfter;

/// Content type the platform sends.
pub const CONTENT_TYPE_JSON: &str = "application/json;charset=utf-8";
/// Accept header the platform sends.
pub const ACCEPT_TEXT: &str = "text/plain;charset=utf-8";
/// How much of a response body is read before the connection is dropped.
pub(crate) const MAX_RESPONSE_BODY: usize = 64 * 1024;

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptResult {
    /// The receiver answered with this status.
    Status(u16),
    /// No answer within the per-attempt timeout.
    Timeout,
    /// The connection could not be made or broke.
    Connection(String),
}

impl AttemptResult {
    /// A short description for logs and reports.
    pub fn describe(&self) -> String {
        match self {
            AttemptResult::Status(s) => format!("HTTP {s}"),
            AttemptResult::Timeout => "timeout".to_owned(),
            AttemptResult::Connection(e) => e.clone(),
        }
    }
}

/// One attempt's result with what the receiver asked of the next one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// What happened.
    pub result: AttemptResult,
    /// The response's `Retry-After`, when it had a valid one.
    pub retry_after: Option<RetryAfter>,
}

impl From<AttemptResult> for Attempt {
    fn from(result: AttemptResult) -> Self {
        Self {
            result,
            retry_after: None,
        }
    }
}

/// Extra headers of one request (signing).
pub type ExtraHeaders = Vec<(&'static str, String)>;
