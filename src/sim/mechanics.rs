//! The platform's own mechanics: fixed delays (conference start, dialling) and limits
//! (maximum duration, members per conversation) that do not depend on the people involved.
//! The plan carries them (`SimPlan::mechanics`): the platform's by default, or
//! [`Mechanics::instant`] (`ccsim load --mechanics instant`), whose zero delays make an
//! agent's busy time exactly its ring and talk time, as queueing theory assumes.

use crate::sim::dist::Dist;
use crate::units::Span;

/// The platform's own delays (conference start, dialling) and limits (duration, members).
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

impl Mechanics {
    /// The platform's limits with no delays: conferences start, and phones ring, the
    /// moment they are asked to.
    pub fn instant() -> Self {
        Self {
            conf_start: Dist::fixed(Span::ZERO),
            agent_dial: Dist::fixed(Span::ZERO),
            callee_dial: Dist::fixed(Span::ZERO),
            ..Self::default()
        }
    }
}

fn secs(s: u64) -> Span {
    Span::from_millis(s * 1000)
}
