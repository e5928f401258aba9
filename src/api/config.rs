//! The fake API's validated configuration: where it listens (an address, or a listener a
//! test bound first), how long it outlives the run, request authentication, the zone of
//! local times, and record retention. Built by the command layer from the API flags; the
//! session starts the server from it.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::FixedOffset;
use tokio::net::TcpListener;

use super::auth::{self, AuthPolicy};
use super::store::Retention;
use crate::control::ControlPlan;
use crate::error::UsageError;

/// How long a signed request stays valid (the docs' 5 minutes).
pub const SIGNATURE_EXPIRY: Duration = Duration::from_secs(5 * 60);

/// Where the API listens.
#[derive(Debug, Clone)]
pub enum ApiListen {
    /// No API.
    Off,
    /// Bind this address at start.
    Addr(SocketAddr),
    /// A listener bound by the caller (tests learn its port before the run); taken once.
    Bound(Arc<Mutex<Option<std::net::TcpListener>>>),
}

/// How long the API outlives the run's deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Linger {
    /// This long (zero: stop with the run), or until ctrl-c.
    For(Duration),
    /// Until ctrl-c (`ccsim serve`).
    UntilStopped,
}

/// The validated API part of a run.
#[derive(Debug, Clone)]
pub struct ApiPlan {
    /// Where to listen.
    pub listen: ApiListen,
    /// How long to keep serving after the last delivery.
    pub linger: Linger,
    /// Request authentication, if on.
    pub auth: Option<AuthPolicy>,
    /// Zone of local times in records and of the `Timestamp` header.
    pub zone: FixedOffset,
    /// Record retention.
    pub retention: Retention,
    /// The test-control API under `/__ccsim/` (`--control`), if on.
    pub control: Option<ControlPlan>,
}

impl Default for ApiPlan {
    /// No API, default retention.
    fn default() -> Self {
        Self {
            listen: ApiListen::Off,
            linger: Linger::For(Duration::ZERO),
            auth: None,
            zone: auth::DEFAULT_ZONE,
            retention: Retention::default(),
            control: None,
        }
    }
}

impl ApiPlan {
    /// Serve on `listener`, already bound by the caller (tests use port 0 and read it).
    pub fn with_listener(mut self, listener: std::net::TcpListener) -> Self {
        self.listen = ApiListen::Bound(Arc::new(Mutex::new(Some(listener))));
        self
    }

    /// The listener to serve on, `None` when the API is off. A busy port is a usage error
    /// naming the address.
    pub async fn bind(&self) -> Result<Option<TcpListener>, UsageError> {
        match &self.listen {
            ApiListen::Off => Ok(None),
            ApiListen::Addr(addr) => TcpListener::bind(addr).await.map(Some).map_err(|e| {
                UsageError(format!(
                    "--api: cannot listen on {addr}: {e} (choose another with --api ADDR, or --api off)"
                ))
            }),
            ApiListen::Bound(slot) => {
                let taken = slot
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .take();
                let std = taken.ok_or_else(|| {
                    UsageError("--api: the listener given to the plan was already used".into())
                })?;
                std.set_nonblocking(true)
                    .and_then(|()| TcpListener::from_std(std))
                    .map(Some)
                    .map_err(|e| UsageError(format!("--api: cannot use the given listener: {e}")))
            }
        }
    }
}
