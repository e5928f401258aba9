//! Webhook delivery: the dispatcher releases a [`Source`]'s events at their scheduled
//! wall-clock time (or as fast as possible at `--speed max`); for a simulation the source
//! applies each happening to the record store *before* the webhooks announcing it are
//! handed to the network. It orders each conversation's events (or not, with
//! `--ordering none`), applies the receiver-robustness options (duplicates, reordering,
//! jitter), bounds concurrency and backlog, retries, and reports every send's outcome to
//! the collector. On cancellation it stops scheduling, cancels what has not been sent,
//! and gives in-flight attempts a grace period.

pub mod clock;
pub mod h1;
pub mod options;
pub mod retry;
pub mod robustness;
pub mod signing;
pub mod source;
pub mod transport;
mod workers;

use std::collections::{BTreeMap, VecDeque};

// Fast hashing of engine-assigned integer keys on the hot path.
use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::event::{EventKind, Webhook};
use crate::time::SimTime;
use clock::SimClock;
use options::{DeliveryOptions, OrderingMode};
use retry::{RetryPolicy, SuccessRule};
use robustness::Robustness;
use signing::Signer;
pub use source::{Released, Source};
use transport::{AttemptResult, Transport};
use workers::{AttemptContext, Workers};

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
        }
    }
}

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
}

impl Job {
    /// The Standard Webhooks `webhook-id`: the same for every attempt and duplicate of one
    /// event, deterministic by seed (`msg_<conversation id>_<seq>`). Formatted on demand:
    /// only signing and the events log need it.
    pub fn webhook_id(&self) -> String {
        format!("msg_{}_{}", self.webhook.conversation_id, self.seq)
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

/// Receives every emitted event and every completion, in the dispatcher's task.
pub trait Sink: Send {
    /// An event was emitted (released by the scheduler).
    fn emitted(&mut self, job: &Job);
    /// A duplicate send of an emitted event was added (`--duplicate-rate`).
    fn duplicated(&mut self, _job: &Job) {}
    /// `held` was swapped with the later `next` of the same conversation.
    fn reordered(&mut self, _held: &Job, _next: &Job) {}
    /// A send (an event or a duplicate) reached its final outcome.
    fn completed(&mut self, completion: &Completion);
    /// When the sink next wants [`Sink::checkpoint`] called (periodic reports), if ever.
    fn next_checkpoint(&self) -> Option<Instant> {
        None
    }
    /// Called once the instant [`Sink::next_checkpoint`] gave has passed.
    fn checkpoint(&mut self, _now: Instant) {}
}

/// Live counters for the progress line, shared with the progress task.
#[derive(Debug, Default)]
pub struct LiveCounters {
    /// Events emitted.
    pub emitted: AtomicU64,
    /// Events delivered.
    pub delivered: AtomicU64,
    /// Events failed after retries.
    pub failed: AtomicU64,
    /// Attempts in flight.
    pub in_flight: AtomicU64,
    /// Sends emitted but not finished (queued, held or in flight).
    pub backlog: AtomicU64,
    /// The largest `backlog` seen.
    pub peak_backlog: AtomicU64,
    /// Simulated time of the latest released happening, µs since the epoch.
    pub sim_now_us: AtomicI64,
    /// p99 latency so far, µs (refreshed by the collector every few hundred events).
    pub p99_us: AtomicU64,
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

/// The queues between release and launch: lanes (per-conversation ordering), events
/// held back for a swap (`--reorder-rate`), and the ready queue.
struct Queues<'a> {
    config: &'a DeliveryConfig,
    lanes: HashMap<u64, Lane>,
    held: HashMap<u64, Vec<Job>>,
    ready: VecDeque<Job>,
    backlog: usize,
}

impl Queues<'_> {
    /// Takes a freshly emitted event and, with `duplicate`, a second send of it: holds
    /// them for a swap, or queues them (after a held group's successor, the held group
    /// follows it).
    fn admit(&mut self, job: Job, duplicate: bool, sink: &mut dyn Sink, progress: &LiveCounters) {
        let dup = duplicate.then(|| Job {
            duplicate: true,
            ..job.clone()
        });
        if let Some(dup) = &dup {
            sink.duplicated(dup);
        }
        self.grow(progress);
        if dup.is_some() {
            self.grow(progress);
        }
        let key = job.webhook.conv_key;
        if !self.held.is_empty()
            && let Some(held) = self.held.remove(&key)
        {
            sink.reordered(&held[0], &job);
            self.push(job);
            dup.into_iter().chain(held).for_each(|j| self.push(j));
            return;
        }
        // An end is last: nothing would come to swap with. Holding is also bounded so
        // held events can never fill the backlog.
        if job.webhook.kind != EventKind::ConversationEnd
            && self.config.robustness.reorders()
            && self.held.len() < self.config.max_backlog / 2
            && self.config.robustness.reorder(self.config.seed, job.seq)
        {
            self.held
                .insert(key, std::iter::once(job).chain(dup).collect());
        } else {
            self.push(job);
            dup.into_iter().for_each(|j| self.push(j));
        }
    }

    fn push(&mut self, job: Job) {
        match self.config.ordering {
            OrderingMode::None => self.ready.push_back(job),
            OrderingMode::PerConversation => {
                let lane = self.lanes.entry(job.webhook.conv_key).or_default();
                if lane.busy {
                    lane.waiting.push_back(job);
                } else {
                    lane.busy = true;
                    self.ready.push_back(job);
                }
            }
        }
    }

    /// A send of conversation `key` finished: its lane may go on.
    fn finished(&mut self, key: u64, progress: &LiveCounters) {
        self.backlog -= 1;
        progress
            .backlog
            .store(self.backlog as u64, Ordering::Relaxed);
        if let Some(lane) = self.lanes.get_mut(&key) {
            match lane.waiting.pop_front() {
                Some(next) => self.ready.push_back(next),
                None => {
                    self.lanes.remove(&key);
                }
            }
        }
    }

    /// Releases every held event (the source is exhausted: no successor will come).
    fn release_held(&mut self) {
        let mut held: Vec<Job> = self.held.drain().flat_map(|(_, g)| g).collect();
        held.sort_by_key(|j| (j.seq, j.duplicate));
        held.into_iter().for_each(|j| self.push(j));
    }

    /// Everything not in flight, for cancellation.
    fn drain_waiting(&mut self) -> Vec<Job> {
        let mut jobs: Vec<Job> = self.ready.drain(..).collect();
        jobs.extend(self.lanes.drain().flat_map(|(_, l)| l.waiting));
        jobs.extend(self.held.drain().flat_map(|(_, g)| g));
        jobs.sort_by_key(|j| (j.seq, j.duplicate));
        jobs
    }

    fn grow(&mut self, progress: &LiveCounters) {
        self.backlog += 1;
        progress
            .backlog
            .store(self.backlog as u64, Ordering::Relaxed);
        progress
            .peak_backlog
            .fetch_max(self.backlog as u64, Ordering::Relaxed);
    }
}

/// Runs the whole delivery phase: releases `source`'s events when due, sends them, and
/// reports to `sink` until the source is exhausted and every send has an outcome, or
/// `cancel` fires.
pub async fn run_delivery(
    source: &mut dyn Source,
    sim_start: SimTime,
    speed: crate::units::Speed,
    config: &DeliveryConfig,
    sink: &mut dyn Sink,
    progress: &LiveCounters,
    cancel: &CancellationToken,
) -> DeliveryEnd {
    let wall_start = Instant::now();
    let clock = SimClock::new(sim_start, wall_start, speed);
    let attempt_ctx = Arc::new(AttemptContext {
        transport: config.transport.clone(),
        retry: config.retry,
        success: config.success,
        signer: config.signer.clone(),
        seed: config.seed,
    });
    let mut workers = Workers::new(attempt_ctx, config.concurrency);
    let mut finished: Vec<Completion> = Vec::new();
    let max_backlog = config.max_backlog.max(1);

    let mut queues = Queues {
        config,
        lanes: HashMap::default(),
        held: HashMap::default(),
        ready: VecDeque::new(),
        backlog: 0,
    };
    let mut seq = 0u64;
    let mut scratch: Vec<Released> = Vec::new();
    let mut pending: VecDeque<(SimTime, Instant, Released)> = VecDeque::new();
    let mut jittering: BTreeMap<(Instant, u64, bool), Job> = BTreeMap::new();
    let mut jittered: VecDeque<Job> = VecDeque::new();
    let mut grace_deadline: Option<Instant> = None;
    let mut exhausted = false;

    loop {
        // Release every batch that is due and admit its events while the backlog has
        // room; what does not fit waits in `pending` (at most one batch).
        let mut wake: Option<Instant> = None;
        if grace_deadline.is_none() {
            loop {
                if let Some((at, scheduled, r)) = pending.front() {
                    let next_seq = r.seq.unwrap_or(seq + 1);
                    let duplicate = config.robustness.duplicate(config.seed, next_seq);
                    let needed = 1 + usize::from(duplicate);
                    // An empty backlog always takes the next event, so a bound smaller
                    // than one event and its duplicate cannot stall the run.
                    if queues.backlog > 0 && queues.backlog + needed > max_backlog {
                        break;
                    }
                    let (at, scheduled) = (*at, *scheduled);
                    let Some((_, _, Released { webhook, .. })) = pending.pop_front() else {
                        break;
                    };
                    seq = next_seq;
                    let job = Job {
                        seq,
                        duplicate: false,
                        webhook,
                        scheduled,
                        scheduled_sim: at,
                    };
                    sink.emitted(&job);
                    progress.emitted.fetch_add(1, Ordering::Relaxed);
                    queues.admit(job, duplicate, sink, progress);
                    continue;
                }
                let Some(at) = source.next_at() else { break };
                let due = clock.deadline(at);
                if let Some(due) = due
                    && due > Instant::now()
                {
                    wake = Some(due);
                    break;
                }
                let scheduled = due.unwrap_or_else(Instant::now);
                source.release(&mut scratch);
                progress.sim_now_us.store(at.as_micros(), Ordering::Relaxed);
                pending.extend(scratch.drain(..).map(|r| (at, scheduled, r)));
            }
            if !exhausted && pending.is_empty() && source.next_at().is_none() {
                exhausted = true;
                queues.release_held();
            }
        }

        // Launch what may go. A send with --jitter waits for it first, outside the
        // concurrency limit (its lane stays busy meanwhile).
        let now = Instant::now();
        while let Some(entry) = jittering.first_entry()
            && entry.key().0 <= now
        {
            jittered.push_back(entry.remove());
        }
        while workers.has_room() {
            let job = if let Some(job) = jittered.pop_front() {
                job
            } else if let Some(job) = queues.ready.pop_front() {
                let jitter = config.robustness.jitter(config.seed, job.seq);
                if !jitter.is_zero() {
                    jittering.insert((now + jitter, job.seq, job.duplicate), job);
                    continue;
                }
                job
            } else {
                break;
            };
            let jitter = config.robustness.jitter(config.seed, job.seq);
            workers.launch(job, jitter);
        }
        if let Some(at) = sink.next_checkpoint()
            && at <= now
        {
            sink.checkpoint(now);
        }
        let timer = [
            wake,
            jittering.keys().next().map(|k| k.0),
            sink.next_checkpoint(),
        ]
        .into_iter()
        .flatten()
        .min();
        progress
            .in_flight
            .store(workers.in_flight() as u64, Ordering::Relaxed);

        if queues.backlog == 0 && (exhausted || grace_deadline.is_some()) {
            break;
        }

        tokio::select! {
            biased;
            _ = cancel.cancelled(), if grace_deadline.is_none() => {
                grace_deadline = Some(Instant::now() + config.grace);
                // Nothing new is sent: everything not yet in flight is cancelled.
                let now = Instant::now();
                let mut waiting = queues.drain_waiting();
                waiting.extend(std::mem::take(&mut jittering).into_values());
                waiting.extend(jittered.drain(..));
                waiting.sort_by_key(|j| (j.seq, j.duplicate));
                for job in waiting {
                    queues.finished(job.webhook.conv_key, progress);
                    finish(sink, progress, cancelled(job, now));
                }
            }
            () = workers.finished(&mut finished), if workers.in_flight() > 0 => {
                for done in finished.drain(..) {
                    let key = done.job.webhook.conv_key;
                    finish(sink, progress, done);
                    if grace_deadline.is_none() {
                        queues.finished(key, progress);
                    } else {
                        queues.backlog -= 1;
                    }
                }
            }
            _ = sleep_precise(timer), if timer.is_some() => {}
            _ = sleep_until_opt(grace_deadline), if grace_deadline.is_some() => {
                // What finished meanwhile keeps its outcome; the rest is cancelled.
                for done in workers.abort().await {
                    finish(sink, progress, done);
                }
                break;
            }
        }
    }
    progress.in_flight.store(0, Ordering::Relaxed);
    progress.backlog.store(0, Ordering::Relaxed);
    DeliveryEnd {
        interrupted: grace_deadline.is_some(),
        wall: wall_start.elapsed(),
    }
}

/// How long before a deadline the dispatcher stops sleeping and starts yielding.
const SPIN_WINDOW: Duration = Duration::from_micros(1_500);

/// Waits until `deadline` with sub-millisecond accuracy: tokio's timer wheel has 1 ms
/// resolution, so sleep until just before the deadline, then yield to the runtime until it
/// is due. If the clock does not move (paused time in tests), fall back to a plain sleep.
async fn sleep_precise(deadline: Option<Instant>) {
    let Some(deadline) = deadline else {
        return std::future::pending().await;
    };
    if let Some(coarse) = deadline.checked_sub(SPIN_WINDOW)
        && coarse > Instant::now()
    {
        tokio::time::sleep_until(coarse).await;
    }
    let spin_start = std::time::Instant::now();
    while Instant::now() < deadline {
        if spin_start.elapsed() > 2 * SPIN_WINDOW {
            tokio::time::sleep_until(deadline).await;
            return;
        }
        tokio::task::yield_now().await;
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
        jitter: Duration::ZERO,
        first_sent: None,
        done: now,
    }
}

fn finish(sink: &mut dyn Sink, progress: &LiveCounters, done: Completion) {
    if !done.job.duplicate {
        match done.outcome {
            DeliveryOutcome::Delivered => progress.delivered.fetch_add(1, Ordering::Relaxed),
            DeliveryOutcome::Failed => progress.failed.fetch_add(1, Ordering::Relaxed),
            DeliveryOutcome::Cancelled => 0,
        };
    }
    sink.completed(&done);
}
