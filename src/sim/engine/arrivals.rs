//! Generated conversations: arrivals of each type as a Poisson process whose rate follows
//! the workload's ramp, the behaviour drawn once per conversation at arrival, and its ids.
//! A `queue` caller then goes to the ACD; a `call_out` or `call_agent` takes a random idle
//! agent to place the call, or fails at once when none is idle. The event loop calls
//! [`Engine::arrive`] (and schedules the next arrival) when an arrival is due.

use std::sync::Arc;

use rand::Rng;

use crate::conversation::{ConvType, Outcome};
use crate::ids::{CallId, ConversationId, Hex32, QueueId, RecordFileId, phone_number};
use crate::sim::agents::AgentState;
use crate::units::Span;

use super::Engine;
use super::action::{Action, Step};
use super::conv::{Conv, Draws, Party, Role, external_member};

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
    pub(super) fn draw(&mut self) -> Draws {
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
            endless: false,
        }
    }

    /// A generated conversation of type `kind` arrives now. The order of its draws (behaviour,
    /// ids, user data, then the customer's call, or the agent placing the call and its call)
    /// fixes every id and payload of a seeded run: `tests/it/golden.rs` fails if it changes.
    pub(super) fn arrive(&mut self, kind: ConvType) {
        self.stats.offered(kind);
        if self.convs.len() >= self.plan.max_live {
            // At capacity: turned away before any draw, so a run that never reaches its
            // bound draws exactly what it drew before the bound existed.
            self.stats.finished(kind, Outcome::Overflow);
            return;
        }
        let key = self.next_key;
        self.next_key += 1;
        let mut draws = self.draw();
        if kind == ConvType::CallOut {
            // The external callee answers (or not) with the callee distributions.
            let (b, rng) = (&self.plan.workload.behaviour, &mut self.rng);
            draws.callee_answers = rng.random_bool(b.callee_answer.get());
            draws.callee_ring = b.callee_ring.sample(rng);
        }
        let id = ConversationId(Hex32::random_in(&mut self.rng, self.plan.shard));
        let record_file = RecordFileId(Hex32::random_in(&mut self.rng, self.plan.shard));
        let queue_id = match kind {
            ConvType::Queue | ConvType::CallAgent => {
                Some(QueueId(Hex32::random_in(&mut self.rng, self.plan.shard)))
            }
            ConvType::CallOut => None,
        };
        let user_data = self
            .rng
            .random_bool(self.behaviour().user_data.get())
            .then(|| {
                let ticket = self.rng.random_range(100_000..1_000_000u32);
                Arc::from(format!("ticket={ticket}"))
            });
        let mut conv = Conv::new(
            kind,
            (id, queue_id, record_file),
            user_data,
            self.now,
            draws,
        );
        match kind {
            ConvType::Queue => {
                let call_id = CallId(Hex32::random_in(&mut self.rng, self.plan.shard));
                let telnumber = phone_number(&mut self.rng);
                conv.parties.push(Party::new(
                    external_member(call_id, telnumber),
                    Role::Customer,
                ));
                self.convs.insert(key, Box::new(conv));
                self.enqueue(key);
            }
            ConvType::CallOut | ConvType::CallAgent => {
                let Some(agent) = self.pool.select_any_idle(self.now, &mut self.rng) else {
                    self.stats.finished(kind, Outcome::NoIdleAgent);
                    return;
                };
                let call_id = CallId(Hex32::random_in(&mut self.rng, self.plan.shard));
                conv.parties.push(Party::new(
                    self.pool.member(agent, call_id),
                    Role::Agent(agent),
                ));
                let (answers, ring) = (conv.draws.initiator_answers, conv.draws.initiator_ring);
                self.convs.insert(key, Box::new(conv));
                // The application placed the agent's call: `idle → fetching`.
                self.announce_state(agent, AgentState::Idle, Some(key));
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

#[cfg(test)]
mod tests {
    use crate::conversation::{ConvType, HappeningKind, Outcome};
    use crate::sim::workload::RateStage;
    use crate::units::Rate;

    use super::super::action::Action;
    use super::super::testing::{engine, of, p, secs};

    #[test]
    fn arrivals_follow_the_ramp_and_stop_when_the_workload_ends() {
        // No queue calls for the first minute, then 2/s until 120 s.
        let mut e = engine(1, |_, _| {});
        let w = &mut e.plan.workload;
        w.duration = secs(120);
        w.ramp = vec![RateStage {
            length: secs(60),
            rates: vec![(ConvType::Queue, Rate::from_per_second(0.0))],
        }];
        w.rates = vec![(ConvType::Queue, Rate::from_per_second(2.0))];
        e.arrivals_end = e.plan.start + w.duration;
        e.schedule_next_arrival(ConvType::Queue);
        let mut offsets = Vec::new();
        while let Some((at, action)) = e.timers.pop() {
            let Action::Arrive(kind) = action else {
                panic!("only arrivals are scheduled: {action:?}")
            };
            assert_eq!(kind, ConvType::Queue);
            e.now = at;
            offsets.push(at.since(e.plan.start));
            e.schedule_next_arrival(kind);
        }
        assert!(offsets.is_sorted());
        assert!(
            offsets.iter().all(|o| (secs(60)..secs(120)).contains(o)),
            "{offsets:?}"
        );
        // A Poisson count of mean 120 (standard deviation about 11).
        assert!((80..160).contains(&offsets.len()), "{}", offsets.len());
    }

    #[test]
    fn a_call_placed_with_no_idle_agent_fails_at_once_without_happenings() {
        for kind in [ConvType::CallOut, ConvType::CallAgent] {
            let mut e = engine(1, |_, _| {});
            e.arrival(0, ConvType::Queue);
            e.arrival(10_000, kind);
            let lines = e.transcript();
            assert!(of(&lines, 1).is_empty(), "{kind}: {lines:?}");
            assert_eq!(e.outcomes(kind), [(Outcome::NoIdleAgent, 1)], "{kind}");
            assert_eq!(e.stats.by_type[&kind].offered, 1);
        }
        let mut e = engine(0, |_, _| {});
        e.arrival(0, ConvType::CallOut);
        assert!(e.transcript().is_empty());
        assert_eq!(e.outcomes(ConvType::CallOut), [(Outcome::NoIdleAgent, 1)]);
    }

    #[test]
    fn arrivals_beyond_the_live_limit_are_turned_away_as_overflow() {
        // One agent, at most three live conversations: one talking, two waiting.
        let mut e = engine(1, |_, _| {});
        e.plan.max_live = 3;
        for n in 0..10 {
            e.arrival(n * 100, ConvType::Queue);
        }
        let mut most = 0;
        while e.next_happening().is_some() {
            most = most.max(e.live());
        }
        assert!(most <= 3, "{most} live");
        assert_eq!(
            e.outcomes(ConvType::Queue),
            [(Outcome::Completed, 3), (Outcome::Overflow, 7)]
        );
        let stats = &e.stats.by_type[&ConvType::Queue];
        assert_eq!((stats.offered, stats.failed), (10, 7));
        // Once the queue has room again, callers are taken in again.
        e.arrival(1_000_000, ConvType::Queue);
        while e.next_happening().is_some() {}
        assert_eq!(e.outcomes(ConvType::Queue)[0], (Outcome::Completed, 4));
    }

    #[test]
    fn a_pull_with_a_budget_gives_up_before_finding_a_happening_and_resumes() {
        // The queue call takes the one agent, so the 50 calls placed next find none: 50
        // actions in a row that make no happening.
        let mut e = engine(1, |_, _| {});
        e.arrival(0, ConvType::Queue);
        for n in 1..=50 {
            e.arrival(n, ConvType::CallOut);
        }
        let mut busy = 0;
        let mut happenings = 0;
        loop {
            match e.pull(4) {
                super::super::Pull::Ready(_) => happenings += 1,
                super::super::Pull::Busy => busy += 1,
                super::super::Pull::Done | super::super::Pull::NotYet(_) => break,
            }
        }
        assert!(busy >= 10, "{busy} busy pulls");
        assert_eq!(happenings, 6, "the queue call's life");
        assert_eq!(e.outcomes(ConvType::CallOut), [(Outcome::NoIdleAgent, 50)]);
    }

    #[test]
    fn each_arrival_gets_its_own_ids_and_only_queued_types_a_queue_task() {
        let mut e = engine(3, |b, _| b.user_data = p(1.0));
        for (n, kind) in ConvType::ALL.into_iter().enumerate() {
            e.arrival(n as u64 * 1_000, kind);
        }
        let mut infos = Vec::new();
        while let Some(h) = e.next_happening() {
            if matches!(h.kind, HappeningKind::Created) {
                infos.push(h.conv);
            }
        }
        assert_eq!(infos.len(), 3);
        for (i, info) in infos.iter().enumerate() {
            let queued = info.kind != ConvType::CallOut;
            assert_eq!(info.queue_id.is_some(), queued, "{info:?}");
            let ticket = info.user_data.as_deref().expect("user data");
            assert!(
                ticket.starts_with("ticket=") && ticket.len() == 13,
                "{ticket}"
            );
            for other in &infos[i + 1..] {
                assert_ne!(info.id, other.id);
                assert_ne!(info.record_file, other.record_file);
                assert_ne!(info.initiator_call, other.initiator_call);
            }
        }
    }
}
