//! The one owner of the run's measurements: counters per kind and outcome, HDR histograms
//! of latency, service time and schedule lateness, and the events log. Fed by the
//! delivery dispatcher through [`Sink`]; turned into a [`Report`] at the end.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use hdrhistogram::Histogram;

use super::contact_center::ContactCenter;
use super::events_log::EventsLog;
use super::{Conversations, EventCounts, Percentiles, Report, Thresholds, Throughput};
use crate::delivery::{Completion, DeliveryOutcome, Job, Progress, Sink};
use crate::sim::stats::SimStats;
use crate::units::Span;

/// Collects measurements during the run.
pub struct Collector {
    counts: EventCounts,
    latency: Histogram<u64>,
    service: Histogram<u64>,
    lateness: Histogram<u64>,
    log: Option<EventsLog>,
    log_error: Option<std::io::Error>,
    /// Where the live p99 is published for the progress line.
    progress: Option<Arc<Progress>>,
}

/// How often (in delivered events) the live p99 is recomputed.
const P99_REFRESH: u64 = 256;

fn histogram() -> Histogram<u64> {
    // Microseconds, 1 µs to 1 hour, 3 significant digits; saturating beyond.
    Histogram::new_with_bounds(1, 3_600_000_000, 3)
        .unwrap_or_else(|_| Histogram::new(3).unwrap_or_else(|_| unreachable!()))
}

fn record(h: &mut Histogram<u64>, d: std::time::Duration) {
    let micros = u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1);
    h.saturating_record(micros);
}

fn percentiles(h: &Histogram<u64>) -> Percentiles {
    if h.is_empty() {
        return Percentiles::default();
    }
    let ms = |v: u64| v as f64 / 1000.0;
    Percentiles {
        count: h.len(),
        mean: h.mean() / 1000.0,
        p50: ms(h.value_at_quantile(0.50)),
        p90: ms(h.value_at_quantile(0.90)),
        p99: ms(h.value_at_quantile(0.99)),
        p999: ms(h.value_at_quantile(0.999)),
        max: ms(h.max()),
    }
}

impl Collector {
    /// A collector, writing the events log if given.
    pub fn new(log: Option<EventsLog>) -> Self {
        Self {
            counts: EventCounts::default(),
            latency: histogram(),
            service: histogram(),
            lateness: histogram(),
            log,
            log_error: None,
            progress: None,
        }
    }

    /// Publishes the p99 latency so far to `progress` as events are delivered.
    pub fn with_progress(mut self, progress: Arc<Progress>) -> Self {
        self.progress = Some(progress);
        self
    }

    /// Event counts so far.
    pub fn counts(&self) -> &EventCounts {
        &self.counts
    }

    /// Flushes the events log; reports the first write error, if any.
    pub fn finish_log(&mut self) -> std::io::Result<()> {
        if let Some(e) = self.log_error.take() {
            return Err(e);
        }
        match &mut self.log {
            Some(log) => log.flush(),
            None => Ok(()),
        }
    }

    /// Builds the report. `thresholds.breached` is left for the caller to fill.
    pub fn report(&self, sim: &SimStats, wall_s: f64, sl_threshold: Span) -> Report {
        let mut conversations = Conversations::default();
        for (kind, ts) in &sim.by_type {
            conversations.offered += ts.offered;
            conversations.started += ts.started;
            conversations.ended += ts.ended;
            conversations.failed += ts.failed;
            conversations.by_type.insert(kind.as_str(), ts.clone());
        }
        Report {
            ccsim_version: env!("CARGO_PKG_VERSION"),
            seed: 0,
            profile: String::new(),
            speed: String::new(),
            target: String::new(),
            api: None,
            interrupted: false,
            delivery: super::DeliverySummary::default(),
            events: self.counts.clone(),
            latency_ms: percentiles(&self.latency),
            service_time_ms: percentiles(&self.service),
            schedule_lateness_ms: percentiles(&self.lateness),
            throughput: Throughput {
                events_per_s: if wall_s > 0.0 {
                    self.counts.delivered as f64 / wall_s
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
        *self
            .counts
            .by_kind
            .entry(job.webhook.kind.name())
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
        let kind = self
            .counts
            .outcomes_by_kind
            .entry(c.job.webhook.kind.name())
            .or_default();
        match c.outcome {
            DeliveryOutcome::Delivered => {
                kind.delivered += 1;
                self.counts.delivered += 1;
                record(
                    &mut self.latency,
                    c.done.saturating_duration_since(c.job.scheduled),
                );
                if let Some(p) = &self.progress
                    && (self.latency.len() < 4 * P99_REFRESH
                        || self.latency.len().is_multiple_of(P99_REFRESH))
                {
                    p.p99_us
                        .store(self.latency.value_at_quantile(0.99), Ordering::Relaxed);
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
}

impl Collector {
    fn write_log(&mut self, c: &Completion) {
        if let Some(log) = &mut self.log
            && let Err(e) = log.write(c)
        {
            self.log_error.get_or_insert(e);
            self.log = None;
        }
    }
}
