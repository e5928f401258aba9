//! ccsim's own HTTP/1.1 client for `http://` targets, chosen over reqwest and over hyper's
//! connection API by measurement (bench/throughput.sh): reqwest's layers (URL handling,
//! redirect policy, pool checkout, timeout plumbing) cost about 40% of ccsim's CPU at full
//! speed, and hyper drives every connection in a task of its own, so each request crossed
//! tasks twice through channels and built a `HeaderMap` both ways. Here a delivery worker
//! owns one keep-alive connection ([`H1Conn`]) and does the whole exchange in its own
//! task: the request is written from a reused buffer in one `write`, and the answer is
//! parsed by `httparse` ([`response`]) with its body drained up to a bound. The attempt
//! timeout's timer is armed once and moved forward only when it fires early, so a request
//! does not insert into and remove from the runtime's timer wheel (measurable with many
//! connections: bench/throughput.sh at concurrency 256).

pub mod response;

use std::io::ErrorKind;
use std::pin::Pin;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};

use super::attempt::{ACCEPT_TEXT, Attempt, AttemptResult, CONTENT_TYPE_JSON, ExtraHeaders};
use response::ReadBuf;

/// Where an `http://` target is and how every request to it starts.
#[derive(Debug, Clone)]
pub struct H1Target {
    host: String,
    port: u16,
    /// The request line and the fixed headers, each ending in CRLF.
    head: Vec<u8>,
    timeout: Duration,
}

/// One worker's connection to the target (opened on first use, reopened when the last
/// answer left it unusable), its buffers and its attempt timer.
#[derive(Debug, Default)]
pub struct H1Conn {
    stream: Option<TcpStream>,
    out: Vec<u8>,
    buf: ReadBuf,
    /// Armed at some attempt's deadline, never later than the current attempt's (the
    /// timeout is fixed and attempts follow one another): when it fires before the current
    /// deadline it is moved there, so it is reset about once per timeout, not per request.
    timer: Option<Pin<Box<Sleep>>>,
}

impl H1Target {
    /// The target `url`, which must be `http://`; every attempt must finish within
    /// `timeout`.
    pub fn new(url: &reqwest::Url, timeout: Duration) -> anyhow::Result<Self> {
        anyhow::ensure!(url.scheme() == "http", "target {url} is not http://");
        let host = url
            .host_str()
            .ok_or_else(|| anyhow::anyhow!("target {url} has no host"))?;
        let port = url
            .port_or_known_default()
            .ok_or_else(|| anyhow::anyhow!("target {url} has no port"))?;
        let authority = match url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_owned(),
        };
        let path = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        };
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: {CONTENT_TYPE_JSON}\r\n\
             Accept: {ACCEPT_TEXT}\r\nUser-Agent: ccsim/{}\r\n",
            env!("CARGO_PKG_VERSION")
        );
        Ok(Self {
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            port,
            head: head.into_bytes(),
            timeout,
        })
    }

    /// Makes one attempt on `conn` within the per-attempt timeout.
    pub async fn attempt(&self, conn: &mut H1Conn, body: &[u8], extra: &ExtraHeaders) -> Attempt {
        if let Err(e) = self.compose(&mut conn.out, body, extra) {
            return AttemptResult::Connection(e).into();
        }
        let deadline = Instant::now() + self.timeout;
        let H1Conn {
            stream,
            out,
            buf,
            timer,
        } = conn;
        let timer = timer.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        let exchange = self.exchange(stream, out, buf);
        tokio::pin!(exchange);
        loop {
            tokio::select! {
                biased;
                answer = &mut exchange => {
                    return match answer {
                        Ok(r) => Attempt {
                            result: AttemptResult::Status(r.status),
                            retry_after: r.retry_after,
                        },
                        Err(e) => AttemptResult::Connection(e).into(),
                    };
                }
                () = timer.as_mut() => {
                    if Instant::now() >= deadline {
                        // The connection goes with the dropped exchange: a late answer
                        // cannot be mistaken for the next one's.
                        return AttemptResult::Timeout.into();
                    }
                    // Armed for an earlier attempt: on to this one's deadline.
                    timer.as_mut().reset(deadline);
                }
            }
        }
    }

    /// Writes the whole request into `out`.
    fn compose(&self, out: &mut Vec<u8>, body: &[u8], extra: &ExtraHeaders) -> Result<(), String> {
        out.clear();
        out.extend_from_slice(&self.head);
        for (name, value) in extra {
            if value.bytes().any(|b| b == b'\r' || b == b'\n') {
                return Err(format!("header {name}: value contains a line break"));
            }
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"Content-Length: ");
        out.extend_from_slice(itoa::Buffer::new().format(body.len()).as_bytes());
        out.extend_from_slice(b"\r\n\r\n");
        out.extend_from_slice(body);
        Ok(())
    }

    /// Sends `out` and reads the answer into `buf`, on the kept connection `kept` if it
    /// is still open.
    async fn exchange(
        &self,
        kept: &mut Option<TcpStream>,
        out: &[u8],
        buf: &mut ReadBuf,
    ) -> Result<response::Response, String> {
        // The stream stays out of `kept` until the answer is read whole, so a broken or
        // abandoned exchange never leaves a connection behind.
        let (mut stream, reused) = match kept.take() {
            Some(s) if still_open(&s) => (s, true),
            _ => (self.connect().await?, false),
        };
        buf.clear();
        if let Err(e) = stream.write_all(out).await {
            if !reused {
                return early_answer(&mut stream, buf, &e).await;
            }
            // The server closed the idle connection just now, before reading anything:
            // once more on a fresh one.
            stream = self.connect().await?;
            if let Err(e) = stream.write_all(out).await {
                return early_answer(&mut stream, buf, &e).await;
            }
        }
        let answer = response::read(&mut stream, buf).await?;
        if answer.reusable {
            *kept = Some(stream);
        }
        Ok(answer)
    }

    async fn connect(&self) -> Result<TcpStream, String> {
        let stream = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| {
                format!(
                    "error sending request: connect to {}:{}: {e}",
                    self.host, self.port
                )
            })?;
        let _ = stream.set_nodelay(true);
        Ok(stream)
    }
}

/// After the request could not be written whole (`e`): the answer the receiver sent
/// before closing, if it sent one (a 413 to a body it will not read, a 401 before the
/// body), as HTTP clients such as curl and browsers report it; otherwise the write error.
/// The connection is not kept either way.
async fn early_answer(
    stream: &mut TcpStream,
    buf: &mut ReadBuf,
    e: &std::io::Error,
) -> Result<response::Response, String> {
    match response::read(stream, buf).await {
        Ok(answer) => Ok(response::Response {
            reusable: false,
            ..answer
        }),
        Err(_) => Err(format!("error sending request: {e}")),
    }
}

/// Whether an idle keep-alive connection may take a request: nothing (not even the end of
/// the stream) has arrived on it since the last answer. Costs no system call unless the
/// runtime saw the socket become readable, and that call clears the readiness the next
/// read would otherwise have to clear.
fn still_open(stream: &TcpStream) -> bool {
    let mut probe = [0u8; 1];
    matches!(stream.try_read(&mut probe), Err(e) if e.kind() == ErrorKind::WouldBlock)
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    fn target(addr: std::net::SocketAddr) -> H1Target {
        let url = reqwest::Url::parse(&format!("http://{addr}/hook?x=1")).unwrap();
        H1Target::new(&url, Duration::from_secs(5)).unwrap()
    }

    /// Reads one request (head and body) from a test connection.
    async fn read_request(s: &mut TcpStream) -> Option<String> {
        let mut got = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = s.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            got.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&got).to_string();
            if let Some(end) = text.find("\r\n\r\n") {
                let len: usize = text
                    .lines()
                    .find_map(|l| l.strip_prefix("Content-Length: "))
                    .map_or(0, |v| v.trim().parse().unwrap());
                if got.len() >= end + 4 + len {
                    return Some(text);
                }
            }
        }
    }

    #[test]
    fn the_request_carries_the_platform_headers_the_extras_and_the_exact_body() {
        let t = target("127.0.0.1:8080".parse().unwrap());
        let mut out = Vec::new();
        let extra = vec![("webhook-id", "msg_1".to_owned())];
        t.compose(&mut out, br#"{"a":1}"#, &extra).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!(
                "POST /hook?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\
                 Content-Type: application/json;charset=utf-8\r\nAccept: text/plain;charset=utf-8\r\n\
                 User-Agent: ccsim/{}\r\nwebhook-id: msg_1\r\nContent-Length: 7\r\n\r\n{{\"a\":1}}",
                env!("CARGO_PKG_VERSION")
            )
        );
        let bad = vec![("webhook-id", "a\r\nb".to_owned())];
        assert!(t.compose(&mut Vec::new(), b"", &bad).is_err());
    }

    #[tokio::test]
    async fn one_connection_carries_many_requests_and_a_closed_one_is_replaced() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let t = target(listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            let mut connections = 0;
            let mut requests = 0;
            while connections < 2 {
                let (mut s, _) = listener.accept().await.unwrap();
                connections += 1;
                // The first connection answers three requests and closes while idle.
                for _ in 0..3 {
                    if read_request(&mut s).await.is_none() {
                        break;
                    }
                    requests += 1;
                    s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nsuccess")
                        .await
                        .unwrap();
                }
            }
            (connections, requests)
        });
        let mut conn = H1Conn::default();
        for _ in 0..4 {
            let a = t.attempt(&mut conn, b"{}", &Vec::new()).await;
            assert_eq!(a.result, AttemptResult::Status(200));
            // Let the server's close arrive before the next request.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        drop(conn);
        assert_eq!(server.await.unwrap(), (2, 4));
    }

    #[tokio::test]
    async fn a_receiver_that_answers_413_and_closes_mid_body_is_reported_as_its_413() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let t = target(listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            for _ in 0..2 {
                let (mut s, _) = listener.accept().await.unwrap();
                // Read a little of the request, refuse it, close with the rest unread.
                let mut head = [0u8; 1024];
                let _ = s.read(&mut head).await.unwrap();
                s.write_all(
                    b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 9\r\n\
                      Connection: close\r\n\r\ntoo large",
                )
                .await
                .unwrap();
            }
        });
        let body = vec![b'x'; 10 * 1024 * 1024];
        let mut conn = H1Conn::default();
        for _ in 0..2 {
            let a = t.attempt(&mut conn, &body, &Vec::new()).await;
            assert_eq!(a.result, AttemptResult::Status(413));
            assert!(conn.stream.is_none(), "the connection is not kept");
        }
        server.await.unwrap();
    }

    #[tokio::test]
    async fn an_unreachable_target_is_a_connection_error_naming_it() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let a = target(addr)
            .attempt(&mut H1Conn::default(), b"{}", &Vec::new())
            .await;
        let AttemptResult::Connection(e) = a.result else {
            panic!("{a:?}")
        };
        assert!(
            e.contains(&format!("connect to 127.0.0.1:{}", addr.port())),
            "{e}"
        );
    }

    /// The timer stays armed at the first attempt's deadline: a later attempt must still
    /// get its whole timeout, and one that exceeds it must still time out. (Paused clock:
    /// the runtime jumps to the next timer whenever every task waits.)
    #[tokio::test(start_paused = true)]
    async fn each_attempt_gets_its_own_whole_timeout_although_the_timer_is_kept() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = reqwest::Url::parse(&format!("http://{}/", listener.local_addr().unwrap()));
        let t = H1Target::new(&url.unwrap(), Duration::from_millis(1000)).unwrap();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            // Answers after 0, 900 and 900 ms; the third attempt comes 600 ms after the
            // second's answer, the fourth is never answered.
            for delay in [0, 900, 900] {
                read_request(&mut s).await;
                tokio::time::sleep(Duration::from_millis(delay)).await;
                s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                    .await
                    .unwrap();
            }
            read_request(&mut s).await;
            tokio::time::sleep(Duration::from_secs(3600)).await;
        });
        let mut conn = H1Conn::default();
        let start = Instant::now();
        let a = t.attempt(&mut conn, b"{}", &Vec::new()).await;
        assert_eq!(a.result, AttemptResult::Status(200));
        // Answered at 900 ms, within its own timeout though the first deadline is 1000 ms.
        let a = t.attempt(&mut conn, b"{}", &Vec::new()).await;
        assert_eq!(a.result, AttemptResult::Status(200));
        tokio::time::sleep(Duration::from_millis(600)).await;
        // Starts at 1500 ms and is answered at 2400 ms: past the timer's first deadline.
        let a = t.attempt(&mut conn, b"{}", &Vec::new()).await;
        assert_eq!(a.result, AttemptResult::Status(200));
        let fourth = Instant::now();
        let a = t.attempt(&mut conn, b"{}", &Vec::new()).await;
        assert_eq!(a.result, AttemptResult::Timeout);
        let waited = fourth.elapsed();
        assert!(
            waited >= Duration::from_millis(1000) && waited < Duration::from_millis(1002),
            "timed out at its own deadline, not the kept timer's: {waited:?}"
        );
        assert!(start.elapsed() >= Duration::from_millis(3400));
        server.abort();
    }

    #[tokio::test]
    async fn no_answer_within_the_timeout_is_a_timeout_and_the_connection_is_dropped() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = reqwest::Url::parse(&format!("http://{}/", listener.local_addr().unwrap()));
        let t = H1Target::new(&url.unwrap(), Duration::from_millis(100)).unwrap();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            read_request(&mut s).await;
            // Answer late: the client must not take this for its next request's answer.
            tokio::time::sleep(Duration::from_millis(300)).await;
            let _ = s
                .write_all(b"HTTP/1.1 500 Late\r\nContent-Length: 0\r\n\r\n")
                .await;
            let (mut s2, _) = listener.accept().await.unwrap();
            read_request(&mut s2).await;
            s2.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                .await
                .unwrap();
        });
        let mut conn = H1Conn::default();
        let a = t.attempt(&mut conn, b"{}", &Vec::new()).await;
        assert_eq!(a.result, AttemptResult::Timeout);
        tokio::time::sleep(Duration::from_millis(300)).await;
        let a = t.attempt(&mut conn, b"{}", &Vec::new()).await;
        assert_eq!(a.result, AttemptResult::Status(200));
        server.await.unwrap();
    }
}
