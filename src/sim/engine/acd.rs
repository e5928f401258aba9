//! The ACD: callers wait first come first served, the longest-idle agent is selected, the
//! queue times out and callers run out of patience; an agent freed (after any after-call
//! work) serves the head of the queue. Called by arrivals (`queue`), by the lifecycle
//! (`call_agent` once agent A is in; agents freed when a call ends), by scripts (a named
//! agent selected) and by the event loop (give-up timers, after-call work over).

use rand::Rng;

use crate::conversation::{ConvType, Outcome};
use crate::ids::{CallId, Hex32};
use crate::sim::agents::{AgentIdx, AgentState};
use crate::time::SimTime;
use crate::units::Span;

use super::Engine;
use super::action::{Action, GiveUpCause, Step};
use super::conv::{Party, Role};

impl Engine {
    /// Puts a conversation in the ACD queue, with its give-up timers.
    pub(super) fn enqueue(&mut self, key: u64) {
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
    pub(super) fn acd_dispatch(&mut self) {
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
    pub(super) fn offer_agent(
        &mut self,
        key: u64,
        agent: AgentIdx,
        call_id: Option<CallId>,
    ) -> Option<usize> {
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

    /// An agent's call is over: after-call work, then idle.
    pub(super) fn free_agent(&mut self, agent: AgentIdx, now: SimTime) {
        let wrap_up = self.plan.workload.behaviour.wrap_up.sample(&mut self.rng);
        if wrap_up > Span::ZERO {
            self.pool.set_state(agent, AgentState::Busy, now);
            self.after(wrap_up, Action::AgentFree(agent));
        } else {
            self.pool.set_state(agent, AgentState::Idle, now);
        }
    }

    /// An agent's after-call work is over: idle again, so the ACD may select it.
    pub(super) fn wrap_up_over(&mut self, agent: AgentIdx) {
        self.pool.set_state(agent, AgentState::Idle, self.now);
        self.acd_dispatch();
    }
}
