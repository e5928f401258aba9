//! A simulation as a delivery source: [`SimSource`] pulls the engine's occurrences in
//! time order (from an engine of its own, or from a [`Driven`] one that the APIs operate
//! on too), builds each one's webhooks, and, when the fake API keeps records, stages each
//! conversation happening in the record store with a ticket its webhook carries. The record store is
//! the [`Handover`] that delivery tells when each event goes out, so a change shows in the
//! records once the event announcing it is handed to the network, never before. With the
//! control API on, [`Journaled`] also writes each event into its journal as it goes out.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::api::store::RecordStore;
use crate::control::Journal;
use crate::control::journal::Outcome;
use crate::conversation::ChangeTicket;
use crate::delivery::clock::SimClock;
use crate::delivery::{DeliveryOutcome, Handover, Job, Released, Source};
use crate::event::{EventBuilder, Webhook};
use crate::occurrence::Occurrence;
use crate::operation::{Answer, Code, Operation, Platform, Refusal};
use crate::sim::engine::{Engine, Pull};
use crate::sim::stats::SimStats;
use crate::sim::workload::SimPlan;
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
    /// The engine the APIs operate on too, if it is one.
    driven: Option<&'a Driven>,
    /// The driven engine's resets when the lookahead was pulled.
    generation: u64,
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
            driven: None,
            generation: 0,
        }
    }

    /// Pulls once with `budget` if the next happening is not known yet: also when the
    /// engine had nothing due by its limit, or nothing at all but operations may add more.
    fn look(&mut self, budget: usize) {
        if let Some(driven) = self.driven {
            let generation = driven.generation.load(Ordering::Acquire);
            if generation != self.generation {
                // Pulled from the engine a reset replaced.
                self.generation = generation;
                self.lookahead = Lookahead::Unknown;
            }
        }
        let endless = self.driven.is_some_and(|d| d.endless);
        let stale = match self.lookahead {
            Lookahead::Unknown | Lookahead::NotYet(_) => true,
            Lookahead::Done => endless,
            Lookahead::Ready(_) => false,
        };
        if stale {
            self.lookahead = match (self.pull)(budget) {
                Pull::Ready(o) => Lookahead::Ready(o),
                Pull::Busy => Lookahead::Unknown,
                Pull::Done => Lookahead::Done,
                Pull::NotYet(at) => Lookahead::NotYet(at),
            };
        }
    }
}

impl<'a> SimSource<'a, Box<dyn FnMut(usize) -> Pull + Send + 'a>> {
    /// A source pulling from `driven`, staging in `store` (if any).
    pub fn driven(
        driven: &'a Driven,
        store: Option<&'a RecordStore>,
        builder: &'a EventBuilder,
    ) -> Self {
        let mut source = SimSource::new(
            Box::new(move |budget| driven.pull(budget)) as Box<dyn FnMut(usize) -> Pull + Send>,
            store,
            builder,
        );
        source.driven = Some(driven);
        source
    }
}

impl<F: FnMut(usize) -> Pull + Send> Source for SimSource<'_, F> {
    fn started(&mut self, clock: &SimClock) {
        if let Some(driven) = self.driven {
            driven.started(clock);
        }
    }

    fn wakeup(&self) -> Option<Arc<Notify>> {
        self.driven.map(|d| d.wake.clone())
    }

    fn endless(&self) -> bool {
        self.driven.is_some_and(|d| d.endless)
    }

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
        if self
            .driven
            .is_some_and(|d| d.generation.load(Ordering::Acquire) != self.generation)
        {
            return; // pulled from the engine a reset replaced
        }
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

/// The engine shared by the delivery, which pulls what it produces, and the APIs, which
/// operate on it (`ccsim serve`, and `run`/`load` with `--control`). The engine never runs
/// ahead of the delivery's clock, so an operation happens at the simulated instant it is
/// made (with `--speed max`, at the engine's latest instant), one at a time.
#[derive(Debug)]
pub struct Driven {
    engine: Mutex<Engine>,
    /// What the engine was made from, for a reset.
    plan: SimPlan,
    /// The records, emptied by a reset.
    store: Option<RecordStore>,
    /// How many resets so far: a source drops what it pulled before the latest.
    generation: AtomicU64,
    /// The delivery's clock, once it has started.
    clock: OnceLock<SimClock>,
    /// Wakes the delivery after an operation.
    wake: Arc<Notify>,
    /// Set once the delivery is over: operations are refused.
    over: AtomicBool,
    /// Whether operations keep coming until ctrl-c (`ccsim serve`): the source is never
    /// exhausted.
    endless: bool,
}

impl Driven {
    /// An engine of `plan`, to be driven, keeping `store`'s records; `endless` under
    /// `ccsim serve`.
    pub fn new(plan: SimPlan, store: Option<RecordStore>, endless: bool) -> Self {
        Self {
            engine: Mutex::new(Engine::new(plan.clone())),
            plan,
            store,
            generation: AtomicU64::new(0),
            clock: OnceLock::new(),
            wake: Arc::new(Notify::new()),
            over: AtomicBool::new(false),
            endless,
        }
    }

    fn engine(&self) -> MutexGuard<'_, Engine> {
        // The engine holds no invariant a panicking holder could break half-way that
        // matters more than answering: take it back.
        self.engine.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn started(&self, clock: &SimClock) {
        let _ = self.clock.set(clock.clone());
    }

    /// Pulls with `budget`, no further than the delivery's clock allows.
    fn pull(&self, budget: usize) -> Pull {
        let limit = self.clock.get().and_then(|c| c.limit(Instant::now()));
        let mut engine = self.engine();
        match limit {
            Some(limit) => engine.pull_until(limit, budget),
            None => engine.pull(budget),
        }
    }

    /// The simulated instant of now on the delivery's clock: `None` before the delivery
    /// starts and at `--speed max` (the engine's own instant then serves).
    fn sim_now(&self) -> Option<SimTime> {
        self.clock.get().and_then(|c| c.sim_at(Instant::now()))
    }

    /// Refuses an operation once the delivery is over.
    fn still_running(&self) -> Result<(), Refusal> {
        if self.over.load(Ordering::Acquire) {
            return Err(Refusal::new(
                Code::NotReady,
                "the run is over: ccsim simulates nothing more",
            ));
        }
        Ok(())
    }

    /// The delivery is over: refuses operations from now on, and ends the simulation
    /// (its figures).
    pub fn finish(&self) -> SimStats {
        self.over.store(true, Ordering::Release);
        self.engine().finish().clone()
    }
}

impl Platform for Driven {
    fn operate(&self, op: Operation) -> Result<Answer, Refusal> {
        self.still_running()?;
        let at = self.sim_now();
        let answer = {
            let mut engine = self.engine();
            if let Some(at) = at {
                engine.advance_to(at);
            }
            engine.operate(op)
        };
        self.wake.notify_one();
        answer
    }

    fn now(&self) -> SimTime {
        let at = self.sim_now();
        let engine = self.engine();
        at.map_or_else(|| engine.now(), |at| at.max(engine.now()))
    }

    fn reset(&self) -> Result<(), Refusal> {
        self.still_running()?;
        // A manual clock was rewound to the start; a running one goes on from now.
        let mut plan = self.plan.clone();
        if let Some(at) = self.sim_now() {
            plan.start = at;
        }
        {
            let mut engine = self.engine();
            // Fresh ids after each reset (an application's database may still hold the
            // last ones), the same for the same number of resets.
            let generation = self.generation.fetch_add(1, Ordering::AcqRel) + 1;
            plan.seed = plan
                .seed
                .wrapping_add(generation.wrapping_mul(0x9e37_79b9_7f4a_7c15));
            *engine = Engine::new(plan);
            if let Some(store) = &self.store {
                store.clear();
            }
        }
        self.wake.notify_one();
        Ok(())
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
