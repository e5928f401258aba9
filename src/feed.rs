//! A simulation as a delivery source: [`SimSource`] pulls the engine's happenings in
//! time order, builds each one's webhook, and, when the fake API keeps records, stages the
//! happening in the record store with a ticket its webhook carries. The record store is
//! the [`Handover`] that delivery tells when each event goes out, so a change shows in the
//! records once the event announcing it is handed to the network, never before.

use crate::api::store::RecordStore;
use crate::conversation::{ChangeTicket, Happening};
use crate::delivery::{Handover, Released, Source};
use crate::event::{EventBuilder, Webhook};
use crate::time::SimTime;

/// The engine's happenings, built into webhooks at release and staged in the store (when
/// the API serves one).
pub struct SimSource<'a, F> {
    next: F,
    lookahead: Option<Happening>,
    store: Option<&'a RecordStore>,
    builder: &'a EventBuilder,
    scratch: Vec<Webhook>,
}

impl<F> std::fmt::Debug for SimSource<'_, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimSource")
            .field("lookahead", &self.lookahead)
            .finish_non_exhaustive()
    }
}

impl<'a, F: FnMut() -> Option<Happening>> SimSource<'a, F> {
    /// A source pulling happenings from `next`, staging them in `store` (if any).
    pub fn new(mut next: F, store: Option<&'a RecordStore>, builder: &'a EventBuilder) -> Self {
        let lookahead = next();
        Self {
            next,
            lookahead,
            store,
            builder,
            scratch: Vec::new(),
        }
    }
}

impl<F: FnMut() -> Option<Happening> + Send> Source for SimSource<'_, F> {
    fn next_at(&mut self) -> Option<SimTime> {
        self.lookahead.as_ref().map(|h| h.at)
    }

    fn release(&mut self, out: &mut Vec<Released>) {
        let Some(h) = self.lookahead.take() else {
            return;
        };
        self.lookahead = (self.next)();
        self.scratch.clear();
        self.builder.build(&h, &mut self.scratch);
        let mut change = self
            .store
            .and_then(|store| store.stage(h, !self.scratch.is_empty()));
        // The first event announcing the change carries its ticket.
        out.extend(self.scratch.drain(..).map(|webhook| Released {
            seq: None,
            webhook,
            change: change.take(),
        }));
    }
}

impl Handover for RecordStore {
    fn handed_over(&self, change: ChangeTicket, scheduled: SimTime) {
        RecordStore::handed_over(self, change, scheduled);
    }

    fn clock_reached(&self, now: SimTime) {
        RecordStore::clock_reached(self, now);
    }
}
