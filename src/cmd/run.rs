//! `ccsim run`: simulate the scenario files (or the embedded default) and deliver their
//! webhooks, then report. Its flags are also flattened into `ccsim load` and `ccsim serve`.

use std::path::PathBuf;

use clap::Args;
use tokio_util::sync::CancellationToken;

use super::flags::api::ApiArgs;
use super::flags::choices::Profile;
use super::flags::delivery::{DeliveryArgs, at_most};
use super::flags::given::Given;
use super::flags::output::OutputArgs;
use super::flags::shard::ShardArgs;
use crate::error::{Exit, RunError, UsageError};
use crate::families::EventFamilies;
use crate::plan::{RunPlan, RunRequest};
use crate::report::theory::plan_warning;
use crate::scenario::Overrides;
use crate::session::run_plan;
use crate::sim::dist::BEHAVIOUR_LIMIT;
use crate::sim::workload::{DEFAULT_MAX_LIVE, MAX_MAX_LIVE};
use crate::time::SimTime;
use crate::units::{Span, Speed};

/// Flags of `ccsim run`.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Scenario files (.toml or .json), merged into one run (see docs/scenarios.md). None:
    /// the embedded default scenario. Flags override the files' settings.
    #[arg(value_name = "SCENARIO")]
    pub scenarios: Vec<PathBuf>,

    /// Where to POST webhooks. Default: a built-in receiver on a loopback port that checks
    /// the event contract. `null` discards events in-process (engine benchmarks).
    #[arg(long, env = "CCSIM_TARGET", value_name = "URL")]
    pub target: Option<String>,

    /// Simulated seconds per wall-clock second, from 0.001 to 1000000, or `max` to run as
    /// fast as delivery allows. Default: the scenario's speed (60 for the embedded default).
    #[arg(long, env = "CCSIM_SPEED", value_name = "N|max")]
    pub speed: Option<Speed>,

    /// Seed of the random generator: the same seed gives the same ids, payloads and order.
    /// Default: a random seed, printed in the summary.
    #[arg(long, env = "CCSIM_SEED", value_name = "N")]
    pub seed: Option<u64>,

    /// Where the simulated clock starts: RFC 3339 (2026-01-01T09:00:00+08:00) or epoch
    /// milliseconds, from 2000-01-01T00:00:00Z to 2100-01-01T00:00:00Z. Default: now.
    #[arg(long, env = "CCSIM_START_TIME", value_name = "TIME", value_parser = parse_start_time)]
    pub start_time: Option<i64>,

    /// How long arrivals keep coming, in simulated time (e.g. 90s, 10m, 1h30m); at most
    /// 365d, like every duration.
    #[arg(long, env = "CCSIM_DURATION", value_name = "DURATION")]
    pub duration: Option<Span>,

    /// Number of agents in the pool.
    #[arg(long, env = "CCSIM_AGENTS", value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub agents: Option<u32>,

    /// At most this many conversations live at once (waiting, ringing or talking); an
    /// arrival beyond it is turned away at once, counted as `overflow` in the report, like
    /// a full ACD queue refusing a call. It bounds memory under any overload.
    #[arg(
        long,
        env = "CCSIM_MAX_LIVE",
        value_name = "N",
        default_value_t = DEFAULT_MAX_LIVE as u32,
        value_parser = clap::value_parser!(u32).range(1..=MAX_MAX_LIVE as i64)
    )]
    pub max_live: u32,

    /// Fidelity profile. Default: the scenario's, else documented.
    #[arg(long, env = "CCSIM_PROFILE", value_enum)]
    pub profile: Option<Profile>,

    /// Send bodies as ISO-8859-1 under the utf-8 header, every character outside Latin-1
    /// becoming `?`, as the platform's code does (`--profile platform` only; off by
    /// default).
    #[arg(long, env = "CCSIM_LEGACY_CHARSET")]
    pub legacy_charset: bool,
    /// Event families to send, a comma list of `conversation` (callcenter.conversation.*),
    /// `agent` (callcenter.agent.*) and `queue` (callcenter.queue.*), or `all`. Default: the
    /// scenario's `events`, else conversation.
    #[arg(long, env = "CCSIM_EVENTS", value_name = "FAMILIES")]
    pub events: Option<EventFamilies>,

    /// Delivery: concurrency, timeout, retries, signing, ordering, robustness.
    #[command(flatten)]
    pub delivery: DeliveryArgs,

    /// Report, events log, failure threshold, quiet.
    #[command(flatten)]
    pub output: OutputArgs,

    /// Service-level threshold: the share of calls answered within it is reported (at
    /// most 1d).
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

    /// The flags the command line named (filled by `cli::parse_from`).
    #[arg(skip)]
    pub given: Given,
    /// Which part of the workload to run (`--shard K/N`).
    #[command(flatten)]
    pub shard: ShardArgs,
}

impl RunArgs {
    /// Records the flags the command line named, here and in the flag groups that check
    /// their own.
    pub fn note_given(&mut self, given: &Given) {
        self.given = given.clone();
        self.delivery.given = given.clone();
        self.output.given = given.clone();
        self.api.given = given.clone();
    }

    /// What these flags ask, as plain values.
    pub fn request(&self) -> Result<RunRequest, UsageError> {
        // The contact-centre figures count answer waits up to a day.
        at_most("--sl-threshold", self.sl_threshold, BEHAVIOUR_LIMIT)?;
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
            max_live: self.max_live as usize,
            profile: self.profile.map(Into::into),
            legacy_charset: self.legacy_charset,
            events: self.events,
            target: self.target.clone(),
            tls_flags: self.delivery.tls_flags(),
            delivery: self.delivery.options()?,
            output: self.output.options(&inputs)?,
            sl_threshold: self.sl_threshold,
            api: self.api.plan()?,
        })
    }

    /// The validated plan of the whole workload, before `--shard` takes its part.
    pub fn whole_plan(&self) -> Result<RunPlan, UsageError> {
        RunPlan::resolve(self.request()?)
    }

    /// The validated plan of `ccsim run`: the part of the workload `--shard` asks for.
    pub fn plan(&self) -> Result<RunPlan, UsageError> {
        let (shard, source) = self.shard.resolve()?;
        self.whole_plan()?.partition(shard, source)
    }
}

/// Runs `ccsim run`.
pub async fn exec(args: RunArgs, shutdown: CancellationToken) -> Result<Exit, RunError> {
    let plan = args.plan()?;
    for w in plan.warnings.iter().cloned().chain(plan_warning(&plan.sim)) {
        crate::console::err(&w);
    }
    let (_, exit) = run_plan(plan, shutdown).await?;
    Ok(exit)
}

/// Parses `--start-time`: RFC 3339 or epoch milliseconds, within the start range.
fn parse_start_time(s: &str) -> Result<i64, String> {
    SimTime::parse_start(s).map(SimTime::epoch_ms)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};
    use crate::families::EventFamily;

    fn run(args: &[&str]) -> Result<RunArgs, String> {
        let mut argv = vec!["ccsim", "run"];
        argv.extend_from_slice(args);
        match Cli::try_parse_from(argv)
            .map_err(|e| e.to_string())?
            .command
        {
            Command::Run(r) => Ok(r),
            _ => unreachable!(),
        }
    }

    fn families(args: &[&str]) -> EventFamilies {
        let plan = run(args).expect("parses").plan().expect("plans");
        plan.sim.events
    }

    /// A scenario file with these top-level lines.
    fn scenario(dir: &tempfile::TempDir, top: &str) -> String {
        let path = dir.path().join("s.toml");
        std::fs::write(
            &path,
            format!("{top}\n[workload]\nduration = \"1m\"\nrates = {{ queue = \"1/m\" }}\n"),
        )
        .expect("write");
        path.to_string_lossy().into_owned()
    }

    #[test]
    fn events_default_to_conversation_and_the_flag_takes_a_comma_list_or_all() {
        assert_eq!(families(&[]), EventFamilies::default());
        let set = families(&["--events", "conversation,agent"]);
        assert!(set.has(EventFamily::Conversation) && set.has(EventFamily::Agent));
        assert!(!set.has(EventFamily::Queue));
        assert_eq!(families(&["--events", "all"]), EventFamilies::all());
        assert_eq!(
            families(&["--events", "queue"]),
            EventFamilies::only(EventFamily::Queue)
        );
    }

    #[test]
    fn a_scenarios_events_and_profile_apply_unless_the_flags_override_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = scenario(
            &dir,
            "events = [\"agent\", \"queue\"]\nprofile = \"platform\"",
        );
        let plan = run(&[&file]).expect("parses").plan().expect("plans");
        assert_eq!(
            plan.sim.events,
            EventFamilies::only(EventFamily::Agent).with(EventFamily::Queue)
        );
        assert_eq!(
            plan.profile.name,
            crate::event::profile::ProfileName::Platform
        );
        let plan = run(&[&file, "--events", "conversation", "--profile", "documented"])
            .expect("parses")
            .plan()
            .expect("plans");
        assert_eq!(plan.sim.events, EventFamilies::default());
        assert_eq!(
            plan.profile.name,
            crate::event::profile::ProfileName::Documented
        );
        let all = scenario(&dir, "events = \"all\"");
        assert_eq!(families(&[&all]), EventFamilies::all());
    }

    #[test]
    fn a_bad_events_value_names_the_flag_and_the_choices() {
        for bad in ["agents", "conversation,,agent", ""] {
            let err = run(&["--events", bad]).expect_err("refused");
            assert!(
                err.contains("--events <FAMILIES>")
                    && err.contains("expected \"conversation\", \"agent\", \"queue\" or \"all\""),
                "{bad:?}: {err}"
            );
        }
    }

    #[test]
    fn start_time_accepts_rfc3339_and_epoch_ms_in_range() {
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
        assert!(
            parse_start_time("9223372036854775")
                .unwrap_err()
                .starts_with("start time out of range")
        );
    }
}
