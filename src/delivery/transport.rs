//! Where webhooks go ([`Transport`], chosen once per run by `run`) and each delivery
//! worker's own way there ([`Conn`], opened by the worker from the transport). The only
//! code that touches the network for webhooks is behind these two: ccsim's own HTTP/1.1
//! client (`h1`) for `http://`, reqwest (`https`) for `https://`, or the in-process
//! `null` sink.

use std::time::Duration;

use bytes::Bytes;

use super::attempt::{Attempt, AttemptResult, ExtraHeaders};
use super::h1::{H1Conn, H1Target};
use super::https::{HttpsTarget, TlsOptions};

// `run` imports the reachability check from here.
pub use super::preflight::preflight;

/// Where webhooks go.
#[derive(Debug, Clone)]
pub enum Transport {
    /// POST to an `http://` URL with ccsim's own HTTP/1.1 client (a keep-alive connection
    /// per delivery worker).
    Http(H1Target),
    /// POST to an `https://` URL through reqwest (rustls), with pooled connections.
    Https(HttpsTarget),
    /// Discard every event in-process, as delivered (engine benchmarks).
    Null,
}

impl Transport {
    /// An HTTP transport; an `https://` one pools up to `concurrency` idle connections and
    /// checks certificates as `tls` says.
    pub fn http(
        url: reqwest::Url,
        timeout: Duration,
        concurrency: usize,
        tls: &TlsOptions,
    ) -> anyhow::Result<Self> {
        if url.scheme() == "http" {
            return Ok(Transport::Http(H1Target::new(&url, timeout)?));
        }
        Ok(Transport::Https(HttpsTarget::new(
            url,
            timeout,
            concurrency,
            tls,
        )?))
    }

    /// A delivery worker's own connection to the target (nothing is opened until the
    /// first attempt).
    pub fn open(&self) -> Conn<'_> {
        match self {
            Transport::Http(target) => Conn::H1 {
                target,
                conn: H1Conn::default(),
            },
            Transport::Https(target) => Conn::Https(target),
            Transport::Null => Conn::Null,
        }
    }
}

/// One delivery worker's way to the target: each kind carries only what it uses.
#[derive(Debug)]
pub enum Conn<'t> {
    /// The worker's own keep-alive connection to an `http://` target.
    H1 {
        /// The target.
        target: &'t H1Target,
        /// The connection and its buffers.
        conn: H1Conn,
    },
    /// An `https://` target: reqwest's pool holds the connections.
    Https(&'t HttpsTarget),
    /// The in-process sink: every attempt is a 200.
    Null,
}

impl Conn<'_> {
    /// Makes one attempt to send `body` with the `extra` headers.
    pub async fn attempt(&mut self, body: &Bytes, extra: &ExtraHeaders) -> Attempt {
        match self {
            Conn::Null => AttemptResult::Status(200).into(),
            Conn::H1 { target, conn } => target.attempt(conn, body, extra).await,
            Conn::Https(target) => target.attempt(body, extra).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transport(url: &str) -> Transport {
        let url = reqwest::Url::parse(url).unwrap();
        Transport::http(url, Duration::from_secs(2), 4, &TlsOptions::default()).unwrap()
    }

    #[tokio::test]
    async fn each_transport_opens_the_connection_of_its_kind() {
        let http = transport("http://127.0.0.1:9/hook");
        assert!(matches!(http.open(), Conn::H1 { .. }));
        let https = transport("https://127.0.0.1:9/hook");
        assert!(matches!(https.open(), Conn::Https(_)));
        let mut null = Transport::Null.open();
        let a = null.attempt(&Bytes::from_static(b"{}"), &Vec::new()).await;
        assert_eq!(a, AttemptResult::Status(200).into());
    }

    #[tokio::test]
    async fn an_unreachable_https_target_is_a_connection_error() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let https = transport(&format!("https://{addr}/hook"));
        let a = https
            .open()
            .attempt(&Bytes::from_static(b"{}"), &Vec::new())
            .await;
        assert!(matches!(a.result, AttemptResult::Connection(_)), "{a:?}");
        assert_eq!(a.retry_after, None);
    }
}
