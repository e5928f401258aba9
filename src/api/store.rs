//! The record store: every conversation's record as the events sent so far announced it,
//! read by the fake API. The simulation stages each happening here when it is released
//! ([`RecordStore::stage`]); it becomes visible when delivery hands the event announcing
//! it to the network ([`RecordStore::handed_over`]) or, for a change no event announces,
//! when the delivery's clock reaches it (the rules are in `staging`). A cheap cloneable
//! handle; the lock is never held across an await. Retention bounds memory: past the limit, the oldest ended
//! records are evicted first; with an age limit, records ended longer ago (in simulated
//! time) are evicted too. Live records are never evicted.

use std::collections::VecDeque;

// Ids are random 32-hex values the engine generated: a fast hash is safe and cheaper.
use rustc_hash::FxHashMap as HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use super::staging::Staging;
use crate::conversation::{
    ChangeTicket, ConvInfo, EndReason, Happening, HappeningKind, MemberInfo,
};
use crate::ids::{CallId, ConversationId};
use crate::time::SimTime;
use crate::units::Span;

/// A member as the record shows it.
#[derive(Debug, Clone)]
pub struct MemberRecord {
    /// Who the member is.
    pub info: MemberInfo,
    /// When the call entered the conference.
    pub begin_time: SimTime,
    /// When it left, if it has.
    pub end_time: Option<SimTime>,
}

/// One conversation's record.
#[derive(Debug, Clone)]
pub struct Record {
    /// Static facts.
    pub info: Arc<ConvInfo>,
    /// Members in order of joining.
    pub members: Vec<MemberRecord>,
    /// When it began (`begin` sent), if it did.
    pub started_at: Option<SimTime>,
    /// The call whose answer began it.
    pub answered_call: Option<CallId>,
    /// When it was released.
    pub end_time: Option<SimTime>,
    /// Why it ended (only for conversations that began).
    pub end_reason: Option<EndReason>,
    /// Sequence number of when it began, for newest-first listing.
    started_seq: Option<u64>,
}

/// How many records to keep, and for how long.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    /// At most this many records; the oldest ended ones are evicted first.
    pub max_records: usize,
    /// Ended records are evicted once they ended longer ago than this (simulated time).
    pub max_age: Option<Span>,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            max_records: 50_000,
            max_age: None,
        }
    }
}

/// Shared handle to the record store.
#[derive(Debug, Clone, Default)]
pub struct RecordStore {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Debug, Default)]
struct Inner {
    records: HashMap<ConversationId, Record>,
    /// Ids of begun conversations in the order they began (may hold evicted ids).
    begun: VecDeque<(u64, ConversationId)>,
    next_started_seq: u64,
    retention: Retention,
    evicted: u64,
    /// Entries of `begun` whose record was evicted (compacted away lazily).
    stale_begun: usize,
    /// Ended records in the order they ended, with when: eviction takes from the front,
    /// by count or by age, in O(1). Live records are never evicted.
    ended: VecDeque<(SimTime, ConversationId)>,
    /// Changes released by the simulation but not yet announced.
    staging: Staging,
    /// The live conversations the staging is sized for (kept for a reset).
    live: usize,
    /// Reused buffer of the changes a call makes visible.
    revealed: Vec<Happening>,
}

/// A page of begun conversations, newest first.
#[derive(Debug, Clone)]
pub struct Page {
    /// Number of begun conversations held.
    pub total: usize,
    /// The requested slice.
    pub records: Vec<Record>,
}

impl RecordStore {
    /// An empty store with the given retention.
    pub fn new(retention: Retention) -> Self {
        Self::for_live(retention, 0)
    }

    /// An empty store with the given retention, whose staging is sized up front for `live`
    /// conversations at once: its table then never grows, and never stalls the sending
    /// thread with a rehash, in a run with fewer live.
    pub fn for_live(retention: Retention, live: usize) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner::empty(retention, live))),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave a record half-written in a way that
        // matters more than losing the whole store; keep serving.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Stages a happening released by the simulation: it stays invisible until the event
    /// announcing it is handed over ([`RecordStore::handed_over`], with the returned
    /// ticket), or, for a change no event announces (`announced` false), until the
    /// delivery's clock reaches it ([`RecordStore::clock_reached`]).
    pub fn stage(&self, h: Happening, announced: bool) -> Option<ChangeTicket> {
        self.lock().staging.stage(h, announced)
    }

    /// The event carrying `ticket`, due at simulated time `scheduled`, is being handed to
    /// the network: its change becomes visible, with the silent changes before it (of its
    /// conversation, and of any conversation before `scheduled`).
    pub fn handed_over(&self, ticket: ChangeTicket, scheduled: SimTime) {
        let just_before = SimTime::from_micros(scheduled.as_micros().saturating_sub(1));
        self.reveal(|staging, out| {
            staging.clock_reached(just_before, out);
            staging.handed_over(ticket, out);
        });
    }

    /// The delivery's clock reached `now`: changes no event announces, up to `now`,
    /// become visible (once their conversation's earlier events went out).
    pub fn clock_reached(&self, now: SimTime) {
        self.reveal(|staging, out| staging.clock_reached(now, out));
    }

    /// The simulation is over and every event went out: what is still staged becomes
    /// visible, in simulated-time order.
    pub fn finish(&self) {
        self.reveal(Staging::finish);
    }

    /// Under the lock, lets `step` move staged changes into a buffer and applies them.
    fn reveal(&self, step: impl FnOnce(&mut Staging, &mut Vec<Happening>)) {
        let mut inner = self.lock();
        let mut revealed = std::mem::take(&mut inner.revealed);
        step(&mut inner.staging, &mut revealed);
        inner.apply_all(&mut revealed);
    }

    /// Forgets every record and staged change (a reset of the simulation); the
    /// retention stays, and so do the tables' sizes up front.
    pub fn clear(&self) {
        let mut inner = self.lock();
        *inner = Inner::empty(inner.retention, inner.live);
    }

    /// Applies one happening at once, staging aside.
    pub fn apply(&self, h: &Happening) {
        self.lock().apply(h.clone());
    }

    /// The record of conversation `id`, if held.
    pub fn get(&self, id: &ConversationId) -> Option<Record> {
        self.lock().records.get(id).cloned()
    }

    /// Looks a record up by its id string.
    pub fn get_str(&self, id: &str) -> Option<Record> {
        let id = ConversationId(crate::ids::Hex32::parse(id)?);
        self.get(&id)
    }

    /// Begun conversations, newest first: `size` of them from 0-based `offset`.
    pub fn page(&self, offset: usize, size: usize) -> Page {
        let inner = self.lock();
        // No compaction here (it would hold the lock for a pass over the whole list while
        // the dispatcher waits): stale entries are skipped, and they gather at the old end.
        let total = inner.begun.len() - inner.stale_begun;
        let records = inner
            .begun
            .iter()
            .rev()
            .filter_map(|&(seq, id)| inner.live_begun(seq, &id))
            .skip(offset)
            .take(size)
            .cloned()
            .collect();
        Page { total, records }
    }

    /// Like [`RecordStore::page`], of the begun conversations `keep` accepts only (counted
    /// in a pass over them all).
    pub fn page_where(&self, offset: usize, size: usize, keep: impl Fn(&Record) -> bool) -> Page {
        let inner = self.lock();
        let kept = || {
            inner
                .begun
                .iter()
                .rev()
                .filter_map(|&(seq, id)| inner.live_begun(seq, &id))
                .filter(|r| keep(r))
        };
        let total = kept().count();
        let records = kept().skip(offset).take(size).cloned().collect();
        Page { total, records }
    }

    /// Number of records held.
    pub fn len(&self) -> usize {
        self.lock().records.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of records evicted by retention so far.
    pub fn evicted(&self) -> u64 {
        self.lock().evicted
    }
}

impl Inner {
    /// Empty, with its tables sized up front: the records for the retention limit (within
    /// reason), so a full store never pays for a rehash that briefly holds the table twice;
    /// the staging for `live` conversations.
    fn empty(retention: Retention, live: usize) -> Self {
        let room = retention
            .max_records
            .saturating_add(retention.max_records / 4)
            .min(1 << 18);
        Self {
            retention,
            records: HashMap::with_capacity_and_hasher(room, Default::default()),
            staging: Staging::with_room(live),
            live,
            ..Self::default()
        }
    }

    /// Applies the happenings in `revealed`, in order, and keeps the emptied buffer.
    fn apply_all(&mut self, revealed: &mut Vec<Happening>) {
        for h in revealed.drain(..) {
            self.apply(h);
        }
        self.revealed = std::mem::take(revealed);
    }

    /// Applies one happening, moving what it carries into the record (no clones of the
    /// member's or the conversation's shared strings on the sending path).
    fn apply(&mut self, h: Happening) {
        let Happening { at, conv, kind } = h;
        let id = conv.id;
        match kind {
            HappeningKind::Created => {
                self.records.insert(
                    id,
                    Record {
                        info: conv,
                        // Most conversations have two members.
                        members: Vec::with_capacity(2),
                        started_at: None,
                        answered_call: None,
                        end_time: None,
                        end_reason: None,
                        started_seq: None,
                    },
                );

                self.enforce_retention();
            }
            HappeningKind::Joined(member) => {
                if let Some(r) = self.records.get_mut(&id) {
                    r.members.push(MemberRecord {
                        info: member,
                        begin_time: at,
                        end_time: None,
                    });
                }
            }
            HappeningKind::Left { call_id } => {
                if let Some(r) = self.records.get_mut(&id) {
                    for m in r.members.iter_mut().filter(|m| m.info.call_id == call_id) {
                        m.end_time.get_or_insert(at);
                    }
                }
            }
            HappeningKind::Started { answered_call } => {
                let seq = self.next_started_seq;
                self.next_started_seq += 1;
                if let Some(r) = self.records.get_mut(&id) {
                    r.started_at = Some(at);
                    r.answered_call = Some(answered_call);
                    r.started_seq = Some(seq);
                    self.begun.push_back((seq, id));
                }
            }
            HappeningKind::Released { reason, started_at } => {
                if let Some(r) = self.records.get_mut(&id) {
                    r.end_time = Some(at);
                    if started_at.is_some() {
                        r.end_reason = Some(reason);
                    }
                    for m in &mut r.members {
                        m.end_time.get_or_insert(at);
                    }
                    r.members.shrink_to_fit();
                    self.ended.push_back((at, id));
                    self.enforce_retention();
                }
            }
        }
        self.expire(at);
    }

    /// Evicts a record (counting it and marking its place in the begun list stale).
    fn evict(&mut self, id: &ConversationId) {
        if let Some(r) = self.records.remove(id) {
            self.evicted += 1;
            if r.started_seq.is_some() {
                self.stale_begun += 1;
            }
        }
    }

    /// Evicts records that ended more than the age limit before `now`.
    fn expire(&mut self, now: SimTime) {
        let Some(max_age) = self.retention.max_age else {
            return;
        };
        while let Some(&(ended_at, id)) = self.ended.front() {
            if now.since(ended_at) <= max_age {
                break;
            }
            self.ended.pop_front();
            // Only if it is still the record that ended then.
            if self
                .records
                .get(&id)
                .is_some_and(|r| r.end_time == Some(ended_at))
            {
                self.evict(&id);
            }
        }
    }

    /// Evicts the oldest ended records while more are held than the count limit.
    fn enforce_retention(&mut self) {
        let max = self.retention.max_records.max(1);
        while self.records.len() > max {
            let Some((_, id)) = self.ended.pop_front() else {
                break; // every record held is live
            };
            self.evict(&id);
        }
        // Evictions are oldest first, so stale entries gather at the front: drop them
        // there in O(1) each; a full pass only when stale ones are half the list.
        while let Some(&(seq, id)) = self.begun.front() {
            if self.live_begun(seq, &id).is_some() {
                break;
            }
            self.begun.pop_front();
            self.stale_begun = self.stale_begun.saturating_sub(1);
        }
        if self.stale_begun > self.begun.len() / 2 && self.begun.len() > max {
            self.compact_begun();
        }
    }

    /// The record a `begun` entry stands for, unless the entry is stale.
    fn live_begun(&self, seq: u64, id: &ConversationId) -> Option<&Record> {
        self.records.get(id).filter(|r| r.started_seq == Some(seq))
    }

    /// Drops entries of evicted records from the begun list.
    fn compact_begun(&mut self) {
        let begun = std::mem::take(&mut self.begun);
        self.begun = begun
            .into_iter()
            .filter(|(seq, id)| self.live_begun(*seq, id).is_some())
            .collect();
        self.stale_begun = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{conversation as info, happening as happen, member};
    use super::*;

    #[test]
    fn a_record_follows_its_conversation_from_creation_to_release() {
        let store = RecordStore::default();
        let c = info(1);
        store.apply(&happen(&c, 10, HappeningKind::Created));
        store.apply(&happen(
            &c,
            20,
            HappeningKind::Joined(member(c.initiator_call)),
        ));
        let r = store.get(&c.id).expect("created");
        assert_eq!(r.members.len(), 1);
        assert_eq!(r.members[0].begin_time, SimTime::from_millis(20));
        store.apply(&happen(
            &c,
            30,
            HappeningKind::Started {
                answered_call: c.initiator_call,
            },
        ));
        store.apply(&happen(
            &c,
            90,
            HappeningKind::Released {
                reason: EndReason::CustomerHangup,
                started_at: Some(SimTime::from_millis(30)),
            },
        ));
        let r = store.get(&c.id).expect("kept");
        assert_eq!(r.end_time, Some(SimTime::from_millis(90)));
        assert_eq!(r.end_reason, Some(EndReason::CustomerHangup));
        assert_eq!(r.members[0].end_time, Some(SimTime::from_millis(90)));
    }

    #[test]
    fn a_reset_keeps_the_tables_sized_up_front() {
        let store = RecordStore::for_live(Retention::default(), 300);
        let room = |s: &RecordStore| {
            let inner = s.lock();
            (inner.records.capacity(), inner.staging.room())
        };
        let sized = room(&store);
        assert!(sized.0 >= 50_000 && sized.1 >= 300, "sized {sized:?}");
        store.apply(&happen(&info(1), 1, HappeningKind::Created));
        store.clear();
        assert!(store.get(&info(1).id).is_none(), "cleared");
        assert_eq!(room(&store), sized, "a reset keeps the room");
    }

    #[test]
    fn retention_evicts_the_oldest_ended_records_and_keeps_live_ones() {
        let store = RecordStore::new(Retention {
            max_records: 2,
            ..Retention::default()
        });
        let (a, b, c) = (info(1), info(2), info(3));
        store.apply(&happen(&a, 1, HappeningKind::Created)); // stays live
        store.apply(&happen(&b, 2, HappeningKind::Created));
        store.apply(&happen(
            &b,
            3,
            HappeningKind::Released {
                reason: EndReason::CustomerHangup,
                started_at: None,
            },
        ));
        store.apply(&happen(&c, 4, HappeningKind::Created));
        assert!(
            store.get(&a.id).is_some(),
            "live record kept although oldest"
        );
        assert!(store.get(&b.id).is_none(), "oldest ended record evicted");
        assert!(store.get(&c.id).is_some());
        assert_eq!(store.evicted(), 1);
    }

    #[test]
    fn records_ended_longer_ago_than_the_age_limit_are_evicted_and_live_ones_kept() {
        let store = RecordStore::new(Retention {
            max_age: Some(Span::from_millis(60_000)),
            ..Retention::default()
        });
        let (a, b) = (info(1), info(2));
        store.apply(&happen(&a, 0, HappeningKind::Created)); // stays live
        store.apply(&happen(&b, 0, HappeningKind::Created));
        let release = HappeningKind::Released {
            reason: EndReason::CustomerHangup,
            started_at: None,
        };
        store.apply(&happen(&b, 10_000, release));
        store.apply(&happen(
            &a,
            70_000,
            HappeningKind::Joined(member(a.initiator_call)),
        ));
        assert!(store.get(&b.id).is_some(), "ended exactly 60 s ago: kept");
        store.apply(&happen(
            &a,
            70_001,
            HappeningKind::Joined(member(a.initiator_call)),
        ));
        assert!(
            store.get(&b.id).is_none(),
            "ended more than 60 s ago: evicted"
        );
        assert!(store.get(&a.id).is_some(), "live records never expire");
        assert_eq!(store.evicted(), 1);
    }

    #[test]
    fn pages_list_begun_conversations_newest_first() {
        let store = RecordStore::default();
        let convs: Vec<_> = (1..=3).map(info).collect();
        for (i, c) in convs.iter().enumerate() {
            store.apply(&happen(c, i as i64, HappeningKind::Created));
        }
        for c in &convs[..2] {
            store.apply(&happen(
                c,
                10,
                HappeningKind::Started {
                    answered_call: c.initiator_call,
                },
            ));
        }
        let page = store.page(0, 10);
        assert_eq!(page.total, 2, "the never-begun conversation is not listed");
        assert_eq!(page.records[0].info.id, convs[1].id);
        assert_eq!(page.records[1].info.id, convs[0].id);
        assert_eq!(store.page(1, 1).records[0].info.id, convs[0].id);
    }

    #[test]
    fn pages_skip_evicted_conversations_and_count_only_held_ones() {
        let store = RecordStore::new(Retention {
            max_records: 2,
            ..Retention::default()
        });
        let convs: Vec<_> = (1..=5).map(info).collect();
        for (i, c) in convs.iter().enumerate() {
            let t = 10 * i as i64;
            store.apply(&happen(c, t, HappeningKind::Created));
            store.apply(&happen(
                c,
                t + 1,
                HappeningKind::Started {
                    answered_call: c.initiator_call,
                },
            ));
            let released = HappeningKind::Released {
                reason: EndReason::CustomerHangup,
                started_at: Some(SimTime::from_millis(t + 1)),
            };
            store.apply(&happen(c, t + 2, released));
        }
        let page = store.page(0, 10);
        assert_eq!(page.total, 2, "only the two held records are listed");
        let ids: Vec<_> = page.records.iter().map(|r| r.info.id).collect();
        assert_eq!(ids, [convs[4].id, convs[3].id], "newest first");
        assert_eq!(store.page(1, 10).records.len(), 1);
    }
}
