//! `ccsim load`: a generated workload from flags alone — a total arrival rate split by a
//! mix of conversation types, with the behaviour of callers and agents — run through the
//! same engine and delivery as `ccsim run`.

use std::fmt;
use std::str::FromStr;

use clap::Args;

use tokio_util::sync::CancellationToken;

use super::flags::delivery::at_most;
use super::run::RunArgs;
use crate::conversation::ConvType;
use crate::error::{Exit, RunError, UsageError};
use crate::plan::RunPlan;
use crate::report::theory::plan_warning;
use crate::session::run_plan;
use crate::sim::agents::AgentPool;
use crate::sim::dist::{BEHAVIOUR_LIMIT, Dist};
use crate::sim::workload::{Behaviour, Mechanics, Workload};
use crate::units::{Probability, Rate, Span, Speed};

/// Default simulated duration of a load run.
const DEFAULT_DURATION_S: u64 = 600;
/// Default number of agents of a load run.
const DEFAULT_AGENTS: usize = 10;

/// Flags of `ccsim load` (plus every flag of `ccsim run`).
#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    /// Total arrival rate of conversations, e.g. 5/s, 300/m, 160/h (a Poisson process), at
    /// most 1000000/s.
    #[arg(long, env = "CCSIM_RATE", value_name = "N/s|N/m|N/h")]
    pub rate: Rate,

    /// Share of each conversation type (weights, normalised).
    #[arg(
        long,
        env = "CCSIM_MIX",
        value_name = "TYPE=W,…",
        default_value = "queue=70,call_out=20,call_agent=10"
    )]
    pub mix: Mix,

    /// Mean talk time, from answer to hang-up (at most 1d, like every behaviour below).
    #[arg(
        long,
        env = "CCSIM_HANDLE_TIME",
        value_name = "DURATION",
        default_value = "180s"
    )]
    pub handle_time: Span,

    /// Distribution of talk times around --handle-time. The default, lognormal (p95 = 4 ×
    /// median), has few very short talks (about 1 in 1,000 under a twentieth of the mean),
    /// as real calls do; exponential is the Erlang C assumption, with 1 in 20 under a
    /// twentieth of the mean.
    #[arg(long, env = "CCSIM_HANDLE_DIST", value_enum, default_value_t = HandleDist::Lognormal)]
    pub handle_dist: HandleDist,

    /// The platform's own delays around each call: `platform` (conference start 0.1–0.4 s,
    /// agent dial 0.5–2 s, external dial 2–6 s, as the real platform) or `instant` (none,
    /// so an agent is taken exactly for ring plus talk plus wrap-up, as queueing theory
    /// assumes). Either way the report's theory uses the agents' measured busy time.
    #[arg(long, env = "CCSIM_MECHANICS", value_enum, default_value_t = MechanicsChoice::Platform)]
    pub mechanics: MechanicsChoice,

    /// Mean patience of waiting callers (exponential), or `off` (they never abandon).
    #[arg(
        long,
        env = "CCSIM_PATIENCE",
        value_name = "DURATION|off",
        default_value = "off"
    )]
    pub patience: Switch,

    /// How long a call waits for an agent before the queue times out, or `off`.
    #[arg(
        long,
        env = "CCSIM_QUEUE_TIMEOUT",
        value_name = "DURATION|off",
        default_value = "off"
    )]
    pub queue_timeout: Switch,

    /// Mean time a ringing phone takes to be answered (uniform from half to 1.5 times).
    #[arg(
        long,
        env = "CCSIM_RING_TIME",
        value_name = "DURATION",
        default_value = "5s"
    )]
    pub ring_time: Span,

    /// Probability that an agent or callee answers a ringing phone.
    #[arg(long, env = "CCSIM_ANSWER_RATE", value_name = "P", default_value = "1")]
    pub answer_rate: Probability,

    /// After-call work: how long an agent stays busy after each conversation.
    #[arg(
        long,
        env = "CCSIM_WRAP_UP",
        value_name = "DURATION",
        default_value = "0s"
    )]
    pub wrap_up: Span,

    /// Everything `ccsim run` takes (target, speed, seed, reports, thresholds…).
    #[command(flatten)]
    pub run: RunArgs,
}

/// How talk times are distributed around their mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum HandleDist {
    /// Exponential (the Erlang C assumption).
    Exponential,
    /// Log-normal with p95 = 4 × median and the given mean.
    Lognormal,
    /// Always the same.
    Fixed,
}

/// Which platform delays `ccsim load` simulates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MechanicsChoice {
    /// The real platform's conference-start and dial delays.
    Platform,
    /// No delays (the queueing-theory idealisation).
    Instant,
}

/// A duration or `off`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Switch(pub Option<Span>);

impl FromStr for Switch {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "off" | "none" => Ok(Switch(None)),
            other => other
                .parse::<Span>()
                .map(|d| Switch(Some(d)))
                .map_err(|e| format!("{e}, or off")),
        }
    }
}

/// Weights of the conversation types.
#[derive(Debug, Clone, PartialEq)]
pub struct Mix(pub Vec<(ConvType, f64)>);

impl FromStr for Mix {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let syntax = || {
            format!("expected TYPE=WEIGHT pairs like queue=70,call_out=20,call_agent=10, got {s:?}")
        };
        let mut out: Vec<(ConvType, f64)> = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, weight) = part.split_once('=').ok_or_else(syntax)?;
            let kind = ConvType::parse(name.trim()).ok_or_else(|| {
                format!(
                    "unknown conversation type {:?}: use queue, call_out or call_agent",
                    name.trim()
                )
            })?;
            let w: f64 = weight.trim().parse().map_err(|_| syntax())?;
            if !w.is_finite() || w < 0.0 {
                return Err(format!(
                    "weight of {name} must be a non-negative number, got {:?}",
                    weight.trim()
                ));
            }
            if out.iter().any(|(k, _)| *k == kind) {
                return Err(format!("{name} appears twice in {s:?}"));
            }
            out.push((kind, w));
        }
        let total = out.iter().map(|(_, w)| w).sum::<f64>();
        if total <= 0.0 {
            return Err(syntax());
        }
        if !total.is_finite() {
            return Err(format!(
                "the weights add up to more than a number can hold in {s:?}"
            ));
        }
        Ok(Mix(out))
    }
}

impl fmt::Display for Mix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|(k, w)| format!("{k}={w}")).collect();
        f.write_str(&parts.join(","))
    }
}

impl LoadArgs {
    /// The workload these flags describe.
    pub fn workload(&self) -> Workload {
        let total: f64 = self.mix.0.iter().map(|(_, w)| w).sum();
        let rates = self
            .mix
            .0
            .iter()
            .filter(|(_, w)| *w > 0.0)
            .map(|(k, w)| {
                (
                    *k,
                    Rate::from_per_second(self.rate.per_second() * w / total),
                )
            })
            .collect();
        let mean = self.handle_time;
        let handle_time = match self.handle_dist {
            HandleDist::Exponential => Dist::Exponential { mean },
            HandleDist::Fixed => Dist::fixed(mean),
            HandleDist::Lognormal => {
                // p95 = 4 × median ⇒ σ = ln 4 / z95; mean = median · e^{σ²/2}.
                let sigma = 4f64.ln() / 1.644_853_626_951_472_2;
                let median = mean.as_secs_f64() / (sigma * sigma / 2.0).exp();
                Dist::Lognormal {
                    median: Span::from_secs_f64(median),
                    p95: Span::from_secs_f64(4.0 * median),
                }
            }
        };
        let ring = Dist::Uniform {
            min: Span::from_micros(self.ring_time.as_micros() / 2),
            max: Span::from_micros(self.ring_time.as_micros() / 2 * 3),
        };
        Workload {
            duration: self
                .run
                .duration
                .unwrap_or(Span::from_millis(DEFAULT_DURATION_S * 1000)),
            rates,
            ramp: Vec::new(),
            behaviour: Behaviour {
                handle_time,
                patience: self.patience.0.map(|mean| Dist::Exponential { mean }),
                queue_timeout: self.queue_timeout.0,
                agent_ring: ring.clone(),
                agent_answer: self.answer_rate,
                callee_ring: ring,
                callee_answer: self.answer_rate,
                wrap_up: Dist::fixed(self.wrap_up),
                ..Behaviour::default()
            },
        }
    }

    /// The plan of `ccsim load`: `run`'s plan with this workload, at real-time speed unless
    /// `--speed` says otherwise.
    pub fn plan(&self) -> Result<RunPlan, UsageError> {
        if let Some(file) = self.run.scenarios.first() {
            return Err(UsageError(format!(
                "ccsim load takes its workload from flags, not from {}: use `ccsim run {}`",
                file.display(),
                file.display()
            )));
        }
        for (flag, value) in [
            ("--handle-time", Some(self.handle_time)),
            ("--ring-time", Some(self.ring_time)),
            ("--wrap-up", Some(self.wrap_up)),
            ("--patience", self.patience.0),
            ("--queue-timeout", self.queue_timeout.0),
        ] {
            if let Some(value) = value {
                at_most(flag, value, BEHAVIOUR_LIMIT)?;
            }
        }
        let (shard, source) = self.run.shard.resolve()?;
        // From flags alone: nothing of the embedded default scenario (its scripted
        // conversations, its agents, its warnings) is part of a load run, and the agents
        // and duration asked for are load's, not overrides of that scenario.
        let mut run = self.run.clone();
        run.agents = None;
        run.duration = None;
        let mut plan = run.whole_plan()?;
        plan.sim.scripted.clear();
        plan.warnings.clear();
        plan.sim.workload = self.workload();
        plan.sim.mechanics = match self.mechanics {
            MechanicsChoice::Platform => Mechanics::default(),
            MechanicsChoice::Instant => Mechanics::instant(),
        };
        plan.sim.agents =
            AgentPool::default_names(self.run.agents.map_or(DEFAULT_AGENTS, |n| n as usize));
        plan.speed = self.run.speed.unwrap_or(Speed::Factor(1.0));
        plan.partition(shard, source)
    }
}

/// Runs `ccsim load`.
pub async fn exec(args: LoadArgs, shutdown: CancellationToken) -> Result<Exit, RunError> {
    let plan = args.plan()?;
    if let Some(w) = plan_warning(&plan.sim) {
        crate::console::err(&w);
    }
    let (_, exit) = run_plan(plan, shutdown).await?;
    Ok(exit)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn load(args: &[&str]) -> LoadArgs {
        let mut argv = vec!["ccsim", "load"];
        argv.extend_from_slice(args);
        match Cli::try_parse_from(argv).expect("parses").command {
            Command::Load(l) => l,
            _ => unreachable!(),
        }
    }

    #[test]
    fn load_sends_the_event_families_asked_for() {
        use crate::families::{EventFamilies, EventFamily};
        let plan = |args: &[&str]| load(args).plan().expect("plan").sim.events;
        assert_eq!(plan(&["--rate", "1/s"]), EventFamilies::default());
        assert_eq!(
            plan(&["--rate", "1/s", "--events", "agent,queue"]),
            EventFamilies::only(EventFamily::Agent).with(EventFamily::Queue)
        );
    }

    #[test]
    fn the_mix_splits_the_total_rate_by_weight() {
        let w = load(&["--rate", "10/s", "--mix", "queue=3,call_out=1"]).workload();
        assert_eq!(w.rates.len(), 2);
        assert!((w.rates[0].1.per_second() - 7.5).abs() < 1e-9);
        assert!((w.rates[1].1.per_second() - 2.5).abs() < 1e-9);
    }

    #[test]
    fn mix_errors_teach_the_syntax() {
        assert!(
            "queue70"
                .parse::<Mix>()
                .unwrap_err()
                .contains("expected TYPE=WEIGHT pairs")
        );
        assert!(
            "inbound=1"
                .parse::<Mix>()
                .unwrap_err()
                .contains("unknown conversation type \"inbound\"")
        );
        assert!(
            "queue=-1"
                .parse::<Mix>()
                .unwrap_err()
                .contains("non-negative")
        );
        assert!("queue=0".parse::<Mix>().is_err());
        assert!(
            "queue=1e308,call_out=1e308"
                .parse::<Mix>()
                .unwrap_err()
                .contains("add up to more than")
        );
        assert!(
            "queue=1,queue=2"
                .parse::<Mix>()
                .unwrap_err()
                .contains("twice")
        );
    }

    #[test]
    fn off_switches_patience_and_timeouts_off() {
        let l = load(&[
            "--rate",
            "1/s",
            "--patience",
            "off",
            "--queue-timeout",
            "2m",
        ]);
        assert_eq!(l.patience, Switch(None));
        assert_eq!(l.queue_timeout, Switch(Some(Span::from_millis(120_000))));
        let err = Cli::try_parse_from(["ccsim", "load", "--rate", "1/s", "--patience", "soon"])
            .unwrap_err();
        assert!(
            err.to_string().contains("--patience") && err.to_string().contains("or off"),
            "{err}"
        );
    }

    #[test]
    fn lognormal_handle_times_keep_the_asked_mean() {
        let w = load(&[
            "--rate",
            "1/s",
            "--handle-time",
            "120s",
            "--handle-dist",
            "lognormal",
        ])
        .workload();
        assert!((w.behaviour.handle_time.mean_secs() - 120.0).abs() < 1e-6);
    }

    #[test]
    fn the_default_handle_time_is_lognormal_without_implausibly_short_talks() {
        let l = load(&["--rate", "1/s"]);
        let w = l.workload();
        assert!(matches!(w.behaviour.handle_time, Dist::Lognormal { .. }));
        assert!((w.behaviour.handle_time.mean_secs() - 180.0).abs() < 1e-6);
        // Of 100,000 seeded talks, about 1 in 1,000 is under a twentieth of the mean (9 s),
        // against 1 in 20 for exponential ones; none lasts under 2 s.
        let short = |d: &Dist| {
            use rand::SeedableRng;
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
            let talks: Vec<f64> = (0..100_000)
                .map(|_| d.sample(&mut rng).as_secs_f64())
                .collect();
            let under_9s = talks.iter().filter(|t| **t < 9.0).count();
            (under_9s, talks.into_iter().fold(f64::MAX, f64::min))
        };
        let (under_9s, shortest) = short(&w.behaviour.handle_time);
        assert!(under_9s < 200 && shortest > 2.0, "{under_9s} {shortest}");
        let exp = Dist::Exponential {
            mean: Span::from_millis(180_000),
        };
        let (under_9s, shortest) = short(&exp);
        assert!(under_9s > 4_000 && shortest < 0.1, "{under_9s} {shortest}");
    }

    #[test]
    fn instant_mechanics_have_no_delays_and_platform_ones_do() {
        let plan = load(&["--rate", "1/s", "--mechanics", "instant"])
            .plan()
            .expect("plan");
        assert_eq!(plan.sim.mechanics.agent_dial.mean_secs(), 0.0);
        assert_eq!(plan.sim.mechanics.conf_start.mean_secs(), 0.0);
        let plan = load(&["--rate", "1/s"]).plan().expect("plan");
        assert!(plan.sim.mechanics.agent_dial.mean_secs() > 1.0);
    }

    #[test]
    fn an_overload_is_warned_about_with_the_agents_it_needs() {
        let over = load(&["--rate", "5/s", "--agents", "50"])
            .plan()
            .expect("plan");
        let w = plan_warning(&over.sim).expect("warned");
        assert!(
            w.contains("offered to 50 agents") && w.contains("needs at least"),
            "{w}"
        );
        let fine = load(&["--rate", "1/m", "--agents", "50"])
            .plan()
            .expect("plan");
        assert_eq!(plan_warning(&fine.sim), None);
    }

    #[test]
    fn behaviour_durations_are_at_most_a_day() {
        for flag in [
            "--handle-time",
            "--ring-time",
            "--wrap-up",
            "--patience",
            "--queue-timeout",
        ] {
            assert!(
                load(&["--rate", "1/s", flag, "1d"]).plan().is_ok(),
                "{flag}"
            );
            let err = load(&["--rate", "1/s", flag, "25h"])
                .plan()
                .unwrap_err()
                .to_string();
            assert_eq!(err, format!("{flag}: at most 1d, got 1d1h"));
        }
    }

    #[test]
    fn load_defaults_to_real_time_speed_and_ten_agents() {
        let plan = load(&["--rate", "1/s"]).plan().expect("plan");
        assert_eq!(plan.speed, Speed::Factor(1.0));
        assert_eq!(plan.sim.agents.len(), 10);
        assert_eq!(plan.sim.workload.duration, Span::from_millis(600_000));
        assert!(
            plan.sim.scripted.is_empty(),
            "the default scenario's scripts are not part of a load run"
        );
        // Fewer agents than the default scenario names: load has none of its own.
        let plan = load(&["--rate", "1/s", "--agents", "2"])
            .plan()
            .expect("plan");
        assert_eq!(plan.sim.agents.len(), 2);
    }
}
