//! Fixtures for the engine's unit tests (compiled for tests only): an engine whose timings
//! are all fixed, arrivals injected at chosen instants, and happenings written as one
//! readable line each, so a test can assert a conversation's exact course.
//!
//! With [`behaviour`] and [`mechanics`], a `queue` call arriving at `t` with an idle agent is
//! created at `t`, the customer joins at `t+0.2`, the agent joins (ringing) at `t+1`, answers
//! at `t+6`, and the customer hangs up at `t+66`; a `call_out` or `call_agent` initiator
//! answers its own leg at `t+5`, so its conversation is created then and the initiator joins
//! at `t+5.2`.

use std::collections::HashMap;

use crate::conversation::{ConvType, HappeningKind, Outcome};
use crate::ids::CallId;
use crate::sim::agents::AgentPool;
use crate::sim::behaviour::Behaviour;
use crate::sim::dist::Dist;
use crate::sim::mechanics::Mechanics;
use crate::sim::workload::{DEFAULT_MAX_LIVE, SimPlan, Workload};
use crate::time::SimTime;
use crate::units::{Probability, Span};

use super::Engine;
use super::action::Action;
use super::conv::Conv;

/// Where the simulated clock starts.
const START_MS: i64 = 1_700_000_000_000;

pub(super) fn secs(s: u64) -> Span {
    Span::from_millis(s * 1000)
}

pub(super) fn p(x: f64) -> Probability {
    Probability::new(x).expect("a probability")
}

/// Everyone answers, nobody gives up: agents ring 5 s, callees 10 s, talks last 60 s and the
/// customer (or callee, or `call_agent` agent A) hangs up; no after-call work, no user data.
pub(super) fn behaviour() -> Behaviour {
    Behaviour {
        handle_time: Dist::fixed(secs(60)),
        patience: None,
        queue_timeout: None,
        agent_ring: Dist::fixed(secs(5)),
        agent_answer: p(1.0),
        fetch_timeout: secs(50),
        callee_ring: Dist::fixed(secs(10)),
        callee_answer: p(1.0),
        dial_timeout: secs(45),
        customer_hangup: p(1.0),
        wrap_up: Dist::fixed(Span::ZERO),
        user_data: p(0.0),
    }
}

/// The conference starts 0.2 s after creation, an agent's phone rings 1 s after selection,
/// an external number 3 s after dialling.
pub(super) fn mechanics() -> Mechanics {
    Mechanics {
        conf_start: Dist::fixed(Span::from_millis(200)),
        agent_dial: Dist::fixed(secs(1)),
        callee_dial: Dist::fixed(secs(3)),
        ..Mechanics::default()
    }
}

/// A plan of `agents` idle agents behaving as `behaviour`, with no generated workload of its
/// own (tests inject arrivals) and no scripted conversation.
pub(super) fn plan(agents: usize, behaviour: Behaviour) -> SimPlan {
    SimPlan {
        seed: 1,
        start: SimTime::from_millis(START_MS),
        agents: AgentPool::default_names(agents),
        agent_numbers: Vec::new(),
        shard: crate::shard::Shard::WHOLE,
        subaccount_id: None,
        workload: Workload {
            behaviour,
            ..Workload::none()
        },
        scripted: Vec::new(),
        mechanics: mechanics(),
        max_live: DEFAULT_MAX_LIVE,
        events: crate::families::EventFamilies::default(),
        abandoned_tasks: crate::sim::workload::AbandonedTasks::default(),
    }
}

/// An engine for [`plan`] with [`behaviour`] and [`mechanics`] as `tweak` leaves them.
pub(super) fn engine(agents: usize, tweak: impl FnOnce(&mut Behaviour, &mut Mechanics)) -> Engine {
    let (mut b, mut mech) = (behaviour(), mechanics());
    tweak(&mut b, &mut mech);
    Engine::with_mechanics(plan(agents, b), mech)
}

impl Engine {
    /// Schedules a generated arrival of `kind` at `at_ms` milliseconds after the start. The
    /// workload has no rates, so it schedules no further arrival.
    pub(super) fn arrival(&mut self, at_ms: u64, kind: ConvType) -> &mut Self {
        let at = self.plan.start + Span::from_millis(at_ms);
        self.at(at, Action::Arrive(kind));
        self
    }

    /// The live conversation `key` (to change what was drawn for it).
    pub(super) fn conv_mut(&mut self, key: u64) -> &mut Conv {
        self.convs.get_mut(&key).expect("a live conversation")
    }

    /// Runs to the end and writes each happening as `seconds #key what`, seconds from the
    /// start with three decimals. Members are named by agent name, or `customer` (`queue`)
    /// and `callee` (`call_out`).
    pub(super) fn transcript(&mut self) -> Vec<String> {
        let mut names: HashMap<CallId, String> = HashMap::new();
        let mut lines = Vec::new();
        while let Some(h) = self.next_happening() {
            lines.push(self.conversation_line(&h, &mut names));
        }
        lines
    }

    /// One conversation happening as `seconds #key what`, naming members as they join.
    fn conversation_line(
        &self,
        h: &crate::conversation::Happening,
        names: &mut HashMap<CallId, String>,
    ) -> String {
        let name = |names: &HashMap<CallId, String>, call: &CallId| {
            names.get(call).cloned().unwrap_or_else(|| "?".into())
        };
        let what = match &h.kind {
            HappeningKind::Created => "created".to_owned(),
            HappeningKind::Joined(m) => {
                let who = match (&m.agent_name, h.conv.kind) {
                    (Some(agent), _) => agent.to_string(),
                    (None, ConvType::Queue) => "customer".into(),
                    (None, _) => "callee".into(),
                };
                names.insert(m.call_id, who.clone());
                format!("{who} joins")
            }
            HappeningKind::Left { call_id } => format!("{} leaves", name(names, call_id)),
            HappeningKind::Started { answered_call } => {
                format!("begins ({} answered)", name(names, answered_call))
            }
            HappeningKind::Released { reason, started_at } => match started_at {
                Some(_) => format!("released: {}", reason.as_str()),
                None => format!("released before begin: {}", reason.as_str()),
            },
        };
        let at = h.at.since(self.plan.start).as_secs_f64();
        format!("{at:.3} #{} {what}", h.conv.key)
    }

    /// Runs to the end with every event family and writes each occurrence on one line:
    /// conversation happenings as [`Engine::transcript`] does, agent ones as `seconds
    /// agent-001 idle→fetching` or `seconds agent-001 enters #key (fetching)`, queue ones as
    /// `seconds #key queue select ivr agent-001` or `… queue fail call_fail agent-001`.
    pub(super) fn transcript_all(&mut self) -> Vec<String> {
        use crate::agent::{AgentHappeningKind, Presence};
        use crate::occurrence::Occurrence;
        use crate::queue_task::QueueStep;
        self.plan.events = crate::families::EventFamilies::all();
        let mut keys: HashMap<crate::ids::ConversationId, u64> = HashMap::new();
        let mut names: HashMap<CallId, String> = HashMap::new();
        let mut lines = Vec::new();
        while let Some(o) = self.next_occurrence() {
            let at = o.at().since(self.plan.start).as_secs_f64();
            let line = match o {
                Occurrence::Conversation(h) => {
                    keys.insert(h.conv.id, h.conv.key);
                    self.conversation_line(&h, &mut names)
                }
                Occurrence::Agent(h) => match h.kind {
                    AgentHappeningKind::StateChanged { previous, latest } => {
                        format!("{at:.3} {} {previous}→{latest}", h.agent.name)
                    }
                    AgentHappeningKind::ConversationChanged {
                        presence,
                        conversation_id,
                        latest_state,
                    } => {
                        let verb = match presence {
                            Presence::Enter => "enters",
                            Presence::Exit => "exits",
                        };
                        let key = keys.get(&conversation_id).copied().unwrap_or(u64::MAX);
                        format!("{at:.3} {} {verb} #{key} ({latest_state})", h.agent.name)
                    }
                },
                Occurrence::Queue(h) => {
                    let step = match h.step {
                        QueueStep::Select => "select".to_owned(),
                        QueueStep::Success => "success".to_owned(),
                        QueueStep::Fail(cause) => format!("fail {cause}"),
                    };
                    let agent = h
                        .agent
                        .as_ref()
                        .map_or(String::new(), |a| format!(" {}", a.name));
                    let ringing = if h.agent_ringing { " (ringing)" } else { "" };
                    format!(
                        "{at:.3} #{} queue {step} {}{agent}{ringing}",
                        h.conv_key,
                        h.kind.as_str()
                    )
                }
            };
            lines.push(line);
        }
        lines
    }

    /// How the attempts of `kind` finished so far, with their counts.
    pub(super) fn outcomes(&self, kind: ConvType) -> Vec<(Outcome, u64)> {
        self.stats
            .by_type
            .get(&kind)
            .map(|s| s.by_outcome.iter().map(|(o, n)| (*o, *n)).collect())
            .unwrap_or_default()
    }
}

/// The lines of conversation `key`.
pub(super) fn of(lines: &[String], key: u64) -> Vec<&str> {
    let tag = format!(" #{key} ");
    lines
        .iter()
        .filter(|l| l.contains(&tag))
        .map(String::as_str)
        .collect()
}
