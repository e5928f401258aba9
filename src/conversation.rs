//! The domain facts of a conversation (交谈) that the engine produces and everything
//! downstream consumes: the record store applies them, the event builder turns them into
//! webhooks according to the fidelity profile, the report counts them.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::ids::{CallId, ConversationId, ExtensionId, QueueId, RecordFileId};
use crate::time::SimTime;

/// How a conversation came about (the `type` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConvType {
    /// A customer call queued by the IVR and answered by an ACD-selected agent.
    Queue,
    /// An agent calling an external number.
    CallOut,
    /// An agent calling another agent selected by the ACD.
    CallAgent,
}

impl ConvType {
    /// Every type, in a fixed order.
    pub const ALL: [ConvType; 3] = [ConvType::Queue, ConvType::CallOut, ConvType::CallAgent];

    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            ConvType::Queue => "queue",
            ConvType::CallOut => "call_out",
            ConvType::CallAgent => "call_agent",
        }
    }

    /// Parses the wire value.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

impl fmt::Display for ConvType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a started conversation ended (`end_reason`, documented profile).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EndReason {
    /// The customer (or external callee) hung up.
    CustomerHangup,
    /// An agent hung up.
    AgentHangup,
    /// Dismissed through the API.
    Dismissed,
    /// The conference reached its maximum duration (6 h).
    MaxDuration,
    /// A platform error.
    Error,
    /// A scenario-defined reason.
    Custom(Arc<str>),
}

impl EndReason {
    /// The wire value.
    pub fn as_str(&self) -> &str {
        match self {
            EndReason::CustomerHangup => "customer_hangup",
            EndReason::AgentHangup => "agent_hangup",
            EndReason::Dismissed => "dismissed",
            EndReason::MaxDuration => "max_duration",
            EndReason::Error => "error",
            EndReason::Custom(s) => s,
        }
    }
}

/// How a conversation attempt finished, for the report. Every attempt gets exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Began and ended normally.
    Completed,
    /// Queue: the caller gave up while waiting for an agent (no begin, no end).
    AbandonedWaiting,
    /// Queue or call_agent: no agent was free before the queue timeout.
    QueueTimeout,
    /// The ACD-selected agent did not answer.
    AgentNoAnswer,
    /// call_out: the external callee did not answer.
    CalleeNoAnswer,
    /// Queue: the caller hung up while the selected agent's phone was ringing.
    AbandonedRinging,
    /// call_out / call_agent: the initiating agent did not answer its own leg.
    InitiatorNoAnswer,
    /// call_out / call_agent: no idle agent to place the call (the API would refuse it).
    NoIdleAgent,
    /// The conversation was dismissed (API) before it began.
    DismissedBeforeBegin,
    /// Turned away on arrival: the engine already held its limit of live conversations
    /// (`--max-live`), like a full ACD queue refusing a call (no events).
    Overflow,
    /// Still live when the run was cut short.
    Unfinished,
}

impl Outcome {
    /// Whether this outcome is a conversation that began (sent `begin`).
    pub fn began(self) -> bool {
        matches!(self, Outcome::Completed)
    }

    /// What happened, in words for the summary ("caller hung up while queued").
    pub fn phrase(self) -> &'static str {
        match self {
            Outcome::Completed => "talked and ended",
            Outcome::AbandonedWaiting => "caller hung up while queued",
            Outcome::QueueTimeout => "queue timed out",
            Outcome::AgentNoAnswer => "selected agent did not answer",
            Outcome::CalleeNoAnswer => "callee did not answer",
            Outcome::AbandonedRinging => "caller hung up while the agent's phone rang",
            Outcome::InitiatorNoAnswer => "calling agent did not pick up",
            Outcome::NoIdleAgent => "no idle agent to place it (refused)",
            Outcome::DismissedBeforeBegin => "dismissed before it began",
            Outcome::Unfinished => "still live when the run stopped",
            Outcome::Overflow => "turned away: --max-live conversations were live",
        }
    }
}

/// The static facts of one conversation, shared by all its happenings.
#[derive(Debug, Clone)]
pub struct ConvInfo {
    /// Engine-internal key, dense and unique within a run (used for per-conversation ordering).
    pub key: u64,
    /// The conversation id.
    pub id: ConversationId,
    /// How it came about.
    pub kind: ConvType,
    /// The sub-account it belongs to, if any.
    pub subaccount_id: Option<Arc<str>>,
    /// The queue task that produced it (queue) or selected agent B (call_agent).
    pub queue_id: Option<QueueId>,
    /// The ACD condition matched (queue only).
    pub condition_id: Option<Arc<str>>,
    /// The conversation's user data, if set.
    pub user_data: Option<Arc<str>>,
    /// The recording file, made from the moment the conversation begins.
    pub record_file: RecordFileId,
    /// The initiator's call: the customer's IVR call (queue) or agent A's call.
    pub initiator_call: CallId,
    /// When the conversation (conference) was created.
    pub created_at: SimTime,
}

/// A member (call) of a conversation, as the record lists it.
#[derive(Debug, Clone)]
pub struct MemberInfo {
    /// The member's call id.
    pub call_id: CallId,
    /// Agent name, for agents.
    pub agent_name: Option<Arc<str>>,
    /// Agent extension id, for agents.
    pub extension_id: Option<ExtensionId>,
    /// The call's number (customer or callee number; the extension's SIP user for agents).
    pub telnumber: Arc<str>,
    /// Listen/speak mode 1–4.
    pub mode: u8,
}

impl MemberInfo {
    /// Whether the member is an agent.
    pub fn is_agent(&self) -> bool {
        self.agent_name.is_some()
    }
}

/// Names one change of a conversation: its place in the conversation's order of
/// happenings. The event announcing the change carries it, so that the records can show
/// the change once the event is handed to the network (see `api::staging`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangeTicket {
    /// The conversation.
    pub conversation: ConversationId,
    /// The change's place among its conversation's happenings, from 0.
    pub index: u32,
}

/// One thing that happened to a conversation, at a simulated instant.
#[derive(Debug, Clone)]
pub struct Happening {
    /// When it happened.
    pub at: SimTime,
    /// The conversation.
    pub conv: Arc<ConvInfo>,
    /// What happened.
    pub kind: HappeningKind,
}

/// What happened.
#[derive(Debug, Clone)]
pub enum HappeningKind {
    /// The conversation (conference) was created; its record now exists, not yet begun.
    Created,
    /// A member entered the conference (invited parties enter while still ringing).
    Joined(MemberInfo),
    /// A member left while the conversation goes on (or just before it is released).
    Left {
        /// The member's call.
        call_id: CallId,
    },
    /// The first invited party answered: the conversation began.
    Started {
        /// The call whose answer started the conversation.
        answered_call: CallId,
    },
    /// The conference was released; every remaining member leaves with it.
    Released {
        /// Why it ended.
        reason: EndReason,
        /// When it began, if it did (`end` is sent only then).
        started_at: Option<SimTime>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversation_types_round_trip_through_their_wire_values() {
        for t in ConvType::ALL {
            assert_eq!(ConvType::parse(t.as_str()), Some(t));
        }
        assert_eq!(ConvType::parse("callout"), None);
    }

    #[test]
    fn end_reasons_use_the_documented_values() {
        let all = [
            EndReason::CustomerHangup,
            EndReason::AgentHangup,
            EndReason::Dismissed,
            EndReason::MaxDuration,
            EndReason::Error,
        ];
        let names: Vec<_> = all.iter().map(EndReason::as_str).collect();
        assert_eq!(
            names,
            [
                "customer_hangup",
                "agent_hangup",
                "dismissed",
                "max_duration",
                "error"
            ]
        );
        assert_eq!(
            EndReason::Custom("transferred".into()).as_str(),
            "transferred"
        );
    }
}
