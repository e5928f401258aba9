//! What a timer does when it is due: the actions the event loop (`engine/mod.rs`) pops and
//! dispatches, and the lifecycle steps and give-up causes they carry. Scheduled by every part
//! of the engine (arrivals, the ACD, the lifecycle steps, scripts); a leaf that names no other
//! part of it.

use crate::conversation::ConvType;
use crate::sim::agents::AgentIdx;

/// What a timer does when it is due.
#[derive(Debug, Clone, Copy)]
pub(super) enum Action {
    /// A generated arrival of this type (schedules the next one).
    Arrive(ConvType),
    /// A waiting caller gives up or the queue times out.
    GiveUp { key: u64, cause: GiveUpCause },
    /// An agent's after-call work (or a script's reserve state) is over, if the agent is
    /// still in it: `changes` is its count of state changes when it began.
    AgentFree { agent: AgentIdx, changes: u64 },
    /// A step of one conversation's lifecycle.
    Step { key: u64, step: Step },
    /// Step `step` of scripted conversation `conv`.
    Script { conv: usize, step: usize },
}

/// Why a waiting caller stops waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum GiveUpCause {
    Patience,
    Timeout,
}

/// A step of one conversation's lifecycle; `n` is the index of a party in the conversation.
#[derive(Debug, Clone, Copy)]
pub(super) enum Step {
    /// The initiating agent answers its own leg: the conversation is created.
    InitiatorAnswer,
    /// The initiating agent never answers: no conversation.
    InitiatorNoAnswer,
    /// The conference started and the initiator entered it.
    InitiatorEnter,
    /// Party `n` starts ringing and enters the conference.
    Ring(usize),
    /// Party `n` answers.
    Answer(usize),
    /// Party `n` rang too long.
    RingTimeout(usize),
    /// Party `n` hangs up.
    Hangup(usize),
    /// The conference hit its maximum duration.
    MaxDuration,
    /// Agent `n`, dialled to enter a conversation (`enter`), answers and joins.
    EnterAnswer(usize),
    /// The queue task waiting for an agent to invite into the conversation timed out.
    TaskTimeout,
}
