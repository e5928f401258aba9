//! [`Handover`]: how delivery tells whoever keeps the records that an event is going out,
//! so that the change it announces becomes visible then and not before. The dispatcher
//! reports its clock; a worker reports each event's hand-over just before its first
//! attempt is written, and its outcome after its last (the control API's journal). Delivery
//! knows nothing of the records themselves.

use std::fmt::Debug;

use super::job::{DeliveryOutcome, Job};
use crate::conversation::ChangeTicket;
use crate::time::SimTime;

/// Told when events go out and when the delivery's clock moves.
pub trait Handover: Send + Sync + Debug {
    /// The event carrying `change`, due at simulated time `scheduled`, is being handed to
    /// the network (its first attempt starts now).
    fn handed_over(&self, change: ChangeTicket, scheduled: SimTime);

    /// The delivery's clock reached simulated time `now` (not called at `--speed max`,
    /// where there is no clock to follow).
    fn clock_reached(&self, now: SimTime);

    /// `job` (any event, announcing a change or not) is being handed to the network: its
    /// first attempt starts now, just after [`Handover::handed_over`] of its change.
    fn sending(&self, _job: &Job) {}

    /// `job`'s last attempt ended with `outcome`.
    fn sent(&self, _job: &Job, _outcome: DeliveryOutcome) {}
}
