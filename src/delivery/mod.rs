//! Webhook delivery: the dispatcher releases the engine's happenings at their scheduled
//! wall-clock time (or as fast as possible at `--speed max`), applies each to the record
//! store *before* the webhooks announcing it are handed to the network, keeps each
//! conversation's events in order, bounds concurrency and backlog, retries, and reports
//! every event's outcome to the collector. On cancellation it stops scheduling, cancels
//! what has not been sent, and gives in-flight attempts a grace period.

pub mod clock;
pub mod retry;
pub mod signing;
pub mod transport;

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::api::store::RecordStore;
use crate::conversation::Happening;
use crate::event::{EventBuilder, Webhook};
use crate::sim::time::SimTime;
use clock::SimClock;
use retry::{RetryPolicy, SuccessRule};
use signing::Signer;
use transport::{AttemptResult, ExtraHeaders, Transport};

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
}

/// One webhook on its way.
#[derive(Debug, Clone)]
pub struct Job {
    /// Emission order within the run (1-based).
    pub seq: u64,
    /// The webhook.
    pub webhook: Webhook,
    /// When it was due on the wall clock (latency is measured from here).
    pub scheduled: Instant,
    /// When it was due in simulated time.
    pub scheduled_sim: SimTime,
}

/// What became of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryOutcome {
    /// The receiver accepted it.
    Delivered,
    /// Every attempt failed.
    Failed,
    /// Not (fully) sent because the run was interrupted.
    Cancelled,
}

/// One event's final account.
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
    /// When the first attempt started (None if never sent).
    pub first_sent: Option<Instant>,
    /// When the outcome was known.
    pub done: Instant,
}

/// Receives every emitted event and every completion, in the dispatcher's task.
pub trait Sink {
    /// An event was emitted (released by the scheduler).
    fn emitted(&mut self, job: &Job);
    /// An event reached its final outcome.
    fn completed(&mut self, completion: &Completion);
}

/// Live counters for the progress line, shared with the progress task.
#[derive(Debug, Default)]
pub struct Progress {
    /// Events emitted.
    pub emitted: AtomicU64,
    /// Events delivered.
    pub delivered: AtomicU64,
    /// Events failed after retries.
    pub failed: AtomicU64,
    /// Attempts in flight.
    pub in_flight: AtomicU64,
    /// Conversations finished (engine).
    pub conversations: AtomicU64,
}

/// How the delivery phase ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryEnd {
    /// Whether it was cut short by cancellation.
    pub interrupted: bool,
    /// Wall time from the start of the sending phase to its end.
    pub wall: Duration,
}

/// Per-conversation lane: at most one event of a conversation in flight.
#[derive(Default)]
struct Lane {
    busy: bool,
    waiting: VecDeque<Job>,
}

/// Runs the whole delivery phase: pulls happenings from `source`, applies them to the
/// store, sends their webhooks, and reports to `sink` until the source is exhausted and
/// every event has an outcome, or `cancel` fires.
#[allow(clippy::too_many_arguments)]
pub async fn run_delivery<I>(
    mut source: I,
    sim_start: SimTime,
    speed: crate::units::Speed,
    builder: &EventBuilder,
    store: &RecordStore,
    config: &DeliveryConfig,
    sink: &mut dyn Sink,
    progress: &Progress,
    cancel: &CancellationToken,
) -> DeliveryEnd
where
    I: FnMut() -> Option<Happening>,
{
    let wall_start = Instant::now();
    let clock = SimClock::new(sim_start, wall_start, speed);
    let attempt_ctx = Arc::new(AttemptContext {
        transport: config.transport.clone(),
        retry: config.retry,
        success: config.success,
        signer: config.signer.clone(),
    });
    let concurrency = config.concurrency.max(1);
    let max_backlog = config.max_backlog.max(concurrency);

    let mut lookahead = source();
    let mut lanes: HashMap<u64, Lane> = HashMap::new();
    let mut ready: VecDeque<Job> = VecDeque::new();
    let mut tasks: JoinSet<Completion> = JoinSet::new();
    let mut in_flight: HashMap<u64, Job> = HashMap::new();
    let mut backlog = 0usize;
    let mut seq = 0u64;
    let mut scratch: Vec<Webhook> = Vec::new();
    let mut grace_deadline: Option<Instant> = None;

    loop {
        // Release every happening that is due, while the backlog has room.
        let mut wake: Option<Instant> = None;
        if grace_deadline.is_none() {
            while backlog < max_backlog {
                let Some(h) = lookahead.as_ref() else { break };
                let due = clock.deadline(h.at);
                if let Some(due) = due
                    && due > Instant::now()
                {
                    wake = Some(due);
                    break;
                }
                let Some(h) = lookahead.take() else { break };
                lookahead = source();
                store.apply(&h);
                scratch.clear();
                builder.build(&h, &mut scratch);
                let scheduled = due.unwrap_or_else(Instant::now);
                for webhook in scratch.drain(..) {
                    seq += 1;
                    let job = Job {
                        seq,
                        webhook,
                        scheduled,
                        scheduled_sim: h.at,
                    };
                    sink.emitted(&job);
                    progress.emitted.fetch_add(1, Ordering::Relaxed);
                    backlog += 1;
                    let lane = lanes.entry(job.webhook.conv_key).or_default();
                    if lane.busy {
                        lane.waiting.push_back(job);
                    } else {
                        lane.busy = true;
                        ready.push_back(job);
                    }
                }
            }
        }

        // Launch what may go.
        while tasks.len() < concurrency {
            let Some(job) = ready.pop_front() else { break };
            in_flight.insert(job.seq, job.clone());
            tasks.spawn(deliver(attempt_ctx.clone(), job));
        }
        progress
            .in_flight
            .store(tasks.len() as u64, Ordering::Relaxed);

        if backlog == 0 && (lookahead.is_none() || grace_deadline.is_some()) {
            break;
        }

        tokio::select! {
            biased;
            _ = cancel.cancelled(), if grace_deadline.is_none() => {
                grace_deadline = Some(Instant::now() + config.grace);
                // Nothing new is sent: everything not yet in flight is cancelled.
                let now = Instant::now();
                let waiting = ready.drain(..).chain(lanes.drain().flat_map(|(_, l)| l.waiting));
                for job in waiting {
                    backlog -= 1;
                    finish(sink, progress, cancelled(job, now));
                }
            }
            joined = tasks.join_next(), if !tasks.is_empty() => {
                let Some(Ok(done)) = joined else { continue };
                in_flight.remove(&done.job.seq);
                backlog -= 1;
                let key = done.job.webhook.conv_key;
                finish(sink, progress, done);
                if let Some(lane) = lanes.get_mut(&key) {
                    match lane.waiting.pop_front() {
                        Some(next) => ready.push_back(next),
                        None => {
                            lanes.remove(&key);
                        }
                    }
                }
            }
            _ = sleep_until_opt(wake), if wake.is_some() => {}
            _ = sleep_until_opt(grace_deadline), if grace_deadline.is_some() => {
                tasks.abort_all();
                let now = Instant::now();
                for (_, job) in in_flight.drain() {
                    finish(sink, progress, cancelled(job, now));
                }
                tasks.detach_all();
                break;
            }
        }
    }
    progress.in_flight.store(0, Ordering::Relaxed);
    DeliveryEnd {
        interrupted: grace_deadline.is_some(),
        wall: wall_start.elapsed(),
    }
}

async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

fn cancelled(job: Job, now: Instant) -> Completion {
    Completion {
        job,
        attempts: 0,
        outcome: DeliveryOutcome::Cancelled,
        last: None,
        first_sent: None,
        done: now,
    }
}

fn finish(sink: &mut dyn Sink, progress: &Progress, done: Completion) {
    match done.outcome {
        DeliveryOutcome::Delivered => progress.delivered.fetch_add(1, Ordering::Relaxed),
        DeliveryOutcome::Failed => progress.failed.fetch_add(1, Ordering::Relaxed),
        DeliveryOutcome::Cancelled => 0,
    };
    sink.completed(&done);
}

/// What each delivery task needs, shared.
struct AttemptContext {
    transport: Transport,
    retry: RetryPolicy,
    success: SuccessRule,
    signer: Signer,
}

/// Delivers one event: attempts until success or the retries run out.
async fn deliver(ctx: Arc<AttemptContext>, job: Job) -> Completion {
    let first_sent = Instant::now();
    let max = ctx.retry.max_attempts();
    let msg_id = format!("msg_{}_{}", job.webhook.conversation_id, job.seq);
    let mut last = None;
    for attempt in 1..=max {
        let mut extra = ExtraHeaders::new();
        if ctx.signer.is_enabled() {
            let ts = chrono::Utc::now().timestamp();
            extra.push((signing::HEADER_ID, msg_id.clone()));
            extra.push((signing::HEADER_TIMESTAMP, ts.to_string()));
            extra.push((
                signing::HEADER_SIGNATURE,
                ctx.signer.sign(&msg_id, ts, &job.webhook.body),
            ));
        }
        let result = ctx.transport.attempt(&job.webhook.body, &extra).await;
        let ok = matches!(result, AttemptResult::Status(s) if ctx.success.accepts(s));
        last = Some(result);
        if ok {
            return Completion {
                job,
                attempts: attempt,
                outcome: DeliveryOutcome::Delivered,
                last,
                first_sent: Some(first_sent),
                done: Instant::now(),
            };
        }
        if attempt < max {
            let wait = ctx.retry.delay(job.seq, attempt);
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
        }
    }
    Completion {
        job,
        attempts: max,
        outcome: DeliveryOutcome::Failed,
        last,
        first_sent: Some(first_sent),
        done: Instant::now(),
    }
}
