//! Where the dispatcher's events come from: a [`Source`] says when its next batch is due
//! (simulated time) and releases it on demand. A simulation's source is `feed::SimSource`;
//! `ccsim replay` reads its events log through `replay::LogSource`. A simulation the APIs
//! drive can gain events at any time: it wakes the dispatcher, and under `ccsim serve` it
//! is never exhausted.

use std::sync::Arc;

use tokio::sync::Notify;

use super::clock::SimClock;
use crate::conversation::ChangeTicket;
use crate::event::Webhook;
use crate::time::SimTime;

/// One event released by a source.
#[derive(Debug, Clone)]
pub struct Released {
    /// The sequence number to keep (a replayed event keeps its original one, and with it
    /// its webhook-id); `None` takes the next in the run.
    pub seq: Option<u64>,
    /// The webhook.
    pub webhook: Webhook,
    /// The record change it announces, to show once it is handed over (see
    /// [`Handover`](super::Handover)).
    pub change: Option<ChangeTicket>,
}

/// A stream of events due at simulated times, in order.
pub trait Source: Send {
    /// Does at most a bounded amount of work towards the next batch; false when that was
    /// not enough to know it yet. The dispatcher then lets other tasks run (an interrupt,
    /// the workers, the report) and asks again, so a source with a long way to its next
    /// batch cannot hold the runtime. Sources that always know their next batch keep the
    /// default, true.
    fn prepare(&mut self) -> bool {
        true
    }
    /// When the next batch is due; `None` when the source is exhausted.
    fn next_at(&mut self) -> Option<SimTime>;
    /// Releases the next batch into `out`.
    fn release(&mut self, out: &mut Vec<Released>);
    /// Told once, as the delivery starts, how it maps simulated time to the wall clock.
    fn started(&mut self, _clock: &SimClock) {}
    /// Notified when something from outside the delivery gave the source more to release
    /// (an operation through the API); the dispatcher then asks again.
    fn wakeup(&self) -> Option<Arc<Notify>> {
        None
    }
    /// Whether more may come after [`Source::next_at`] said `None` (`ccsim serve`, where
    /// operations keep coming until it is stopped): the source is then never exhausted.
    fn endless(&self) -> bool {
        false
    }
}
