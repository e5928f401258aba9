//! What the engine tells about agents and queue tasks: an agent's state changes and its
//! entering and leaving conversations, and each queue task's selection, success or failure,
//! as [`Occurrence`]s queued in the platform's order among the conversation happenings of
//! the same step. Produced only for the families the plan asks for; the agents' states and
//! the tasks themselves are kept either way. Called by the lifecycle, the ACD, arrivals and
//! scripts at each point where the platform sends such an event.

use std::sync::Arc;

use crate::agent::{AgentHappening, AgentHappeningKind, AgentState, Presence};
use crate::families::EventFamily;
use crate::occurrence::Occurrence;
use crate::queue_task::{FailCause, QueueHappening, QueueStep, SelectedAgent};
use crate::sim::agents::AgentIdx;

use super::Engine;
use super::conv::{Role, Task};

impl Engine {
    /// The user data and sub-account that events about conversation `key` carry.
    fn context(&self, key: Option<u64>) -> (Option<Arc<str>>, Option<Arc<str>>) {
        let conv = key.and_then(|k| self.convs.get(&k));
        let user_data = conv.and_then(|c| c.user_data.clone());
        let subaccount = conv
            .and_then(|c| c.subaccount_id.clone())
            .or_else(|| self.plan.subaccount_id.clone());
        (user_data, subaccount)
    }

    /// Moves agent `a` to `state`, announcing the change (if it is one) in the context of
    /// conversation `key` (its user data and sub-account; `None`: the run's sub-account).
    pub(super) fn set_agent_state(&mut self, a: AgentIdx, state: AgentState, key: Option<u64>) {
        let previous = self.pool.set_state(a, state, self.now);
        self.announce_state(a, previous, key);
    }

    /// Announces that agent `a` went from `previous` to the state it is in now (nothing if
    /// that is the same state).
    pub(super) fn announce_state(&mut self, a: AgentIdx, previous: AgentState, key: Option<u64>) {
        let latest = self.pool.get(a).state;
        if latest == previous || !self.plan.events.has(EventFamily::Agent) {
            return;
        }
        self.push_agent(a, key, AgentHappeningKind::StateChanged { previous, latest });
    }

    /// Announces that agent `a` entered or left conversation `key`.
    pub(super) fn announce_presence(&mut self, a: AgentIdx, key: u64, presence: Presence) {
        if !self.plan.events.has(EventFamily::Agent) {
            return;
        }
        let Some(conversation_id) = self.convs.get(&key).map(|c| c.id) else {
            return;
        };
        let latest_state = self.pool.get(a).state;
        self.push_agent(
            a,
            Some(key),
            AgentHappeningKind::ConversationChanged {
                presence,
                conversation_id,
                latest_state,
            },
        );
    }

    fn push_agent(&mut self, a: AgentIdx, key: Option<u64>, kind: AgentHappeningKind) {
        let (user_data, subaccount_id) = self.context(key);
        self.out.push_back(Occurrence::Agent(AgentHappening {
            at: self.now,
            agent: self.pool.get(a).info().clone(),
            subaccount_id,
            user_data,
            kind,
        }));
    }

    /// Announces step `step` of the task of party `p` of conversation `key` (the agent the
    /// task selected); success and failure close the task, so each is announced once.
    pub(super) fn announce_task(&mut self, key: u64, p: usize, step: QueueStep) {
        let Some(conv) = self.convs.get_mut(&key) else {
            return;
        };
        let Some(party) = conv.parties.get_mut(p) else {
            return;
        };
        let task = match step {
            QueueStep::Select => party.task.clone(),
            QueueStep::Success | QueueStep::Fail(_) => party.task.take(),
        };
        let Some(task) = task else {
            return;
        };
        let ringing = party.joined && !party.answered;
        let agent = match party.role {
            Role::Agent(a) => Some(SelectedAgent {
                name: self.pool.get(a).name().clone(),
                extension_id: self.pool.get(a).info().extension_id,
                call_id: party.member.call_id,
            }),
            Role::Customer | Role::External => None,
        };
        self.push_task(key, task, step, agent, ringing);
    }

    /// Fails the task of conversation `key` that still waits for an agent (none selected).
    pub(super) fn fail_waiting_task(&mut self, key: u64, cause: FailCause) {
        let Some(task) = self.convs.get_mut(&key).and_then(|c| c.waiting_task.take()) else {
            return;
        };
        self.push_task(key, task, QueueStep::Fail(cause), None, false);
    }

    /// Fails every open task of conversation `key`'s parties, as its conference goes:
    /// `hangup` if the call that queued hung up, else `call_fail` (the agent's call is
    /// dropped before it answered).
    pub(super) fn fail_open_tasks(&mut self, key: u64) {
        let Some(conv) = self.convs.get(&key) else {
            return;
        };
        let cause = if conv.queueing_call_gone {
            FailCause::Hangup
        } else {
            FailCause::CallFail
        };
        let open: Vec<usize> = (0..conv.parties.len())
            .filter(|&p| conv.parties[p].task.is_some())
            .collect();
        for p in open {
            self.announce_task(key, p, QueueStep::Fail(cause));
        }
        self.fail_waiting_task(key, cause);
    }

    fn push_task(
        &mut self,
        key: u64,
        task: Task,
        step: QueueStep,
        agent: Option<SelectedAgent>,
        agent_ringing: bool,
    ) {
        if !self.plan.events.has(EventFamily::Queue) {
            return;
        }
        let Some(conversation_id) = self.convs.get(&key).map(|c| c.id) else {
            return;
        };
        let (user_data, subaccount_id) = self.context(Some(key));
        self.out.push_back(Occurrence::Queue(Box::new(QueueHappening {
            at: self.now,
            conv_key: key,
            conversation_id,
            id: task.id,
            kind: task.kind,
            step,
            subaccount_id,
            condition_id: task.condition,
            agent,
            agent_ringing,
            origin_call_id: task.origin,
            user_data,
        })));
    }
}
