//! The test-control API (`docs/control.md`), the part of issue 15 built so far: with
//! `--control`, the API server also answers under `/__ccsim/` (a prefix the platform never
//! uses) with the [`journal`] of events handed to the network so far
//! (`GET /__ccsim/journal`) and a long-poll for the next matching one
//! (`GET /__ccsim/wait`), for an application's end-to-end suite. With a token, every
//! `/__ccsim/` request needs `Authorization: Bearer TOKEN`.

mod http;
pub mod journal;
pub mod query;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio_util::sync::CancellationToken;

pub use http::router;
pub use journal::Journal;

/// The prefix of every control path.
pub const PREFIX: &str = "/__ccsim/";

/// Most waits in progress at once; each holds one of the API's connections.
pub const MAX_WAITERS: usize = 256;

/// What `--control` asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ControlPlan {
    /// The bearer token every control request must carry, if any.
    pub token: Option<ControlToken>,
}

/// The bearer token of the control API; `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct ControlToken(Arc<str>);

impl ControlToken {
    /// A token of `text`.
    pub fn new(text: &str) -> Self {
        Self(text.into())
    }

    fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for ControlToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ControlToken(<redacted>)")
    }
}

/// What the control handlers share: a cheap handle.
#[derive(Debug, Clone)]
pub struct Control {
    journal: Arc<Journal>,
    token: Option<ControlToken>,
    /// Fired when the server stops: waits end at once.
    stop: CancellationToken,
    waiters: Arc<AtomicUsize>,
}

impl Control {
    /// Serves `journal` as `plan` says; waits end when `stop` fires.
    pub fn new(journal: Arc<Journal>, plan: &ControlPlan, stop: CancellationToken) -> Self {
        Self {
            journal,
            token: plan.token.clone(),
            stop,
            waiters: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// A place among the [`MAX_WAITERS`] waits, if one is free; given back on drop.
    fn waiter(&self) -> Option<WaiterSlot> {
        let taken = self
            .waiters
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < MAX_WAITERS).then_some(n + 1)
            });
        taken.is_ok().then(|| WaiterSlot(self.waiters.clone()))
    }
}

/// One wait in progress.
struct WaiterSlot(Arc<AtomicUsize>);

impl Drop for WaiterSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}
