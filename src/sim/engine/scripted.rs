//! Scripted conversations in the engine: each timeline step is a scheduled action that
//! drives the same lifecycle functions as generated conversations (offer, create, join,
//! answer, leave, release), after checking that the platform could produce it. A step it
//! could not produce is recorded as a [`ScriptError`] and skipped.

use std::sync::Arc;

use crate::conversation::{ConvType, EndReason};
use crate::ids::{CallId, ConversationId, Hex32, QueueId, RecordFileId, phone_number};
use crate::sim::agents::{AgentIdx, AgentState};
use crate::sim::script::{PartyRef, ScriptAction, ScriptCapped, ScriptError, ScriptStep};
use crate::time::SimTime;
use crate::units::Span;

use super::Engine;
use super::action::{Action, GiveUpCause, Step};
use super::conv::{Conv, Draws, Party, Role, ScriptSlot, external_member};

impl Engine {
    pub(super) fn script_step(&mut self, s: usize, i: usize) {
        let Some(step) = self
            .plan
            .scripted
            .get(s)
            .and_then(|c| c.steps.get(i))
            .cloned()
        else {
            return;
        };
        if let Err(why) = self.apply_script(s, i, &step) {
            self.script_errors.push(ScriptError {
                conversation: s,
                step: i,
                message: format!("{}: {why}", step.action.name()),
            });
        }
    }

    /// A scripted conversation ended (released, or removed before it was created).
    pub(super) fn retire(&mut self, conv: &Conv) {
        if let Some(slot) = conv.script.and_then(|s| self.script_slots.get_mut(s)) {
            *slot = ScriptSlot::Over(self.now);
        }
    }

    fn offset(&self, at: SimTime) -> Span {
        at.since(self.plan.start)
    }

    fn apply_script(&mut self, s: usize, i: usize, step: &ScriptStep) -> Result<(), String> {
        use ScriptAction as A;
        let slot = self
            .script_slots
            .get(s)
            .copied()
            .unwrap_or(ScriptSlot::Pending);
        let key = match (slot, &step.action) {
            (ScriptSlot::Pending, A::Enqueue | A::Dial) => return self.script_begin(s, step),
            (ScriptSlot::Pending, _) => {
                return Err(
                    "the conversation has not started: its first step must be enqueue (queue) \
                     or dial (call_out, call_agent)"
                        .into(),
                );
            }
            (ScriptSlot::Over(at), _) => {
                return Err(format!(
                    "the conversation was already over at {}",
                    self.offset(at)
                ));
            }
            (ScriptSlot::Live(_), A::Enqueue | A::Dial) => {
                return Err("only the first step may be enqueue or dial".into());
            }
            (ScriptSlot::Live(key), _) => key,
        };
        let Some(conv) = self.convs.get(&key) else {
            return Err("the conversation is already over".into());
        };
        let kind = conv.kind;
        let created = conv.info.is_some();
        let waiting = conv.waiting_since.is_some();
        match &step.action {
            A::Enqueue | A::Dial => Ok(()),
            A::Select(name) => {
                if !waiting {
                    return Err(match kind {
                        ConvType::Queue => {
                            "the call is not waiting for an agent (one was already selected)"
                        }
                        ConvType::CallAgent => {
                            "the call is not waiting for an agent (the initiating agent must \
                             answer first, and only one agent is selected)"
                        }
                        ConvType::CallOut => {
                            "call_out has no ACD step: the callee is dialled when the agent answers"
                        }
                    }
                    .into());
                }
                let agent = self.take_agent(name)?;
                let party = self.offer_agent(key, agent, step.call_id);
                if kind == ConvType::Queue {
                    self.initiator_enters(key, s); // the customer enters the new conference
                    self.cap_duration(key);
                }
                if let Some(p) = party {
                    let dial = self.dial_delay(s, false);
                    self.ring_unless_scripted(key, s, i, p, &PartyRef::Agent(name.clone()), dial);
                }
                Ok(())
            }
            A::InviteAgent(name) => {
                if !created {
                    return Err(Self::not_created(kind));
                }
                let agent = self.take_agent(name)?;
                if let Some(p) = self.invite_agent_party(key, agent, step.call_id, None, 1) {
                    let dial = self.dial_delay(s, false);
                    self.ring_unless_scripted(key, s, i, p, &PartyRef::Agent(name.clone()), dial);
                }
                Ok(())
            }
            A::InviteOut(number) => {
                if !created {
                    return Err(Self::not_created(kind));
                }
                let call_id = step
                    .call_id
                    .unwrap_or_else(|| CallId(Hex32::random_in(&mut self.rng, self.plan.shard)));
                if let Some(conv) = self.convs.get_mut(&key) {
                    let member = external_member(call_id, number.clone());
                    conv.parties.push(Party::new(member, Role::External));
                    let p = conv.parties.len() - 1;
                    let dial = self.dial_delay(s, true);
                    self.ring_unless_scripted(
                        key,
                        s,
                        i,
                        p,
                        &PartyRef::Number(number.clone()),
                        dial,
                    );
                }
                Ok(())
            }
            A::Ring(who) => {
                let p = self.party(key, who)?;
                let party = &self.convs[&key].parties[p];
                if p == 0 {
                    return Err(match kind {
                        ConvType::Queue => "the customer's call is already connected".into(),
                        _ => format!(
                            "{who} placed the call; its own leg does not enter the conversation \
                             while ringing (use answer or no_answer)"
                        ),
                    });
                }
                if party.left {
                    return Err(format!("{who} has already left"));
                }
                if party.joined {
                    return Err(format!("{who} is already ringing or in the conversation"));
                }
                self.enter(key, p)
            }
            A::Answer(PartyRef::Customer) | A::NoAnswer(PartyRef::Customer) => Err(
                "the customer's call was answered by the IVR before it was queued (use hangup \
                 for the customer)"
                    .into(),
            ),
            A::Answer(who) => match self.unanswered(key, who)? {
                None => {
                    self.script_initiator_answer(key, i);
                    Ok(())
                }
                Some(p) => {
                    if !self.convs[&key].parties[p].joined {
                        self.enter(key, p)?; // rings and answers at once
                    }
                    self.answer(key, p);
                    Ok(())
                }
            },
            A::NoAnswer(who) => {
                match self.unanswered(key, who)? {
                    None => self.initiator_no_answer(key),
                    Some(p) => self.ring_timeout(key, p),
                }
                Ok(())
            }
            A::Hangup(who) | A::Leave(who) => {
                if matches!(step.action, A::Leave(_)) && !matches!(who, PartyRef::Agent(_)) {
                    return Err(format!(
                        "leave is an agent's exit from the conversation; use hangup for {who}"
                    ));
                }
                if kind == ConvType::Queue && *who == PartyRef::Customer && waiting {
                    self.give_up(key, GiveUpCause::Patience); // abandons while waiting
                    return Ok(());
                }
                let p = self.party(key, who)?;
                let party = &self.convs[&key].parties[p];
                if party.left {
                    return Err(format!("{who} has already left"));
                }
                if p == 0 && !party.answered {
                    return Err(format!(
                        "{who} has not answered its own call yet (use no_answer)"
                    ));
                }
                if !party.joined || !party.answered {
                    return Err(format!("{who} has not answered (use no_answer)"));
                }
                self.hangup(key, p);
                Ok(())
            }
            A::Timeout => {
                if !waiting {
                    return Err("the call is not waiting for an agent".into());
                }
                self.give_up(key, GiveUpCause::Timeout);
                Ok(())
            }
            A::Dismiss => {
                if !created {
                    return Err(Self::not_created(kind));
                }
                self.release(key, EndReason::Dismissed);
                Ok(())
            }
            A::MaxDuration => {
                if !created {
                    return Err(Self::not_created(kind));
                }
                self.release(key, EndReason::MaxDuration);
                Ok(())
            }
        }
    }

    /// The first step: the conversation exists in the engine from now on.
    fn script_begin(&mut self, s: usize, step: &ScriptStep) -> Result<(), String> {
        let Some(sc) = self.plan.scripted.get(s).cloned() else {
            return Err("no such conversation".into());
        };
        let kind = sc.kind;
        match (&step.action, kind) {
            (ScriptAction::Enqueue, ConvType::Queue) => {}
            (ScriptAction::Dial, ConvType::CallOut | ConvType::CallAgent) => {}
            (ScriptAction::Enqueue, _) => {
                return Err(format!(
                    "a {kind} conversation starts with dial, not enqueue"
                ));
            }
            _ => return Err("a queue conversation starts with enqueue, not dial".into()),
        }
        let initiator = match kind {
            ConvType::Queue => None,
            _ => {
                let name = sc.agent.clone().unwrap_or_else(|| Arc::from(""));
                Some(self.take_agent(&name)?)
            }
        };
        let (rng, shard) = (&mut self.rng, self.plan.shard);
        let id = sc
            .id
            .unwrap_or_else(|| ConversationId(Hex32::random_in(rng, shard)));
        let record_file = sc
            .record_file
            .unwrap_or_else(|| RecordFileId(Hex32::random_in(rng, shard)));
        let queue_id = match kind {
            ConvType::CallOut => None,
            _ => Some(
                sc.queue_id
                    .unwrap_or_else(|| QueueId(Hex32::random_in(rng, shard))),
            ),
        };
        let call_id = step
            .call_id
            .unwrap_or_else(|| CallId(Hex32::random_in(rng, shard)));
        let first = match initiator {
            Some(agent) => Party::new(self.pool.member(agent, call_id), Role::Agent(agent)),
            None => {
                let number = sc
                    .customer
                    .clone()
                    .unwrap_or_else(|| phone_number(&mut self.rng));
                Party::new(external_member(call_id, number), Role::Customer)
            }
        };
        let key = self.admit_conversation(Conv {
            parties: vec![first],
            waiting_since: (kind == ConvType::Queue).then_some(self.now),
            script: Some(s),
            end_reason: sc.end_reason.clone(),
            subaccount_id: sc.subaccount_id.clone(),
            ..Conv::new(
                kind,
                (id, queue_id, record_file),
                sc.user_data.clone(),
                self.now,
                Draws::scripted(),
            )
        });
        if let Some(slot) = self.script_slots.get_mut(s) {
            *slot = ScriptSlot::Live(key);
        }
        match initiator {
            // The application placed the agent's call: `idle → fetching`.
            Some(agent) => self.announce_state(agent, AgentState::Idle, Some(key)),
            // The IVR queued the customer's call: its task waits for a `select` step.
            None => self.open_task(key),
        }
        Ok(())
    }

    /// The initiating agent answers its own leg (step `i`): the conversation is created, the
    /// agent enters it, and (call_out) the callee is dialled.
    fn script_initiator_answer(&mut self, key: u64, i: usize) {
        let Some(conv) = self.convs.get_mut(&key) else {
            return;
        };
        conv.parties[0].answered = true;
        let (kind, s) = (conv.kind, conv.script);
        if let Role::Agent(a) = conv.parties[0].role {
            self.set_agent_state(a, AgentState::Talking, Some(key));
        }
        self.create(key);
        self.cap_duration(key);
        if kind == ConvType::CallOut {
            let sc = s.and_then(|s| self.plan.scripted.get(s));
            let (number, call_id) = (
                sc.and_then(|c| c.callee.clone()),
                sc.and_then(|c| c.callee_call_id),
            );
            let call_id =
                call_id.unwrap_or_else(|| CallId(Hex32::random_in(&mut self.rng, self.plan.shard)));
            let number = number.unwrap_or_else(|| phone_number(&mut self.rng));
            if let Some(conv) = self.convs.get_mut(&key) {
                conv.parties
                    .push(Party::new(external_member(call_id, number), Role::External));
                let p = conv.parties.len() - 1;
                if let Some(s) = s {
                    // Dialled once the agent is in: conference start, then the dial.
                    let dial = self.dial_delay(s, true) + self.conf_start_delay(s);
                    self.ring_unless_scripted(key, s, i, p, &PartyRef::Callee, dial);
                }
            }
        }
        match s {
            Some(s) => self.initiator_enters(key, s),
            None => self.join(key, 0),
        }
    }

    /// Whether scripted conversation `s` pins its times (`exact_times`).
    fn exact(&self, s: usize) -> bool {
        self.plan.scripted.get(s).is_none_or(|c| c.exact)
    }

    /// The conference-start delay of scripted conversation `s` (none when pinned).
    fn conf_start_delay(&mut self, s: usize) -> Span {
        if self.exact(s) {
            Span::ZERO
        } else {
            self.mech.conf_start.sample(&mut self.rng)
        }
    }

    /// The delay from offering a party the call to its phone ringing (none when pinned).
    fn dial_delay(&mut self, s: usize, external: bool) -> Span {
        if self.exact(s) {
            Span::ZERO
        } else if external {
            self.mech.callee_dial.sample(&mut self.rng)
        } else {
            self.mech.agent_dial.sample(&mut self.rng)
        }
    }

    /// The initiator of conversation `key` (scripted `s`) enters the conference it just
    /// created: now when pinned, after the platform's conference-start delay otherwise.
    fn initiator_enters(&mut self, key: u64, s: usize) {
        let delay = self.conf_start_delay(s);
        if delay == Span::ZERO {
            self.join(key, 0);
        } else {
            self.step_after(delay, key, Step::InitiatorEnter);
        }
    }

    /// Party `p` (`who`) was just offered conversation `key` by step `i` of script `s`. If the
    /// timeline's next step about it answers it or gives up on it without a `ring` of its
    /// own, its phone rings `dial` from now, as on the platform, or at that step if sooner
    /// (then it rings and answers at once). Pinned times leave the ring to the answer.
    fn ring_unless_scripted(
        &mut self,
        key: u64,
        s: usize,
        i: usize,
        p: usize,
        who: &PartyRef,
        dial: Span,
    ) {
        if self.exact(s) {
            return;
        }
        let Some(sc) = self.plan.scripted.get(s) else {
            return;
        };
        let next = sc.steps.iter().skip(i + 1).find(|st| match &st.action {
            ScriptAction::Ring(x)
            | ScriptAction::Answer(x)
            | ScriptAction::NoAnswer(x)
            | ScriptAction::Hangup(x)
            | ScriptAction::Leave(x) => x == who,
            _ => false,
        });
        let Some(next) = next else {
            return;
        };
        if matches!(
            next.action,
            ScriptAction::Answer(_) | ScriptAction::NoAnswer(_)
        ) {
            let at = (self.now + dial).min(next.at);
            self.at(
                at,
                Action::Step {
                    key,
                    step: Step::Ring(p),
                },
            );
        }
    }

    /// The cap is about to release conversation `key`: if a script drives it, nothing in
    /// the timeline ended it, and who is still in says what would have.
    pub(super) fn note_capped(&mut self, key: u64) {
        let Some(conv) = self.convs.get(&key) else {
            return;
        };
        let Some(s) = conv.script else {
            return;
        };
        let still_in = conv
            .parties
            .iter()
            .filter(|p| p.joined && !p.left)
            .map(|p| match p.role {
                Role::Customer => PartyRef::Customer,
                Role::Agent(a) => PartyRef::Agent(self.pool.get(a).name().clone()),
                Role::External if conv.kind == ConvType::CallOut => PartyRef::Callee,
                Role::External => PartyRef::Number(p.member.telnumber.clone()),
            })
            .collect();
        self.script_capped.push(ScriptCapped {
            conversation: s,
            still_in,
        });
    }

    /// The conference's `max_seconds`: released at creation + the maximum duration.
    fn cap_duration(&mut self, key: u64) {
        let step = Step::MaxDuration;
        self.after(self.mech.max_duration, Action::Step { key, step });
    }

    /// Party `p` enters the conference, unless it is full (`040502`).
    fn enter(&mut self, key: u64, p: usize) -> Result<(), String> {
        let max = self.mech.max_members;
        let members = self.convs[&key]
            .parties
            .iter()
            .filter(|x| x.joined && !x.left)
            .count();
        if members >= max {
            return Err(format!(
                "the conversation already has {members} members; the platform allows at most \
                 {max} (error 040502)"
            ));
        }
        // The initiator is always in first: a step sooner than its conference-start delay
        // brings it in now.
        let initiator = &self.convs[&key].parties[0];
        if p != 0 && !initiator.joined && !initiator.left {
            self.join(key, 0);
        }
        self.join(key, p);
        Ok(())
    }

    fn not_created(kind: ConvType) -> String {
        let when = match kind {
            ConvType::Queue => "when the ACD selects an agent",
            _ => "when the initiating agent answers",
        };
        format!("the conversation does not exist on the platform yet (it is created {when})")
    }

    /// The agent called `name`, taken from idle to `fetching`.
    fn take_agent(&mut self, name: &str) -> Result<AgentIdx, String> {
        let Some(agent) = self.pool.find(name) else {
            return Err(format!("agent {name:?} is not in the agent pool"));
        };
        if self.pool.select_named(agent, self.now) {
            return Ok(agent);
        }
        let state = match self.pool.get(agent).state {
            AgentState::Idle => "idle but reserved",
            AgentState::Fetching => "being called",
            AgentState::Talking => "talking",
            AgentState::Busy => "in after-call work",
            AgentState::Online | AgentState::Away => "not taking calls",
        };
        let mut whereabouts: Vec<String> = self
            .convs
            .values()
            .filter(|c| {
                c.parties
                    .iter()
                    .any(|p| p.role == Role::Agent(agent) && !p.left)
            })
            .map(|c| match c.script.and_then(|s| self.plan.scripted.get(s)) {
                Some(sc) => sc.label.to_string(),
                None => "a generated conversation".to_owned(),
            })
            .collect();
        whereabouts.sort();
        let place = match whereabouts.first() {
            Some(w) => format!(" in {w}"),
            None => String::new(),
        };
        Err(format!(
            "agent {name:?} is busy ({state}{place}) at {}; an agent is in at most one \
             conversation",
            self.offset(self.now)
        ))
    }

    /// The party a step names, which must have been offered the call and be neither
    /// answered nor gone; `None` for an initiating agent whose own leg is still ringing.
    fn unanswered(&self, key: u64, who: &PartyRef) -> Result<Option<usize>, String> {
        let p = self.party(key, who)?;
        let conv = &self.convs[&key];
        if p == 0 && conv.kind != ConvType::Queue && conv.info.is_none() {
            return Ok(None);
        }
        let party = &conv.parties[p];
        if party.left {
            return Err(format!("{who} has already left"));
        }
        if party.answered {
            return Err(format!("{who} already answered"));
        }
        Ok(Some(p))
    }

    /// The index of the party a step names.
    fn party(&self, key: u64, who: &PartyRef) -> Result<usize, String> {
        let conv = &self.convs[&key];
        let kind = conv.kind;
        let found = match who {
            PartyRef::Customer => {
                if kind != ConvType::Queue {
                    return Err(format!("a {kind} conversation has no customer"));
                }
                Some(0)
            }
            PartyRef::Callee => {
                if kind != ConvType::CallOut {
                    return Err(format!(
                        "a {kind} conversation has no callee (invited numbers are named by number)"
                    ));
                }
                let callee = conv.parties.iter().position(|p| p.role == Role::External);
                if callee.is_none() {
                    return Err("the callee is dialled only when the agent answers".into());
                }
                callee
            }
            PartyRef::Agent(name) => {
                let Some(agent) = self.pool.find(name) else {
                    return Err(format!("agent {name:?} is not in the agent pool"));
                };
                conv.parties
                    .iter()
                    .rposition(|p| p.role == Role::Agent(agent))
            }
            PartyRef::Number(n) => conv
                .parties
                .iter()
                .rposition(|p| p.role == Role::External && *p.member.telnumber == **n),
        };
        found.ok_or_else(|| format!("{who} was never offered this call"))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::conversation::{ConvType, Outcome};
    use crate::sim::script::{
        PartyRef, ScriptAction, ScriptError, ScriptStep, ScriptedConversation,
    };
    use crate::units::Span;

    use super::super::Engine;
    use super::super::testing::{behaviour, plan};

    /// A scripted `queue` conversation with these steps (seconds from the start).
    fn queue_script(steps: &[(u64, ScriptAction)]) -> ScriptedConversation {
        ScriptedConversation {
            condition_id: None,
            reserve_state: None,
            label: "conversations[0]".into(),
            kind: ConvType::Queue,
            id: None,
            queue_id: None,
            record_file: None,
            subaccount_id: None,
            user_data: None,
            customer: Some("13800000000".into()),
            agent: None,
            callee: None,
            callee_call_id: None,
            end_reason: None,
            steps: steps
                .iter()
                .map(|(s, action)| ScriptStep {
                    at: plan(0, behaviour()).start + Span::from_millis(s * 1000),
                    action: action.clone(),
                    call_id: None,
                })
                .collect(),
            exact: false,
        }
    }

    fn engine_for(script: ScriptedConversation) -> Engine {
        let mut plan = plan(2, behaviour());
        plan.scripted = vec![script];
        Engine::new(plan)
    }

    fn agent(name: &str) -> Arc<str> {
        Arc::from(name)
    }

    #[test]
    fn a_scripted_queue_call_follows_its_timeline_through_the_same_steps() {
        let mut e = engine_for(queue_script(&[
            (0, ScriptAction::Enqueue),
            (10, ScriptAction::Select(agent("agent-002"))),
            (
                15,
                ScriptAction::Answer(PartyRef::Agent(agent("agent-002"))),
            ),
            (75, ScriptAction::Hangup(PartyRef::Customer)),
        ]));
        // The platform's delays fill in what the timeline leaves unsaid: the customer
        // enters the conference 200 ms after it is created, the selected agent's phone
        // rings (it enters) 1 s after the selection (the test mechanics).
        assert_eq!(
            e.transcript(),
            [
                "10.000 #0 created",
                "10.200 #0 customer joins",
                "11.000 #0 agent-002 joins",
                "15.000 #0 begins (agent-002 answered)",
                "75.000 #0 customer leaves",
                "75.000 #0 released: customer_hangup",
            ]
        );
        assert!(e.script_errors().is_empty(), "{:?}", e.script_errors());
        assert_eq!(e.outcomes(ConvType::Queue), [(Outcome::Completed, 1)]);
    }

    #[test]
    fn pinned_times_put_every_join_at_its_steps_instant() {
        let mut script = queue_script(&[
            (0, ScriptAction::Enqueue),
            (10, ScriptAction::Select(agent("agent-002"))),
            (
                15,
                ScriptAction::Answer(PartyRef::Agent(agent("agent-002"))),
            ),
            (75, ScriptAction::Hangup(PartyRef::Customer)),
        ]);
        script.exact = true;
        assert_eq!(
            engine_for(script).transcript(),
            [
                "10.000 #0 created",
                "10.000 #0 customer joins",
                "15.000 #0 agent-002 joins",
                "15.000 #0 begins (agent-002 answered)",
                "75.000 #0 customer leaves",
                "75.000 #0 released: customer_hangup",
            ]
        );
    }

    #[test]
    fn an_answer_sooner_than_the_platforms_delays_still_comes_after_the_customer_enters() {
        let mut e = engine_for(queue_script(&[
            (0, ScriptAction::Enqueue),
            (10, ScriptAction::Select(agent("agent-001"))),
            (
                10,
                ScriptAction::Answer(PartyRef::Agent(agent("agent-001"))),
            ),
            (30, ScriptAction::Hangup(PartyRef::Customer)),
        ]));
        let lines = e.transcript();
        assert!(e.script_errors().is_empty(), "{:?}", e.script_errors());
        assert_eq!(
            lines[..4],
            [
                "10.000 #0 created",
                "10.000 #0 customer joins",
                "10.000 #0 agent-001 joins",
                "10.000 #0 begins (agent-001 answered)",
            ],
            "{lines:?}"
        );
        assert_eq!(lines.len(), 6, "no second join of the customer: {lines:?}");
    }

    #[test]
    fn a_step_the_platform_could_not_produce_is_reported_and_skipped() {
        let script = queue_script(&[
            (0, ScriptAction::Enqueue),
            (5, ScriptAction::Answer(PartyRef::Agent(agent("agent-001")))),
            (10, ScriptAction::Hangup(PartyRef::Customer)),
        ]);
        let want = [ScriptError {
            conversation: 0,
            step: 1,
            message: "answer: agent \"agent-001\" was never offered this call".into(),
        }];
        let mut plan = plan(2, behaviour());
        plan.scripted = vec![script];
        assert_eq!(Engine::check_scripts(&plan).errors, want);
        let mut e = Engine::new(plan);
        assert!(e.transcript().is_empty(), "abandoned before it was created");
        assert_eq!(e.script_errors(), want);
        assert_eq!(
            e.outcomes(ConvType::Queue),
            [(Outcome::AbandonedWaiting, 1)]
        );
    }

    #[test]
    fn a_scripted_invitation_is_a_queue_task_of_its_own_on_a_shadow_call_and_no_second_begin() {
        let mut script = queue_script(&[
            (0, ScriptAction::Enqueue),
            (10, ScriptAction::Select(agent("agent-001"))),
            (
                15,
                ScriptAction::Answer(PartyRef::Agent(agent("agent-001"))),
            ),
            (30, ScriptAction::InviteAgent(agent("agent-002"))),
            (
                35,
                ScriptAction::Answer(PartyRef::Agent(agent("agent-002"))),
            ),
            (60, ScriptAction::Leave(PartyRef::Agent(agent("agent-002")))),
            (75, ScriptAction::Hangup(PartyRef::Customer)),
        ]);
        script.condition_id = Some("40288aca587659820158765c305f0000".into());
        script.reserve_state = Some((
            crate::agent::AgentState::Busy,
            Some(Span::from_millis(20_000)),
        ));
        let mut e = engine_for(script);
        let lines = e.transcript_all();
        assert!(e.script_errors().is_empty(), "{:?}", e.script_errors());
        assert_eq!(
            lines
                .iter()
                .filter(|l| l.contains("queue ") || l.contains('→'))
                .map(String::as_str)
                .collect::<Vec<_>>(),
            [
                "10.000 #0 queue select ivr agent-001",
                "10.000 agent-001 idle→fetching",
                "15.000 agent-001 fetching→talking",
                "15.000 #0 queue success ivr agent-001",
                "30.000 #0 queue select invite_agent agent-002",
                "30.000 agent-002 idle→fetching",
                "35.000 agent-002 fetching→talking",
                "35.000 #0 queue success invite_agent agent-002",
                "60.000 agent-002 talking→busy",
                "75.000 agent-001 talking→busy",
                "80.000 agent-002 busy→idle",
                "95.000 agent-001 busy→idle",
            ]
        );
        assert_eq!(lines.iter().filter(|l| l.contains("begins")).count(), 1);
    }

    #[test]
    fn scripted_queue_tasks_carry_the_scripts_condition_and_invitations_a_shadow_origin() {
        use crate::occurrence::Occurrence;
        let mut script = queue_script(&[
            (0, ScriptAction::Enqueue),
            (10, ScriptAction::Select(agent("agent-001"))),
            (
                15,
                ScriptAction::Answer(PartyRef::Agent(agent("agent-001"))),
            ),
            (30, ScriptAction::InviteAgent(agent("agent-002"))),
            (
                35,
                ScriptAction::NoAnswer(PartyRef::Agent(agent("agent-002"))),
            ),
            (75, ScriptAction::Hangup(PartyRef::Customer)),
        ]);
        script.condition_id = Some("40288aca587659820158765c305f0000".into());
        let mut plan = plan(2, behaviour());
        plan.scripted = vec![script];
        plan.events = crate::families::EventFamilies::all();
        let mut e = Engine::new(plan);
        let mut tasks = Vec::new();
        let mut customer = None;
        while let Some(o) = e.next_occurrence() {
            match o {
                Occurrence::Queue(q) => tasks.push(q),
                Occurrence::Conversation(h) => {
                    if let crate::conversation::HappeningKind::Joined(m) = &h.kind
                        && m.agent_name.is_none()
                    {
                        customer = Some(m.call_id);
                    }
                }
                Occurrence::Agent(_) => {}
            }
        }
        let steps: Vec<String> = tasks
            .iter()
            .map(|q| format!("{:?} {:?}", q.kind, q.step))
            .collect();
        assert_eq!(
            steps,
            [
                "Ivr Select",
                "Ivr Success",
                "InviteAgent Select",
                "InviteAgent Fail(CallFail)"
            ]
        );
        assert_eq!(
            tasks[0].condition_id.as_deref(),
            Some("40288aca587659820158765c305f0000")
        );
        assert_eq!(Some(tasks[0].origin_call_id), customer);
        assert_eq!(tasks[2].condition_id, None);
        assert_ne!(Some(tasks[2].origin_call_id), customer, "a shadow call");
        assert_ne!(tasks[2].id, tasks[0].id);
        assert_eq!(tasks[2].id, tasks[3].id);
    }
}
