//! The threshold flags (`--max-failure-rate`, `--max-p99`, `--max-service-p99`,
//! `--min-throughput`) of the commands that send and of `ccsim report merge`.

use clap::Args;

use crate::report::ThresholdSpec;
use crate::units::{Probability, Rate, Span};

/// Thresholds that decide exit code 1.
#[derive(Debug, Clone, Args)]
pub struct ThresholdArgs {
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
}

impl ThresholdArgs {
    /// The thresholds these flags ask for.
    pub fn spec(&self) -> ThresholdSpec {
        ThresholdSpec {
            max_failure_rate: self.max_failure_rate.get(),
            max_p99: self.max_p99,
            max_service_p99: self.max_service_p99,
            min_throughput: self.min_throughput,
        }
    }
}
