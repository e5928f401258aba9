//! Reads one HTTP/1.1 response off a connection for the `h1` client: the head (parsed by
//! `httparse`, 1xx interim answers skipped), then the body framed as HTTP/1.1 (RFC 9112)
//! says: none, `Content-Length`, chunked, or until close. The body is drained up to a
//! bound so that a complete answer leaves the connection reusable. A body cut short is an
//! I/O failure of the attempt, as on the platform (its HTTP client retries on any I/O
//! failure); a body over the bound is not read at all, and the status stands. Generic
//! over the reader so the framing is tested without sockets.

use tokio::io::{AsyncRead, AsyncReadExt};

use crate::delivery::attempt::MAX_RESPONSE_BODY;
use crate::delivery::retry::RetryAfter;

/// The largest response head accepted.
const MAX_HEAD: usize = 64 * 1024;
/// The most header fields of a response head.
const MAX_HEADERS: usize = 64;
/// How much room a read is given (a typical answer is a few hundred bytes; there is a
/// buffer per delivery worker, up to `--concurrency` of them).
const READ_CHUNK: usize = 2 * 1024;

/// What the client needs of a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The final status.
    pub status: u16,
    /// `Retry-After`, when valid.
    pub retry_after: Option<RetryAfter>,
    /// Whether the connection may carry the next request: the body was read whole, the
    /// server did not ask to close, and nothing unexpected followed.
    pub reusable: bool,
}

/// A read buffer that is consumed from the front (kept between responses, so its memory
/// is allocated once per connection).
#[derive(Debug, Default)]
pub struct ReadBuf {
    data: Vec<u8>,
    start: usize,
}

impl ReadBuf {
    fn available(&self) -> &[u8] {
        &self.data[self.start..]
    }

    fn consume(&mut self, n: usize) {
        self.start += n;
        if self.start == self.data.len() {
            self.data.clear();
            self.start = 0;
        }
    }

    /// Reads more from `io`; `Ok(0)` at end of stream.
    async fn fill<R: AsyncRead + Unpin>(&mut self, io: &mut R) -> std::io::Result<usize> {
        if self.start > 0 && self.data.capacity() - self.data.len() < READ_CHUNK {
            self.data.drain(..self.start);
            self.start = 0;
        }
        self.data.reserve(READ_CHUNK);
        io.read_buf(&mut self.data).await
    }

    /// Forgets everything buffered (the connection is being dropped or replaced).
    pub fn clear(&mut self) {
        self.data.clear();
        self.start = 0;
    }
}

/// How the body of a response is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Empty,
    Length(u64),
    Chunked,
    UntilClose,
}

/// The head of a final response, as far as the client cares.
#[derive(Debug)]
struct Head {
    status: u16,
    retry_after: Option<RetryAfter>,
    framing: Framing,
    keep_alive: bool,
}

/// Reads one response from `io` (after a request was written). An error says what broke
/// (the text names a reset or a close as such).
pub async fn read<R: AsyncRead + Unpin>(io: &mut R, buf: &mut ReadBuf) -> Result<Response, String> {
    let head = read_head(io, buf).await?;
    let complete = match head.framing {
        Framing::Empty => true,
        Framing::Length(n) => skip_exact(io, buf, n).await?,
        Framing::Chunked => skip_chunked(io, buf).await?,
        Framing::UntilClose => {
            // Drained up to the bound for the receiver's sake; never reusable.
            let mut read = 0usize;
            loop {
                let n = buf.available().len();
                buf.consume(n);
                read += n;
                if read > MAX_RESPONSE_BODY || fill(io, buf, true).await? == 0 {
                    break;
                }
            }
            false
        }
    };
    Ok(Response {
        status: head.status,
        retry_after: head.retry_after,
        reusable: complete && head.keep_alive && buf.available().is_empty(),
    })
}

/// Reads more; end of stream is an error unless `eof_ok`.
async fn fill<R: AsyncRead + Unpin>(
    io: &mut R,
    buf: &mut ReadBuf,
    eof_ok: bool,
) -> Result<usize, String> {
    match buf.fill(io).await {
        Ok(0) if !eof_ok => Err("connection closed before the response was complete".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("error reading the response: {e}")),
    }
}

async fn read_head<R: AsyncRead + Unpin>(io: &mut R, buf: &mut ReadBuf) -> Result<Head, String> {
    loop {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut parsed = httparse::Response::new(&mut headers);
        match parsed.parse(buf.available()) {
            Ok(httparse::Status::Complete(len)) => {
                let status = parsed.code.unwrap_or(0);
                let head = interpret(&parsed, status)?;
                buf.consume(len);
                // Interim answers (100 Continue, 103 Early Hints) precede the real one.
                if (100..200).contains(&status) && status != 101 {
                    continue;
                }
                return Ok(head);
            }
            Ok(httparse::Status::Partial) => {
                if buf.available().len() > MAX_HEAD {
                    return Err(format!("response head larger than {MAX_HEAD} bytes"));
                }
                fill(io, buf, false).await?;
            }
            Err(e) => return Err(format!("invalid HTTP response: {e}")),
        }
    }
}

/// The framing, keep-alive and `Retry-After` of a parsed head.
fn interpret(parsed: &httparse::Response<'_, '_>, status: u16) -> Result<Head, String> {
    let mut length: Option<u64> = None;
    let mut chunked = None;
    let mut close = false;
    let mut keep_alive_token = false;
    let mut retry_after = None;
    for h in parsed.headers.iter() {
        let value = std::str::from_utf8(h.value).unwrap_or("");
        if h.name.eq_ignore_ascii_case("content-length") {
            let n: u64 = value
                .trim()
                .parse()
                .map_err(|_| format!("invalid Content-Length {value:?}"))?;
            if length.is_some_and(|l| l != n) {
                return Err("conflicting Content-Length headers".into());
            }
            length = Some(n);
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            // Only the last coding decides whether the body is chunked.
            let last = value.rsplit(',').next().unwrap_or("").trim();
            chunked = Some(last.eq_ignore_ascii_case("chunked"));
        } else if h.name.eq_ignore_ascii_case("connection") {
            for token in value.split(',').map(str::trim) {
                close |= token.eq_ignore_ascii_case("close");
                keep_alive_token |= token.eq_ignore_ascii_case("keep-alive");
            }
        } else if h.name.eq_ignore_ascii_case("retry-after") {
            retry_after = RetryAfter::parse(value);
        }
    }
    let framing = if (100..200).contains(&status) || status == 204 || status == 304 {
        Framing::Empty
    } else {
        match (chunked, length) {
            (Some(true), _) => Framing::Chunked,
            (Some(false), _) => Framing::UntilClose,
            (None, Some(n)) => Framing::Length(n),
            (None, None) => Framing::UntilClose,
        }
    };
    let http11 = parsed.version == Some(1);
    Ok(Head {
        status,
        retry_after,
        framing,
        keep_alive: !close && (http11 || keep_alive_token),
    })
}

/// Skips a body of `n` bytes; `false` (without reading it) when it is over the bound.
async fn skip_exact<R: AsyncRead + Unpin>(
    io: &mut R,
    buf: &mut ReadBuf,
    n: u64,
) -> Result<bool, String> {
    if n > MAX_RESPONSE_BODY as u64 {
        return Ok(false);
    }
    let mut left = n as usize;
    loop {
        let take = left.min(buf.available().len());
        buf.consume(take);
        left -= take;
        if left == 0 {
            return Ok(true);
        }
        fill(io, buf, false).await?;
    }
}

/// Skips a chunked body and its trailers; `false` when it runs over the bound.
async fn skip_chunked<R: AsyncRead + Unpin>(io: &mut R, buf: &mut ReadBuf) -> Result<bool, String> {
    let mut total = 0usize;
    loop {
        let (consumed, size) = match httparse::parse_chunk_size(buf.available()) {
            Ok(httparse::Status::Complete(v)) => v,
            Ok(httparse::Status::Partial) => {
                fill(io, buf, false).await?;
                continue;
            }
            Err(_) => return Err("invalid chunk size in the response body".into()),
        };
        buf.consume(consumed);
        if size == 0 {
            return skip_trailers(io, buf).await.map(|()| true);
        }
        total = total.saturating_add(usize::try_from(size).unwrap_or(usize::MAX));
        if total > MAX_RESPONSE_BODY {
            return Ok(false);
        }
        // The chunk's data and its CRLF.
        if !skip_exact(io, buf, size + 2).await? {
            return Ok(false);
        }
    }
}

/// Skips trailer fields up to the empty line that ends a chunked body.
async fn skip_trailers<R: AsyncRead + Unpin>(io: &mut R, buf: &mut ReadBuf) -> Result<(), String> {
    loop {
        match buf.available().windows(2).position(|w| w == b"\r\n") {
            Some(0) => {
                buf.consume(2);
                return Ok(());
            }
            Some(end) => buf.consume(end + 2),
            None => {
                if buf.available().len() > MAX_HEAD {
                    return Err("response trailers too large".into());
                }
                fill(io, buf, false).await?;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use tokio::io::ReadBuf as IoBuf;

    use super::*;

    /// Hands out its bytes `step` at a time, so every split point is exercised.
    struct Trickle {
        data: Vec<u8>,
        pos: usize,
        step: usize,
    }

    impl AsyncRead for Trickle {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            out: &mut IoBuf<'_>,
        ) -> Poll<std::io::Result<()>> {
            let end = (self.pos + self.step)
                .min(self.data.len())
                .min(self.pos + out.remaining());
            let chunk = self.data[self.pos..end].to_vec();
            out.put_slice(&chunk);
            self.pos = end;
            Poll::Ready(Ok(()))
        }
    }

    async fn parse_all(raw: &[u8]) -> Vec<Result<Response, String>> {
        let mut out = Vec::new();
        for step in [1, 2, 7, raw.len().max(1)] {
            let mut io = Trickle {
                data: raw.to_vec(),
                pos: 0,
                step,
            };
            out.push(read(&mut io, &mut ReadBuf::default()).await);
        }
        out
    }

    async fn parse(raw: &[u8]) -> Result<Response, String> {
        let all = parse_all(raw).await;
        for r in &all[1..] {
            assert_eq!(r, &all[0], "the split points change nothing");
        }
        all[0].clone()
    }

    fn ok(status: u16, reusable: bool) -> Result<Response, String> {
        Ok(Response {
            status,
            retry_after: None,
            reusable,
        })
    }

    #[tokio::test]
    async fn a_content_length_body_is_read_whole_and_keeps_the_connection() {
        let r = parse(b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nsuccess").await;
        assert_eq!(r, ok(200, true));
    }

    #[tokio::test]
    async fn a_chunked_body_with_trailers_is_read_whole() {
        let raw = b"HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n3;ext=1\r\nefg\r\n0\r\nX-T: 1\r\n\r\n";
        assert_eq!(parse(raw).await, ok(500, true));
    }

    #[tokio::test]
    async fn interim_answers_are_skipped() {
        let raw = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n";
        assert_eq!(parse(raw).await, ok(204, true));
    }

    #[tokio::test]
    async fn connection_close_http_1_0_and_bodies_until_close_are_not_reused() {
        let close = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok";
        assert_eq!(parse(close).await, ok(200, false));
        let old = b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok";
        assert_eq!(parse(old).await, ok(200, false));
        let old_ka = b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok";
        assert_eq!(parse(old_ka).await, ok(200, true));
        let until_close = b"HTTP/1.1 200 OK\r\n\r\nwhatever comes";
        assert_eq!(parse(until_close).await, ok(200, false));
    }

    #[tokio::test]
    async fn retry_after_is_read_in_both_forms() {
        let raw = b"HTTP/1.1 429 Too Many\r\nretry-after: 3\r\nContent-Length: 0\r\n\r\n";
        let r = parse(raw).await.unwrap();
        assert_eq!(r.retry_after, Some(RetryAfter::Seconds(3)));
        let raw = b"HTTP/1.1 503 Busy\r\nRetry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\nContent-Length: 0\r\n\r\n";
        let r = parse(raw).await.unwrap();
        assert_eq!(r.retry_after, Some(RetryAfter::Date(1_445_412_480_000)));
    }

    #[tokio::test]
    async fn an_oversized_body_is_not_read_and_the_connection_is_dropped() {
        let raw = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
            MAX_RESPONSE_BODY + 1
        );
        assert_eq!(parse(raw.as_bytes()).await, ok(200, false));
        let mut chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        for _ in 0..(MAX_RESPONSE_BODY / 1000 + 2) {
            chunked.extend_from_slice(b"3e8\r\n");
            chunked.extend_from_slice(&[b'x'; 1000]);
            chunked.extend_from_slice(b"\r\n");
        }
        assert_eq!(parse(&chunked).await, ok(200, false));
    }

    #[tokio::test]
    async fn bytes_after_the_response_make_the_connection_unusable() {
        let raw = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n";
        let all = parse_all(raw).await;
        // With the whole input in one read the extra bytes are seen; trickled, they may
        // not have arrived yet, which is the same as a well-behaved server.
        assert_eq!(all[3], ok(200, false));
    }

    #[tokio::test]
    async fn a_close_before_or_inside_the_answer_is_named_as_such() {
        for raw in [
            &b""[..],
            b"HTTP/1.1 200 OK\r\nContent-Le",
            b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
        ] {
            let err = parse(raw).await.unwrap_err();
            assert!(err.contains("closed before the response"), "{err}");
        }
    }

    #[tokio::test]
    async fn malformed_answers_are_errors_that_say_why() {
        let cases: [(&[u8], &str); 4] = [
            (b"HTTQ/1.1 200 OK\r\n\r\n", "invalid HTTP response"),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
                "Content-Length",
            ),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                "conflicting",
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                "chunk size",
            ),
        ];
        for (raw, want) in cases {
            let err = parse(raw).await.unwrap_err();
            assert!(err.contains(want), "{err} (wanted {want})");
        }
    }

    #[tokio::test]
    async fn the_buffer_carries_nothing_over_between_responses() {
        let mut buf = ReadBuf::default();
        let raw = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".repeat(3);
        let mut io = &raw[..];
        for _ in 0..3 {
            let r = read(&mut io, &mut buf).await.unwrap();
            assert_eq!(r.status, 200);
        }
        assert!(buf.available().is_empty());
    }
}
