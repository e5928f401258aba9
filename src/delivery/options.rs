//! Validated delivery options: everything a delivery needs but the target. Built from the
//! delivery flags by the command layer; the dispatcher, the receiver's contract rules and
//! the report read them.

use std::time::Duration;

use super::https::TlsOptions;
use super::retry::{Backoff, RetryPolicy, SuccessRule};
use super::robustness::Robustness;
use super::signing::Signer;
use crate::event::profile::DeliveryDefaults;

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
    /// `--busy-wait`: the dispatcher spins through the last milliseconds before each send
    /// instead of sleeping.
    pub busy_wait: bool,
    /// Which of the options above no flag set: the fidelity profile chooses them.
    pub profile_defaults: ProfileDefaulted,
}

/// Which delivery options no flag (nor its environment variable) set, so that the fidelity
/// profile's defaults apply ([`DeliveryOptions::with_profile_defaults`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProfileDefaulted {
    /// `--timeout`.
    pub timeout: bool,
    /// `--retries`.
    pub retries: bool,
    /// `--retry-backoff`.
    pub backoff: bool,
    /// `--success`.
    pub success: bool,
    /// `--ordering`.
    pub ordering: bool,
}

impl DeliveryOptions {
    /// The options with `defaults` (the fidelity profile's) in place of every option no
    /// flag set. A profile whose retries are not immediate leaves the flags' backoff.
    pub fn with_profile_defaults(mut self, defaults: &DeliveryDefaults) -> Self {
        let unset = self.profile_defaults;
        if unset.timeout {
            self.timeout = defaults.timeout;
        }
        if unset.retries {
            self.retry.retries = defaults.retries;
        }
        if unset.backoff && defaults.immediate_retries {
            self.retry.backoff = Backoff::Immediate;
        }
        if unset.success {
            self.success = if defaults.only_200 {
                SuccessRule::Only200
            } else {
                SuccessRule::Any2xx
            };
        }
        if unset.ordering {
            self.ordering = if defaults.ordered {
                OrderingMode::PerConversation
            } else {
                OrderingMode::None
            };
        }
        self
    }
}
