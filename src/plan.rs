//! Turns raw input (flags, environment, scenario files) into one validated [`RunPlan`].
//! Every cross-field check happens here, with an error naming the flag or the file
//! position; the engine and the delivery layer never see clap or file types. Flags
//! override the scenario's settings.

use std::path::PathBuf;

use crate::cli::RunArgs;
use crate::delivery::options::DeliveryOptions;
use crate::error::UsageError;
use crate::event::profile::Profile;
use crate::scenario::{self, Overrides, Problem};
use crate::sim::workload::SimPlan;
use crate::time::SimTime;
use crate::units::{Span, Speed};

/// Where webhooks go.
#[derive(Debug, Clone, PartialEq)]
pub enum TargetSpec {
    /// The built-in receiver, started in-process on a loopback port.
    BuiltIn,
    /// A receiver URL.
    Url(reqwest::Url),
    /// Discarded in-process.
    Null,
}

/// A validated run.
#[derive(Debug, Clone)]
pub struct RunPlan {
    /// What to simulate.
    pub sim: SimPlan,
    /// How fast.
    pub speed: Speed,
    /// Fidelity profile.
    pub profile: Profile,
    /// Where events go.
    pub target: TargetSpec,
    /// How to deliver (everything but the target).
    pub delivery: DeliveryOptions,
    /// Failure-rate threshold.
    pub thresholds: crate::report::ThresholdSpec,
    /// How often the report is rewritten while the run goes on.
    pub report_interval: Option<std::time::Duration>,
    /// JSON report path.
    pub report: Option<PathBuf>,
    /// Events log path.
    pub events_log: Option<PathBuf>,
    /// Show progress and summary.
    pub quiet: bool,
    /// Service-level threshold of the contact-centre figures.
    pub sl_threshold: Span,
    /// The fake platform API.
    pub api: crate::api::args::ApiPlan,
}

/// Parses `--target`.
pub fn parse_target(s: &str) -> Result<TargetSpec, UsageError> {
    if s == "null" {
        return Ok(TargetSpec::Null);
    }
    let url = reqwest::Url::parse(s)
        .map_err(|e| UsageError(format!("--target: expected an http(s) URL like http://127.0.0.1:3000/hook or `null`, got {s:?} ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(UsageError(format!(
            "--target: expected an http(s) URL like http://127.0.0.1:3000/hook or `null`, got {s:?}"
        )));
    }
    Ok(TargetSpec::Url(url))
}

impl RunPlan {
    /// Builds the plan of `ccsim run` from its flags.
    pub fn from_args(args: &RunArgs) -> Result<Self, UsageError> {
        let overrides = Overrides {
            start_time: args.start_time,
            agents: args.agents,
            duration: args.duration,
        };
        let now = SimTime::now_wall();
        let loaded = if args.scenarios.is_empty() {
            scenario::default_scenario(&overrides, now)
        } else {
            scenario::load_paths(&args.scenarios, &overrides, now)
        };
        let scenario = loaded.map_err(|p| problems_error(&p))?;
        let mut sim = scenario.sim;
        sim.seed = args.seed.or(scenario.seed).unwrap_or_else(random_seed);
        let target = match &args.target {
            None => TargetSpec::BuiltIn,
            Some(t) => parse_target(t)?,
        };
        let delivery = args.delivery.options()?;
        Ok(Self {
            sim,
            speed: args.speed.or(scenario.speed).unwrap_or_default(),
            profile: Profile::named(args.profile.or(scenario.profile).unwrap_or_default()),
            target,
            delivery,
            thresholds: args.output.thresholds(),
            report_interval: args.output.report_interval(),
            report: args.output.report.clone(),
            events_log: args.output.events_log.clone(),
            quiet: args.output.quiet,
            sl_threshold: args.sl_threshold,
            api: crate::api::args::ApiPlan::from_args(&args.api)?,
        })
    }
}

/// Every problem of the scenario files, one per line.
fn problems_error(problems: &[Problem]) -> UsageError {
    let lines: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    UsageError(format!(
        "invalid scenario ({} problem{}):\n{}",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" },
        lines.join("\n")
    ))
}

/// A seed for runs that did not ask for one: wall-clock nanoseconds mixed with the pid,
/// kept to 53 bits so it prints and round-trips through JSON exactly.
fn random_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mixed =
        (nanos ^ u64::from(std::process::id()).rotate_left(32)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    mixed >> 11
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_urls_or_null() {
        assert_eq!(parse_target("null").ok(), Some(TargetSpec::Null));
        assert!(matches!(
            parse_target("http://127.0.0.1:9/x"),
            Ok(TargetSpec::Url(_))
        ));
        let err = parse_target("ftp://x").unwrap_err().to_string();
        assert!(
            err.starts_with("--target: expected an http(s) URL"),
            "{err}"
        );
        assert!(parse_target("127.0.0.1:3000").is_err());
    }
}
