//! Sends waiting out their `--jitter` delay before their first attempt, owned by the
//! dispatcher. They wait outside the concurrency limit (their lane stays busy meanwhile)
//! and, once due, go to a worker ahead of the ready queue.

use std::collections::{BTreeMap, VecDeque};

use tokio::time::Instant;

use super::job::Job;

/// The sends still waiting (by due instant, then emission order) and those now due.
#[derive(Default)]
pub(super) struct JitterWait {
    waiting: BTreeMap<(Instant, u64, bool), Job>,
    due: VecDeque<Job>,
}

impl JitterWait {
    /// Holds `job` until `until`.
    pub(super) fn hold(&mut self, job: Job, until: Instant) {
        self.waiting.insert((until, job.seq, job.duplicate), job);
    }

    /// Moves every send due by `now` to the due queue.
    pub(super) fn release_due(&mut self, now: Instant) {
        while let Some(entry) = self.waiting.first_entry()
            && entry.key().0 <= now
        {
            self.due.push_back(entry.remove());
        }
    }

    /// The next due send, if any.
    pub(super) fn pop_due(&mut self) -> Option<Job> {
        self.due.pop_front()
    }

    /// When the next waiting send falls due.
    pub(super) fn next_due(&self) -> Option<Instant> {
        self.waiting.keys().next().map(|k| k.0)
    }

    /// Moves every send, waiting or due, to `out` (cancellation).
    pub(super) fn drain_into(&mut self, out: &mut Vec<Job>) {
        out.extend(std::mem::take(&mut self.waiting).into_values());
        out.extend(self.due.drain(..));
    }
}
