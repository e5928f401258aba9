//! The queue of idle agents, longest idle first: a deque split into blocks of at most
//! [`BLOCK`] entries, so taking an agent from any position (a uniformly chosen idle agent
//! places an outgoing call) moves at most a block's entries, not half the pool's.

use std::collections::VecDeque;

use super::AgentIdx;

/// Most entries in one block.
const BLOCK: usize = 128;

/// Idle agents in the order they became idle; the same order as one flat deque.
#[derive(Debug, Default)]
pub(super) struct IdleQueue {
    blocks: VecDeque<VecDeque<AgentIdx>>,
    len: usize,
}

impl IdleQueue {
    /// Number of idle agents.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Whether no agent is idle.
    pub(super) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The agents, longest idle first.
    pub(super) fn iter(&self) -> impl Iterator<Item = AgentIdx> + '_ {
        self.blocks.iter().flatten().copied()
    }

    /// Adds an agent at the back (idle for the shortest time).
    pub(super) fn push_back(&mut self, agent: AgentIdx) {
        match self.blocks.back_mut() {
            Some(block) if block.len() < BLOCK => block.push_back(agent),
            _ => self.blocks.push_back(VecDeque::from([agent])),
        }
        self.len += 1;
    }

    /// Takes the agent at the front (idle for the longest time).
    #[cfg(test)]
    pub(super) fn pop_front(&mut self) -> Option<AgentIdx> {
        self.remove(0)
    }

    /// The agent at position `pos` (0 is the front), found block by block.
    pub(super) fn get(&self, mut pos: usize) -> Option<AgentIdx> {
        for block in &self.blocks {
            if pos < block.len() {
                return block.get(pos).copied();
            }
            pos -= block.len();
        }
        None
    }

    /// Takes the agent at position `pos` (0 is the front).
    pub(super) fn remove(&mut self, mut pos: usize) -> Option<AgentIdx> {
        let b = self.blocks.iter().position(|block| {
            let here = pos < block.len();
            if !here {
                pos -= block.len();
            }
            here
        })?;
        let agent = self.blocks[b].remove(pos)?;
        self.len -= 1;
        self.tidy(b);
        Some(agent)
    }

    /// Keeps only the agents for which `keep` holds, in order.
    pub(super) fn retain(&mut self, mut keep: impl FnMut(AgentIdx) -> bool) {
        for block in &mut self.blocks {
            block.retain(|&a| keep(a));
        }
        self.blocks.retain(|block| !block.is_empty());
        self.len = self.blocks.iter().map(VecDeque::len).sum();
    }

    /// After block `b` shrank: drops it when empty, or merges it into the next block when
    /// both fit in one, so the blocks stay few as agents leave from the middle.
    fn tidy(&mut self, b: usize) {
        let len = self.blocks[b].len();
        if len == 0 {
            self.blocks.remove(b);
        } else if len < BLOCK / 4
            && let Some(next) = self.blocks.get(b + 1)
            && len + next.len() <= BLOCK
            && let Some(block) = self.blocks.remove(b)
        {
            // `b + 1` is now `b`; the shrunk block's agents go before its own.
            for agent in block.into_iter().rev() {
                self.blocks[b].push_front(agent);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;

    #[test]
    fn behaves_like_one_flat_deque() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let (mut queue, mut flat) = (IdleQueue::default(), VecDeque::new());
        let mut next = 0;
        for round in 0..20_000 {
            match rng.random_range(0..10) {
                0..4 => {
                    queue.push_back(next);
                    flat.push_back(next);
                    next += 1;
                }
                4..6 => assert_eq!(queue.pop_front(), flat.pop_front()),
                6..9 if !flat.is_empty() => {
                    let pos = rng.random_range(0..flat.len());
                    assert_eq!(queue.get(pos), flat.get(pos).copied());
                    assert_eq!(queue.remove(pos), flat.remove(pos));
                }
                _ if round % 500 == 0 => {
                    queue.retain(|a| a % 3 != 0);
                    flat.retain(|a| a % 3 != 0);
                }
                _ => {}
            }
            assert_eq!(queue.len(), flat.len());
            if round % 1_000 == 0 {
                assert!(queue.iter().eq(flat.iter().copied()));
            }
        }
        let drained: Vec<_> = std::iter::from_fn(|| queue.pop_front()).collect();
        assert_eq!(drained, Vec::from(flat));
        assert!(queue.remove(0).is_none());
    }

    #[test]
    fn blocks_stay_few_when_agents_leave_from_the_middle() {
        let mut queue = IdleQueue::default();
        for a in 0..10 * BLOCK {
            queue.push_back(a);
        }
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        while queue.len() > BLOCK {
            queue.remove(rng.random_range(0..queue.len()));
        }
        assert!(queue.blocks.len() <= 5, "{} blocks", queue.blocks.len());
    }
}
