//! The discrete-event engine: it turns a [`SimPlan`] (and its seed) into a deterministic
//! stream of [`Happening`]s in time order, over simulated time only; it never touches the
//! network or the wall clock.
//!
//! This file owns the [`Engine`] type, its public API and the event loop: the loop pops the
//! earliest due timer, moves the clock to it and hands its action to the part that owns it.
//! The parts, each an `impl Engine` block in its own file:
//! - `arrivals`: generated conversations (Poisson arrivals per type, the behaviour drawn once
//!   per conversation, its ids);
//! - `acd`: the waiting queue and the choice of agent (longest-idle agent, first-come
//!   first-served callers, queue timeout and patience) and agents' after-call work;
//! - `lifecycle`: the steps of a conversation's life (create, join, answer, hang up, leave,
//!   release) and their failure paths;
//! - `scripted`: scripted conversations, driven through the same steps;
//! - `action` (what a timer does), `conv` (the engine's record of a live conversation) and
//!   `timers` (the timer queue) are leaves the others share.
//!
//! Lifecycle summary (the full tables are in `docs/lifecycles.md`):
//! - `queue`: customer arrives and waits → ACD selects the longest-idle agent → conference
//!   created, customer enters → agent rings (enters while ringing) → answers → begin → talk →
//!   customer or agent hangs up → release → end.
//! - `call_out`: agent A's leg rings and is answered → conference created, A enters → callee
//!   rings (enters while ringing) → answers → begin → talk → hang-up → end.
//! - `call_agent`: like `call_out`, but after A enters the ACD selects agent B.
//! - Failure paths release the conference without begin or end.
//!
//! Random numbers are drawn from one seeded generator in the order the loop meets them, so
//! the same plan and seed give the same happenings, ids and order.

use std::collections::VecDeque;
use std::sync::Arc;

// Fast hashing of the engine's own dense integer keys.
use rustc_hash::FxHashMap as HashMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::conversation::{Happening, Outcome};
use crate::ids::Hex32;
use crate::occurrence::Occurrence;
use crate::operation::ConditionSpec;
use crate::sim::agents::AgentPool;
use crate::sim::agents::directory::Directory;
use crate::sim::behaviour::Behaviour;
use crate::sim::dist::Dist;
use crate::sim::mechanics::Mechanics;
use crate::sim::script::{ScriptCapped, ScriptCheck, ScriptError};
use crate::sim::stats::SimStats;
use crate::sim::workload::SimPlan;
use crate::time::SimTime;
use crate::units::Span;

mod acd;
mod action;
mod announce;
mod arrivals;
mod conv;
mod lifecycle;
mod operate;
mod scripted;
#[cfg(test)]
mod testing;
mod timers;

use action::{Action, Step};
use conv::{Conv, ScriptSlot};
use timers::Timers;

/// Mixed into the seed of the engine's second generator (`Engine::side_rng`).
const SIDE_SEED: u64 = 0x5eed_a6e7_0000_0001;

/// Mixed into the seed of the directory's id generator (`Engine::directory`).
const DIRECTORY_SEED: u64 = 0x5eed_d1ec_0000_0002;

/// What [`Engine::pull`] found within its budget.
#[derive(Debug)]
pub enum Pull {
    /// The next occurrence in time order.
    Ready(Occurrence),
    /// The budget of actions ran out before any happening: ask again (after letting other
    /// tasks run).
    Busy,
    /// The simulation is over.
    Done,
    /// Nothing is due by the limit of [`Engine::pull_until`]; the next action is due at
    /// this instant.
    NotYet(SimTime),
}

/// The simulation engine. Pull happenings with [`Engine::next`] (to the next happening,
/// however long that takes) or [`Engine::pull`] (at most a budget of actions per call).
pub struct Engine {
    /// The simulated clock: the instant of the action being handled.
    now: SimTime,
    /// What is due when.
    timers: Timers<Action>,
    /// The one source of randomness of conversations, seeded from the plan.
    rng: ChaCha8Rng,
    /// The randomness of what only agent and queue events show (shadow calls, invited
    /// agents' task ids), apart from `rng` so that asking for those events changes no
    /// conversation's ids or course.
    side_rng: ChaCha8Rng,
    /// The ACD condition generated `queue` calls are queued on.
    condition_id: Arc<str>,
    /// The agents and their states.
    pool: AgentPool,
    /// Extensions and ACD conditions (the scenario's agents' extensions and the default
    /// condition from the start), with an id generator of their own.
    directory: Directory,
    /// Live conversations, boxed: growing the table then moves pointers, not 300-byte
    /// records (a rehash of tens of thousands of records stalled real-time sending for
    /// tens of milliseconds).
    convs: HashMap<u64, Box<Conv>>,
    /// The key of the next conversation (keys are dense, in arrival order).
    next_key: u64,
    /// Conversations waiting for an agent, first come first served. Entries of callers who
    /// stopped waiting stay until they reach the front (lazy deletion keeps this O(1)).
    waiting: VecDeque<u64>,
    /// What the last action produced, not yet pulled.
    out: VecDeque<Occurrence>,
    /// What to simulate.
    plan: SimPlan,
    /// The platform's delays and limits.
    mech: Mechanics,
    /// When generated arrivals stop.
    arrivals_end: SimTime,
    /// Counts so far.
    stats: SimStats,
    /// Where each scripted conversation is in its life.
    script_slots: Vec<ScriptSlot>,
    /// Steps the platform could not have produced.
    script_errors: Vec<ScriptError>,
    /// Scripted conversations their maximum duration ended.
    script_capped: Vec<ScriptCapped>,
    /// Callers in the ACD queue still waiting (the `waiting` entries that are not stale).
    queue_len: u64,
    /// The ACD queue when arrivals stopped, once the clock has passed that point.
    queue_at_arrivals_end: Option<u64>,
    /// When the ACD queue was first empty at or after the end of arrivals.
    queue_drained_at: Option<SimTime>,
    /// The instant of the last happening pulled.
    last_happening: SimTime,
    /// Queue tasks of callers who hung up before any agent was selected, left queued
    /// unannounced until they time out or the ACD reaches them
    /// ([`AbandonedTasks::StayQueued`](crate::sim::workload::AbandonedTasks)), by
    /// conversation key; at most `max_live` of them.
    ghosts: HashMap<u64, conv::Ghost>,
    /// Give-up timers (patience, queue timeout) scheduled and not yet due; those of callers
    /// an agent took meanwhile are stale and dropped in bulk once they dominate.
    give_ups: usize,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// A new engine at the plan's start time, with every agent idle.
    pub fn new(plan: SimPlan) -> Self {
        let mech = plan.mechanics.clone();
        Self::with_mechanics(plan, mech)
    }

    /// A new engine with platform mechanics other than the plan's (zero delays, for
    /// instance, make an agent's busy time exactly its ring and talk time).
    pub fn with_mechanics(mut plan: SimPlan, mech: Mechanics) -> Self {
        plan.mechanics = mech.clone();
        let mut rng = ChaCha8Rng::seed_from_u64(plan.shard.seed(plan.seed));
        let mut side_rng = ChaCha8Rng::seed_from_u64(plan.shard.seed(plan.seed) ^ SIDE_SEED);
        let condition_id: Arc<str> = Hex32::hibernate(
            side_rng.random(),
            side_rng.random(),
            plan.start.epoch_ms() - 3_600_000,
            0,
        )
        .as_str()
        .into();
        let mut pool = AgentPool::new(&plan.agents, &plan.agent_numbers, plan.start, &mut rng);
        // Agents named by scripts are theirs: the generated workload's ACD never selects them.
        for name in plan.scripted.iter().flat_map(|c| c.agent_names()) {
            if let Some(idx) = pool.find(name) {
                pool.reserve(idx);
            }
        }
        let directory = Self::directory(&plan, &pool, &condition_id);
        let arrivals_end = plan.start + plan.workload.duration;
        let plan_start = plan.start;
        let live = plan.presized_live();
        let mut engine = Self {
            now: plan.start,
            // About two timers per live conversation (its next step, and a give-up or an
            // agent's wrap-up), besides the arrivals'.
            timers: Timers::with_capacity(2 * live),
            rng,
            side_rng,
            condition_id,
            pool,
            directory,
            convs: HashMap::with_capacity_and_hasher(live, Default::default()),
            next_key: 0,
            waiting: VecDeque::new(),
            out: VecDeque::new(),
            stats: SimStats::default(),
            plan,
            mech,
            arrivals_end,
            script_slots: Vec::new(),
            script_errors: Vec::new(),
            script_capped: Vec::new(),
            queue_len: 0,
            queue_at_arrivals_end: None,
            queue_drained_at: None,
            last_happening: plan_start,
            give_ups: 0,
            ghosts: HashMap::default(),
        };
        for kind in engine.plan.workload.types() {
            engine.schedule_next_arrival(kind);
        }
        let steps: Vec<(usize, usize, SimTime)> = engine
            .plan
            .scripted
            .iter()
            .enumerate()
            .flat_map(|(c, conv)| {
                conv.steps
                    .iter()
                    .enumerate()
                    .map(move |(i, s)| (c, i, s.at))
            })
            .collect();
        engine.script_slots = vec![ScriptSlot::Pending; engine.plan.scripted.len()];
        for (conv, step, at) in steps {
            engine.at(at.max(engine.plan.start), Action::Script { conv, step });
        }
        engine
    }

    /// The directory at the start: every agent's extension, and the condition generated
    /// calls queue on (`where: "1==1;"`, the scenario's queue and fetch timeouts).
    fn directory(plan: &SimPlan, pool: &AgentPool, condition_id: &Arc<str>) -> Directory {
        let mut rng = ChaCha8Rng::seed_from_u64(plan.shard.seed(plan.seed) ^ DIRECTORY_SEED);
        let mut directory = Directory::new(&mut rng);
        for idx in 0..pool.len() {
            let agent = pool.get(idx);
            directory.add_extension(agent.extension_id(), agent.sip_user().clone());
        }
        let behaviour = &plan.workload.behaviour;
        let whole_secs =
            |s: Span| u32::try_from(s.as_micros().div_ceil(1_000_000)).unwrap_or(u32::MAX);
        let spec = ConditionSpec {
            where_: "1==1;".into(),
            sort: None,
            priority: 0,
            queue_timeout: behaviour
                .queue_timeout
                .map_or(1000, whole_secs)
                .clamp(1, 1000),
            fetch_timeout: whole_secs(behaviour.fetch_timeout).clamp(1, 60),
            remark: Some("ccsim: the scenario's condition".into()),
        };
        // `1==1;` always parses.
        if directory.add_condition(condition_id.clone(), spec).is_err() {
            debug_assert!(false, "the default condition does not parse");
        }
        directory
    }

    /// Runs only the scripted conversations of `plan` to their end and returns every step
    /// the platform could not have produced, and the conversations only their 6-hour cap
    /// ended. Scripted agents are reserved for scripts, so the generated workload cannot
    /// change this outcome.
    pub(crate) fn check_scripts(plan: &SimPlan) -> ScriptCheck {
        let mut plan = plan.clone();
        plan.workload.rates.clear();
        plan.workload.ramp.clear();
        let mut engine = Engine::new(plan);
        while engine.next_happening().is_some() {}
        ScriptCheck {
            errors: engine.script_errors,
            capped: engine.script_capped,
        }
    }

    /// Steps the platform could not have produced, so far.
    pub fn script_errors(&self) -> &[ScriptError] {
        &self.script_errors
    }

    /// The next occurrence (of any family) in time order, or `None` when the simulation is
    /// over.
    pub fn next_occurrence(&mut self) -> Option<Occurrence> {
        loop {
            match self.pull(usize::MAX) {
                Pull::Ready(o) => return Some(o),
                Pull::Busy => {}
                Pull::Done | Pull::NotYet(_) => return None,
            }
        }
    }

    /// The next conversation happening in time order (agent and queue occurrences are
    /// skipped), or `None` when the simulation is over.
    pub fn next_happening(&mut self) -> Option<Happening> {
        loop {
            match self.next_occurrence()? {
                Occurrence::Conversation(h) => return Some(h),
                Occurrence::Agent(_) | Occurrence::Queue(_) => {}
            }
        }
    }

    /// The next happening, handling at most `budget` due actions to find it. Many actions
    /// make no happening (an arrival turned away, a caller starting to wait, a stale
    /// timer), so under overload the next happening may be millions of actions away: a
    /// caller that must stay responsive (the delivery loop) pulls with a budget and yields
    /// between calls.
    pub fn pull(&mut self, budget: usize) -> Pull {
        for _ in 0..budget {
            if let Some(o) = self.out.pop_front() {
                self.last_happening = o.at();
                return Pull::Ready(o);
            }
            if !self.handle_next() {
                return Pull::Done;
            }
        }
        match self.out.pop_front() {
            Some(o) => {
                self.last_happening = o.at();
                Pull::Ready(o)
            }
            None => Pull::Busy,
        }
    }

    /// Like [`Engine::pull`], but only handles actions due at or before `limit`: the
    /// engine's clock never passes it, so an operation can still happen at `limit`
    /// (`Engine::operate`). [`Pull::NotYet`] says when the next action is due.
    pub fn pull_until(&mut self, limit: SimTime, budget: usize) -> Pull {
        for _ in 0..budget {
            if self.out.is_empty() {
                match self.timers.next_at() {
                    Some(at) if at > limit => {
                        if !self.drop_stale_timer() {
                            return Pull::NotYet(at);
                        }
                        continue;
                    }
                    Some(_) => {}
                    None => return Pull::Done,
                }
            }
            match self.pull(1) {
                Pull::Busy => {}
                other => return other,
            }
        }
        Pull::Busy
    }

    /// Takes the earliest timer if handling it would do nothing (a step of a released
    /// conversation, a give-up of a caller no longer waiting), so an engine held back by
    /// a limit sees its end without waiting for timers that would change nothing.
    fn drop_stale_timer(&mut self) -> bool {
        let stale = match self.timers.peek() {
            Some(Action::Step { key, .. }) => !self.convs.contains_key(key),
            Some(Action::GiveUp { key, .. }) => {
                !self.ghosts.contains_key(key)
                    && self
                        .convs
                        .get(key)
                        .is_none_or(|c| c.waiting_since.is_none())
            }
            Some(&Action::AgentFree { agent, changes }) => !self.still_after_call(agent, changes),
            Some(Action::Arrive(_) | Action::Script { .. }) | None => false,
        };
        if stale && let Some((_, Action::GiveUp { .. })) = self.timers.pop() {
            self.give_ups = self.give_ups.saturating_sub(1);
        }
        stale
    }

    /// Handles every action due at or before `at` (what they produce waits to be pulled,
    /// in order), then moves the clock to `at` if it is behind: the instant an operation
    /// happens at.
    pub fn advance_to(&mut self, at: SimTime) {
        while self.timers.next_at().is_some_and(|due| due <= at) {
            self.handle_next();
        }
        self.now = self.now.max(at);
    }

    /// Moves the clock to the earliest action and handles it; false when none is left.
    fn handle_next(&mut self) -> bool {
        let Some((at, action)) = self.timers.pop() else {
            return false;
        };
        if at > self.arrivals_end {
            self.note_arrivals_end();
        }
        self.now = at;
        self.handle(action);
        if self.queue_at_arrivals_end.is_some()
            && self.queue_drained_at.is_none()
            && self.queue_len == 0
        {
            self.queue_drained_at = Some(self.now);
        }
        true
    }

    /// The engine's clock: the instant of the latest action handled, or of the latest
    /// [`Engine::advance_to`].
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Conversations live now (waiting, ringing or talking).
    pub fn live(&self) -> usize {
        self.convs.len()
    }

    /// The clock is about to pass the end of arrivals: the ACD queue as it stands is the
    /// backlog arrivals left behind.
    fn note_arrivals_end(&mut self) {
        if self.queue_at_arrivals_end.is_none() {
            self.queue_at_arrivals_end = Some(self.queue_len);
            if self.queue_len == 0 {
                self.queue_drained_at = Some(self.arrivals_end);
            }
        }
    }

    /// Ends the simulation now: live conversations count as unfinished; agent occupancy,
    /// the simulated time covered and the ACD queue's backlog are filled in.
    ///
    /// The simulated time covered runs from the start to the last thing that happened (a
    /// happening, or an agent's state change such as the end of after-call work), or to the
    /// end of arrivals if that is later and the clock got there: a timer left over from a
    /// conversation that already ended (its 6-hour cap, say) does not stretch it.
    pub fn finish(&mut self) -> &SimStats {
        if self.now >= self.arrivals_end {
            self.note_arrivals_end();
        }
        let keys: Vec<u64> = self.convs.keys().copied().collect();
        for key in keys {
            if let Some(conv) = self.convs.remove(&key) {
                self.stats.finished(conv.kind, Outcome::Unfinished);
            }
        }
        let end = self
            .last_happening
            .max(self.pool.last_change())
            .max(self.arrivals_end.min(self.now));
        let start = self.plan.start;
        let time = self.pool.time(end);
        let s = &mut self.stats;
        s.agent_busy_s = time.busy_s;
        s.agent_wrap_up_s = time.wrap_up_s;
        s.agent_engagements = time.engagements;
        s.agents = time.agents;
        s.agent_count = self.pool.len();
        s.simulated_s = end.since(start).as_secs_f64();
        s.arrivals_s = self.arrivals_end.min(end).since(start).as_secs_f64();
        s.patience_mean_s = self
            .plan
            .workload
            .behaviour
            .patience
            .as_ref()
            .map(Dist::mean_secs);
        s.queue_at_arrivals_end = self.queue_at_arrivals_end.unwrap_or(self.queue_len);
        s.queue_drained_after_s = self
            .queue_drained_at
            .map(|t| t.since(self.arrivals_end).as_secs_f64());
        &self.stats
    }

    /// Takes `conv` in as a new live conversation, offered now; returns its key.
    fn admit_conversation(&mut self, conv: Conv) -> u64 {
        let key = self.next_key;
        self.next_key += 1;
        self.stats.offered(conv.kind);
        self.convs.insert(key, Box::new(conv));
        key
    }

    /// Schedules `action` at `at`.
    fn at(&mut self, at: SimTime, action: Action) {
        self.timers.push(at, action);
    }

    /// Schedules `action` `delay` from now.
    fn after(&mut self, delay: Span, action: Action) {
        self.at(self.now + delay, action);
    }

    /// Schedules lifecycle step `step` of conversation `key` `delay` from now.
    fn step_after(&mut self, delay: Span, key: u64, step: Step) {
        self.after(delay, Action::Step { key, step });
    }

    /// Hands a due action to the part of the engine that owns it.
    fn handle(&mut self, action: Action) {
        match action {
            Action::Arrive(kind) => {
                self.schedule_next_arrival(kind);
                self.arrive(kind);
            }
            Action::GiveUp { key, cause } => {
                self.give_ups = self.give_ups.saturating_sub(1);
                self.give_up(key, cause);
            }
            Action::AgentFree { agent, changes } => self.wrap_up_over(agent, changes),
            Action::Step { key, step } => self.step(key, step),
            Action::Script { conv, step } => self.script_step(conv, step),
        }
    }

    /// How the generated workload's parties behave.
    fn behaviour(&self) -> &Behaviour {
        &self.plan.workload.behaviour
    }
}

impl Iterator for Engine {
    type Item = Happening;

    fn next(&mut self) -> Option<Happening> {
        self.next_happening()
    }
}

#[cfg(test)]
mod tests {
    use crate::conversation::{ConvType, Outcome};
    use crate::sim::behaviour::Behaviour;
    use crate::units::Rate;

    use super::Engine;
    use super::testing::{engine, plan, secs};

    #[test]
    fn the_live_conversations_table_and_the_timers_are_sized_for_the_plan_up_front() {
        let e = engine(1, |_, _| {});
        let live = e.plan.presized_live();
        assert!(live > 10_000, "sized for {live}");
        let (convs, timers) = (e.convs.capacity(), e.timers.capacity());
        assert!(convs >= live, "room for {convs} conversations");
        assert!(timers >= 2 * live, "room for {timers} timers");
        let mut small = super::testing::plan(1, super::testing::behaviour());
        small.max_live = 50;
        assert_eq!(small.presized_live(), 50, "never more than max_live");
    }

    #[test]
    fn finish_counts_live_conversations_as_unfinished_and_measures_agent_time() {
        let mut e = engine(2, |_, _| {});
        e.arrival(0, ConvType::Queue);
        // Created, customer joins, agent joins, begins (6 s after the start).
        for _ in 0..4 {
            e.next_happening().expect("a happening");
        }
        assert_eq!(e.now.since(e.plan.start), secs(6));
        let stats = e.finish();
        let queue = &stats.by_type[&ConvType::Queue];
        assert_eq!((queue.started, queue.unfinished), (1, 1));
        assert_eq!(queue.by_outcome.get(&Outcome::Unfinished), Some(&1));
        assert_eq!(stats.agent_count, 2);
        assert!((stats.simulated_s - 6.0).abs() < 1e-9);
        assert!(
            (stats.agent_busy_s - 6.0).abs() < 1e-9,
            "fetching from 0 s, talking from 6 s"
        );
    }

    #[test]
    fn the_backlog_left_when_arrivals_stop_is_counted_and_timed_until_it_drains() {
        let mut e = engine(1, |b, _| {
            b.patience = None;
            b.queue_timeout = None;
        });
        // Arrivals end at the start: three callers then, one agent.
        e.arrival(0, ConvType::Queue);
        e.arrival(0, ConvType::Queue);
        e.arrival(0, ConvType::Queue);
        while e.next_happening().is_some() {}
        let stats = e.finish();
        assert_eq!(
            stats.queue_at_arrivals_end, 2,
            "two callers wait for the one agent"
        );
        let drained = stats.queue_drained_after_s.expect("the queue drained");
        assert!(drained > 1.0 && drained < stats.simulated_s, "{drained}");
        assert_eq!(stats.agent_engagements, 3);
    }

    #[test]
    fn the_same_plan_and_seed_give_the_same_happenings() {
        let run = |seed: u64| {
            let mut plan = plan(4, Behaviour::default());
            plan.seed = seed;
            plan.workload.duration = secs(600);
            plan.workload.rates = ConvType::ALL
                .map(|t| (t, Rate::from_per_second(0.05)))
                .to_vec();
            Engine::new(plan).transcript()
        };
        let first = run(5);
        assert!(first.len() > 50, "{}", first.len());
        assert_eq!(first, run(5));
        assert_ne!(first, run(6));
    }

    #[test]
    fn an_engine_iterates_its_happenings_in_time_order() {
        let mut e = engine(2, |_, _| {});
        e.arrival(0, ConvType::Queue);
        e.arrival(500, ConvType::CallOut);
        let times: Vec<_> = e.by_ref().map(|h| h.at).collect();
        assert_eq!(times.len(), 12);
        assert!(times.is_sorted());
        assert!(e.next().is_none());
    }
}
