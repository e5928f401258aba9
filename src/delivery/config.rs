//! [`DeliveryConfig`]: everything the dispatcher and its workers need to know about how to
//! deliver, built by `run` and `replay` from the parsed [`DeliveryOptions`] and the
//! chosen [`Transport`].

use std::sync::Arc;
use std::time::Duration;

use super::handover::Handover;
use super::options::{DeliveryOptions, OrderingMode};
use super::retry::{RetryPolicy, SuccessRule};
use super::robustness::Robustness;
use super::signing::Signer;
use super::transport::Transport;
use crate::control::clock::ManualClock;

/// How to deliver.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// Where events go.
    pub transport: Transport,
    /// Most attempts in flight at once.
    pub concurrency: usize,
    /// Most events emitted but not yet finished (in flight or waiting); the scheduler
    /// pauses (and lateness grows) beyond it.
    pub max_backlog: usize,
    /// Retries.
    pub retry: RetryPolicy,
    /// Which statuses count as delivered.
    pub success: SuccessRule,
    /// Standard Webhooks signing (disabled without secrets).
    pub signer: Signer,
    /// How long in-flight attempts may finish after an interrupt.
    pub grace: Duration,
    /// Per-conversation ordering or none.
    pub ordering: OrderingMode,
    /// Duplicates, reordering, jitter.
    pub robustness: Robustness,
    /// Seed of the robustness decisions and retry jitter.
    pub seed: u64,
    /// Spin through the last milliseconds before each send instead of sleeping
    /// (`--busy-wait`): exact send times for a core's worth of CPU.
    pub busy_wait: bool,
    /// Told when each event goes out (the records of a simulation), if anyone is.
    pub handover: Option<Arc<dyn Handover>>,
    /// With `--clock manual`: simulated time moves only as a suite advances this clock,
    /// and each release waits for the previous one's sends to finish.
    pub manual: Option<Arc<ManualClock>>,
}

impl DeliveryConfig {
    /// The configuration for `options`, sending through `transport`, decided by `seed`.
    pub fn new(transport: Transport, options: &DeliveryOptions, seed: u64) -> Self {
        Self {
            transport,
            concurrency: options.concurrency,
            max_backlog: options.max_backlog,
            retry: options.retry,
            success: options.success,
            signer: options.signer.clone(),
            grace: options.grace,
            ordering: options.ordering,
            robustness: options.robustness,
            seed,
            busy_wait: options.busy_wait,
            handover: None,
            manual: None,
        }
    }

    /// The same, following `manual` (`--clock manual`) instead of a speed.
    pub fn with_manual(mut self, manual: Arc<ManualClock>) -> Self {
        self.manual = Some(manual);
        self
    }

    /// The same, telling `handover` when each event goes out.
    pub fn with_handover(mut self, handover: Arc<dyn Handover>) -> Self {
        self.handover = Some(handover);
        self
    }
}
