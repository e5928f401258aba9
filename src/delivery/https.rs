//! The `https://` path: one attempt through reqwest (rustls) with pooled connections, used
//! by [`Conn::Https`](super::transport::Conn::Https). Plain `http://` targets go through
//! ccsim's own client in `h1` instead (its header says why). The response body is drained
//! up to `MAX_RESPONSE_BODY` so the connection returns to reqwest's pool.

use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderValue, RETRY_AFTER};

use super::attempt::{
    ACCEPT_TEXT, Attempt, AttemptResult, CONTENT_TYPE_JSON, ExtraHeaders, MAX_RESPONSE_BODY,
};
use super::retry::RetryAfter;

/// An `https://` target and the pooled client that reaches it.
#[derive(Debug, Clone)]
pub struct HttpsTarget {
    client: reqwest::Client,
    url: reqwest::Url,
    timeout: Duration,
}

impl HttpsTarget {
    /// A target at `url` whose client keeps up to `concurrency` idle connections; every
    /// attempt (and every connect) must finish within `timeout`.
    pub fn new(url: reqwest::Url, timeout: Duration, concurrency: usize) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(concurrency)
            .pool_idle_timeout(Duration::from_secs(30))
            .connect_timeout(timeout)
            .tcp_nodelay(true)
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("ccsim/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            client,
            url,
            timeout,
        })
    }

    /// Makes one attempt. Boxed: reqwest's future is large, and every delivery task would
    /// otherwise be sized (and moved) for it even when the target is plain http.
    pub async fn attempt(&self, body: &Bytes, extra: &ExtraHeaders) -> Attempt {
        Box::pin(async move {
            let mut req = self
                .client
                .post(self.url.clone())
                .header(CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE_JSON))
                .header(ACCEPT, HeaderValue::from_static(ACCEPT_TEXT))
                .timeout(self.timeout)
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

/// The receiver's `Retry-After`, if it sent a valid one.
fn retry_after(headers: &http::HeaderMap) -> Option<RetryAfter> {
    headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(RetryAfter::parse)
}

/// The error and its causes on one line (reqwest's own message is only the outer layer).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        source = cause.source();
    }
    s
}
