//! How callers, callees and agents behave: the distributions and probabilities the engine
//! draws each conversation's course from (talk time, patience, ring times, who answers, who
//! hangs up, after-call work). Part of the generated workload; read by the engine's arrivals,
//! ACD and lifecycle steps.

use crate::sim::dist::Dist;
use crate::units::{Probability, Span};

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

fn secs(s: u64) -> Span {
    Span::from_millis(s * 1000)
}

fn prob(p: f64) -> Probability {
    Probability::new(p).unwrap_or_default()
}
