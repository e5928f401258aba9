//! [`OutputOptions`]: where a sending command writes its report and events log, how often
//! it rewrites the report while it runs, the thresholds that decide its exit code, and
//! whether it prints progress and a summary. Built from the output flags; the plan carries
//! it and the sending phase reads it.

use std::path::PathBuf;
use std::time::Duration;

use super::ThresholdSpec;

/// The report, events log, thresholds and quietness of one run.
#[derive(Debug, Clone)]
pub struct OutputOptions {
    /// JSON report path.
    pub report: Option<PathBuf>,
    /// Self-contained HTML report path (`--html`), written with the final report.
    pub html: Option<PathBuf>,
    /// Events log path.
    pub events_log: Option<PathBuf>,
    /// Thresholds that decide the exit code.
    pub thresholds: ThresholdSpec,
    /// How often the report is rewritten while the run goes on.
    pub report_interval: Option<Duration>,
    /// No banner, no progress line and no summary.
    pub quiet: bool,
    /// Whether to print the progress line and the end-of-run summary (unless `quiet`):
    /// `serve`, whose output is its records, prints only its banner.
    pub summary: bool,
}

impl OutputOptions {
    /// Whether the progress line and the summary are printed.
    pub fn progress_and_summary(&self) -> bool {
        !self.quiet && self.summary
    }
}
