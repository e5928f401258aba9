//! The agent pool: names, extensions, states, and the ACD's choice of agent.
//!
//! An agent is in at most one live conversation. The ACD only selects `idle` agents, the
//! one idle for longest first (first-come first-served callers, longest-idle agents).

use std::sync::Arc;

use rand::Rng;

use crate::agent::AgentInfo;
use crate::conversation::MemberInfo;
use crate::ids::{CallId, ExtensionId, Hex32};
use crate::sim::stats::AgentFigures;
use crate::time::SimTime;
use idle::IdleQueue;

mod idle;

pub(super) use crate::agent::AgentState;

/// Index of an agent in the pool.
pub(super) type AgentIdx = usize;

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
    /// Current state.
    pub(super) state: AgentState,
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
            AgentState::Idle => {}
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

/// The pool of agents and the idle queue the ACD selects from.
#[derive(Debug)]
pub struct AgentPool {
    agents: Vec<Agent>,
    /// Idle agents the ACD may select, longest idle first.
    idle: IdleQueue,
    /// Agents kept out of the ACD (scripted conversations name them).
    reserved: Vec<bool>,
    /// The instant of the latest state change.
    last_change: SimTime,
    /// When the agents came on (the run's start), from which occupancy is measured.
    start: SimTime,
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
}

impl AgentPool {
    /// A pool of agents with the given names, all idle at `start`. `numbers` are the
    /// agents' numbers in the unsplit pool (empty: their positions), which their extension
    /// ids and SIP users are made from: two agents of different numbers never share either.
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
        Self {
            agents,
            idle,
            reserved,
            last_change: start,
            start,
        }
    }

    /// Default agent names: `agent-001`, `agent-002`, ….
    pub fn default_names(count: usize) -> Vec<Arc<str>> {
        (1..=count)
            .map(|i| Arc::from(format!("agent-{i:03}")))
            .collect()
    }

    /// Number of agents.
    pub(super) fn len(&self) -> usize {
        self.agents.len()
    }

    /// The agent at `idx`.
    pub(super) fn get(&self, idx: AgentIdx) -> &Agent {
        &self.agents[idx]
    }

    /// Finds an agent by name.
    pub(super) fn find(&self, name: &str) -> Option<AgentIdx> {
        self.agents.iter().position(|a| &*a.name == name)
    }

    /// Number of idle agents.
    pub(super) fn idle_count(&self) -> usize {
        self.idle.len()
    }

    /// ACD selection: takes the longest-idle agent and marks it `fetching`.
    pub(super) fn select_longest_idle(&mut self, now: SimTime) -> Option<AgentIdx> {
        let idx = self.idle.pop_front()?;
        self.transition(idx, AgentState::Fetching, now);
        Some(idx)
    }

    /// Takes a uniformly chosen idle agent (an application placing an agent's call) and
    /// marks it `fetching`.
    pub(super) fn select_any_idle(&mut self, now: SimTime, rng: &mut impl Rng) -> Option<AgentIdx> {
        if self.idle.is_empty() {
            return None;
        }
        let pos = rng.random_range(0..self.idle.len());
        let idx = self.idle.remove(pos)?;
        self.transition(idx, AgentState::Fetching, now);
        Some(idx)
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
    /// back of the idle queue.
    pub(super) fn set_state(
        &mut self,
        idx: AgentIdx,
        state: AgentState,
        now: SimTime,
    ) -> AgentState {
        let current = self.agents[idx].state;
        if current == AgentState::Idle && state != AgentState::Idle {
            self.idle.retain(|i| i != idx);
        }
        if state == AgentState::Idle && current != AgentState::Idle && !self.reserved[idx] {
            self.idle.push_back(idx);
        }
        self.transition(idx, state, now);
        current
    }

    /// Changes the state and accounts busy time; the caller keeps the idle queue right.
    fn transition(&mut self, idx: AgentIdx, state: AgentState, now: SimTime) {
        let agent = &mut self.agents[idx];
        let spent = now.since(agent.since).as_micros();
        match agent.state {
            AgentState::Fetching if state == AgentState::Talking => {
                agent.ringing_micros += spent;
                agent.handled += 1;
            }
            AgentState::Fetching => agent.ringing_micros += spent,
            AgentState::Talking => agent.talk_micros += spent,
            AgentState::Busy => agent.wrap_up_micros += spent,
            AgentState::Idle if state != AgentState::Idle => agent.engagements += 1,
            AgentState::Idle => {}
        }
        agent.state = state;
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
}
