//! [`Sink`]: what the dispatcher reports every emitted event, duplicate, swap and
//! completion to, in its own task. The report collector implements it; tests implement it
//! to record what was sent.

use tokio::time::Instant;

use super::job::{Completion, Job};

/// Receives every emitted event and every completion, in the dispatcher's task.
pub trait Sink: Send {
    /// An event was emitted (released by the scheduler).
    fn emitted(&mut self, job: &Job);
    /// A duplicate send of an emitted event was added (`--duplicate-rate`).
    fn duplicated(&mut self, _job: &Job) {}
    /// `held` was swapped with the later `next` of the same conversation.
    fn reordered(&mut self, _held: &Job, _next: &Job) {}
    /// A send (an event or a duplicate) reached its final outcome.
    fn completed(&mut self, completion: &Completion);
    /// When the sink next wants [`Sink::checkpoint`] called (periodic reports), if ever.
    fn next_checkpoint(&self) -> Option<Instant> {
        None
    }
    /// Called once the instant [`Sink::next_checkpoint`] gave has passed.
    fn checkpoint(&mut self, _now: Instant) {}
}
