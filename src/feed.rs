//! A simulation as a delivery source: [`SimSource`] pulls the engine's occurrences in
//! time order, builds each one's webhooks, and, when the fake API keeps records, stages each
//! conversation happening in the record store with a ticket its webhook carries. The record store is
//! the [`Handover`] that delivery tells when each event goes out, so a change shows in the
//! records once the event announcing it is handed to the network, never before. With the
//! control API on, [`Journaled`] also writes each event into its journal as it goes out.

use std::sync::Arc;

use crate::api::store::RecordStore;
use crate::control::Journal;
use crate::control::journal::Outcome;
use crate::conversation::ChangeTicket;
use crate::delivery::{DeliveryOutcome, Handover, Job, Released, Source};
use crate::event::{EventBuilder, Webhook};
use crate::occurrence::Occurrence;
use crate::sim::engine::Pull;
use crate::time::SimTime;

/// How many engine actions one [`Source::prepare`] may handle before it gives the runtime
/// back: a few milliseconds of work.
const PULL_BUDGET: usize = 10_000;

/// What the source knows of its next happening.
#[derive(Debug)]
enum Lookahead {
    /// Not found yet: the engine has more work to do first.
    Unknown,
    /// The next occurrence.
    Ready(Occurrence),
    /// The simulation is over.
    Done,
    /// Nothing is due by the engine's limit; its next action is due then.
    NotYet(SimTime),
}

/// The engine's happenings, built into webhooks at release and staged in the store (when
/// the API serves one).
pub struct SimSource<'a, F> {
    pull: F,
    lookahead: Lookahead,
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

impl<'a, F: FnMut(usize) -> Pull> SimSource<'a, F> {
    /// A source pulling happenings from `pull` (called with a budget of engine actions,
    /// like [`Engine::pull`](crate::sim::engine::Engine::pull)), staging them in `store`
    /// (if any).
    pub fn new(pull: F, store: Option<&'a RecordStore>, builder: &'a EventBuilder) -> Self {
        Self {
            pull,
            lookahead: Lookahead::Unknown,
            store,
            builder,
            scratch: Vec::new(),
        }
    }

    /// Pulls once with `budget` if the next happening is not known yet.
    fn look(&mut self, budget: usize) {
        if matches!(self.lookahead, Lookahead::Unknown) {
            self.lookahead = match (self.pull)(budget) {
                Pull::Ready(o) => Lookahead::Ready(o),
                Pull::Busy => Lookahead::Unknown,
                Pull::Done => Lookahead::Done,
                Pull::NotYet(at) => Lookahead::NotYet(at),
            };
        }
    }
}

impl<F: FnMut(usize) -> Pull + Send> Source for SimSource<'_, F> {
    fn prepare(&mut self) -> bool {
        self.look(PULL_BUDGET);
        !matches!(self.lookahead, Lookahead::Unknown)
    }

    fn next_at(&mut self) -> Option<SimTime> {
        // Without a `prepare` first, as long as it takes.
        while matches!(self.lookahead, Lookahead::Unknown) {
            self.look(usize::MAX);
        }
        match &self.lookahead {
            Lookahead::Ready(o) => Some(o.at()),
            Lookahead::NotYet(at) => Some(*at),
            Lookahead::Unknown | Lookahead::Done => None,
        }
    }

    fn release(&mut self, out: &mut Vec<Released>) {
        let Lookahead::Ready(o) = std::mem::replace(&mut self.lookahead, Lookahead::Unknown) else {
            return;
        };
        self.scratch.clear();
        self.builder.build(&o, &mut self.scratch);
        let mut change = match (self.store, o) {
            (Some(store), Occurrence::Conversation(h)) => {
                let announced = self
                    .scratch
                    .iter()
                    .any(|w| matches!(w.subject, crate::event::Subject::Conversation(_)));
                store.stage(h, announced)
            }
            _ => None,
        };
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

/// The record store's hand-overs, and the control API's journal of every event sent (an
/// event once: the second send of a `--duplicate-rate` duplicate is not listed).
#[derive(Debug)]
pub struct Journaled {
    /// The records.
    pub store: RecordStore,
    /// The journal.
    pub journal: Arc<Journal>,
}

impl Handover for Journaled {
    fn handed_over(&self, change: ChangeTicket, scheduled: SimTime) {
        self.store.handed_over(change, scheduled);
    }

    fn clock_reached(&self, now: SimTime) {
        self.store.clock_reached(now);
    }

    fn sending(&self, job: &Job) {
        if !job.duplicate {
            self.journal
                .handed_over(job.seq, &job.webhook, job.scheduled_sim);
        }
    }

    fn sent(&self, job: &Job, outcome: DeliveryOutcome) {
        if !job.duplicate {
            let outcome = match outcome {
                DeliveryOutcome::Delivered => Outcome::Delivered,
                DeliveryOutcome::Failed => Outcome::Failed,
                DeliveryOutcome::Cancelled => Outcome::Cancelled,
            };
            self.journal.finished(job.seq, outcome);
        }
    }
}
