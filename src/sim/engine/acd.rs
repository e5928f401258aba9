//! The ACD: callers wait first come first served, the longest-idle agent is selected, the
//! queue times out and callers run out of patience; an agent freed (after any after-call
//! work) serves the first caller in the queue it can serve. A caller's route (an ACD
//! condition, a named agent, a skill; none for generated calls) decides which agents can
//! serve it (`select_agent`). Called by arrivals (`queue`), by the lifecycle
//! (`call_agent` once agent A is in; agents freed when a call ends), by scripts (a named
//! agent selected) and by the event loop (give-up timers, after-call work over).

use rand::Rng;

use crate::conversation::{ConvType, Outcome};
use crate::ids::{CallId, Hex32};
use crate::operation::{Refusal, Route};
use crate::queue_task::{FailCause, QueueStep, QueueType};
use crate::sim::agents::directory::{Condition, no_such_condition};
use crate::sim::agents::{AgentIdx, AgentState};
use crate::units::Span;

use super::Engine;
use super::action::{Action, GiveUpCause, Step};
use super::conv::{Party, Role, Task};

impl Engine {
    /// Opens the queue task of conversation `key` (a `queue` customer's or a `call_agent`
    /// initiator's), waiting for the ACD: its id, what made it, the call that queued, and
    /// the condition (a script's, or the run's for generated `queue` calls).
    pub(super) fn open_task(&mut self, key: u64) {
        let generated_condition = self.condition_id.clone();
        let Some(conv) = self.convs.get_mut(&key) else {
            return;
        };
        let (Some(id), Some(first)) = (conv.queue_id, conv.parties.first()) else {
            return;
        };
        let kind = match conv.kind {
            ConvType::Queue => QueueType::Ivr,
            ConvType::CallAgent => QueueType::CallAgent,
            ConvType::CallOut => return,
        };
        let condition = match conv.script {
            Some(s) => self
                .plan
                .scripted
                .get(s)
                .and_then(|sc| sc.condition_id.clone()),
            None => Some(generated_condition),
        };
        conv.waiting_task = Some(Task {
            id,
            kind,
            origin: first.member.call_id,
            condition,
        });
    }

    /// Puts a conversation in the ACD queue, with its give-up timers.
    pub(super) fn enqueue(&mut self, key: u64) {
        self.open_task(key);
        let (patience, timeout) = {
            let Some(conv) = self.convs.get_mut(&key) else {
                return;
            };
            conv.waiting_since = Some(self.now);
            conv.in_acd_queue = true;
            (
                conv.draws.patience,
                self.plan.workload.behaviour.queue_timeout,
            )
        };
        self.compact_waiting();
        self.waiting.push_back(key);
        self.queue_len += 1;
        self.acd_dispatch();
        let Some(conv) = self.convs.get(&key) else {
            return;
        };
        if conv.waiting_since.is_none() {
            return; // an agent was free
        }
        self.stats.queued(conv.kind);
        self.drop_stale_give_ups();
        if let Some(p) = patience {
            self.give_ups += 1;
            self.after(
                p,
                Action::GiveUp {
                    key,
                    cause: GiveUpCause::Patience,
                },
            );
        }
        if let Some(t) = timeout {
            self.give_ups += 1;
            self.after(
                t,
                Action::GiveUp {
                    key,
                    cause: GiveUpCause::Timeout,
                },
            );
        }
    }

    /// Drops the give-up timers of callers who no longer wait, once they are most of them.
    /// A caller an agent takes leaves up to two such timers behind until they fall due (a
    /// day of patience at most); with many agents serving fast, they would pile up far
    /// beyond the live conversations. Each caller waiting has at most two live give-up
    /// timers, so past four per live conversation at least half are stale: dropping them
    /// then costs no more than the timers that made it necessary.
    fn drop_stale_give_ups(&mut self) {
        if self.give_ups < 4 * self.convs.len() + 1024 {
            return;
        }
        let (convs, ghosts) = (&self.convs, &self.ghosts);
        let before = self.timers.len();
        self.timers.retain(|action| match action {
            Action::GiveUp { key, .. } => {
                convs.get(key).is_some_and(|c| c.waiting_since.is_some())
                    || ghosts.contains_key(key)
            }
            _ => true,
        });
        self.give_ups = self.give_ups.saturating_sub(before - self.timers.len());
    }

    /// Drops the entries of callers who stopped waiting once they are the majority of the
    /// queue. Entries are deleted lazily, when they reach the front; with no agent ever
    /// free the front never moves, and without this the queue would grow by one stale entry
    /// per caller who gave up. Each compaction at least halves the queue, so its cost is
    /// spread over the arrivals that grew it.
    fn compact_waiting(&mut self) {
        if self.waiting.len() < 2 * self.convs.len() + 64 {
            return;
        }
        let (convs, ghosts) = (&self.convs, &self.ghosts);
        self.waiting.retain(|key| {
            convs.get(key).is_some_and(|c| c.waiting_since.is_some()) || ghosts.contains_key(key)
        });
    }

    /// Matches waiting conversations with idle agents, first come first served among the
    /// callers a free agent can serve: a caller whose route no free agent matches keeps its
    /// place, and the ones behind it are served. (Callers without a route, as generated
    /// calls are, are served strictly in order.)
    pub(super) fn acd_dispatch(&mut self) {
        let mut at = 0;
        while self.pool.idle_count() > 0 && at < self.waiting.len() {
            let key = self.waiting[at];
            let route = match self.convs.get(&key) {
                Some(c) if c.waiting_since.is_some() => c.route.clone(),
                _ => {
                    // A caller gone before it was served whose task stayed queued:
                    // dequeuing it fails, and the agent stays free.
                    self.waiting.remove(at);
                    self.end_ghost(key, FailCause::Error);
                    continue;
                }
            };
            match self.select_agent(route.as_ref()) {
                Ok(Some(agent)) => {
                    self.waiting.remove(at);
                    self.assign(key, agent);
                }
                // Nobody can take any caller: no idle agent is registered.
                Ok(None) if route.is_none() => return,
                // Nobody free for this caller (or its condition is gone, so it waits
                // until it times out): the next one.
                Ok(None) | Err(_) => at += 1,
            }
        }
    }

    /// The ACD's choice of agent for `route` (`None`: any agent), taken from idle to
    /// `fetching`: among the agents that are exactly `idle`, registered and not reserved
    /// for scripts, the longest idle one that
    /// - `Route::Condition`: the condition's `where` selects, of the highest `sort`;
    /// - `Route::Agent`: is the agent named;
    /// - `Route::Skill`: has the skill, enabled.
    ///
    /// `Ok(None)`: nobody is free for it now. An unknown condition is refused (`000001`
    /// naming `condition_id`).
    pub(in crate::sim::engine) fn select_agent(
        &mut self,
        route: Option<&Route>,
    ) -> Result<Option<AgentIdx>, Refusal> {
        let now = self.now;
        Ok(match route {
            None => self.pool.select_longest_idle(now),
            Some(Route::Condition(id)) => {
                let condition = self
                    .directory
                    .condition(id)
                    .ok_or_else(|| no_such_condition(id))?;
                let (filter, sort) = (&condition.filter, &condition.sort);
                self.pool.select_best(now, |agent| {
                    let skill = |name: &str| agent.skill(name);
                    filter
                        .matches(&skill)
                        .then(|| sort.as_ref().map_or(0.0, |s| s.score(&skill)))
                })
            }
            Some(Route::Agent(name)) => {
                self.pool.find(name).filter(|&idx| self.pool.take(idx, now))
            }
            Some(Route::Skill(name)) => self
                .pool
                .select_first(now, |agent| agent.skill(name).is_some()),
        })
    }

    /// The queue timeout, seconds, of the ACD condition `route` names (`None`: it names no
    /// condition, or one that does not exist).
    pub(in crate::sim::engine) fn condition_queue_timeout(&self, route: &Route) -> Option<u32> {
        self.condition_of(route).map(|c| c.view.queue_timeout)
    }

    /// The fetch timeout (how long the selected agent's phone rings at most), seconds, of
    /// the ACD condition `route` names (`None`: it names no condition, or one that does
    /// not exist).
    pub(in crate::sim::engine) fn condition_fetch_timeout(&self, route: &Route) -> Option<u32> {
        self.condition_of(route).map(|c| c.view.fetch_timeout)
    }

    fn condition_of(&self, route: &Route) -> Option<&Condition> {
        match route {
            Route::Condition(id) => self.directory.condition(id),
            Route::Agent(_) | Route::Skill(_) => None,
        }
    }

    /// The ACD hands the waiting call `key` to `agent` (already `fetching`): the agent's
    /// call is added and, for `queue`, the conversation is created. Returns the party index.
    pub(super) fn offer_agent(
        &mut self,
        key: u64,
        agent: AgentIdx,
        call_id: Option<CallId>,
    ) -> Option<usize> {
        let call_id =
            call_id.unwrap_or_else(|| CallId(Hex32::random_in(&mut self.rng, self.plan.shard)));
        let member = self.pool.member(agent, call_id);
        let now = self.now;
        let conv = self.convs.get_mut(&key)?;
        let waited_since = conv.waiting_since.take().unwrap_or(now);
        conv.assigned_at = Some(now);
        if std::mem::take(&mut conv.in_acd_queue) {
            self.queue_len = self.queue_len.saturating_sub(1);
        }
        let kind = conv.kind;
        let mut offered = Party::new(member, Role::Agent(agent));
        offered.task = conv.waiting_task.take();
        conv.parties.push(offered);
        let party = conv.parties.len() - 1;
        self.stats.assigned(kind, now.since(waited_since));
        if kind == ConvType::Queue {
            self.create(key);
        }
        // The ACD took the agent from idle: `queue.select`, then its `state_changed`.
        self.announce_task(key, party, QueueStep::Select);
        self.announce_state(agent, AgentState::Idle, Some(key));
        Some(party)
    }

    /// Hands the waiting call `key` to `agent` and schedules the agent's ring and its answer or
    /// ring timeout (and, for `queue`, the customer entering and a hang-up if their patience
    /// runs out first).
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

    /// A waiting caller stops waiting (`cause`): a `queue` call that was never created is just
    /// dropped; a `call_agent` initiator, alone in its conference, hangs up a moment later.
    pub(super) fn give_up(&mut self, key: u64, cause: GiveUpCause) {
        if cause == GiveUpCause::Timeout && self.end_ghost(key, FailCause::Timeout) {
            return;
        }
        let Some(conv) = self.convs.get_mut(&key) else {
            return;
        };
        if conv.waiting_since.take().is_none() {
            return; // already assigned: a stale timer
        }
        if std::mem::take(&mut conv.in_acd_queue) {
            self.queue_len = self.queue_len.saturating_sub(1);
        }
        let outcome = match cause {
            GiveUpCause::Patience => {
                self.abandon_waiting_task(key);
                Outcome::AbandonedWaiting
            }
            GiveUpCause::Timeout => {
                self.fail_waiting_task(key, FailCause::Timeout);
                Outcome::QueueTimeout
            }
        };
        let Some(conv) = self.convs.get_mut(&key) else {
            return;
        };
        if cause == GiveUpCause::Patience {
            conv.queueing_call_gone = true;
        }
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

    /// An agent's call in conversation `key` is over: the state its script reserves (for
    /// as long as it says), or the run's after-call work, then idle.
    pub(super) fn free_agent(&mut self, agent: AgentIdx, key: u64) {
        let reserve = self
            .convs
            .get(&key)
            .and_then(|c| c.script)
            .and_then(|s| self.plan.scripted.get(s))
            .and_then(|sc| sc.reserve_state);
        match reserve {
            Some((state, lasts)) => {
                self.set_agent_state(agent, state, Some(key));
                if let (AgentState::Busy, Some(lasts)) = (state, lasts) {
                    self.after(lasts, Action::AgentFree(agent));
                }
            }
            None => {
                let wrap_up = self.plan.workload.behaviour.wrap_up.sample(&mut self.rng);
                if wrap_up > Span::ZERO {
                    self.set_agent_state(agent, AgentState::Busy, Some(key));
                    self.after(wrap_up, Action::AgentFree(agent));
                } else {
                    self.set_agent_state(agent, AgentState::Idle, Some(key));
                }
            }
        }
    }

    /// An agent's after-call work is over: idle again, so the ACD may select it (nothing if
    /// it logged out meanwhile).
    pub(super) fn wrap_up_over(&mut self, agent: AgentIdx) {
        if !self.pool.get(agent).logged_in() {
            return;
        }
        self.set_agent_state(agent, AgentState::Idle, None);
        self.acd_dispatch();
    }
}

#[cfg(test)]
mod tests {
    use crate::conversation::{ConvType, Outcome};
    use crate::sim::dist::Dist;

    use super::super::testing::{engine, of, secs};

    /// The lines that contain `needle`.
    fn with<'a>(lines: &'a [String], needle: &str) -> Vec<&'a str> {
        lines
            .iter()
            .filter(|l| l.contains(needle))
            .map(String::as_str)
            .collect()
    }

    /// The instant (seconds from the start) of a transcript line.
    fn secs_of(line: &str) -> f64 {
        line.split(' ')
            .next()
            .and_then(|t| t.parse().ok())
            .expect("a time")
    }

    #[test]
    fn give_up_timers_of_callers_agents_took_do_not_pile_up() {
        // Ten agents, twenty callers at once every 150 s: ten wait about a minute each round
        // and leave a day of patience behind them, 5 760 stale timers a day.
        let mut e = engine(10, |b, _| b.patience = Some(Dist::fixed(secs(86_400))));
        for round in 0..2_000 {
            for _ in 0..20 {
                e.arrival(round * 150_000, ConvType::Queue);
            }
        }
        let mut most = 0;
        while let Some((at, action)) = e.timers.pop() {
            e.now = at;
            e.handle(action);
            most = most.max(e.give_ups);
        }
        assert!(most <= 4 * 30 + 1024 + 2, "{most} give-up timers");
        assert_eq!(e.outcomes(ConvType::Queue), [(Outcome::Completed, 40_000)]);
    }

    #[test]
    fn the_waiting_queue_drops_callers_who_gave_up_even_when_no_agent_ever_frees() {
        // No agent at all: the front of the queue never moves, and every caller gives up
        // after a second.
        let mut e = engine(0, |b, _| b.patience = Some(Dist::fixed(secs(1))));
        for n in 0..10_000 {
            e.arrival(n * 2_000, ConvType::Queue);
        }
        let mut longest = 0;
        while let Some((at, action)) = e.timers.pop() {
            e.now = at;
            e.handle(action);
            longest = longest.max(e.waiting.len());
        }
        // At most one caller is live at a time: twice that plus the slack, plus the newcomer.
        assert!(longest <= 67, "{longest} entries for one live caller");
        assert_eq!(
            e.outcomes(ConvType::Queue),
            [(Outcome::AbandonedWaiting, 10_000)]
        );
    }

    #[test]
    fn the_longest_idle_agent_takes_the_next_call() {
        let mut e = engine(3, |_, _| {});
        // #0 and #1 end at 66 s and 67 s; agent-003 has been idle since the start.
        for at_ms in [0, 1_000, 100_000, 200_000] {
            e.arrival(at_ms, ConvType::Queue);
        }
        let lines = e.transcript();
        assert_eq!(
            with(&lines, "agent-00"),
            [
                "1.000 #0 agent-001 joins",
                "2.000 #1 agent-002 joins",
                "6.000 #0 begins (agent-001 answered)",
                "7.000 #1 begins (agent-002 answered)",
                "101.000 #2 agent-003 joins",
                "106.000 #2 begins (agent-003 answered)",
                "201.000 #3 agent-001 joins",
                "206.000 #3 begins (agent-001 answered)",
            ]
        );
    }

    #[test]
    fn agent_b_of_a_call_agent_is_the_longest_idle_of_the_others() {
        // agent-001 takes a queue call and is idle again from 66 s: the idle order is then
        // agent-002, agent-003, agent-001, whoever places the call at 100 s.
        let mut e = engine(3, |_, _| {});
        e.arrival(0, ConvType::Queue);
        e.arrival(100_000, ConvType::CallAgent);
        let lines = of(&e.transcript(), 1)
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>();
        let a = lines[1]
            .strip_prefix("105.200 #1 ")
            .and_then(|l| l.strip_suffix(" joins"))
            .expect("agent A joins");
        let b = ["agent-002", "agent-003", "agent-001"]
            .into_iter()
            .find(|b| *b != a)
            .expect("another agent");
        assert_eq!(lines[2], format!("106.200 #1 {b} joins"));
    }

    #[test]
    fn waiting_callers_are_served_first_come_first_served() {
        let mut e = engine(1, |_, _| {});
        for at_ms in [0, 10_000, 20_000] {
            e.arrival(at_ms, ConvType::Queue);
        }
        let lines = e.transcript();
        assert_eq!(
            with(&lines, "created"),
            [
                "0.000 #0 created",
                "66.000 #1 created",
                "132.000 #2 created"
            ]
        );
        assert_eq!(
            lines[4..7],
            [
                "66.000 #0 customer leaves",
                "66.000 #0 released: customer_hangup",
                "66.000 #1 created",
            ],
            "the agent freed at 66 s serves the head of the queue at once"
        );
        let queue = &e.finish().by_type[&ConvType::Queue];
        assert_eq!((queue.waited, queue.assigned), (2, 3));
        assert!((queue.wait_sum_s - (56.0 + 112.0)).abs() < 1e-9);
    }

    #[test]
    fn an_agent_serves_the_head_of_the_queue_when_its_after_call_work_ends() {
        let mut e = engine(1, |b, _| b.wrap_up = Dist::fixed(secs(30)));
        for at_ms in [0, 10_000, 20_000] {
            e.arrival(at_ms, ConvType::Queue);
        }
        let lines = e.transcript();
        assert_eq!(
            with(&lines, "created"),
            [
                "0.000 #0 created",
                "96.000 #1 created",
                "192.000 #2 created"
            ]
        );
    }

    #[test]
    fn a_caller_out_of_patience_leaves_the_queue_unseen_and_the_next_one_is_served() {
        // #1 gives up at 30 s; #2 (patience until 80 s) is served when the agent is freed at
        // 66 s and answered at 72 s.
        let mut e = engine(1, |b, _| b.patience = Some(Dist::fixed(secs(20))));
        for at_ms in [0, 10_000, 60_000] {
            e.arrival(at_ms, ConvType::Queue);
        }
        let lines = e.transcript();
        assert!(of(&lines, 1).is_empty(), "never created: {lines:?}");
        assert_eq!(
            of(&lines, 2),
            [
                "66.000 #2 created",
                "66.200 #2 customer joins",
                "67.000 #2 agent-001 joins",
                "72.000 #2 begins (agent-001 answered)",
                "132.000 #2 customer leaves",
                "132.000 #2 released: customer_hangup",
            ]
        );
        assert_eq!(
            e.outcomes(ConvType::Queue),
            [(Outcome::Completed, 2), (Outcome::AbandonedWaiting, 1)]
        );
    }

    #[test]
    fn the_queue_times_out_a_caller_nobody_serves_in_time() {
        // Both give-up timers run; the first one due decides, the other is stale.
        let mut e = engine(1, |b, _| {
            b.queue_timeout = Some(secs(30));
            b.patience = Some(Dist::fixed(secs(45)));
        });
        e.arrival(0, ConvType::Queue);
        e.arrival(10_000, ConvType::Queue);
        let lines = e.transcript();
        assert!(of(&lines, 1).is_empty(), "never created: {lines:?}");
        assert_eq!(
            e.outcomes(ConvType::Queue),
            [(Outcome::Completed, 1), (Outcome::QueueTimeout, 1)]
        );
    }

    #[test]
    fn a_call_agent_initiator_waiting_for_agent_b_hangs_up_when_the_queue_times_out() {
        let mut e = engine(1, |b, _| b.queue_timeout = Some(secs(30)));
        e.arrival(0, ConvType::CallAgent);
        let lines = e.transcript();
        assert_eq!(lines[..2], ["5.000 #0 created", "5.200 #0 agent-001 joins"]);
        let hangup = secs_of(&lines[2]);
        assert!((35.7..38.2).contains(&hangup), "{lines:?}");
        assert_eq!(
            lines[2..],
            [
                format!("{hangup:.3} #0 agent-001 leaves"),
                format!("{hangup:.3} #0 released before begin: agent_hangup"),
            ]
        );
        assert_eq!(
            e.outcomes(ConvType::CallAgent),
            [(Outcome::QueueTimeout, 1)]
        );
    }

    #[test]
    fn a_call_agent_initiator_out_of_patience_abandons_while_waiting() {
        let mut e = engine(1, |b, _| b.patience = Some(Dist::fixed(secs(20))));
        e.arrival(0, ConvType::CallAgent);
        let lines = e.transcript();
        let hangup = secs_of(&lines[2]);
        assert!((25.7..28.2).contains(&hangup), "{lines:?}");
        assert_eq!(
            lines[2..],
            [
                format!("{hangup:.3} #0 agent-001 leaves"),
                format!("{hangup:.3} #0 released before begin: agent_hangup"),
            ]
        );
        assert_eq!(
            e.outcomes(ConvType::CallAgent),
            [(Outcome::AbandonedWaiting, 1)]
        );
    }

    #[test]
    fn an_agent_freed_by_another_call_becomes_agent_b_of_a_waiting_call_agent() {
        // agent-001 takes the queue call; agent-002, the only idle agent, places the
        // call_agent at 1 s and waits until agent-001 is freed at 66 s.
        let mut e = engine(2, |_, _| {});
        e.arrival(0, ConvType::Queue);
        e.arrival(1_000, ConvType::CallAgent);
        let lines = e.transcript();
        assert_eq!(
            of(&lines, 1),
            [
                "6.000 #1 created",
                "6.200 #1 agent-002 joins",
                "67.000 #1 agent-001 joins",
                "72.000 #1 begins (agent-001 answered)",
                "132.000 #1 agent-002 leaves",
                "132.000 #1 released: agent_hangup",
            ]
        );
        let call_agent = &e.finish().by_type[&ConvType::CallAgent];
        assert_eq!(call_agent.waited, 1);
    }
}
