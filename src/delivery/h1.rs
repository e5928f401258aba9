//! A lean HTTP/1.1 client for `http://` targets, chosen over reqwest by measurement
//! (bench/throughput.sh: reqwest's per-request layers — URL handling, redirect policy,
//! pool checkout, timeout plumbing — cost about 40% of ccsim's CPU at full speed). Idle
//! keep-alive connections wait on a stack; an attempt takes one (or dials a new one),
//! sends, drains the answer up to a bound, and gives the connection back if it is still
//! usable. `https://` targets keep using reqwest.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_TYPE, HOST, USER_AGENT};
use http::{HeaderValue, Method, Request, Uri};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{SendRequest, handshake};
use hyper_util::rt::TokioIo;

use super::transport::{
    ACCEPT_TEXT, Attempt, AttemptResult, CONTENT_TYPE_JSON, ExtraHeaders, MAX_RESPONSE_BODY,
    error_chain, retry_after,
};

type Sender = SendRequest<Full<Bytes>>;

/// A client for one `http://` target.
#[derive(Clone)]
pub struct H1Client {
    inner: Arc<Inner>,
}

struct Inner {
    host: String,
    port: u16,
    authority: HeaderValue,
    path: Uri,
    timeout: Duration,
    idle: Mutex<Vec<Sender>>,
    max_idle: usize,
}

impl std::fmt::Debug for H1Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "H1Client({}:{}{})",
            self.inner.host, self.inner.port, self.inner.path
        )
    }
}

impl H1Client {
    /// A client for `url` (which must be `http://`), keeping up to `concurrency` idle
    /// connections.
    pub fn new(url: &reqwest::Url, timeout: Duration, concurrency: usize) -> anyhow::Result<Self> {
        let host = url
            .host_str()
            .ok_or_else(|| anyhow::anyhow!("target {url} has no host"))?
            .to_string();
        let port = url
            .port_or_known_default()
            .ok_or_else(|| anyhow::anyhow!("target {url} has no port"))?;
        let authority = match url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.clone(),
        };
        let path = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        };
        Ok(Self {
            inner: Arc::new(Inner {
                host: host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .to_string(),
                port,
                authority: HeaderValue::from_str(&authority)?,
                path: path.parse()?,
                timeout,
                idle: Mutex::new(Vec::with_capacity(concurrency)),
                max_idle: concurrency.max(1),
            }),
        })
    }

    /// Makes one attempt within the per-attempt timeout.
    pub async fn attempt(&self, body: &Bytes, extra: &ExtraHeaders) -> Attempt {
        match tokio::time::timeout(self.inner.timeout, self.send(body, extra)).await {
            Ok(attempt) => attempt,
            Err(_) => AttemptResult::Timeout.into(),
        }
    }

    async fn send(&self, body: &Bytes, extra: &ExtraHeaders) -> Attempt {
        let mut req = match self.request(body, extra) {
            Ok(r) => r,
            Err(e) => return AttemptResult::Connection(e).into(),
        };
        // A request that was never written (the server had just closed an idle
        // connection) goes once more on a fresh connection.
        let mut fresh_tried = false;
        let resp = loop {
            let mut sender = match self.checkout(fresh_tried).await {
                Ok(s) => s,
                Err(e) => return AttemptResult::Connection(e).into(),
            };
            match sender.try_send_request(req).await {
                Ok(resp) => break (resp, sender),
                Err(mut e) => match e.take_message() {
                    Some(unsent) if !fresh_tried => {
                        fresh_tried = true;
                        req = unsent;
                    }
                    _ => return AttemptResult::Connection(error_chain(e.error())).into(),
                },
            }
        };
        let (resp, sender) = resp;
        let status = resp.status().as_u16();
        let retry_after = retry_after(resp.headers());
        // Drain a bounded body; only a fully read answer leaves the connection reusable.
        let mut body = resp.into_body();
        let mut read = 0usize;
        let complete = loop {
            match body.frame().await {
                None => break true,
                Some(Ok(frame)) => {
                    read += frame.data_ref().map_or(0, Bytes::len);
                    if read > MAX_RESPONSE_BODY {
                        break false;
                    }
                }
                Some(Err(_)) => break false,
            }
        };
        if complete {
            self.checkin(sender);
        }
        Attempt {
            result: AttemptResult::Status(status),
            retry_after,
        }
    }

    fn request(&self, body: &Bytes, extra: &ExtraHeaders) -> Result<Request<Full<Bytes>>, String> {
        let mut req = Request::new(Full::new(body.clone()));
        *req.method_mut() = Method::POST;
        *req.uri_mut() = self.inner.path.clone();
        let h = req.headers_mut();
        h.insert(HOST, self.inner.authority.clone());
        h.insert(CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE_JSON));
        h.insert(ACCEPT, HeaderValue::from_static(ACCEPT_TEXT));
        h.insert(
            USER_AGENT,
            HeaderValue::from_static(concat!("ccsim/", env!("CARGO_PKG_VERSION"))),
        );
        for (name, value) in extra {
            let value = HeaderValue::from_str(value).map_err(|e| format!("header {name}: {e}"))?;
            h.insert(*name, value);
        }
        Ok(req)
    }

    /// An idle connection that is ready, or a new one (`fresh` skips the idle ones).
    async fn checkout(&self, fresh: bool) -> Result<Sender, String> {
        if !fresh {
            loop {
                // `let … else` drops the lock before the await below.
                let Some(mut sender) = self.lock().pop() else {
                    break;
                };
                if !sender.is_closed() && sender.ready().await.is_ok() {
                    return Ok(sender);
                }
            }
        }
        self.connect().await
    }

    fn checkin(&self, sender: Sender) {
        if sender.is_closed() {
            return;
        }
        let mut idle = self.lock();
        if idle.len() < self.inner.max_idle {
            idle.push(sender);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Sender>> {
        self.inner.idle.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn connect(&self) -> Result<Sender, String> {
        let stream = tokio::net::TcpStream::connect((self.inner.host.as_str(), self.inner.port))
            .await
            .map_err(|e| {
                format!(
                    "error sending request: connect to {}:{}: {e}",
                    self.inner.host, self.inner.port
                )
            })?;
        let _ = stream.set_nodelay(true);
        let (sender, conn) = handshake(TokioIo::new(stream))
            .await
            .map_err(|e| error_chain(&e))?;
        // hyper drives each connection in a task of its own; it ends when the connection
        // closes or its sender is dropped.
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(sender)
    }
}
