//! The delivery phase's control loop, [`run_delivery`], called by `run` (a simulation or a
//! load test) and by `replay`. A `Dispatcher` in one task releases the source's events
//! when due, admits them into the lanes while the backlog has room, hands ready sends to
//! the workers (after their `--jitter`), reports every emission and completion to the
//! [`Sink`] and the [`LiveCounters`], and on cancellation cancels what has not been sent
//! and gives in-flight sends a grace period.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::clock::SimClock;
use super::config::DeliveryConfig;
use super::counters::LiveCounters;
use super::jitter::JitterWait;
use super::job::{Completion, DeliveryOutcome, Job};
use super::lanes::Queues;
use super::pages;
use super::sink::Sink;
use super::sleep::{PreciseWaits, sleep_until_or_forever};
use super::source::{Released, Source};
use super::workers::{AttemptContext, Workers};
use crate::control::clock::ManualClock;
use crate::time::SimTime;
use crate::units::Speed;

/// How the delivery phase ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryEnd {
    /// Whether it was cut short by cancellation.
    pub interrupted: bool,
    /// Wall time from the start of the sending phase to its end.
    pub wall: Duration,
}

/// Runs the whole delivery phase: releases `source`'s events when due, sends them, and
/// reports to `sink` until the source is exhausted and every send has an outcome, or
/// `cancel` fires.
pub async fn run_delivery(
    source: &mut dyn Source,
    sim_start: SimTime,
    speed: Speed,
    config: &DeliveryConfig,
    sink: &mut dyn Sink,
    progress: &LiveCounters,
    cancel: &CancellationToken,
) -> DeliveryEnd {
    pages::prefer_base_pages_for(speed);
    let wall_start = Instant::now();
    let clock = SimClock::new(sim_start, wall_start, speed).with_manual(config.manual.clone());
    source.started(&clock);
    let interrupted = Dispatcher::new(source, clock, config, sink, progress)
        .run(cancel)
        .await;
    progress.in_flight.store(0, Ordering::Relaxed);
    progress.backlog.store(0, Ordering::Relaxed);
    DeliveryEnd {
        interrupted,
        wall: wall_start.elapsed(),
    }
}

/// The state of one delivery phase, between the source and the workers.
struct Dispatcher<'a> {
    config: &'a DeliveryConfig,
    source: &'a mut dyn Source,
    sink: &'a mut dyn Sink,
    progress: &'a LiveCounters,
    clock: SimClock,
    /// The emission order of the latest admitted event.
    seq: u64,
    /// One release's events (reused).
    released: Vec<Released>,
    /// Released events the backlog had no room for yet (at most one batch), with their
    /// simulated and wall-clock due times.
    pending: VecDeque<(SimTime, Instant, Released)>,
    queues: Queues<'a>,
    jitter: JitterWait,
    workers: Workers,
    /// Finished sends collected from the workers (reused).
    finished: Vec<Completion>,
    /// Whether the source is exhausted and everything it released was admitted.
    exhausted: bool,
    /// Set on cancellation: when sends still in flight are given up.
    grace_deadline: Option<Instant>,
    /// Whether the last release pass stopped at its budget (or the source's) with work
    /// left: the loop then yields to other tasks and comes straight back.
    busy: bool,
    /// Wakes the loop at its next deadline to within tens of microseconds (spinning
    /// through the last milliseconds with `--busy-wait`).
    precise: PreciseWaits,
}

/// At most this many batches released in one pass before the loop yields: however fast
/// the source and the workers, an interrupt and the report's checkpoints get their turn.
const RELEASE_BUDGET: usize = 1_024;

impl<'a> Dispatcher<'a> {
    fn new(
        source: &'a mut dyn Source,
        clock: SimClock,
        config: &'a DeliveryConfig,
        sink: &'a mut dyn Sink,
        progress: &'a LiveCounters,
    ) -> Self {
        let attempt_ctx = Arc::new(AttemptContext {
            transport: config.transport.clone(),
            retry: config.retry,
            success: config.success,
            signer: config.signer.clone(),
            seed: config.seed,
            handover: config.handover.clone(),
        });
        Self {
            config,
            source,
            sink,
            progress,
            clock,
            seq: 0,
            released: Vec::new(),
            pending: VecDeque::new(),
            queues: Queues::new(config),
            jitter: JitterWait::default(),
            workers: Workers::new(attempt_ctx, config.concurrency),
            finished: Vec::new(),
            exhausted: false,
            grace_deadline: None,
            busy: false,
            precise: PreciseWaits::start(config.busy_wait),
        }
    }

    /// Runs until the source is exhausted and every send has an outcome, or until the
    /// grace period after `cancel` ends; returns whether it was interrupted.
    async fn run(mut self, cancel: &CancellationToken) -> bool {
        // Notified when an operation gave the source more to release.
        let operations = self.source.wakeup();
        let manual = self.clock.manual().cloned();
        loop {
            let mut wake = None;
            self.busy = false;
            if self.grace_deadline.is_none() {
                wake = self.release_due();
                self.let_held_go_when_exhausted();
            }
            let now = Instant::now();
            self.start_attempts(now);
            self.checkpoint(now);
            let timer = self.next_timer(wake);
            self.progress
                .in_flight
                .store(self.workers.in_flight() as u64, Ordering::Relaxed);

            if self.is_done() {
                break;
            }

            tokio::select! {
                biased;
                _ = cancel.cancelled(), if self.grace_deadline.is_none() => self.cancel(),
                () = self.workers.finished(&mut self.finished), if self.workers.in_flight() > 0 => {
                    self.collect_completions();
                }
                () = self.precise.until(timer), if timer.is_some() => {}
                () = notified(operations.as_deref()), if operations.is_some() => {}
                () = moved(manual.as_deref()), if manual.is_some() => {}
                () = tokio::task::yield_now(), if self.busy => {}
                _ = sleep_until_or_forever(self.grace_deadline), if self.grace_deadline.is_some() => {
                    self.abort_in_flight().await;
                    break;
                }
            }
        }
        self.grace_deadline.is_some()
    }

    /// Releases every batch that is due and admits its events while the backlog has room;
    /// what does not fit waits in `pending`. Returns when the next batch falls due, if the
    /// dispatcher is to wake for it (not when the backlog is full or the source is done).
    /// After [`RELEASE_BUDGET`] batches, or when the source needs more time to find its
    /// next one, it stops with `busy` set.
    fn release_due(&mut self) -> Option<Instant> {
        for _ in 0..RELEASE_BUDGET {
            if !self.admit_pending() {
                return None;
            }
            if self.lockstep_waits() {
                // A manual clock releases in lockstep: the next batch once this one's
                // sends are over, so what a receiver does on an event happens at its
                // instant.
                return None;
            }
            if !self.source.prepare() {
                self.busy = true;
                return None;
            }
            let next = self.source.next_at();
            if let Some(manual) = self.clock.manual() {
                let target = manual.target();
                if next.is_none_or(|at| at > target) {
                    manual.settle(target);
                    return None;
                }
            }
            let at = next?;
            let due = self.clock.deadline(at);
            if let Some(due) = due
                && due > Instant::now()
            {
                return Some(due);
            }
            let scheduled = due.unwrap_or_else(Instant::now);
            self.release(at, scheduled);
        }
        self.busy = true;
        None
    }

    /// Whether a manual clock waits for the sends of its latest release to finish before
    /// it looks at the source again (looking pulls the engine on to its next event, and
    /// an operation the receiver makes meanwhile must happen at this one's instant).
    fn lockstep_waits(&self) -> bool {
        self.clock.manual().is_some() && self.queues.unsettled() > 0
    }

    /// Takes the source's batch due at `at` (on the wall clock `scheduled`) into `pending`.
    fn release(&mut self, at: SimTime, scheduled: Instant) {
        self.source.release(&mut self.released);
        if let Some(manual) = self.clock.manual() {
            manual.released(at);
        }
        // Following a clock, the delivery has reached `at`: what happened silently by
        // then may show. At --speed max there is no clock: hand-overs move it instead.
        if let Some(handover) = &self.config.handover
            && !self.clock.is_max()
        {
            handover.clock_reached(at);
        }
        self.progress
            .sim_now_us
            .store(at.as_micros(), Ordering::Relaxed);
        self.pending
            .extend(self.released.drain(..).map(|r| (at, scheduled, r)));
    }

    /// Admits pending events, in order, while the backlog has room for each (and its
    /// duplicate); false when one had to stay.
    fn admit_pending(&mut self) -> bool {
        while let Some((_, _, next)) = self.pending.front() {
            let seq = next.seq.unwrap_or(self.seq + 1);
            let duplicate = self.config.robustness.duplicate(self.config.seed, seq);
            if !self.queues.has_room_for(1 + usize::from(duplicate)) {
                return false;
            }
            let Some((
                at,
                scheduled,
                Released {
                    webhook, change, ..
                },
            )) = self.pending.pop_front()
            else {
                break;
            };
            self.seq = seq;
            self.admit(
                Job {
                    seq,
                    duplicate: false,
                    webhook,
                    scheduled,
                    scheduled_sim: at,
                    change,
                },
                duplicate,
            );
        }
        true
    }

    /// Emits `job` (and, with `duplicate`, its second send) into the lanes.
    fn admit(&mut self, job: Job, duplicate: bool) {
        self.sink.emitted(&job);
        self.progress.emitted.fetch_add(1, Ordering::Relaxed);
        self.queues
            .admit(job, duplicate, &mut *self.sink, self.progress);
    }

    /// Once the source is exhausted and all it released is admitted, lets the events held
    /// for a swap go: no successor will come.
    fn let_held_go_when_exhausted(&mut self) {
        if !self.exhausted
            && !self.source.endless()
            && !self.lockstep_waits()
            && self.pending.is_empty()
            && !self.busy
            && self.source.prepare()
            && self.source.next_at().is_none()
        {
            self.exhausted = true;
            self.queues.release_held();
        }
    }

    /// Hands sends to workers while there is room: first those whose `--jitter` has
    /// passed, then the ready queue, where a send with a jitter starts waiting it out
    /// instead (outside the concurrency limit; its lane stays busy meanwhile).
    fn start_attempts(&mut self, now: Instant) {
        self.jitter.release_due(now);
        while self.workers.has_room() {
            let job = if let Some(job) = self.jitter.pop_due() {
                job
            } else if let Some(job) = self.queues.pop_ready() {
                let jitter = self.config.robustness.jitter(self.config.seed, job.seq);
                if !jitter.is_zero() {
                    self.jitter.hold(job, now + jitter);
                    continue;
                }
                job
            } else {
                break;
            };
            let jitter = self.config.robustness.jitter(self.config.seed, job.seq);
            self.workers.launch(job, jitter);
        }
    }

    /// Lets the sink take its periodic checkpoint once it is due.
    fn checkpoint(&mut self, now: Instant) {
        if let Some(at) = self.sink.next_checkpoint()
            && at <= now
        {
            self.sink.checkpoint(now);
        }
    }

    /// The earliest of the next release (`wake`), the next jitter's end and the sink's
    /// next checkpoint.
    fn next_timer(&self, wake: Option<Instant>) -> Option<Instant> {
        [wake, self.jitter.next_due(), self.sink.next_checkpoint()]
            .into_iter()
            .flatten()
            .min()
    }

    /// Whether the phase is over: nothing is left in the backlog, and the source is
    /// exhausted or the run was cancelled.
    fn is_done(&self) -> bool {
        self.queues.backlog() == 0 && (self.exhausted || self.grace_deadline.is_some())
    }

    /// Cancellation: starts the grace period; nothing new is sent, so everything not yet
    /// in flight is cancelled now, in emission order.
    fn cancel(&mut self) {
        self.grace_deadline = Some(Instant::now() + self.config.grace);
        let now = Instant::now();
        let mut waiting = self.queues.drain_waiting();
        self.jitter.drain_into(&mut waiting);
        waiting.sort_by_key(|j| (j.seq, j.duplicate));
        for job in waiting {
            self.queues.finished(job.webhook.lane, self.progress);
            report(self.sink, self.progress, Completion::cancelled(job, now));
        }
    }

    /// Reports the sends the workers finished and frees their lanes (after cancellation
    /// there are no lanes left: they only leave the backlog).
    fn collect_completions(&mut self) {
        for done in self.finished.drain(..) {
            let key = done.job.webhook.lane;
            report(self.sink, self.progress, done);
            if self.grace_deadline.is_none() {
                self.queues.finished(key, self.progress);
            } else {
                self.queues.finished_in_grace();
            }
        }
    }

    /// The grace period ran out: what finished meanwhile keeps its outcome; the rest is
    /// cancelled.
    async fn abort_in_flight(&mut self) {
        for done in self.workers.abort().await {
            report(self.sink, self.progress, done);
        }
    }
}

/// Waits for `wake` to be notified (never, without one).
async fn notified(wake: Option<&Notify>) {
    match wake {
        Some(wake) => wake.notified().await,
        None => std::future::pending().await,
    }
}

/// Waits for the manual clock to be advanced (never, without one).
async fn moved(manual: Option<&ManualClock>) {
    match manual {
        Some(manual) => manual.moved().await,
        None => std::future::pending().await,
    }
}

/// Counts a send's outcome (an original's, not a duplicate's) and hands it to the sink.
fn report(sink: &mut dyn Sink, progress: &LiveCounters, done: Completion) {
    if !done.job.duplicate {
        match done.outcome {
            DeliveryOutcome::Delivered => progress.delivered.fetch_add(1, Ordering::Relaxed),
            DeliveryOutcome::Failed => progress.failed.fetch_add(1, Ordering::Relaxed),
            DeliveryOutcome::Cancelled => 0,
        };
    }
    sink.completed(&done);
}
