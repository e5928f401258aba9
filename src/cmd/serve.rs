//! `ccsim serve`: the fake platform API alone, until ctrl-c. The scenario is simulated at
//! `--speed` without sending webhooks, so records appear and evolve as they would in a
//! run; the flags about sending (target, delivery, report, thresholds) are refused.

use tokio_util::sync::CancellationToken;

use super::flags::delivery::DeliveryArgs;
use super::flags::given::{Given, longs_of};
use super::flags::output::OutputArgs;
use super::run::RunArgs;
use crate::api::config::{ApiListen, Linger};
use crate::error::{Exit, RunError, UsageError};
use crate::plan::{RunPlan, TargetSpec};
use crate::session::run_plan;
use crate::units::{Count, Span};

/// The flags of `run` that mean nothing to `serve`, which sends no webhooks: `--target`,
/// `--events` (which webhooks to send), `--sl-threshold` (a figure of the summary and
/// report), and every delivery, report and threshold flag (all but `--quiet`, which
/// silences serve's goodbye line).
fn sending_flags() -> Vec<String> {
    let mut flags = vec![
        "--target".to_owned(),
        "--events".to_owned(),
        "--sl-threshold".to_owned(),
    ];
    // `--api-linger` is checked on its own: serve always serves until stopped.
    flags.extend(longs_of::<DeliveryArgs>());
    flags.extend(
        longs_of::<OutputArgs>()
            .into_iter()
            .filter(|f| f != "--quiet"),
    );
    flags
}

/// Refuses a flag about sending webhooks given on the command line (from the environment
/// it is ignored: variables are often set for a whole shell).
pub fn refuse_sending_flags(given: &Given) -> Result<(), UsageError> {
    if given.has("--api-linger") {
        return Err(UsageError(
            "--api-linger has no effect with `ccsim serve`: it serves the API until stopped \
             (ctrl-c); drop --api-linger"
                .into(),
        ));
    }
    match given.first_of(&sending_flags()) {
        Some(flag) => Err(UsageError(format!(
            "{flag} has no effect with `ccsim serve`: it sends no webhooks and writes no \
             report; drop {flag}, or use `ccsim run`, which serves the same API while it sends"
        ))),
        None => Ok(()),
    }
}

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
    refuse_sending_flags(&args.given)?;
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
        refuse_sending_flags(&given).err().map(|e| e.0)
    }

    #[test]
    fn flags_about_sending_are_refused_naming_the_flag() {
        for flag in [
            &["--target", "http://127.0.0.1:9/x"][..],
            &["--report", "r.json"],
            &["--report-interval", "1s"],
            &["--events-log", "e.jsonl"],
            &["--max-p99", "1s"],
            &["--max-service-p99", "1s"],
            &["--min-throughput", "5/s"],
            &["--max-failure-rate", "0"],
            &["--concurrency", "64"],
            &["--timeout", "5s"],
            &["--insecure"],
            &["--secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
            &["--sl-threshold", "20s"],
            &["--events", "all"],
        ] {
            let err = refused(flag).unwrap_or_else(|| panic!("{flag:?} accepted"));
            assert!(
                err.starts_with(&format!(
                    "{} has no effect with `ccsim serve`: it sends no webhooks",
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
