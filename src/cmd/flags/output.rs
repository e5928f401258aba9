//! The report, events log, threshold and quiet flags of the commands that send (`run`,
//! `load`, `replay`).

use std::path::PathBuf;

use clap::Args;

use crate::report::{OutputOptions, ThresholdSpec};
use crate::units::{Probability, Rate, Span};

/// Output and threshold flags shared by the commands that send (`run`, `load`, `replay`).
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Exit 1 when failed/emitted events exceed this share (0 to 1, or a percentage).
    #[arg(
        long,
        env = "CCSIM_MAX_FAILURE_RATE",
        value_name = "R",
        default_value = "0"
    )]
    pub max_failure_rate: Probability,

    /// Exit 1 when the p99 latency (from the scheduled send time, so including ccsim's
    /// own backlog at --speed max) exceeds this.
    #[arg(long, env = "CCSIM_MAX_P99", value_name = "DURATION")]
    pub max_p99: Option<Span>,

    /// Exit 1 when the p99 service time (first attempt to answer: the receiver's own
    /// time, the gate to use at --speed max) exceeds this.
    #[arg(long, env = "CCSIM_MAX_SERVICE_P99", value_name = "DURATION")]
    pub max_service_p99: Option<Span>,

    /// Exit 1 when fewer events than this are delivered per wall-clock second.
    #[arg(long, env = "CCSIM_MIN_THROUGHPUT", value_name = "N/s")]
    pub min_throughput: Option<Rate>,

    /// Write the JSON report here (see docs/report.md).
    #[arg(long, env = "CCSIM_REPORT", value_name = "FILE.json")]
    pub report: Option<PathBuf>,

    /// While the run goes on, rewrite --report this often with a partial report
    /// (`"partial": true`) and flush the events log; 0s writes it only at the end.
    #[arg(
        long,
        env = "CCSIM_REPORT_INTERVAL",
        value_name = "DURATION",
        default_value = "10s"
    )]
    pub report_interval: Span,

    /// Write one JSON line per event here (see docs/report.md).
    #[arg(long, env = "CCSIM_EVENTS_LOG", value_name = "FILE.jsonl")]
    pub events_log: Option<PathBuf>,

    /// No progress line and no summary (the report and exit code still tell).
    #[arg(long, short, env = "CCSIM_QUIET")]
    pub quiet: bool,
}

impl OutputArgs {
    /// The output options these flags ask for.
    pub fn options(&self) -> OutputOptions {
        OutputOptions {
            report: self.report.clone(),
            events_log: self.events_log.clone(),
            thresholds: self.thresholds(),
            report_interval: self.report_interval(),
            quiet: self.quiet,
            summary: true,
        }
    }

    /// `--report-interval`, if periodic reports are asked for.
    fn report_interval(&self) -> Option<std::time::Duration> {
        (self.report.is_some() && self.report_interval > Span::ZERO)
            .then(|| self.report_interval.as_std())
    }

    /// The thresholds these flags ask for.
    fn thresholds(&self) -> ThresholdSpec {
        ThresholdSpec {
            max_failure_rate: self.max_failure_rate.get(),
            max_p99: self.max_p99,
            max_service_p99: self.max_service_p99,
            min_throughput: self.min_throughput,
        }
    }
}
