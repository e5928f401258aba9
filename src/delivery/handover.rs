//! [`Handover`]: how delivery tells whoever keeps the records that an event is going out,
//! so that the change it announces becomes visible then and not before. The dispatcher
//! reports its clock; a worker reports each event's hand-over just before its first
//! attempt is written. Delivery knows nothing of the records themselves.

use std::fmt::Debug;

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
}
