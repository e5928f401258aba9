//! What the engine simulates: the agents, the generated workload (arrival rates per type)
//! and the behaviour of callers and agents, as validated values. Built by `plan` from flags
//! and scenario files; the engine never sees either.

use std::sync::Arc;

use crate::conversation::ConvType;
use crate::sim::dist::Dist;
use crate::sim::script::ScriptedConversation;
use crate::time::SimTime;
use crate::units::{Probability, Rate, Span};

/// Everything the engine needs for one run.
#[derive(Debug, Clone)]
pub struct SimPlan {
    /// Seed of the engine's RNG: same seed, same ids, payloads and order.
    pub seed: u64,
    /// Where the simulated clock starts.
    pub start: SimTime,
    /// Agent names; the pool starts all idle.
    pub agents: Vec<Arc<str>>,
    /// Sub-account of every conversation, if any.
    pub subaccount_id: Option<Arc<str>>,
    /// The generated workload.
    pub workload: Workload,
    /// Scripted conversations (their agents are reserved for them).
    pub scripted: Vec<ScriptedConversation>,
}

/// A generated workload: Poisson arrivals per type for a simulated duration.
#[derive(Debug, Clone)]
pub struct Workload {
    /// How long arrivals keep coming (simulated); live conversations then run to their end.
    pub duration: Span,
    /// Arrival rate per conversation type (after the ramp, if any).
    pub rates: Vec<(ConvType, Rate)>,
    /// Rate stages from the start: each holds its rates for its length; `rates` apply after
    /// the last stage.
    pub ramp: Vec<RateStage>,
    /// How callers, callees and agents behave.
    pub behaviour: Behaviour,
}

/// One stage of a ramp: constant arrival rates for a while.
#[derive(Debug, Clone)]
pub struct RateStage {
    /// How long the stage lasts.
    pub length: Span,
    /// Arrival rate per type during the stage (types not listed: none).
    pub rates: Vec<(ConvType, Rate)>,
}

impl Workload {
    /// No generated conversations at all.
    pub(crate) fn none() -> Self {
        Self {
            duration: Span::ZERO,
            rates: Vec::new(),
            ramp: Vec::new(),
            behaviour: Behaviour::default(),
        }
    }

    /// The types that arrive at some point.
    pub(crate) fn types(&self) -> Vec<ConvType> {
        ConvType::ALL
            .into_iter()
            .filter(|t| {
                self.rates
                    .iter()
                    .chain(self.ramp.iter().flat_map(|s| &s.rates))
                    .any(|(k, r)| k == t && r.per_second() > 0.0)
            })
            .collect()
    }

    /// The arrival rate of `kind` (per second) at `offset` from the start, and the offset
    /// where that rate ends (`None`: it holds to the end).
    pub(crate) fn rate_at(&self, kind: ConvType, offset: Span) -> (f64, Option<Span>) {
        let find = |rates: &[(ConvType, Rate)]| {
            rates
                .iter()
                .find(|(t, _)| *t == kind)
                .map_or(0.0, |(_, r)| r.per_second())
        };
        let mut end = Span::ZERO;
        for stage in &self.ramp {
            end = end + stage.length;
            if offset < end {
                return (find(&stage.rates), Some(end));
            }
        }
        (find(&self.rates), None)
    }
}

/// How callers, callees and agents behave: the distributions the engine draws from.
#[derive(Debug, Clone)]
pub struct Behaviour {
    /// Talk time from answer to hang-up.
    pub handle_time: Dist,
    /// How long a waiting caller stays before giving up (`None`: never abandons).
    pub patience: Option<Dist>,
    /// How long a call waits in the ACD before the queue times out (`None`: no timeout).
    pub queue_timeout: Option<Span>,
    /// How long an agent's phone rings before the agent answers.
    pub agent_ring: Dist,
    /// Probability that an agent answers a ringing call.
    pub agent_answer: Probability,
    /// How long an agent's phone rings before the platform gives up (`fetch_timeout`).
    pub fetch_timeout: Span,
    /// How long an external callee's phone rings before they answer.
    pub callee_ring: Dist,
    /// Probability that an external callee answers.
    pub callee_answer: Probability,
    /// How long an external call rings before the platform gives up.
    pub dial_timeout: Span,
    /// Share of talks ended by the customer (or callee) rather than the agent.
    pub customer_hangup: Probability,
    /// After-call work: how long an agent stays `busy` after a conversation.
    pub wrap_up: Dist,
    /// Share of conversations that carry `user_data`.
    pub user_data: Probability,
}

impl Default for Behaviour {
    fn default() -> Self {
        Self {
            handle_time: Dist::Lognormal {
                median: secs(90),
                p95: secs(420),
            },
            patience: Some(Dist::Exponential { mean: secs(120) }),
            queue_timeout: Some(secs(180)),
            agent_ring: Dist::Uniform {
                min: secs(2),
                max: secs(12),
            },
            agent_answer: prob(0.95),
            fetch_timeout: secs(50),
            callee_ring: Dist::Uniform {
                min: secs(3),
                max: secs(20),
            },
            callee_answer: prob(0.8),
            dial_timeout: secs(45),
            customer_hangup: prob(0.6),
            wrap_up: Dist::fixed(Span::ZERO),
            user_data: prob(0.5),
        }
    }
}

/// Fixed delays of the platform's own mechanics (conference start, dialling).
#[derive(Debug, Clone)]
pub struct Mechanics {
    /// From conference creation to the initiator entering it.
    pub conf_start: Dist,
    /// From the ACD selecting an agent to the agent's phone ringing.
    pub agent_dial: Dist,
    /// From dialling an external number to it ringing.
    pub callee_dial: Dist,
    /// The conference's maximum duration (`MAX_DURATION`, 6 h).
    pub max_duration: Span,
    /// At most this many members in a conversation (`MAX_PARTS`).
    pub max_members: usize,
}

impl Default for Mechanics {
    fn default() -> Self {
        Self {
            conf_start: Dist::Uniform {
                min: Span::from_millis(100),
                max: Span::from_millis(400),
            },
            agent_dial: Dist::Uniform {
                min: Span::from_millis(500),
                max: Span::from_millis(2_000),
            },
            callee_dial: Dist::Uniform {
                min: secs(2),
                max: secs(6),
            },
            max_duration: secs(6 * 3600),
            max_members: 8,
        }
    }
}

fn secs(s: u64) -> Span {
    Span::from_millis(s * 1000)
}

fn prob(p: f64) -> Probability {
    Probability::new(p).unwrap_or_default()
}
