//! The domain facts of agents (坐席) that the engine produces and the event builder turns into
//! `callcenter.agent.*` webhooks: an agent's states, and its state changes and its entering
//! and leaving conversations.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::ids::{ConversationId, ExtensionId};
use crate::time::SimTime;

/// An agent's state, as the platform's `state_changed` events name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentState {
    /// Free: the ACD may select it, the application may place its calls.
    Idle,
    /// Selected or dialled: its phone is ringing.
    Fetching,
    /// On a call.
    Talking,
    /// Not taking calls: after-call work (wrap-up).
    Busy,
}

impl AgentState {
    /// Every state, in a fixed order.
    pub const ALL: [AgentState; 4] = [
        AgentState::Idle,
        AgentState::Fetching,
        AgentState::Talking,
        AgentState::Busy,
    ];

    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            AgentState::Idle => "idle",
            AgentState::Fetching => "fetching",
            AgentState::Talking => "talking",
            AgentState::Busy => "busy",
        }
    }

    /// Parses the wire value.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

impl fmt::Display for AgentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The static facts of one agent, shared by all its happenings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentInfo {
    /// The agent's number in the unsplit pool, from 0: its delivery lane is made from it.
    pub number: usize,
    /// The agent's name.
    pub name: Arc<str>,
    /// The agent's extension id.
    pub extension_id: ExtensionId,
}

/// Whether an agent entered or left a conversation (`conversation_changed.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// `enter`: the agent's call joined the conference (invited agents join while ringing).
    Enter,
    /// `exit`: the agent's call left it.
    Exit,
}

impl Presence {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Presence::Enter => "enter",
            Presence::Exit => "exit",
        }
    }
}

/// One thing that happened to an agent, at a simulated instant.
#[derive(Debug, Clone)]
pub struct AgentHappening {
    /// When it happened.
    pub at: SimTime,
    /// The agent.
    pub agent: Arc<AgentInfo>,
    /// The sub-account the event belongs to, if any.
    pub subaccount_id: Option<Arc<str>>,
    /// The user data of the agent's call (the queued call's, or the application's).
    pub user_data: Option<Arc<str>>,
    /// What happened.
    pub kind: AgentHappeningKind,
}

/// What happened to an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentHappeningKind {
    /// Its state changed (`callcenter.agent.state_changed`).
    StateChanged {
        /// The state before.
        previous: AgentState,
        /// The state after.
        latest: AgentState,
    },
    /// It entered or left a conversation (`callcenter.agent.conversation_changed`).
    ConversationChanged {
        /// Entered or left.
        presence: Presence,
        /// The conversation.
        conversation_id: ConversationId,
        /// The agent's state when the event was built.
        latest_state: AgentState,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_states_round_trip_through_their_wire_values() {
        for s in AgentState::ALL {
            assert_eq!(AgentState::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_string(&s).expect("json"),
                format!("{:?}", s.as_str())
            );
        }
        assert_eq!(AgentState::parse("away"), None);
    }
}
