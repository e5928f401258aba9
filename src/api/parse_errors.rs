//! The API's answers to requests too malformed to reach the router: hyper answers them
//! itself (400 for a bad request line or header, 414 for a URI too long, 431 for a head
//! too large) with an empty body and no hook to change it. [`EnvelopeParseErrors`] wraps
//! each API connection and replaces exactly those automatic answers with the platform's
//! envelope `{"code":"000001","msg":"参数错误","data":null}`, keeping the status. It
//! recognizes them as a response head with one of those three statuses and no
//! `content-type`: the router never answers 400, 414 or 431, and every answer it makes
//! has a `content-type`. Used by `server` for the API's connections.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::error::{self, JSON_UTF8};

/// A connection whose parse-level error answers carry the platform's envelope.
#[derive(Debug)]
pub struct EnvelopeParseErrors<S> {
    inner: S,
    /// The replacement answer and how much of it was written.
    pending: Option<(Vec<u8>, usize)>,
}

impl<S> EnvelopeParseErrors<S> {
    /// Wraps `inner`.
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            pending: None,
        }
    }
}

/// The envelope answer replacing `head`, when `head` is hyper's automatic parse-error
/// answer.
fn replacement(head: &[u8]) -> Option<Vec<u8>> {
    let status = head.strip_prefix(b"HTTP/1.1 ")?.get(..4)?;
    if !matches!(status, b"400 " | b"414 " | b"431 ") {
        return None;
    }
    let end = head
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(head.len());
    let head = &head[..end];
    if head
        .windows(13)
        .any(|w| w.eq_ignore_ascii_case(b"content-type:"))
    {
        return None;
    }
    let status_line_end = head
        .windows(2)
        .position(|w| w == b"\r\n")
        .unwrap_or(head.len());
    let body = error::envelope_bytes(error::BAD_PARAMETER, b"null");
    let mut answer = Vec::with_capacity(160 + body.len());
    answer.extend_from_slice(&head[..status_line_end]);
    answer.extend_from_slice(b"\r\ncontent-type: ");
    answer.extend_from_slice(JSON_UTF8.as_bytes());
    answer.extend_from_slice(b"\r\ncontent-length: ");
    answer.extend_from_slice(itoa::Buffer::new().format(body.len()).as_bytes());
    answer.extend_from_slice(b"\r\nconnection: close\r\n\r\n");
    answer.extend_from_slice(&body);
    Some(answer)
}

impl<S: AsyncWrite + Unpin> EnvelopeParseErrors<S> {
    /// Writes what is left of a replacement answer.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((answer, written)) = &mut self.pending {
            if *written == answer.len() {
                self.pending = None;
                break;
            }
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &answer[*written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *written += n;
        }
        Poll::Ready(Ok(()))
    }

    /// Takes `len` bytes starting with `first` as written when they are an automatic
    /// parse-error answer, queueing the envelope answer instead.
    fn substitute(&mut self, cx: &mut Context<'_>, first: &[u8], len: usize) -> Option<usize> {
        let answer = replacement(first)?;
        self.pending = Some((answer, 0));
        // Written now if it can be; otherwise by the flush or shutdown that follows.
        let _ = self.poll_pending(cx);
        Some(len)
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for EnvelopeParseErrors<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for EnvelopeParseErrors<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        if let Some(n) = this.substitute(cx, buf, buf.len()) {
            return Poll::Ready(Ok(n));
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        if let Some(first) = bufs.iter().find(|b| !b.is_empty()) {
            let len = bufs.iter().map(|b| b.len()).sum();
            if let Some(n) = this.substitute(cx, first, len) {
                return Poll::Ready(Ok(n));
            }
        }
        Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hypers_automatic_parse_error_answers_are_replaced() {
        let auto =
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        let answer = String::from_utf8(replacement(auto).unwrap()).unwrap();
        assert!(
            answer.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"),
            "{answer}"
        );
        assert!(
            answer.ends_with(r#"{"code":"000001","msg":"参数错误","data":null}"#),
            "{answer}"
        );
        assert!(replacement(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n").is_some());
        assert!(replacement(b"HTTP/1.1 414 URI Too Long\r\n\r\n").is_some());
        // The router's own answers are left alone.
        for head in [
            &b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"[..],
            b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\n\r\n",
            b"{\"code\":\"000000\"}",
        ] {
            assert_eq!(replacement(head), None, "{}", String::from_utf8_lossy(head));
        }
    }
}
