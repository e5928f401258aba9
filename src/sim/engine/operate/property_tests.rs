//! Random sequences of operations (placing calls, entering, leaving, inviting, dismissing,
//! rejecting, injecting calls, instructing phones, changing agents' states) interleaved with
//! the clock moving on never break the engine's invariants, and every refusal carries one of
//! the codes the platform gives for that operation.

use std::collections::HashMap;
use std::sync::Arc;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::occurrence::Occurrence;
use crate::operation::{
    self, CallRef, Code, Enqueue, InboundCall, Instruction, Mode, Operation, Route,
};
use crate::queue_task::QueueStep;
use crate::sim::agents::AgentState;
use crate::sim::dist::Dist;
use crate::units::Span;

use super::super::conv::Role;
use super::super::testing::{engine, p, secs};
use super::super::{Engine, Pull};

const AGENTS: usize = 4;

fn s(x: &str) -> Arc<str> {
    Arc::from(x)
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// What one queue task went through.
#[derive(Debug, Default)]
struct TaskLife {
    selected: u32,
    ended: u32,
}

struct Run {
    e: Engine,
    rng: ChaCha8Rng,
    tasks: HashMap<String, TaskLife>,
}

impl Run {
    fn agent(&mut self) -> Arc<str> {
        let n = self.rng.random_range(1..=AGENTS + 1);
        if n > AGENTS {
            s("nobody")
        } else {
            s(&format!("agent-{n:03}"))
        }
    }

    fn number(&mut self) -> Arc<str> {
        let suffix = self.rng.random_range(0..8u32);
        s(&format!("1380000000{suffix}"))
    }

    fn conversation(&mut self) -> Arc<str> {
        let mut ids: Vec<(u64, Arc<str>)> = self
            .e
            .convs
            .iter()
            .map(|(k, c)| (*k, s(c.id.as_str())))
            .collect();
        ids.sort();
        if ids.is_empty() || self.rng.random_bool(0.1) {
            return s("0123456789abcdef0123456789abcdef");
        }
        pick(&mut self.rng, &ids).1.clone()
    }

    fn enqueue(&mut self) -> Enqueue {
        let route = match self.rng.random_range(0..3) {
            0 => Route::Agent(self.agent()),
            1 => Route::Skill(s("sales")),
            _ => Route::Condition(s("40288aca587659820158765c305f0000")),
        };
        Enqueue {
            route,
            user_data: None,
            reserve_state: self.rng.random_bool(0.3).then(|| s("busy")),
            conversation_timeout: self.rng.random_bool(0.3).then_some(300),
            queue_timeout: self
                .rng
                .random_bool(0.7)
                .then(|| self.rng.random_range(0..60)),
            fetch_timeout: self.rng.random_bool(0.3).then_some(20),
            priority: None,
        }
    }

    fn call_ref(&mut self) -> CallRef {
        let mut calls: Vec<(u64, usize, Arc<str>)> = self
            .e
            .convs
            .iter()
            .flat_map(|(k, c)| {
                c.parties
                    .iter()
                    .enumerate()
                    .map(|(p, party)| (*k, p, s(party.member.call_id.as_str())))
            })
            .collect();
        calls.sort();
        match self.rng.random_range(0..4) {
            0 if !calls.is_empty() => CallRef::Id(pick(&mut self.rng, &calls).2.clone()),
            1 => CallRef::Agent(self.agent()),
            2 => CallRef::Number(self.number()),
            _ => CallRef::Id(s("ffffffffffffffffffffffffffffffff")),
        }
    }

    fn task_id(&mut self) -> Arc<str> {
        let mut ids: Vec<Arc<str>> = self
            .e
            .convs
            .values()
            .flat_map(|c| c.parties.iter().filter_map(|p| p.task.as_ref()))
            .map(|t| s(t.id.as_str()))
            .collect();
        ids.sort();
        if ids.is_empty() {
            return s("nope");
        }
        pick(&mut self.rng, &ids).clone()
    }

    /// A random operation, and the codes the platform may refuse it with.
    fn operation(&mut self) -> (Operation, Vec<Code>) {
        use Code as C;
        let agent_codes = vec![
            C::NoSuchAgent,
            C::AgentBusy,
            C::AgentExpired,
            C::BadParameter,
        ];
        let conv_codes = vec![C::NoSuchConversation, C::NotReady, C::ConversationFull];
        let mode = Mode(self.rng.random_range(1..=4));
        match self.rng.random_range(0..13) {
            0 | 1 => {
                let op = Operation::CallOut(operation::CallOut {
                    agent: self.agent(),
                    to: self.number(),
                    from: None,
                    max_dial_seconds: self.rng.random_bool(0.5).then_some(30),
                    max_answer_seconds: self.rng.random_range(10..600),
                    user_data: None,
                });
                (op, agent_codes)
            }
            2 => {
                let (agent, enqueue) = (self.agent(), self.enqueue());
                (Operation::CallAgent { agent, enqueue }, agent_codes)
            }
            3 => {
                let (agent, conversation) = (self.agent(), self.conversation());
                let op = Operation::Enter {
                    agent,
                    conversation,
                    mode,
                };
                (op, [agent_codes, conv_codes].concat())
            }
            4 => {
                let (agent, conversation) = (self.agent(), self.conversation());
                let op = Operation::Exit {
                    agent,
                    conversation,
                };
                (
                    op,
                    vec![
                        C::NoSuchAgent,
                        C::AgentExpired,
                        C::NoSuchConversation,
                        C::BadParameter,
                    ],
                )
            }
            5 => {
                let (agent, conversation) = (self.agent(), self.conversation());
                let op = Operation::Lsm {
                    agent,
                    conversation,
                    mode,
                };
                (
                    op,
                    vec![
                        C::NoSuchAgent,
                        C::AgentExpired,
                        C::NoSuchConversation,
                        C::BadParameter,
                    ],
                )
            }
            6 => {
                let (agent, queue_id) = (self.agent(), self.task_id());
                let op = Operation::Reject { agent, queue_id };
                (op, vec![C::NoSuchAgent, C::AgentExpired, C::BadParameter])
            }
            7 => {
                let conversation = self.conversation();
                (
                    Operation::Dismiss { conversation },
                    vec![C::NoSuchConversation, C::NotReady],
                )
            }
            8 => {
                let (conversation, enqueue) = (self.conversation(), self.enqueue());
                let op = Operation::InviteAgent {
                    conversation,
                    enqueue,
                    mode,
                };
                (op, [conv_codes, vec![C::BadParameter]].concat())
            }
            9 => {
                let op = Operation::InviteOut(operation::InviteOut {
                    conversation: self.conversation(),
                    to: self.number(),
                    from: None,
                    max_dial_seconds: self.rng.random_bool(0.5).then_some(20),
                    max_answer_seconds: 60,
                    mode,
                });
                (op, conv_codes)
            }
            10 => {
                let op = Operation::InjectCall(InboundCall {
                    from: Some(self.number()),
                    user_data: None,
                    condition: None,
                    queue_timeout: self.rng.random_bool(0.5).then(|| secs(40)),
                    patience: Some(secs(self.rng.random_range(1..120))),
                    talk: match self.rng.random_range(0..3) {
                        0 => None,
                        1 => Some(None),
                        _ => Some(Some(secs(self.rng.random_range(1..100)))),
                    },
                });
                (op, vec![C::NotReady])
            }
            11 => {
                let instruction = match self.rng.random_range(0..5) {
                    0 => Instruction::Answer,
                    1 => Instruction::Reject,
                    2 => Instruction::Hangup,
                    3 => Instruction::Hold,
                    _ => Instruction::Mode(mode),
                };
                let call = self.call_ref();
                (
                    Operation::Instruct { call, instruction },
                    vec![C::BadParameter],
                )
            }
            _ => {
                // Mostly idle (which runs the ACD); now and then a state that takes the
                // agent out of it, during after-call work too.
                let state = *pick(
                    &mut self.rng,
                    &["idle", "idle", "idle", "busy", "away/午餐"],
                );
                let op = Operation::SetState {
                    agent: self.agent(),
                    state: s(state),
                };
                (
                    op,
                    vec![
                        C::NoSuchAgent,
                        C::AgentBusy,
                        C::AgentExpired,
                        C::BadParameter,
                    ],
                )
            }
        }
    }

    /// Takes every occurrence due by now and checks each queue task's course.
    fn drain(&mut self) {
        loop {
            match self.e.pull_until(self.e.now(), 10_000) {
                Pull::Ready(o) => self.note(&o),
                Pull::Busy => {}
                Pull::Done | Pull::NotYet(_) => return,
            }
        }
    }

    fn note(&mut self, o: &Occurrence) {
        let Occurrence::Queue(q) = o else {
            return;
        };
        let life = self.tasks.entry(q.id.as_str().to_owned()).or_default();
        assert_eq!(life.ended, 0, "task {} after its end: {q:?}", q.id);
        match q.step {
            QueueStep::Select => life.selected += 1,
            QueueStep::Success | QueueStep::Fail(_) => life.ended += 1,
        }
        assert!(life.selected <= 1, "selected twice: {q:?}");
    }

    /// The engine's invariants, now.
    fn check(&self, context: &str) {
        let mut calls = [0usize; AGENTS];
        for conv in self.e.convs.values() {
            let members = conv.parties.iter().filter(|p| p.joined && !p.left).count();
            let most = self.e.mech.max_members;
            assert!(
                members <= most,
                "{context}: {members} members, at most {most}"
            );
            for party in conv.parties.iter().filter(|p| !p.left) {
                if let Role::Agent(a) = party.role {
                    calls[a] += 1;
                }
            }
        }
        for (a, n) in calls.iter().enumerate() {
            assert!(*n <= 1, "{context}: agent {a} is in {n} live conversations");
            let state = self.e.pool.get(a).state;
            if *n == 1 {
                assert!(
                    matches!(state, AgentState::Fetching | AgentState::Talking),
                    "{context}: agent {a} on a call is {state}"
                );
            } else {
                assert!(
                    matches!(
                        state,
                        AgentState::Idle | AgentState::Busy | AgentState::Away
                    ),
                    "{context}: agent {a} on no call is {state}"
                );
            }
        }
    }
}

#[test]
fn random_operation_sequences_keep_the_engines_invariants() {
    // Operations accepted, by kind, over every seed: each kind must be exercised.
    let mut accepted: HashMap<String, u32> = HashMap::new();
    let mut tasks = 0;
    for seed in 0..60u64 {
        let mut e = engine(AGENTS, |b, m| {
            // Half the runs with the platform's 8 members, half with 3 to fill up often.
            m.max_members = if seed % 2 == 0 { 8 } else { 3 };
            b.agent_answer = p(0.8);
            b.callee_answer = p(0.7);
            b.agent_ring = Dist::Uniform {
                min: secs(1),
                max: secs(20),
            };
            b.handle_time = Dist::Uniform {
                min: secs(5),
                max: secs(200),
            };
            b.wrap_up = Dist::Uniform {
                min: Span::ZERO,
                max: secs(10),
            };
            b.customer_hangup = p(0.5);
            b.queue_timeout = Some(secs(60));
        });
        e.plan.events = crate::families::EventFamilies::all();
        e.plan.max_live = 6;
        let mut run = Run {
            e,
            rng: ChaCha8Rng::seed_from_u64(seed),
            tasks: HashMap::new(),
        };
        let mut at = Span::ZERO;
        for step in 0..200 {
            at = at + Span::from_millis(run.rng.random_range(0..6_000));
            let when = run.e.plan.start + at;
            run.e.advance_to(when);
            run.drain();
            let (op, codes) = run.operation();
            let context = format!("seed {seed} step {step}: {op:?}");
            let kind = format!("{op:?}");
            let kind = kind.split(['(', ' ']).next().unwrap_or_default().to_owned();
            match run.e.operate(op) {
                Err(refusal) => assert!(codes.contains(&refusal.code), "{context}: {refusal}"),
                Ok(_) => *accepted.entry(kind).or_default() += 1,
            }
            run.drain();
            run.check(&context);
        }
        // Everything ends: every conversation within its maximum length.
        while let Some(o) = run.e.next_occurrence() {
            run.note(&o);
            run.check(&format!("seed {seed}, running out"));
        }
        assert_eq!(run.e.live(), 0, "seed {seed}");
        for (id, life) in &run.tasks {
            assert_eq!(life.ended, 1, "seed {seed}: task {id} {life:?}");
        }
        tasks += run.tasks.len();
    }
    for kind in [
        "CallOut",
        "CallAgent",
        "Enter",
        "Exit",
        "Lsm",
        "Reject",
        "Dismiss",
        "InviteAgent",
        "InviteOut",
        "InjectCall",
        "Instruct",
    ] {
        assert!(
            accepted.get(kind).is_some_and(|n| *n >= 5),
            "{kind}: {accepted:?}"
        );
    }
    assert!(tasks > 500, "{tasks} tasks");
}
