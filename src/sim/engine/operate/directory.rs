//! Extensions and ACD conditions: created, changed, deleted and listed through the API, and read by the ACD.

use crate::operation::{Answer, Code, Operation, Refusal};
use crate::sim::agents::directory::no_such_condition;

use super::super::Engine;

/// The refusal for an extension id the directory does not hold.
pub(super) fn no_such_extension(id: &str) -> Refusal {
    Refusal::new(
        Code::NoSuchExtension,
        format!("extension {id:?} does not exist"),
    )
}

impl Engine {
    /// Carries out one of this part's operations.
    pub(super) fn directory_op(&mut self, op: Operation) -> Result<Answer, Refusal> {
        let now = self.now;
        match op {
            Operation::CreateExtension(new) => {
                Ok(Answer::Extension(self.directory.create_extension(new, now)))
            }
            Operation::DeleteExtension { id } => {
                let (ext, _) = self
                    .directory
                    .extension(&id)
                    .ok_or_else(|| no_such_extension(&id))?;
                if let Some(agent) = self.pool.bound_to(ext) {
                    return Err(Refusal::new(
                        Code::ExtensionUnavailable,
                        format!(
                            "extension {id:?} is bound to agent {:?}, who is logged in",
                            self.pool.get(agent).name()
                        ),
                    ));
                }
                self.directory.delete_extension(ext);
                Ok(Answer::Null)
            }
            Operation::GetExtension { id } => self
                .directory
                .extension(&id)
                .map(|(_, view)| Answer::Extension(view.clone()))
                .ok_or_else(|| no_such_extension(&id)),
            Operation::ListExtensions(page) => {
                Ok(Answer::Extensions(self.directory.extensions(page)))
            }
            Operation::CreateCondition(spec) => self
                .directory
                .create_condition(spec, now)
                .map(|id| Answer::Created { id }),
            Operation::UpdateCondition { id, spec } => self
                .directory
                .update_condition(&id, spec)
                .map(|()| Answer::Null),
            Operation::DeleteCondition { id } => {
                self.directory.delete_condition(&id).map(|()| Answer::Null)
            }
            Operation::GetCondition { id } => self
                .directory
                .condition(&id)
                .map(|c| Answer::Condition(c.view.clone()))
                .ok_or_else(|| no_such_condition(&id)),
            Operation::ListConditions => Ok(Answer::Conditions(self.directory.conditions())),
            other => Err(Refusal::new(
                Code::BadParameter,
                format!("not a directory operation: {other:?}"),
            )),
        }
    }
}
