//! `ccsim run`: simulate the scenario files (or the embedded default) and deliver their
//! webhooks, then report. Its flags are also flattened into `ccsim load` and `ccsim serve`.

use std::path::PathBuf;

use clap::Args;
use tokio_util::sync::CancellationToken;

use super::EXAMPLES;
use super::flags::api::ApiArgs;
use super::flags::choices::Profile;
use super::flags::delivery::DeliveryArgs;
use super::flags::output::OutputArgs;
use crate::error::{Exit, RunError, UsageError};
use crate::plan::{RunPlan, RunRequest};
use crate::scenario::Overrides;
use crate::session::run_plan;
use crate::units::{Span, Speed};

/// Flags of `ccsim run`.
#[derive(Debug, Clone, Args)]
#[command(after_help = EXAMPLES)]
pub struct RunArgs {
    /// Scenario files (.toml or .json), merged into one run (see docs/scenarios.md). None:
    /// the embedded default scenario. Flags override the files' settings.
    #[arg(value_name = "SCENARIO")]
    pub scenarios: Vec<PathBuf>,

    /// Where to POST webhooks. Default: a built-in receiver on a loopback port that checks
    /// the event contract. `null` discards events in-process (engine benchmarks).
    #[arg(long, env = "CCSIM_TARGET", value_name = "URL")]
    pub target: Option<String>,

    /// Simulated seconds per wall-clock second, or `max` to run as fast as delivery allows.
    /// Default: the scenario's speed (60 for the embedded default).
    #[arg(long, env = "CCSIM_SPEED", value_name = "N|max")]
    pub speed: Option<Speed>,

    /// Seed of the random generator: the same seed gives the same ids, payloads and order.
    /// Default: a random seed, printed in the summary.
    #[arg(long, env = "CCSIM_SEED", value_name = "N")]
    pub seed: Option<u64>,

    /// Where the simulated clock starts: RFC 3339 (2026-01-01T09:00:00+08:00) or epoch
    /// milliseconds. Default: now.
    #[arg(long, env = "CCSIM_START_TIME", value_name = "TIME", value_parser = parse_start_time)]
    pub start_time: Option<i64>,

    /// How long arrivals keep coming, in simulated time (e.g. 90s, 10m, 1h30m).
    #[arg(long, env = "CCSIM_DURATION", value_name = "DURATION")]
    pub duration: Option<Span>,

    /// Number of agents in the pool.
    #[arg(long, env = "CCSIM_AGENTS", value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub agents: Option<u32>,

    /// Fidelity profile. Default: the scenario's, else documented.
    #[arg(long, env = "CCSIM_PROFILE", value_enum)]
    pub profile: Option<Profile>,

    /// Delivery: concurrency, timeout, retries, signing, ordering, robustness.
    #[command(flatten)]
    pub delivery: DeliveryArgs,

    /// Report, events log, failure threshold, quiet.
    #[command(flatten)]
    pub output: OutputArgs,

    /// Service-level threshold: the share of calls answered within it is reported.
    #[arg(
        long,
        env = "CCSIM_SL_THRESHOLD",
        value_name = "DURATION",
        default_value = "20s"
    )]
    pub sl_threshold: Span,

    /// The fake platform API: address, linger, auth, retention.
    #[command(flatten)]
    pub api: ApiArgs,
}

impl RunArgs {
    /// What these flags ask, as plain values.
    pub fn request(&self) -> Result<RunRequest, UsageError> {
        let inputs: Vec<(&str, &std::path::Path)> = self
            .scenarios
            .iter()
            .map(|p| ("scenario file", p.as_path()))
            .collect();
        Ok(RunRequest {
            scenarios: self.scenarios.clone(),
            overrides: Overrides {
                start_time: self.start_time,
                agents: self.agents,
                duration: self.duration,
            },
            seed: self.seed,
            speed: self.speed,
            profile: self.profile.map(Into::into),
            target: self.target.clone(),
            delivery: self.delivery.options()?,
            output: self.output.options(&inputs)?,
            sl_threshold: self.sl_threshold,
            api: self.api.plan()?,
        })
    }

    /// The validated plan of `ccsim run`.
    pub fn plan(&self) -> Result<RunPlan, UsageError> {
        RunPlan::resolve(self.request()?)
    }
}

/// Runs `ccsim run`.
pub async fn exec(args: RunArgs, shutdown: CancellationToken) -> Result<Exit, RunError> {
    let (_, exit) = run_plan(args.plan()?, shutdown).await?;
    Ok(exit)
}

/// Parses `--start-time`: RFC 3339 or epoch milliseconds.
fn parse_start_time(s: &str) -> Result<i64, String> {
    if let Ok(ms) = s.parse::<i64>() {
        return Ok(ms);
    }
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.timestamp_millis())
        .map_err(|_| {
            format!(
                "expected RFC 3339 (2026-01-01T09:00:00+08:00) or epoch milliseconds, got {s:?}"
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_time_accepts_rfc3339_and_epoch_ms() {
        assert_eq!(parse_start_time("1700000000000"), Ok(1_700_000_000_000));
        assert_eq!(
            parse_start_time("2023-11-14T22:13:20Z"),
            Ok(1_700_000_000_000)
        );
        assert!(
            parse_start_time("yesterday")
                .unwrap_err()
                .contains("RFC 3339")
        );
    }
}
