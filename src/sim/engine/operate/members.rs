//! Operations on a live conversation and its members: an agent entering (`enter`) and
//! leaving (`exit`) it, its listen/speak mode (`lsm`), an agent refusing the task ringing it
//! (`reject`), and inviting an agent (`invite_agent`) or an outside number (`invite_out`)
//! into it. Each is checked (the platform's codes) and then plays out through the
//! lifecycle's steps, its phones behaving as `phones` says.

use crate::ids::{CallId, Hex32, QueueId};
use crate::operation::{self, Answer, Code, Enqueue, Refusal, Route};
use crate::queue_task::QueueType;
use crate::sim::agents::AgentState;

use super::super::Engine;
use super::super::action::Step;
use super::super::conv::{Party, Role, Task, external_member};
use super::calls::{no_conversation, reserve_of, secs};

impl Engine {
    pub(super) fn enter_op(
        &mut self,
        name: &str,
        conversation: &str,
        mode: operation::Mode,
    ) -> Result<Answer, Refusal> {
        self.free_agent_named(name)?;
        let key = self.ready_conversation(conversation)?;
        self.room_for_one(key)?;
        let agent = self.take_free_agent(name)?;
        let call_id = CallId(Hex32::random_in(&mut self.rng, self.plan.shard));
        let mut member = self.pool.member(agent, call_id);
        member.mode = mode.0;
        let Some(conv) = self.convs.get_mut(&key) else {
            return Err(no_conversation(conversation));
        };
        conv.parties.push(Party::new(member, Role::Agent(agent)));
        let p = conv.parties.len() - 1;
        self.announce_state(agent, AgentState::Idle, Some(key));
        let phone = self.agent_phone();
        let limit = self.plan.workload.behaviour.fetch_timeout;
        self.ring_entering(key, p, phone, limit);
        Ok(Answer::True)
    }

    /// The party of agent `name` still in conversation `conversation`.
    fn member_of(&self, name: &str, conversation: &str) -> Result<(u64, usize), Refusal> {
        let agent = self.operable_agent(name)?;
        let key = self
            .conversation_key(conversation)
            .ok_or_else(|| no_conversation(conversation))?;
        let p = self.convs[&key]
            .parties
            .iter()
            .rposition(|p| p.role == Role::Agent(agent) && !p.left)
            .ok_or_else(|| {
                Refusal::new(
                    Code::BadParameter,
                    format!(
                        "conversation_id: agent {name:?} is not in conversation {conversation:?}"
                    ),
                )
            })?;
        Ok((key, p))
    }

    pub(super) fn exit_op(&mut self, name: &str, conversation: &str) -> Result<Answer, Refusal> {
        let (key, p) = self.member_of(name, conversation)?;
        if self.convs[&key].parties[p].answered {
            self.hangup(key, p);
        } else {
            // Still ringing: its call is dropped, as an unanswered ring.
            self.ring_timeout(key, p);
        }
        Ok(Answer::True)
    }

    pub(super) fn lsm(
        &mut self,
        name: &str,
        conversation: &str,
        mode: operation::Mode,
    ) -> Result<Answer, Refusal> {
        let (key, p) = self.member_of(name, conversation)?;
        if let Some(conv) = self.convs.get_mut(&key) {
            conv.parties[p].member.mode = mode.0;
        }
        Ok(Answer::True)
    }

    pub(super) fn reject(&mut self, name: &str, queue_id: &str) -> Result<Answer, Refusal> {
        let agent = self.operable_agent(name)?;
        let found = self.convs.iter().find_map(|(key, c)| {
            c.parties
                .iter()
                .position(|p| {
                    p.role == Role::Agent(agent)
                        && !p.left
                        && !p.answered
                        && p.task.as_ref().is_some_and(|t| t.id.as_str() == queue_id)
                })
                .map(|p| (*key, p))
        });
        let Some((key, p)) = found else {
            return Err(Refusal::new(
                Code::BadParameter,
                format!("queue_id: no task {queue_id:?} is ringing agent {name:?}"),
            ));
        };
        self.cancel_phone_steps(key, p);
        self.ring_timeout(key, p);
        Ok(Answer::True)
    }

    pub(super) fn invite_agent(
        &mut self,
        conversation: &str,
        enqueue: &Enqueue,
        mode: operation::Mode,
    ) -> Result<Answer, Refusal> {
        let key = self.ready_conversation(conversation)?;
        self.room_for_one(key)?;
        let conv = &self.convs[&key];
        if conv.waiting_task.is_some() || conv.waiting_since.is_some() {
            return Err(Refusal::new(
                Code::NotReady,
                format!("conversation {conversation:?} is already looking for an agent"),
            ));
        }
        let condition = match &enqueue.route {
            Route::Condition(id) => Some(id.clone()),
            Route::Agent(_) | Route::Skill(_) => None,
        };
        let reserve = reserve_of(enqueue)?;
        let Some(agent) = self.select_agent(Some(&enqueue.route))? else {
            // Nobody free: the invitation's task waits out its queue timeout, then fails.
            let task = Task {
                id: QueueId(Hex32::random_in(&mut self.side_rng, self.plan.shard)),
                kind: QueueType::InviteAgent,
                origin: CallId(Hex32::random_in(&mut self.side_rng, self.plan.shard)),
                condition,
            };
            let timeout = self.queue_timeout_of(enqueue);
            if let Some(conv) = self.convs.get_mut(&key) {
                conv.waiting_task = Some(task);
            }
            self.step_after(timeout, key, Step::TaskTimeout);
            return Ok(Answer::True);
        };
        let Some(p) = self.invite_agent_party(key, agent, None, condition, mode.0) else {
            return Err(no_conversation(conversation));
        };
        if let Some(party) = self.convs.get_mut(&key).map(|c| &mut c.parties[p]) {
            party.reserve = reserve;
        }
        let phone = self.agent_phone();
        let dial = self.mech.agent_dial.sample(&mut self.rng);
        let limit = self
            .ring_limit_of(enqueue)
            .unwrap_or(self.plan.workload.behaviour.fetch_timeout);
        self.ring_invited(key, p, phone, dial, limit);
        Ok(Answer::True)
    }

    pub(super) fn invite_out(&mut self, invite: &operation::InviteOut) -> Result<Answer, Refusal> {
        let key = self.ready_conversation(&invite.conversation)?;
        self.room_for_one(key)?;
        let phone = self.callee_phone(&invite.to);
        let call_id = CallId(Hex32::random_in(&mut self.rng, self.plan.shard));
        let dial = self.mech.callee_dial.sample(&mut self.rng);
        let limit = invite
            .max_dial_seconds
            .map_or(self.plan.workload.behaviour.dial_timeout, secs);
        let mut member = external_member(call_id, invite.to.clone());
        member.mode = invite.mode.0;
        let Some(conv) = self.convs.get_mut(&key) else {
            return Err(no_conversation(&invite.conversation));
        };
        conv.parties.push(Party::new(member, Role::External));
        let p = conv.parties.len() - 1;
        self.ring_invited(key, p, phone, dial, limit);
        Ok(Answer::True)
    }
}
