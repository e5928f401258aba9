//! The domain facts of ACD queue tasks (排队任务) that the engine produces and the event
//! builder turns into `callcenter.queue.select`, `.success` and `.fail` webhooks: a task is
//! selected an agent, then succeeds or fails exactly once (or fails without a selection).

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::ids::{CallId, ConversationId, ExtensionId, QueueId};
use crate::time::SimTime;

/// What made the queue task (`type` of the queue events).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueType {
    /// The IVR's `<enqueue>`: a customer's call (`queue` conversations).
    Ivr,
    /// The agent `call_agent` API: agent A asks for agent B.
    CallAgent,
    /// The conversation `invite_agent` API.
    InviteAgent,
}

impl QueueType {
    /// Every type, in a fixed order.
    pub const ALL: [QueueType; 3] = [QueueType::Ivr, QueueType::CallAgent, QueueType::InviteAgent];

    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            QueueType::Ivr => "ivr",
            QueueType::CallAgent => "call_agent",
            QueueType::InviteAgent => "invite_agent",
        }
    }

    /// Parses the wire value.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// Why a queue task failed (`cause` of `callcenter.queue.fail`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailCause {
    /// No agent was selected before the queue timeout.
    Timeout,
    /// The queued call hung up while it waited or while the selected agent's phone rang.
    Hangup,
    /// The selected agent's phone was not answered, or the dial failed.
    CallFail,
    /// The platform failed to dequeue (the queued call already gone when an agent freed).
    Error,
}

impl FailCause {
    /// Every cause, in a fixed order.
    pub const ALL: [FailCause; 4] = [
        FailCause::Timeout,
        FailCause::Hangup,
        FailCause::CallFail,
        FailCause::Error,
    ];

    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            FailCause::Timeout => "timeout",
            FailCause::Hangup => "hangup",
            FailCause::CallFail => "call_fail",
            FailCause::Error => "error",
        }
    }

    /// Parses the wire value.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

impl fmt::Display for FailCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a queue task is: selected an agent, succeeded, or failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueStep {
    /// `callcenter.queue.select`: an agent was selected and is being dialled.
    Select,
    /// `callcenter.queue.success`: the selected agent answered.
    Success,
    /// `callcenter.queue.fail`.
    Fail(FailCause),
}

/// The agent a queue task selected, and the call dialling it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectedAgent {
    /// The agent's name.
    pub name: Arc<str>,
    /// The agent's extension id.
    pub extension_id: ExtensionId,
    /// The call to the agent's extension.
    pub call_id: CallId,
}

/// One step of one queue task, at a simulated instant.
#[derive(Debug, Clone)]
pub struct QueueHappening {
    /// When it happened.
    pub at: SimTime,
    /// The engine key of the conversation the task is for (its delivery lane).
    pub conv_key: u64,
    /// The conversation the task is for (it may never have been created).
    pub conversation_id: ConversationId,
    /// The task id.
    pub id: QueueId,
    /// What made the task.
    pub kind: QueueType,
    /// The step.
    pub step: QueueStep,
    /// The sub-account the event belongs to, if any.
    pub subaccount_id: Option<Arc<str>>,
    /// The ACD condition the task was queued on, if any.
    pub condition_id: Option<Arc<str>>,
    /// The agent selected, if any.
    pub agent: Option<SelectedAgent>,
    /// Whether the selected agent's phone was already ringing (its call had entered the
    /// conversation) when the task failed: the platform reports a caller's hang-up then as
    /// the agent's call failing.
    pub agent_ringing: bool,
    /// The call that queued: the customer's IVR call, agent A's call (`call_agent`) or a
    /// shadow call (`invite_agent`).
    pub origin_call_id: CallId,
    /// The queued call's user data.
    pub user_data: Option<Arc<str>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_types_and_causes_round_trip_through_their_wire_values() {
        for t in QueueType::ALL {
            assert_eq!(QueueType::parse(t.as_str()), Some(t));
        }
        for c in FailCause::ALL {
            assert_eq!(FailCause::parse(c.as_str()), Some(c));
            assert_eq!(
                serde_json::to_string(&c).expect("json"),
                format!("{:?}", c.as_str())
            );
        }
        assert_eq!(FailCause::parse("cancel"), None, "declared, never sent");
    }
}
