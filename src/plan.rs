//! Turns what the command line asks ([`RunRequest`], plain values) and the scenario files
//! into one validated [`RunPlan`]: flags override the scenario's settings, and every
//! cross-field check happens here, with an error naming the flag or the file position.
//! Nothing here knows clap; the engine and the delivery layer see neither flags nor files.

use std::path::PathBuf;

use crate::api::config::ApiPlan;
use crate::delivery::options::DeliveryOptions;
use crate::error::UsageError;
use crate::event::profile::{Profile, ProfileName};
use crate::families::EventFamilies;
use crate::report::OutputOptions;
use crate::scenario::{self, Overrides, Problem};
use crate::shard::Shard;
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
    /// Report, events log, thresholds, quietness.
    pub output: OutputOptions,
    /// Service-level threshold of the contact-centre figures.
    pub sl_threshold: Span,
    /// The fake platform API.
    pub api: ApiPlan,
    /// What the scenario files hold that is valid but probably not meant (`FILE:LINE:COL:
    /// …: warning: …`), printed when the run starts.
    pub warnings: Vec<String>,
    /// The scenario's fingerprint (`report.scenario`) taken before the plan was split
    /// into shards; `None`: taken from `sim` when the report is made.
    pub scenario: Option<String>,
    /// The simulation never ends by itself: the application's operations may come until
    /// ctrl-c (`ccsim serve`).
    pub endless: bool,
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

/// Refuses TLS flags (`--insecure`, `--ca-cert`, as given on the command line) with a
/// target that is not https://, where they would do nothing; the message names the flag
/// and the target.
pub fn refuse_tls_without_https(tls_flags: &[&str], target: &TargetSpec) -> Result<(), UsageError> {
    let Some(flag) = tls_flags.first() else {
        return Ok(());
    };
    let target = match target {
        TargetSpec::Url(url) if url.scheme() == "https" => return Ok(()),
        TargetSpec::Url(url) => format!("--target {url} is plain http"),
        TargetSpec::BuiltIn => {
            "the target is the built-in receiver (plain http; no --target given)".to_owned()
        }
        TargetSpec::Null => "--target null sends nothing".to_owned(),
    };
    Err(UsageError(format!(
        "{flag} applies to https:// targets only, but {target}: drop {flag}, or give an https:// --target"
    )))
}

/// What the command line asks of a run, before it is resolved against the scenario files:
/// plain values, no clap types. `None` means "the scenario's setting, else the default".
#[derive(Debug, Clone)]
pub struct RunRequest {
    /// Scenario files to merge; empty: the embedded default scenario.
    pub scenarios: Vec<PathBuf>,
    /// Start time, agents and duration given on the command line.
    pub overrides: Overrides,
    /// `--seed`.
    pub seed: Option<u64>,
    /// `--speed`.
    pub speed: Option<Speed>,
    /// `--max-live`: at most this many conversations live at once.
    pub max_live: usize,
    /// `--profile`.
    pub profile: Option<ProfileName>,
    /// `--legacy-charset`: the profile's bodies in ISO-8859-1 (refused unless it offers it).
    pub legacy_charset: bool,
    /// `--events`: the event families to send.
    pub events: Option<EventFamilies>,
    /// `--target`, unparsed; `None`: the built-in receiver.
    pub target: Option<String>,
    /// The TLS flags given on the command line (`--insecure`, `--ca-cert`): refused unless
    /// the target is https://.
    pub tls_flags: Vec<&'static str>,
    /// Validated delivery options.
    pub delivery: DeliveryOptions,
    /// Report, events log, thresholds, quietness.
    pub output: OutputOptions,
    /// Service-level threshold of the contact-centre figures.
    pub sl_threshold: Span,
    /// The fake platform API.
    pub api: ApiPlan,
}

impl RunPlan {
    /// Resolves a request: loads the scenario files (or the embedded default), lets the
    /// command line override them, and checks the target.
    pub fn resolve(request: RunRequest) -> Result<Self, UsageError> {
        let now = SimTime::now_wall();
        let loaded = if request.scenarios.is_empty() {
            scenario::default_scenario(&request.overrides, now)
        } else {
            scenario::load_paths(&request.scenarios, &request.overrides, now)
        };
        let scenario = loaded.map_err(|p| problems_error(&p))?;
        let warnings = scenario.warnings.iter().map(ToString::to_string).collect();
        let generates = !scenario.sim.workload.types().is_empty();
        if request.overrides.duration.is_some() && !generates {
            return Err(UsageError(
                "--duration sets how long generated arrivals keep coming, but the scenario \
                 generates none (no [workload], or only zero rates; its conversations are \
                 scripted): drop --duration, or add a [workload]"
                    .into(),
            ));
        }
        let mut sim = scenario.sim;
        sim.seed = request.seed.or(scenario.seed).unwrap_or_else(random_seed);
        sim.max_live = request.max_live;
        sim.events = request.events.or(scenario.events).unwrap_or_default();
        let target = match &request.target {
            None => TargetSpec::BuiltIn,
            Some(t) => parse_target(t)?,
        };
        refuse_tls_without_https(&request.tls_flags, &target)?;
        let mut profile = Profile::named(request.profile.or(scenario.profile).unwrap_or_default());
        if request.legacy_charset {
            profile = profile.with_legacy_charset().map_err(UsageError)?;
        }
        sim.abandoned_tasks = profile.abandoned_tasks;
        Ok(Self {
            sim,
            speed: request.speed.or(scenario.speed).unwrap_or_default(),
            target,
            // The delivery flags not given take the profile's defaults.
            delivery: request.delivery.with_profile_defaults(&profile.delivery),
            profile,
            output: request.output,
            sl_threshold: request.sl_threshold,
            warnings,
            api: request.api,
            scenario: None,
            endless: false,
        })
    }
}

impl RunPlan {
    /// Shard `shard` of this plan (`SimPlan::partition`); `source` names where the shard
    /// came from (`--shard`, or its environment variables) in an error.
    pub fn partition(mut self, shard: Shard, source: &str) -> Result<Self, UsageError> {
        // The whole workload's identity, so that the shards' reports merge.
        self.scenario
            .get_or_insert_with(|| crate::report::scenario_fingerprint(&self.sim));
        self.sim = self
            .sim
            .partition(shard)
            .map_err(|e| UsageError(format!("{source}: {e}")))?;
        Ok(self)
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

    #[test]
    fn tls_flags_need_an_https_target() {
        let https = parse_target("https://127.0.0.1:9/x").unwrap();
        let http = parse_target("http://127.0.0.1:9/x").unwrap();
        assert!(refuse_tls_without_https(&["--insecure", "--ca-cert"], &https).is_ok());
        for target in [&TargetSpec::BuiltIn, &http, &TargetSpec::Null] {
            assert!(refuse_tls_without_https(&[], target).is_ok());
        }
        let err = |flags: &[&str], target| refuse_tls_without_https(flags, target).unwrap_err().0;
        assert_eq!(
            err(&["--insecure"], &http),
            "--insecure applies to https:// targets only, but --target http://127.0.0.1:9/x \
             is plain http: drop --insecure, or give an https:// --target"
        );
        assert!(err(&["--ca-cert"], &TargetSpec::BuiltIn).starts_with(
            "--ca-cert applies to https:// targets only, but the target is the built-in receiver"
        ));
        assert!(err(&["--insecure"], &TargetSpec::Null).contains("--target null sends nothing"));
    }
}
