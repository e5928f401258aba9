//! The `https://` path: one attempt through reqwest (rustls) with pooled connections, used
//! by [`Conn::Https`](super::transport::Conn::Https). Plain `http://` targets go through
//! ccsim's own client in `h1` instead (its header says why). The response body is drained
//! up to `MAX_RESPONSE_BODY` so the connection returns to reqwest's pool.
//!
//! TLS ([`TlsOptions`]): rustls, TLS 1.2 and 1.3; the target's certificate must chain to
//! Mozilla's root store as compiled in (webpki-roots; the system's store is not read) or
//! to a CA of `--ca-cert`, and name the target's host, unless `--insecure` accepts any
//! certificate for any host, as the platform does (`docs/delivery.md`).

use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderValue, RETRY_AFTER};

use super::attempt::{
    ACCEPT_TEXT, Attempt, AttemptResult, CONTENT_TYPE_JSON, ExtraHeaders, MAX_RESPONSE_BODY,
};
use super::retry::RetryAfter;

/// How an `https://` target's certificate is checked.
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// Accept any certificate for any host name (`--insecure`), as the platform does.
    pub insecure: bool,
    /// CAs trusted besides Mozilla's roots (`--ca-cert`).
    pub extra_roots: Vec<reqwest::Certificate>,
}

/// The CA certificates of a PEM file (one or more `BEGIN CERTIFICATE` blocks), or why
/// they cannot be read.
pub fn read_ca_certs(path: &Path) -> Result<Vec<reqwest::Certificate>, String> {
    let pem = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem)
        .map_err(|e| format!("{} is not a PEM certificate file: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "{} holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            path.display()
        ));
    }
    Ok(certs)
}

/// What a certificate failure's message adds, saying how to trust the receiver.
const CERTIFICATE_HINT: &str = "(trust the receiver's CA with --ca-cert FILE.pem, \
     or accept any certificate with --insecure, as the platform does)";

/// An `https://` target and the pooled client that reaches it.
#[derive(Debug, Clone)]
pub struct HttpsTarget {
    client: reqwest::Client,
    url: reqwest::Url,
    timeout: Duration,
    /// Whether certificates are checked (a failure then gets [`CERTIFICATE_HINT`]).
    verifies: bool,
}

impl HttpsTarget {
    /// A target at `url` whose client keeps up to `concurrency` idle connections and
    /// checks certificates as `tls` says; every attempt (and every connect) must finish
    /// within `timeout`.
    pub fn new(
        url: reqwest::Url,
        timeout: Duration,
        concurrency: usize,
        tls: &TlsOptions,
    ) -> anyhow::Result<Self> {
        let mut builder = reqwest::Client::builder()
            .pool_max_idle_per_host(concurrency)
            .pool_idle_timeout(Duration::from_secs(30))
            .connect_timeout(timeout)
            .tcp_nodelay(true)
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("ccsim/", env!("CARGO_PKG_VERSION")))
            .danger_accept_invalid_certs(tls.insecure);
        for root in &tls.extra_roots {
            builder = builder.add_root_certificate(root.clone());
        }
        Ok(Self {
            client: builder.build()?,
            url,
            timeout,
            verifies: !tls.insecure,
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
                Err(e) => {
                    let mut why = error_chain(&e);
                    if self.verifies && why.to_ascii_lowercase().contains("certificate") {
                        why.push(' ');
                        why.push_str(CERTIFICATE_HINT);
                    }
                    AttemptResult::Connection(why).into()
                }
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
