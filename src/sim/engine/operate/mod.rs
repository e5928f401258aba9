//! The operations of the platform API and of the test-control API, carried out by the
//! engine at its current instant (the caller first moves the clock there with
//! [`Engine::advance_to`]): each is checked against the engine's state and either
//! refused with the platform's code or accepted, its effects scheduled as actions that
//! play out through the same lifecycle steps as generated conversations.
//!
//! The parts, each an `impl Engine` block in its own file:
//! - `directory`: extensions and ACD conditions;
//! - `agents`: logging agents in and out, keepalives, states, skills and extensions, and
//!   what the API shows of them;
//! - `calls`: `call_out`, `call_agent`, `enter`, `exit`, listen/speak modes, `reject`,
//!   dismissing, `invite_agent`, `invite_out`, injected inbound calls and instructions to
//!   a call;
//! - `members`: `enter`, `exit`, `lsm`, `reject`, `invite_agent`, `invite_out` (called
//!   by `calls`' dispatch);
//! - `phones`: how every ringing phone behaves (magic numbers, the scenario's distributions)
//!   and the test-control API's instructions to a call.

use crate::operation::{Answer, Operation, Refusal};

use super::Engine;

mod agents;
mod calls;
#[cfg(test)]
mod calls_tests;
mod directory;
mod members;
mod phones;
#[cfg(test)]
mod property_tests;

impl Engine {
    /// Carries out `op` now.
    pub fn operate(&mut self, op: Operation) -> Result<Answer, Refusal> {
        use Operation as O;
        match op {
            O::CreateExtension(_)
            | O::DeleteExtension { .. }
            | O::GetExtension { .. }
            | O::ListExtensions(_)
            | O::CreateCondition(_)
            | O::UpdateCondition { .. }
            | O::DeleteCondition { .. }
            | O::GetCondition { .. }
            | O::ListConditions => self.directory_op(op),
            O::Login(_)
            | O::Logout { .. }
            | O::Keepalive { .. }
            | O::GetAgent { .. }
            | O::ListAgents(_)
            | O::SetExtension { .. }
            | O::SetState { .. }
            | O::SetSkills { .. }
            | O::AgentConversations { .. } => self.agent_op(op),
            O::CallOut(_)
            | O::CallAgent { .. }
            | O::Enter { .. }
            | O::Exit { .. }
            | O::Lsm { .. }
            | O::Reject { .. }
            | O::Dismiss { .. }
            | O::InviteAgent { .. }
            | O::InviteOut(_)
            | O::InjectCall(_)
            | O::Instruct { .. } => self.call_op(op),
        }
    }
}
