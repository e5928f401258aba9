//! The only code that touches the network for webhooks: one HTTP attempt (POST with the
//! platform's headers, a per-attempt timeout, the response body drained up to a limit so
//! the keep-alive connection can be reused), or the in-process `null` sink.

use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderValue, RETRY_AFTER};

use super::h1::{H1Conn, H1Target};
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
            AttemptResult::Timeout => "timeout".to_string(),
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

/// Where webhooks go.
#[derive(Debug, Clone)]
pub enum Transport {
    /// POST to an `http://` URL with ccsim's own HTTP/1.1 client (a keep-alive connection
    /// per delivery worker).
    Http(H1Target),
    /// POST to an `https://` URL through reqwest (rustls), with pooled connections.
    Https {
        /// Pooled client.
        client: reqwest::Client,
        /// Target URL.
        url: reqwest::Url,
        /// Per-attempt timeout.
        timeout: Duration,
    },
    /// Discard every event in-process, as delivered (engine benchmarks).
    Null,
}

impl Transport {
    /// An HTTP transport; an `https://` one pools up to `concurrency` idle connections.
    pub fn http(url: reqwest::Url, timeout: Duration, concurrency: usize) -> anyhow::Result<Self> {
        if url.scheme() == "http" {
            return Ok(Transport::Http(H1Target::new(&url, timeout)?));
        }
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(concurrency)
            .pool_idle_timeout(Duration::from_secs(30))
            .connect_timeout(timeout)
            .tcp_nodelay(true)
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("ccsim/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Transport::Https {
            client,
            url,
            timeout,
        })
    }

    /// Makes one attempt, on `conn` for an `http://` target (the calling worker's own
    /// connection).
    pub async fn attempt(&self, conn: &mut H1Conn, body: &Bytes, extra: &ExtraHeaders) -> Attempt {
        match self {
            Transport::Null => AttemptResult::Status(200).into(),
            Transport::Http(target) => target.attempt(conn, body, extra).await,
            // Boxed: reqwest's future is large, and every delivery task would otherwise be
            // sized (and moved) for it even when the target is plain http.
            Transport::Https {
                client,
                url,
                timeout,
            } => {
                Box::pin(async move {
                    let mut req = client
                        .post(url.clone())
                        .header(CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE_JSON))
                        .header(ACCEPT, HeaderValue::from_static(ACCEPT_TEXT))
                        .timeout(*timeout)
                        .body(body.clone());
                    for (name, value) in extra {
                        req = req.header(*name, value.as_str());
                    }
                    match req.send().await {
                        Ok(mut resp) => {
                            let status = resp.status().as_u16();
                            let retry_after = retry_after(resp.headers());
                            let mut read = 0usize;
                            // Drain a bounded body so the connection returns to the pool.
                            while let Ok(Some(chunk)) = resp.chunk().await {
                                read += chunk.len();
                                if read > MAX_RESPONSE_BODY {
                                    break;
                                }
                            }
                            Attempt {
                                result: AttemptResult::Status(status),
                                retry_after,
                            }
                        }
                        Err(e) if e.is_timeout() => AttemptResult::Timeout.into(),
                        Err(e) => AttemptResult::Connection(error_chain(&e)).into(),
                    }
                })
                .await
            }
        }
    }
}

/// The receiver's `Retry-After`, if it sent a valid one.
pub(crate) fn retry_after(headers: &http::HeaderMap) -> Option<RetryAfter> {
    headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(RetryAfter::parse)
}

/// The error and its causes on one line (reqwest's own message is only the outer layer).
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        source = cause.source();
    }
    s
}

/// Checks that something accepts TCP connections at the target, within `within`.
pub async fn preflight(url: &reqwest::Url, within: Duration) -> Result<(), String> {
    let host = url
        .host_str()
        .ok_or_else(|| format!("target {url} has no host"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = url
        .port_or_known_default()
        .ok_or_else(|| format!("target {url} has no port"))?;
    match tokio::time::timeout(within, tokio::net::TcpStream::connect((host, port))).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(format!("target {url} is unreachable: {e}")),
        Err(_) => Err(format!(
            "target {url} is unreachable: no answer within {}s",
            within.as_secs()
        )),
    }
}
