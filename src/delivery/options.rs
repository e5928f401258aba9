//! Validated delivery options: everything a delivery needs but the target. Built from the
//! delivery flags by the command layer; the dispatcher, the receiver's contract rules and
//! the report read them.

use std::time::Duration;

use super::https::TlsOptions;
use super::retry::{RetryPolicy, SuccessRule};
use super::robustness::Robustness;
use super::signing::Signer;

/// How a conversation's events are ordered on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OrderingMode {
    /// A conversation's next event waits until the previous one is delivered or given up.
    #[default]
    PerConversation,
    /// Every event is sent on its own, concurrently, like the platform: retries reorder.
    None,
}

impl OrderingMode {
    /// The flag value.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderingMode::PerConversation => "per-conversation",
            OrderingMode::None => "none",
        }
    }
}

/// Validated delivery options (everything but the target).
#[derive(Debug, Clone)]
pub struct DeliveryOptions {
    /// Most attempts in flight.
    pub concurrency: usize,
    /// Most events emitted but not finished.
    pub max_backlog: usize,
    /// Per-attempt timeout.
    pub timeout: Duration,
    /// Retries and their spacing.
    pub retry: RetryPolicy,
    /// What counts as delivered.
    pub success: SuccessRule,
    /// Grace period after an interrupt.
    pub grace: Duration,
    /// Standard Webhooks signing (disabled without secrets).
    pub signer: Signer,
    /// Ordering mode.
    pub ordering: OrderingMode,
    /// Duplicates, reordering, jitter.
    pub robustness: Robustness,
    /// How `https://` targets' certificates are checked.
    pub tls: TlsOptions,
}
