//! The report, events log, threshold and quiet flags of the commands that send (`run`,
//! `load`, `replay`).

use std::path::{Path, PathBuf};

use clap::Args;

use super::given::Given;
use super::thresholds::ThresholdArgs;
use crate::error::UsageError;
use crate::files::refuse_clashes;
use crate::report::OutputOptions;
use crate::units::Span;

/// Output and threshold flags shared by the commands that send (`run`, `load`, `replay`).
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// The thresholds that decide exit code 1.
    #[command(flatten)]
    pub thresholds: ThresholdArgs,

    /// Write the JSON report here (see docs/report.md).
    #[arg(long, env = "CCSIM_REPORT", value_name = "FILE.json")]
    pub report: Option<PathBuf>,

    /// Write the final report as one self-contained HTML page with charts, openable
    /// with no network (see docs/report.md).
    #[arg(long, env = "CCSIM_HTML", value_name = "FILE.html")]
    pub html: Option<PathBuf>,

    /// While the run goes on, replace --report this often with a partial report
    /// (`"partial": true`); at least 100ms; 0s writes it only at the end. Only with
    /// --report (from the environment alone it is ignored without one).
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

    /// The flags the command line named (filled by `cli::parse_from`).
    #[arg(skip)]
    pub given: Given,
}

/// The shortest `--report-interval`: a snapshot is a whole report written and renamed,
/// and more than ten a second serves no reader.
pub const MIN_REPORT_INTERVAL: Span = Span::from_millis(100);

impl OutputArgs {
    /// The output options these flags ask for, for a command that reads `inputs` (`(flag
    /// or argument name, path)`): an output that is an input or another output is refused,
    /// naming both.
    pub fn options(&self, inputs: &[(&str, &Path)]) -> Result<OutputOptions, UsageError> {
        let mut outputs = Vec::new();
        if let Some(path) = &self.report {
            outputs.push(("--report", path.as_path()));
        }
        if let Some(path) = &self.html {
            outputs.push(("--html", path.as_path()));
        }
        if let Some(path) = &self.events_log {
            outputs.push(("--events-log", path.as_path()));
        }
        refuse_clashes(inputs, &outputs)?;
        // A bad value first: it is wrong whatever else is given.
        let report_interval = self.report_interval()?;
        if self.given.has("--report-interval") && self.report.is_none() {
            return Err(UsageError(
                "--report-interval sets how often --report is rewritten during the run, but \
                 no --report is given: add --report FILE.json, or drop --report-interval"
                    .into(),
            ));
        }
        Ok(OutputOptions {
            report: self.report.clone(),
            html: self.html.clone(),
            events_log: self.events_log.clone(),
            thresholds: self.thresholds.spec(),
            report_interval,
            quiet: self.quiet,
            summary: true,
        })
    }

    /// `--report-interval`, if periodic reports are asked for.
    fn report_interval(&self) -> Result<Option<std::time::Duration>, UsageError> {
        let every = self.report_interval;
        if every > Span::ZERO && every < MIN_REPORT_INTERVAL {
            return Err(UsageError(format!(
                "--report-interval: {every} is too short: at least {MIN_REPORT_INTERVAL}, or 0s for the final report only"
            )));
        }
        Ok((self.report.is_some() && every > Span::ZERO).then(|| every.as_std()))
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct OutputCli {
        #[command(flatten)]
        output: OutputArgs,
    }

    fn options(args: &[&str]) -> Result<OutputOptions, String> {
        let cli = OutputCli::try_parse_from(std::iter::once("x").chain(args.iter().copied()))
            .map_err(|e| e.to_string())?;
        cli.output.options(&[]).map_err(|e| e.0)
    }

    #[test]
    fn a_report_interval_below_the_minimum_is_refused_naming_the_flag() {
        let err = options(&["--report", "r.json", "--report-interval", "100us"]).unwrap_err();
        assert!(
            err.starts_with("--report-interval: ") && err.contains("at least 100ms"),
            "{err}"
        );
        assert!(
            options(&["--report-interval", "99ms"]).is_err(),
            "even without --report"
        );
        let ok = options(&["--report", "r.json", "--report-interval", "100ms"]).unwrap();
        assert_eq!(
            ok.report_interval,
            Some(std::time::Duration::from_millis(100))
        );
        let end_only = options(&["--report", "r.json", "--report-interval", "0s"]).unwrap();
        assert_eq!(end_only.report_interval, None);
    }

    /// Options of `args` as `cli::parse_from` would parse them (given flags recorded).
    fn options_given(args: &[&str]) -> Result<OutputOptions, String> {
        let (mut cli, given) = crate::cmd::flags::given::parse_with_given::<OutputCli>(args)?;
        cli.output.given = given;
        cli.output.options(&[]).map_err(|e| e.0)
    }

    #[test]
    fn a_report_interval_without_a_report_is_refused_naming_both() {
        let err = options_given(&["--report-interval", "1s"]).unwrap_err();
        assert!(
            err.starts_with("--report-interval sets how often --report is rewritten")
                && err.contains("no --report is given"),
            "{err}"
        );
        // Its default, without a report, is no request.
        assert_eq!(options_given(&[]).unwrap().report_interval, None);
        let ok = options_given(&["--report", "r.json", "--report-interval", "1s"]).unwrap();
        assert_eq!(ok.report_interval, Some(std::time::Duration::from_secs(1)));
    }

    #[test]
    fn the_html_page_may_not_be_the_report_or_the_events_log() {
        let dir = tempfile::tempdir().unwrap();
        let x = dir.path().join("x");
        let x = x.to_str().unwrap();
        for other in ["--report", "--events-log"] {
            let err = options(&["--html", x, other, x]).unwrap_err();
            assert!(err.contains("--html ") && err.contains(other), "{err}");
        }
        let y = dir.path().join("y.html");
        let ok = options(&["--html", y.to_str().unwrap(), "--report", x]).unwrap();
        assert_eq!(ok.html.as_deref(), Some(y.as_path()));
    }

    #[test]
    fn the_report_and_the_events_log_may_not_be_one_file() {
        let dir = tempfile::tempdir().unwrap();
        let x = dir.path().join("x");
        let x = x.to_str().unwrap();
        let err = options(&["--report", x, "--events-log", x]).unwrap_err();
        assert!(
            err.contains("--report ") && err.contains(" and --events-log "),
            "{err}"
        );
    }
}
