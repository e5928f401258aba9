//! The queues between an event's release and its send, owned by the dispatcher:
//! per-conversation lanes (at most one send of a conversation in flight, the rest waiting
//! in order, unless `--ordering none`), events held back to swap with their
//! conversation's next one (`--reorder-rate`), the ready queue the workers are fed from,
//! and the backlog count (sends emitted but not finished) that bounds admission
//! (`--max-backlog`) and feeds the progress line.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;

// Fast hashing of engine-assigned integer keys on the hot path.
use rustc_hash::FxHashMap as HashMap;

use super::config::DeliveryConfig;
use super::counters::LiveCounters;
use super::job::Job;
use super::options::OrderingMode;
use super::sink::Sink;
use crate::event::EventKind;

/// Per-conversation lane: at most one event of a conversation in flight.
#[derive(Default)]
struct Lane {
    busy: bool,
    waiting: VecDeque<Job>,
}

/// The queues between release and launch: lanes (per-conversation ordering), events
/// held back for a swap (`--reorder-rate`), and the ready queue.
pub(super) struct Queues<'a> {
    config: &'a DeliveryConfig,
    /// `--max-backlog`, at least 1.
    max_backlog: usize,
    lanes: HashMap<u64, Lane>,
    held: HashMap<u64, Vec<Job>>,
    ready: VecDeque<Job>,
    backlog: usize,
}

impl<'a> Queues<'a> {
    /// Empty queues deciding by `config`.
    pub(super) fn new(config: &'a DeliveryConfig) -> Self {
        Self {
            config,
            max_backlog: config.max_backlog.max(1),
            lanes: HashMap::default(),
            held: HashMap::default(),
            ready: VecDeque::new(),
            backlog: 0,
        }
    }
}

impl Queues<'_> {
    /// Sends emitted but not finished (queued, held or in flight).
    pub(super) fn backlog(&self) -> usize {
        self.backlog
    }

    /// Sends emitted but not finished, those held back for a swap aside: what a manual
    /// clock waits for before it releases more (a held event waits for what comes next).
    pub(super) fn unsettled(&self) -> usize {
        let held: usize = self.held.values().map(Vec::len).sum();
        self.backlog.saturating_sub(held)
    }

    /// Whether `needed` more sends fit in the backlog. An empty backlog always takes the
    /// next event, so a bound smaller than one event and its duplicate cannot stall the
    /// run.
    pub(super) fn has_room_for(&self, needed: usize) -> bool {
        self.backlog == 0 || self.backlog + needed <= self.max_backlog
    }

    /// The next send whose turn has come, if any.
    pub(super) fn pop_ready(&mut self) -> Option<Job> {
        self.ready.pop_front()
    }

    /// Takes a freshly emitted event and, with `duplicate`, a second send of it: holds
    /// them for a swap, or queues them (after a held group's successor, the held group
    /// follows it).
    pub(super) fn admit(
        &mut self,
        job: Job,
        duplicate: bool,
        sink: &mut dyn Sink,
        progress: &LiveCounters,
    ) {
        let dup = duplicate.then(|| Job {
            duplicate: true,
            ..job.clone()
        });
        if let Some(dup) = &dup {
            sink.duplicated(dup);
        }
        self.grow(progress);
        if dup.is_some() {
            self.grow(progress);
        }
        let key = job.webhook.lane;
        if !self.held.is_empty()
            && let Some(held) = self.held.remove(&key)
        {
            sink.reordered(&held[0], &job);
            self.push(job);
            dup.into_iter().chain(held).for_each(|j| self.push(j));
            return;
        }
        // An end is last: nothing would come to swap with. Holding is also bounded so
        // held events can never fill the backlog.
        if job.webhook.kind != EventKind::ConversationEnd
            && self.config.robustness.reorders()
            && self.held.len() < self.config.max_backlog / 2
            && self.config.robustness.reorder(self.config.seed, job.seq)
        {
            self.held
                .insert(key, std::iter::once(job).chain(dup).collect());
        } else {
            self.push(job);
            dup.into_iter().for_each(|j| self.push(j));
        }
    }

    fn push(&mut self, job: Job) {
        match self.config.ordering {
            OrderingMode::None => self.ready.push_back(job),
            OrderingMode::PerConversation => {
                let lane = self.lanes.entry(job.webhook.lane).or_default();
                if lane.busy {
                    lane.waiting.push_back(job);
                } else {
                    lane.busy = true;
                    self.ready.push_back(job);
                }
            }
        }
    }

    /// A send of conversation `key` finished: its lane may go on.
    pub(super) fn finished(&mut self, key: u64, progress: &LiveCounters) {
        self.backlog -= 1;
        progress
            .backlog
            .store(self.backlog as u64, Ordering::Relaxed);
        if let Some(lane) = self.lanes.get_mut(&key) {
            match lane.waiting.pop_front() {
                Some(next) => self.ready.push_back(next),
                None => {
                    self.lanes.remove(&key);
                }
            }
        }
    }

    /// A send in flight at cancellation finished during the grace period: it leaves the
    /// backlog (the lanes are gone, nothing follows it).
    pub(super) fn finished_in_grace(&mut self) {
        self.backlog -= 1;
    }

    /// Releases every held event (the source is exhausted: no successor will come).
    pub(super) fn release_held(&mut self) {
        let mut held: Vec<Job> = self.held.drain().flat_map(|(_, g)| g).collect();
        held.sort_by_key(|j| (j.seq, j.duplicate));
        held.into_iter().for_each(|j| self.push(j));
    }

    /// Everything not in flight, for cancellation, in emission order.
    pub(super) fn drain_waiting(&mut self) -> Vec<Job> {
        let mut jobs: Vec<Job> = self.ready.drain(..).collect();
        jobs.extend(self.lanes.drain().flat_map(|(_, l)| l.waiting));
        jobs.extend(self.held.drain().flat_map(|(_, g)| g));
        jobs.sort_by_key(|j| (j.seq, j.duplicate));
        jobs
    }

    fn grow(&mut self, progress: &LiveCounters) {
        self.backlog += 1;
        progress
            .backlog
            .store(self.backlog as u64, Ordering::Relaxed);
        progress
            .peak_backlog
            .fetch_max(self.backlog as u64, Ordering::Relaxed);
    }
}
