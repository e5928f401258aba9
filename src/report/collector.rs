//! The one owner of the run's measurements: counters per kind and outcome, HDR histograms
//! of latency, service time and schedule lateness, and the events log's lines. Fed by the
//! delivery dispatcher through [`Sink`]; turned into a [`Report`] at the end. Files are
//! written by the output writer's thread ([`super::writer`]), never here: the lines go to
//! it in batches (at most [`LOG_BATCH_AGE`] old), the snapshots as they fall due.

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use hdrhistogram::Histogram;
use tokio::time::Instant;

use super::contact_center::ContactCenter;
use super::events_log::EventsLog;
use tokio_util::sync::CancellationToken;

use super::hdr::{histogram, percentiles};
use super::timeseries::{SeriesBuilder, TimeSeries};
use super::writer::{BATCH, Busy, OutputWriter, WriteFailures};
use super::{Conversations, EventCounts, Report, Thresholds, Throughput};
use crate::delivery::{Completion, DeliveryOutcome, Job, LiveCounters, Sink};
use crate::shard::Shard;
use crate::sim::stats::SimStats;
use crate::units::Span;

/// Collects measurements during the run.
pub struct Collector {
    counts: EventCounts,
    latency: Histogram<u64>,
    service: Histogram<u64>,
    lateness: Histogram<u64>,
    /// The events log's format, when there is one.
    log: Option<EventsLog>,
    /// Whole lines not yet handed to the writer, and when they must be.
    batch: Vec<u8>,
    batch_due: Option<Instant>,
    /// Writes the log and the snapshots off the runtime.
    writer: Option<OutputWriter>,
    /// Fired by an interrupt: stop waiting for a log that takes no writes.
    hurry: CancellationToken,
    /// Why lines were dropped, when the log took no writes after an interrupt.
    abandoned: Option<String>,
    /// Where the live p99 is published for the progress line, and when next.
    progress: Option<(Arc<LiveCounters>, Instant)>,
    /// Periodic partial reports (`--report-interval`).
    checkpoints: Option<Checkpoints>,
    /// The run over wall-clock time.
    series: SeriesBuilder,
}

impl std::fmt::Debug for Collector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Collector")
            .field("counts", &self.counts)
            .finish_non_exhaustive()
    }
}

/// What a report says about the run itself (filled in partial and final reports alike).
#[derive(Debug, Clone, Default)]
pub struct ReportMeta {
    /// The seed.
    pub seed: u64,
    /// The part of the workload (`--shard`), if not the whole.
    pub shard: Option<Shard>,
    /// The fidelity profile's name.
    pub profile: String,
    /// The event families sent; `None`: those of the events counted (a replay).
    pub families: Option<crate::families::EventFamilies>,
    /// `--speed` as text.
    pub speed: String,
    /// Where events go.
    pub target: String,
    /// The service-level threshold.
    pub sl_threshold: Span,
}

/// Periodic rewriting of the report file while the run goes on.
struct Checkpoints {
    every: Duration,
    meta: ReportMeta,
    start: Instant,
    next: Instant,
}

/// How often the live p99 is recomputed: a quantile walks the whole histogram, too dear
/// for every event, and the progress line shows it once a second at most.
const P99_REFRESH: Duration = Duration::from_millis(200);

/// The oldest a log line waits in the collector before it is handed to the writer: what a
/// second interrupt or a kill may lose of the log.
pub const LOG_BATCH_AGE: Duration = Duration::from_millis(200);

/// Lines kept in the collector while the writer's queue is full before the collector
/// waits for it: a disk slower than the events for this long slows the run down.
const MAX_HELD: usize = 32 * 1024 * 1024;

fn record(h: &mut Histogram<u64>, d: std::time::Duration) {
    let micros = u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1);
    h.saturating_record(micros);
}

impl Collector {
    /// A collector writing through `writer` (the events log's lines when `log` is set,
    /// the snapshots of [`Collector::with_checkpoints`]).
    pub fn new(writer: Option<OutputWriter>, log: bool) -> Self {
        Self {
            counts: EventCounts::default(),
            latency: histogram(),
            service: histogram(),
            lateness: histogram(),
            log: (log && writer.is_some()).then(EventsLog::new),
            batch: Vec::new(),
            batch_due: None,
            writer,
            hurry: CancellationToken::new(),
            abandoned: None,
            progress: None,
            checkpoints: None,
            series: SeriesBuilder::new(),
        }
    }

    /// Has the writer replace the report with a partial one every `every` (from now), so
    /// a killed run leaves usable data.
    pub fn with_checkpoints(mut self, every: Duration, meta: ReportMeta) -> Self {
        let start = Instant::now();
        self.checkpoints = Some(Checkpoints {
            every,
            meta,
            start,
            next: start + every,
        });
        self
    }

    /// Publishes the p99 latency so far to `progress` as events are delivered.
    pub fn with_progress(mut self, progress: Arc<LiveCounters>) -> Self {
        self.progress = Some((progress, Instant::now()));
        self
    }

    /// Event counts so far.
    pub fn counts(&self) -> &EventCounts {
        &self.counts
    }

    /// Hands the last lines to the writer and waits (off the runtime) until everything is
    /// written, or, once `hurry` fires, [`super::writer::STUCK_WAIT`] at most; returns
    /// what could not be.
    pub async fn finish_writing(&mut self, hurry: &CancellationToken) -> WriteFailures {
        self.log = None;
        let mut failures = match self.writer.take() {
            Some(w) => w.finish(std::mem::take(&mut self.batch), hurry).await,
            None => WriteFailures::default(),
        };
        if failures.events_log.is_none() {
            failures.events_log = self.abandoned.take();
        }
        failures
    }

    /// Gives up waiting for a full log queue once `hurry` fires (an interrupt): the lines
    /// not written are then dropped and the log reported as failed.
    pub fn with_hurry(mut self, hurry: CancellationToken) -> Self {
        self.hurry = hurry;
        self
    }

    /// Builds the report. `thresholds.breached` is left for the caller to fill.
    pub fn report(&self, sim: &SimStats, wall_s: f64, sl_threshold: Span) -> Report {
        Tallies::of(self).report(sim, wall_s, sl_threshold)
    }
}

/// What a report is built from: the collector's counters and histograms, borrowed for the
/// final report or copied (a few hundred kilobytes) for a snapshot, which is then built on
/// the snapshots' thread: walking and compressing the histograms takes milliseconds, and
/// every event due meanwhile would wait for them on the sending thread.
struct Tallies<'a> {
    counts: Cow<'a, EventCounts>,
    latency: Cow<'a, Histogram<u64>>,
    service: Cow<'a, Histogram<u64>>,
    lateness: Cow<'a, Histogram<u64>>,
    series: TimeSeries,
}

impl<'a> Tallies<'a> {
    fn of(c: &'a Collector) -> Self {
        Self {
            counts: Cow::Borrowed(&c.counts),
            latency: Cow::Borrowed(&c.latency),
            service: Cow::Borrowed(&c.service),
            lateness: Cow::Borrowed(&c.lateness),
            series: c.series.snapshot(),
        }
    }

    fn owned(self) -> Tallies<'static> {
        Tallies {
            counts: Cow::Owned(self.counts.into_owned()),
            latency: Cow::Owned(self.latency.into_owned()),
            service: Cow::Owned(self.service.into_owned()),
            lateness: Cow::Owned(self.lateness.into_owned()),
            series: self.series,
        }
    }

    fn report(self, sim: &SimStats, wall_s: f64, sl_threshold: Span) -> Report {
        let delivered = self.counts.delivered;
        let mut conversations = Conversations::default();
        for (kind, ts) in &sim.by_type {
            conversations.offered += ts.offered;
            conversations.started += ts.started;
            conversations.ended += ts.ended;
            conversations.failed += ts.failed;
            conversations
                .by_type
                .insert(Cow::Borrowed(kind.as_str()), ts.clone());
        }
        Report {
            ccsim_version: Cow::Borrowed(env!("CARGO_PKG_VERSION")),
            seed: 0,
            shard: None,
            profile: String::new(),
            event_families: crate::families::EventFamilies::default(),
            scenario: String::new(),
            merged: None,
            speed: String::new(),
            target: String::new(),
            api: None,
            interrupted: false,
            partial: false,
            delivery: super::DeliverySummary::default(),
            events: self.counts.into_owned(),
            latency_ms: percentiles(&self.latency),
            service_time_ms: percentiles(&self.service),
            schedule_lateness_ms: percentiles(&self.lateness),
            throughput: Throughput {
                events_per_s: if wall_s > 0.0 {
                    delivered as f64 / wall_s
                } else {
                    0.0
                },
                wall_s,
                simulated_s: sim.simulated_s,
            },
            conversations,
            contact_center: ContactCenter::from_stats(sim, sl_threshold),
            contract: None,
            thresholds: Thresholds::default(),
            output_errors: Vec::new(),
            timeseries: Some(self.series),
            replay: None,
        }
    }
}

impl Sink for Collector {
    fn duplicated(&mut self, _job: &Job) {
        self.counts.duplicated += 1;
    }

    fn reordered(&mut self, _held: &Job, _next: &Job) {
        self.counts.reordered += 1;
    }

    fn emitted(&mut self, job: &Job) {
        self.counts.emitted += 1;
        self.series.sent(Instant::now());
        *self
            .counts
            .by_kind
            .entry(Cow::Borrowed(job.webhook.kind.name()))
            .or_default() += 1;
    }

    fn completed(&mut self, c: &Completion) {
        self.counts.retries += u64::from(c.attempts.saturating_sub(1));
        if !c.jitter.is_zero() {
            self.counts.jittered += 1;
        }
        if c.job.duplicate {
            let d = &mut self.counts.duplicate_outcomes;
            match c.outcome {
                DeliveryOutcome::Delivered => d.delivered += 1,
                DeliveryOutcome::Failed => d.failed += 1,
                DeliveryOutcome::Cancelled => d.cancelled += 1,
            }
            self.write_log(c);
            return;
        }
        let latency = c.done.saturating_duration_since(c.job.scheduled);
        self.series.finished(
            c.done,
            (c.outcome == DeliveryOutcome::Delivered).then_some(latency),
            c.outcome == DeliveryOutcome::Failed,
        );
        let kind = self
            .counts
            .outcomes_by_kind
            .entry(Cow::Borrowed(c.job.webhook.kind.name()))
            .or_default();
        match c.outcome {
            DeliveryOutcome::Delivered => {
                kind.delivered += 1;
                self.counts.delivered += 1;
                record(&mut self.latency, latency);
                if let Some((p, next)) = &mut self.progress
                    && c.done >= *next
                {
                    p.p99_us
                        .store(self.latency.value_at_quantile(0.99), Ordering::Relaxed);
                    *next = c.done + P99_REFRESH;
                }
                if let Some(sent) = c.first_sent {
                    record(&mut self.service, c.done.saturating_duration_since(sent));
                }
            }
            DeliveryOutcome::Failed => {
                kind.failed += 1;
                self.counts.failed += 1;
                let err = c
                    .last
                    .as_ref()
                    .map(|r| r.describe())
                    .unwrap_or_else(|| "unknown".into());
                *self.counts.errors.entry(err).or_default() += 1;
            }
            DeliveryOutcome::Cancelled => {
                kind.cancelled += 1;
                self.counts.cancelled += 1;
            }
        }
        if let Some(sent) = c.first_sent {
            // The --jitter wait is asked for, not lateness.
            let sent = sent.checked_sub(c.jitter).unwrap_or(sent);
            record(
                &mut self.lateness,
                sent.saturating_duration_since(c.job.scheduled),
            );
        }
        self.write_log(c);
    }

    fn next_checkpoint(&self) -> Option<Instant> {
        [self.checkpoints.as_ref().map(|c| c.next), self.batch_due]
            .into_iter()
            .flatten()
            .min()
    }

    fn checkpoint(&mut self, now: Instant) {
        if self.batch_due.is_some_and(|due| due <= now) {
            self.hand_off(now);
        }
        let Some(cp) = self.checkpoints.take_if(|cp| cp.next <= now) else {
            return;
        };
        let wall = now.saturating_duration_since(cp.start).as_secs_f64();
        // The log's lines go out with each snapshot: a killed run's log is as recent.
        self.hand_off(now);
        if let Some(writer) = self.writer.as_ref().filter(|w| w.takes_snapshots()) {
            let tallies = Tallies::of(self).owned();
            let meta = cp.meta.clone();
            writer.try_snapshot(move || {
                let mut report = tallies.report(&SimStats::default(), wall, meta.sl_threshold);
                report.seed = meta.seed;
                report.shard = meta.shard;
                report.profile = meta.profile;
                report.note_families(meta.families);
                report.speed = meta.speed;
                report.target = meta.target;
                report.partial = true;
                serde_json::to_vec_pretty(&report).ok()
            });
        }
        self.checkpoints = Some(Checkpoints {
            next: now + cp.every,
            ..cp
        });
    }
}

impl Collector {
    fn write_log(&mut self, c: &Completion) {
        let Some(log) = &self.log else { return };
        if log.append(c, &mut self.batch).is_err() {
            return;
        }
        if self.batch.len() >= BATCH {
            self.hand_off(c.done);
        } else if self.batch_due.is_none() {
            self.batch_due = Some(c.done + LOG_BATCH_AGE);
        }
    }

    /// Hands the batch of lines to the writer without waiting; if its queue is full the
    /// lines stay here (due again shortly), unless too many are held already: then the
    /// collector waits for the disk.
    fn hand_off(&mut self, now: Instant) {
        let Some(writer) = &self.writer else { return };
        self.batch_due = None;
        if self.batch.is_empty() {
            return;
        }
        // The next batch starts at its full size: no regrowing on the hot path.
        let lines = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH + BATCH / 4));
        match writer.try_lines(lines) {
            Ok(()) => {}
            Err(Busy(lines)) if lines.len() > MAX_HELD => {
                if let Err(Busy(lines)) = writer.lines_waiting(lines, &self.hurry) {
                    self.abandoned = Some(format!(
                        "the events log took no writes after the interrupt: its last {} KiB of lines were dropped",
                        lines.len() / 1024
                    ));
                    self.log = None;
                }
            }
            Err(Busy(lines)) => {
                self.batch = lines;
                self.batch_due = Some(now + LOG_BATCH_AGE);
            }
        }
    }
}
