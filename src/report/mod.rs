//! The run report: one serde struct (`--report FILE.json`, documented in
//! `docs/report.md`), rendered as text for the terminal. Built by [`collector::Collector`].

pub mod collector;
pub mod contact_center;
pub mod events_log;
pub mod hdr;
pub mod html;
pub mod merge;
pub mod outputs;
pub mod summary;
pub mod theory;
pub mod thresholds;
pub mod timeseries;
pub mod writer;

pub use outputs::OutputOptions;
pub use thresholds::{ThresholdSpec, Thresholds};

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::event::EventKind;
use crate::families::EventFamilies;
use crate::receiver::contract::ContractSummary;
use crate::shard::Shard;
use crate::sim::stats::TypeStats;

/// Everything a run measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// ccsim's version.
    pub ccsim_version: Cow<'static, str>,
    /// The seed (rerun with `--seed` to reproduce).
    pub seed: u64,
    /// The part of the workload this run was (`--shard K/N`; absent for the whole).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    /// The fidelity profile.
    pub profile: String,
    /// The event families sent (`--events`; for `ccsim replay`, those of the events it
    /// replayed). A report of an older ccsim, which sent conversation events only, reads
    /// as `["conversation"]`.
    #[serde(default)]
    pub event_families: EventFamilies,
    /// What was simulated, as a fingerprint of the resolved scenario without its seed
    /// ([`scenario_fingerprint`]): reports with different ones are not merged (empty
    /// for `ccsim replay`).
    #[serde(default)]
    pub scenario: String,
    /// The reports a `ccsim report merge` added up (absent from a run's own report).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged: Option<merge::Merged>,
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
    /// The built-in receiver's contract check (absent with `--target`, and from a merged
    /// report).
    #[serde(skip_serializing_if = "Option::is_none", skip_deserializing)]
    pub contract: Option<ContractSummary>,
    /// Threshold evaluation.
    pub thresholds: Thresholds,
    /// Outputs that could not be written whole (the events log), each naming the file and
    /// the OS error; non-empty means exit 5 (`docs/faults.md`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub output_errors: Vec<String>,
    /// The sending phase over wall-clock time, one row per second (coarser past an hour).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeseries: Option<timeseries::TimeSeries>,
    /// What `ccsim replay` read, replayed and skipped (`ccsim replay` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replay: Option<ReplaySkips>,
}

impl Report {
    /// Notes the event families sent, `None` for the families of the events counted (a
    /// replay sends what its log holds): `event_families`, and every kind of those families
    /// in `events.by_kind` and `events.outcomes_by_kind`, with 0 when none was sent.
    pub fn note_families(&mut self, sent: Option<EventFamilies>) {
        let families = sent.unwrap_or_else(|| {
            self.events
                .by_kind
                .keys()
                .filter_map(|name| EventKind::parse(name))
                .map(EventKind::family)
                .collect()
        });
        self.event_families = families;
        for kind in EventKind::ALL {
            if families.has(kind.family()) {
                let name = Cow::Borrowed(kind.name());
                self.events.by_kind.entry(name.clone()).or_default();
                self.events.outcomes_by_kind.entry(name).or_default();
            }
        }
    }
}

/// What `ccsim replay` replayed of its log, and the lines it skipped (each with a
/// warning on stderr).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplaySkips {
    /// A last line without its newline that is not a whole event: a log cut short.
    pub truncated_lines: u64,
    /// Lines whose `seq` an earlier line already had (the first is replayed).
    pub duplicate_seq: u64,
    /// Events in the log (the extra sends of logged duplicates aside).
    pub logged: u64,
    /// Of those, the delivered ones that `--only-failed` left out.
    pub left_out_delivered: u64,
    /// Of those, the ones of conversations that hash to another shard (`--shard`).
    #[serde(skip_serializing_if = "is_zero")]
    pub other_shards: u64,
    /// Events replayed.
    pub replayed: u64,
}

/// Event counts. Always `emitted = delivered + failed + cancelled`, counting each event
/// once; the extra sends of `--duplicate-rate` are counted apart, with
/// `duplicated = duplicate_outcomes.delivered + .failed + .cancelled`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
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
    pub by_kind: BTreeMap<Cow<'static, str>, u64>,
    /// Outcomes per event name.
    pub outcomes_by_kind: BTreeMap<Cow<'static, str>, KindOutcomes>,
    /// Last-attempt errors of failed events, by description.
    pub errors: BTreeMap<String, u64>,
}

/// The delivery settings that shape the results, and the backlog they produced.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct KindOutcomes {
    /// Delivered.
    pub delivered: u64,
    /// Failed.
    pub failed: u64,
    /// Cancelled.
    pub cancelled: u64,
}

/// Percentiles in milliseconds from an HDR histogram.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
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
    /// The whole histogram (microseconds), HdrHistogram V2 deflate in base64
    /// ([`hdr`](mod@hdr)): what `ccsim report merge` adds up exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hdr: Option<String>,
}

/// Throughput of the sending phase.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Throughput {
    /// Delivered events per wall-clock second.
    pub events_per_s: f64,
    /// Wall-clock seconds of the sending phase.
    pub wall_s: f64,
    /// Simulated seconds covered.
    pub simulated_s: f64,
}

/// Conversation counts.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
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
    pub by_type: BTreeMap<Cow<'static, str>, TypeStats>,
}

/// The fingerprint of what a run simulates (`scenario` in the report): a hash of the
/// resolved scenario with its seed left out and its times taken from its start (which is
/// the wall clock unless the scenario sets one), so runs of one scenario under different
/// seeds share it and runs of different scenarios, rates or agent pools do not.
pub fn scenario_fingerprint(sim: &crate::sim::workload::SimPlan) -> String {
    use crate::time::SimTime;
    use sha2::Digest as _;
    let rebase = |t: SimTime| SimTime::EARLIEST_START + t.since(sim.start);
    let mut unseeded = crate::sim::workload::SimPlan {
        seed: 0,
        start: SimTime::EARLIEST_START,
        ..sim.clone()
    };
    for conversation in &mut unseeded.scripted {
        for step in &mut conversation.steps {
            step.at = rebase(step.at);
        }
    }
    let digest = sha2::Sha256::digest(format!("{unseeded:?}").as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether a count is zero (left out of the JSON).
fn is_zero(n: &u64) -> bool {
    *n == 0
}
