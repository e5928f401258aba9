//! What the engine simulates: the agents, the generated workload (arrival rates per type)
//! and the behaviour of callers and agents, as validated values. Built by `plan` from flags
//! and scenario files; the engine never sees either.

use std::sync::Arc;

use crate::conversation::ConvType;
use crate::sim::dist::Dist;
use crate::sim::time::SimTime;
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
}

/// A generated workload: Poisson arrivals per type for a simulated duration.
#[derive(Debug, Clone)]
pub struct Workload {
    /// How long arrivals keep coming (simulated); live conversations then run to their end.
    pub duration: Span,
    /// Arrival rate per conversation type.
    pub rates: Vec<(ConvType, Rate)>,
    /// How callers, callees and agents behave.
    pub behaviour: Behaviour,
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
    pub wrap_up: Span,
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
            wrap_up: Span::ZERO,
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

/// The embedded default run: a small contact centre with all three conversation types and
/// failure paths (abandonment, queue timeouts, unanswered agents and callees), short enough
/// to finish in a few seconds of wall time at speed 60.
pub fn default_plan(seed: u64, start: SimTime) -> SimPlan {
    SimPlan {
        seed,
        start,
        agents: crate::sim::agents::AgentPool::default_names(4),
        subaccount_id: None,
        workload: Workload {
            duration: secs(8 * 60),
            rates: vec![
                (ConvType::Queue, rate_per_min(2.5)),
                (ConvType::CallOut, rate_per_min(0.6)),
                (ConvType::CallAgent, rate_per_min(0.4)),
            ],
            behaviour: Behaviour {
                handle_time: Dist::Lognormal {
                    median: secs(60),
                    p95: secs(240),
                },
                patience: Some(Dist::Exponential { mean: secs(90) }),
                queue_timeout: Some(secs(120)),
                agent_answer: prob(0.85),
                ..Behaviour::default()
            },
        },
    }
}

fn rate_per_min(n: f64) -> Rate {
    Rate::from_per_second(n / 60.0)
}
