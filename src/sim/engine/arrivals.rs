//! Generated conversations: arrivals of each type as a Poisson process whose rate follows
//! the workload's ramp, the behaviour drawn once per conversation at arrival, and its ids.
//! A `queue` caller then goes to the ACD; a `call_out` or `call_agent` takes a random idle
//! agent to place the call, or fails at once when none is idle. The event loop calls
//! [`Engine::arrive`] (and schedules the next arrival) when an arrival is due.

use std::sync::Arc;

use rand::Rng;

use crate::conversation::{ConvType, Outcome};
use crate::ids::{CallId, ConversationId, Hex32, QueueId, RecordFileId, phone_number};
use crate::units::Span;

use super::Engine;
use super::action::{Action, Step};
use super::conv::{Conv, Draws, Party, Role, external};

impl Engine {
    /// Schedules the next arrival of `kind` after now, if one falls before arrivals end.
    pub(super) fn schedule_next_arrival(&mut self, kind: ConvType) {
        // A Poisson process whose rate is constant within each ramp stage: exponential
        // gaps, redrawn from a stage's end when a gap crosses it (memorylessness makes this
        // exact).
        let mut from = self.now;
        while from < self.arrivals_end {
            let offset = from.since(self.plan.start);
            let (per_s, stage_end) = self.plan.workload.rate_at(kind, offset);
            let stage_end = stage_end.map_or(self.arrivals_end, |e| self.plan.start + e);
            let stage_end = stage_end.min(self.arrivals_end);
            if per_s > 0.0 {
                let u: f64 = self.rng.random::<f64>();
                let gap = Span::from_secs_f64(-(1.0 - u).ln() / per_s);
                let at = from + gap;
                if at < stage_end {
                    self.at(at, Action::Arrive(kind));
                    return;
                }
            }
            if stage_end <= from {
                return;
            }
            from = stage_end;
        }
    }

    /// The behaviour of one generated conversation, drawn at its arrival.
    fn draw(&mut self) -> Draws {
        // Disjoint borrows of two fields: no copy of the behaviour per arrival.
        let (b, rng) = (&self.plan.workload.behaviour, &mut self.rng);
        Draws {
            patience: b.patience.as_ref().map(|d| d.sample(rng)),
            initiator_answers: rng.random_bool(b.agent_answer.get()),
            initiator_ring: b.agent_ring.sample(rng),
            callee_answers: rng.random_bool(b.agent_answer.get()),
            callee_ring: b.agent_ring.sample(rng),
            talk: b.handle_time.sample(rng),
            customer_hangs_up: rng.random_bool(b.customer_hangup.get()),
        }
    }

    /// A generated conversation of type `kind` arrives now.
    pub(super) fn arrive(&mut self, kind: ConvType) {
        self.stats.offered(kind);
        let key = self.next_key;
        self.next_key += 1;
        let mut draws = self.draw();
        if kind == ConvType::CallOut {
            // The external callee answers (or not) with the callee distributions.
            let (b, rng) = (&self.plan.workload.behaviour, &mut self.rng);
            draws.callee_answers = rng.random_bool(b.callee_answer.get());
            draws.callee_ring = b.callee_ring.sample(rng);
        }
        let id = ConversationId(Hex32::random(&mut self.rng));
        let record_file = RecordFileId(Hex32::random(&mut self.rng));
        let queue_id = match kind {
            ConvType::Queue | ConvType::CallAgent => Some(QueueId(Hex32::random(&mut self.rng))),
            ConvType::CallOut => None,
        };
        let user_data = self
            .rng
            .random_bool(self.behaviour().user_data.get())
            .then(|| {
                let ticket = self.rng.random_range(100_000..1_000_000u32);
                Arc::from(format!("ticket={ticket}"))
            });
        let mut conv = Conv {
            kind,
            id,
            queue_id,
            record_file,
            user_data,
            arrived_at: self.now,
            info: None,
            parties: Vec::with_capacity(2),
            waiting_since: None,
            started_at: None,
            failure: None,
            draws,
            script: None,
            end_reason: None,
            subaccount_id: None,
        };
        match kind {
            ConvType::Queue => {
                let call_id = CallId(Hex32::random(&mut self.rng));
                let telnumber = phone_number(&mut self.rng);
                conv.parties
                    .push(Party::new(external(call_id, telnumber), Role::Customer));
                self.convs.insert(key, Box::new(conv));
                self.enqueue(key);
            }
            ConvType::CallOut | ConvType::CallAgent => {
                let Some(agent) = self.pool.select_any_idle(self.now, &mut self.rng) else {
                    self.stats.finished(kind, Outcome::NoIdleAgent);
                    return;
                };
                let call_id = CallId(Hex32::random(&mut self.rng));
                conv.parties.push(Party::new(
                    self.pool.member(agent, call_id),
                    Role::Agent(agent),
                ));
                let (answers, ring) = (conv.draws.initiator_answers, conv.draws.initiator_ring);
                self.convs.insert(key, Box::new(conv));
                let fetch_timeout = self.behaviour().fetch_timeout;
                if answers && ring < fetch_timeout {
                    self.step_after(ring, key, Step::InitiatorAnswer);
                } else {
                    self.step_after(fetch_timeout, key, Step::InitiatorNoAnswer);
                }
            }
        }
    }
}
