//! The simulated phones: how every ringing phone behaves (an outside number by its magic
//! suffix, otherwise, like every agent's phone, by the scenario's distributions), ringing a
//! party by that behaviour through the lifecycle's steps, and the test-control API's
//! instructions to one live call (answer, reject, hang up, hold, change mode), which replace
//! the steps its behaviour had scheduled (`docs/control.md`, "Phones and magic numbers").

use rand::Rng;

use crate::operation::{Answer, CallRef, Code, Instruction, Refusal};
use crate::units::Span;

use super::super::Engine;
use super::super::action::{Action, GiveUpCause, Step};
use super::super::conv::{Callee, Party, Phone, Pickup, Role, Talk, external_member};

/// How long a magic number rings before it answers.
const MAGIC_RING: Span = Span::from_millis(2_000);
/// How long `…0002` talks before it hangs up.
const MAGIC_TALK: Span = Span::from_millis(10_000);

/// The behaviour an outside number's last four digits fix, if they are magic:
/// `0000` never answers, `0001` is busy, `0002` answers after 2 s and hangs up 10 s later,
/// `0003` answers after 2 s and never hangs up by itself, `0004` rings until told.
pub(in crate::sim::engine) fn magic(number: &str) -> Option<Phone> {
    let suffix = number
        .len()
        .checked_sub(4)
        .and_then(|at| number.get(at..))?;
    let (pickup, talk) = match suffix {
        "0000" => (Pickup::Never, Talk::Never),
        "0001" => (Pickup::Busy, Talk::Never),
        "0002" => (Pickup::After(MAGIC_RING), Talk::After(MAGIC_TALK)),
        "0003" => (Pickup::After(MAGIC_RING), Talk::Never),
        "0004" => (Pickup::Hold, Talk::Never),
        _ => return None,
    };
    Some(Phone { pickup, talk })
}

impl Engine {
    /// How the outside number `number` behaves on this call: by its magic suffix, or drawn
    /// from the scenario's callee distributions.
    pub(in crate::sim::engine) fn callee_phone(&mut self, number: &str) -> Phone {
        if let Some(phone) = magic(number) {
            return phone;
        }
        let (b, rng) = (&self.plan.workload.behaviour, &mut self.rng);
        let answers = rng.random_bool(b.callee_answer.get());
        let ring = b.callee_ring.sample(rng);
        Phone {
            pickup: if answers {
                Pickup::After(ring)
            } else {
                Pickup::Never
            },
            talk: Talk::Drawn,
        }
    }

    /// How an agent's phone behaves on this call, drawn from the scenario's distributions.
    pub(in crate::sim::engine) fn agent_phone(&mut self) -> Phone {
        let (b, rng) = (&self.plan.workload.behaviour, &mut self.rng);
        let answers = rng.random_bool(b.agent_answer.get());
        let ring = b.agent_ring.sample(rng);
        Phone {
            pickup: if answers {
                Pickup::After(ring)
            } else {
                Pickup::Never
            },
            talk: Talk::Drawn,
        }
    }

    /// How long after answering a party with `phone` hangs up by itself, if it is not the
    /// one whose answer begins the conversation.
    fn own_talk(&mut self, phone: Phone) -> Option<Span> {
        match phone.talk {
            Talk::Drawn => Some(
                self.plan
                    .workload
                    .behaviour
                    .handle_time
                    .sample(&mut self.rng),
            ),
            Talk::After(t) => Some(t),
            Talk::Never => None,
        }
    }

    /// A `call_out`'s agent is in (`conf_start` from now): its callee is dialled.
    pub(in crate::sim::engine) fn dial_callee(
        &mut self,
        key: u64,
        conf_start: Span,
        callee: Callee,
    ) {
        let dial = self.mech.callee_dial.sample(&mut self.rng);
        let call_id =
            crate::ids::CallId(crate::ids::Hex32::random_in(&mut self.rng, self.plan.shard));
        let Some(conv) = self.convs.get_mut(&key) else {
            return;
        };
        conv.parties.push(Party::new(
            external_member(call_id, callee.number),
            Role::External,
        ));
        let p = conv.parties.len() - 1;
        self.ring_invited(key, p, callee.phone, conf_start + dial, callee.max_ring);
    }

    /// Party `p`'s phone (an invited party: it enters the conference while ringing) starts
    /// ringing `ring_in` from now, then answers, fails or rings until `limit` by `phone`.
    pub(in crate::sim::engine) fn ring_invited(
        &mut self,
        key: u64,
        p: usize,
        phone: Phone,
        ring_in: Span,
        limit: Span,
    ) {
        let talk = self.own_talk(phone);
        let deadline = self.now + ring_in + limit;
        if let Some(party) = self.convs.get_mut(&key).and_then(|c| c.parties.get_mut(p)) {
            party.ring_deadline = Some(deadline);
            party.talk = talk;
        }
        match phone.pickup {
            Pickup::Busy => self.step_after(ring_in, key, Step::RingTimeout(p)),
            Pickup::After(ring) if ring < limit => {
                self.step_after(ring_in, key, Step::Ring(p));
                self.step_after(ring_in + ring, key, Step::Answer(p));
            }
            Pickup::After(_) | Pickup::Never | Pickup::Hold => {
                self.step_after(ring_in, key, Step::Ring(p));
                self.step_after(ring_in + limit, key, Step::RingTimeout(p));
            }
        }
    }

    /// The initiating agent's own phone (party 0, not in any conference while it rings)
    /// rings now: it answers (the conversation is created) or rings until `limit`.
    pub(in crate::sim::engine) fn ring_initiator(&mut self, key: u64, phone: Phone, limit: Span) {
        if let Some(party) = self.convs.get_mut(&key).and_then(|c| c.parties.get_mut(0)) {
            party.ring_deadline = Some(self.now + limit);
        }
        match phone.pickup {
            Pickup::Busy => self.step_after(Span::ZERO, key, Step::InitiatorNoAnswer),
            Pickup::After(ring) if ring < limit => {
                self.step_after(ring, key, Step::InitiatorAnswer);
            }
            Pickup::After(_) | Pickup::Never | Pickup::Hold => {
                self.step_after(limit, key, Step::InitiatorNoAnswer);
            }
        }
    }

    /// Agent `p`, dialled to enter conversation `key` (`enter`), rings now: it answers and
    /// joins, or rings until `limit` and is dropped.
    pub(in crate::sim::engine) fn ring_entering(
        &mut self,
        key: u64,
        p: usize,
        phone: Phone,
        limit: Span,
    ) {
        let talk = self.own_talk(phone);
        let deadline = self.now + limit;
        if let Some(party) = self.convs.get_mut(&key).and_then(|c| c.parties.get_mut(p)) {
            party.joins_on_answer = true;
            party.ring_deadline = Some(deadline);
            party.talk = talk;
        }
        match phone.pickup {
            Pickup::Busy => self.step_after(Span::ZERO, key, Step::RingTimeout(p)),
            Pickup::After(ring) if ring < limit => {
                self.step_after(ring, key, Step::EnterAnswer(p));
            }
            Pickup::After(_) | Pickup::Never | Pickup::Hold => {
                self.step_after(limit, key, Step::RingTimeout(p));
            }
        }
    }

    /// The live call `call` names: its conversation and party. Among several calls of one
    /// number, the oldest conversation's.
    fn find_call(&self, call: &CallRef) -> Option<(u64, usize)> {
        match call {
            CallRef::Id(id) => self.live_party(|p| p.member.call_id.as_str() == &**id),
            CallRef::Agent(name) => self.agent_call(self.pool.find(name)?),
            CallRef::Number(n) => {
                self.live_party(|p| !matches!(p.role, Role::Agent(_)) && *p.member.telnumber == **n)
            }
        }
    }

    /// Drops the steps party `p`'s phone behaviour had scheduled (its answer, its ring
    /// timeout, its hang-up): an instruction decides them now.
    pub(in crate::sim::engine) fn cancel_phone_steps(&mut self, key: u64, p: usize) {
        self.timers.retain(|action| match action {
            Action::Step { key: k, step } if *k == key => match step {
                Step::Answer(q) | Step::RingTimeout(q) | Step::Hangup(q) | Step::EnterAnswer(q) => {
                    *q != p
                }
                Step::InitiatorAnswer | Step::InitiatorNoAnswer => p != 0,
                _ => true,
            },
            _ => true,
        });
    }

    /// Carries out a suite's instruction to one live call.
    pub(in crate::sim::engine) fn instruct(
        &mut self,
        call: &CallRef,
        what: Instruction,
    ) -> Result<Answer, Refusal> {
        let Some((key, p)) = self.find_call(call) else {
            return Err(Refusal::new(
                Code::BadParameter,
                format!("call: no live call matches {call:?}"),
            ));
        };
        let conv = &self.convs[&key];
        let party = &conv.parties[p];
        let initiator_ringing =
            p == 0 && conv.info.is_none() && matches!(party.role, Role::Agent(_));
        let waiting = p == 0 && conv.waiting_since.is_some() && party.role == Role::Customer;
        let ringing = initiator_ringing || !party.answered;
        let not_ringing = || {
            Err(Refusal::new(
                Code::BadParameter,
                format!("do: {what:?} is for a ringing phone; call {call:?} is not ringing"),
            ))
        };
        match what {
            Instruction::Mode(m) => {
                if let Some(party) = self.convs.get_mut(&key).map(|c| &mut c.parties[p]) {
                    party.member.mode = m.0;
                }
            }
            Instruction::Answer => {
                if !ringing {
                    return not_ringing();
                }
                self.cancel_phone_steps(key, p);
                self.pick_up(key, p, initiator_ringing);
            }
            Instruction::Reject => {
                if !ringing {
                    return not_ringing();
                }
                self.cancel_phone_steps(key, p);
                self.ring_fails(key, p, initiator_ringing);
            }
            Instruction::Hangup => {
                if waiting {
                    self.give_up(key, GiveUpCause::Patience);
                } else if ringing {
                    self.cancel_phone_steps(key, p);
                    self.ring_fails(key, p, initiator_ringing);
                } else {
                    self.cancel_phone_steps(key, p);
                    self.hangup(key, p);
                }
            }
            Instruction::Hold => {
                if !ringing {
                    return not_ringing();
                }
                let deadline = party.ring_deadline;
                let limit = match party.role {
                    Role::External => self.plan.workload.behaviour.dial_timeout,
                    _ => self.fetch_timeout_of(key),
                };
                self.cancel_phone_steps(key, p);
                let at = deadline.unwrap_or(self.now + limit).max(self.now);
                let step = if initiator_ringing {
                    Step::InitiatorNoAnswer
                } else {
                    Step::RingTimeout(p)
                };
                self.at(at, Action::Step { key, step });
            }
        }
        Ok(Answer::True)
    }

    /// Ringing party `p` answers now.
    fn pick_up(&mut self, key: u64, p: usize, initiator: bool) {
        if initiator {
            self.initiator_answer(key);
            return;
        }
        let Some(conv) = self.convs.get(&key) else {
            return;
        };
        if conv.parties[p].joins_on_answer {
            self.enter_answer(key, p);
            return;
        }
        // The initiator is always in first; an invited phone not ringing yet starts now.
        let first = &conv.parties[0];
        if p != 0 && !first.joined && !first.left && conv.info.is_some() {
            self.join(key, 0);
        }
        self.join(key, p);
        self.answer(key, p);
    }

    /// Ringing party `p` never answers: it fails now as an unanswered ring does.
    fn ring_fails(&mut self, key: u64, p: usize, initiator: bool) {
        if initiator {
            self.initiator_no_answer(key);
        } else {
            self.ring_timeout(key, p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_suffixes_fix_the_behaviour_and_other_numbers_have_none() {
        let never = magic("13800000000").expect("magic");
        assert_eq!((never.pickup, never.talk), (Pickup::Never, Talk::Never));
        assert_eq!(magic("13800000001").map(|p| p.pickup), Some(Pickup::Busy));
        let brief = magic("0002").expect("magic");
        assert_eq!(
            (brief.pickup, brief.talk),
            (Pickup::After(MAGIC_RING), Talk::After(MAGIC_TALK))
        );
        assert_eq!(
            magic("13800000003").map(|p| (p.pickup, p.talk)),
            Some((Pickup::After(MAGIC_RING), Talk::Never))
        );
        assert_eq!(magic("13800000004").map(|p| p.pickup), Some(Pickup::Hold));
        assert_eq!(magic("13800000005"), None);
        assert_eq!(magic("000"), None);
        assert_eq!(magic("13800001000"), None);
    }
}
