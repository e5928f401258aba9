//! One send and its final account: [`Job`] (a webhook on its way, created by the
//! dispatcher when it releases an event), [`DeliveryOutcome`] and [`Completion`] (what
//! became of it, made by a worker or, for sends that never went out, by the dispatcher).
//! The report collector and the events log read them.

use std::time::Duration;

use tokio::time::Instant;

use super::attempt::AttemptResult;
use crate::conversation::ChangeTicket;
use crate::event::Webhook;
use crate::time::SimTime;

/// One webhook on its way.
#[derive(Debug, Clone)]
pub struct Job {
    /// Emission order within the run (1-based); a duplicate shares its original's.
    pub seq: u64,
    /// Whether this is the extra send of a duplicated event (`--duplicate-rate`).
    pub duplicate: bool,
    /// The webhook.
    pub webhook: Webhook,
    /// When it was due on the wall clock (latency is measured from here).
    pub scheduled: Instant,
    /// When it was due in simulated time.
    pub scheduled_sim: SimTime,
    /// The record change it announces, made visible when it is handed over.
    pub change: Option<ChangeTicket>,
}

impl Job {
    /// The Standard Webhooks `webhook-id`: the same for every attempt and duplicate of one
    /// event, deterministic by seed (`msg_<subject id>_<seq>`: the conversation's, the
    /// queue task's or the agent's extension's id). Formatted on demand: only signing and
    /// the events log need it.
    pub fn webhook_id(&self) -> String {
        format!("msg_{}_{}", self.webhook.subject.id(), self.seq)
    }
}

/// What became of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryOutcome {
    /// The receiver accepted it.
    Delivered,
    /// Every attempt failed.
    Failed,
    /// Not (fully) sent because the run was interrupted.
    Cancelled,
}

/// One send's final account.
#[derive(Debug, Clone)]
pub struct Completion {
    /// The event.
    pub job: Job,
    /// Attempts made.
    pub attempts: u32,
    /// Final outcome.
    pub outcome: DeliveryOutcome,
    /// Result of the last attempt, if any.
    pub last: Option<AttemptResult>,
    /// The `--jitter` delay waited before the first attempt.
    pub jitter: Duration,
    /// When the first attempt started (None if never sent).
    pub first_sent: Option<Instant>,
    /// When the outcome was known.
    pub done: Instant,
}

impl Completion {
    /// The account of `job`, cancelled at `now` before any attempt finished.
    pub(crate) fn cancelled(job: Job, now: Instant) -> Self {
        Self {
            job,
            attempts: 0,
            outcome: DeliveryOutcome::Cancelled,
            last: None,
            jitter: Duration::ZERO,
            first_sent: None,
            done: now,
        }
    }
}
