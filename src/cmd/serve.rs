//! `ccsim serve`: the fake platform API alone, until ctrl-c. The scenario is simulated at
//! `--speed` without sending webhooks (`--target` is ignored), so records appear and evolve
//! as they would in a run.

use tokio_util::sync::CancellationToken;

use super::run::RunArgs;
use crate::api::config::{ApiListen, Linger};
use crate::error::{Exit, RunError, UsageError};
use crate::plan::{RunPlan, TargetSpec};
use crate::session::run_plan;
use crate::units::{Count, Span};

/// The plan of `ccsim serve` from that of `run`: no webhooks, and the API serves until
/// stopped.
pub fn serve_plan(mut plan: RunPlan) -> Result<RunPlan, UsageError> {
    if matches!(plan.api.listen, ApiListen::Off) {
        return Err(UsageError(
            "--api off: `serve` has nothing else to do".into(),
        ));
    }
    plan.target = TargetSpec::Null;
    plan.api.linger = Linger::UntilStopped;
    // No webhooks go out: a delivery progress line and summary would describe nothing.
    plan.output.summary = false;
    Ok(plan)
}

/// Runs `ccsim serve`: ctrl-c is its normal end, so an interrupt exits 0 with a one-line
/// goodbye rather than an interrupted run's summary.
pub async fn exec(args: RunArgs, shutdown: CancellationToken) -> Result<Exit, RunError> {
    let plan = serve_plan(args.plan()?)?;
    let quiet = plan.output.quiet;
    let (report, exit) = run_plan(plan, shutdown).await?;
    if !quiet {
        crate::console::err(&format!(
            "ccsim serve: stopped after {} simulated ({} attempted)",
            Span::from_secs_f64(report.throughput.simulated_s),
            Count::of(report.conversations.offered, "conversation")
        ));
    }
    Ok(match exit {
        Exit::Interrupted => Exit::Ok,
        other => other,
    })
}
