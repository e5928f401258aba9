//! When a simulated change becomes visible in the records: never before the event that
//! announces it is handed to the network. The engine runs ahead of delivery (always at
//! `--speed max`), so each happening is *staged* when it is released and *revealed* later:
//!
//! - an announced change (one with a webhook) when its event is handed over: its first
//!   attempt starts;
//! - a silent change (no webhook: a conference created, a conversation that never began
//!   released) when the delivery's clock reaches its simulated time, or when an event of a
//!   later simulated time is handed over (at `--speed max`, where there is no clock);
//! - and within one conversation strictly in simulation order: a change waits for every
//!   earlier announced change of its conversation, and handing over an event reveals the
//!   silent changes before it.
//!
//! So a receiver that fetches a record when it receives event *k* of a conversation sees
//! the changes announced by events 1…*k* and nothing later. Pure bookkeeping: the record
//! store owns a `Staging` under its lock and applies the happenings it gives back.

use std::collections::VecDeque;

use rustc_hash::FxHashMap as HashMap;

use crate::conversation::{ChangeTicket as Ticket, Happening, HappeningKind};
use crate::ids::ConversationId;
use crate::time::SimTime;

/// Changes staged but not yet visible, per conversation, in simulation order.
#[derive(Debug, Default)]
pub(crate) struct Staging {
    conversations: HashMap<ConversationId, Queue>,
    /// Silent changes in release (so simulated-time) order, to reveal by the clock.
    silent: VecDeque<(SimTime, Ticket)>,
    /// Silent changes at or before this instant are due.
    clock: Option<SimTime>,
    /// Emptied queues kept for reuse: one conversation after another reuses the same
    /// allocation instead of the allocator's.
    spare: Vec<VecDeque<Entry>>,
}

/// Spare queues kept at most (enough for the conversations live at once in a large run).
const MAX_SPARE: usize = 4096;

/// One conversation's staged changes.
#[derive(Debug, Default)]
struct Queue {
    /// Index of the front entry.
    base: u32,
    /// Index the next staged change gets.
    next: u32,
    /// Every change up to this index has been announced (its own event or a later one
    /// of the conversation was handed over).
    handed_upto: Option<u32>,
    entries: VecDeque<Entry>,
    /// The conversation's release was staged: once the queue drains it is forgotten.
    released: bool,
}

#[derive(Debug)]
struct Entry {
    happening: Happening,
    announced: bool,
    handed: bool,
}

impl Staging {
    /// Empty, with room for `live` conversations' queues before its table grows.
    pub(crate) fn with_room(live: usize) -> Self {
        Self {
            conversations: HashMap::with_capacity_and_hasher(live, Default::default()),
            ..Self::default()
        }
    }

    /// Stages a happening; `announced` says whether an event announces it. Returns the
    /// ticket its event carries, or `None` for a silent change.
    pub(crate) fn stage(&mut self, happening: Happening, announced: bool) -> Option<Ticket> {
        let conversation = happening.conv.id;
        let at = happening.at;
        let spare = &mut self.spare;
        let queue = self
            .conversations
            .entry(conversation)
            .or_insert_with(|| Queue {
                entries: spare.pop().unwrap_or_default(),
                ..Queue::default()
            });
        let index = queue.next;
        queue.next += 1;
        queue.released |= matches!(happening.kind, HappeningKind::Released { .. });
        queue.entries.push_back(Entry {
            happening,
            announced,
            handed: false,
        });
        let ticket = Ticket {
            conversation,
            index,
        };
        if announced {
            Some(ticket)
        } else {
            self.silent.push_back((at, ticket));
            None
        }
    }

    /// The event carrying `ticket` was handed to the network: pushes onto `out`, in
    /// order, every change that is now visible.
    pub(crate) fn handed_over(&mut self, ticket: Ticket, out: &mut Vec<Happening>) {
        let Some(queue) = self.conversations.get_mut(&ticket.conversation) else {
            return; // a duplicate of an event whose conversation is done
        };
        if ticket.index < queue.base {
            return; // already visible (a duplicate, or a retry)
        }
        if let Some(entry) = queue.entries.get_mut((ticket.index - queue.base) as usize) {
            entry.handed = true;
        }
        queue.handed_upto = Some(
            queue
                .handed_upto
                .map_or(ticket.index, |h| h.max(ticket.index)),
        );
        if queue.drain(u32::MAX, self.clock, out) {
            self.forget(ticket.conversation);
        }
    }

    /// The delivery's clock reached `now`: silent changes at or before it are due.
    pub(crate) fn clock_reached(&mut self, now: SimTime, out: &mut Vec<Happening>) {
        if self.clock.is_some_and(|c| c >= now) {
            return;
        }
        self.clock = Some(now);
        while let Some(&(at, ticket)) = self.silent.front() {
            if at > now {
                break;
            }
            self.silent.pop_front();
            // Up to this change only: the conversation's later ones wait for their turn,
            // so changes become visible in simulated-time order across conversations.
            if let Some(queue) = self.conversations.get_mut(&ticket.conversation)
                && queue.drain(ticket.index, self.clock, out)
            {
                self.forget(ticket.conversation);
            }
        }
    }

    /// The simulation is over and every event was handed over: the remaining (silent)
    /// changes are due, in simulated-time order.
    pub(crate) fn finish(&mut self, out: &mut Vec<Happening>) {
        self.clock_reached(SimTime::from_micros(i64::MAX), out);
    }

    /// Forgets a conversation whose changes all showed, keeping its queue for reuse.
    fn forget(&mut self, conversation: ConversationId) {
        if let Some(queue) = self.conversations.remove(&conversation)
            && self.spare.len() < MAX_SPARE
        {
            self.spare.push(queue.entries);
        }
    }

    /// How many conversations' queues fit before the table grows.
    #[cfg(test)]
    pub(crate) fn room(&self) -> usize {
        self.conversations.capacity()
    }

    /// Staged changes not yet visible.
    #[cfg(test)]
    pub(crate) fn pending(&self) -> usize {
        self.conversations.values().map(|q| q.entries.len()).sum()
    }
}

impl Queue {
    /// Moves the visible prefix, up to index `upto`, onto `out` (silent changes are due
    /// up to `clock`). Returns whether the conversation is done: released and drained.
    fn drain(&mut self, upto: u32, clock: Option<SimTime>, out: &mut Vec<Happening>) -> bool {
        while let Some(front) = self.entries.front() {
            if self.base > upto {
                break;
            }
            let visible = if front.announced {
                // Only its own event announces it, whatever came after.
                front.handed
            } else {
                // A later event of the conversation went out, or the clock passed it.
                self.handed_upto.is_some_and(|h| h >= self.base)
                    || clock.is_some_and(|c| front.happening.at <= c)
            };
            if !visible {
                break;
            }
            if let Some(entry) = self.entries.pop_front() {
                out.push(entry.happening);
            }
            self.base += 1;
        }
        self.released && self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::super::fixtures::{conversation as conv, happening as at, member};
    use super::*;
    use crate::conversation::{ConvInfo, EndReason};

    fn joined(c: &Arc<ConvInfo>, ms: i64) -> Happening {
        at(c, ms, HappeningKind::Joined(member(c.initiator_call)))
    }

    fn released(c: &Arc<ConvInfo>, ms: i64) -> Happening {
        at(
            c,
            ms,
            HappeningKind::Released {
                reason: EndReason::CustomerHangup,
                started_at: None,
            },
        )
    }

    /// The instants of what became visible.
    fn times(out: &mut Vec<Happening>) -> Vec<i64> {
        out.drain(..).map(|h| h.at.epoch_ms()).collect()
    }

    #[test]
    fn an_announced_change_is_visible_only_once_its_event_is_handed_over() {
        let mut s = Staging::default();
        let c = conv(1);
        let mut out = Vec::new();
        assert_eq!(s.stage(at(&c, 10, HappeningKind::Created), false), None);
        let join = s.stage(joined(&c, 20), true).expect("a ticket");
        assert_eq!(s.pending(), 2);
        // Nothing went out and no clock runs (speed max): nothing is visible.
        s.clock_reached(SimTime::from_millis(9), &mut out);
        assert!(out.is_empty());
        // Handing the join's event over reveals the silent creation before it, then it.
        s.handed_over(join, &mut out);
        assert_eq!(times(&mut out), [10, 20]);
        // A retry or duplicate of the same event changes nothing.
        s.handed_over(join, &mut out);
        assert!(out.is_empty());
        assert_eq!(s.pending(), 0);
    }

    #[test]
    fn staging_sized_for_n_live_conversations_holds_n_without_growing_its_table() {
        let mut s = Staging::with_room(200);
        let room = s.conversations.capacity();
        assert!(room >= 200, "room for {room}");
        for n in 0..200 {
            s.stage(at(&conv(n), 10, HappeningKind::Created), false);
        }
        assert_eq!(s.conversations.len(), 200);
        assert_eq!(s.conversations.capacity(), room, "the table grew");
    }

    #[test]
    fn a_held_event_holds_back_its_change_and_every_later_one_of_its_conversation() {
        let mut s = Staging::default();
        let c = conv(1);
        let mut out = Vec::new();
        s.stage(at(&c, 10, HappeningKind::Created), false);
        let first = s.stage(joined(&c, 20), true).expect("ticket");
        let second = s.stage(joined(&c, 30), true).expect("ticket");
        // The second event overtook the first (reordered, or --ordering none): the
        // creation is implied, but neither join is visible before its own event.
        s.handed_over(second, &mut out);
        assert_eq!(times(&mut out), [10]);
        s.handed_over(first, &mut out);
        assert_eq!(times(&mut out), [20, 30]);
    }

    #[test]
    fn silent_changes_follow_the_clock_but_never_overtake_their_conversation() {
        let mut s = Staging::default();
        let (a, b) = (conv(1), conv(2));
        let mut out = Vec::new();
        s.stage(at(&a, 10, HappeningKind::Created), false);
        s.stage(at(&b, 15, HappeningKind::Created), false);
        let join = s.stage(joined(&a, 20), true).expect("ticket");
        s.stage(released(&a, 40), false);
        // The clock reaches 15: both creations are due.
        s.clock_reached(SimTime::from_millis(15), &mut out);
        assert_eq!(times(&mut out), [10, 15]);
        // It passes a's release, but a's join has not gone out: the release waits.
        s.clock_reached(SimTime::from_millis(50), &mut out);
        assert!(out.is_empty());
        s.handed_over(join, &mut out);
        assert_eq!(times(&mut out), [20, 40]);
        assert_eq!(s.pending(), 0);
        // The conversation is done: it is forgotten, and a late duplicate is ignored.
        s.handed_over(join, &mut out);
        assert!(out.is_empty());
        assert!(!s.conversations.contains_key(&a.id));
    }

    #[test]
    fn the_end_of_the_run_reveals_the_remaining_silent_changes_in_time_order() {
        let mut s = Staging::default();
        let (a, b) = (conv(1), conv(2));
        let mut out = Vec::new();
        s.stage(at(&a, 10, HappeningKind::Created), false);
        s.stage(at(&b, 12, HappeningKind::Created), false);
        s.stage(released(&a, 30), false);
        s.stage(released(&b, 31), false);
        s.finish(&mut out);
        assert_eq!(times(&mut out), [10, 12, 30, 31]);
        assert_eq!(s.pending(), 0);
    }
}
