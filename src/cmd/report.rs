//! `ccsim report merge A.json B.json … [-o merged.json]`: reads reports, merges them
//! ([`crate::report::merge`]), applies the thresholds to the merged report, writes it
//! whole (temp file + rename) and prints its summary.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use super::examples;
use super::flags::thresholds::ThresholdArgs;
use crate::console;
use crate::error::{Exit, RunError, UsageError};
use crate::files::{MAX_WHOLE_FILE, read_whole_text, refuse_clashes, replace};
use crate::report::merge::{Input, merge};
use crate::report::{Report, html};

/// Flags of `ccsim report`.
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// What to do with reports.
    #[command(subcommand)]
    pub command: ReportCommand,
}

/// `ccsim report` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum ReportCommand {
    /// Merge the JSON reports of one scenario (shards, or runs under other seeds) into
    /// one: counters added, latency histograms merged exactly, rates recomputed.
    #[command(after_help = examples::REPORT_MERGE)]
    Merge(MergeArgs),
}

/// Flags of `ccsim report merge`.
#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// The reports (`--report` of `run`, `load` or `replay`, or merged ones).
    #[arg(required = true, value_name = "REPORT.json")]
    pub reports: Vec<PathBuf>,

    /// Write the merged report here (replaced whole; never one of the inputs).
    #[arg(short, long, value_name = "FILE.json")]
    pub output: Option<PathBuf>,

    /// Also write the merged report as one self-contained HTML page with charts (see
    /// docs/report.md, "The HTML report").
    #[arg(long, value_name = "FILE.html")]
    pub html: Option<PathBuf>,

    /// The thresholds, applied to the merged report.
    #[command(flatten)]
    pub thresholds: ThresholdArgs,

    /// No summary (the merged report and the exit code still tell).
    #[arg(long, short)]
    pub quiet: bool,
}

/// Runs `ccsim report …`.
pub fn exec(args: &ReportArgs) -> Result<Exit, RunError> {
    match &args.command {
        ReportCommand::Merge(m) => exec_merge(m),
    }
}

/// Runs `ccsim report merge`: exit 1 when a threshold is breached by the merged report,
/// 2 for a report that cannot be read or merged, 5 when the output cannot be written.
fn exec_merge(args: &MergeArgs) -> Result<Exit, RunError> {
    let inputs: Vec<(&str, &Path)> = args
        .reports
        .iter()
        .map(|p| ("REPORT.json", p.as_path()))
        .collect();
    let mut outputs = Vec::new();
    if let Some(out) = &args.output {
        outputs.push(("--output", out.as_path()));
    }
    if let Some(html) = &args.html {
        outputs.push(("--html", html.as_path()));
    }
    refuse_clashes(&inputs, &outputs)?;
    let reports = args
        .reports
        .iter()
        .map(|p| read_report(p))
        .collect::<Result<Vec<_>, _>>()?;
    let mut merged = merge(&reports).map_err(UsageError)?;
    args.thresholds.spec().apply(&mut merged);
    if let Some(out) = &args.output {
        let mut json = serde_json::to_vec_pretty(&merged)
            .map_err(|e| RunError::Io(format!("{}: {e}", out.display())))?;
        json.push(b'\n');
        replace(out, &json).map_err(|e| RunError::Io(format!("{}: {e}", out.display())))?;
    }
    if let Some(path) = &args.html {
        let page =
            html::page(&merged).map_err(|e| RunError::Io(format!("{}: {e}", path.display())))?;
        replace(path, page.as_bytes())
            .map_err(|e| RunError::Io(format!("{}: {e}", path.display())))?;
    }
    if !args.quiet {
        console::out_or_fail(&merged.render_text())?;
    }
    Ok(if merged.thresholds.breached.is_empty() {
        Exit::Ok
    } else {
        Exit::Thresholds
    })
}

/// One report file, or why it is not one (FILE or FILE:LINE:COLUMN: message).
fn read_report(path: &Path) -> Result<Input, UsageError> {
    let name = path.display().to_string();
    let text =
        read_whole_text(path, MAX_WHOLE_FILE).map_err(|e| UsageError(format!("{name}: {e}")))?;
    let report: Report = serde_json::from_str(&text).map_err(|e| {
        UsageError(format!(
            "{name}:{}:{}: not a ccsim report: {e}",
            e.line(),
            e.column()
        ))
    })?;
    Ok(Input { name, report })
}
