//! The run report: one serde struct (`--report FILE.json`, documented in
//! `docs/report.md`), rendered as text for the terminal. Built by [`collector::Collector`].

pub mod collector;
pub mod contact_center;
pub mod events_log;
pub mod outputs;
pub mod thresholds;
pub mod writer;

pub use outputs::OutputOptions;
pub use thresholds::{ThresholdSpec, Thresholds};

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::receiver::contract::ContractSummary;
use crate::sim::stats::TypeStats;

/// Everything a run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// ccsim's version.
    pub ccsim_version: &'static str,
    /// The seed (rerun with `--seed` to reproduce).
    pub seed: u64,
    /// The fidelity profile.
    pub profile: String,
    /// Simulation speed (`max` or a factor).
    pub speed: String,
    /// Where events went.
    pub target: String,
    /// The fake platform API's bound address (absent with `--api off`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api: Option<String>,
    /// Whether the run was interrupted.
    pub interrupted: bool,
    /// Whether this is a periodic snapshot of a run still going (`--report-interval`);
    /// conversation and contact-centre figures are filled only in the final report.
    pub partial: bool,
    /// How events were delivered.
    pub delivery: DeliverySummary,
    /// Event counts.
    pub events: EventCounts,
    /// Latency from each event's scheduled send time to its outcome (delivered events).
    pub latency_ms: Percentiles,
    /// Time from the first attempt to the outcome (delivered events).
    pub service_time_ms: Percentiles,
    /// How late each event's first attempt started relative to its schedule.
    pub schedule_lateness_ms: Percentiles,
    /// Delivered events per wall-clock second of the sending phase.
    pub throughput: Throughput,
    /// Conversation counts.
    pub conversations: Conversations,
    /// Contact-centre figures.
    pub contact_center: contact_center::ContactCenter,
    /// The built-in receiver's contract check (absent with `--target`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contract: Option<ContractSummary>,
    /// Threshold evaluation.
    pub thresholds: Thresholds,
    /// Outputs that could not be written whole (the events log), each naming the file and
    /// the OS error; non-empty means exit 5 (`docs/faults.md`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub output_errors: Vec<String>,
    /// Lines of the replayed log that were skipped (`ccsim replay` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replay: Option<ReplaySkips>,
}

/// Lines `ccsim replay` skipped, each with a warning on stderr.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ReplaySkips {
    /// A last line without its newline that is not a whole event: a log cut short.
    pub truncated_lines: u64,
    /// Lines whose `seq` an earlier line already had (the first is replayed).
    pub duplicate_seq: u64,
}

/// Event counts. Always `emitted = delivered + failed + cancelled`, counting each event
/// once; the extra sends of `--duplicate-rate` are counted apart, with
/// `duplicated = duplicate_outcomes.delivered + .failed + .cancelled`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct EventCounts {
    /// Events released by the scheduler.
    pub emitted: u64,
    /// Accepted by the receiver.
    pub delivered: u64,
    /// Every attempt failed.
    pub failed: u64,
    /// Not sent because the run was interrupted.
    pub cancelled: u64,
    /// Attempts beyond the first, over all sends (duplicates included).
    pub retries: u64,
    /// Extra sends made by `--duplicate-rate` (not part of `emitted`).
    pub duplicated: u64,
    /// Outcomes of those extra sends.
    pub duplicate_outcomes: KindOutcomes,
    /// Swaps made by `--reorder-rate` (each moves one event after its successor).
    pub reordered: u64,
    /// Sends that waited a nonzero `--jitter` before their first attempt.
    pub jittered: u64,
    /// Emitted events per event name.
    pub by_kind: BTreeMap<&'static str, u64>,
    /// Outcomes per event name.
    pub outcomes_by_kind: BTreeMap<&'static str, KindOutcomes>,
    /// Last-attempt errors of failed events, by description.
    pub errors: BTreeMap<String, u64>,
}

/// The delivery settings that shape the results, and the backlog they produced.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DeliverySummary {
    /// `per-conversation` or `none`.
    pub ordering: String,
    /// Number of Standard Webhooks secrets each request was signed with (0: unsigned).
    pub signing_secrets: usize,
    /// The backlog bound: most sends emitted but not finished.
    pub max_backlog: u64,
    /// The largest backlog reached (never above `max_backlog`).
    pub peak_backlog: u64,
}

/// Outcomes of one event kind.
#[derive(Debug, Clone, Default, Serialize)]
pub struct KindOutcomes {
    /// Delivered.
    pub delivered: u64,
    /// Failed.
    pub failed: u64,
    /// Cancelled.
    pub cancelled: u64,
}

/// Percentiles in milliseconds from an HDR histogram.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Percentiles {
    /// Samples.
    pub count: u64,
    /// Mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Maximum.
    pub max: f64,
}

/// Throughput of the sending phase.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Throughput {
    /// Delivered events per wall-clock second.
    pub events_per_s: f64,
    /// Wall-clock seconds of the sending phase.
    pub wall_s: f64,
    /// Simulated seconds covered.
    pub simulated_s: f64,
}

/// Conversation counts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Conversations {
    /// Attempts of all types.
    pub offered: u64,
    /// Began.
    pub started: u64,
    /// Ended after beginning.
    pub ended: u64,
    /// Never began.
    pub failed: u64,
    /// Per type.
    pub by_type: BTreeMap<&'static str, TypeStats>,
}

impl Report {
    /// Renders the end-of-run summary for a terminal.
    pub fn render_text(&self) -> String {
        let mut s = String::new();
        let e = &self.events;
        let _ = writeln!(
            s,
            "ccsim {} · profile {} · seed {} · speed {}",
            self.ccsim_version, self.profile, self.seed, self.speed
        );
        let _ = writeln!(s, "target: {}", self.target);
        if let Some(api) = &self.api {
            let _ = writeln!(s, "api:    http://{api}/ (fake platform API)");
        }
        if self.interrupted {
            let _ = writeln!(s, "INTERRUPTED: partial results");
        }
        for e in &self.output_errors {
            let _ = writeln!(s, "OUTPUT ERROR: {e}");
        }
        if let Some(r) = &self.replay
            && r.truncated_lines + r.duplicate_seq > 0
        {
            let _ = writeln!(
                s,
                "replay skipped {} truncated line(s) and {} line(s) with a duplicate seq",
                r.truncated_lines, r.duplicate_seq
            );
        }
        let _ = writeln!(
            s,
            "\nevents      emitted {}  delivered {}  failed {}  cancelled {}  retries {}",
            e.emitted, e.delivered, e.failed, e.cancelled, e.retries
        );
        for (name, n) in &e.by_kind {
            let o = e.outcomes_by_kind.get(name).cloned().unwrap_or_default();
            let _ = writeln!(
                s,
                "  {name:<40} {n:>7}  (delivered {}, failed {}, cancelled {})",
                o.delivered, o.failed, o.cancelled
            );
        }
        for (err, n) in &e.errors {
            let _ = writeln!(s, "  failure: {err} ×{n}");
        }
        if e.duplicated + e.reordered + e.jittered > 0 {
            let d = &e.duplicate_outcomes;
            let _ = writeln!(
                s,
                "robustness  duplicated {} (delivered {}, failed {}, cancelled {})  reordered {}  jittered {}",
                e.duplicated, d.delivered, d.failed, d.cancelled, e.reordered, e.jittered
            );
        }
        let l = &self.latency_ms;
        let _ = writeln!(
            s,
            "latency ms  p50 {:.2}  p90 {:.2}  p99 {:.2}  p99.9 {:.2}  max {:.2}  (from scheduled send time, n={})",
            l.p50, l.p90, l.p99, l.p999, l.max, l.count
        );
        let t = &self.throughput;
        let _ = writeln!(
            s,
            "throughput  {:.0} events/s over {:.2}s wall ({:.0}s simulated)",
            t.events_per_s, t.wall_s, t.simulated_s
        );
        let c = &self.conversations;
        let _ = writeln!(
            s,
            "\nconversations offered {}  began {}  ended {}  never began {}",
            c.offered, c.started, c.ended, c.failed
        );
        for (kind, ts) in &c.by_type {
            let outcomes: Vec<String> = ts
                .by_outcome
                .iter()
                .map(|(o, n)| {
                    format!(
                        "{} {n}",
                        serde_json::to_value(o)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_owned))
                            .unwrap_or_default()
                    )
                })
                .collect();
            let _ = writeln!(
                s,
                "  {kind:<11} offered {:>4}  began {:>4}  ended {:>4}  failed {:>4}  [{}]",
                ts.offered,
                ts.started,
                ts.ended,
                ts.failed,
                outcomes.join(", ")
            );
        }
        let cc = &self.contact_center;
        let f = &cc.inbound;
        if f.offered > 0 {
            let _ = writeln!(
                s,
                "contact centre (queue): offered {}  answered {}  abandoned {}  timed out {}  waited {:.1}%  ASA {:.1}s  SL {:.1}% within {}s  occupancy {:.1}% of {} agents",
                f.offered,
                f.answered,
                f.abandoned,
                f.timed_out,
                100.0 * f.p_wait,
                f.mean_wait_s,
                100.0 * f.service_level,
                cc.sl_threshold_s,
                100.0 * cc.occupancy,
                cc.agents
            );
        }
        if let Some(contract) = &self.contract {
            if contract.held() {
                let _ = writeln!(
                    s,
                    "\ncontract    held: {} events in {} conversations checked by the built-in receiver",
                    contract.events, contract.conversations
                );
            } else {
                let _ = writeln!(
                    s,
                    "\ncontract    VIOLATED: {} violations, {} unterminated conversations",
                    contract.violations, contract.unterminated
                );
                for ex in &contract.examples {
                    let _ = writeln!(s, "  {ex}");
                }
            }
        }
        if self.thresholds.breached.is_empty() {
            let _ = writeln!(s, "result      ok");
        } else {
            for b in &self.thresholds.breached {
                let _ = writeln!(s, "result      FAILED: {b}");
            }
        }
        s
    }
}
