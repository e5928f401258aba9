//! A listener that bounds the API's concurrency at the connection: each accepted
//! connection holds a semaphore permit until it closes, so at most `limit` connections
//! (and, HTTP/1 being one request at a time per connection, at most `limit` requests) are
//! served at once; further clients wait in the kernel's accept backlog. Costs nothing per
//! request, unlike a per-request middleware. Used by `server::serve`.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::serve::Listener;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A TCP listener admitting at most a fixed number of open connections.
pub struct LimitedListener {
    inner: TcpListener,
    permits: Arc<Semaphore>,
}

impl std::fmt::Debug for LimitedListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LimitedListener")
            .field("permits", &self.permits)
            .finish_non_exhaustive()
    }
}

impl LimitedListener {
    /// Wraps `inner`, admitting at most `limit` connections at once.
    pub fn new(inner: TcpListener, limit: usize) -> Self {
        Self::sharing(inner, Arc::new(Semaphore::new(limit.max(1))))
    }

    /// Wraps `inner`, admitting a connection only with one of `permits`, which other
    /// listeners (of the same socket, on other threads) may share.
    pub fn sharing(inner: TcpListener, permits: Arc<Semaphore>) -> Self {
        Self { inner, permits }
    }

    /// Permits left: connections that could still be admitted now.
    pub fn available(&self) -> usize {
        self.permits.available_permits()
    }
}

impl Listener for LimitedListener {
    type Io = PermittedStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            // The semaphore is never closed; should it be, stop limiting rather than stop.
            let permit = self.permits.clone().acquire_owned().await.ok();
            let (stream, addr) = Listener::accept(&mut self.inner).await;
            // Small answers must not wait for Nagle; failing to set it only costs latency.
            let _ = stream.set_nodelay(true);
            if let Some(permit) = permit {
                return (
                    PermittedStream {
                        stream,
                        _permit: permit,
                    },
                    addr,
                );
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// An accepted connection holding its permit until dropped.
pub struct PermittedStream {
    stream: TcpStream,
    _permit: OwnedSemaphorePermit,
}

impl std::fmt::Debug for PermittedStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PermittedStream")
            .field("stream", &self.stream)
            .finish_non_exhaustive()
    }
}

impl AsyncRead for PermittedStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for PermittedStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn each_open_connection_holds_a_permit_until_it_closes() {
        let inner = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = inner.local_addr().expect("address");
        let mut listener = LimitedListener::new(inner, 2);
        let _client = TcpStream::connect(addr).await.expect("connect");
        let (first, _) = listener.accept().await;
        assert_eq!(listener.available(), 1);
        let _client2 = TcpStream::connect(addr).await.expect("connect");
        let (second, _) = listener.accept().await;
        assert_eq!(listener.available(), 0, "the limit is reached");
        drop(first);
        assert_eq!(
            listener.available(),
            1,
            "a closed connection frees its permit"
        );
        drop(second);
        assert_eq!(listener.available(), 2);
    }
}
