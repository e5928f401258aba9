//! What the engine reports, one [`Occurrence`] at a time in time order: something that
//! happened to a conversation, to an agent, or to a queue task. The event builder turns each
//! into its webhooks (if its family is asked for); the record store applies the conversation
//! ones.

use crate::agent::AgentHappening;
use crate::conversation::Happening;
use crate::queue_task::QueueHappening;
use crate::time::SimTime;

/// One thing that happened, of any family.
#[derive(Debug, Clone)]
pub enum Occurrence {
    /// To a conversation (`callcenter.conversation.*`).
    Conversation(Happening),
    /// To an agent (`callcenter.agent.*`).
    Agent(AgentHappening),
    /// To a queue task (`callcenter.queue.*`); boxed, as the largest and rarest.
    Queue(Box<QueueHappening>),
}

impl Occurrence {
    /// When it happened.
    pub fn at(&self) -> SimTime {
        match self {
            Occurrence::Conversation(h) => h.at,
            Occurrence::Agent(h) => h.at,
            Occurrence::Queue(h) => h.at,
        }
    }

    /// The conversation happening, if it is one.
    pub fn conversation(&self) -> Option<&Happening> {
        match self {
            Occurrence::Conversation(h) => Some(h),
            _ => None,
        }
    }
}

impl From<Happening> for Occurrence {
    fn from(h: Happening) -> Self {
        Occurrence::Conversation(h)
    }
}
