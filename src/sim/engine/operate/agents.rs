//! Agents as the platform API manages them: login, logout, keepalive (a registration lapses after 24 h of simulated time), state, skills and extension, and what the API shows of them.

use crate::operation::{Answer, Code, Operation, Refusal};

use super::super::Engine;

impl Engine {
    /// Carries out one of this part's operations.
    pub(super) fn agent_op(&mut self, op: Operation) -> Result<Answer, Refusal> {
        Err(Refusal::new(
            Code::BadParameter,
            format!("not built yet at {:?}: {op:?}", self.now),
        ))
    }
}
