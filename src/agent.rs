//! The domain facts of agents (坐席) that the engine produces and the event builder turns into
//! `callcenter.agent.*` webhooks: an agent's states, and its state changes and its entering
//! and leaving conversations.
//!
//! The platform names a state `<base>[/extension]` (`idle`, `busy/after-call`, `away/lunch`):
//! [`AgentState`] is the base, [`StateName`] the whole name.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::ids::{ConversationId, ExtensionId};
use crate::time::SimTime;

/// An agent's base state, as the platform's `state_changed` events name it (without an
/// extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentState {
    /// Free: the ACD may select it, the application may place its calls.
    Idle,
    /// Selected or dialled: its phone is ringing.
    Fetching,
    /// On a call.
    Talking,
    /// Not taking calls: after-call work (wrap-up), or whatever the application says.
    Busy,
    /// Logged in, no state set yet (the platform's default after a login).
    Online,
    /// Away from the phone.
    Away,
}

impl AgentState {
    /// Every state, in a fixed order.
    pub const ALL: [AgentState; 6] = [
        AgentState::Idle,
        AgentState::Fetching,
        AgentState::Talking,
        AgentState::Busy,
        AgentState::Online,
        AgentState::Away,
    ];

    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            AgentState::Idle => "idle",
            AgentState::Fetching => "fetching",
            AgentState::Talking => "talking",
            AgentState::Busy => "busy",
            AgentState::Online => "online",
            AgentState::Away => "away",
        }
    }

    /// Whether the platform lets this base state carry an extension (`busy/…`).
    pub fn extensible(self) -> bool {
        matches!(
            self,
            AgentState::Fetching | AgentState::Talking | AgentState::Busy | AgentState::Away
        )
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

/// An agent's state as the platform names it: a base state and, for the extensible ones, an
/// optional extension after a `/` (`busy/after-call`, `away/lunch`). A plain base state
/// equals its [`AgentState`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StateName {
    /// The base state.
    base: AgentState,
    /// The whole name, when it has an extension.
    full: Option<Arc<str>>,
}

impl StateName {
    /// Reads `<base>[/extension]`: a base state, and an extension only after one the
    /// platform lets carry it (`fetching`, `talking`, `busy`, `away`). `None` otherwise.
    pub fn parse(s: &str) -> Option<Self> {
        match s.split_once('/') {
            None => AgentState::parse(s).map(Self::from),
            Some((base, _)) => {
                let base = AgentState::parse(base).filter(|b| b.extensible())?;
                Some(Self {
                    base,
                    full: Some(s.into()),
                })
            }
        }
    }

    /// The base state.
    pub fn base(&self) -> AgentState {
        self.base
    }

    /// The extension, if any (`after-call` of `busy/after-call`; may be empty).
    pub fn extension(&self) -> Option<&str> {
        self.full
            .as_deref()
            .and_then(|f| f.split_once('/'))
            .map(|(_, ext)| ext)
    }

    /// The wire value: the whole name.
    pub fn as_str(&self) -> &str {
        self.full.as_deref().unwrap_or(self.base.as_str())
    }
}

impl From<AgentState> for StateName {
    fn from(base: AgentState) -> Self {
        Self { base, full: None }
    }
}

impl PartialEq<AgentState> for StateName {
    fn eq(&self, other: &AgentState) -> bool {
        self.full.is_none() && self.base == *other
    }
}

impl fmt::Display for StateName {
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
        previous: StateName,
        /// The state after.
        latest: StateName,
    },
    /// It entered or left a conversation (`callcenter.agent.conversation_changed`).
    ConversationChanged {
        /// Entered or left.
        presence: Presence,
        /// The conversation.
        conversation_id: ConversationId,
        /// The agent's state when the event was built.
        latest_state: StateName,
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
        assert_eq!(AgentState::parse("away/lunch"), None);
        assert_eq!(AgentState::parse("offline"), None);
    }

    #[test]
    fn state_names_are_a_base_and_an_extension_for_the_extensible_bases_only() {
        let after_call = StateName::parse("busy/after-call").expect("busy/after-call");
        assert_eq!(after_call.base(), AgentState::Busy);
        assert_eq!(after_call.extension(), Some("after-call"));
        assert_eq!(after_call.as_str(), "busy/after-call");
        assert_ne!(after_call, AgentState::Busy);
        assert_eq!(
            StateName::parse("away/打印/文件").map(|s| s.to_string()),
            Some("away/打印/文件".to_owned())
        );
        let idle = StateName::parse("idle").expect("idle");
        assert_eq!(idle, AgentState::Idle);
        assert_eq!(idle, StateName::from(AgentState::Idle));
        assert_eq!(idle.extension(), None);
        for bad in ["idle/x", "online/x", "offline", "", "/x", "Busy"] {
            assert_eq!(StateName::parse(bad), None, "{bad}");
        }
        for s in AgentState::ALL {
            assert_eq!(StateName::parse(s.as_str()), Some(StateName::from(s)));
        }
    }
}
