//! What the engine simulates: the run's [`SimPlan`] (seed, start, agents, scripted
//! conversations) and its generated [`Workload`] (arrival rates per type, ramp stages), as
//! validated values. Built by `scenario` (scenario files) and `load` (flags); the engine never
//! sees either. How the parties behave is [`Behaviour`] and the platform's own delays and
//! limits are [`Mechanics`], each in its own module and re-exported here.

use std::sync::Arc;

use crate::conversation::ConvType;
use crate::families::EventFamilies;
use crate::shard::Shard;
use crate::sim::script::ScriptedConversation;
use crate::time::SimTime;
use crate::units::{Rate, Span};

pub use crate::sim::behaviour::Behaviour;
pub use crate::sim::mechanics::Mechanics;

/// Everything the engine needs for one run.
#[derive(Debug, Clone)]
pub struct SimPlan {
    /// Seed of the engine's RNG: same seed, same ids, payloads and order.
    pub seed: u64,
    /// Where the simulated clock starts.
    pub start: SimTime,
    /// Agent names; the pool starts all idle.
    pub agents: Vec<Arc<str>>,
    /// Each agent's number in the unsplit pool, from 0, which its extension id and SIP user
    /// are made from (so the agents of different shards differ); empty: 0, 1, 2, … in order.
    pub agent_numbers: Vec<usize>,
    /// Which part of the workload this is (`--shard K/N`): the engine's seed is derived from
    /// it and its random ids lie in the shard's part of the id space (`docs/scale-out.md`).
    pub shard: Shard,
    /// Sub-account of every conversation, if any.
    pub subaccount_id: Option<Arc<str>>,
    /// The generated workload.
    pub workload: Workload,
    /// Scripted conversations (their agents are reserved for them).
    pub scripted: Vec<ScriptedConversation>,
    /// The platform's delays and limits.
    pub mechanics: Mechanics,
    /// At most this many conversations live at once (waiting, ringing or talking): a
    /// generated arrival beyond it is turned away at once as [`Outcome::Overflow`]
    /// (`--max-live`). It bounds the engine's memory whatever the load.
    ///
    /// [`Outcome::Overflow`]: crate::conversation::Outcome::Overflow
    pub max_live: usize,
    /// The event families to report: agent and queue occurrences are produced only when
    /// asked for (conversation happenings always are: the records follow them).
    pub events: EventFamilies,
    /// What becomes of the queue task of a caller who hangs up before any agent was
    /// selected.
    pub abandoned_tasks: AbandonedTasks,
}

/// What becomes of the queue task of a caller who hangs up while it waits for an agent
/// (before any agent was selected); the fidelity profile decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AbandonedTasks {
    /// It fails at once with `hangup` (as documented: "排队或者呼叫坐席期间排队发起方的呼叫挂断").
    #[default]
    FailAtHangup,
    /// It stays queued, unannounced: it fails with `timeout` when the queue timeout falls
    /// due, or with `error` when the ACD reaches it with an agent free, whichever is first
    /// (what the platform's code does).
    StayQueued,
}

/// The default of [`SimPlan::max_live`].
pub const DEFAULT_MAX_LIVE: usize = 100_000;
/// The largest [`SimPlan::max_live`] the command line accepts.
pub const MAX_MAX_LIVE: usize = 1_000_000;

/// A generated workload: Poisson arrivals per type for a simulated duration.
#[derive(Debug, Clone)]
pub struct Workload {
    /// How long arrivals keep coming (simulated); live conversations then run to their end.
    pub duration: Span,
    /// Arrival rate per conversation type (after the ramp, if any).
    pub rates: Vec<(ConvType, Rate)>,
    /// Rate stages from the start: each holds its rates for its length; `rates` apply after
    /// the last stage.
    pub ramp: Vec<RateStage>,
    /// How callers, callees and agents behave.
    pub behaviour: Behaviour,
}

/// One stage of a ramp: constant arrival rates for a while.
#[derive(Debug, Clone)]
pub struct RateStage {
    /// How long the stage lasts.
    pub length: Span,
    /// Arrival rate per type during the stage (types not listed: none).
    pub rates: Vec<(ConvType, Rate)>,
}

/// How many live conversations the tables that follow them are sized for up front, at
/// most: a 32,768-slot table's worth. Growing such a table rehashes every entry at once,
/// and in a real-time run that stalls every event due meanwhile (0.4–2 ms at ten thousand
/// live conversations); sized up front, a run with fewer live never grows it. Beyond
/// this, a table grows as it must; its untouched room costs address space, not memory.
const PRESIZED_LIVE: usize = 28_672;

impl SimPlan {
    /// The live conversations to size the engine's and the records' tables for: the
    /// plan's `max_live`, up to 28,672 (a 32,768-slot table's worth).
    pub fn presized_live(&self) -> usize {
        self.max_live.min(PRESIZED_LIVE)
    }

    /// Where what the plan says will happen ends: the end of arrivals or the last scripted
    /// step, whichever is later (the progress line measures the run against it; a
    /// conversation's talk after that is the short tail).
    pub fn planned_end(&self) -> SimTime {
        let arrivals_end = self.start + self.workload.duration;
        self.scripted
            .iter()
            .filter_map(|c| c.steps.last().map(|s| s.at))
            .fold(arrivals_end, SimTime::max)
    }

    /// What the generated workload asks of the agents once any ramp is over: agent legs per
    /// second (a `call_agent` takes two agents) and the expected time an agent is taken per
    /// leg (dial, ring, the platform's delays, talk and after-call work, from the
    /// distributions' means). `None` without generated arrivals.
    pub fn expected_agent_load(&self) -> Option<(f64, f64)> {
        let b = &self.workload.behaviour;
        let m = &self.mechanics;
        let mean = |d: &crate::sim::dist::Dist| d.mean_secs();
        let talk = mean(&b.handle_time) + mean(&b.wrap_up);
        let acd_leg = mean(&m.agent_dial) + mean(&b.agent_ring) + talk;
        let initiator = mean(&b.agent_ring) + mean(&m.conf_start);
        let (mut legs, mut busy) = (0.0, 0.0);
        for (kind, rate) in &self.workload.rates {
            let r = rate.per_second();
            let (n, per_conv) = match kind {
                ConvType::Queue => (1.0, acd_leg),
                ConvType::CallOut => (
                    1.0,
                    initiator + mean(&m.callee_dial) + mean(&b.callee_ring) + talk,
                ),
                // Agent A waits for B's dial and ring, then both talk.
                ConvType::CallAgent => (
                    2.0,
                    initiator + mean(&m.agent_dial) + mean(&b.agent_ring) + talk + acd_leg,
                ),
            };
            legs += r * n;
            busy += r * per_conv;
        }
        (legs > 0.0).then(|| (legs, busy / legs))
    }
}

impl Workload {
    /// No generated conversations at all.
    pub(crate) fn none() -> Self {
        Self {
            duration: Span::ZERO,
            rates: Vec::new(),
            ramp: Vec::new(),
            behaviour: Behaviour::default(),
        }
    }

    /// The types that arrive at some point.
    pub(crate) fn types(&self) -> Vec<ConvType> {
        ConvType::ALL
            .into_iter()
            .filter(|t| {
                self.rates
                    .iter()
                    .chain(self.ramp.iter().flat_map(|s| &s.rates))
                    .any(|(k, r)| k == t && r.per_second() > 0.0)
            })
            .collect()
    }

    /// The arrival rate of `kind` (per second) at `offset` from the start, and the offset
    /// where that rate ends (`None`: it holds to the end).
    pub(crate) fn rate_at(&self, kind: ConvType, offset: Span) -> (f64, Option<Span>) {
        let find = |rates: &[(ConvType, Rate)]| {
            rates
                .iter()
                .find(|(t, _)| *t == kind)
                .map_or(0.0, |(_, r)| r.per_second())
        };
        let mut end = Span::ZERO;
        for stage in &self.ramp {
            end = end + stage.length;
            if offset < end {
                return (find(&stage.rates), Some(end));
            }
        }
        (find(&self.rates), None)
    }
}
