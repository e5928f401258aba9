//! The journal: the events handed to the network so far, in the order they were handed
//! over, the last [`CAPACITY`] of them. Delivery appends an event as its first attempt
//! starts and records its outcome once known; readers page through it by the journal's
//! own sequence number and long-poll for the next match ([`Journal::wait`]).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use bytes::Bytes;
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::event::{EventKind, Subject, Webhook};
use crate::time::SimTime;

/// Events kept at most; older ones are evicted (and counted as dropped). With bodies of
/// a few hundred bytes, this is some tens of MiB at most.
pub const CAPACITY: usize = 100_000;

/// What became of an event once its last attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The receiver accepted it.
    Delivered,
    /// Every attempt failed.
    Failed,
    /// The run was interrupted before it was delivered.
    Cancelled,
}

impl Outcome {
    /// The name the answers use.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Delivered => "delivered",
            Outcome::Failed => "failed",
            Outcome::Cancelled => "cancelled",
        }
    }
}

/// One event of the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its place in the journal: 1 for the first event handed over, then one more each.
    pub seq: u64,
    /// Its number in the run (the events log's `seq`, the end of its `webhook-id`).
    pub event_seq: u64,
    /// The event.
    pub kind: EventKind,
    /// What it is about.
    pub subject: Subject,
    /// When it was due, in simulated time (epoch ms).
    pub scheduled_ms: i64,
    /// When it was handed over, on the wall clock (epoch ms).
    pub sent_ms: i64,
    /// What became of it, once known.
    pub outcome: Option<Outcome>,
    /// The JSON body sent.
    pub body: Bytes,
}

impl Entry {
    /// The conversation it is about: a conversation event's, or the one a queue event's
    /// task is for.
    pub fn conversation_id(&self) -> Option<&str> {
        self.subject.ids().conversation_id
    }

    /// The agent it is about (agent events).
    pub fn agent(&self) -> Option<&str> {
        self.subject.ids().agent
    }

    /// The Standard Webhooks `webhook-id` it was sent with.
    pub fn webhook_id(&self) -> String {
        format!("msg_{}_{}", self.subject.id(), self.event_seq)
    }
}

/// Which events a reader wants: every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Events about this conversation (its conversation events and its queue task's).
    pub conversation: Option<String>,
    /// Events about this agent (agent events).
    pub agent: Option<String>,
    /// Events of these kinds; empty: any.
    pub events: Vec<EventKind>,
}

impl Filter {
    /// Whether `entry` passes.
    pub fn matches(&self, entry: &Entry) -> bool {
        self.conversation
            .as_deref()
            .is_none_or(|id| entry.conversation_id() == Some(id))
            && self
                .agent
                .as_deref()
                .is_none_or(|name| entry.agent() == Some(name))
            && (self.events.is_empty() || self.events.contains(&entry.kind))
    }
}

/// One page of the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The matching events after the reader's `after`, oldest first.
    pub entries: Vec<Entry>,
    /// What to pass as `after` for the next page: the last event looked at.
    pub next_after: u64,
    /// Whether the page stopped at its limit (more may match after `next_after`).
    pub more: bool,
    /// Events evicted from the journal since the run started.
    pub dropped: u64,
    /// Events after the reader's `after` that were evicted before it read them.
    pub missed: u64,
    /// Whether the run has sent everything it will: no event will be added.
    pub finished: bool,
    /// The seq of the latest event handed over (0: none yet): the `after` from which a
    /// reader sees only what comes next.
    pub latest: u64,
}

/// How a wait ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitEnd {
    /// The first matching event after the reader's `after`.
    Found(Box<Entry>),
    /// None came in time.
    TimedOut,
    /// None came, and none will: the run has sent everything.
    Finished,
    /// The server is stopping.
    Stopping,
}

/// The journal's contents.
#[derive(Debug)]
struct Ring {
    entries: VecDeque<Entry>,
    /// Most entries kept.
    capacity: usize,
    /// The journal seq of the latest entry (0: none yet).
    last: u64,
    dropped: u64,
    /// Entries without an outcome yet: run seq → journal seq.
    pending: HashMap<u64, u64>,
    finished: bool,
}

impl Ring {
    /// The journal seq of the oldest entry kept (`last + 1` when empty).
    fn first(&self) -> u64 {
        self.last + 1 - self.entries.len() as u64
    }

    fn index_of(&self, seq: u64) -> Option<usize> {
        let first = self.first();
        (seq >= first)
            .then(|| usize::try_from(seq - first).ok())
            .flatten()
            .filter(|i| *i < self.entries.len())
    }

    fn push(&mut self, mut entry: Entry) {
        if self.entries.len() >= self.capacity
            && let Some(old) = self.entries.pop_front()
        {
            self.dropped += 1;
            if old.outcome.is_none() {
                self.pending.remove(&old.event_seq);
            }
        }
        self.last += 1;
        entry.seq = self.last;
        self.pending.insert(entry.event_seq, entry.seq);
        self.entries.push_back(entry);
    }

    /// Up to `limit` matches after `after`, and where the scan ended.
    fn scan(&self, filter: &Filter, after: u64, limit: usize) -> Page {
        let first = self.first();
        let missed = first.saturating_sub(after.saturating_add(1));
        let start = usize::try_from(after.saturating_add(1).saturating_sub(first))
            .unwrap_or(usize::MAX)
            .min(self.entries.len());
        let mut entries: Vec<Entry> = Vec::new();
        let mut more = false;
        for entry in self.entries.range(start..) {
            if !filter.matches(entry) {
                continue;
            }
            if entries.len() == limit {
                more = true;
                break;
            }
            entries.push(entry.clone());
        }
        let next_after = match entries.last() {
            // Stopped at the limit: the next page starts right after the last match.
            Some(last) if more => last.seq,
            // Everything was looked at.
            _ => after.max(self.last),
        };
        Page {
            entries,
            next_after,
            more,
            dropped: self.dropped,
            missed,
            finished: self.finished,
            latest: self.last,
        }
    }
}

/// The events handed to the network so far (the last [`CAPACITY`]), shared by delivery,
/// which appends, and the control API, which reads and waits.
#[derive(Debug)]
pub struct Journal {
    ring: Mutex<Ring>,
    /// Woken on every append and at the end.
    changed: Notify,
}

impl Default for Journal {
    fn default() -> Self {
        Self::new(CAPACITY)
    }
}

impl Journal {
    /// An empty journal keeping the last `capacity` events (at least one).
    pub fn new(capacity: usize) -> Self {
        Self {
            ring: Mutex::new(Ring {
                entries: VecDeque::new(),
                capacity: capacity.max(1),
                last: 0,
                dropped: 0,
                pending: HashMap::new(),
                finished: false,
            }),
            changed: Notify::new(),
        }
    }

    fn ring(&self) -> std::sync::MutexGuard<'_, Ring> {
        // A panic elsewhere while holding the lock leaves whole entries: go on.
        self.ring
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Event `event_seq` of the run, due at `scheduled`, is being handed to the network
    /// now.
    pub fn handed_over(&self, event_seq: u64, webhook: &Webhook, scheduled: SimTime) {
        let entry = Entry {
            seq: 0,
            event_seq,
            kind: webhook.kind,
            subject: webhook.subject.clone(),
            scheduled_ms: scheduled.epoch_ms(),
            sent_ms: chrono::Utc::now().timestamp_millis(),
            outcome: None,
            body: webhook.body.clone(),
        };
        self.ring().push(entry);
        self.changed.notify_waiters();
    }

    /// Event `event_seq` of the run came to `outcome` (ignored once it was evicted).
    pub fn finished(&self, event_seq: u64, outcome: Outcome) {
        let mut ring = self.ring();
        if let Some(seq) = ring.pending.remove(&event_seq)
            && let Some(i) = ring.index_of(seq)
        {
            ring.entries[i].outcome = Some(outcome);
        }
    }

    /// Forgets every event (a reset of the simulation); journal seq numbers go on from
    /// where they were, so a reader's `after` stays valid.
    pub fn reset(&self) {
        let mut ring = self.ring();
        ring.entries.clear();
        ring.pending.clear();
    }

    /// The run has sent everything it will: waits that found nothing end now.
    pub fn finish(&self) {
        self.ring().finished = true;
        self.changed.notify_waiters();
    }

    /// Up to `limit` events matching `filter` after journal seq `after`, oldest first.
    pub fn page(&self, filter: &Filter, after: u64, limit: usize) -> Page {
        self.ring().scan(filter, after, limit.max(1))
    }

    /// The first event matching `filter` after journal seq `after`: at once if the
    /// journal has one, else as soon as one is handed over; unless `deadline` passes, the
    /// run finishes or `stop` fires first.
    pub async fn wait(
        &self,
        filter: &Filter,
        mut after: u64,
        deadline: Instant,
        stop: &CancellationToken,
    ) -> WaitEnd {
        loop {
            // Registered before looking, so an append between the look and the wait
            // still wakes this waiter.
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let page = self.page(filter, after, 1);
            if let Some(entry) = page.entries.into_iter().next() {
                return WaitEnd::Found(Box::new(entry));
            }
            if page.finished {
                return WaitEnd::Finished;
            }
            // Only what comes after is new to this waiter.
            after = page.next_after;
            tokio::select! {
                () = stop.cancelled() => return WaitEnd::Stopping,
                () = tokio::time::sleep_until(deadline) => return WaitEnd::TimedOut,
                () = &mut changed => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::agent::AgentInfo;
    use crate::ids::{ConversationId, ExtensionId, Hex32, QueueId};

    fn hex(c: char) -> Hex32 {
        Hex32::parse(&c.to_string().repeat(32)).unwrap()
    }

    fn conv(c: char, kind: EventKind) -> Webhook {
        Webhook {
            kind,
            lane: 1,
            subject: Subject::Conversation(ConversationId(hex(c))),
            body: Bytes::from_static(b"{\"x\":1}"),
        }
    }

    fn queue(task: char, c: char) -> Webhook {
        Webhook {
            kind: EventKind::QueueSelect,
            lane: 1,
            subject: Subject::Queue(Box::new((QueueId(hex(task)), ConversationId(hex(c))))),
            body: Bytes::from_static(b"{}"),
        }
    }

    fn agent(name: &str) -> Webhook {
        Webhook {
            kind: EventKind::AgentStateChanged,
            lane: 1 << 63,
            subject: Subject::Agent(Arc::new(AgentInfo {
                number: 0,
                name: name.into(),
                extension_id: ExtensionId(hex('e')),
            })),
            body: Bytes::from_static(b"{}"),
        }
    }

    fn seqs(page: &Page) -> Vec<u64> {
        page.entries.iter().map(|e| e.seq).collect()
    }

    fn journal(webhooks: &[Webhook]) -> Journal {
        let j = Journal::new(100);
        for (i, w) in webhooks.iter().enumerate() {
            j.handed_over(i as u64 + 1, w, SimTime::from_millis(1_000 * i as i64));
        }
        j
    }

    #[test]
    fn filters_by_conversation_agent_and_event_name() {
        let j = journal(&[
            conv('a', EventKind::ConversationBegin),
            conv('b', EventKind::ConversationBegin),
            queue('1', 'a'),
            agent("1001"),
            conv('a', EventKind::ConversationEnd),
            agent("1002"),
        ]);
        let all = j.page(&Filter::default(), 0, 100);
        assert_eq!(seqs(&all), [1, 2, 3, 4, 5, 6]);
        assert_eq!(all.next_after, 6);
        assert!(!all.more);
        let a = Filter {
            conversation: Some("a".repeat(32)),
            ..Filter::default()
        };
        assert_eq!(seqs(&j.page(&a, 0, 100)), [1, 3, 5], "its queue task's too");
        let ends = Filter {
            conversation: Some("a".repeat(32)),
            events: vec![EventKind::ConversationEnd, EventKind::QueueSelect],
            ..Filter::default()
        };
        assert_eq!(seqs(&j.page(&ends, 0, 100)), [3, 5]);
        let agent = Filter {
            agent: Some("1002".into()),
            ..Filter::default()
        };
        assert_eq!(seqs(&j.page(&agent, 0, 100)), [6]);
        let nobody = Filter {
            agent: Some("1001".into()),
            conversation: Some("a".repeat(32)),
            ..Filter::default()
        };
        let page = j.page(&nobody, 0, 100);
        assert!(page.entries.is_empty());
        assert_eq!(page.next_after, 6, "everything was looked at");
    }

    #[test]
    fn pages_follow_on_from_next_after() {
        let webhooks: Vec<Webhook> = (0..10)
            .map(|i| {
                let kind = if i % 2 == 0 {
                    EventKind::ConversationBegin
                } else {
                    EventKind::ConversationEnd
                };
                conv('a', kind)
            })
            .collect();
        let j = journal(&webhooks);
        let begins = Filter {
            events: vec![EventKind::ConversationBegin],
            ..Filter::default()
        };
        let first = j.page(&begins, 0, 2);
        assert_eq!(seqs(&first), [1, 3]);
        assert!(first.more);
        assert_eq!(first.next_after, 3);
        let second = j.page(&begins, first.next_after, 2);
        assert_eq!(seqs(&second), [5, 7]);
        let third = j.page(&begins, second.next_after, 2);
        assert_eq!(seqs(&third), [9]);
        assert!(!third.more);
        assert_eq!(third.next_after, 10);
        let beyond = j.page(&begins, 50, 2);
        assert!(beyond.entries.is_empty());
        assert_eq!(beyond.next_after, 50);
    }

    #[test]
    fn the_oldest_are_evicted_and_counted() {
        let j = Journal::new(3);
        for i in 1..=5 {
            j.handed_over(
                i,
                &conv('a', EventKind::ConversationBegin),
                SimTime::default(),
            );
        }
        let page = j.page(&Filter::default(), 0, 100);
        assert_eq!(seqs(&page), [3, 4, 5]);
        assert_eq!((page.dropped, page.missed), (2, 2));
        let page = j.page(&Filter::default(), 3, 100);
        assert_eq!(seqs(&page), [4, 5]);
        assert_eq!((page.dropped, page.missed), (2, 0));
        // The outcome of an evicted event has nowhere to go; the rest land.
        j.finished(1, Outcome::Delivered);
        j.finished(4, Outcome::Failed);
        let page = j.page(&Filter::default(), 0, 100);
        let outcomes: Vec<_> = page.entries.iter().map(|e| e.outcome).collect();
        assert_eq!(outcomes, [None, Some(Outcome::Failed), None]);
        assert!(j.ring().pending.len() <= 3, "bounded with the entries");
    }

    #[test]
    fn outcomes_find_their_event_whatever_the_hand_over_order() {
        let j = Journal::new(10);
        let w = conv('a', EventKind::ConversationBegin);
        j.handed_over(7, &w, SimTime::default());
        j.handed_over(5, &w, SimTime::default());
        j.finished(5, Outcome::Delivered);
        let page = j.page(&Filter::default(), 0, 10);
        assert_eq!(page.entries[0].event_seq, 7);
        assert_eq!(page.entries[0].outcome, None);
        assert_eq!(page.entries[1].outcome, Some(Outcome::Delivered));
        assert_eq!(
            page.entries[1].webhook_id(),
            format!("msg_{}_5", "a".repeat(32))
        );
    }

    #[tokio::test]
    async fn a_wait_answers_at_once_when_the_journal_has_a_match() {
        let j = journal(&[conv('a', EventKind::ConversationBegin)]);
        let end = j
            .wait(
                &Filter::default(),
                0,
                Instant::now() + Duration::from_secs(60),
                &CancellationToken::new(),
            )
            .await;
        assert!(matches!(end, WaitEnd::Found(e) if e.seq == 1));
    }

    #[tokio::test]
    async fn a_wait_ends_with_the_next_match_handed_over() {
        let j = Arc::new(journal(&[conv('a', EventKind::ConversationBegin)]));
        let ends = Filter {
            events: vec![EventKind::ConversationEnd],
            ..Filter::default()
        };
        let waiter = {
            let j = j.clone();
            tokio::spawn(async move {
                j.wait(
                    &ends,
                    0,
                    Instant::now() + Duration::from_secs(60),
                    &CancellationToken::new(),
                )
                .await
            })
        };
        tokio::task::yield_now().await;
        j.handed_over(
            2,
            &conv('b', EventKind::ConversationBegin),
            SimTime::default(),
        );
        j.handed_over(
            3,
            &conv('a', EventKind::ConversationEnd),
            SimTime::default(),
        );
        let end = tokio::time::timeout(Duration::from_secs(60), waiter)
            .await
            .unwrap()
            .unwrap();
        assert!(matches!(&end, WaitEnd::Found(e) if e.seq == 3), "{end:?}");
    }

    /// `end`, or a failure if it never ends (rather than a hang).
    async fn bounded(end: impl std::future::Future<Output = WaitEnd>) -> WaitEnd {
        tokio::time::timeout(Duration::from_secs(3600), end)
            .await
            .expect("the wait ended")
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_times_out_finishes_or_stops() {
        let j = journal(&[conv('a', EventKind::ConversationBegin)]);
        let stop = CancellationToken::new();
        let later = Instant::now() + Duration::from_secs(5);
        let end = bounded(j.wait(&Filter::default(), 1, later, &stop)).await;
        assert_eq!(end, WaitEnd::TimedOut);
        stop.cancel();
        let later = Instant::now() + Duration::from_secs(5);
        let end = bounded(j.wait(&Filter::default(), 1, later, &stop)).await;
        assert_eq!(end, WaitEnd::Stopping);
        j.finish();
        let stop = CancellationToken::new();
        let end = bounded(j.wait(&Filter::default(), 1, later, &stop)).await;
        assert_eq!(end, WaitEnd::Finished);
        // What is there is still found after the end.
        let end = bounded(j.wait(&Filter::default(), 0, later, &stop)).await;
        assert!(matches!(end, WaitEnd::Found(_)));
    }
}
