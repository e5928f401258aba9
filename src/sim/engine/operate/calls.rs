//! Calls the application places and conversations it acts on: `call_out`, `call_agent`, `enter`, `exit`, listen/speak modes, `reject`, dismissing, `invite_agent`, `invite_out`; and the test-control API's injected inbound calls and instructions to a call.
//!
//! Each operation checks its preconditions (the platform's codes), then starts the same
//! lifecycle steps generated conversations go through, so the webhooks of every family and
//! the records follow as they do for them; phones behave as `phones` says. This file holds
//! the dispatch, the calls placed and injected, and the checks the parts share; the
//! operations on a live conversation's members are in `members`.

use std::sync::Arc;

use crate::agent::StateName;
use crate::conversation::{ConvType, EndReason};
use crate::ids::{CallId, ConversationId, Hex32, QueueId, RecordFileId, phone_number};
use crate::operation::{
    self, Answer, Code, Enqueue, InboundCall, InjectedCall, Operation, Refusal, Route,
};
use crate::sim::agents::{AgentIdx, AgentState};
use crate::units::Span;

use super::super::Engine;
use super::super::conv::{Callee, Conv, Operated, Party, Role, Talk, external_member};

/// Seconds as a span.
pub(super) fn secs(s: u32) -> Span {
    Span::from_millis(u64::from(s) * 1000)
}

/// The state an `<enqueue>`'s `reserve_state` leaves the agent it selects in, read as any
/// state the API sets (`<base>[/extension]`); `000001` naming it if it is not one.
pub(super) fn reserve_of(enqueue: &Enqueue) -> Result<Option<StateName>, Refusal> {
    enqueue
        .reserve_state
        .as_deref()
        .map(|s| {
            StateName::parse(s).ok_or_else(|| {
                Refusal::new(
                    Code::BadParameter,
                    format!("reserve_state: {s:?} is not a state"),
                )
            })
        })
        .transpose()
}

/// `040501` for conversation `id`.
pub(super) fn no_conversation(id: &str) -> Refusal {
    Refusal::new(
        Code::NoSuchConversation,
        format!("conversation_id: no live conversation {id:?}"),
    )
}

impl Engine {
    /// Carries out one of this part's operations.
    pub(super) fn call_op(&mut self, op: Operation) -> Result<Answer, Refusal> {
        match op {
            Operation::CallOut(call) => self.call_out(&call),
            Operation::CallAgent { agent, enqueue } => self.call_agent(&agent, &enqueue),
            Operation::Enter {
                agent,
                conversation,
                mode,
            } => self.enter_op(&agent, &conversation, mode),
            Operation::Exit {
                agent,
                conversation,
            } => self.exit_op(&agent, &conversation),
            Operation::Lsm {
                agent,
                conversation,
                mode,
            } => self.lsm(&agent, &conversation, mode),
            Operation::Reject { agent, queue_id } => self.reject(&agent, &queue_id),
            Operation::Dismiss { conversation } => {
                let key = self.ready_conversation(&conversation)?;
                self.release(key, EndReason::Dismissed);
                Ok(Answer::True)
            }
            Operation::InviteAgent {
                conversation,
                enqueue,
                mode,
            } => self.invite_agent(&conversation, &enqueue, mode),
            Operation::InviteOut(invite) => self.invite_out(&invite),
            Operation::InjectCall(call) => self.inject(call),
            Operation::Instruct { call, instruction } => self.instruct(&call, instruction),
            other => Err(Refusal::new(
                Code::BadParameter,
                format!("not a call operation: {other:?}"),
            )),
        }
    }

    /// How long the agent the ACD selects for conversation `key` rings at most.
    pub(in crate::sim::engine) fn fetch_timeout_of(&self, key: u64) -> Span {
        self.convs
            .get(&key)
            .and_then(|c| c.ops.as_ref())
            .and_then(|o| o.fetch_timeout)
            .unwrap_or(self.plan.workload.behaviour.fetch_timeout)
    }

    /// How long the task `enqueue` opens waits for an agent: its own queue timeout, else
    /// its condition's; none means it times out at once when nobody is free.
    pub(super) fn queue_timeout_of(&self, enqueue: &Enqueue) -> Span {
        enqueue
            .queue_timeout
            .or_else(|| self.condition_queue_timeout(&enqueue.route))
            .map_or(Span::ZERO, secs)
    }

    /// How long the agent the task `enqueue` opens selects rings at most: its own fetch
    /// timeout, else its condition's (`None`: the scenario's).
    pub(super) fn ring_limit_of(&self, enqueue: &Enqueue) -> Option<Span> {
        enqueue
            .fetch_timeout
            .or_else(|| self.condition_fetch_timeout(&enqueue.route))
            .map(secs)
    }

    /// The state an operation's `<enqueue>` leaves `agent` in when it leaves conversation
    /// `key` (its `reserve_state`), if any: the agents its tasks selected, not the initiator.
    pub(in crate::sim::engine) fn operated_reserve(
        &self,
        key: u64,
        agent: AgentIdx,
    ) -> Option<StateName> {
        let conv = self.convs.get(&key)?;
        let p = conv
            .parties
            .iter()
            .rposition(|p| p.role == Role::Agent(agent))?;
        conv.parties[p].reserve.clone().or_else(|| {
            (p != 0)
                .then(|| conv.ops.as_ref().and_then(|o| o.reserve_state.clone()))
                .flatten()
        })
    }

    /// The live conversation of id `id`.
    pub(super) fn conversation_key(&self, id: &str) -> Option<u64> {
        self.convs
            .iter()
            .find(|(_, c)| c.id.as_str() == id && c.info.is_some())
            .map(|(key, _)| *key)
    }

    /// The live conversation `id`, created (`040501` otherwise) and its conference started,
    /// its initiator in (`000004` otherwise).
    pub(super) fn ready_conversation(&self, id: &str) -> Result<u64, Refusal> {
        let key = self
            .conversation_key(id)
            .ok_or_else(|| no_conversation(id))?;
        let first = &self.convs[&key].parties[0];
        if !first.joined && !first.left {
            return Err(Refusal::new(
                Code::NotReady,
                format!("conversation {id:?} is not ready: its conference has not started"),
            ));
        }
        Ok(key)
    }

    /// `040502` if conversation `key` has no room for another call.
    pub(super) fn room_for_one(&self, key: u64) -> Result<(), Refusal> {
        let calls = self.convs[&key].parties.iter().filter(|p| !p.left).count();
        if calls >= self.mech.max_members {
            return Err(Refusal::new(
                Code::ConversationFull,
                format!(
                    "the conversation already has {calls} calls; at most {}",
                    self.mech.max_members
                ),
            ));
        }
        Ok(())
    }

    /// The live conversation and party of agent `agent`, if it is on a call (the only
    /// way to find one: an agent is in at most one live conversation).
    pub(super) fn agent_call(&self, agent: AgentIdx) -> Option<(u64, usize)> {
        self.live_party(|p| p.role == Role::Agent(agent))
    }

    /// The first party still on the call that `wanted` picks, in the oldest conversation
    /// that has one: its conversation and party.
    pub(super) fn live_party(&self, wanted: impl Fn(&Party) -> bool) -> Option<(u64, usize)> {
        self.convs
            .iter()
            .filter_map(|(key, c)| {
                c.parties
                    .iter()
                    .position(|p| !p.left && wanted(p))
                    .map(|p| (*key, p))
            })
            .min()
    }

    /// Agent `name`, exactly idle and on no call, taken to `fetching` (`040203` otherwise).
    pub(super) fn take_free_agent(&mut self, name: &str) -> Result<AgentIdx, Refusal> {
        let agent = self.free_agent_named(name)?;
        if !self.pool.select_named(agent, self.now) {
            return Err(Refusal::new(
                Code::AgentBusy,
                format!("agent {name:?} is not idle"),
            ));
        }
        Ok(agent)
    }

    /// Agent `name`, if it is exactly idle and on no call (`040203` otherwise).
    pub(super) fn free_agent_named(&self, name: &str) -> Result<AgentIdx, Refusal> {
        let agent = self.operable_agent(name)?;
        let state = self.pool.get(agent).state;
        if state != AgentState::Idle {
            return Err(Refusal::new(
                Code::AgentBusy,
                format!("agent {name:?} is {state}, not idle"),
            ));
        }
        if let Some((key, _)) = self.agent_call(agent) {
            let id = self.convs[&key].id;
            return Err(Refusal::new(
                Code::AgentBusy,
                format!("agent {name:?} is on a call (conversation {id})"),
            ));
        }
        Ok(agent)
    }

    /// A new live conversation of `kind`, its ids drawn now (the conversation id is
    /// generated up front), with `first` as its initiator; returns its key.
    fn open_conversation(
        &mut self,
        kind: ConvType,
        user_data: Option<Arc<str>>,
        draws: super::super::conv::Draws,
        ops: Operated,
        first: impl FnOnce(&mut Self, CallId) -> Party,
    ) -> u64 {
        let (rng, shard) = (&mut self.rng, self.plan.shard);
        let id = ConversationId(Hex32::random_in(rng, shard));
        let record_file = RecordFileId(Hex32::random_in(rng, shard));
        let queue_id = (kind != ConvType::CallOut).then(|| QueueId(Hex32::random_in(rng, shard)));
        let call_id = CallId(Hex32::random_in(rng, shard));
        let party = first(self, call_id);
        self.admit_conversation(Conv {
            parties: vec![party],
            ops: Some(Box::new(ops)),
            ..Conv::new(
                kind,
                (id, queue_id, record_file),
                user_data,
                self.now,
                draws,
            )
        })
    }

    /// The agent places its call (`call_out`, `call_agent`): `idle → fetching` now, its
    /// phone rings by its behaviour.
    fn place_agent_call(
        &mut self,
        agent: AgentIdx,
        kind: ConvType,
        user_data: Option<Arc<str>>,
        mut draws: super::super::conv::Draws,
        ops: Operated,
    ) -> u64 {
        draws.patience = None;
        let key = self.open_conversation(kind, user_data, draws, ops, |e, call_id| {
            Party::new(e.pool.member(agent, call_id), Role::Agent(agent))
        });
        // The application placed the agent's call: `idle → fetching`.
        self.announce_state(agent, AgentState::Idle, Some(key));
        let phone = self.agent_phone();
        let limit = self.plan.workload.behaviour.fetch_timeout;
        self.ring_initiator(key, phone, limit);
        key
    }

    fn call_out(&mut self, call: &operation::CallOut) -> Result<Answer, Refusal> {
        let agent = self.take_free_agent(&call.agent)?;
        let mut draws = self.draw();
        let phone = self.callee_phone(&call.to);
        match phone.talk {
            Talk::Drawn => {}
            Talk::After(t) => {
                draws.talk = t;
                draws.customer_hangs_up = true;
            }
            Talk::Never => draws.endless = true,
        }
        let max_ring = call
            .max_dial_seconds
            .map_or(self.plan.workload.behaviour.dial_timeout, secs);
        let ops = Operated {
            callee: Some(Callee {
                number: call.to.clone(),
                max_ring,
                phone,
            }),
            cap: Some(secs(call.max_answer_seconds)),
            ..Operated::default()
        };
        self.place_agent_call(agent, ConvType::CallOut, call.user_data.clone(), draws, ops);
        Ok(Answer::True)
    }

    fn call_agent(&mut self, name: &str, enqueue: &Enqueue) -> Result<Answer, Refusal> {
        self.free_agent_named(name)?;
        self.known_route(&enqueue.route)?;
        let reserve_state = reserve_of(enqueue)?;
        let agent = self.take_free_agent(name)?;
        let draws = self.draw();
        let ops = Operated {
            cap: enqueue.conversation_timeout.map(secs),
            queue_timeout: Some(self.queue_timeout_of(enqueue)),
            fetch_timeout: self.ring_limit_of(enqueue),
            reserve_state,
            // `call_agent` tasks never carry a condition.
            condition: None,
            ..Operated::default()
        };
        let key = self.place_agent_call(
            agent,
            ConvType::CallAgent,
            enqueue.user_data.clone(),
            draws,
            ops,
        );
        if let Some(conv) = self.convs.get_mut(&key) {
            set_route(conv, enqueue.route.clone());
        }
        Ok(Answer::True)
    }

    /// A suite's inbound customer call arrives now and is queued, as a generated `queue`
    /// arrival is (and counted as one).
    fn inject(&mut self, call: InboundCall) -> Result<Answer, Refusal> {
        if self.convs.len() >= self.plan.max_live {
            return Err(Refusal::new(
                Code::NotReady,
                format!(
                    "{} conversations are live, the most this run holds",
                    self.plan.max_live
                ),
            ));
        }
        let condition = call
            .condition
            .clone()
            .unwrap_or_else(|| self.condition_id.clone());
        let route = Route::Condition(condition.clone());
        self.known_route(&route)?;
        let mut draws = self.draw();
        draws.patience = call.patience;
        match call.talk {
            None => {}
            Some(Some(t)) => {
                draws.talk = t;
                draws.customer_hangs_up = true;
            }
            Some(None) => draws.endless = true,
        }
        let queue_timeout = call.queue_timeout.or_else(|| {
            self.condition_queue_timeout(&route).map(secs).or(self
                .plan
                .workload
                .behaviour
                .queue_timeout)
        });
        let ops = Operated {
            queue_timeout,
            condition: Some(condition),
            ..Operated::default()
        };
        let number = call.from.clone();
        let key = self.open_conversation(ConvType::Queue, call.user_data, draws, ops, |e, id| {
            let number = number.unwrap_or_else(|| phone_number(&mut e.rng));
            Party::new(external_member(id, number), Role::Customer)
        });
        let Some(conv) = self.convs.get_mut(&key) else {
            return Err(Refusal::new(Code::NotReady, "the call was dropped"));
        };
        set_route(conv, route);
        let answer = InjectedCall {
            conversation_id: conv.id.as_str().into(),
            call_id: conv.parties[0].member.call_id.as_str().into(),
            queue_id: conv.queue_id.map(|q| q.as_str().into()).unwrap_or_default(),
        };
        self.enqueue(key);
        Ok(Answer::Injected(answer))
    }
}

/// The route its task looks for an agent by.
fn set_route(conv: &mut Conv, route: Route) {
    conv.route = Some(route);
}
