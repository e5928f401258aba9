//! The agent pool: the agents logged in, with their names, extensions, states, skills and
//! registrations, and the ACD's choice among the idle ones.
//!
//! An agent is in at most one live conversation. The ACD only selects agents that are
//! exactly `idle`, registered and not reserved for scripts, the one idle for longest first
//! (first-come first-served callers, longest-idle agents); a route may narrow the choice or
//! order it by score (`Engine::select_agent`).
//!
//! Agents are never removed: a logout marks its slot logged out, so an index held by a
//! conversation or a timer never points at another agent; a new login takes a new slot.
//! Slots are in login order (the scenario's agents first).

use std::sync::Arc;

use rand::Rng;
use rustc_hash::FxHashMap as HashMap;

use crate::agent::{AgentInfo, StateName};
use crate::conversation::MemberInfo;
use crate::ids::{CallId, ExtensionId, Hex32};
use crate::operation::Skill;
use crate::sim::stats::AgentFigures;
use crate::time::SimTime;
use crate::units::Span;
use idle::IdleQueue;

pub(super) mod directory;
mod idle;

pub(super) use crate::agent::AgentState;

/// Index of an agent in the pool.
pub(super) type AgentIdx = usize;

/// How long a login or a keepalive keeps an agent registered: 24 hours.
pub(super) const REGISTRATION: Span = Span::from_millis(24 * 3_600_000);

/// One agent.
#[derive(Debug)]
pub(super) struct Agent {
    /// The agent's facts, as its events carry them.
    info: Arc<AgentInfo>,
    /// The agent's name (`agent-001`, …).
    name: Arc<str>,
    /// The agent's extension id (Hibernate-style 32 hex).
    extension_id: ExtensionId,
    /// The extension's SIP user (6–12 digits), the agent's `telnumber` in records.
    sip_user: Arc<str>,
    /// Current base state.
    pub(super) state: AgentState,
    /// Current state, as the platform names it (the base, and any extension).
    state_name: StateName,
    /// Its work number (`num`).
    num: Option<Arc<str>>,
    /// Its skills.
    skills: Vec<Skill>,
    /// Until when it is registered (`None`: for good; the scenario's agents' phones keep
    /// themselves registered).
    registered_until: Option<SimTime>,
    /// Whether it is logged in.
    logged_in: bool,
    /// Since when the agent has been in its current state.
    since: SimTime,
    /// Total simulated time spent fetching (its phone ringing).
    ringing_micros: u64,
    /// Total simulated time spent talking.
    talk_micros: u64,
    /// Total simulated time spent in after-call work.
    wrap_up_micros: u64,
    /// How many times the agent was taken from idle (selected, dialled or named).
    engagements: u64,
    /// How many calls the agent answered (fetching → talking).
    handled: u64,
}

impl Agent {
    /// Its time in each state up to `now` (the current state's included): ringing, talking
    /// and in after-call work, microseconds.
    fn spent(&self, now: SimTime) -> (u64, u64, u64) {
        let live = now.since(self.since).as_micros();
        let (mut ringing, mut talk, mut wrap_up) =
            (self.ringing_micros, self.talk_micros, self.wrap_up_micros);
        match self.state {
            AgentState::Fetching => ringing += live,
            AgentState::Talking => talk += live,
            AgentState::Busy => wrap_up += live,
            AgentState::Idle | AgentState::Online | AgentState::Away => {}
        }
        (ringing, talk, wrap_up)
    }
}

/// How the agents spent their time, summed over the pool, and each agent's figures.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct AgentTime {
    /// Fetching or talking, seconds.
    pub(super) busy_s: f64,
    /// In after-call work, seconds.
    pub(super) wrap_up_s: f64,
    /// Times an agent was taken from idle.
    pub(super) engagements: u64,
    /// Each agent's figures, by name (`SimStats::agents`): they add up to the sums above.
    pub(super) agents: Vec<AgentFigures>,
}

/// A new agent, as a login gives it.
#[derive(Debug, Clone)]
pub(super) struct NewAgent {
    /// Its name.
    pub(super) name: Arc<str>,
    /// Its work number.
    pub(super) num: Option<Arc<str>>,
    /// Its first state.
    pub(super) state: StateName,
    /// Its skills.
    pub(super) skills: Vec<Skill>,
    /// Its extension.
    pub(super) extension_id: ExtensionId,
    /// The extension's SIP user.
    pub(super) sip_user: Arc<str>,
}

/// The pool of agents and the idle queue the ACD selects from.
#[derive(Debug)]
pub struct AgentPool {
    agents: Vec<Agent>,
    /// The logged-in agents by name.
    by_name: HashMap<Arc<str>, AgentIdx>,
    /// The logged-in agents by extension.
    by_extension: HashMap<ExtensionId, AgentIdx>,
    /// Idle agents the ACD may select, longest idle first (logged in, not reserved; their
    /// registration is checked as they are taken).
    idle: IdleQueue,
    /// Agents kept out of the ACD (scripted conversations name them).
    reserved: Vec<bool>,
    /// The instant of the latest state change.
    last_change: SimTime,
    /// When the agents came on (the run's start), from which occupancy is measured.
    start: SimTime,
    /// The number the next agent logged in gets (its delivery lane is made from it).
    next_number: usize,
}

impl Agent {
    /// The agent's name.
    pub(super) fn name(&self) -> &Arc<str> {
        &self.name
    }

    /// The agent's facts, as its events carry them.
    pub(super) fn info(&self) -> &Arc<AgentInfo> {
        &self.info
    }

    /// Its state as the platform names it.
    pub(super) fn state_name(&self) -> &StateName {
        &self.state_name
    }

    /// Its work number.
    pub(super) fn num(&self) -> Option<&Arc<str>> {
        self.num.as_ref()
    }

    /// Its skills.
    pub(super) fn skills(&self) -> &[Skill] {
        &self.skills
    }

    /// The score of its enabled skill `name` (`None`: it has no such enabled skill).
    pub(super) fn skill(&self, name: &str) -> Option<i64> {
        self.skills
            .iter()
            .find(|s| s.enabled && &*s.name == name)
            .map(|s| s.score)
    }

    /// Its extension.
    pub(super) fn extension_id(&self) -> ExtensionId {
        self.extension_id
    }

    /// Its extension's SIP user.
    pub(super) fn sip_user(&self) -> &Arc<str> {
        &self.sip_user
    }

    /// Whether it is registered at `now`.
    pub(super) fn registered(&self, now: SimTime) -> bool {
        self.registered_until.is_none_or(|until| now < until)
    }

    /// Whether it is logged in.
    pub(super) fn logged_in(&self) -> bool {
        self.logged_in
    }
}

impl AgentPool {
    /// A pool of agents with the given names, all logged in, registered and idle at
    /// `start`. `numbers` are the agents' numbers in the unsplit pool (empty: their
    /// positions), which their extension ids and SIP users are made from: two agents of
    /// different numbers never share either.
    pub(super) fn new(
        names: &[Arc<str>],
        numbers: &[usize],
        start: SimTime,
        rng: &mut impl Rng,
    ) -> Self {
        let ip: u32 = 0x0a00_0000 | rng.random_range(0..0x00ff_ffff);
        let jvm: u32 = rng.random();
        let agents: Vec<Agent> = names
            .iter()
            .enumerate()
            .map(|(at, name)| (numbers.get(at).copied().unwrap_or(at), name))
            .map(|(i, name)| {
                let extension_id = ExtensionId(Hex32::hibernate(
                    ip,
                    jvm,
                    start.epoch_ms() - 86_400_000 + i as i64 * 1_037,
                    i as u16,
                ));
                (i, name, extension_id)
            })
            .map(|(i, name, extension_id)| Agent {
                info: Arc::new(AgentInfo {
                    number: i,
                    name: name.clone(),
                    extension_id,
                }),
                name: name.clone(),
                extension_id,
                sip_user: format!("{}", 8_001_000 + i).into(),
                state: AgentState::Idle,
                state_name: AgentState::Idle.into(),
                num: None,
                skills: Vec::new(),
                registered_until: None,
                logged_in: true,
                since: start,
                ringing_micros: 0,
                talk_micros: 0,
                wrap_up_micros: 0,
                engagements: 0,
                handled: 0,
            })
            .collect();
        let mut idle = IdleQueue::default();
        for idx in 0..agents.len() {
            idle.push_back(idx);
        }
        let reserved = vec![false; agents.len()];
        let by_name = agents
            .iter()
            .enumerate()
            .map(|(idx, a)| (a.name.clone(), idx))
            .collect();
        let by_extension = agents
            .iter()
            .enumerate()
            .map(|(idx, a)| (a.extension_id, idx))
            .collect();
        let next_number = agents.iter().map(|a| a.info.number + 1).max().unwrap_or(0);
        Self {
            agents,
            by_name,
            by_extension,
            idle,
            reserved,
            last_change: start,
            start,
            next_number,
        }
    }

    /// Default agent names: `agent-001`, `agent-002`, ….
    pub fn default_names(count: usize) -> Vec<Arc<str>> {
        (1..=count)
            .map(|i| Arc::from(format!("agent-{i:03}")))
            .collect()
    }

    /// Number of agents (every login, the logged-out ones too).
    pub(super) fn len(&self) -> usize {
        self.agents.len()
    }

    /// The agent at `idx`.
    pub(super) fn get(&self, idx: AgentIdx) -> &Agent {
        &self.agents[idx]
    }

    /// Finds a logged-in agent by name.
    pub(super) fn find(&self, name: &str) -> Option<AgentIdx> {
        self.by_name.get(name).copied()
    }

    /// The logged-in agent whose extension is `extension`, if any.
    pub(super) fn bound_to(&self, extension: ExtensionId) -> Option<AgentIdx> {
        self.by_extension.get(&extension).copied()
    }

    /// The logged-in agents, in login order.
    pub(super) fn logged_in(&self) -> impl Iterator<Item = AgentIdx> + '_ {
        (0..self.agents.len()).filter(|&idx| self.agents[idx].logged_in)
    }

    /// Number of idle agents in the ACD's queue (their registration unchecked).
    pub(super) fn idle_count(&self) -> usize {
        self.idle.len()
    }

    /// Logs an agent in at `now`, registered for [`REGISTRATION`], in state `new.state`
    /// (the caller checked the name and the extension are free).
    pub(super) fn login(&mut self, new: NewAgent, now: SimTime) -> AgentIdx {
        let idx = self.agents.len();
        let number = self.next_number;
        self.next_number += 1;
        let info = Arc::new(AgentInfo {
            number,
            name: new.name.clone(),
            extension_id: new.extension_id,
        });
        self.agents.push(Agent {
            info,
            name: new.name.clone(),
            extension_id: new.extension_id,
            sip_user: new.sip_user,
            state: new.state.base(),
            state_name: new.state.clone(),
            num: new.num,
            skills: new.skills,
            registered_until: Some(now + REGISTRATION),
            logged_in: true,
            since: now,
            ringing_micros: 0,
            talk_micros: 0,
            wrap_up_micros: 0,
            engagements: 0,
            handled: 0,
        });
        self.reserved.push(false);
        self.by_name.insert(new.name, idx);
        self.by_extension.insert(new.extension_id, idx);
        if new.state.base() == AgentState::Idle {
            self.idle.push_back(idx);
        }
        self.last_change = self.last_change.max(now);
        idx
    }

    /// Logs agent `idx` out: it leaves the idle queue, its name and its extension are free.
    /// Its slot stays, so stale timers that name it find it logged out.
    pub(super) fn logout(&mut self, idx: AgentIdx, now: SimTime) {
        let Some(agent) = self.agents.get(idx) else {
            return;
        };
        if !agent.logged_in {
            return;
        }
        let (name, extension) = (agent.name.clone(), agent.extension_id);
        if agent.state == AgentState::Idle {
            self.idle.retain(|i| i != idx);
        }
        // Its time stops counting: accounted up to now, then in no state that counts.
        self.transition(idx, AgentState::Online.into(), now);
        self.agents[idx].logged_in = false;
        self.by_name.remove(&name);
        self.by_extension.remove(&extension);
    }

    /// A keepalive from agent `idx` at `now`: registered for [`REGISTRATION`] from now (a
    /// lapsed registration is renewed too). The scenario's agents stay registered for good.
    pub(super) fn keepalive(&mut self, idx: AgentIdx, now: SimTime) {
        if let Some(agent) = self.agents.get_mut(idx)
            && agent.registered_until.is_some()
        {
            agent.registered_until = Some(now + REGISTRATION);
        }
    }

    /// Replaces agent `idx`'s skills.
    pub(super) fn set_skills(&mut self, idx: AgentIdx, skills: Vec<Skill>) {
        if let Some(agent) = self.agents.get_mut(idx) {
            agent.skills = skills;
        }
    }

    /// Binds agent `idx` to another extension (the caller checked it is free); its later
    /// calls and events carry it.
    pub(super) fn set_extension(
        &mut self,
        idx: AgentIdx,
        extension_id: ExtensionId,
        sip_user: Arc<str>,
    ) {
        let Some(agent) = self.agents.get_mut(idx) else {
            return;
        };
        let old = agent.extension_id;
        agent.extension_id = extension_id;
        agent.sip_user = sip_user;
        agent.info = Arc::new(AgentInfo {
            number: agent.info.number,
            name: agent.name.clone(),
            extension_id,
        });
        if agent.logged_in {
            self.by_extension.remove(&old);
            self.by_extension.insert(extension_id, idx);
        }
    }

    /// Whether agent `idx` may be selected now: logged in, exactly `idle`, registered and
    /// not reserved for scripts.
    pub(super) fn eligible(&self, idx: AgentIdx, now: SimTime) -> bool {
        self.agents
            .get(idx)
            .is_some_and(|a| a.logged_in && a.state_name == AgentState::Idle && a.registered(now))
            && !self.reserved[idx]
    }

    /// ACD selection: takes the longest-idle registered agent and marks it `fetching`.
    pub(super) fn select_longest_idle(&mut self, now: SimTime) -> Option<AgentIdx> {
        self.select_first(now, |_| true)
    }

    /// Takes the longest-idle registered agent for which `wanted` holds and marks it
    /// `fetching`.
    pub(super) fn select_first(
        &mut self,
        now: SimTime,
        mut wanted: impl FnMut(&Agent) -> bool,
    ) -> Option<AgentIdx> {
        let agents = &self.agents;
        let pos = self
            .idle
            .iter()
            .position(|idx| agents[idx].registered(now) && wanted(&agents[idx]))?;
        let idx = self.idle.remove(pos)?;
        self.transition(idx, AgentState::Fetching.into(), now);
        Some(idx)
    }

    /// Takes the registered idle agent of the highest `score` (`None`: not a candidate),
    /// the longest idle of those that tie, and marks it `fetching`.
    pub(super) fn select_best(
        &mut self,
        now: SimTime,
        mut score: impl FnMut(&Agent) -> Option<f64>,
    ) -> Option<AgentIdx> {
        let mut best: Option<(usize, f64)> = None;
        for (pos, idx) in self.idle.iter().enumerate() {
            let agent = &self.agents[idx];
            if !agent.registered(now) {
                continue;
            }
            let Some(s) = score(agent) else {
                continue;
            };
            let s = if s.is_nan() { f64::NEG_INFINITY } else { s };
            if best.is_none_or(|(_, b)| s > b) {
                best = Some((pos, s));
            }
        }
        let idx = self.idle.remove(best?.0)?;
        self.transition(idx, AgentState::Fetching.into(), now);
        Some(idx)
    }

    /// Takes a uniformly chosen idle agent (an application placing an agent's call) and
    /// marks it `fetching`; if that one's registration lapsed, the longest-idle registered
    /// one instead.
    pub(super) fn select_any_idle(&mut self, now: SimTime, rng: &mut impl Rng) -> Option<AgentIdx> {
        if self.idle.is_empty() {
            return None;
        }
        let pos = rng.random_range(0..self.idle.len());
        let chosen = self.idle.get(pos)?;
        if !self.agents[chosen].registered(now) {
            return self.select_longest_idle(now);
        }
        let idx = self.idle.remove(pos)?;
        self.transition(idx, AgentState::Fetching.into(), now);
        Some(idx)
    }

    /// Takes agent `idx` if it is eligible (see [`AgentPool::eligible`]) and marks it
    /// `fetching`.
    pub(super) fn take(&mut self, idx: AgentIdx, now: SimTime) -> bool {
        if !self.eligible(idx, now) {
            return false;
        }
        self.set_state(idx, AgentState::Fetching, now);
        true
    }

    /// Takes the named agent if it is idle and marks it `fetching`.
    pub(super) fn select_named(&mut self, idx: AgentIdx, now: SimTime) -> bool {
        if self.agents.get(idx).map(|a| a.state) != Some(AgentState::Idle) {
            return false;
        }
        self.set_state(idx, AgentState::Fetching, now);
        true
    }

    /// Keeps an agent out of the ACD: only [`AgentPool::select_named`] takes it.
    pub(super) fn reserve(&mut self, idx: AgentIdx) {
        if let Some(r) = self.reserved.get_mut(idx) {
            *r = true;
            self.idle.retain(|i| i != idx);
        }
    }

    /// Moves an agent to `state` and returns the state it was in; `idle` agents join the
    /// back of the idle queue (unless reserved or logged out).
    pub(super) fn set_state(
        &mut self,
        idx: AgentIdx,
        state: impl Into<StateName>,
        now: SimTime,
    ) -> StateName {
        let state = state.into();
        let current = self.agents[idx].state;
        let previous = self.agents[idx].state_name.clone();
        let to = state.base();
        if current == AgentState::Idle && to != AgentState::Idle {
            self.idle.retain(|i| i != idx);
        }
        if to == AgentState::Idle
            && current != AgentState::Idle
            && !self.reserved[idx]
            && self.agents[idx].logged_in
        {
            self.idle.push_back(idx);
        }
        self.transition(idx, state, now);
        previous
    }

    /// Changes the state and accounts busy time; the caller keeps the idle queue right.
    fn transition(&mut self, idx: AgentIdx, state: StateName, now: SimTime) {
        let agent = &mut self.agents[idx];
        let spent = now.since(agent.since).as_micros();
        let to = state.base();
        match agent.state {
            AgentState::Fetching if to == AgentState::Talking => {
                agent.ringing_micros += spent;
                agent.handled += 1;
            }
            AgentState::Fetching => agent.ringing_micros += spent,
            AgentState::Talking => agent.talk_micros += spent,
            AgentState::Busy => agent.wrap_up_micros += spent,
            AgentState::Idle if to == AgentState::Fetching => agent.engagements += 1,
            AgentState::Idle | AgentState::Online | AgentState::Away => {}
        }
        agent.state = to;
        agent.state_name = state;
        agent.since = now;
        self.last_change = self.last_change.max(now);
    }

    /// The instant of the latest state change.
    pub(super) fn last_change(&self) -> SimTime {
        self.last_change
    }

    /// The member record of a new call to this agent.
    pub(super) fn member(&self, idx: AgentIdx, call_id: CallId) -> MemberInfo {
        let agent = &self.agents[idx];
        MemberInfo {
            call_id,
            agent_name: Some(agent.name.clone()),
            extension_id: Some(agent.extension_id),
            telnumber: agent.sip_user.clone(),
            mode: 1,
        }
    }
    /// How the agents spent their time up to `now`: busy (fetching + talking), in
    /// after-call work, how often they were taken from idle, and each agent's figures
    /// (occupancy over the time since the start).
    pub(super) fn time(&self, now: SimTime) -> AgentTime {
        let (mut busy, mut wrap_up, mut engagements) = (0u64, 0u64, 0u64);
        let simulated = now.since(self.start).as_micros();
        let secs = |micros: u64| micros as f64 / 1e6;
        let mut agents = Vec::with_capacity(self.agents.len());
        for a in &self.agents {
            let (ringing, talk, wrap) = a.spent(now);
            busy += ringing + talk;
            wrap_up += wrap;
            engagements += a.engagements;
            let taken = ringing + talk + wrap;
            agents.push(AgentFigures {
                name: a.name.to_string(),
                handled: a.handled,
                engaged: a.engagements,
                ringing_s: secs(ringing),
                talk_s: secs(talk),
                wrap_up_s: secs(wrap),
                occupancy: if simulated == 0 {
                    0.0
                } else {
                    taken as f64 / simulated as f64
                },
            });
        }
        agents.sort_by(|a, b| a.name.cmp(&b.name));
        AgentTime {
            busy_s: secs(busy),
            wrap_up_s: secs(wrap_up),
            engagements,
            agents,
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    fn pool(n: usize) -> AgentPool {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        AgentPool::new(
            &AgentPool::default_names(n),
            &[],
            SimTime::from_millis(0),
            &mut rng,
        )
    }

    #[test]
    fn the_acd_selects_the_longest_idle_agent_and_marks_it_fetching() {
        let mut p = pool(3);
        let t = SimTime::from_millis(10);
        assert_eq!(p.select_longest_idle(t), Some(0));
        assert_eq!(p.get(0).state, AgentState::Fetching);
        p.set_state(0, AgentState::Idle, t);
        // Agent 0 became idle last, so 1 and 2 come first.
        assert_eq!(p.select_longest_idle(t), Some(1));
        assert_eq!(p.select_longest_idle(t), Some(2));
        assert_eq!(p.select_longest_idle(t), Some(0));
        assert_eq!(p.select_longest_idle(t), None);
    }

    #[test]
    fn a_busy_agent_is_never_selected() {
        let mut p = pool(2);
        let t = SimTime::from_millis(0);
        assert!(p.select_named(1, t));
        assert!(!p.select_named(1, t), "already fetching");
        p.set_state(1, AgentState::Talking, t);
        assert_eq!(p.select_longest_idle(t), Some(0));
        assert_eq!(p.select_longest_idle(t), None);
    }

    #[test]
    fn a_reserved_agent_is_taken_only_by_name() {
        let mut p = pool(2);
        let t = SimTime::from_millis(0);
        p.reserve(0);
        assert_eq!(p.select_longest_idle(t), Some(1));
        assert_eq!(p.select_longest_idle(t), None);
        assert!(p.select_named(0, t));
        p.set_state(0, AgentState::Idle, t);
        assert_eq!(
            p.idle_count(),
            0,
            "a reserved agent never rejoins the ACD queue"
        );
    }

    #[test]
    fn busy_time_accumulates_while_fetching_and_talking_and_wrap_up_apart() {
        let mut p = pool(1);
        p.select_longest_idle(SimTime::from_millis(0));
        p.set_state(0, AgentState::Talking, SimTime::from_millis(1_000));
        p.set_state(0, AgentState::Busy, SimTime::from_millis(3_000));
        p.set_state(0, AgentState::Idle, SimTime::from_millis(4_500));
        assert!(p.select_named(0, SimTime::from_millis(6_000)));
        let t = p.time(SimTime::from_millis(10_000));
        assert!((t.busy_s - 7.0).abs() < 1e-9, "{t:?}");
        assert!((t.wrap_up_s - 1.5).abs() < 1e-9, "{t:?}");
        assert_eq!(t.engagements, 2);
        assert_eq!(p.last_change(), SimTime::from_millis(6_000));
    }

    #[test]
    fn each_agents_figures_follow_its_states_and_add_up_to_the_pools() {
        let mut p = pool(2);
        let at = |s: i64| SimTime::from_millis(s * 1000);
        // Agent 0: a call answered, talked 30 s, 10 s of wrap-up; a call it did not
        // answer; a call it is still on at 100 s. Agent 1: idle throughout.
        assert_eq!(p.select_longest_idle(at(0)), Some(0));
        p.set_state(0, AgentState::Talking, at(2));
        p.set_state(0, AgentState::Busy, at(32));
        p.set_state(0, AgentState::Idle, at(42));
        assert!(p.select_named(0, at(50)));
        p.set_state(0, AgentState::Idle, at(60));
        assert!(p.select_named(0, at(70)));
        p.set_state(0, AgentState::Talking, at(71));
        let t = p.time(at(100));
        let busy = &t.agents[0];
        assert_eq!(
            (busy.name.as_str(), busy.handled, busy.engaged),
            ("agent-001", 2, 3)
        );
        assert!((busy.ringing_s - 13.0).abs() < 1e-9, "{busy:?}");
        assert!((busy.talk_s - 59.0).abs() < 1e-9, "{busy:?}");
        assert!((busy.wrap_up_s - 10.0).abs() < 1e-9, "{busy:?}");
        assert!((busy.occupancy - 0.82).abs() < 1e-9, "{busy:?}");
        let idle = &t.agents[1];
        assert_eq!(
            (
                idle.name.as_str(),
                idle.handled,
                idle.engaged,
                idle.occupancy
            ),
            ("agent-002", 0, 0, 0.0)
        );
        assert!((t.busy_s - 72.0).abs() < 1e-9, "{t:?}");
        assert!((t.wrap_up_s - 10.0).abs() < 1e-9, "{t:?}");
        assert_eq!(t.engagements, 3);
    }

    #[test]
    fn agents_are_listed_by_name_whatever_their_order_in_the_pool() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let names: Vec<Arc<str>> = ["zoe", "adam", "mia"].into_iter().map(Arc::from).collect();
        let p = AgentPool::new(&names, &[], SimTime::from_millis(0), &mut rng);
        let listed: Vec<String> = p
            .time(SimTime::from_millis(0))
            .agents
            .into_iter()
            .map(|a| a.name)
            .collect();
        assert_eq!(listed, ["adam", "mia", "zoe"]);
    }

    #[test]
    fn agents_get_hibernate_style_extension_ids_and_sip_users() {
        let p = pool(2);
        assert_eq!(&*p.get(0).name, "agent-001");
        assert_eq!(p.get(0).extension_id.as_str().len(), 32);
        assert_ne!(p.get(0).extension_id, p.get(1).extension_id);
        assert_eq!(&*p.get(1).sip_user, "8001001");
    }

    fn new_agent(name: &str, ext: char, state: &str, skills: Vec<Skill>) -> NewAgent {
        NewAgent {
            name: name.into(),
            num: None,
            state: StateName::parse(state).expect("a state"),
            skills,
            extension_id: ExtensionId(Hex32::parse(&ext.to_string().repeat(32)).expect("hex")),
            sip_user: "100011234".into(),
        }
    }

    fn skill(name: &str, score: i64) -> Skill {
        Skill {
            name: name.into(),
            score,
            enabled: true,
        }
    }

    #[test]
    fn an_agent_logged_in_takes_a_new_slot_a_new_number_and_its_name_and_extension() {
        let mut p = pool(2);
        let t = SimTime::from_millis(0);
        let a = p.login(new_agent("a", 'a', "online", vec![]), t);
        assert_eq!(a, 2);
        assert_eq!(p.find("a"), Some(2));
        assert_eq!(p.get(a).info().number, 2);
        let ext = p.get(a).extension_id();
        assert_eq!(p.bound_to(ext), Some(a));
        assert_eq!(p.idle_count(), 2, "online is not idle");
        assert!(!p.eligible(a, t));
        p.logout(a, t);
        assert_eq!((p.find("a"), p.bound_to(ext)), (None, None));
        assert!(!p.get(a).logged_in());
        let again = p.login(new_agent("a", 'a', "idle", vec![]), t);
        assert_eq!(
            again, 3,
            "a new slot: stale indices never name the new login"
        );
        assert_eq!(p.get(again).info().number, 3);
        assert_eq!(p.idle_count(), 3);
        assert_eq!(p.logged_in().collect::<Vec<_>>(), [0, 1, 3]);
    }

    #[test]
    fn a_logged_out_agent_never_rejoins_the_idle_queue() {
        let mut p = pool(1);
        let t = SimTime::from_millis(0);
        assert_eq!(p.select_longest_idle(t), Some(0));
        p.logout(0, t);
        p.set_state(0, AgentState::Idle, t);
        assert_eq!(p.idle_count(), 0);
        assert_eq!(p.select_longest_idle(t), None);
    }

    #[test]
    fn a_registration_lasts_24_hours_from_the_login_or_the_last_keepalive() {
        let mut p = pool(1);
        let t0 = SimTime::from_millis(1_000);
        let a = p.login(new_agent("a", 'a', "idle", vec![]), t0);
        let lapse = t0 + REGISTRATION;
        let just_before = SimTime::from_millis(lapse.epoch_ms() - 1);
        assert!(p.get(a).registered(just_before));
        assert!(!p.get(a).registered(lapse));
        assert!(p.get(0).registered(lapse + REGISTRATION), "the scenario's");
        // The lapsed agent stays idle, but the ACD passes it by.
        assert_eq!(p.select_longest_idle(lapse), Some(0));
        assert_eq!(p.select_longest_idle(lapse), None);
        assert_eq!(p.idle_count(), 1);
        p.keepalive(a, lapse);
        assert!(p.get(a).registered(just_before + REGISTRATION));
        assert_eq!(p.select_longest_idle(lapse), Some(a));
    }

    #[test]
    fn the_best_scored_agent_is_taken_and_the_longest_idle_of_those_that_tie() {
        let mut p = pool(0);
        let t = SimTime::from_millis(0);
        for (name, ext, score) in [
            ("a", 'a', 10),
            ("b", 'b', 30),
            ("c", 'c', 30),
            ("d", 'd', -1),
        ] {
            p.login(new_agent(name, ext, "idle", vec![skill("x", score)]), t);
        }
        let score = |a: &Agent| a.skill("x").filter(|s| *s >= 0).map(|s| s as f64);
        let order: Vec<AgentIdx> = std::iter::from_fn(|| p.select_best(t, score)).collect();
        assert_eq!(order, [1, 2, 0], "d scores nothing: not a candidate");
        assert_eq!(p.get(1).state, AgentState::Fetching);
        assert_eq!(p.idle_count(), 1);
    }

    #[test]
    fn states_keep_their_extension_and_only_exactly_idle_is_idle() {
        let mut p = pool(1);
        let t = SimTime::from_millis(0);
        let previous = p.set_state(0, StateName::parse("busy/after-call").expect("a state"), t);
        assert_eq!(previous, AgentState::Idle);
        assert_eq!(p.get(0).state_name().as_str(), "busy/after-call");
        assert_eq!(p.get(0).state, AgentState::Busy);
        assert_eq!(p.idle_count(), 0);
        assert!(!p.take(0, t));
        let previous = p.set_state(0, AgentState::Idle, t);
        assert_eq!(previous.as_str(), "busy/after-call");
        assert!(p.take(0, t));
        assert_eq!(p.get(0).state_name().as_str(), "fetching");
    }

    #[test]
    fn an_agent_bound_to_another_extension_carries_it_in_its_events_and_calls() {
        let mut p = pool(1);
        let old = p.get(0).extension_id();
        let new = ExtensionId(Hex32::parse(&"f".repeat(32)).expect("hex"));
        p.set_extension(0, new, "1000155555".into());
        assert_eq!((p.bound_to(old), p.bound_to(new)), (None, Some(0)));
        assert_eq!(p.get(0).info().extension_id, new);
        let member = p.member(0, CallId(Hex32::parse(&"1".repeat(32)).expect("hex")));
        assert_eq!(member.extension_id, Some(new));
        assert_eq!(&*member.telnumber, "1000155555");
    }
}
