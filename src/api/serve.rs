//! Serving a router over HTTP/1.1 so that no client can deny it to others: every
//! connection needs a [`Slot`] (at most [`ServeLimits::connections`] at once; a full house
//! sheds an idle connection, see `listener`), and a connection must send a complete request
//! head within [`ServeLimits::header_timeout`] of opening or of its previous answer (the
//! header-read and keep-alive idle timeout), so idle and dribbling (slowloris) clients
//! cannot hold the slots. Used by the API's worker threads and by the built-in receiver
//! (`ccsim listen`, a run's default target) instead of `axum::serve`, which has neither
//! timeout nor bound.

use std::io;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::{Service as _, service_fn};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::listener::{Slot, Slots};

/// Most connections served at once, by default.
pub const DEFAULT_CONNECTIONS: usize = 1024;
/// How long a connection may take to send a request head, counted from its opening or
/// from its previous answer (so also how long an idle keep-alive connection is kept).
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(30);

/// The bounds that keep a server available to everyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeLimits {
    /// Most connections served at once.
    pub connections: usize,
    /// Header-read and keep-alive idle timeout.
    pub header_timeout: Duration,
}

impl Default for ServeLimits {
    fn default() -> Self {
        Self {
            connections: DEFAULT_CONNECTIONS,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
        }
    }
}

/// Serves `router` on `listener` until `shutdown`, each connection's stream wrapped by
/// `wrap` and holding one of `slots`; then lets requests in service finish and returns.
pub async fn serve<W, Io>(
    listener: TcpListener,
    router: Router,
    slots: Arc<Slots>,
    header_timeout: Duration,
    shutdown: CancellationToken,
    wrap: W,
) where
    W: Fn(TcpStream) -> Io,
    Io: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut connections = JoinSet::new();
    loop {
        let stream = tokio::select! {
            () = shutdown.cancelled() => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    accept_failed(&e).await;
                    continue;
                }
            },
        };
        // Small answers must not wait for Nagle; failing to set it only costs latency.
        let _ = stream.set_nodelay(true);
        let slot = tokio::select! {
            () = shutdown.cancelled() => break,
            slot = slots.admit() => slot,
        };
        let Some(slot) = slot else { continue };
        connections.spawn(connection(
            wrap(stream),
            slot,
            router.clone(),
            header_timeout,
            shutdown.clone(),
        ));
    }
    while connections.join_next().await.is_some() {}
}

/// After a failed `accept`: a connection that died in the backlog is no reason to pause;
/// anything else (out of file descriptors) is given a second to pass, as `axum::serve` does.
async fn accept_failed(e: &io::Error) {
    let per_connection = matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    );
    if !per_connection {
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Serves one connection until it closes, times out, is shed or the server stops. Shed or
/// stopped while idle, it closes at once; with a request in service, it finishes that
/// request and closes.
async fn connection<Io>(
    io: Io,
    slot: Slot,
    router: Router,
    header_timeout: Duration,
    shutdown: CancellationToken,
) where
    Io: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let slot = Arc::new(slot);
    let shed = slot.shed();
    let tower = TowerToHyperService::new(router);
    let service = {
        let slot = slot.clone();
        service_fn(move |request: hyper::Request<Incoming>| {
            let serving = slot.serving();
            let answer = tower.call(request.map(Body::new));
            async move {
                let answer = answer.await;
                drop(serving);
                answer
            }
        })
    };
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .keep_alive(true);
    let mut conn = pin!(builder.serve_connection(TokioIo::new(io), service));
    tokio::select! {
        _ = conn.as_mut() => return,
        () = shed.cancelled() => {}
        () = shutdown.cancelled() => {}
    }
    if !slot.in_service() {
        // Dropping the connection closes it: nothing was in service.
        return;
    }
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
}
