//! Extensions and ACD conditions: created, changed, deleted and listed through the API, and read by the ACD.

use crate::operation::{Answer, Code, Operation, Refusal};

use super::super::Engine;

impl Engine {
    /// Carries out one of this part's operations.
    pub(super) fn directory_op(&mut self, op: Operation) -> Result<Answer, Refusal> {
        Err(Refusal::new(
            Code::BadParameter,
            format!("not built yet at {:?}: {op:?}", self.now),
        ))
    }
}
