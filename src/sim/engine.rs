//! The discrete-event engine: a priority queue of timed actions over simulated time, the
//! ACD, and the lifecycle of each conversation type (platform-behaviour §3). It turns
//! (plan, seed) into a deterministic stream of [`Happening`]s in time order; it never
//! touches the network or the wall clock.
//!
//! Lifecycle summary (documented by `docs/lifecycles.md`):
//! - `queue`: customer arrives and waits → ACD selects the longest-idle agent → conference
//!   created, customer enters → agent rings (enters while ringing) → answers → begin → talk →
//!   customer or agent hangs up → release → end.
//! - `call_out`: agent A's leg rings and is answered → conference created, A enters → callee
//!   rings (enters while ringing) → answers → begin → talk → hang-up → end.
//! - `call_agent`: like `call_out`, but after A enters the ACD selects agent B.
//! - Failure paths release the conference without begin or end.

use std::collections::VecDeque;

// Fast hashing of the engine's own dense integer keys.
use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::conversation::{
    ConvInfo, ConvType, EndReason, Happening, HappeningKind, MemberInfo, Outcome,
};
use crate::ids::{CallId, ConversationId, Hex32, QueueId, RecordFileId, phone_number};
use crate::sim::agents::{AgentIdx, AgentPool, AgentState};
use crate::sim::script::{PartyRef, ScriptAction, ScriptError, ScriptStep};
use crate::sim::stats::SimStats;
use crate::sim::workload::{Behaviour, Mechanics, SimPlan};
use crate::time::SimTime;
use crate::units::Span;

mod scripted;
mod timers;

use timers::Timers;

/// The simulation engine. Pull happenings with [`Engine::next`].
pub struct Engine {
    now: SimTime,
    timers: Timers<Action>,
    rng: ChaCha8Rng,
    pool: AgentPool,
    /// Live conversations, boxed: growing the table then moves pointers, not 300-byte
    /// records (a rehash of tens of thousands of records stalled real-time sending for
    /// tens of milliseconds).
    convs: HashMap<u64, Box<Conv>>,
    next_key: u64,
    /// Conversations waiting for an agent, first come first served. Entries of callers who
    /// stopped waiting stay until they reach the front (lazy deletion keeps this O(1)).
    waiting: VecDeque<u64>,
    out: VecDeque<Happening>,
    plan: SimPlan,
    mech: Mechanics,
    arrivals_end: SimTime,
    stats: SimStats,
    /// Where each scripted conversation is in its life.
    script_slots: Vec<ScriptSlot>,
    /// Steps the platform could not have produced.
    script_errors: Vec<ScriptError>,
}

/// Where a scripted conversation is in its life.
#[derive(Debug, Clone, Copy)]
enum ScriptSlot {
    /// Its first step has not happened yet.
    Pending,
    /// Live under this key.
    Live(u64),
    /// Over since this instant.
    Over(SimTime),
}

/// What a timer does when it is due.
#[derive(Debug, Clone, Copy)]
enum Action {
    /// A generated arrival of this type (schedules the next one).
    Arrive(ConvType),
    /// A waiting caller gives up or the queue times out.
    GiveUp { key: u64, cause: GiveUpCause },
    /// An agent's after-call work is over.
    AgentFree(AgentIdx),
    /// A step of one conversation's lifecycle.
    Step { key: u64, step: Step },
    /// Step `step` of scripted conversation `conv`.
    Script { conv: usize, step: usize },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GiveUpCause {
    Patience,
    Timeout,
}

#[derive(Debug, Clone, Copy)]
enum Step {
    /// The initiating agent answers its own leg: the conversation is created.
    InitiatorAnswer,
    /// The initiating agent never answers: no conversation.
    InitiatorNoAnswer,
    /// The conference started and the initiator entered it.
    InitiatorEnter,
    /// Party `n` starts ringing and enters the conference.
    Ring(usize),
    /// Party `n` answers.
    Answer(usize),
    /// Party `n` rang too long.
    RingTimeout(usize),
    /// Party `n` hangs up.
    Hangup(usize),
    /// The conference hit its maximum duration.
    MaxDuration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Customer,
    Agent(AgentIdx),
    External,
}

#[derive(Debug)]
struct Party {
    member: MemberInfo,
    role: Role,
    joined: bool,
    left: bool,
    /// Whether the party's own leg is answered (the customer's IVR call always is).
    answered: bool,
}

impl Party {
    fn new(member: MemberInfo, role: Role) -> Self {
        Self {
            member,
            role,
            joined: false,
            left: false,
            answered: role == Role::Customer,
        }
    }
}

/// Behaviour drawn once per conversation, so a conversation's course is fixed at arrival.
#[derive(Debug)]
struct Draws {
    patience: Option<Span>,
    initiator_answers: bool,
    initiator_ring: Span,
    callee_answers: bool,
    callee_ring: Span,
    talk: Span,
    customer_hangs_up: bool,
}

impl Draws {
    /// Scripted conversations draw nothing: their timeline says what happens.
    fn scripted() -> Self {
        Self {
            patience: None,
            initiator_answers: false,
            initiator_ring: Span::ZERO,
            callee_answers: false,
            callee_ring: Span::ZERO,
            talk: Span::ZERO,
            customer_hangs_up: false,
        }
    }
}

#[derive(Debug)]
struct Conv {
    kind: ConvType,
    id: ConversationId,
    queue_id: Option<QueueId>,
    record_file: RecordFileId,
    user_data: Option<Arc<str>>,
    arrived_at: SimTime,
    info: Option<Arc<ConvInfo>>,
    parties: Vec<Party>,
    waiting_since: Option<SimTime>,
    started_at: Option<SimTime>,
    failure: Option<Outcome>,
    draws: Draws,
    /// Index of the scripted conversation this is, if scripted.
    script: Option<usize>,
    /// A scripted `end_reason`.
    end_reason: Option<Arc<str>>,
    /// A scripted sub-account (the plan's otherwise).
    subaccount_id: Option<Arc<str>>,
}

impl Engine {
    /// A new engine at the plan's start time, with every agent idle.
    pub fn new(plan: SimPlan) -> Self {
        Self::with_mechanics(plan, Mechanics::default())
    }

    /// A new engine with non-default platform mechanics (tests use zero delays).
    pub fn with_mechanics(plan: SimPlan, mech: Mechanics) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(plan.seed);
        let mut pool = AgentPool::new(&plan.agents, plan.start, &mut rng);
        // Agents named by scripts are theirs: the generated workload's ACD never selects them.
        for name in plan.scripted.iter().flat_map(|c| c.agent_names()) {
            if let Some(idx) = pool.find(name) {
                pool.reserve(idx);
            }
        }
        let arrivals_end = plan.start + plan.workload.duration;
        let mut engine = Self {
            now: plan.start,
            timers: Timers::default(),
            rng,
            pool,
            convs: HashMap::default(),
            next_key: 0,
            waiting: VecDeque::new(),
            out: VecDeque::new(),
            stats: SimStats::default(),
            plan,
            mech,
            arrivals_end,
            script_slots: Vec::new(),
            script_errors: Vec::new(),
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

    /// Runs only the scripted conversations of `plan` to their end and returns every step
    /// the platform could not have produced. Scripted agents are reserved for scripts, so
    /// the generated workload cannot change this outcome.
    pub fn check_scripts(plan: &SimPlan) -> Vec<ScriptError> {
        let mut plan = plan.clone();
        plan.workload.rates.clear();
        plan.workload.ramp.clear();
        let mut engine = Engine::new(plan);
        while engine.next_happening().is_some() {}
        engine.script_errors
    }

    /// Steps the platform could not have produced, so far.
    pub fn script_errors(&self) -> &[ScriptError] {
        &self.script_errors
    }

    /// The next happening in time order, or `None` when the simulation is over.
    pub fn next_happening(&mut self) -> Option<Happening> {
        loop {
            if let Some(h) = self.out.pop_front() {
                return Some(h);
            }
            let (at, action) = self.timers.pop()?;
            self.now = at;
            self.handle(action);
        }
    }

    /// The current simulated time.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Conversation counts so far. Call [`Engine::finish`] first for final figures.
    pub fn stats(&self) -> &SimStats {
        &self.stats
    }

    /// Ends the simulation now: live conversations count as unfinished.
    pub fn finish(&mut self) -> &SimStats {
        let keys: Vec<u64> = self.convs.keys().copied().collect();
        for key in keys {
            if let Some(conv) = self.convs.remove(&key) {
                self.stats.finished(conv.kind, Outcome::Unfinished);
            }
        }
        self.stats.agent_busy_s = self.pool.busy_secs(self.now);
        self.stats.agent_count = self.pool.len();
        self.stats.simulated_s = self.now.since(self.plan.start).as_secs_f64();
        &self.stats
    }

    fn at(&mut self, at: SimTime, action: Action) {
        self.timers.push(at, action);
    }

    fn after(&mut self, delay: Span, action: Action) {
        self.at(self.now + delay, action);
    }

    fn step_after(&mut self, delay: Span, key: u64, step: Step) {
        self.after(delay, Action::Step { key, step });
    }

    fn schedule_next_arrival(&mut self, kind: ConvType) {
        // A Poisson process whose rate is constant within each ramp stage: exponential
        // gaps, redrawn from a stage's end when a gap crosses it (memorylessness makes this
        // exact).
        let mut from = self.now;
        while from < self.arrivals_end {
            let offset = from.since(self.plan.start);
            let (per_s, stage_end) = self.plan.workload.rate_at(kind, offset);
            let stage_end = stage_end.map_or(self.arrivals_end, |e| self.plan.start + e);
            let stage_end = stage_end.min(self.arrivals_end);
            if per_s > 0.0 {
                let u: f64 = self.rng.random::<f64>();
                let gap = Span::from_secs_f64(-(1.0 - u).ln() / per_s);
                let at = from + gap;
                if at < stage_end {
                    self.at(at, Action::Arrive(kind));
                    return;
                }
            }
            if stage_end <= from {
                return;
            }
            from = stage_end;
        }
    }

    fn handle(&mut self, action: Action) {
        match action {
            Action::Arrive(kind) => {
                self.schedule_next_arrival(kind);
                self.arrive(kind);
            }
            Action::GiveUp { key, cause } => self.give_up(key, cause),
            Action::AgentFree(agent) => {
                self.pool.set_state(agent, AgentState::Idle, self.now);
                self.acd_dispatch();
            }
            Action::Step { key, step } => self.step(key, step),
            Action::Script { conv, step } => self.script_step(conv, step),
        }
    }

    fn behaviour(&self) -> &Behaviour {
        &self.plan.workload.behaviour
    }

    fn draw(&mut self) -> Draws {
        // Disjoint borrows of two fields: no copy of the behaviour per arrival.
        let (b, rng) = (&self.plan.workload.behaviour, &mut self.rng);
        Draws {
            patience: b.patience.as_ref().map(|d| d.sample(rng)),
            initiator_answers: rng.random_bool(b.agent_answer.get()),
            initiator_ring: b.agent_ring.sample(rng),
            callee_answers: rng.random_bool(b.agent_answer.get()),
            callee_ring: b.agent_ring.sample(rng),
            talk: b.handle_time.sample(rng),
            customer_hangs_up: rng.random_bool(b.customer_hangup.get()),
        }
    }

    fn arrive(&mut self, kind: ConvType) {
        self.stats.offered(kind);
        let key = self.next_key;
        self.next_key += 1;
        let mut draws = self.draw();
        if kind == ConvType::CallOut {
            // The external callee answers (or not) with the callee distributions.
            let (b, rng) = (&self.plan.workload.behaviour, &mut self.rng);
            draws.callee_answers = rng.random_bool(b.callee_answer.get());
            draws.callee_ring = b.callee_ring.sample(rng);
        }
        let id = ConversationId(Hex32::random(&mut self.rng));
        let record_file = RecordFileId(Hex32::random(&mut self.rng));
        let queue_id = match kind {
            ConvType::Queue | ConvType::CallAgent => Some(QueueId(Hex32::random(&mut self.rng))),
            ConvType::CallOut => None,
        };
        let user_data = self
            .rng
            .random_bool(self.behaviour().user_data.get())
            .then(|| {
                let ticket = self.rng.random_range(100_000..1_000_000u32);
                Arc::from(format!("ticket={ticket}"))
            });
        let mut conv = Conv {
            kind,
            id,
            queue_id,
            record_file,
            user_data,
            arrived_at: self.now,
            info: None,
            parties: Vec::with_capacity(2),
            waiting_since: None,
            started_at: None,
            failure: None,
            draws,
            script: None,
            end_reason: None,
            subaccount_id: None,
        };
        match kind {
            ConvType::Queue => {
                let call_id = CallId(Hex32::random(&mut self.rng));
                let telnumber = phone_number(&mut self.rng);
                conv.parties
                    .push(Party::new(external(call_id, telnumber), Role::Customer));
                self.convs.insert(key, Box::new(conv));
                self.enqueue(key);
            }
            ConvType::CallOut | ConvType::CallAgent => {
                let Some(agent) = self.pool.select_any_idle(self.now, &mut self.rng) else {
                    self.stats.finished(kind, Outcome::NoIdleAgent);
                    return;
                };
                let call_id = CallId(Hex32::random(&mut self.rng));
                conv.parties.push(Party::new(
                    self.pool.member(agent, call_id),
                    Role::Agent(agent),
                ));
                let (answers, ring) = (conv.draws.initiator_answers, conv.draws.initiator_ring);
                self.convs.insert(key, Box::new(conv));
                let fetch_timeout = self.behaviour().fetch_timeout;
                if answers && ring < fetch_timeout {
                    self.step_after(ring, key, Step::InitiatorAnswer);
                } else {
                    self.step_after(fetch_timeout, key, Step::InitiatorNoAnswer);
                }
            }
        }
    }

    /// Puts a conversation in the ACD queue, with its give-up timers.
    fn enqueue(&mut self, key: u64) {
        let (patience, timeout) = {
            let Some(conv) = self.convs.get_mut(&key) else {
                return;
            };
            conv.waiting_since = Some(self.now);
            (
                conv.draws.patience,
                self.plan.workload.behaviour.queue_timeout,
            )
        };
        self.waiting.push_back(key);
        self.acd_dispatch();
        let Some(conv) = self.convs.get(&key) else {
            return;
        };
        if conv.waiting_since.is_none() {
            return; // an agent was free
        }
        self.stats.queued(conv.kind);
        if let Some(p) = patience {
            self.after(
                p,
                Action::GiveUp {
                    key,
                    cause: GiveUpCause::Patience,
                },
            );
        }
        if let Some(t) = timeout {
            self.after(
                t,
                Action::GiveUp {
                    key,
                    cause: GiveUpCause::Timeout,
                },
            );
        }
    }

    /// Matches waiting conversations with idle agents, first come first served.
    fn acd_dispatch(&mut self) {
        while self.pool.idle_count() > 0 {
            let Some(key) = self.waiting.pop_front() else {
                return;
            };
            let still_waiting = self
                .convs
                .get(&key)
                .is_some_and(|c| c.waiting_since.is_some());
            if !still_waiting {
                continue;
            }
            if let Some(agent) = self.pool.select_longest_idle(self.now) {
                self.assign(key, agent);
            }
        }
    }

    /// The ACD hands the waiting call `key` to `agent` (already `fetching`): the agent's
    /// call is added and, for `queue`, the conversation is created. Returns the party index.
    fn offer_agent(&mut self, key: u64, agent: AgentIdx, call_id: Option<CallId>) -> Option<usize> {
        let call_id = call_id.unwrap_or_else(|| CallId(Hex32::random(&mut self.rng)));
        let member = self.pool.member(agent, call_id);
        let now = self.now;
        let conv = self.convs.get_mut(&key)?;
        let waited_since = conv.waiting_since.take().unwrap_or(now);
        let kind = conv.kind;
        conv.parties.push(Party::new(member, Role::Agent(agent)));
        let party = conv.parties.len() - 1;
        self.stats.assigned(kind, now.since(waited_since));
        if kind == ConvType::Queue {
            self.create(key);
        }
        Some(party)
    }

    fn assign(&mut self, key: u64, agent: AgentIdx) {
        let dial = self.mech.agent_dial.sample(&mut self.rng);
        let conf_start = self.mech.conf_start.sample(&mut self.rng);
        let fetch_timeout = self.behaviour().fetch_timeout;
        let now = self.now;
        let Some(party) = self.offer_agent(key, agent, None) else {
            return;
        };
        let Some(conv) = self.convs.get(&key) else {
            return;
        };
        let kind = conv.kind;
        let (answers, ring, patience, arrived) = (
            conv.draws.callee_answers,
            conv.draws.callee_ring,
            conv.draws.patience,
            conv.arrived_at,
        );
        if kind == ConvType::Queue {
            self.step_after(conf_start, key, Step::InitiatorEnter);
        }
        self.step_after(dial, key, Step::Ring(party));
        let answer_at = if answers && ring < fetch_timeout {
            self.step_after(dial + ring, key, Step::Answer(party));
            now + dial + ring
        } else {
            self.step_after(dial + fetch_timeout, key, Step::RingTimeout(party));
            now + dial + fetch_timeout
        };
        // A queued customer whose patience runs out before the agent answers hangs up
        // while the agent's phone rings.
        if kind == ConvType::Queue
            && let Some(p) = patience
            && arrived + p < answer_at
        {
            let step = Step::Hangup(0);
            self.at((arrived + p).max(now), Action::Step { key, step });
        }
    }

    fn give_up(&mut self, key: u64, cause: GiveUpCause) {
        let Some(conv) = self.convs.get_mut(&key) else {
            return;
        };
        if conv.waiting_since.take().is_none() {
            return; // already assigned: a stale timer
        }
        let outcome = match cause {
            GiveUpCause::Patience => Outcome::AbandonedWaiting,
            GiveUpCause::Timeout => Outcome::QueueTimeout,
        };
        match conv.kind {
            ConvType::Queue => {
                // Never created: no record, no events.
                let kind = conv.kind;
                if let Some(conv) = self.convs.remove(&key) {
                    self.retire(&conv);
                }
                self.stats.finished(kind, outcome);
            }
            _ => {
                // call_agent: agent A is alone in the conference and hangs up (a script
                // says when).
                conv.failure = Some(outcome);
                let scripted = conv.script.is_some();
                if !scripted {
                    let delay = Span::from_millis(self.rng.random_range(500..3_000));
                    self.step_after(delay, key, Step::Hangup(0));
                }
            }
        }
    }

    /// Creates the conversation (conference): its record exists from now on.
    fn create(&mut self, key: u64) {
        let now = self.now;
        let Some(conv) = self.convs.get_mut(&key) else {
            return;
        };
        let subaccount_id = conv
            .subaccount_id
            .clone()
            .or_else(|| self.plan.subaccount_id.clone());
        let info = Arc::new(ConvInfo {
            key,
            id: conv.id,
            kind: conv.kind,
            subaccount_id,
            queue_id: conv.queue_id,
            condition_id: None,
            user_data: conv.user_data.clone(),
            record_file: conv.record_file,
            initiator_call: conv.parties[0].member.call_id,
            created_at: now,
        });
        conv.info = Some(info.clone());
        self.out.push_back(Happening {
            at: now,
            conv: info,
            kind: HappeningKind::Created,
        });
    }

    fn emit(&mut self, key: u64, kind: HappeningKind) {
        if let Some(info) = self.convs.get(&key).and_then(|c| c.info.clone()) {
            self.out.push_back(Happening {
                at: self.now,
                conv: info,
                kind,
            });
        }
    }

    fn step(&mut self, key: u64, step: Step) {
        if !self.convs.contains_key(&key) {
            return; // released: a stale step
        }
        match step {
            Step::InitiatorAnswer => self.initiator_answer(key),
            Step::InitiatorNoAnswer => self.initiator_no_answer(key),
            Step::InitiatorEnter => self.join(key, 0),
            Step::Ring(p) => self.join(key, p),
            Step::Answer(p) => self.answer(key, p),
            Step::RingTimeout(p) => self.ring_timeout(key, p),
            Step::Hangup(p) => self.hangup(key, p),
            Step::MaxDuration => self.release(key, EndReason::MaxDuration),
        }
    }

    /// The initiating agent never answers its own leg: no conversation at all.
    fn initiator_no_answer(&mut self, key: u64) {
        if let Some(conv) = self.convs.remove(&key) {
            if let Role::Agent(a) = conv.parties[0].role {
                self.pool.set_state(a, AgentState::Idle, self.now);
            }
            self.retire(&conv);
            self.stats.finished(conv.kind, Outcome::InitiatorNoAnswer);
            self.acd_dispatch();
        }
    }

    /// Party `p` rang too long (or the dial failed): it is removed.
    fn ring_timeout(&mut self, key: u64, p: usize) {
        let Some(conv) = self.convs.get_mut(&key) else {
            return;
        };
        let failure = match conv.parties[p].role {
            Role::External => Outcome::CalleeNoAnswer,
            _ => Outcome::AgentNoAnswer,
        };
        conv.failure.get_or_insert(failure);
        self.leave(key, p);
    }

    /// Party `p` hangs up; a queued customer doing so before anyone answered abandons, as
    /// does a `call_agent` initiator still waiting for agent B.
    fn hangup(&mut self, key: u64, p: usize) {
        if let Some(conv) = self.convs.get_mut(&key)
            && conv.started_at.is_none()
            && p == 0
        {
            match conv.kind {
                ConvType::Queue => {
                    conv.failure.get_or_insert(Outcome::AbandonedRinging);
                }
                ConvType::CallAgent if conv.waiting_since.is_some() => {
                    conv.failure.get_or_insert(Outcome::AbandonedWaiting);
                }
                _ => {}
            }
        }
        self.leave(key, p);
    }

    fn initiator_answer(&mut self, key: u64) {
        let now = self.now;
        let conf_start = self.mech.conf_start.sample(&mut self.rng);
        let Some(conv) = self.convs.get(&key) else {
            return;
        };
        if let Role::Agent(a) = conv.parties[0].role {
            self.pool.set_state(a, AgentState::Talking, now);
        }
        let kind = conv.kind;
        self.create(key);
        self.step_after(conf_start, key, Step::InitiatorEnter);
        if kind == ConvType::CallOut {
            let dial = self.mech.callee_dial.sample(&mut self.rng);
            let call_id = CallId(Hex32::random(&mut self.rng));
            let telnumber = phone_number(&mut self.rng);
            let dial_timeout = self.behaviour().dial_timeout;
            let Some(conv) = self.convs.get_mut(&key) else {
                return;
            };
            conv.parties
                .push(Party::new(external(call_id, telnumber), Role::External));
            let (answers, ring) = (conv.draws.callee_answers, conv.draws.callee_ring);
            let ring_at = conf_start + dial;
            self.step_after(ring_at, key, Step::Ring(1));
            if answers && ring < dial_timeout {
                self.step_after(ring_at + ring, key, Step::Answer(1));
            } else {
                self.step_after(ring_at + dial_timeout, key, Step::RingTimeout(1));
            }
        }
    }

    /// Party `p` enters the conference (the initiator, or an invited party while ringing).
    fn join(&mut self, key: u64, p: usize) {
        let Some(conv) = self.convs.get_mut(&key) else {
            return;
        };
        if conv.info.is_none() || conv.parties[p].left || conv.parties[p].joined {
            return;
        }
        let joined = conv.parties.iter().filter(|x| x.joined && !x.left).count();
        if joined >= self.mech.max_members {
            return; // 040502: the conference is full
        }
        conv.parties[p].joined = true;
        let member = conv.parties[p].member.clone();
        let kind = conv.kind;
        self.emit(key, HappeningKind::Joined(member));
        if kind == ConvType::CallAgent && p == 0 {
            // Agent A is in: the ACD now looks for agent B (a script names B itself).
            let scripted = self.convs.get(&key).is_some_and(|c| c.script.is_some());
            if scripted {
                if let Some(conv) = self.convs.get_mut(&key) {
                    conv.waiting_since = Some(self.now);
                }
            } else {
                self.enqueue(key);
            }
        }
    }

    fn answer(&mut self, key: u64, p: usize) {
        let now = self.now;
        let max_duration = self.mech.max_duration;
        let Some(conv) = self.convs.get_mut(&key) else {
            return;
        };
        if conv.parties[p].left {
            return;
        }
        conv.parties[p].answered = true;
        if let Role::Agent(a) = conv.parties[p].role {
            self.pool.set_state(a, AgentState::Talking, now);
        }
        if conv.started_at.is_some() {
            return;
        }
        conv.started_at = Some(now);
        let answered_call = conv.parties[p].member.call_id;
        let hangup_party = match (conv.kind, conv.draws.customer_hangs_up) {
            (ConvType::Queue, true) => 0,
            (ConvType::Queue, false) => p,
            (ConvType::CallOut, true) => p,
            (ConvType::CallOut, false) => 0,
            (ConvType::CallAgent, a_hangs_up) => {
                if a_hangs_up {
                    0
                } else {
                    p
                }
            }
        };
        let talk = conv.draws.talk;
        let created = conv.info.as_ref().map_or(now, |i| i.created_at);
        self.stats.began(conv.kind, now.since(conv.arrived_at));
        let scripted = conv.script.is_some();
        self.emit(key, HappeningKind::Started { answered_call });
        if scripted {
            return; // the timeline says how it ends; the cap was set at creation
        }
        let cap = created + max_duration;
        if now + talk >= cap {
            self.at(
                cap,
                Action::Step {
                    key,
                    step: Step::MaxDuration,
                },
            );
        } else {
            self.step_after(talk, key, Step::Hangup(hangup_party));
        }
    }

    /// Party `p` leaves; with one member or fewer left, the conference is released.
    fn leave(&mut self, key: u64, p: usize) {
        let now = self.now;
        let Some(conv) = self.convs.get_mut(&key) else {
            return;
        };
        let party = &mut conv.parties[p];
        if party.left {
            return;
        }
        party.left = true;
        let (was_joined, role, call_id) = (party.joined, party.role, party.member.call_id);
        let remaining = conv.parties.iter().filter(|x| x.joined && !x.left).count();
        let waiting = conv.waiting_since.is_some();
        if let Role::Agent(a) = role {
            self.free_agent(a, now);
        }
        if was_joined {
            self.emit(key, HappeningKind::Left { call_id });
        }
        if remaining <= 1 || waiting {
            let reason = match role {
                Role::Agent(_) => EndReason::AgentHangup,
                Role::Customer | Role::External => EndReason::CustomerHangup,
            };
            self.release(key, reason);
        }
    }

    /// Releases the conference: every remaining member leaves; `end` only if it began.
    fn release(&mut self, key: u64, reason: EndReason) {
        let now = self.now;
        let Some(mut conv) = self.convs.remove(&key) else {
            return;
        };
        // A waiting entry of this conversation is now stale: the ACD skips it.
        self.retire(&conv);
        let reason = match &conv.end_reason {
            Some(custom) => EndReason::Custom(custom.clone()),
            None => reason,
        };
        for party in conv.parties.iter_mut().filter(|p| !p.left) {
            party.left = true;
            if let Role::Agent(a) = party.role {
                self.free_agent(a, now);
            }
        }
        if let Some(info) = conv.info.clone() {
            self.out.push_back(Happening {
                at: now,
                conv: info,
                kind: HappeningKind::Released {
                    reason,
                    started_at: conv.started_at,
                },
            });
        }
        let outcome = if conv.started_at.is_some() {
            Outcome::Completed
        } else {
            conv.failure.unwrap_or(Outcome::DismissedBeforeBegin)
        };
        self.stats.finished(conv.kind, outcome);
        self.acd_dispatch();
    }

    /// An agent's call is over: after-call work, then idle.
    fn free_agent(&mut self, agent: AgentIdx, now: SimTime) {
        let wrap_up = self.plan.workload.behaviour.wrap_up.sample(&mut self.rng);
        if wrap_up > Span::ZERO {
            self.pool.set_state(agent, AgentState::Busy, now);
            self.after(wrap_up, Action::AgentFree(agent));
        } else {
            self.pool.set_state(agent, AgentState::Idle, now);
        }
    }
}

/// The member record of a customer's or external callee's call.
fn external(call_id: CallId, telnumber: Arc<str>) -> MemberInfo {
    MemberInfo {
        call_id,
        agent_name: None,
        extension_id: None,
        telnumber,
        mode: 1,
    }
}

impl Iterator for Engine {
    type Item = Happening;

    fn next(&mut self) -> Option<Happening> {
        self.next_happening()
    }
}
