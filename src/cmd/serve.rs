//! `ccsim serve`: the platform. The fake platform API serves the records and the
//! application's operations (agents, calls, conversations, ACD conditions), whose effects
//! play out in simulated time, real time by default, with webhooks to `--target` (none
//! without one); with a scenario file its agents are logged in and its workload arrives,
//! without one the platform is empty and the application sets it up through the API. It
//! serves until ctrl-c; the report and threshold flags are refused.

use tokio_util::sync::CancellationToken;

use super::flags::given::{Given, longs_of};
use super::flags::output::OutputArgs;
use super::run::RunArgs;
use crate::api::config::{ApiListen, Linger};
use crate::error::{Exit, RunError, UsageError};
use crate::plan::{RunPlan, TargetSpec};
use crate::session::run_plan;
use crate::units::{Count, Span, Speed};

/// The flags of `run` that mean nothing to `serve`, which writes no report and runs until
/// stopped: `--sl-threshold` (a figure of the summary and report), and every report and
/// threshold flag (all but `--quiet`, which silences serve's goodbye line).
fn report_flags() -> Vec<String> {
    let mut flags = vec!["--sl-threshold".to_owned()];
    // `--api-linger` is checked on its own: serve always serves until stopped.
    flags.extend(
        longs_of::<OutputArgs>()
            .into_iter()
            .filter(|f| f != "--quiet"),
    );
    flags
}

/// Refuses a flag about the report given on the command line (from the environment it is
/// ignored: variables are often set for a whole shell).
pub fn refuse_report_flags(given: &Given) -> Result<(), UsageError> {
    if given.has("--api-linger") {
        return Err(UsageError(
            "--api-linger has no effect with `ccsim serve`: it serves the API until stopped \
             (ctrl-c); drop --api-linger"
                .into(),
        ));
    }
    match given.first_of(&report_flags()) {
        Some(flag) => Err(UsageError(format!(
            "{flag} has no effect with `ccsim serve`: it runs until stopped and writes no \
             report; drop {flag}, or use `ccsim run`, which serves the same API while it sends"
        ))),
        None => Ok(()),
    }
}

/// The plan of `ccsim serve` from that of `run`: the API serves until stopped, the
/// simulation never ends by itself, webhooks go to `--target` if given (nowhere
/// otherwise). Without a scenario file (`empty`) the platform starts empty: no agents
/// (unless `--agents N`), no workload, real time unless `--speed` says otherwise.
pub fn serve_plan(
    mut plan: RunPlan,
    empty: bool,
    no_target: bool,
    given: &Given,
) -> Result<RunPlan, UsageError> {
    if matches!(plan.api.listen, ApiListen::Off) {
        return Err(UsageError(
            "--api off: `serve` has nothing else to do".into(),
        ));
    }
    if empty {
        if given.has("--duration") {
            return Err(UsageError(
                "--duration has no effect with `ccsim serve` and no scenario file: the \
                 platform starts empty, with no workload; drop --duration, or give a scenario"
                    .into(),
            ));
        }
        plan.sim.workload.rates.clear();
        plan.sim.workload.ramp.clear();
        plan.sim.scripted.clear();
        if !given.has("--agents") {
            plan.sim.agents.clear();
            plan.sim.agent_numbers.clear();
        }
        if !given.has("--speed") {
            plan.speed = Speed::Factor(1.0);
        }
    }
    if no_target {
        plan.target = TargetSpec::Null;
    }
    plan.api.linger = Linger::UntilStopped;
    plan.endless = true;
    // No report: a summary at ctrl-c would describe a run that had no end of its own.
    plan.output.summary = false;
    Ok(plan)
}

/// Runs `ccsim serve`: ctrl-c is its normal end, so an interrupt exits 0 with a one-line
/// goodbye rather than an interrupted run's summary.
pub async fn exec(args: RunArgs, shutdown: CancellationToken) -> Result<Exit, RunError> {
    refuse_report_flags(&args.given)?;
    let empty = args.scenarios.is_empty();
    let no_target = args.target.is_none();
    let plan = serve_plan(args.plan()?, empty, no_target, &args.given)?;
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

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cmd::flags::given::parse_with_given;

    #[derive(Debug, Parser)]
    struct ServeCli {
        #[command(flatten)]
        run: RunArgs,
    }

    fn refused(args: &[&str]) -> Option<String> {
        let (_, given) = parse_with_given::<ServeCli>(args).unwrap();
        refuse_report_flags(&given).err().map(|e| e.0)
    }

    #[test]
    fn flags_about_the_report_are_refused_naming_the_flag() {
        for flag in [
            &["--report", "r.json"][..],
            &["--report-interval", "1s"],
            &["--events-log", "e.jsonl"],
            &["--max-p99", "1s"],
            &["--max-service-p99", "1s"],
            &["--min-throughput", "5/s"],
            &["--max-failure-rate", "0"],
            &["--sl-threshold", "20s"],
        ] {
            let err = refused(flag).unwrap_or_else(|| panic!("{flag:?} accepted"));
            assert!(
                err.starts_with(&format!(
                    "{} has no effect with `ccsim serve`: it runs until stopped and writes no report",
                    flag[0]
                )),
                "{err}"
            );
        }
    }

    #[test]
    fn an_api_linger_is_refused_since_serve_serves_until_stopped() {
        let err = refused(&["--api-linger", "1m"]).unwrap();
        assert!(
            err.starts_with(
                "--api-linger has no effect with `ccsim serve`: it serves the API until stopped"
            ),
            "{err}"
        );
    }

    #[test]
    fn the_target_events_and_delivery_flags_are_accepted_since_serve_sends_webhooks() {
        for flag in [
            &["--target", "http://127.0.0.1:9/x"][..],
            &["--events", "all"],
            &["--concurrency", "64"],
            &["--timeout", "5s"],
            &["--secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
            &["--control", "--clock", "manual"],
        ] {
            assert_eq!(refused(flag), None, "{flag:?}");
        }
    }

    #[test]
    fn what_drives_the_simulation_and_the_api_stays_valid() {
        assert_eq!(
            refused(&[
                "--speed",
                "max",
                "--seed",
                "1",
                "--duration",
                "1m",
                "--agents",
                "3",
                "--max-live",
                "10",
                "--api",
                "127.0.0.1:0",
                "--retain-conversations",
                "10",
                "--quiet",
                "x.toml",
            ]),
            None
        );
    }
}
