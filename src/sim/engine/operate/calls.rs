//! Calls the application places and conversations it acts on: `call_out`, `call_agent`, `enter`, `exit`, listen/speak modes, `reject`, dismissing, `invite_agent`, `invite_out`; and the test-control API's injected inbound calls and instructions to a call.

use crate::operation::{Answer, Code, Operation, Refusal};

use super::super::Engine;

impl Engine {
    /// Carries out one of this part's operations.
    pub(super) fn call_op(&mut self, op: Operation) -> Result<Answer, Refusal> {
        Err(Refusal::new(
            Code::BadParameter,
            format!("not built yet at {:?}: {op:?}", self.now),
        ))
    }
}
