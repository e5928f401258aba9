//! The lifecycle steps of each conversation type (`queue`, `call_out`, `call_agent`), on
//! success and failure paths: the conference is created, parties enter it (invited parties
//! while ringing), answer or ring too long, hang up or leave, and it is released when one
//! member or fewer is left, with `end` only if it began. Called by the event loop (timed
//! [`Step`]s), by the ACD (conference created when a `queue` call gets its agent) and by
//! scripts; it calls the ACD back when an agent is freed or agent A of a `call_agent` waits.

use std::sync::Arc;

use crate::agent::Presence;
use crate::conversation::{ConvInfo, ConvType, EndReason, Happening, HappeningKind, Outcome};
use crate::ids::{CallId, Hex32, QueueId, phone_number};
use crate::queue_task::{FailCause, QueueStep, QueueType};
use crate::sim::agents::{AgentIdx, AgentState};

use super::Engine;
use super::action::{Action, Step};
use super::conv::{Party, Role, Task, external_member};

impl Engine {
    /// Runs a due lifecycle step; steps of a released conversation are stale and ignored.
    pub(super) fn step(&mut self, key: u64, step: Step) {
        let Some(conv) = self.convs.get(&key) else {
            return; // released: a stale step
        };
        if let Step::Answer(p) | Step::RingTimeout(p) | Step::Hangup(p) | Step::EnterAnswer(p) =
            step
            && conv.parties.get(p).is_none_or(|party| party.left)
        {
            return; // a party gone already: a stale step
        }
        match step {
            Step::InitiatorAnswer => self.initiator_answer(key),
            Step::InitiatorNoAnswer => self.initiator_no_answer(key),
            Step::InitiatorEnter => self.join(key, 0),
            Step::Ring(p) => self.join(key, p),
            Step::Answer(p) => self.answer(key, p),
            Step::RingTimeout(p) => self.ring_timeout(key, p),
            Step::Hangup(p) => self.hangup(key, p),
            Step::MaxDuration => {
                self.note_capped(key);
                self.release(key, EndReason::MaxDuration);
            }
            Step::EnterAnswer(p) => self.enter_answer(key, p),
            Step::TaskTimeout => self.fail_waiting_task(key, FailCause::Timeout),
        }
    }

    /// Creates the conversation (conference): its record exists from now on.
    pub(super) fn create(&mut self, key: u64) {
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
        if let Some(ops) = &conv.ops {
            // An operation's conversation: its own maximum length, from now.
            let cap = ops
                .cap
                .map_or(self.mech.max_duration, |c| c.min(self.mech.max_duration));
            self.step_after(cap, key, Step::MaxDuration);
        }
        self.out.push_back(
            Happening {
                at: now,
                conv: info,
                kind: HappeningKind::Created,
            }
            .into(),
        );
    }

    /// Queues a happening of a created conversation (none before it is created).
    fn emit(&mut self, key: u64, kind: HappeningKind) {
        if let Some(info) = self.convs.get(&key).and_then(|c| c.info.clone()) {
            self.out.push_back(
                Happening {
                    at: self.now,
                    conv: info,
                    kind,
                }
                .into(),
            );
        }
    }

    /// The initiating agent answers its own leg: the conversation is created, the agent
    /// enters it shortly after and, for `call_out`, the callee is dialled.
    pub(super) fn initiator_answer(&mut self, key: u64) {
        let conf_start = self.mech.conf_start.sample(&mut self.rng);
        let Some(conv) = self.convs.get_mut(&key) else {
            return;
        };
        conv.parties[0].answered = true;
        let kind = conv.kind;
        let ops = conv.ops.as_ref().map(|o| o.callee.clone());
        if let Role::Agent(a) = conv.parties[0].role {
            self.set_agent_state(a, AgentState::Talking, Some(key));
        }
        self.create(key);
        self.step_after(conf_start, key, Step::InitiatorEnter);
        if let Some(callee) = ops {
            // Placed by the application: its own callee (or agent B, by the ACD).
            if let Some(callee) = callee {
                self.dial_callee(key, conf_start, callee);
            }
            return;
        }
        if kind == ConvType::CallOut {
            let dial = self.mech.callee_dial.sample(&mut self.rng);
            let call_id = CallId(Hex32::random_in(&mut self.rng, self.plan.shard));
            let telnumber = phone_number(&mut self.rng);
            let dial_timeout = self.behaviour().dial_timeout;
            let Some(conv) = self.convs.get_mut(&key) else {
                return;
            };
            conv.parties.push(Party::new(
                external_member(call_id, telnumber),
                Role::External,
            ));
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

    /// The initiating agent never answers its own leg: no conversation at all.
    pub(super) fn initiator_no_answer(&mut self, key: u64) {
        if let Some(Role::Agent(a)) = self.convs.get(&key).map(|c| c.parties[0].role) {
            self.set_agent_state(a, AgentState::Idle, Some(key));
        }
        if let Some(conv) = self.convs.remove(&key) {
            self.retire(&conv);
            self.stats.finished(conv.kind, Outcome::InitiatorNoAnswer);
            self.acd_dispatch();
        }
    }

    /// Party `p` enters the conference (the initiator, or an invited party while ringing).
    pub(super) fn join(&mut self, key: u64, p: usize) {
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
        let (kind, role) = (conv.kind, conv.parties[p].role);
        if let Role::Agent(a) = role {
            self.announce_presence(a, key, Presence::Enter);
        }
        self.emit(key, HappeningKind::Joined(member));
        if kind == ConvType::CallAgent && p == 0 {
            // Agent A is in: the ACD now looks for agent B (a script names B itself).
            let scripted = self.convs.get(&key).is_some_and(|c| c.script.is_some());
            if scripted {
                if let Some(conv) = self.convs.get_mut(&key) {
                    conv.waiting_since = Some(self.now);
                }
                self.open_task(key);
            } else {
                self.enqueue(key);
            }
        }
    }

    /// Party `p` answers; the first answer begins the conversation and schedules how it ends
    /// (a hang-up after the talk time, or the maximum duration).
    pub(super) fn answer(&mut self, key: u64, p: usize) {
        let now = self.now;
        let max_duration = self.mech.max_duration;
        let Some(conv) = self.convs.get_mut(&key) else {
            return;
        };
        if conv.parties[p].left {
            return;
        }
        conv.parties[p].answered = true;
        let started = conv.started_at.is_some();
        if let Role::Agent(a) = conv.parties[p].role {
            self.set_agent_state(a, AgentState::Talking, Some(key));
        }
        if started {
            // An invited agent in a conversation that already began: no second begin.
            let talk = self.convs.get(&key).and_then(|c| c.parties[p].talk);
            self.announce_task(key, p, QueueStep::Success);
            if let Some(talk) = talk {
                self.step_after(talk, key, Step::Hangup(p));
            }
            return;
        }
        let Some(conv) = self.convs.get_mut(&key) else {
            return;
        };
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
        if let Some(assigned) = conv.assigned_at {
            self.stats.fetched(conv.kind, now.since(assigned));
        }
        let scripted = conv.script.is_some();
        let endless = conv.draws.endless;
        self.emit(key, HappeningKind::Started { answered_call });
        self.announce_task(key, p, QueueStep::Success);
        if scripted || endless {
            // The timeline (or the suite) says how it ends; the cap was set at creation.
            return;
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

    /// Agent `agent`, already taken from idle, is invited into conversation `key` (a
    /// script's `invite_agent`, or the API's): the platform queues the invitation as a task
    /// of its own (`invite_agent`, carrying `condition`) on a shadow call that belongs to no
    /// real call, announces its selection and the agent's `idle → fetching`. Returns the
    /// new party; its phone is not rung yet.
    pub(super) fn invite_agent_party(
        &mut self,
        key: u64,
        agent: AgentIdx,
        call_id: Option<CallId>,
        condition: Option<Arc<str>>,
        mode: u8,
    ) -> Option<usize> {
        let call_id =
            call_id.unwrap_or_else(|| CallId(Hex32::random_in(&mut self.rng, self.plan.shard)));
        let mut member = self.pool.member(agent, call_id);
        member.mode = mode;
        let task = Task {
            id: QueueId(Hex32::random_in(&mut self.side_rng, self.plan.shard)),
            kind: QueueType::InviteAgent,
            origin: CallId(Hex32::random_in(&mut self.side_rng, self.plan.shard)),
            condition,
        };
        let conv = self.convs.get_mut(&key)?;
        let mut invited = Party::new(member, Role::Agent(agent));
        invited.task = Some(task);
        conv.parties.push(invited);
        let p = conv.parties.len() - 1;
        self.announce_task(key, p, QueueStep::Select);
        self.announce_state(agent, AgentState::Idle, Some(key));
        Some(p)
    }

    /// Agent `p`, dialled to enter the conversation (`enter`), answers: `fetching →
    /// talking`, then it joins (no `begin`: its call is not an invited one).
    pub(super) fn enter_answer(&mut self, key: u64, p: usize) {
        let max = self.mech.max_members;
        let Some(conv) = self.convs.get_mut(&key) else {
            return;
        };
        let members = conv.parties.iter().filter(|x| x.joined && !x.left).count();
        if members >= max {
            // Filled up while its phone rang: it cannot join (040502) and is hung up.
            self.leave(key, p);
            return;
        }
        conv.parties[p].answered = true;
        if let Role::Agent(a) = conv.parties[p].role {
            self.set_agent_state(a, AgentState::Talking, Some(key));
        }
        self.join(key, p);
        let talk = self.convs.get(&key).and_then(|c| c.parties[p].talk);
        if let Some(talk) = talk {
            self.step_after(talk, key, Step::Hangup(p));
        }
    }

    /// Party `p` rang too long (or the dial failed): it is removed.
    pub(super) fn ring_timeout(&mut self, key: u64, p: usize) {
        let Some(conv) = self.convs.get_mut(&key) else {
            return;
        };
        let failure = match conv.parties[p].role {
            Role::External => Outcome::CalleeNoAnswer,
            _ => Outcome::AgentNoAnswer,
        };
        conv.failure.get_or_insert(failure);
        self.announce_task(key, p, QueueStep::Fail(FailCause::CallFail));
        self.leave(key, p);
    }

    /// Party `p` hangs up; a queued customer doing so before anyone answered abandons, as
    /// does a `call_agent` initiator still waiting for agent B.
    pub(super) fn hangup(&mut self, key: u64, p: usize) {
        if let Some(conv) = self.convs.get_mut(&key)
            && conv.started_at.is_none()
            && p == 0
        {
            conv.queueing_call_gone = true;
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

    /// Party `p` leaves; with one member or fewer left, the conference is released.
    pub(super) fn leave(&mut self, key: u64, p: usize) {
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
        if let (Role::Agent(a), true) = (role, was_joined) {
            self.announce_presence(a, key, Presence::Exit);
        }
        if was_joined {
            self.emit(key, HappeningKind::Left { call_id });
        }
        if let Role::Agent(a) = role {
            self.free_agent(a, key);
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
    pub(super) fn release(&mut self, key: u64, reason: EndReason) {
        let now = self.now;
        // Tasks still open fail, then the members still in leave, each agent's state
        // following, before the conference goes.
        self.fail_open_tasks(key);
        let staying: Vec<(usize, Role, bool)> = self
            .convs
            .get(&key)
            .map(|c| {
                c.parties
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| !p.left)
                    .map(|(i, p)| (i, p.role, p.joined))
                    .collect()
            })
            .unwrap_or_default();
        for (i, role, joined) in staying {
            if let Some(party) = self.convs.get_mut(&key).and_then(|c| c.parties.get_mut(i)) {
                party.left = true;
            }
            if let Role::Agent(a) = role {
                if joined {
                    self.announce_presence(a, key, Presence::Exit);
                }
                self.free_agent(a, key);
            }
        }
        let Some(conv) = self.convs.remove(&key) else {
            return;
        };
        // A waiting entry of this conversation is now stale: the ACD skips it.
        if conv.in_acd_queue {
            self.queue_len = self.queue_len.saturating_sub(1);
        }
        self.retire(&conv);
        let reason = match &conv.end_reason {
            Some(custom) => EndReason::Custom(custom.clone()),
            None => reason,
        };
        if let Some(info) = conv.info.clone() {
            self.out.push_back(
                Happening {
                    at: now,
                    conv: info,
                    kind: HappeningKind::Released {
                        reason,
                        started_at: conv.started_at,
                    },
                }
                .into(),
            );
        }
        let outcome = if conv.started_at.is_some() {
            Outcome::Completed
        } else {
            conv.failure.unwrap_or(Outcome::DismissedBeforeBegin)
        };
        self.stats.finished(conv.kind, outcome);
        self.acd_dispatch();
    }
}

#[cfg(test)]
mod tests {
    use crate::conversation::{ConvType, Outcome};
    use crate::sim::dist::Dist;

    use super::super::testing::{engine, of, p, secs};

    /// The agent who joined first (the initiator) and the other one, in a `call_agent`.
    fn initiator_and_invited(lines: &[String]) -> (String, String) {
        let a = lines[1]
            .strip_prefix("5.200 #0 ")
            .and_then(|l| l.strip_suffix(" joins"))
            .expect("agent A joins at 5.2 s")
            .to_owned();
        let b = if a == "agent-001" {
            "agent-002"
        } else {
            "agent-001"
        };
        (a, b.to_owned())
    }

    #[test]
    fn a_queue_call_joins_the_customer_then_the_ringing_agent_begins_on_answer_and_ends() {
        let mut e = engine(1, |_, _| {});
        e.arrival(0, ConvType::Queue);
        assert_eq!(
            e.transcript(),
            [
                "0.000 #0 created",
                "0.200 #0 customer joins",
                "1.000 #0 agent-001 joins",
                "6.000 #0 begins (agent-001 answered)",
                "66.000 #0 customer leaves",
                "66.000 #0 released: customer_hangup",
            ]
        );
        assert_eq!(e.outcomes(ConvType::Queue), [(Outcome::Completed, 1)]);
    }

    #[test]
    fn a_queue_call_ended_by_the_agent_is_released_with_agent_hangup() {
        let mut e = engine(1, |b, _| b.customer_hangup = p(0.0));
        e.arrival(0, ConvType::Queue);
        let lines = e.transcript();
        assert_eq!(
            lines[4..],
            [
                "66.000 #0 agent-001 leaves",
                "66.000 #0 released: agent_hangup"
            ]
        );
        assert_eq!(e.outcomes(ConvType::Queue), [(Outcome::Completed, 1)]);
    }

    #[test]
    fn a_queue_agent_who_rings_too_long_leaves_and_the_call_is_released_without_begin() {
        let mut e = engine(1, |b, _| b.agent_answer = p(0.0));
        e.arrival(0, ConvType::Queue);
        assert_eq!(
            e.transcript(),
            [
                "0.000 #0 created",
                "0.200 #0 customer joins",
                "1.000 #0 agent-001 joins",
                "51.000 #0 agent-001 leaves",
                "51.000 #0 released before begin: agent_hangup",
            ]
        );
        assert_eq!(e.outcomes(ConvType::Queue), [(Outcome::AgentNoAnswer, 1)]);
    }

    #[test]
    fn a_queue_customer_whose_patience_ends_while_the_agent_rings_abandons_ringing() {
        let mut e = engine(1, |b, _| b.patience = Some(Dist::fixed(secs(3))));
        e.arrival(0, ConvType::Queue);
        assert_eq!(
            e.transcript(),
            [
                "0.000 #0 created",
                "0.200 #0 customer joins",
                "1.000 #0 agent-001 joins",
                "3.000 #0 customer leaves",
                "3.000 #0 released before begin: customer_hangup",
            ]
        );
        assert_eq!(
            e.outcomes(ConvType::Queue),
            [(Outcome::AbandonedRinging, 1)],
            "the agent's answer, due later, is a stale step"
        );
    }

    #[test]
    fn a_talk_longer_than_the_maximum_duration_is_released_at_the_cap() {
        let mut e = engine(1, |_, m| m.max_duration = secs(30));
        e.arrival(0, ConvType::Queue);
        let lines = e.transcript();
        assert_eq!(
            lines[3..],
            [
                "6.000 #0 begins (agent-001 answered)",
                "30.000 #0 released: max_duration"
            ]
        );
        assert_eq!(e.outcomes(ConvType::Queue), [(Outcome::Completed, 1)]);
    }

    #[test]
    fn a_call_out_is_created_when_the_agent_answers_and_begins_when_the_callee_does() {
        let mut e = engine(1, |_, _| {});
        e.arrival(0, ConvType::CallOut);
        assert_eq!(
            e.transcript(),
            [
                "5.000 #0 created",
                "5.200 #0 agent-001 joins",
                "8.200 #0 callee joins",
                "18.200 #0 begins (callee answered)",
                "78.200 #0 callee leaves",
                "78.200 #0 released: customer_hangup",
            ]
        );
        assert_eq!(e.outcomes(ConvType::CallOut), [(Outcome::Completed, 1)]);
    }

    #[test]
    fn a_call_out_ended_by_the_agent_is_released_with_agent_hangup() {
        let mut e = engine(1, |b, _| b.customer_hangup = p(0.0));
        e.arrival(0, ConvType::CallOut);
        let lines = e.transcript();
        assert_eq!(
            lines[4..],
            [
                "78.200 #0 agent-001 leaves",
                "78.200 #0 released: agent_hangup"
            ]
        );
    }

    #[test]
    fn a_call_out_callee_who_does_not_answer_leaves_at_the_dial_timeout_without_begin() {
        let mut e = engine(1, |b, _| b.callee_answer = p(0.0));
        e.arrival(0, ConvType::CallOut);
        assert_eq!(
            e.transcript(),
            [
                "5.000 #0 created",
                "5.200 #0 agent-001 joins",
                "8.200 #0 callee joins",
                "53.200 #0 callee leaves",
                "53.200 #0 released before begin: customer_hangup",
            ]
        );
        assert_eq!(
            e.outcomes(ConvType::CallOut),
            [(Outcome::CalleeNoAnswer, 1)]
        );
    }

    #[test]
    fn an_initiator_who_does_not_answer_its_own_leg_leaves_no_trace_and_is_free_again() {
        for kind in [ConvType::CallOut, ConvType::CallAgent] {
            // The first initiator does not answer (fetch timeout 50 s); the next one would.
            let mut e = engine(1, |b, _| b.agent_answer = p(0.0));
            e.arrive(kind);
            e.plan.workload.behaviour.agent_answer = p(1.0);
            e.arrival(60_000, ConvType::CallOut);
            let lines = e.transcript();
            assert!(of(&lines, 0).is_empty(), "{kind}: {lines:?}");
            assert_eq!(
                of(&lines, 1)[..2],
                ["65.000 #1 created", "65.200 #1 agent-001 joins"]
            );
            let outcomes = [e.outcomes(kind), e.outcomes(ConvType::CallOut)].concat();
            assert!(
                outcomes.contains(&(Outcome::InitiatorNoAnswer, 1)),
                "{kind}: {outcomes:?}"
            );
        }
    }

    #[test]
    fn a_call_agent_joins_agent_a_then_the_ringing_agent_b_and_begins_when_b_answers() {
        let mut e = engine(2, |_, _| {});
        e.arrival(0, ConvType::CallAgent);
        let lines = e.transcript();
        let (a, b) = initiator_and_invited(&lines);
        assert_eq!(
            lines,
            [
                "5.000 #0 created".to_owned(),
                format!("5.200 #0 {a} joins"),
                format!("6.200 #0 {b} joins"),
                format!("11.200 #0 begins ({b} answered)"),
                format!("71.200 #0 {a} leaves"),
                "71.200 #0 released: agent_hangup".to_owned(),
            ]
        );
        assert_eq!(e.outcomes(ConvType::CallAgent), [(Outcome::Completed, 1)]);
    }

    #[test]
    fn a_call_agent_ended_by_agent_b_is_released_with_agent_hangup() {
        let mut e = engine(2, |b, _| b.customer_hangup = p(0.0));
        e.arrival(0, ConvType::CallAgent);
        let lines = e.transcript();
        let (_, b) = initiator_and_invited(&lines);
        assert_eq!(
            lines[4..],
            [
                format!("71.200 #0 {b} leaves"),
                "71.200 #0 released: agent_hangup".to_owned()
            ]
        );
    }

    #[test]
    fn a_call_agent_whose_agent_b_rings_too_long_is_released_without_begin() {
        let mut e = engine(2, |_, _| {});
        e.arrive(ConvType::CallAgent);
        e.conv_mut(0).draws.callee_answers = false;
        let lines = e.transcript();
        let (a, b) = initiator_and_invited(&lines);
        assert_eq!(
            lines,
            [
                "5.000 #0 created".to_owned(),
                format!("5.200 #0 {a} joins"),
                format!("6.200 #0 {b} joins"),
                format!("56.200 #0 {b} leaves"),
                "56.200 #0 released before begin: agent_hangup".to_owned(),
            ]
        );
        assert_eq!(
            e.outcomes(ConvType::CallAgent),
            [(Outcome::AgentNoAnswer, 1)]
        );
    }
}
