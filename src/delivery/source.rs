//! Where the dispatcher's events come from: a [`Source`] says when its next batch is due
//! (simulated time) and releases it on demand. [`SimSource`] wraps the engine, applying
//! each happening to the record store at release, before its webhooks exist
//! (`ccsim replay` has a source of its own, `replay::log::LogSource`).

use crate::api::store::RecordStore;
use crate::conversation::Happening;
use crate::event::{EventBuilder, Webhook};
use crate::time::SimTime;

/// One event released by a source.
#[derive(Debug, Clone)]
pub struct Released {
    /// The sequence number to keep (a replayed event keeps its original one, and with it
    /// its webhook-id); `None` takes the next in the run.
    pub seq: Option<u64>,
    /// The webhook.
    pub webhook: Webhook,
}

/// A stream of events due at simulated times, in order.
pub trait Source: Send {
    /// When the next batch is due; `None` when the source is exhausted.
    fn next_at(&mut self) -> Option<SimTime>;
    /// Releases the next batch into `out` (side effects, like record-store updates,
    /// happen here, at the moment of release).
    fn release(&mut self, out: &mut Vec<Released>);
}

/// The engine's happenings, applied to the store (when the API serves one) and built into
/// webhooks at release.
pub struct SimSource<'a, F> {
    next: F,
    lookahead: Option<Happening>,
    store: Option<&'a RecordStore>,
    builder: &'a EventBuilder,
    scratch: Vec<Webhook>,
}

impl<'a, F: FnMut() -> Option<Happening>> SimSource<'a, F> {
    /// A source pulling happenings from `next`, keeping `store` (if any) up to date.
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
        if let Some(store) = self.store {
            store.apply(&h);
        }
        self.scratch.clear();
        self.builder.build(&h, &mut self.scratch);
        out.extend(
            self.scratch
                .drain(..)
                .map(|webhook| Released { seq: None, webhook }),
        );
    }
}
