//! The test-control API (`docs/control.md`), the part of issue 15 built so far: with
//! `--control`, the API server also answers under `/__ccsim/` (a prefix the platform never
//! uses) with the [`journal`] of events handed to the network so far
//! (`GET /__ccsim/journal`) and a long-poll for the next matching one
//! (`GET /__ccsim/wait`), for an application's end-to-end suite. With a token, every
//! `/__ccsim/` request needs `Authorization: Bearer TOKEN`.

pub mod clock;
mod drive;
mod http;
pub mod journal;
pub mod query;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio_util::sync::CancellationToken;

pub use clock::ManualClock;
pub use http::router;

use crate::operation::Platform;
use crate::time::SimTime;
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
    /// `--clock manual`: simulated time moves only when a suite advances it.
    pub manual_clock: bool,
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
    /// The simulated platform the drive endpoints act on, if the engine is driven.
    platform: Option<Arc<dyn Platform>>,
    /// How simulated time moves.
    clock: ClockMode,
    /// Where simulated time starts.
    start: SimTime,
}

/// How simulated time moves, as `GET /__ccsim/clock` tells.
#[derive(Debug, Clone)]
pub enum ClockMode {
    /// It follows the wall clock at a speed.
    Real,
    /// As fast as the engine goes (`--speed max`).
    Max,
    /// Only when a suite advances it (`--clock manual`).
    Manual(Arc<ManualClock>),
}

impl fmt::Debug for dyn Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Platform")
    }
}

impl Control {
    /// Serves `journal` as `plan` says; waits end when `stop` fires.
    pub fn new(journal: Arc<Journal>, plan: &ControlPlan, stop: CancellationToken) -> Self {
        Self {
            journal,
            token: plan.token.clone(),
            stop,
            waiters: Arc::new(AtomicUsize::new(0)),
            platform: None,
            clock: ClockMode::Real,
            start: SimTime::EARLIEST_START,
        }
    }

    /// The same, acting on `platform` (injected calls, instructions to phones, reset),
    /// whose simulated time starts at `start` and moves as `clock` says.
    pub fn with_platform(
        mut self,
        platform: Arc<dyn Platform>,
        clock: ClockMode,
        start: SimTime,
    ) -> Self {
        self.platform = Some(platform);
        self.clock = clock;
        self.start = start;
        self
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
